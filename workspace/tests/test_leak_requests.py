"""Leak hunt of the requester's pages (workspace/tests/leak.py): nothing of the hidden ticket reaches those who cannot
see it through My requests (any status group, search or page), the catalogue, the new request form (its template is
the hidden ticket's) or the edit page at the hidden ticket's key (404)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.test_leak_hunt import COLUMNS, KEY, MARKER, SEARCH, TITLE
from workspace.tests.leak import TICKET_KEY, hunt

pytestmark = pytest.mark.django_db

HUNTED: dict[str, dict[str, str]] = {
    "my-requests": {},
    "new-request": {},
    "new-request-blank": {},
    "new-request-form": {"template_id": "ticket_template"},
    "ticket-edit": {"key": TICKET_KEY},
}


@pytest.mark.parametrize(
    "query",
    ["", f"q={SEARCH}", f"q={TITLE[:12]}&status=closed", "status=all&page=2", "status=open&page=9"],
    ids=["plain", "search", "title", "page", "past-the-end"],
)
def test_my_requests(world, query):
    hunt(world, "my-requests", HUNTED["my-requests"], query=query)


def test_my_requests_searched_by_the_hidden_key(world):
    """The search box shows the key typed into it, so `hunt` (no key anywhere) does not apply: no row, no title."""
    for column in COLUMNS:
        client = Client()
        client.force_login(world.people[column])
        page = client.get("/requests/", {"q": KEY, "status": "all"}).content.decode()
        assert "No requests match" in page, column
        assert f"/tickets/{KEY}/" not in page and TITLE not in page and MARKER not in page, column


@pytest.mark.parametrize("name", ["my-requests", "new-request"])
def test_the_read_only_pages_refuse_a_post(world, name):
    hunt(world, name, HUNTED[name], method="post", data={"q": SEARCH})


@pytest.mark.parametrize("name", ["new-request", "new-request-blank", "new-request-form"])
def test_the_catalogue_and_the_forms(world, name):
    hunt(world, name, HUNTED[name])


@pytest.mark.parametrize(
    "data",
    [
        {"title": "Printer jam", "action": "draft"},
        {"title": "Printer jam", "action": "submit", "custom_fields.cost_centre": "CC-1"},
        {"title": "", "custom_fields.cost_centre": f"Probe {SEARCH}"},
        {},
    ],
    ids=["draft", "submit", "refused", "empty"],
)
@pytest.mark.parametrize("name", ["new-request-blank", "new-request-form"])
def test_creating_a_request(world, name, data):
    hunt(world, name, HUNTED[name], method="post", data=data)


def test_the_edit_page_of_the_hidden_ticket(world):
    hunt(world, "ticket-edit", HUNTED["ticket-edit"])


@pytest.mark.parametrize(
    "data",
    [{"title": "Taken over"}, {"title": "", "custom_fields.cost_centre": MARKER}, {}],
    ids=["title", "custom-field", "empty"],
)
def test_editing_the_hidden_ticket(world, data):
    hunt(world, "ticket-edit", HUNTED["ticket-edit"], method="post", data=data)
