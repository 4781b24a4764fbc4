"""Meta-test (issue 9): every route of the URL conf is hunted for leaks or exempt for a stated reason.

A route is covered when the leak hunt (`tests/test_leak_hunt.py`, ROUTES: every method the route answers is called by
people who cannot see the restricted ticket) or the authorization matrix (`permissions/tests/test_matrix.py`, one row
per method) calls it. A new route that is neither covered nor listed in EXEMPT below fails here.
"""

from __future__ import annotations

import pytest
from django.urls import resolve

from permissions.tests.test_matrix import ENDPOINTS
from tests.test_leak_hunt import ROUTES, url_conf_routes

# Routes that hold no ticket data, each with the reason. The admin namespace is left out of this walk: it has its own,
# derived from the admin site (tests/test_admin_leak_hunt.py, with its own meta-test that every admin route is walked
# or exempt), where staff without view_all_tickets find restricted tickets only as the API would show them.
EXEMPT: dict[str, str] = {
    "token-obtain": "takes a username and password, answers tokens; reads no ticket",
    "token-refresh": "takes a refresh token, answers tokens; reads no ticket",
    "token-verify": "takes a token, answers 200 or 401; reads no ticket",
    "logout": "takes a refresh token and blacklists it; reads no ticket",
}


def matrix_calls() -> set[tuple[str, str]]:
    """(route name, method) of every row of the authorization matrix."""
    ids = dict.fromkeys(["ticket", "slot", "grant", "note", "attachment", "access_request"], 1)
    return {(resolve("/api/v1/" + endpoint.path.format(**ids)).url_name or "", endpoint.method) for endpoint in ENDPOINTS}


def test_every_route_is_hunted_for_leaks_or_exempt_with_a_reason():
    matrix = matrix_calls()
    uncovered = [
        f"{route.pattern} ({route.name or 'unnamed'}) {method.upper()}"
        for route in url_conf_routes()
        for method in route.methods
        if route.name not in ROUTES and route.name not in EXEMPT and (route.name, method) not in matrix
    ]

    assert uncovered == [], f"Add to tests/test_leak_hunt.py ROUTES (or EXEMPT here, with a reason): {uncovered}"


def test_the_walk_sees_the_api():
    """Guards the meta-test itself: an empty or partial walk would make it pass vacuously."""
    names = {route.name for route in url_conf_routes()}

    assert {"ticket-list", "ticket-detail", "attachment-download", "access-request-approve", "notification-list"} <= names
    assert all(route.methods for route in url_conf_routes())
    assert not any(route.pattern.startswith("admin/") for route in url_conf_routes())


@pytest.mark.parametrize("listed", [ROUTES, EXEMPT], ids=["ROUTES", "EXEMPT"])
def test_no_stale_entries(listed):
    """Entries naming routes that no longer exist would hide a renamed route."""
    names = {route.name for route in url_conf_routes()}

    assert sorted(set(listed) - names) == []

    assert all(reason.strip() for reason in EXEMPT.values())
