"""SPEC §4 "who may edit what" and soft delete, as complete matrices: every status, every kind of person, every field.

The expectations are written here from the SPEC's sentences, not read from the service's tables, so a drift between
the two fails a test.
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from approvals.tests.factories import ApprovalTemplateFactory
from tests.factories import UserFactory
from tickets.models import Ticket, TicketNote, TicketStatus
from tickets.tests.factories import CategoryFactory, LabelFactory, TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db

S = TicketStatus
ALL_STATUSES = list(S.values)
FINAL = {S.CLOSED, S.CANCELLED}
PEOPLE = ["creator", "assignee", "agent", "bystander", "admin"]

# The SPEC, sentence by sentence.
CREATOR_WHILE_DRAFT = {"title", "description", "custom_fields", "categories", "labels"}  # while draft or rejected
CREATOR_ANY_TIME = {"visibility"}  # in any non-final status
WORKERS = {"priority", "assignee", "due_at", "categories", "labels"}  # agents and the assignee, any non-final status
# Tried one after the other on the same ticket: the assignee and the visibility change who sees and works on the ticket,
# so they come last (assignee before visibility: making the ticket restricted hides it from a staff admin).
FIELDS = ["title", "description", "custom_fields", "categories", "labels", "priority", "due_at", "approval_template"]
FIELDS += ["assignee", "visibility"]  # approval_template: "admins edit anything"

SCHEMA = {"type": "object", "properties": {"serial": {"type": "string"}}}


def expected_answer(status: str, person: str, field: str) -> int:
    if status in FINAL:
        return 409  # nobody edits a final ticket
    if person == "admin":
        return 200
    allowed = set()
    if person == "creator":
        allowed |= CREATOR_ANY_TIME
        if status in (S.DRAFT, S.REJECTED):
            allowed |= CREATOR_WHILE_DRAFT
    if person in ("assignee", "agent"):
        allowed |= WORKERS
    return 200 if field in allowed else 403


@pytest.fixture
def people():
    return {
        "creator": UserFactory(username="creator"),
        "assignee": UserFactory(username="assignee"),
        "agent": UserFactory(username="agent", perms=["tickets.work_on_ticket"]),
        "bystander": UserFactory(username="bystander"),
        # Staff with the model permissions, and nothing else: not the creator, not an agent.
        "admin": UserFactory(username="ticketadmin", is_staff=True, perms=["tickets.change_ticket", "tickets.delete_ticket"]),
    }


def make_ticket(status: str, people: dict) -> Ticket:
    return TicketFactory(
        status=status,
        created_by=people["creator"],
        assignee=people["assignee"],
        template=TicketTemplateFactory(custom_fields_schema=SCHEMA),
        custom_fields={"serial": "A-1"},
        title="Old title",
        description="Old description",
        priority="medium",
        visibility="internal",
        categories=[CategoryFactory()],
        labels=[LabelFactory()],
    )


def new_value(field: str, people: dict):
    """A value different from make_ticket's, valid for the field."""
    return {
        "title": "New title",
        "description": "New description",
        "custom_fields": {"serial": "B-2"},
        "categories": [CategoryFactory().pk],
        "labels": [LabelFactory().pk],
        "visibility": "restricted",
        "priority": "urgent",
        "assignee": people["agent"].pk,
        "due_at": (timezone.now() + timedelta(days=3)).isoformat(),
        "approval_template": ApprovalTemplateFactory().pk,
    }[field]


def stored(ticket: Ticket, field: str):
    ticket.refresh_from_db()
    if field in ("categories", "labels"):
        return sorted(getattr(ticket, field).values_list("pk", flat=True))
    if field in ("assignee", "approval_template"):
        return getattr(ticket, f"{field}_id")
    if field == "due_at":
        return ticket.due_at.isoformat() if ticket.due_at else None
    return getattr(ticket, field)


def as_sent(field: str, value):
    if field == "due_at":
        return datetime.fromisoformat(value)
    return sorted(value) if isinstance(value, list) else value


def attempt(client, ticket: Ticket, field: str, value, actor) -> dict:
    """PATCH one field; what came back and what the database shows afterwards."""
    before = stored(ticket, field)
    events_before = TicketNote.objects.filter(ticket=ticket, system=True).count()
    response = client.patch(f"/api/v1/tickets/{ticket.pk}/", {field: value}, format="json")
    body = response.json()
    events = TicketNote.objects.filter(ticket=ticket, system=True).order_by("id")[events_before:]
    return {
        "status": response.status_code,
        "code": body["errors"][0]["code"] if response.status_code >= 400 else None,
        "answered": as_sent(field, body[field]) == as_sent(field, value) if response.status_code == 200 else None,
        "changed": stored(ticket, field) != before,
        "events_by_actor": bool(events) and {event.created_by for event in events} == {actor},
    }


