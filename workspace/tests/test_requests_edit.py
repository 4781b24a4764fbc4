"""The requester revises their request (title, description, custom fields, who may see it) through ticket_update,
while the ticket is a draft or rejected; others are refused (403), and a request that is not editable now is a 409."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests.factories import AdminFactory, UserFactory
from tickets.models import EventType, TicketNote, TicketStatus, TicketVisibility
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db

SCHEMA = {
    "type": "object",
    "properties": {
        "affected_users": {"type": "integer", "minimum": 1},
        "since": {"type": "string", "format": "date-time"},
        "environment": {"type": "string", "enum": ["office", "remote"]},
    },
    "required": ["affected_users"],
}
STORED = {"affected_users": 3, "since": "2030-05-01T07:30:15Z"}


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def draft(alice):
    return TicketFactory(
        created_by=alice,
        status=TicketStatus.DRAFT,
        title="VPN drops",
        description="Every hour.",
        template=TicketTemplateFactory(custom_fields_schema=SCHEMA),
        custom_fields=STORED,
    )


def url(ticket) -> str:
    return f"/tickets/{ticket.key}/edit/"


def errors_of(response, name: str) -> list[str]:
    found = re.findall(rf'<p class="error" id="id_{re.escape(name)}_error">(.*?)</p>', response.content.decode())
    return [html.unescape(message) for message in found]


def events_of(ticket) -> list[tuple[str, dict]]:
    notes = TicketNote.objects.filter(ticket=ticket).order_by("id")
    return [(note.event_type, note.event_details) for note in notes]


def as_sent(page_for, user, ticket, **changes) -> dict:
    """What the browser sends back from the edit page: every input as rendered, with `changes`."""
    page = page_for(user).get(url(ticket)).content.decode()
    data = {
        "title": re.search(r'name="title" value="([^"]*)"', page)[1],
        "description": re.search(r'name="description"[^>]*>\n?([^<]*)</textarea>', page)[1],
        "visibility": re.search(r'name="visibility" value="(\w+)"[^>]*checked', page)[1],
        "custom_fields.affected_users": re.search(r'name="custom_fields.affected_users" value="(\d+)"', page)[1],
        "custom_fields.since": re.search(r'name="custom_fields.since" value="([^"]+)"', page)[1],
        "custom_fields.environment": "",
    }
    return {name: html.unescape(value) for name, value in {**data, **changes}.items()}


def test_the_requester_sees_their_request_in_the_form(page_for, alice, draft):
    response = page_for(alice).get(url(draft))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Edit request</h1>" in page
    assert 'name="title" value="VPN drops"' in page
    assert "Every hour.</textarea>" in page
    assert 'name="custom_fields.affected_users" value="3"' in page
    assert 'name="visibility" value="internal"' in page
    assert 'name="priority"' not in page  # the requester does not set the priority of a ticket once made
    assert 'name="file"' not in page


def test_the_requester_revises_title_and_custom_fields(page_for, alice, draft):
    data = as_sent(page_for, alice, draft, title="VPN drops at home", **{"custom_fields.environment": '"remote"'})

    response = page_for(alice).post(url(draft), data)

    draft.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == f"/tickets/{draft.key}/"
    assert draft.title == "VPN drops at home"
    assert draft.custom_fields == {**STORED, "environment": "remote"}  # the untouched date and time kept exactly
    assert [event for event, _ in events_of(draft)] == [EventType.FIELD_CHANGE, EventType.FIELD_CHANGE]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"{draft.key} is saved."]


def test_a_rejected_request_is_revised_too(page_for, alice, draft):
    draft.status = TicketStatus.REJECTED
    draft.save()

    page_for(alice).post(url(draft), as_sent(page_for, alice, draft, description="Every hour, since Monday."))

    draft.refresh_from_db()
    assert draft.description == "Every hour, since Monday."


def test_who_may_see_it_is_changed_here_too(page_for, alice, draft):
    page_for(alice).post(url(draft), as_sent(page_for, alice, draft, visibility="restricted"))

    draft.refresh_from_db()
    assert draft.visibility == TicketVisibility.RESTRICTED
    assert events_of(draft)[0][0] == EventType.VISIBILITY_CHANGE


def test_nothing_changed_writes_nothing(page_for, alice, draft):
    response = page_for(alice).post(url(draft), as_sent(page_for, alice, draft))

    assert response.status_code == 302
    assert events_of(draft) == []
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Nothing was changed."]


def test_the_services_refusal_is_shown_next_to_the_field(page_for, alice, draft):
    response = page_for(alice).post(url(draft), as_sent(page_for, alice, draft, **{"custom_fields.affected_users": "0"}))

    draft.refresh_from_db()
    assert response.status_code == 200
    assert errors_of(response, "custom_fields.affected_users") == ["0 is less than the minimum of 1"]
    assert draft.custom_fields == STORED


def test_an_admin_may_edit_anyones_request(page_for, draft):
    admin = AdminFactory()

    page_for(admin).post(url(draft), as_sent(page_for, admin, draft, title="VPN drops (checked)"))

    draft.refresh_from_db()
    assert draft.title == "VPN drops (checked)"


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (TicketStatus.WAITING_APPROVAL, True),
        (TicketStatus.OPEN, False),
        (TicketStatus.RESOLVED, False),
        (TicketStatus.CLOSED, False),
        (TicketStatus.CANCELLED, False),
    ],
)
def test_a_request_past_its_draft_is_not_editable_now(page_for, alice, draft, status, hint):
    draft.status = status
    draft.save()

    page = page_for(alice).get(url(draft))
    post = page_for(alice).post(url(draft), {"title": "Changed"})

    draft.refresh_from_db()
    assert (page.status_code, post.status_code) == (409, 409)
    assert "its request can no longer be changed." in page.content.decode()
    assert ("Take it back to a draft on its page first." in page.content.decode()) == hint
    assert draft.title == "VPN drops"


@pytest.mark.parametrize("who", ["colleague", "agent"])
def test_someone_else_who_sees_the_request_may_not_edit_it(page_for, draft, who):
    person = UserFactory(perms=["tickets.work_on_ticket"] if who == "agent" else [])

    page = page_for(person).get(url(draft))
    post = page_for(person).post(url(draft), {"title": "Mine now"})

    draft.refresh_from_db()
    assert (page.status_code, post.status_code) == (403, 403)
    assert "Only the person who made this request may change it." in page.content.decode()
    assert draft.title == "VPN drops"


def test_a_closed_request_is_a_conflict_for_anyone_who_sees_it(page_for, draft):
    draft.status = TicketStatus.CLOSED
    draft.save()

    assert page_for(UserFactory()).get(url(draft)).status_code == 409


def test_a_request_one_may_not_see_does_not_exist(page_for):
    hidden = RestrictedTicketFactory(status=TicketStatus.DRAFT)

    assert page_for(UserFactory()).get(url(hidden)).status_code == 404
    assert page_for(UserFactory()).get("/tickets/TCK-999999/edit/").status_code == 404


def test_a_post_without_the_csrf_token_is_refused(alice, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(url(draft), {"title": "Changed"})

    draft.refresh_from_db()
    assert response.status_code == 403
    assert draft.title == "VPN drops"
