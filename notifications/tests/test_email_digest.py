"""One bulk action mails a person once (issue 17): the events of a batch (ticketsite.batching) are sent, after it
commits, as one digest per recipient of several, and as the ordinary mail to a recipient of one."""

from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings

from notifications.models import Channel, EmailStatus, Notification, NotificationEvent
from notifications.tests.factories import NotificationRuleFactory
from notifications.tests.helpers import send_event
from permissions.tests.factories import GrantFactory
from tests.factories import UserFactory
from tickets.models import TicketVisibility
from tickets.tests.factories import TicketFactory
from ticketsite.batching import batch

pytestmark = pytest.mark.usefixtures("no_default_rules")


@pytest.fixture
def watched(db: Any) -> Any:
    """carol changes three tickets that dave watches, and one that only erin watches."""
    carol = UserFactory(username="carol", first_name="Carol", last_name="Agent")
    dave, erin = UserFactory(username="dave"), UserFactory(username="erin")
    tickets = [TicketFactory(title=f"Printer {n}") for n in range(3)]
    lone = TicketFactory(title="Projector")
    NotificationRuleFactory(event_type=NotificationEvent.STATUS_CHANGED, users=[dave], channels=[Channel.EMAIL])
    NotificationRuleFactory(
        event_type=NotificationEvent.STATUS_CHANGED,
        users=[erin],
        channels=[Channel.EMAIL],
        conditions={"priorities": ["urgent"]},
    )
    lone.priority = "urgent"
    lone.save(update_fields=["priority"])
    return carol, dave, erin, tickets, lone


@override_settings(SITE_URL="https://tickets.example.com")
def test_a_batch_mails_each_recipient_once_after_it_commits(watched, django_capture_on_commit_callbacks):
    carol, dave, erin, tickets, lone = watched

    with django_capture_on_commit_callbacks(execute=True) as callbacks, batch():
        for ticket in [*tickets, lone]:
            with transaction.atomic():  # each ticket commits on its own, as in a bulk action
                send_event(NotificationEvent.STATUS_CHANGED, ticket=ticket, actor=carol)
        assert mail.outbox == []  # held until the batch ends

    assert len(callbacks) == 1  # one task for the whole batch
    [digest] = [message for message in mail.outbox if message.to == [dave.email]]
    assert digest.subject == "4 ticket updates by Carol Agent"
    for ticket in [*tickets, lone]:
        assert f"{ticket.key} {ticket.title}" in digest.body
        assert f"https://tickets.example.com/tickets/{ticket.key}/" in digest.body
        assert f"https://tickets.example.com/tickets/{ticket.key}/" in digest.alternatives[0][0]
    assert digest.body.count("Carol Agent moved the ticket from") == 4
    assert digest.reply_to == []  # a reply could not say which ticket it is about
    assert "In-Reply-To" not in digest.extra_headers
    assert digest.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "/mail/unsubscribe/" in str(digest.extra_headers["List-Unsubscribe"])  # one event type: its own link

    [single] = [message for message in mail.outbox if message.to == [erin.email]]
    assert single.subject == f"[{lone.key}] Projector"  # a recipient of one event gets the ordinary mail
    assert single.reply_to and single.extra_headers["In-Reply-To"] == f"<ticket-{lone.pk}@example.com>"
    assert len(mail.outbox) == 2
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.SENT}


def test_without_a_batch_every_event_is_its_own_mail(watched, django_capture_on_commit_callbacks):
    carol, _, _, tickets, _ = watched

    for ticket in tickets:
        with django_capture_on_commit_callbacks(execute=True):
            send_event(NotificationEvent.STATUS_CHANGED, ticket=ticket, actor=carol)

    assert [message.subject for message in mail.outbox] == [f"[{t.key}] {t.title}" for t in tickets]


def test_a_digest_leaves_out_what_the_recipient_can_no_longer_see(watched, django_capture_on_commit_callbacks):
    carol, dave, _, tickets, _ = watched
    secret = TicketFactory(title="Secret 41f0", visibility=TicketVisibility.RESTRICTED)
    grant = GrantFactory(ticket=secret, user=dave)

    with django_capture_on_commit_callbacks(execute=False) as callbacks, batch():
        for ticket in [*tickets, secret]:
            send_event(NotificationEvent.STATUS_CHANGED, ticket=ticket, actor=carol)
    grant.soft_delete(actor=None)  # revoked before the worker runs
    for callback in callbacks:
        callback()

    [digest] = mail.outbox
    assert "Secret 41f0" not in digest.body + digest.alternatives[0][0] + digest.subject
    assert digest.subject == "3 ticket updates by Carol Agent"
    assert Notification.objects.get(ticket=secret).email_status == EmailStatus.SKIPPED
