"""The workspace's leak hunt: the API's world (tests/test_leak_hunt.py: one restricted ticket with a marker in every
part of it, and people who cannot see it, each in a different way) walked through every workspace page.

Each area's `test_leak_<area>.py` declares HUNTED (route name -> how its URL is filled) and calls `hunt` for every
route and method; test_route_coverage.py fails on a workspace route that no module hunts or exempts.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from tests.clients import signed_in_client
from tests.test_leak_hunt import COLUMNS, HIDDEN_IDS, KEY, MARKER, TITLE, World, build_world, text_of

# URL keyword values: a world id name (tests/test_leak_hunt.World.ids), or "ticket_key" for the hidden ticket's key.
TICKET_KEY = "ticket_key"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once per module in a transaction rolled back at the end; each test runs in a savepoint on top."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")), django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def url_of(world: World, name: str, spec: dict[str, str], query: str = "") -> str:
    kwargs = {kw: (world.ticket.key if value == TICKET_KEY else world.ids[value]) for kw, value in spec.items()}
    url = reverse(f"workspace:{name}", kwargs=kwargs)
    return f"{url}?{query}" if query else url


def addresses_hidden(spec: dict[str, str]) -> bool:
    return any(value == TICKET_KEY or value in HIDDEN_IDS for value in spec.values())


def assert_nothing_leaks(response: Any, who: str) -> None:
    text = text_of(response)
    for secret in (MARKER, TITLE, KEY):
        assert secret not in text, f"{who}: {secret!r} in {response.status_code} {response.get('Location', '')}"


def hunt(
    world: World,
    name: str,
    spec: dict[str, str],
    *,
    method: str = "get",
    data: dict[str, Any] | None = None,
    query: str = "",
    expect_404: bool | None = None,
) -> None:
    """Every column calls the route: nothing of the hidden ticket in any response, and a route addressing something of
    it answers 404 (unless expect_404=False: the one page that lets a person ask for access)."""
    url = url_of(world, name, spec, query)
    must_404 = addresses_hidden(spec) if expect_404 is None else expect_404
    for column in COLUMNS:
        client = signed_in_client(world.people[column])
        response = getattr(client, method)(url, data or {})
        assert_nothing_leaks(response, column)
        if must_404:
            assert response.status_code == 404, f"{column}: {method.upper()} {url} -> {response.status_code}"
        else:
            assert response.status_code < 500, f"{column}: {method.upper()} {url} -> {response.status_code}"
