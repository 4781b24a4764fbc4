"""A change that rolls back after the notifications were fanned out leaves no notification and sends no e-mail, with a
real transaction (not the test's wrapping one) and the real services behind the HTTP API."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail

from notifications.models import Channel, Notification, NotificationEvent
from notifications.tests.factories import NotificationRuleFactory
from tests.factories import UserFactory
from tickets import signals as ticket_signals
from tickets.models import Ticket, TicketStatus
from tickets.tests.factories import TicketFactory
from ticketsite.batching import deferred_writes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_default_rules")]


class ReceiverFailed(Exception):
    pass


SEEN_BEFORE_FAILING: list[int] = []


def fail_after_everyone_else(sender: Any, **kwargs: Any) -> None:
    deferred = deferred_writes()
    assert deferred is not None  # inside the service, whose timeline rows and notifications wait for its end
    deferred.flush()  # written now, as at the end: the failure must roll back rows already written
    SEEN_BEFORE_FAILING.append(Notification.objects.count())
    raise ReceiverFailed("a later receiver of the same signal failed")


@pytest.fixture
def failing_last_receiver() -> Iterator[None]:
    """Connected after the apps' receivers, so the notification rows exist when it raises."""
    SEEN_BEFORE_FAILING.clear()
    ticket_signals.ticket_transitioned.connect(fail_after_everyone_else, dispatch_uid="test.fail_after_everyone_else")
    yield
    ticket_signals.ticket_transitioned.disconnect(dispatch_uid="test.fail_after_everyone_else")


def test_a_transition_rolled_back_after_the_fan_out_notifies_nobody(client_for: Any, failing_last_receiver: None) -> None:
    creator = UserFactory()
    agent = UserFactory(perms=["tickets.work_on_ticket"])
    ticket = TicketFactory(created_by=creator, status=TicketStatus.OPEN)
    NotificationRuleFactory(
        event_type=NotificationEvent.STATUS_CHANGED, notify_creator=True, channels=[Channel.IN_APP, Channel.EMAIL]
    )
    client = client_for(agent)
    client.raise_request_exception = False

    response = client.post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "in_progress"}, format="json")

    assert response.status_code == 500
    assert SEEN_BEFORE_FAILING == [1]  # the fan-out had written its row inside the transaction
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.OPEN
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_the_same_transition_without_the_failure_notifies_and_mails(client_for: Any) -> None:
    creator = UserFactory()
    agent = UserFactory(perms=["tickets.work_on_ticket"])
    ticket = TicketFactory(created_by=creator, status=TicketStatus.OPEN)
    NotificationRuleFactory(
        event_type=NotificationEvent.STATUS_CHANGED, notify_creator=True, channels=[Channel.IN_APP, Channel.EMAIL]
    )

    response = client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "in_progress"}, format="json")

    assert response.status_code == 200
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [creator.pk]
    assert [message.to for message in mail.outbox] == [[creator.email]]
