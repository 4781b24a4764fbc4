"""tickets.services.bulk: one action on many tickets, each through its own service call and permission check, with one
result per id; hidden ids answer exactly like unknown ones; parameters are checked before any ticket."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from tickets.models import EventType, Ticket, TicketNote, TicketPriority, TicketStatus
from tickets.services.bulk import MAX_BULK_IDS, BulkAction, BulkResult, bulk_apply
from tickets.tests.factories import LabelFactory, RestrictedTicketFactory, TicketFactory
from ticketsite.errors import DomainValidationError

pytestmark = pytest.mark.django_db

NO_SUCH_ID = 9_000_000_000_000


@pytest.fixture
def agent():
    return UserFactory(perms=["tickets.work_on_ticket"])


def events(ticket: Ticket, event_type: str) -> list[TicketNote]:
    return list(TicketNote.objects.filter(ticket=ticket, event_type=event_type))


def outcome(results: list[BulkResult]) -> list[tuple[int, str]]:
    return [(result.ticket_id, result.code) for result in results]


def test_each_ticket_gets_its_own_result_in_the_order_given(agent):
    open_ticket = TicketFactory(status=TicketStatus.OPEN, priority=TicketPriority.LOW)
    closed = TicketFactory(status=TicketStatus.CLOSED, priority=TicketPriority.LOW)
    hidden = RestrictedTicketFactory(status=TicketStatus.OPEN, priority=TicketPriority.LOW)
    ids = [closed.pk, open_ticket.pk, hidden.pk, NO_SUCH_ID, open_ticket.pk]

    results = bulk_apply(actor=agent, ticket_ids=ids, action=BulkAction.PRIORITY, params={"priority": "high"})

    assert outcome(results) == [
        (closed.pk, "ticket_final"),
        (open_ticket.pk, "ok"),
        (hidden.pk, "not_found"),
        (NO_SUCH_ID, "not_found"),
    ]  # a repeated id is one ticket, one result
    assert results[0].detail == f"Ticket {closed.key} is 'closed'; a final ticket cannot be edited."
    assert results[1].ok and results[1].ticket == open_ticket and results[1].detail == ""
    assert [Ticket.objects.get(pk=pk).priority for pk in (open_ticket.pk, closed.pk, hidden.pk)] == ["high", "low", "low"]


def test_a_hidden_ticket_answers_exactly_like_one_that_does_not_exist(agent):
    hidden = RestrictedTicketFactory(status=TicketStatus.OPEN, title="Secret")
    deleted = TicketFactory(status=TicketStatus.OPEN)
    deleted.soft_delete(actor=None)

    results = bulk_apply(
        actor=agent, ticket_ids=[hidden.pk, deleted.pk, NO_SUCH_ID, 2**63], action="priority", params={"priority": "high"}
    )

    answers = {(result.code, result.detail, result.ticket) for result in results}
    assert answers == {("not_found", "Not found.", None)}
    assert Ticket.all_objects.get(pk=hidden.pk).priority == "medium"
    assert events(hidden, EventType.PRIORITY_CHANGE) == []


def test_the_permission_check_of_each_ticket_is_the_services(agent):
    """A requester may not change priority (SPEC §4); the agent's own ticket and the requester's differ per row."""
    requester = UserFactory()
    theirs = TicketFactory(status=TicketStatus.OPEN, created_by=requester)

    results = bulk_apply(actor=requester, ticket_ids=[theirs.pk], action="priority", params={"priority": "urgent"})

    assert outcome(results) == [(theirs.pk, "permission_denied")]
    assert "You may not change 'priority'" in results[0].detail
    assert Ticket.objects.get(pk=theirs.pk).priority == "medium"


def test_a_transition_not_allowed_from_a_ticket_status_is_refused_for_that_ticket_only(agent):
    open_ticket = TicketFactory(status=TicketStatus.OPEN)
    draft = TicketFactory(status=TicketStatus.DRAFT)

    results = bulk_apply(
        actor=agent,
        ticket_ids=[open_ticket.pk, draft.pk],
        action="transition",
        params={"status": "in_progress", "comment": "On it"},
    )

    assert outcome(results) == [(open_ticket.pk, "ok"), (draft.pk, "invalid_transition")]
    assert "Cannot move from 'draft' to 'in_progress'." in results[1].detail
    assert Ticket.objects.get(pk=open_ticket.pk).status == "in_progress"
    assert Ticket.objects.get(pk=draft.pk).status == "draft"
    [event] = events(open_ticket, EventType.STATUS_CHANGE)
    assert (event.event_details["to"], event.event_details["comment"], event.created_by) == ("in_progress", "On it", agent)
    assert events(draft, EventType.STATUS_CHANGE) == []


def test_assign_records_one_event_per_changed_ticket_and_none_for_a_no_op(agent):
    other = UserFactory(perms=["tickets.work_on_ticket"])
    free, taken, already = (TicketFactory(status=TicketStatus.OPEN) for _ in range(3))
    Ticket.objects.filter(pk=taken.pk).update(assignee=other)
    Ticket.objects.filter(pk=already.pk).update(assignee=agent)

    results = bulk_apply(
        actor=agent, ticket_ids=[free.pk, taken.pk, already.pk], action="assign", params={"assignee": agent.pk}
    )

    assert [result.code for result in results] == ["ok", "ok", "ok"]
    assert set(Ticket.objects.filter(pk__in=[free.pk, taken.pk, already.pk]).values_list("assignee", flat=True)) == {agent.pk}
    assert [len(events(ticket, EventType.ASSIGNEE_CHANGE)) for ticket in (free, taken, already)] == [1, 1, 0]
    assert events(taken, EventType.ASSIGNEE_CHANGE)[0].event_details == {"field": "assignee", "old": other.pk, "new": agent.pk}


def test_assign_to_nobody_unassigns(agent):
    ticket = TicketFactory(status=TicketStatus.OPEN, assignee=agent)

    bulk_apply(actor=agent, ticket_ids=[ticket.pk], action="assign", params={"assignee": None})

    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_add_label_keeps_the_labels_a_ticket_has(agent):
    urgent, vip = LabelFactory(name="urgent"), LabelFactory(name="vip")
    labelled = TicketFactory(status=TicketStatus.OPEN, labels=[urgent])
    has_it = TicketFactory(status=TicketStatus.OPEN, labels=[vip])

    results = bulk_apply(actor=agent, ticket_ids=[labelled.pk, has_it.pk], action="add_label", params={"label": vip.pk})

    assert [result.code for result in results] == ["ok", "ok"]
    assert sorted(Ticket.objects.get(pk=labelled.pk).labels.values_list("name", flat=True)) == ["urgent", "vip"]
    assert [label.event_details["name"] for label in events(labelled, EventType.LABEL_ADD)] == ["vip"]
    assert events(has_it, EventType.LABEL_ADD) == []


@pytest.mark.parametrize(
    ("ids", "action", "params", "field", "code"),
    [
        ([], "priority", {"priority": "high"}, "ids", "empty"),
        ([1, *range(NO_SUCH_ID, NO_SUCH_ID + MAX_BULK_IDS)], "priority", {"priority": "high"}, "ids", "max_length"),
        ([1], "delete", {}, "action", "invalid_choice"),
        ([1], "priority", {}, "priority", "required"),
        ([1], "priority", {"priority": "asap"}, "priority", "invalid_choice"),
        ([1], "assign", {}, "assignee", "required"),
        ([1], "assign", {"assignee": "1"}, "assignee", "required"),
        ([1], "assign", {"assignee": NO_SUCH_ID}, "assignee", "inactive"),
        ([1], "add_label", {"label": NO_SUCH_ID}, "label", "does_not_exist"),
        ([1], "transition", {"status": "gone"}, "status", "invalid_choice"),
        ([1], "transition", {"status": "resolved", "comment": "x" * 5001}, "comment", "max_length"),
    ],
)
def test_bad_parameters_refuse_the_whole_request_before_any_ticket(ids, action, params, field, code, agent):
    ticket = TicketFactory(status=TicketStatus.OPEN)
    ids = [ticket.pk if pk == 1 else pk for pk in ids]

    with pytest.raises(DomainValidationError) as refused:
        bulk_apply(actor=agent, ticket_ids=ids, action=action, params=params)

    assert list(refused.value.detail) == [field]
    assert refused.value.get_codes() == {field: [code]}
    assert TicketNote.objects.filter(ticket=ticket).count() == 0


def test_an_inactive_assignee_is_refused(agent):
    gone = UserFactory(is_active=False)

    with pytest.raises(DomainValidationError):
        bulk_apply(actor=agent, ticket_ids=[TicketFactory().pk], action="assign", params={"assignee": gone.pk})


def test_a_refused_ticket_does_not_undo_the_ones_before_it(agent):
    """Each ticket in its own savepoint: the refusal of the second rolls back only its own work."""
    first, final, third = (
        TicketFactory(status=TicketStatus.OPEN),
        TicketFactory(status=TicketStatus.CANCELLED),
        TicketFactory(status=TicketStatus.OPEN),
    )

    results = bulk_apply(actor=agent, ticket_ids=[first.pk, final.pk, third.pk], action="priority", params={"priority": "low"})

    assert [result.code for result in results] == ["ok", "ticket_final", "ok"]
    assert list(Ticket.objects.filter(priority="low").order_by("pk").values_list("pk", flat=True)) == [first.pk, third.pk]


def queries_for(action: str, count: int) -> int:
    actor = UserFactory(perms=["tickets.work_on_ticket"])  # a fresh user: its permissions are read once per call
    params = {
        "priority": {"priority": "high"},
        "assign": {"assignee": actor.pk},
        "transition": {"status": "in_progress", "comment": "Started"},
        "add_label": {"label": LabelFactory().pk},
    }[action]
    tickets = [TicketFactory(status=TicketStatus.OPEN, priority=TicketPriority.LOW) for _ in range(count)]
    with CaptureQueriesContext(connection) as queries:
        results = bulk_apply(actor=actor, ticket_ids=[ticket.pk for ticket in tickets], action=action, params=params)
    assert all(result.ok for result in results)
    return len(queries)


@pytest.mark.parametrize(
    ("action", "per_ticket"),
    [
        # In a test's transaction each ticket is a savepoint (2 queries; adding a label, 4) around what its service
        # costs alone: the row lock, the update and the timeline event, then what the notification rules of the event
        # need (none for a priority change here; the rules for an assignment; rules, recipients with their e-mail
        # preferences (the timeline entry in hand), and a notification for a status change). Adding a label
        # first reads the labels under the lock, then ticket_update compares and sets them. A priority change also looks
        # for the service-level policy the ticket matches now (none here).
        ("priority", 6),
        ("assign", 6),
        ("transition", 8),
        ("add_label", 14),
    ],
)
def test_each_ticket_costs_the_same_fixed_number_of_queries(action, per_ticket):
    """One query finds the visible tickets; then each ticket costs what its service costs alone, the same for each,
    so 500 ids cost a known number of queries."""
    at_5, at_10, at_20 = (queries_for(action, count) for count in (5, 10, 20))

    assert at_10 - at_5 == 5 * per_ticket
    assert at_20 - at_10 == 10 * per_ticket
