"""Query counts of the benchmarked writes (docs/benchmark.md), through the API, with the default rule set active.

Each request runs as a fresh user object (no warm permission cache), as a real request does. The test database wraps
every service in a savepoint (SAVEPOINT + RELEASE: two statements a production request does not run), and nothing
commits, so the e-mail task (one INSERT into the task queue per transaction in production) is not counted here: the
benchmark's X-Query-Count is these numbers - 2 + 1 (authentication) + 1 when an e-mail is queued.

Also: the e-mails of all events of one transaction leave as one task (one on_commit callback).
"""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection, transaction

from approvals.models import ApprovalProcessStepApprover
from approvals.tests.factories import template_with
from notifications.models import Channel, EmailStatus, Notification, NotificationEvent
from notifications.services import Event, notify
from notifications.tests.factories import NotificationRuleFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketStatus
from tickets.tests.factories import CategoryFactory, LabelFactory, TicketFactory

BOTH = [Channel.IN_APP, Channel.EMAIL]


def fresh(client_for: Any, user: User) -> Any:
    return client_for(User.objects.get(pk=user.pk))


@pytest.mark.django_db
def test_create_ticket(client_for: Any, django_assert_num_queries: Any) -> None:
    requester = UserFactory()
    category, label = CategoryFactory(), LabelFactory()
    client = fresh(client_for, requester)
    body = {"title": "Printer", "priority": "medium", "categories": [category.pk], "labels": [label.pk]}

    # 2 body validation (category, label) + savepoint 2 + 2 service checks + ticket INSERT and key UPDATE + 4 for
    # setting categories and labels + the search document (tickets.search: one INSERT ... SELECT on PostgreSQL; on
    # SQLite the comments, the custom fields and the INSERT) + timeline INSERT + active rules of ticket_created (none
    # by default) + the response: categories, labels and 2 permissions (allowed_transitions).
    search_document = 1 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(18 + search_document):
        response = client.post("/api/v1/tickets/", body, format="json")

    assert response.status_code == 201, response.json()


@pytest.mark.django_db
def test_transition_notifies_the_creator(
    client_for: Any, django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    creator, agent = UserFactory(), UserFactory(perms=["tickets.work_on_ticket"])
    ticket = TicketFactory(status=TicketStatus.IN_PROGRESS, created_by=creator, assignee=agent)
    client = fresh(client_for, agent)

    # 2 permissions + ticket (visibility) + savepoint 2 + lock + UPDATE + timeline INSERT + notification fan-out 5
    # (active rules, recipients' visibility, their e-mail preferences, the timeline entry the e-mail tells of, one
    # INSERT) + 2 for the response's categories and labels.
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(15):
        response = client.post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "resolved"}, format="json")

    assert response.status_code == 200, response.json()
    notification = Notification.objects.get(ticket=ticket)
    assert (notification.recipient, notification.event_type) == (creator, NotificationEvent.STATUS_CHANGED)
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_approve_that_completes_the_process(
    client_for: Any, django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    creator, approvers = UserFactory(), RoleFactory()
    me = UserFactory(roles=[approvers])
    UserFactory(roles=[approvers])
    ticket = TicketFactory(created_by=creator, approval_template=template_with(("any", [approvers])))
    with django_capture_on_commit_callbacks(execute=True):  # the submit commits, its e-mails leave
        submitted = client_for(creator).post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "waiting_approval"})
    assert submitted.status_code == 200, submitted.json()
    slot = ApprovalProcessStepApprover.objects.get(ticket=ticket)
    client = fresh(client_for, me)

    # The slot (2 permissions + 1), the decision (savepoint 2, 2 locks, slot re-read, who may act, UPDATE, timeline,
    # skip the rest of the "any" step, finish the step, next step?, finish the process, timeline), two fan-outs of 5
    # (approval_completed and status_changed, both to the creator by e-mail too) and the system transition
    # (savepoint 2, lock, UPDATE, timeline).
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(31):
        response = client.post(f"/api/v1/approvals/{slot.pk}/approve/", {"comment": "ok"}, format="json")

    assert response.status_code == 200, response.json()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    events = set(Notification.objects.filter(ticket=ticket, recipient=creator).values_list("event_type", flat=True))
    assert events == {NotificationEvent.APPROVAL_COMPLETED, NotificationEvent.STATUS_CHANGED}
    assert len(callbacks) == 1  # both e-mails in one task


# --- one e-mail task per transaction ---------------------------------------------------------------------------------


@pytest.fixture
def world(no_default_rules: None) -> Any:
    creator = UserFactory()
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, notify_creator=True, channels=BOTH)
    return TicketFactory(created_by=creator)


def comment(ticket: Any) -> list[Notification]:
    return notify(Event(NotificationEvent.COMMENT_ADDED, ticket, UserFactory(), "Someone added a comment."))


@pytest.mark.django_db
def test_the_emails_of_one_transaction_leave_as_one_task(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        first = comment(world)
        with transaction.atomic():  # a nested service, e.g. the system transition inside a decision
            second = comment(world)
    assert len(callbacks) == 1

    callbacks[0]()

    assert len(mail.outbox) == 2
    sent = Notification.objects.filter(email_status=EmailStatus.SENT)
    assert set(sent.values_list("pk", flat=True)) == {n.pk for n in first + second}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_keeps_the_batch_and_sends_only_what_committed(world: Any) -> None:
    with transaction.atomic():
        (kept,) = comment(world)
        with pytest.raises(RuntimeError), transaction.atomic():
            comment(world)
            raise RuntimeError("the nested change failed")

    assert [n.pk for n in Notification.objects.all()] == [kept.pk]
    assert len(mail.outbox) == 1
    assert Notification.objects.get().email_status == EmailStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_a_batch_dropped_with_its_savepoint_is_not_reused(world: Any) -> None:
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            comment(world)  # registers the batch inside the savepoint ...
            raise RuntimeError("... which rolls back, taking the callback with it")
        (kept,) = comment(world)

    assert [n.pk for n in Notification.objects.all()] == [kept.pk]
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_separate_transactions_send_separately(world: Any) -> None:
    with transaction.atomic():
        comment(world)
    assert len(mail.outbox) == 1
    with transaction.atomic():
        comment(world)
    assert len(mail.outbox) == 2
    comment(world)  # autocommit: queued at once
    assert len(mail.outbox) == 3
