"""SPEC §4's lifecycle table, row by row, for an allowed and a refused person; and every transition it refuses."""

import threading

import pytest
from django.db import connection

from approvals.models import ApprovalProcess, ProcessStatus
from approvals.tests.factories import template_with
from tests.factories import AdminFactory, UserFactory
from tickets import statemachine
from tickets.models import EventType, Ticket, TicketNote, TicketStatus
from tickets.services.tickets import ticket_system_transition
from tickets.tests.factories import TicketFactory
from ticketsite.errors import DomainConflict

pytestmark = pytest.mark.django_db

S = TicketStatus
PEOPLE = ("creator", "assignee", "agent", "bystander")


@pytest.fixture
def people() -> dict:
    return {
        "creator": UserFactory(username="creator"),
        "assignee": UserFactory(username="assignee"),
        "agent": UserFactory(username="agent", perms=["tickets.work_on_ticket"]),
        "bystander": UserFactory(username="bystander"),
        "approver": UserFactory(username="approver"),
    }


@pytest.fixture
def make_ticket(people, client_for):
    """A ticket in `status`; waiting_approval and rejected are reached through the real submit, so a process exists."""

    def make(status: str, *, with_approval: bool = False) -> Ticket:
        flow = template_with(("all", [people["approver"]])) if with_approval or status == S.WAITING_APPROVAL else None
        start = S.DRAFT if status == S.WAITING_APPROVAL else status
        ticket = TicketFactory(status=start, created_by=people["creator"], assignee=people["assignee"], approval_template=flow)
        if status == S.WAITING_APPROVAL:
            response = client_for(people["creator"]).post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": status})
            assert response.status_code == 200, response.json()
        return ticket

    return make


def post_transition(client, ticket, status, comment=""):
    return client.post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": status, "comment": comment})


def status_events(ticket):
    return list(TicketNote.objects.filter(ticket=ticket, event_type=EventType.STATUS_CHANGE).order_by("id"))


# (from, to, an allowed person, a refused person); "system" rows are walked below.
PERSON_ROWS = [
    (S.DRAFT, S.WAITING_APPROVAL, "creator", "agent"),
    (S.DRAFT, S.OPEN, "creator", "agent"),
    (S.DRAFT, S.CANCELLED, "creator", "assignee"),
    (S.WAITING_APPROVAL, S.DRAFT, "creator", "agent"),
    (S.REJECTED, S.DRAFT, "creator", "agent"),
    (S.OPEN, S.IN_PROGRESS, "assignee", "creator"),
    (S.OPEN, S.IN_PROGRESS, "agent", "bystander"),
    (S.IN_PROGRESS, S.RESOLVED, "assignee", "creator"),
    (S.IN_PROGRESS, S.RESOLVED, "agent", "bystander"),
    (S.RESOLVED, S.IN_PROGRESS, "creator", "bystander"),
    (S.RESOLVED, S.IN_PROGRESS, "assignee", "bystander"),
    (S.RESOLVED, S.IN_PROGRESS, "agent", "bystander"),
    (S.RESOLVED, S.CLOSED, "creator", "assignee"),
    (S.RESOLVED, S.CLOSED, "agent", "bystander"),
]


def _ids(rows):
    return [f"{source}->{target}:{allowed}/{refused}" for source, target, allowed, refused in rows]


def test_every_table_row_is_walked():
    walked = {(source, target) for source, target, _, _ in PERSON_ROWS} | {(row.source, row.target) for row in SYSTEM_ROWS}
    assert walked == {(row.source, row.target) for row in statemachine.TRANSITIONS}


@pytest.mark.parametrize(("source", "target", "allowed", "refused"), PERSON_ROWS, ids=_ids(PERSON_ROWS))
def test_person_row_allowed(source, target, allowed, refused, people, make_ticket, client_for):
    ticket = make_ticket(source, with_approval=target == S.WAITING_APPROVAL)
    before = len(status_events(ticket))

    response = post_transition(client_for(people[allowed]), ticket, target, comment="Because.")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == target
    ticket.refresh_from_db()
    assert ticket.status == target
    events = status_events(ticket)
    assert len(events) == before + 1
    assert events[-1].event_details == {"from": source, "to": target, "comment": "Because."}
    assert events[-1].created_by == people[allowed]


@pytest.mark.parametrize(("source", "target", "allowed", "refused"), PERSON_ROWS, ids=_ids(PERSON_ROWS))
def test_person_row_refused(source, target, allowed, refused, people, make_ticket, client_for):
    ticket = make_ticket(source, with_approval=target == S.WAITING_APPROVAL)
    before = len(status_events(ticket))

    response = post_transition(client_for(people[refused]), ticket, target)

    assert response.status_code == 403, response.json()
    error = response.json()["errors"][0]
    assert error["code"] == "permission_denied"
    assert f"'{source}'" in error["detail"]
    ticket.refresh_from_db()
    assert ticket.status == source
    assert len(status_events(ticket)) == before


