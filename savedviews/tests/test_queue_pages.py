"""Saved views in the workspace: the queues are views, "Save this view" on a queue page, a person's view as a queue
page with its columns, who may open it, and the sidebar's counts of every view in one query."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from savedviews.models import SavedView
from savedviews.selectors import MAX_COUNTED_VIEWS
from savedviews.tests.factories import SavedViewFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketPriority, TicketStatus
from tickets.tests.factories import LabelFactory, RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

KEY_CELL = re.compile(r'<td data-label="Key"><a class="key" href="[^"]*">([^<]+)</a></td>')
COUNT = re.compile(r'<span>([^<]+)</span>(?: <span class="queue-count">(\d+)<span)?')
HEADERS = re.compile(r'<th scope="col"(?: aria-sort="[a-z]+")?>(?:<a href="[^"]*">)?([^<]+)(?:</a>)?</th>')


def keys_on(response) -> list[str]:
    return sorted(KEY_CELL.findall(response.content.decode()))


def sidebar(response) -> dict[str, str]:
    nav = response.content.decode().split('<nav class="queue-nav"', 1)[1].split("</nav>", 1)[0]
    return {name: count for name, count in COUNT.findall(nav)}


@pytest.fixture
def page_for():
    """page_for(user) -> a browser-like client signed in as that user (as in workspace/tests/conftest.py)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def tickets(agent):
    return {
        "urgent": TicketFactory(key="URGENT", status=TicketStatus.OPEN, priority=TicketPriority.URGENT),
        "low": TicketFactory(key="LOW", status=TicketStatus.OPEN, priority=TicketPriority.LOW),
        "working": TicketFactory(key="WORKING", status=TicketStatus.IN_PROGRESS, priority=TicketPriority.URGENT),
        "hidden": RestrictedTicketFactory(key="HIDDEN", status=TicketStatus.OPEN, priority=TicketPriority.URGENT),
    }


# --- save this view --------------------------------------------------------------------------------------------------


def test_save_this_view_keeps_the_queue_narrowed_by_the_page_with_its_sort_and_columns(agent, tickets, page_for):
    client = page_for(agent)

    response = client.post(
        "/queues/open/?priority=urgent&priority=high&ordering=-created_at&q=ignored",
        {"name": "Urgent open", "visibility": "personal", "columns": ["priority", "title"]},
    )

    view = SavedView.objects.get(name="Urgent open")
    assert response.status_code == 302
    assert response["Location"] == f"/queues/{view.pk}/"
    assert (view.owner, view.visibility, view.is_builtin) == (agent, "personal", False)
    assert view.filters == {"status": ["open"], "priority": ["urgent", "high"]}
    assert view.ordering == ["-created_at"]
    assert view.columns == ["title", "priority"]  # in the list's order
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert keys_on(page) == ["URGENT"]
    assert HEADERS.findall(page.content.decode()) == ["Key", "Title", "Priority"]
    assert sidebar(page)["Urgent open"] == "1"
    assert "Saved the view &quot;Urgent open&quot;." in page.content.decode()


def test_a_saved_view_of_assigned_to_me_stays_me_for_whoever_opens_it(agent, colleague, team, page_for):
    TicketFactory(key="AGENTS", status=TicketStatus.OPEN, assignee=agent)
    TicketFactory(key="COLLEAGUES", status=TicketStatus.OPEN, assignee=colleague)

    page_for(agent).post(
        "/queues/assigned-to-me/?status=open",
        {"name": "Mine open", "visibility": "roles", "roles": [team.pk], "columns": ["title"]},
    )

    view = SavedView.objects.get(name="Mine open")
    assert view.filters == {"assignee": ["me"], "status": ["open"]}
    assert keys_on(page_for(agent).get(f"/queues/{view.pk}/")) == ["AGENTS"]
    assert keys_on(page_for(colleague).get(f"/queues/{view.pk}/")) == ["COLLEAGUES"]


@pytest.mark.parametrize(
    ("query", "form", "message"),
    [
        ("", {"name": "", "columns": ["title"]}, "This field is required."),
        ("", {"name": "No columns", "visibility": "personal"}, "This field is required."),
        ("", {"name": "Team", "visibility": "roles", "columns": ["title"]}, "Choose the roles to share the view with."),
        ("?status=resolved", {"name": "Nothing", "visibility": "personal", "columns": ["title"]}, "nothing would match"),
        ("?status=bogus", {"name": "Bad", "visibility": "personal", "columns": ["title"]}, "Select a valid choice."),
    ],
)
def test_a_view_that_cannot_be_saved_shows_why_and_saves_nothing(query, form, message, agent, tickets, page_for):
    response = page_for(agent).post(f"/queues/open/{query}", {"visibility": "personal", **form})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SavedView.objects.filter(is_builtin=False).exists()


