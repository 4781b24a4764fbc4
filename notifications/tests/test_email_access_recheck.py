"""Access is checked again when the e-mail is sent (SPEC §8): whatever changed between the event and the worker's run
(deactivation, a revoked grant, leaving a granted role, the ticket deleted or made restricted) skips the e-mail. The one
exception is the requester of an access decision, whose e-mail names no ticket detail."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from notifications.models import Channel, EmailStatus, Notification, NotificationEvent
from notifications.tests.factories import NotificationRuleFactory
from notifications.tests.helpers import send_event
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import Ticket, TicketVisibility
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.usefixtures("no_default_rules")

BOTH = [Channel.IN_APP, Channel.EMAIL]
TITLE = "Merger plans 7c1d"


def deactivate(watcher: Any, ticket: Ticket) -> None:
    watcher.is_active = False
    watcher.save(update_fields=["is_active"])


def revoke_the_grant(watcher: Any, ticket: Ticket) -> None:
    ticket.view_permissions.get(user=watcher).soft_delete(actor=None)


def leave_the_granted_role(watcher: Any, ticket: Ticket) -> None:
    watcher.groups.clear()


def delete_the_ticket(watcher: Any, ticket: Ticket) -> None:
    ticket.soft_delete(actor=None)


def make_an_internal_ticket_restricted(watcher: Any, ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(visibility=TicketVisibility.RESTRICTED)


CHANGES: list[Callable[[Any, Ticket], None]] = [
    deactivate,
    revoke_the_grant,
    leave_the_granted_role,
    delete_the_ticket,
    make_an_internal_ticket_restricted,
]


def watched_ticket(change: Callable[[Any, Ticket], None]) -> tuple[Any, Ticket]:
    """A watcher who sees the ticket now, by the route that `change` will take away."""
    if change is make_an_internal_ticket_restricted:
        return UserFactory(), TicketFactory(title=TITLE)
    ticket = TicketFactory(title=TITLE, visibility=TicketVisibility.RESTRICTED)
    if change is leave_the_granted_role:
        role = RoleFactory()
        GrantFactory(ticket=ticket, role=role)
        return UserFactory(roles=[role]), ticket
    watcher = UserFactory()
    GrantFactory(ticket=ticket, user=watcher)
    return watcher, ticket


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
def test_an_email_is_skipped_when_access_is_lost_before_it_is_sent(db: Any, django_capture_on_commit_callbacks: Any, change):
    watcher, ticket = watched_ticket(change)
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, users=[watcher], channels=BOTH)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_event(NotificationEvent.COMMENT_ADDED, ticket=ticket, actor=ticket.created_by)
    notification = Notification.objects.get()
    assert (notification.recipient, notification.email_status) == (watcher, EmailStatus.PENDING)

    change(watcher, ticket)
    for callback in callbacks:
        callback()

    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SKIPPED
    assert notification.emailed_at is None


def test_the_requesters_decision_email_shows_no_ticket_detail(db: Any, django_capture_on_commit_callbacks: Any):
    ticket = TicketFactory(title=TITLE, description=f"About {TITLE}", visibility=TicketVisibility.RESTRICTED)
    access_request = AccessRequestFactory(ticket=ticket)
    NotificationRuleFactory(event_type=NotificationEvent.ACCESS_DECIDED, notify_requester=True, channels=BOTH)

    with django_capture_on_commit_callbacks(execute=True):
        send_event(NotificationEvent.ACCESS_DECIDED, ticket=ticket, actor=ticket.created_by, access_request=access_request)

    [message] = mail.outbox
    assert message.to == [access_request.requester.email]
    assert f"#{ticket.pk}" in message.body
    html, _ = message.alternatives[0]
    for text in (message.subject, message.body, html):
        assert TITLE not in text
        assert ticket.key not in text
    assert Notification.objects.get().email_status == EmailStatus.SENT


def test_the_access_decided_exception_is_for_the_requester_only(db: Any, django_capture_on_commit_callbacks: Any):
    ticket = TicketFactory(title=TITLE, visibility=TicketVisibility.RESTRICTED)
    watcher = UserFactory()
    grant = GrantFactory(ticket=ticket, user=watcher)
    access_request = AccessRequestFactory(ticket=ticket)
    NotificationRuleFactory(event_type=NotificationEvent.ACCESS_DECIDED, users=[watcher], channels=BOTH)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_event(NotificationEvent.ACCESS_DECIDED, ticket=ticket, actor=ticket.created_by, access_request=access_request)
    notification = Notification.objects.get()
    assert notification.recipient == watcher

    grant.soft_delete(actor=None)  # the watcher loses access before the worker runs
    for callback in callbacks:
        callback()

    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SKIPPED