def expected_outcome(status: str, person: str, field: str) -> dict:
    answer = expected_answer(status, person, field)
    refusal = {403: "permission_denied", 409: "ticket_final"}.get(answer)
    ok = answer == 200
    return {"status": answer, "code": refusal, "answered": True if ok else None, "changed": ok, "events_by_actor": ok}


EDIT_MATRIX = [(status, person) for status in ALL_STATUSES for person in PEOPLE]


def test_the_matrix_names_every_field_the_api_accepts():
    from tickets.api.inputs import TicketUpdateSerializer

    assert set(FIELDS) == set(TicketUpdateSerializer().fields)


@pytest.mark.parametrize(("status", "person"), EDIT_MATRIX, ids=[f"{s}-{p}" for s, p in EDIT_MATRIX])
def test_who_may_edit_what(status, person, people, client_for):
    """Each field PATCHed alone: allowed changes are stored, answered and recorded with the actor; refused ones change
    and record nothing."""
    ticket = make_ticket(status, people)
    client = client_for(people[person])

    outcomes = {field: attempt(client, ticket, field, new_value(field, people), people[person]) for field in FIELDS}

    assert outcomes == {field: expected_outcome(status, person, field) for field in FIELDS}
    ticket.refresh_from_db()
    edited = any(expected_answer(status, person, field) == 200 for field in FIELDS)
    assert ticket.updated_by == (people[person] if edited else people["creator"])


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_the_creator_may_edit_every_draft_field_at_once_only_while_draft_or_rejected(status, people, client_for):
    ticket = make_ticket(status, people)
    body = {field: new_value(field, people) for field in sorted(CREATOR_WHILE_DRAFT)}

    response = client_for(people["creator"]).patch(f"/api/v1/tickets/{ticket.pk}/", body, format="json")

    expected = 409 if status in FINAL else 200 if status in (S.DRAFT, S.REJECTED) else 403
    assert response.status_code == expected, response.json()
    changes = TicketNote.objects.filter(ticket=ticket, system=True).count()
    # title, description, custom_fields: one field_change each; one category and one label swapped: add + remove each
    assert changes == (7 if expected == 200 else 0)


# --- soft delete -----------------------------------------------------------------------------------------------------


def expected_delete(status: str, person: str) -> int:
    if person == "admin":
        return 204  # admins any time
    if person == "creator":
        return 204 if status == S.DRAFT else 409  # the creator while draft
    return 403


DELETE_MATRIX = [(status, person) for status in ALL_STATUSES for person in PEOPLE]


@pytest.mark.parametrize(("status", "person"), DELETE_MATRIX, ids=[f"{s}-{p}" for s, p in DELETE_MATRIX])
def test_who_may_delete(status, person, people, client_for):
    ticket = make_ticket(status, people)
    expected = expected_delete(status, person)
    client = client_for(people[person])

    response = client.delete(f"/api/v1/tickets/{ticket.pk}/")

    assert response.status_code == expected, response.content
    row = Ticket.all_objects.get(pk=ticket.pk)
    if expected == 204:
        assert (row.is_deleted, row.deleted_by) == (True, people[person])
        assert row.deleted_at is not None
        # Gone for everybody, its creator included; still in the database.
        assert client_for(people["creator"]).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
        assert client_for(people["agent"]).get("/api/v1/tickets/").json()["count"] == 0
    else:
        assert response.json()["errors"][0]["code"] == ("invalid_state" if expected == 409 else "permission_denied")
        assert (row.is_deleted, row.deleted_by, row.deleted_at) == (False, None, None)
        assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200


def test_a_deleted_ticket_cannot_be_changed_through_any_path(people, client_for):
    ticket = make_ticket(S.DRAFT, people)
    creator = client_for(people["creator"])
    assert creator.delete(f"/api/v1/tickets/{ticket.pk}/").status_code == 204
    notes_before = TicketNote.all_objects.filter(ticket=ticket).count()

    responses = [
        creator.patch(f"/api/v1/tickets/{ticket.pk}/", {"title": "Back"}, format="json"),
        creator.post(f"/api/v1/tickets/{ticket.pk}/transition/", {"status": "open"}, format="json"),
        creator.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"note": "hello?"}, format="json"),
        creator.delete(f"/api/v1/tickets/{ticket.pk}/"),
        client_for(people["admin"]).delete(f"/api/v1/tickets/{ticket.pk}/"),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert TicketNote.all_objects.filter(ticket=ticket).count() == notes_before
    assert Ticket.all_objects.get(pk=ticket.pk).title == "Old title"