SYSTEM_ROWS = [row for row in statemachine.TRANSITIONS if statemachine.Party.SYSTEM in row.who]


@pytest.mark.parametrize("row", SYSTEM_ROWS, ids=[f"{row.source}->{row.target}" for row in SYSTEM_ROWS])
def test_system_row_allowed_for_the_system(row, make_ticket):
    ticket = make_ticket(row.source)

    ticket_system_transition(ticket=ticket, to_status=row.target, comment="automatic")

    ticket.refresh_from_db()
    assert ticket.status == row.target
    event = status_events(ticket)[-1]
    assert event.event_details == {"from": row.source, "to": row.target, "comment": "automatic"}
    assert event.created_by is None


@pytest.mark.parametrize(
    "row", [row for row in SYSTEM_ROWS if row.source == S.WAITING_APPROVAL], ids=lambda row: f"{row.source}->{row.target}"
)
@pytest.mark.parametrize("person", ["creator", "agent"])
def test_system_only_row_refused_for_people(row, person, people, make_ticket, client_for):
    ticket = make_ticket(row.source)

    response = post_transition(client_for(people[person]), ticket, row.target)

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"
    ticket.refresh_from_db()
    assert ticket.status == S.WAITING_APPROVAL


def test_system_cannot_take_a_person_row(make_ticket):
    ticket = make_ticket(S.OPEN)

    with pytest.raises(DomainConflict):
        ticket_system_transition(ticket=ticket, to_status=S.IN_PROGRESS)

    ticket.refresh_from_db()
    assert ticket.status == S.OPEN
    assert status_events(ticket) == []


TABLE_PAIRS = {(row.source, row.target) for row in statemachine.TRANSITIONS}
REFUSED_PAIRS = [(source, target) for source in S.values for target in S.values if (source, target) not in TABLE_PAIRS]


@pytest.mark.parametrize(("source", "target"), REFUSED_PAIRS, ids=[f"{s}->{t}" for s, t in REFUSED_PAIRS])
def test_transition_not_in_the_table_is_a_conflict_even_for_a_superuser(source, target, client_for):
    # The superuser is creator, assignee and agent at once: only the state can refuse.
    admin = AdminFactory()
    ticket = TicketFactory(status=source, created_by=admin, assignee=admin)

    response = post_transition(client_for(admin), ticket, target)

    assert response.status_code == 409, response.json()
    error = response.json()["errors"][0]
    assert error["code"] == "invalid_transition"
    assert f"'{source}'" in error["detail"]
    allowed = statemachine.allowed_transitions(ticket, admin)
    assert f"transitions you may make: {', '.join(allowed) if allowed else 'none'}" in error["detail"]
    ticket.refresh_from_db()
    assert ticket.status == source
    assert status_events(ticket) == []


def test_submit_is_for_approval_when_the_ticket_has_an_approval_template(people, make_ticket, client_for):
    ticket = make_ticket(S.DRAFT, with_approval=True)
    creator = client_for(people["creator"])

    detail = creator.get(f"/api/v1/tickets/{ticket.pk}/").json()
    refused = post_transition(creator, ticket, S.OPEN)

    assert detail["allowed_transitions"] == ["waiting_approval", "cancelled"]
    assert refused.status_code == 409
    assert "transitions you may make: waiting_approval, cancelled" in refused.json()["errors"][0]["detail"]


def test_submit_is_to_open_without_an_approval_template(people, make_ticket, client_for):
    ticket = make_ticket(S.DRAFT)
    creator = client_for(people["creator"])

    detail = creator.get(f"/api/v1/tickets/{ticket.pk}/").json()
    refused = post_transition(creator, ticket, S.WAITING_APPROVAL)

    assert detail["allowed_transitions"] == ["open", "cancelled"]
    assert refused.status_code == 409


def test_allowed_transitions_depend_on_the_caller(people, make_ticket, client_for):
    ticket = make_ticket(S.RESOLVED)

    def allowed(person):
        return client_for(people[person]).get(f"/api/v1/tickets/{ticket.pk}/").json()["allowed_transitions"]

    assert allowed("creator") == ["in_progress", "closed"]
    assert allowed("assignee") == ["in_progress"]
    assert allowed("agent") == ["in_progress", "closed"]
    assert allowed("bystander") == []


