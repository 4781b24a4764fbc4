"""Leak hunt of the ticket page and its actions (workspace/tests/leak.py): nothing of the hidden ticket reaches those
who cannot see it, whether they address the ticket by its key, its comments and files by their ids (under its key or
under a ticket they do see), or read a ticket they do see."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.test_leak_hunt import COLUMNS, MARKER
from workspace.tests.leak import TICKET_KEY, assert_nothing_leaks, hunt

pytestmark = pytest.mark.django_db

HUNTED: dict[str, dict[str, str]] = {
    "ticket": {"key": TICKET_KEY},
    "ticket-transition": {"key": TICKET_KEY},
    "ticket-assign-to-me": {"key": TICKET_KEY},
    "ticket-details": {"key": TICKET_KEY},
    "ticket-comment-add": {"key": TICKET_KEY},
    "ticket-comment-edit": {"key": TICKET_KEY, "note_id": "comment"},
    "ticket-comment-delete": {"key": TICKET_KEY, "note_id": "comment"},
    "ticket-attachment-upload": {"key": TICKET_KEY},
    "ticket-attachment-download": {"key": TICKET_KEY, "attachment_id": "attachment"},
    "ticket-attachment-delete": {"key": TICKET_KEY, "attachment_id": "attachment"},
}
GET_ROUTES = ["ticket", "ticket-attachment-download"]
POST_ROUTES = sorted(set(HUNTED) - set(GET_ROUTES))


def upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.txt", b"plain text\n", content_type="text/plain")


def bodies(world, name: str) -> list[dict]:
    """What each action is posted with: valid input, and input naming the hidden ticket's people and objects."""
    ids = world.ids
    return {
        "ticket-transition": [{"to_status": status, "comment": "ok"} for status in ("draft", "cancelled", "open")],
        "ticket-assign-to-me": [{}],
        "ticket-details": [
            {"fields": ["priority"], "priority": "low"},
            {"fields": ["assignee", "labels"], "assignee": ids["assignee"], "labels": [ids["label"]]},
        ],
        "ticket-comment-add": [{"note": "Anything new?"}, {"note": ""}],
        "ticket-comment-edit": [{f"edit-{ids['comment']}-note": "Edited"}],
        "ticket-comment-delete": [{}],
        "ticket-attachment-upload": [{"file": upload()}, {}],
        "ticket-attachment-delete": [{}],
    }[name]


@pytest.mark.parametrize("name", GET_ROUTES)
def test_reading_the_hidden_ticket(world, name):
    hunt(world, name, HUNTED[name])


@pytest.mark.parametrize("name", POST_ROUTES)
def test_acting_on_the_hidden_ticket(world, name):
    for data in bodies(world, name):
        hunt(world, name, HUNTED[name], method="post", data=data)


@pytest.mark.parametrize("name", POST_ROUTES)
def test_a_get_of_an_action_leaks_nothing(world, name):
    hunt(world, name, HUNTED[name], method="get", expect_404=False)


@pytest.mark.parametrize("name", ["ticket", "ticket-attachment-download"])
def test_reading_the_hidden_ticket_with_parameters_naming_it(world, name):
    hunt(world, name, HUNTED[name], query=f"q={MARKER[:-3]}&key={world.ticket.key}&id={world.ticket.pk}")


@pytest.mark.parametrize(
    ("name", "kwarg", "hidden", "method"),
    [
        ("ticket-comment-edit", "note_id", "comment", "post"),
        ("ticket-comment-delete", "note_id", "comment", "post"),
        ("ticket-attachment-download", "attachment_id", "attachment", "get"),
        ("ticket-attachment-delete", "attachment_id", "attachment", "post"),
    ],
)
def test_the_hidden_tickets_comment_and_file_under_a_ticket_one_sees(world, name, kwarg, hidden, method):
    """An id of the hidden ticket's comment or file, addressed under the key of a ticket everyone sees: 404."""
    url = reverse(f"workspace:{name}", kwargs={"key": world.public_ticket.key, kwarg: world.ids[hidden]})
    data = {f"edit-{world.ids['comment']}-note": "Edited"} if name == "ticket-comment-edit" else {}
    for column in COLUMNS:
        client = Client()
        client.force_login(world.people[column])
        response = getattr(client, method)(url, data)
        assert_nothing_leaks(response, column)
        assert response.status_code == 404, f"{column}: {method.upper()} {url} -> {response.status_code}"


def test_a_ticket_one_sees_shows_nothing_of_the_hidden_one(world):
    """The control: the public ticket's page answers each column, and carries no marker of the hidden ticket."""
    url = reverse("workspace:ticket", kwargs={"key": world.public_ticket.key})
    for column in COLUMNS:
        client = Client()
        client.force_login(world.people[column])
        response = client.get(url)
        assert response.status_code == 200, column
        assert "Printer jam" in response.content.decode()
        assert_nothing_leaks(response, column)


def test_the_marker_is_there_for_the_creator(world):
    """The control of the hunt: the hidden ticket's page shows its marker to its creator."""
    client = Client()
    client.force_login(world.ticket.created_by)

    text = client.get(reverse("workspace:ticket", kwargs={"key": world.ticket.key})).content.decode()

    for part in ("Merger plan", "Description", "Custom field", "Submitted", "Approved", "Comment", "Denied"):
        assert f"{part} {MARKER}" in text, part
