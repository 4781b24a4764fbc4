"""Query counts of the benchmarked writes (docs/benchmark.md), through the API, with the default rule set active.

Each request runs as a fresh user object (no warm permission cache), as a real request does. Production terms (what the
benchmark's X-Query-Count counts) differ from the numbers asserted through `client_for` in three ways:
`force_authenticate` skips the token's user read (production: + 1, the user read with their permissions in one
statement; here the permissions are read on their own, 1, so the two cancel out), the test database wraps every
service in a savepoint (SAVEPOINT + RELEASE: - 2), and nothing commits, so the e-mail task (one INSERT into the task
queue per transaction) is not counted (+ 1 when an e-mail is queued). So X-Query-Count = the number here - 2, + 1 when
an e-mail is queued. The tests at the end count a real request (a JWT bearer token, transactions that commit, the
task queue of production) and assert the production numbers themselves.

A service's timeline rows and notifications are written when it ends (ticketsite.batching.atomic_service): one INSERT
for the timeline rows of all its events, one fan-out (active rules, recipients' visibility with their e-mail
preferences, one INSERT) for all its notifications, and the e-mails of one transaction leave as one task.
"""

import importlib
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection, transaction
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from approvals.models import ApprovalProcessStepApprover
from approvals.tests.factories import template_with
from notifications.models import Channel, EmailStatus, Notification, NotificationEvent, NotificationRule
from notifications.services import Event, notify
from notifications.tests.factories import NotificationRuleFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import EventType, TicketNote, TicketStatus
from tickets.tests.factories import CategoryFactory, LabelFactory, TicketFactory
from ticketsite.batching import deferring

BOTH = [Channel.IN_APP, Channel.EMAIL]
# Django starts a transaction on SQLite with a statement (BEGIN) of its own; on PostgreSQL the driver does it.
BEGIN = 0 if connection.vendor == "postgresql" else 1


def fresh(client_for: Any, user: User) -> Any:
    return client_for(User.objects.get(pk=user.pk))


def ticket_body() -> dict[str, Any]:
    return {"title": "Printer", "priority": "medium", "categories": [CategoryFactory().pk], "labels": [LabelFactory().pk]}


def submitted_for_approval(client_for: Any, approval_type: str, *approvers: Any) -> Any:
    """A ticket waiting for approval by one step of `approval_type`, with the submit committed (its e-mails left)."""
    ticket = TicketFactory(created_by=UserFactory(), approval_template=template_with((approval_type, list(approvers))))
    submitted = client_for(ticket.created_by).post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "waiting_approval"})
    assert submitted.status_code == 200, submitted.json()
    return ticket


@pytest.mark.django_db
def test_create_ticket(client_for: Any, django_assert_num_queries: Any) -> None:
    client = fresh(client_for, UserFactory())
    body = ticket_body()

    # Permissions 1, body validation 2 (the category, the label: the service takes them as loaded), savepoint 2,
    # ticket INSERT and its key UPDATE 2, one INSERT each for the category and the label rows 2, the search document
    # (tickets.search: one INSERT ... SELECT) 1, the timeline INSERT 1, the active rules of ticket_created (none by
    # default: no fan-out) 1, the response (the ticket's category and label ids) 1.
    with django_assert_num_queries(13):
        response = client.post("/api/v1/tickets/", body, format="json")

    assert response.status_code == 201, response.json()


@pytest.mark.django_db
def test_comment_notifies_the_creator_in_app(client_for: Any, django_assert_num_queries: Any) -> None:
    creator, agent = UserFactory(), UserFactory(perms=["tickets.work_on_ticket"])
    ticket = TicketFactory(status=TicketStatus.IN_PROGRESS, created_by=creator, assignee=agent)
    client = fresh(client_for, agent)

    # Permissions 1, the ticket (visibility) 1, savepoint 2, who may comment (the service's visibility check) 1, the
    # comment INSERT, the search document 1, fan-out 3 (active rules, the recipients' visibility with their e-mail
    # preferences, one INSERT). In app only by default: no e-mail task. The response reads nothing.
    with django_assert_num_queries(10):
        response = client.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"note": "On my way."}, format="json")

    assert response.status_code == 201, response.json()
    notification = Notification.objects.get(ticket=ticket)
    assert (notification.recipient, notification.event_type) == (creator, NotificationEvent.COMMENT_ADDED)
    assert notification.note_id is None  # in app only: no e-mail to tell of the entry