def test_submit_starts_an_approval_process(people, make_ticket, client_for):
    ticket = make_ticket(S.DRAFT, with_approval=True)

    response = post_transition(client_for(people["creator"]), ticket, S.WAITING_APPROVAL)

    assert response.status_code == 200
    assert response.json()["allowed_transitions"] == ["draft"]
    process = ApprovalProcess.objects.get(ticket=ticket)
    assert process.status == ProcessStatus.RUNNING
    kinds = list(TicketNote.objects.filter(ticket=ticket, system=True).order_by("id").values_list("event_type", flat=True))
    assert kinds[:2] == [EventType.STATUS_CHANGE, EventType.APPROVAL_STARTED]


def test_submit_without_an_eligible_approver_rolls_everything_back(people, client_for):
    # The creator is the only approver: the approval engine refuses, and the status change is undone with it.
    flow = template_with(("all", [people["creator"]]))
    ticket = TicketFactory(created_by=people["creator"], approval_template=flow)

    response = post_transition(client_for(people["creator"]), ticket, S.WAITING_APPROVAL)

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == S.DRAFT
    assert not ApprovalProcess.objects.filter(ticket=ticket).exists()
    assert not TicketNote.objects.filter(ticket=ticket).exists()


def test_withdraw_cancels_the_running_process(people, make_ticket, client_for):
    ticket = make_ticket(S.WAITING_APPROVAL)

    response = post_transition(client_for(people["creator"]), ticket, S.DRAFT)

    assert response.status_code == 200
    assert ApprovalProcess.objects.get(ticket=ticket).status == ProcessStatus.CANCELLED
    assert TicketNote.objects.filter(ticket=ticket, event_type=EventType.APPROVAL_CANCELLED).exists()


def test_rejected_ticket_is_revised_and_resubmitted_with_a_new_process(people, make_ticket, client_for):
    ticket = make_ticket(S.WAITING_APPROVAL)
    ticket_system_transition(ticket=ticket, to_status=S.REJECTED)
    ApprovalProcess.objects.filter(ticket=ticket).update(status=ProcessStatus.REJECTED)
    creator = client_for(people["creator"])

    assert post_transition(creator, ticket, S.DRAFT).status_code == 200
    assert post_transition(creator, ticket, S.WAITING_APPROVAL).status_code == 200

    assert ApprovalProcess.objects.filter(ticket=ticket).count() == 2


def test_resolution_and_closing_times(people, make_ticket, client_for):
    ticket = make_ticket(S.IN_PROGRESS)
    agent = client_for(people["agent"])

    resolved = post_transition(agent, ticket, S.RESOLVED).json()
    reopened = post_transition(agent, ticket, S.IN_PROGRESS).json()
    post_transition(agent, ticket, S.RESOLVED)
    closed = post_transition(agent, ticket, S.CLOSED).json()

    assert resolved["resolved_at"] is not None
    assert reopened["resolved_at"] is None
    assert closed["closed_at"] is not None
    assert closed["resolved_at"] is not None
    assert closed["allowed_transitions"] == []


def test_invalid_status_value_is_a_validation_error(people, make_ticket, client_for):
    ticket = make_ticket(S.DRAFT)

    response = post_transition(client_for(people["creator"]), ticket, "done")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "status"


def test_transition_of_an_invisible_ticket_is_not_found(people, client_for):
    ticket = TicketFactory(created_by=people["creator"], visibility="restricted")

    response = post_transition(client_for(people["agent"]), ticket, S.CANCELLED)

    assert response.status_code == 404


def test_status_cannot_be_changed_by_a_plain_update(people, make_ticket, client_for):
    ticket = make_ticket(S.DRAFT)

    response = client_for(people["creator"]).patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "open"})

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == ("non_field_errors", "read_only")
    assert "status" in error["detail"]
    ticket.refresh_from_db()
    assert ticket.status == S.DRAFT


@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_produce_one_outcome(postgres_only, people, make_ticket):
    """Two agents start work on the same ticket at the same moment: one wins, the other gets 409."""
    from rest_framework.test import APIClient

    ticket = make_ticket(S.OPEN)
    second_agent = UserFactory(username="agent2", perms=["tickets.work_on_ticket"])
    barrier = threading.Barrier(2)
    codes = []

    def work(user, target):
        client = APIClient()
        client.force_authenticate(user=user)
        barrier.wait()
        try:
            codes.append(post_transition(client, ticket, target).status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(people["agent"], S.IN_PROGRESS)),
        threading.Thread(target=work, args=(second_agent, S.IN_PROGRESS)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes) == [200, 409]
    assert len(status_events(ticket)) == 1
