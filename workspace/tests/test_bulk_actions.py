"""Bulk actions from a queue: the ticked rows each go through their service; without JavaScript the page redirects back
with one message per refusal, with htmx it answers the page's body with a per-row summary."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests.factories import UserFactory
from tickets.models import EventType, Ticket, TicketNote, TicketPriority, TicketStatus
from tickets.services.bulk import MAX_BULK_IDS
from tickets.tests.factories import LabelFactory, RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

NO_SUCH_ID = 9_000_000_000_000


@pytest.fixture
def agent():
    return UserFactory(username="agent", first_name="Ada", last_name="Agent", perms=["tickets.work_on_ticket"])


def post(client: Client, data: dict, *, queue: str = "open", query: str = "", **headers):
    return client.post(f"/queues/{queue}/bulk/{'?' + query if query else ''}", data, **headers)


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_bulk_action_changes_each_ticket_and_comes_back_to_the_same_page(agent, page_for):
    tickets = [TicketFactory(key=f"T-{n}", status=TicketStatus.OPEN) for n in range(3)]

    response = post(
        page_for(agent),
        {"ids": [t.pk for t in tickets], "action": "priority", "priority": "urgent"},
        query="ordering=title&page=1",
    )

    assert response.status_code == 302
    assert response["Location"] == "/queues/open/?ordering=title&page=1"
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"urgent"}
    assert flashed(response) == ["Change priority: 3 done, 0 refused.", "Done: T-0, T-1, T-2."]


def test_partial_success_says_which_tickets_were_refused_and_why(agent, page_for):
    open_ticket = TicketFactory(key="OPEN-1", status=TicketStatus.OPEN)
    draft = TicketFactory(key="DRAFT-1", status=TicketStatus.DRAFT)
    hidden = RestrictedTicketFactory(key="HIDDEN-1", title="Secret merger", status=TicketStatus.OPEN)

    response = post(
        page_for(agent),
        {"ids": [open_ticket.pk, draft.pk, hidden.pk], "action": "transition", "status": "in_progress", "comment": "Mine"},
    )

    assert [Ticket.objects.get(pk=t.pk).status for t in (open_ticket, draft, hidden)] == ["in_progress", "draft", "open"]
    messages = flashed(response)
    assert messages[:2] == ["Change status: 1 done, 2 refused.", "Done: OPEN-1."]
    assert messages[2].startswith("DRAFT-1 refused: Cannot move from 'draft' to 'in_progress'.")
    assert messages[3] == f"#{hidden.pk} refused: Not found."
    assert all("HIDDEN-1" not in message and "Secret" not in message for message in messages)


def test_a_hidden_ticket_is_reported_exactly_like_one_that_does_not_exist(agent, page_for):
    hidden = RestrictedTicketFactory(status=TicketStatus.OPEN, priority=TicketPriority.LOW)

    about_hidden = flashed(post(page_for(agent), {"ids": [hidden.pk], "action": "priority", "priority": "high"}))
    about_nothing = flashed(post(page_for(agent), {"ids": [NO_SUCH_ID], "action": "priority", "priority": "high"}))

    assert [m.replace(f"#{hidden.pk}", "#ID") for m in about_hidden] == [
        m.replace(f"#{NO_SUCH_ID}", "#ID") for m in about_nothing
    ]
    assert about_hidden == ["Change priority: 0 done, 1 refused.", f"#{hidden.pk} refused: Not found."]
    assert Ticket.objects.get(pk=hidden.pk).priority == "low"
    assert TicketNote.objects.filter(ticket=hidden, event_type=EventType.PRIORITY_CHANGE).count() == 0


def test_each_changed_ticket_gets_one_timeline_event_by_the_agent(agent, page_for):
    changed = [TicketFactory(status=TicketStatus.OPEN) for _ in range(3)]
    unchanged = TicketFactory(status=TicketStatus.OPEN, assignee=agent)

    post(page_for(agent), {"ids": [t.pk for t in [*changed, unchanged]], "action": "assign_to_me"}, queue="unassigned")

    assert Ticket.objects.filter(assignee=agent).count() == 4
    for ticket in changed:
        [event] = TicketNote.objects.filter(ticket=ticket, system=True).exclude(event_type=EventType.CREATED)
        assert (event.event_type, event.created_by, event.event_details["new"]) == (EventType.ASSIGNEE_CHANGE, agent, agent.pk)
    assert TicketNote.objects.filter(ticket=unchanged, system=True).count() == 0


def test_assign_to_an_agent_or_to_nobody(agent, page_for):
    colleague = UserFactory(perms=["tickets.work_on_ticket"])
    first, second = TicketFactory(status=TicketStatus.OPEN), TicketFactory(status=TicketStatus.OPEN, assignee=agent)
    client = page_for(agent)

    post(client, {"ids": [first.pk], "action": "assign", "assignee": colleague.pk})
    post(client, {"ids": [second.pk], "action": "assign", "assignee": "none"})

    assert Ticket.objects.get(pk=first.pk).assignee == colleague
    assert Ticket.objects.get(pk=second.pk).assignee is None


def test_add_a_label(agent, page_for):
    vip = LabelFactory(name="vip")
    ticket = TicketFactory(status=TicketStatus.OPEN)

    response = post(page_for(agent), {"ids": [ticket.pk], "action": "add_label", "label": vip.pk})

    assert list(Ticket.objects.get(pk=ticket.pk).labels.values_list("name", flat=True)) == ["vip"]
    assert flashed(response)[0] == "Add label: 1 done, 0 refused."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "priority", "priority": "high"}, "Select at least one ticket."),
        ({"ids": ["T"], "action": "priority", "priority": "high"}, "Tick tickets in the list."),
        ({"ids": "TICKET", "action": "priority"}, "Choose a priority."),
        ({"ids": "TICKET", "action": "assign"}, "Choose whom to assign the tickets to."),
        ({"ids": "TICKET", "action": "add_label"}, "A label id is required."),
        ({"ids": "TICKET", "action": "transition"}, "Choose the status to move the tickets to."),
        ({"ids": "TICKET", "action": "explode"}, "Select a valid choice. explode is not one of the available choices."),
        ({"ids": list(range(1, MAX_BULK_IDS + 2)), "action": "assign_to_me"}, "Select at most 500 tickets at once."),
    ],
)
def test_an_incomplete_request_changes_nothing_and_says_what_is_missing(data, message, agent, page_for):
    ticket = TicketFactory(status=TicketStatus.OPEN)
    if data.get("ids") == "TICKET":
        data = {**data, "ids": [ticket.pk]}

    response = post(page_for(agent), data)

    assert response.status_code == 302
    assert flashed(response) == [message]
    assert TicketNote.objects.filter(ticket=ticket).count() == 0


def test_bulk_actions_are_for_agents(page_for):
    auditor = UserFactory(perms=["tickets.view_all_tickets"])
    requester = UserFactory()
    ticket = TicketFactory(status=TicketStatus.OPEN, created_by=requester)

    as_auditor = post(page_for(auditor), {"ids": [ticket.pk], "action": "priority", "priority": "high"})
    as_requester = post(page_for(requester), {"ids": [ticket.pk], "action": "priority", "priority": "high"}, queue="all")
    signed_out = post(page_for(None), {"ids": [ticket.pk], "action": "priority", "priority": "high"})

    assert as_auditor.status_code == as_requester.status_code == 403
    assert b"Bulk actions are for agents." in as_requester.content
    assert signed_out.status_code == 302 and signed_out["Location"].startswith("/login/")
    assert Ticket.objects.get(pk=ticket.pk).priority == "medium"


def test_bulk_is_a_post(agent, page_for):
    assert page_for(agent).get("/queues/open/bulk/").status_code == 405


def test_a_post_without_the_csrf_token_is_refused(agent):
    ticket = TicketFactory(status=TicketStatus.OPEN)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    refused = post(client, {"ids": [ticket.pk], "action": "priority", "priority": "high"})
    page = client.get("/queues/open/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    accepted = post(client, {"ids": [ticket.pk], "action": "priority", "priority": "high", "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).priority == "high"


def test_with_htmx_the_page_body_comes_back_with_a_row_by_row_summary(agent, page_for):
    done = TicketFactory(key="GOOD-1", status=TicketStatus.OPEN)
    final = TicketFactory(key="GONE-1", status=TicketStatus.CLOSED)
    hidden = RestrictedTicketFactory(key="HIDDEN-1", status=TicketStatus.OPEN)

    response = post(
        page_for(agent),
        {"ids": [done.pk, final.pk, hidden.pk], "action": "priority", "priority": "high"},
        queue="all",
        query="q=-1",
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="queue-body"')
    assert "<html" not in body
    assert "Change priority: 1 done, 2 refused" in body
    rows = re.findall(
        r'<tr class="(done|refused)">\s*<td data-label="Ticket">(.*?)</td>\s*<td data-label="Result">(.*?)</td>', body
    )
    assert [(state, re.sub(r"<[^>]+>", "", ticket), result) for state, ticket, result in rows] == [
        ("done", "GOOD-1", "Done"),
        ("refused", "GONE-1", "Refused: Ticket GONE-1 is &#x27;closed&#x27;; a final ticket cannot be edited."),
        ("refused", f"#{hidden.pk}", "Refused: Not found."),
    ]
    assert "HIDDEN-1" not in body
    assert flashed(response) == []  # the summary is on the page, not left for the next one


def test_with_htmx_a_refused_request_shows_why_in_the_bulk_bar(agent, page_for):
    TicketFactory(status=TicketStatus.OPEN)

    response = post(page_for(agent), {"action": "priority", "priority": "high"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert '<div class="form-errors" role="alert"><p>Select at least one ticket.</p></div>' in response.content.decode()


def test_the_queue_offers_the_bulk_actions_to_an_agent(agent, page_for):
    TicketFactory(key="ROW-1", status=TicketStatus.OPEN)
    UserFactory(username="colleague", first_name="Col", last_name="League", perms=["tickets.work_on_ticket"])

    body = page_for(agent).get("/queues/open/", {"ordering": "title"}).content.decode()

    assert '<form id="bulk" method="post" action="/queues/open/bulk/?ordering=title"' in body
    assert 'hx-post="/queues/open/bulk/?ordering=title"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    for action in ["assign_to_me", "assign", "priority", "add_label", "transition"]:
        assert f'name="action" value="{action}"' in body
    assert '<option value="in_progress">In progress</option>' in body
    assert '<option value="resolved">Resolved</option>' in body
    assert '<option value="closed">Closed</option>' in body
    assert '<option value="draft">' not in body.split('id="bulk-status"')[1].split("</select>")[0]
    assert "Col League" in body
    assert 'data-select-all="ids"' in body