@pytest.mark.django_db
def test_transition_notifies_the_creator(
    client_for: Any, django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    creator, agent = UserFactory(), UserFactory(perms=["tickets.work_on_ticket"])
    ticket = TicketFactory(status=TicketStatus.IN_PROGRESS, created_by=creator, assignee=agent)
    client = fresh(client_for, agent)

    # Permissions 1, the ticket (visibility) 1, savepoint 2, the lock (re-read) 1, UPDATE 1, timeline INSERT 1,
    # fan-out 3 (active rules, the recipients' visibility with their e-mail preferences, one INSERT: the timeline entry
    # the e-mail tells of is in hand), the response 1.
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(11):
        response = client.post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "resolved"}, format="json")

    assert response.status_code == 200, response.json()
    notification = Notification.objects.get(ticket=ticket)
    assert (notification.recipient, notification.event_type) == (creator, NotificationEvent.STATUS_CHANGED)
    assert notification.note == TicketNote.objects.get(ticket=ticket, event_type=EventType.STATUS_CHANGE)
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_approve_that_completes_the_process(
    client_for: Any, django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    approvers = RoleFactory()
    me = UserFactory(roles=[approvers])
    UserFactory(roles=[approvers])
    with django_capture_on_commit_callbacks(execute=True):  # the submit commits, its e-mails leave
        ticket = submitted_for_approval(client_for, "any", approvers)
    slot = ApprovalProcessStepApprover.objects.get(ticket=ticket)
    client = fresh(client_for, me)

    # Permissions 1, the slot (visibility) 1, savepoint 2, the slot with its ticket, process and step locked and read
    # (and the next step's id) 1, who may act 1, the decision and the skipping of the rest of the "any" step 1, the step
    # UPDATE 1, the process UPDATE 1, the ticket UPDATE (the system transition, under the decision's lock) 1, one
    # timeline INSERT for approval_given, approval_completed and status_change 1, one fan-out for approval_completed
    # and status_changed, both to the creator by e-mail too 3.
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(14):
        response = client.post(f"/api/v1/approvals/{slot.pk}/approve/", {"comment": "ok"}, format="json")

    assert response.status_code == 200, response.json()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    notes = dict(
        Notification.objects.filter(ticket=ticket, recipient=ticket.created_by).values_list("event_type", "note__event_type")
    )
    assert notes == {
        NotificationEvent.APPROVAL_COMPLETED: EventType.APPROVAL_COMPLETED,
        NotificationEvent.STATUS_CHANGED: EventType.STATUS_CHANGE,
    }
    assert len(callbacks) == 1  # both e-mails in one task


@pytest.mark.django_db
def test_approve_one_slot_of_an_all_step(client_for: Any, django_assert_num_queries: Any) -> None:
    approvers, other = RoleFactory(), UserFactory()
    me = UserFactory(roles=[approvers])
    ticket = submitted_for_approval(client_for, "all", approvers, other)
    slot = ApprovalProcessStepApprover.objects.get(ticket=ticket, role=approvers)
    client = fresh(client_for, me)

    # Permissions 1, the slot (visibility) 1, savepoint 2, the lock and read 1, who may act 1, the slot UPDATE 1, the
    # timeline INSERT 1, is any slot of the step still pending 1 (yes: the step waits). No notification.
    with django_assert_num_queries(9):
        response = client.post(f"/api/v1/approvals/{slot.pk}/approve/", {"comment": "ok"}, format="json")

    assert response.status_code == 200, response.json()


# --- production terms: a real request ----------------------------------------------------------------------------


def bearer(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def production(settings: Any) -> None:
    """The task queue of production (the e-mail task is one INSERT at commit), and the default rule set as the
    migration made it (a transactional test before may have flushed it)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    defaults = importlib.import_module("notifications.migrations.0003_default_rules").DEFAULT_RULES
    for rule in defaults:
        NotificationRule.objects.update_or_create(name=rule["name"], defaults={**rule, "is_active": True})


def statements(client: APIClient, url: str, body: dict[str, Any]) -> int:
    """What X-Query-Count says for one POST (bench.middleware counts the same way)."""
    count = 0

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        response = client.post(url, body, format="json")
    assert response.status_code in (200, 201), response.json()
    return count


@pytest.mark.django_db(transaction=True)
def test_production_statements_of_create_comment_and_transition(production: None) -> None:
    creator, agent = UserFactory(), UserFactory(perms=["tickets.work_on_ticket"])
    ticket = TicketFactory(status=TicketStatus.IN_PROGRESS, created_by=creator, assignee=agent)
    requester, body = bearer(creator), ticket_body()
    worker = bearer(agent)

    # Authentication (the token's user with their permissions) 1 instead of the permissions 1, then as counted above
    # without the savepoint (- 2), and the transition's e-mail task 1.
    assert statements(requester, "/api/v1/tickets/", body) == 11 + BEGIN
    comment = {"note": "On my way."}
    assert statements(worker, f"/api/v1/tickets/{ticket.pk}/comments/", comment) == 8 + BEGIN
    assert statements(worker, f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "resolved"}) == 10 + BEGIN
    assert len(mail.outbox) == 0  # queued, not sent: the task waits for a worker


@pytest.mark.django_db(transaction=True)
def test_production_statements_of_approve(production: None) -> None:
    approvers = RoleFactory()
    me = UserFactory(roles=[approvers])
    UserFactory(roles=[approvers])
    ticket = TicketFactory(created_by=UserFactory(), approval_template=template_with(("any", [approvers])))
    bearer(ticket.created_by).post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "waiting_approval"})
    slot = ApprovalProcessStepApprover.objects.get(ticket=ticket)

    # Authentication 1 instead of the permissions 1, then as counted above without the savepoint (- 2), and the e-mail
    # task 1.
    assert statements(bearer(me), f"/api/v1/approvals/{slot.pk}/approve/", {"comment": "ok"}) == 13 + BEGIN


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


@pytest.mark.django_db
def test_the_events_of_one_service_reach_each_its_own_recipients(no_default_rules: None) -> None:
    creator, assignee = UserFactory(), UserFactory()
    ticket = TicketFactory(created_by=creator, assignee=assignee)
    NotificationRuleFactory(event_type=NotificationEvent.COMMENT_ADDED, notify_creator=True, channels=BOTH)
    NotificationRuleFactory(event_type=NotificationEvent.STATUS_CHANGED, notify_assignee=True, channels=BOTH)

    with transaction.atomic(), deferring():
        notify(Event(NotificationEvent.COMMENT_ADDED, ticket, None, "The system added a comment."))
        notify(Event(NotificationEvent.STATUS_CHANGED, ticket, None, "The system changed the status."))
        assert not Notification.objects.exists()  # both wait for the end, and are fanned out together

    received = set(Notification.objects.values_list("recipient", "event_type"))
    assert received == {(creator.pk, NotificationEvent.COMMENT_ADDED), (assignee.pk, NotificationEvent.STATUS_CHANGED)}


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
