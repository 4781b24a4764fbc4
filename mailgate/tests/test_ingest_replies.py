"""Replies to our mails become comments by the token's user (mailgate.services.ingest_message), through the same
checks as the web: active, can still see the ticket; quoted history and signature cut; files through the upload checks."""

from __future__ import annotations

import pytest

from mailgate.models import InboundMessage, InboundOutcome, InboundSource
from mailgate.services import ingest_message
from mailgate.tests.mails import reply
from tests.factories import UserFactory
from tickets.models import TicketNote
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_a_reply_becomes_a_comment_by_the_tokens_user_with_the_quote_cut():
    alice = UserFactory()
    ticket = TicketFactory(created_by=alice)

    record = ingest_message(reply(user=alice, ticket=ticket).as_bytes(), source=InboundSource.PIPE)

    comment = TicketNote.objects.get(ticket=ticket, system=False)
    assert (comment.note, comment.created_by, comment.event_details) == ("Thanks, that helps.", alice, {"via": "email"})
    assert (record.outcome, record.reason, record.user, record.ticket) == (InboundOutcome.COMMENT, "", alice, ticket)
    assert InboundMessage.objects.count() == 1
