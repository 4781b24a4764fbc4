"""E-mail delivery: enqueued on commit through Django's Tasks framework, re-checked, retried, run by the DB worker."""

import smtplib
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from notifications.models import Channel, EmailStatus, Notification, NotificationEvent
from notifications.tests.factories import NotificationRuleFactory
from notifications.tests.helpers import send_event
from permissions.tests.factories import GrantFactory
from tests.factories import UserFactory
from tickets.models import TicketVisibility
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.usefixtures("no_default_rules")

BOTH = [Channel.IN_APP, Channel.EMAIL]


class FlakyBackend:
    """A mail backend whose first `failures` sends raise, as an SMTP server that is down would."""

    failures = 0
    calls = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: list[Any]) -> int:
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("connection lost")
        mail.outbox.extend(messages)
        return len(messages)


@pytest.fixture
def flaky() -> Any:
    FlakyBackend.failures, FlakyBackend.calls = 0, 0
    with override_settings(MAILERS={"default": {"BACKEND": "notifications.tests.test_email.FlakyBackend"}}):
        yield FlakyBackend


def test_email_is_sent_on_commit_with_text_and_html_bodies(db: Any, django_capture_on_commit_callbacks: Any) -> None:
    creator, agent = UserFactory(), UserFactory()
    ticket = TicketFactory(created_by=creator, title="Printer on fire")
    NotificationRuleFactory(event_type=NotificationEvent.STATUS_CHANGED, notify_creator=True, channels=BOTH)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_event(NotificationEvent.STATUS_CHANGED, ticket=ticket, actor=agent)
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [creator.email]
    assert ticket.key in message.subject
    assert "Printer on fire" in message.body
    # The event in words, as the timeline tells it (tickets.timeline_words), not the inbox's short message.
    assert f"{agent.get_full_name()} moved the ticket from In progress to Resolved" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Printer on fire" in html
    notification = Notification.objects.get()
    assert notification.email_status == EmailStatus.SENT
    assert notification.email_attempts == 1
    assert notification.emailed_at is not None


def test_email_only_rule_keeps_the_inbox_empty(db: Any, django_capture_on_commit_callbacks: Any, client_for: Any) -> None:
    creator = UserFactory()
    ticket = TicketFactory(created_by=creator)
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, notify_creator=True, channels=[Channel.EMAIL])

    with django_capture_on_commit_callbacks(execute=True):
        send_event(NotificationEvent.COMMENT_ADDED, ticket=ticket, actor=UserFactory())

    assert len(mail.outbox) == 1
    assert client_for(creator).get("/api/v1/notifications/").json()["count"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing() -> None:
    creator = UserFactory()
    ticket = TicketFactory(created_by=creator)
    NotificationRuleFactory(event_type=NotificationEvent.STATUS_CHANGED, notify_creator=True, channels=BOTH)

    with pytest.raises(RuntimeError), transaction.atomic():
        send_event(NotificationEvent.STATUS_CHANGED, ticket=ticket, actor=UserFactory())
        assert Notification.objects.count() == 1
        raise RuntimeError("the service failed after the signal")

    assert Notification.objects.count() == 0
    assert mail.outbox == []

    with transaction.atomic():
        send_event(NotificationEvent.STATUS_CHANGED, ticket=ticket, actor=UserFactory())
    assert len(mail.outbox) == 1


def test_visibility_is_checked_again_when_sending(db: Any, django_capture_on_commit_callbacks: Any) -> None:
    watcher = UserFactory()
    ticket = TicketFactory(visibility=TicketVisibility.RESTRICTED)
    grant = GrantFactory(ticket=ticket, user=watcher)
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, users=[watcher], channels=BOTH)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_event(NotificationEvent.COMMENT_ADDED, ticket=ticket, actor=ticket.created_by)
    assert Notification.objects.get().recipient == watcher
    grant.soft_delete(actor=None)  # access revoked before the worker got to the e-mail
    for callback in callbacks:
        callback()

    assert mail.outbox == []
    assert Notification.objects.get().email_status == EmailStatus.SKIPPED


def test_recipient_without_an_address_is_skipped(db: Any, django_capture_on_commit_callbacks: Any) -> None:
    creator = UserFactory(email="")
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, notify_creator=True, channels=BOTH)

    with django_capture_on_commit_callbacks(execute=True):
        send_event(NotificationEvent.COMMENT_ADDED, ticket=TicketFactory(created_by=creator), actor=UserFactory())

    assert mail.outbox == []
    assert Notification.objects.get().email_status == EmailStatus.SKIPPED


def test_a_failed_send_is_retried_until_it_succeeds(db: Any, django_capture_on_commit_callbacks: Any, flaky: Any) -> None:
    flaky.failures = 2
    creator = UserFactory()
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, notify_creator=True, channels=BOTH)

    with django_capture_on_commit_callbacks(execute=True):
        send_event(NotificationEvent.COMMENT_ADDED, ticket=TicketFactory(created_by=creator), actor=UserFactory())

    assert flaky.calls == 3
    assert len(mail.outbox) == 1
    notification = Notification.objects.get()
    assert notification.email_status == EmailStatus.SENT
    assert notification.email_attempts == 3


@override_settings(NOTIFICATIONS_EMAIL_MAX_ATTEMPTS=4)
def test_retries_are_bounded_then_the_email_is_marked_failed(
    db: Any, django_capture_on_commit_callbacks: Any, flaky: Any
) -> None:
    flaky.failures = 100
    creator = UserFactory()
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, notify_creator=True, channels=BOTH)

    with django_capture_on_commit_callbacks(execute=True):
        send_event(NotificationEvent.COMMENT_ADDED, ticket=TicketFactory(created_by=creator), actor=UserFactory())

    assert flaky.calls == 4
    assert mail.outbox == []
    notification = Notification.objects.get()
    assert notification.email_status == EmailStatus.FAILED
    assert notification.email_attempts == 4


@pytest.mark.django_db(transaction=True)
@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
    NOTIFICATIONS_EMAIL_RETRY_SECONDS=0,
)
def test_the_db_worker_sends_queued_emails_and_retries(postgres_only: None, flaky: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    flaky.failures = 1
    creator = UserFactory()
    ticket = TicketFactory(created_by=creator)
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, notify_creator=True, channels=BOTH)

    with transaction.atomic():
        send_event(NotificationEvent.COMMENT_ADDED, ticket=ticket, actor=UserFactory())
        assert DBTaskResult.objects.count() == 0  # enqueued on commit only
    assert DBTaskResult.objects.count() == 1
    assert mail.outbox == []  # queued, not run

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [creator.email]
    notification = Notification.objects.get()
    assert notification.email_status == EmailStatus.SENT
    assert notification.email_attempts == 2
    # The first run failed to send and queued a retry; both ran to completion.
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["SUCCESSFUL", "SUCCESSFUL"]
