"""Leak hunt of the access pages (workspace/tests/leak.py): nothing of the hidden ticket reaches those who cannot see it
through grants, access requests, their decisions, or asking for access."""

from __future__ import annotations

import pytest

from permissions import services as permission_services
from tests.test_leak_hunt import COLUMNS, MARKER, SEARCH
from workspace.tests.leak import TICKET_KEY, hunt

pytestmark = pytest.mark.django_db

HUNTED: dict[str, dict[str, str]] = {
    "access-requests": {},
    "access-request-decide": {"request_id": "access_request"},
    "grant-add": {"key": TICKET_KEY},
    "grant-revoke": {"key": TICKET_KEY, "grant_id": "grant"},
    "request-access": {"key": TICKET_KEY},
}

# Routes that take only POST answer a GET with 405 for everyone, whatever the address names: no 404 to expect there.
POST_ONLY = ["access-request-decide", "grant-add", "grant-revoke", "request-access"]


@pytest.mark.parametrize("name", POST_ONLY)
def test_a_get_of_a_post_only_route_leaks_nothing(world, name):
    hunt(world, name, HUNTED[name], method="get", expect_404=False)


def test_the_access_requests_page(world):
    hunt(world, "access-requests", HUNTED["access-requests"])


def test_the_access_requests_page_with_parameters_naming_the_ticket(world):
    ticket = world.ticket
    query = f"page=2&mine_page=2&ticket={ticket.pk}&q={SEARCH}&status=pending&ordering=ticket__title&key={ticket.key}"
    hunt(world, "access-requests", HUNTED["access-requests"], query=query)


def test_the_access_requests_page_of_people_who_asked_for_access(world):
    """Their own requests are listed, and nothing of the ticket with them (not even its key)."""
    for column in COLUMNS:
        permission_services.access_request_create(ticket=world.ticket, requester=world.people[column], reason="Let me in")
    hunt(world, "access-requests", HUNTED["access-requests"])


@pytest.mark.parametrize(
    "data",
    [{"decision": "approve"}, {"decision": "deny", "comment": "No"}, {"decision": "deny"}, {}],
    ids=["approve", "deny", "deny-blank", "empty"],
)
def test_deciding_the_hidden_tickets_request(world, data):
    hunt(world, "access-request-decide", HUNTED["access-request-decide"], method="post", data=data)


def test_granting_on_the_hidden_ticket(world):
    for data in ({"user": world.people["unrelated"].username}, {"user": "no-such-user"}, {}):
        hunt(world, "grant-add", HUNTED["grant-add"], method="post", data=data)


def test_revoking_a_grant_of_the_hidden_ticket(world):
    hunt(world, "grant-revoke", HUNTED["grant-revoke"], method="post")


@pytest.mark.parametrize("reason", ["Let me in", "", f"Searching {MARKER[:-3]}"], ids=["reason", "blank", "probe"])
def test_asking_for_access_reveals_only_that_the_ticket_exists(world, reason):
    """The one route where a hidden ticket is addressable (like the API's POST access-requests): no 404, nothing of it."""
    hunt(world, "request-access", HUNTED["request-access"], method="post", data={"reason": reason}, expect_404=False)


def test_the_page_at_the_hidden_tickets_address(world):
    """The ticket page's 404 (hunted with its route by the ticket page's module) is the access area's page: again."""
    hunt(world, "ticket", {"key": TICKET_KEY})