def test_a_view_is_shared_only_with_ones_own_roles(agent, page_for):
    other_role = RoleFactory()

    response = page_for(agent).post(
        "/queues/open/", {"name": "Theirs", "visibility": "roles", "roles": [other_role.pk], "columns": ["title"]}
    )

    assert response.status_code == 400
    assert not SavedView.objects.filter(name="Theirs").exists()


def test_people_who_do_not_work_the_desk_save_no_view(page_for):
    requester = UserFactory()

    response = page_for(requester).post("/queues/all/", {"name": "Mine", "visibility": "personal", "columns": ["title"]})

    assert response.status_code == 403
    assert 'name="visibility"' not in page_for(requester).get("/queues/all/").content.decode()
    assert not SavedView.objects.filter(is_builtin=False).exists()


# --- who opens a view ------------------------------------------------------------------------------------------------


def test_a_shared_view_is_in_the_sidebar_of_the_role_and_nowhere_else(agent, colleague, team, tickets, page_for):
    shared = SavedViewFactory(
        owner=colleague, name="Team urgent", visibility="roles", roles=[team], filters={"priority": ["urgent"]}
    )
    personal = SavedViewFactory(owner=colleague, name="Colleague's own")
    outsider = UserFactory(perms=["tickets.work_on_ticket"])

    mine = page_for(agent).get("/queues/open/")
    theirs = page_for(outsider).get("/queues/open/")

    assert sidebar(mine)["Team urgent"] == "2"  # URGENT and WORKING; HIDDEN is not visible to the agent
    assert "Colleague's own" not in sidebar(mine)
    assert "Team urgent" not in sidebar(theirs)
    assert page_for(agent).get(f"/queues/{personal.pk}/").status_code == 404
    assert page_for(outsider).get(f"/queues/{shared.pk}/").status_code == 404
    assert keys_on(page_for(agent).get(f"/queues/{shared.pk}/")) == ["URGENT", "WORKING"]


def test_a_deleted_view_is_gone(agent, page_for):
    view = SavedViewFactory(owner=agent)
    view.soft_delete(actor=agent)

    assert page_for(agent).get(f"/queues/{view.pk}/").status_code == 404


def test_bulk_actions_work_on_a_saved_view(agent, tickets, page_for):
    view = SavedViewFactory(owner=agent, filters={"priority": ["low"]})

    response = page_for(agent).post(
        f"/queues/{view.pk}/bulk/", {"ids": [tickets["low"].pk], "action": "priority", "priority": "high"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/queues/{view.pk}/?"
    tickets["low"].refresh_from_db()
    assert tickets["low"].priority == "high"


# --- the sidebar's counts --------------------------------------------------------------------------------------------


def queries_of(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_the_sidebar_counts_every_view_in_one_query(agent, team, tickets, page_for, django_assert_num_queries):
    client = page_for(agent)
    with_builtins = queries_of(client, "/queues/open/")
    label = LabelFactory()
    for number in range(10):
        SavedViewFactory(owner=agent, name=f"Mine {number}", filters={"label": [str(label.pk)], "priority": ["urgent"]})
        SavedViewFactory(owner=UserFactory(roles=[team]), visibility="roles", roles=[team], filters={"assignee": ["me"]})

    with django_assert_num_queries(with_builtins):
        response = client.get("/queues/open/")

    assert len(sidebar(response)) == 7 + 20
    assert all(count is not None for count in sidebar(response).values())


def test_past_the_cap_views_are_listed_without_a_count(agent, page_for):
    for number in range(MAX_COUNTED_VIEWS):
        SavedViewFactory(owner=agent, name=f"View {number:02d}")

    listed = sidebar(page_for(agent).get("/queues/open/"))

    assert len(listed) == 7 + MAX_COUNTED_VIEWS
    assert sum(1 for count in listed.values() if count == "") == 7  # the last ones, by name
    assert listed["View 00"] != "" and listed[f"View {MAX_COUNTED_VIEWS - 1:02d}"] == ""


def test_a_saved_view_s_page_reads_a_fixed_list_of_queries(agent, team, page_for, django_assert_num_queries):
    view = SavedViewFactory(owner=agent, filters={"status": ["open"], "priority": ["urgent"]})
    shared = SavedViewFactory(owner=UserFactory(roles=[team]), visibility="roles", roles=[team], filters={"assignee": ["me"]})
    client = page_for(agent)
    for added, total in ((3, 3), (27, 30)):  # N, then 10N tickets in both views
        TicketFactory.create_batch(added, status=TicketStatus.OPEN, priority=TicketPriority.URGENT, assignee=agent)
        # session; the user with their permissions; the views (the page's and the sidebar's: one query); the counts
        # of the views with filters (one UNION ALL) and of those without ("all"); the page's total is the sidebar's;
        # the header's unread notifications and approvals waiting; the filters' categories, labels, templates and
        # agents; the roles to share with; the page of tickets, its rows' categories and labels
        with django_assert_num_queries(2 + 1 + 2 + 2 + 4 + 1 + 3):
            response = client.get(f"/queues/{view.pk}/")
        listed = sidebar(response)
        assert listed[view.name] == listed[shared.name] == str(total)
