"""The saved views API (/api/v1/views/): who sees which view, who may change it (404 for a view one cannot see, 403 for
one seen but not theirs), what a view may hold (the ticket list's own filters, ordering and columns: anything else is a
400 in the one error shape, changing nothing), the query to use a view on /api/v1/tickets/, and the list's queries."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from savedviews.models import SavedView
from savedviews.tests.factories import SavedViewFactory
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketStatus
from tickets.tests.factories import RestrictedTicketFactory, TicketFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/views/"
NO_SUCH_ID = 9_000_000_000_000
DESK_QUEUES = ["unassigned", "assigned-to-me", "open", "in-progress", "waiting-approval", "at-risk"]


@pytest.fixture
def outsider():
    return UserFactory(username="outsider", perms=["tickets.work_on_ticket"])


@pytest.fixture
def views(agent, colleague, team):
    return {
        "mine": SavedViewFactory(owner=agent, name="My urgent", filters={"priority": ["urgent"]}),
        "shared": SavedViewFactory(owner=colleague, name="Network", visibility="roles", roles=[team]),
        "theirs": SavedViewFactory(owner=colleague, name="Colleague's own"),
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


BUILTIN_NAMES = ["Unassigned", "Assigned to me", "Open", "In progress", "Waiting for approval", "At risk", "All I can see"]


# --- who sees what ---------------------------------------------------------------------------------------------------


def test_the_list_holds_the_built_in_views_then_mine_and_those_shared_with_my_roles(agent, views, client_for):
    assert names(client_for(agent).get(URL)) == [*BUILTIN_NAMES, "My urgent", "Network"]


def test_someone_outside_the_role_sees_neither_the_shared_nor_the_personal_views(outsider, views, client_for):
    assert names(client_for(outsider).get(URL)) == BUILTIN_NAMES


def test_someone_who_does_not_work_the_desk_sees_only_all_i_can_see(views, client_for):
    assert names(client_for(UserFactory()).get(URL)) == ["All I can see"]


def test_a_built_in_view_reads_its_parameters(agent, client_for):
    [unassigned] = [row for row in client_for(agent).get(URL).json()["results"] if row["slug"] == "unassigned"]

    assert unassigned["is_builtin"] is True
    assert unassigned["owner"] is None
    assert unassigned["visibility"] == "desk"
    assert unassigned["filters"] == {"status": ["open", "in_progress"], "assigned": ["false"]}
    assert unassigned["ordering"] == ["-priority", "created_at"]
    assert unassigned["can_change"] is False


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_view_one_cannot_see_answers_like_one_that_does_not_exist(method, outsider, views, client_for):
    client = client_for(outsider)
    body = {"name": "Mine now"} if method == "patch" else None

    for view in (views["shared"], views["theirs"]):
        hidden = getattr(client, method)(f"{URL}{view.pk}/", body, format="json")
        made_up = getattr(client, method)(f"{URL}{NO_SUCH_ID}/", body, format="json")

        assert hidden.status_code == 404
        assert hidden.json() == made_up.json()
        assert "Network" not in hidden.content.decode()
    assert SavedView.objects.filter(name="Mine now").count() == 0


def test_a_shared_view_may_be_read_by_the_role_but_changed_only_by_its_owner(agent, colleague, views, client_for):
    shared = views["shared"]

    read = client_for(agent).get(f"{URL}{shared.pk}/")
    change = client_for(agent).patch(f"{URL}{shared.pk}/", {"name": "Hijacked"}, format="json")
    delete = client_for(agent).delete(f"{URL}{shared.pk}/")
    owner = client_for(colleague).patch(f"{URL}{shared.pk}/", {"name": "Network, urgent first"}, format="json")

    assert read.status_code == 200 and read.json()["can_change"] is False
    assert (change.status_code, change.json()["errors"][0]["code"]) == (403, "permission_denied")
    assert delete.status_code == 403
    assert owner.status_code == 200 and owner.json()["name"] == "Network, urgent first"
    assert SavedView.objects.get(pk=shared.pk).name == "Network, urgent first"


def test_the_owner_deletes_their_view(agent, views, client_for):
    response = client_for(agent).delete(f"{URL}{views['mine'].pk}/")

    assert response.status_code == 204
    assert not SavedView.objects.filter(pk=views["mine"].pk).exists()
    assert SavedView.all_objects.get(pk=views["mine"].pk).deleted_by == views["mine"].owner
    assert client_for(agent).get(f"{URL}{views['mine'].pk}/").status_code == 404


def test_a_manager_changes_any_view_and_the_built_in_ones_but_deletes_no_built_in_one(views, client_for):
    manager = UserFactory(perms=["tickets.work_on_ticket", "savedviews.manage_saved_views"])
    client = client_for(manager)
    builtin = SavedView.objects.get(slug="open")

    theirs = client.patch(f"{URL}{views['theirs'].pk}/", {"name": "Tidied"}, format="json")
    renamed = client.patch(f"{URL}{builtin.pk}/", {"name": "Open, not started"}, format="json")
    widened = client.patch(f"{URL}{builtin.pk}/", {"visibility": "personal"}, format="json")
    deleted = client.delete(f"{URL}{builtin.pk}/")

    assert theirs.status_code == 200
    assert renamed.status_code == 200 and renamed.json()["can_change"] is True
    assert (widened.status_code, widened.json()["errors"][0]["code"]) == (400, "read_only")
    assert (deleted.status_code, deleted.json()["errors"][0]["code"]) == (409, "builtin_view")
    assert SavedView.objects.get(pk=builtin.pk).visibility == "desk"


def test_an_agent_may_not_change_a_built_in_view(agent, client_for):
    builtin = SavedView.objects.get(slug="open")

    response = client_for(agent).patch(f"{URL}{builtin.pk}/", {"filters": {}}, format="json")

    assert response.status_code == 403
    assert SavedView.objects.get(pk=builtin.pk).filters == {"status": ["open"]}


def test_a_stranger_is_asked_to_authenticate(api_client):
    assert api_client.get(URL).status_code == 401


# --- create and what a view may hold ---------------------------------------------------------------------------------


def test_create_a_personal_view(agent, client_for):
    body = {
        "name": "Mine, urgent",
        "description": "What burns",
        "filters": {"assignee": ["me"], "priority": ["urgent", "high"], "category": [3]},
        "ordering": ["-priority", "created_at"],
        "columns": ["title", "priority", "assignee"],
    }

    response = client_for(agent).post(URL, body, format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert {key: created[key] for key in body} == {**body, "filters": {**body["filters"], "category": ["3"]}}
    assert (created["owner"], created["visibility"], created["roles"], created["is_builtin"]) == (
        agent.pk,
        "personal",
        [],
        False,
    )
    view = SavedView.objects.get(pk=created["id"])
    assert (view.created_by, view.owner) == (agent, agent)


def test_share_a_view_with_my_role(agent, colleague, outsider, team, client_for):
    response = client_for(agent).post(URL, {"name": "Team", "visibility": "roles", "roles": [team.pk]}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["roles"] == [team.pk]
    assert "Team" in names(client_for(colleague).get(URL))
    assert "Team" not in names(client_for(outsider).get(URL))


def test_defaults_are_every_ticket_newest_update_first_with_the_usual_columns(agent, client_for):
    created = client_for(agent).post(URL, {"name": "Everything"}, format="json").json()

    assert (created["filters"], created["ordering"]) == ({}, ["-updated_at"])
    assert created["columns"] == ["title", "status", "priority", "requester", "assignee", "categories", "updated"]


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"filters": {"colour": ["red"]}}, "filters", "unknown_field"),
        ({"filters": {"status": ["bogus"]}}, "filters", "invalid"),
        ({"filters": {"status": "open"}}, "filters", "invalid"),
        ({"filters": {"status": []}}, "filters", "invalid"),
        ({"filters": {"assignee": ["abc"]}}, "filters", "invalid"),
        ({"filters": {"assignee": ["1", "2"]}}, "filters", "invalid"),
        ({"filters": {"assigned": ["maybe"]}}, "filters", "invalid"),
        ({"filters": {"created_after": ["yesterday"]}}, "filters", "invalid"),
        ({"filters": {"category": [""]}}, "filters", "invalid"),
        ({"filters": {"priority": [True]}}, "filters", "invalid"),
        ({"filters": ["status"]}, "filters", "not_a_dict"),
        ({"ordering": ["description"]}, "ordering", "invalid_choice"),
        ({"ordering": ["created_by__password"]}, "ordering", "invalid_choice"),
        ({"ordering": []}, "ordering", "invalid"),
        ({"ordering": ["title", "-title"]}, "ordering", "invalid"),
        ({"ordering": [1]}, "ordering.0", "invalid"),
        ({"columns": ["password"]}, "columns.0", "invalid_choice"),
        ({"columns": []}, "columns", "invalid"),
        ({"columns": ["title", "title"]}, "columns", "invalid"),
        ({"visibility": "everyone"}, "visibility", "invalid_choice"),
        ({"visibility": "roles"}, "roles", "required"),
        ({"visibility": "personal", "roles": ["TEAM"]}, "roles", "invalid"),
        ({"visibility": "roles", "roles": ["OTHER_ROLE"]}, "roles", "invalid"),
        ({"visibility": "roles", "roles": [NO_SUCH_ID]}, "roles", "does_not_exist"),
        ({"name": ""}, "name", "blank"),
        ({"name": 5}, "name", "invalid"),
        ({"name": "x" * 101}, "name", "max_length"),
        ({"owner": 1}, "non_field_errors", "read_only"),
        ({"is_builtin": True}, "non_field_errors", "read_only"),
        ({"slug": "mine"}, "non_field_errors", "read_only"),
    ],
)
def test_a_view_the_ticket_list_would_not_take_is_refused_and_nothing_is_saved(body, attr, code, agent, team, client_for):
    other_role = RoleFactory()
    roles = {"TEAM": team.pk, "OTHER_ROLE": other_role.pk}
    if "roles" in body:
        body = {**body, "roles": [roles.get(role, role) for role in body["roles"]]}
    before = SavedView.all_objects.count()

    response = client_for(agent).post(URL, {"name": "A view", **body}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == (attr, code), response.json()
    assert SavedView.all_objects.count() == before


def test_an_update_is_checked_like_a_create_and_changes_nothing_when_refused(agent, views, client_for):
    mine = views["mine"]

    response = client_for(agent).patch(f"{URL}{mine.pk}/", {"name": "Renamed", "ordering": ["secret"]}, format="json")

    assert response.status_code == 400
    assert SavedView.objects.get(pk=mine.pk).name == "My urgent"


@pytest.mark.parametrize("name", ["My urgent", "MY URGENT"])
def test_two_views_of_mine_may_not_share_a_name_whatever_its_case(agent, views, client_for, name):
    response = client_for(agent).post(URL, {"name": name}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unique"
    assert response.json()["errors"][0]["detail"] == "You already have a view with this name."
    assert response.json()["errors"][0]["attr"] == "name"
    assert SavedView.objects.filter(owner=agent).count() == 1
    assert client_for(UserFactory()).post(URL, {"name": name}, format="json").status_code == 201


def test_a_view_made_personal_again_drops_its_roles(colleague, views, client_for):
    shared = views["shared"]

    response = client_for(colleague).patch(f"{URL}{shared.pk}/", {"visibility": "personal"}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["visibility"], response.json()["roles"]) == ("personal", [])


# --- using a view on the ticket list ---------------------------------------------------------------------------------


def test_the_tickets_query_lists_the_views_tickets_on_the_ticket_list_for_the_caller(agent, colleague, client_for):
    mine = TicketFactory(key="MINE", status=TicketStatus.OPEN, assignee=agent)
    TicketFactory(key="THEIRS", status=TicketStatus.OPEN, assignee=colleague)
    TicketFactory(key="DONE", status=TicketStatus.RESOLVED, assignee=agent)
    RestrictedTicketFactory(key="HIDDEN", status=TicketStatus.OPEN)
    view = (
        client_for(agent)
        .post(
            URL,
            {"name": "Mine open", "filters": {"assignee": ["me"], "status": ["open"]}, "ordering": ["-priority"]},
            format="json",
        )
        .json()
    )

    assert parse_qs(view["tickets_query"]) == {"assignee": [str(agent.pk)], "status": ["open"], "ordering": ["-priority"]}
    listed = client_for(agent).get(f"/api/v1/tickets/?{view['tickets_query']}").json()
    assert [row["key"] for row in listed["results"]] == [mine.key]


def test_me_is_whoever_looks_at_a_shared_view(agent, colleague, team, client_for):
    shared = SavedViewFactory(owner=agent, visibility="roles", roles=[team], filters={"assignee": ["me"]})

    theirs = client_for(colleague).get(f"{URL}{shared.pk}/").json()

    assert parse_qs(theirs["tickets_query"])["assignee"] == [str(colleague.pk)]


# --- queries and schema ----------------------------------------------------------------------------------------------


def test_the_list_runs_the_same_number_of_queries_at_n_and_2n_views(agent, team, client_for):
    def add(count: int) -> None:
        for _ in range(count):
            SavedViewFactory(owner=agent)
            SavedViewFactory(owner=UserFactory(roles=[team]), visibility="roles", roles=[team, RoleFactory()])

    def measure() -> tuple[int, int]:
        client = client_for(type(agent).objects.get(pk=agent.pk))  # a fresh user: no cached permissions
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"page_size": 100})
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    add(3)
    small, at_n = measure()
    add(3)
    large, at_2n = measure()

    assert at_2n - at_n == 6
    # the caller with their permissions (ticketsite.backends: whether they work the desk), count, page, roles
    assert small == large == 4


def test_the_schema_describes_the_views_resource(openapi_schema):
    paths = openapi_schema["paths"]
    assert {operation["tags"][0] for operation in paths["/api/v1/views/"].values()} == {"saved views"}
    assert set(paths["/api/v1/views/{id}/"]) == {"get", "patch", "delete"}
