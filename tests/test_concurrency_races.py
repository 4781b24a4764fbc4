"""Races on PostgreSQL (issue 9), with real threads (each its own connection) released together by one barrier.

Two transitions of one ticket, and two decisions of the same kind on one access request: exactly one succeeds, the
others answer 409 with the code that says why, and the timeline holds one set of events. Each of these fails when the
service's `select_for_update` is removed (evidence in the issue's closing note).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from permissions.models import AccessRequestStatus, TicketViewPermission
from permissions.tests.factories import AccessRequestFactory, GrantFactory
from tests.concurrency import responses_at_once
from tests.factories import UserFactory
from tickets.models import EventType, TicketNote, TicketStatus
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent connections"),
    pytest.mark.django_db(transaction=True),
]


def as_user(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def codes(responses: list[Any]) -> list[int]:
    return sorted(response.status_code for response in responses)


def error_codes(responses: list[Any]) -> set[str]:
    return {response.json()["errors"][0]["code"] for response in responses if response.status_code >= 400}


def events(ticket: Any, *event_types: str) -> list[str]:
    notes = TicketNote.objects.filter(ticket=ticket, event_type__in=event_types).order_by("id")
    return list(notes.values_list("event_type", flat=True))


def transition(user: Any, ticket: Any, status: str) -> Callable[[], Any]:
    url = f"/api/v1/tickets/{ticket.pk}/transition/"
    return lambda: as_user(user).post(url, {"status": status, "comment": f"{user.username} to {status}"}, format="json")


# --- two transitions of one ticket ------------------------------------------------------------------------------------


def test_closing_and_reopening_a_resolved_ticket_at_once_gives_one_outcome():
    creator, assignee = UserFactory(), UserFactory()
    closer, reopener = UserFactory(perms=["tickets.work_on_ticket"]), UserFactory(perms=["tickets.work_on_ticket"])
    ticket = TicketFactory(status=TicketStatus.RESOLVED, created_by=creator, assignee=assignee)

    responses = responses_at_once(
        transition(creator, ticket, TicketStatus.CLOSED),
        transition(assignee, ticket, TicketStatus.IN_PROGRESS),
        transition(closer, ticket, TicketStatus.CLOSED),
        transition(reopener, ticket, TicketStatus.IN_PROGRESS),
    )

    assert codes(responses) == [200, 409, 409, 409]
    assert error_codes(responses) == {"invalid_transition"}
    winner = next(response for response in responses if response.status_code == 200)
    ticket.refresh_from_db()
    assert ticket.status == winner.json()["status"]
    changes = TicketNote.objects.filter(ticket=ticket, event_type=EventType.STATUS_CHANGE)
    assert [(note.event_details["from"], note.event_details["to"]) for note in changes] == [("resolved", ticket.status)]


def test_the_same_transition_by_several_people_at_once_happens_once():
    assignee = UserFactory()
    agents = [UserFactory(perms=["tickets.work_on_ticket"]) for _ in range(3)]
    ticket = TicketFactory(status=TicketStatus.IN_PROGRESS, assignee=assignee)

    responses = responses_at_once(*[transition(user, ticket, TicketStatus.RESOLVED) for user in [assignee, *agents]])

    assert codes(responses) == [200, 409, 409, 409]
    assert error_codes(responses) == {"invalid_transition"}
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert events(ticket, EventType.STATUS_CHANGE) == [EventType.STATUS_CHANGE]
    winner = next(response for response in responses if response.status_code == 200)
    assert ticket.resolved_at.isoformat().replace("+00:00", "Z") == winner.json()["resolved_at"].replace("+00:00", "Z")


# --- two decisions on one access request ------------------------------------------------------------------------------


def managers_of(ticket: Any) -> list[Any]:
    """Four people who may decide the ticket's access requests: creator, assignee, two permission managers."""
    managers = [UserFactory(perms=["permissions.manage_ticket_permissions"]) for _ in range(2)]
    for manager in managers:
        GrantFactory(ticket=ticket, user=manager)  # the permission alone does not show them the ticket
    return [ticket.created_by, ticket.assignee, *managers]


def decide(user: Any, access_request: Any, verb: str) -> Callable[[], Any]:
    url = f"/api/v1/access-requests/{access_request.pk}/{verb}/"
    return lambda: as_user(user).post(url, {"comment": f"{user.username}: {verb}"}, format="json")


def test_several_managers_approving_one_request_at_once_give_one_grant():
    ticket = RestrictedTicketFactory(assignee=UserFactory())
    access_request = AccessRequestFactory(ticket=ticket)

    responses = responses_at_once(*[decide(manager, access_request, "approve") for manager in managers_of(ticket)])

    assert codes(responses) == [200, 409, 409, 409]
    assert error_codes(responses) == {"already_decided"}
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.APPROVED
    assert TicketViewPermission.objects.filter(ticket=ticket, user=access_request.requester).count() == 1
    assert events(ticket, EventType.PERMISSION_GRANTED, EventType.ACCESS_GRANTED, EventType.ACCESS_DENIED) == [
        EventType.PERMISSION_GRANTED,
        EventType.ACCESS_GRANTED,
    ]


def test_several_managers_denying_one_request_at_once_give_one_decision():
    ticket = RestrictedTicketFactory(assignee=UserFactory())
    access_request = AccessRequestFactory(ticket=ticket)

    responses = responses_at_once(*[decide(manager, access_request, "deny") for manager in managers_of(ticket)])

    assert codes(responses) == [200, 409, 409, 409]
    assert error_codes(responses) == {"already_decided"}
    winner = next(response for response in responses if response.status_code == 200)
    access_request.refresh_from_db()
    assert (access_request.status, access_request.decision_comment) == (
        AccessRequestStatus.DENIED,
        winner.json()["decision_comment"],
    )
    assert events(ticket, EventType.ACCESS_GRANTED, EventType.ACCESS_DENIED) == [EventType.ACCESS_DENIED]
    assert not TicketViewPermission.objects.filter(ticket=ticket, user=access_request.requester).exists()
