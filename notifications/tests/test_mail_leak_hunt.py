"""Leak hunt in mail out: for every event type, on a restricted ticket whose key, title, description and comment carry
a marker, a rule naming an insider (granted) and an outsider (not) by name, with e-mail. The outsider receives no mail
(the in-app notification is not made either); the insider's mail names the ticket (the control, so that the hunt can
fail). The requester of a refused access request is the one outsider who hears anything, and their mail carries
no marker, no link to the ticket and no reply address. Headers and both bodies are searched, as sent."""

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from approvals.tests.factories import ApprovalProcessStepFactory, ApprovalSlotFactory
from notifications.models import Channel, NotificationEvent
from notifications.tests.factories import NotificationRuleFactory
from notifications.tests.helpers import send_event
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.factories import UserFactory
from tickets.models import TicketNote, TicketStatus, TicketVisibility
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.usefixtures("no_default_rules")

MARKER = "MAILHIDE-53a9"


def every_byte(message: Any) -> str:
    """The mail as it leaves: every header and every part, decoded."""
    return message.message().as_string() + "\n" + message.body + "".join(part[0] for part in message.alternatives)


def mails_to(user: Any) -> list[Any]:
    return [message for message in mail.outbox if user.email in message.to]


@pytest.mark.parametrize("event_type", list(NotificationEvent.values))
@override_settings(SITE_URL="https://tickets.example.com")
def test_no_mail_names_a_restricted_ticket_to_someone_who_may_not_see_it(db, event_type, django_capture_on_commit_callbacks):
    creator, insider, outsider, approver = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    ticket = TicketFactory(
        key=f"{MARKER}-1",
        title=f"Title {MARKER}",
        description=f"Description {MARKER}",
        created_by=creator,
        assignee=insider,  # so that "ticket assigned" has an assignee to announce
        visibility=TicketVisibility.RESTRICTED,
        status=TicketStatus.WAITING_APPROVAL,
    )
    TicketNote.objects.create(ticket=ticket, note=f"Comment {MARKER}", created_by=creator)
    GrantFactory(ticket=ticket, user=insider)
    step = ApprovalProcessStepFactory(process__ticket=ticket)
    ApprovalSlotFactory(step=step, user=approver)
    access_request = AccessRequestFactory(ticket=ticket, requester=outsider)
    NotificationRuleFactory(
        event_type=event_type, users=[insider, outsider], notify_requester=True, channels=[Channel.IN_APP, Channel.EMAIL]
    )

    with django_capture_on_commit_callbacks(execute=True):
        send_event(event_type, ticket=ticket, actor=creator, step=step, access_request=access_request)

    to_insider, to_outsider = mails_to(insider), mails_to(outsider)
    assert len(to_insider) == 1 and MARKER in every_byte(to_insider[0])  # the control
    if event_type == NotificationEvent.ACCESS_DECIDED:
        [decision] = to_outsider
        text = every_byte(decision)
        assert MARKER not in text
        assert "/tickets/" not in text and decision.reply_to == []
    else:
        assert to_outsider == []
    assert outsider.notifications.filter(ticket=ticket).exclude(event_type=NotificationEvent.ACCESS_DECIDED).count() == 0
