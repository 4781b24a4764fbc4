"""Leak hunt of the queues and their bulk actions: every queue, searched, filtered by every id of the hidden ticket and
sorted by every column, and every bulk action aimed at the hidden ticket, by each person who cannot see it; saved views
shared with a role or kept by someone else are not found, and no view's count includes the hidden ticket."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client

from savedviews.selectors import view_counts
from savedviews.tests.factories import SavedViewFactory
from tests.factories import RoleFactory, UserFactory
from tests.test_leak_hunt import COLUMNS, COMMENT_WORD, FIELD_WORD, KEY, MARKER, SEARCH, TITLE, World, text_of
from tickets.api.views.tickets import TicketViewSet
from tickets.models import TicketNote, TicketPriority, TicketStatus
from workspace.tests.leak import assert_nothing_leaks, hunt

pytestmark = pytest.mark.django_db

# The queue a URL names is a slug, not an id of the world: `queue_ids` adds each queue under "queue:<slug>".
HUNTED: dict[str, dict[str, str]] = {
    "queue": {"queue": "queue:all"},
    "queue-bulk": {"queue": "queue:all"},
}
# The built-in views (seeded by savedviews/migrations/0002_builtin_views).
BUILTIN_SLUGS = ["unassigned", "assigned-to-me", "open", "in-progress", "waiting-approval", "at-risk", "all"]
QUEUE_SPECS = {slug: {"queue": f"queue:{slug}"} for slug in BUILTIN_SLUGS}


@pytest.fixture(scope="module")
def queue_world(world: World) -> World:
    world.ids.update({f"queue:{slug}": slug for slug in BUILTIN_SLUGS})  # type: ignore[dict-item]
    return world


def list_queries(world: World) -> list[dict[str, object]]:
    ids, created_at = world.ids, world.ticket.created_at
    around = {"before": created_at + timedelta(seconds=1), "after": created_at - timedelta(seconds=1)}
    # Each field once, directions alternating: the direction changes no row set, only the order.
    sorts = [("-" if index % 2 else "") + field for index, field in enumerate(TicketViewSet.ordering_fields)]
    return [
        {},
        {"q": SEARCH},  # the key itself is searched below: the page echoes what was typed
        {"q": "Merger plan"},
        {"q": COMMENT_WORD},  # full-text search reads the comments and the custom fields (tickets.search)
        {"q": FIELD_WORD},
        {"status": TicketStatus.WAITING_APPROVAL},
        {"priority": TicketPriority.URGENT},
        {"visibility": "restricted"},
        {"assigned": "true"},
        {"mine": "false"},
        {"category": ids["category"]},
        {"label": ids["label"]},
        {"template": ids["ticket_template"]},
        {"assignee": ids["assignee"]},
        {"creator": ids["creator"]},
        {"requester": world.ticket.created_by.username},
        {"created_after": around["after"].isoformat(), "created_before": around["before"].isoformat()},
        {"updated_after": around["after"].isoformat()},
        {"created_after": around["after"].date().isoformat()},
        *({"ordering": term} for term in [*sorts, "description", "custom_fields", "created_by__password"]),
        {"q": SEARCH, "status": "waiting_approval", "priority": "urgent", "ordering": "-title", "page": "2"},
    ]


# Every parameter on "all" (everyone may open it; the other queues run the same code over another base filter), and
# on every queue the id filters, the search and one sort.
FULLY_HUNTED = {"all"}
ID_FILTERS = {"category", "label", "template", "assignee", "creator", "requester"}


@pytest.mark.parametrize("queue", sorted(QUEUE_SPECS))
def test_no_queue_shows_the_hidden_ticket_by_any_search_filter_or_sort(queue, queue_world):
    queries = list_queries(queue_world)
    if queue not in FULLY_HUNTED:
        queries = [params for params in queries if not params or set(params) & ID_FILTERS or params == {"q": SEARCH}]
        queries.append({"ordering": "-priority"})
    for params in queries:
        hunt(queue_world, "queue", QUEUE_SPECS[queue], query=urlencode(params, doseq=True))


@pytest.mark.parametrize("column", COLUMNS)
def test_searching_for_the_hidden_key_finds_nothing_but_the_words_typed(column, queue_world):
    client = Client()
    client.force_login(queue_world.people[column])

    response = client.get("/queues/all/", {"q": KEY})

    text = text_of(response)
    assert response.status_code == 200
    assert MARKER not in text and TITLE not in text
    assert "<strong>0</strong> tickets found" in text
    # The header's and the page's search boxes say what was typed, and the export links carry it on (q=…).
    assert KEY not in text.replace(f'value="{KEY}"', "").replace(f"q={KEY}", "")
    assert text.count(f"q={KEY}") == 2  # the CSV and the XLSX link


BULK_BODIES = [
    {"action": "priority", "priority": "low"},
    {"action": "assign_to_me"},
    {"action": "assign", "assignee": "none"},
    {"action": "add_label", "label": "LABEL"},
    {"action": "transition", "status": "in_progress", "comment": "mine now"},
    {"action": "transition", "status": "draft", "comment": "withdrawn"},
]


def bulk_body(world: World, body: dict[str, str]) -> dict[str, object]:
    label = {"label": world.ids["label"]} if body.get("label") == "LABEL" else {}
    return {**body, **label, "ids": [world.ids["ticket"], world.ids["public_ticket"]]}


@pytest.mark.parametrize("queue", sorted(QUEUE_SPECS))
def test_no_bulk_action_reaches_or_names_the_hidden_ticket(queue, queue_world):
    hidden = queue_world.ticket
    before = (hidden.status, hidden.priority, hidden.assignee_id, TicketNote.objects.filter(ticket=hidden).count())

    for body in BULK_BODIES if queue in FULLY_HUNTED else BULK_BODIES[:1]:
        hunt(queue_world, "queue-bulk", QUEUE_SPECS[queue], method="post", data=bulk_body(queue_world, body))
        hunt(
            queue_world, "queue-bulk", QUEUE_SPECS[queue], method="post", data=bulk_body(queue_world, body), query=f"q={SEARCH}"
        )

    hidden.refresh_from_db()
    after = (hidden.status, hidden.priority, hidden.assignee_id, TicketNote.objects.filter(ticket=hidden).count())
    assert after == before
    assert list(hidden.labels.values_list("pk", flat=True)) == [queue_world.ids["label"]]


@pytest.mark.parametrize("column", COLUMNS)
def test_the_bulk_summary_names_the_hidden_ticket_only_by_the_id_asked(column, queue_world):
    """With htmx (the per-row summary on the page) and without (the messages on the page redirected to)."""
    client = Client()
    client.force_login(queue_world.people[column])
    body = bulk_body(queue_world, {"action": "priority", "priority": "low"})

    for htmx in ({"HTTP_HX_REQUEST": "true"}, {}):
        response = client.post(f"/queues/all/bulk/?q={SEARCH}", body, follow=True, **htmx)

        assert_nothing_leaks(response, column)
        assert response.status_code in (200, 403)
        if column == "agent":
            assert f"#{queue_world.ids['ticket']} refused: Not found." in text_of(response) or (
                "Refused: Not found." in text_of(response)
            )


def test_the_hunt_would_see_the_ticket_where_it_is_visible(queue_world):
    """The control: someone who sees every ticket finds it in its queue by the searches and filters above."""
    sees_all = UserFactory(perms=["tickets.view_all_tickets", "tickets.work_on_ticket"])
    client = Client()
    client.force_login(sees_all)

    for queue in ["waiting-approval", "all"]:
        for params in [
            {"q": "Merger plan"},  # whole words: on PostgreSQL a word's prefix matches nothing (docs/search.md)
            {"q": COMMENT_WORD},
            {"q": FIELD_WORD},
            {"label": queue_world.ids["label"]},
            {"requester": queue_world.ticket.created_by.username},
        ]:
            text = text_of(client.get(f"/queues/{queue}/", params))
            assert KEY in text and TITLE in text, (queue, params)
    response = client.post(
        "/queues/all/bulk/", {"ids": [queue_world.ids["ticket"]], "action": "add_label", "label": queue_world.ids["label"]}
    )
    assert response.status_code == 302
    assert MARKER not in text_of(response)


# --- saved views (the queues people add) -----------------------------------------------------------------------------


def test_views_shared_with_a_role_or_kept_by_someone_else_are_not_found(queue_world):
    """A view named with the marker, shared with a role none of the columns holds, and one kept by its owner: neither
    opens (404, as a view that does not exist) nor shows in anyone's list of queues."""
    role = RoleFactory()
    owner = UserFactory(perms=["tickets.work_on_ticket"], roles=[role])
    label = [str(queue_world.ids["label"])]
    shared = SavedViewFactory(owner=owner, name=f"Shared {MARKER}", visibility="roles", roles=[role], filters={"label": label})
    personal = SavedViewFactory(owner=owner, name=f"Personal {MARKER}", filters={"label": label})
    queue_world.ids.update({"view:shared": shared.pk, "view:personal": personal.pk, "view:none": 9_000_000_000_000})

    for name in ["view:shared", "view:personal", "view:none"]:
        hunt(queue_world, "queue", {"queue": name}, expect_404=True)
        hunt(
            queue_world,
            "queue-bulk",
            {"queue": name},
            method="post",
            data=bulk_body(queue_world, BULK_BODIES[0]),
            expect_404=True,
        )
    hunt(queue_world, "queue", {"queue": "queue:all"})  # the list of queues beside the page: no marker


@pytest.mark.parametrize("column", COLUMNS)
def test_the_count_of_a_view_never_includes_the_hidden_ticket(column, queue_world):
    person = queue_world.people[column]
    ids = queue_world.ids
    views = [
        SavedViewFactory(owner=person, name="By label", filters={"label": [str(ids["label"])]}),
        SavedViewFactory(owner=person, name="By requester", filters={"creator": [str(ids["creator"])]}),
        SavedViewFactory(owner=person, name="By status", filters={"status": ["waiting_approval"], "priority": ["urgent"]}),
    ]

    assert view_counts(user=person, views=views) == {view.pk: 0 for view in views}
    if column == "agent":  # the one column with the queues beside the page
        client = Client()
        client.force_login(person)
        text = text_of(client.get("/queues/all/"))
        assert '<span>By label</span> <span class="queue-count">0<' in text
        assert '<span>By status</span> <span class="queue-count">0<' in text


def test_the_count_of_a_view_includes_the_ticket_where_it_is_visible(queue_world):
    """The control: the same views count the ticket for someone who sees every ticket."""
    sees_all = UserFactory(perms=["tickets.view_all_tickets", "tickets.work_on_ticket"])
    view = SavedViewFactory(owner=sees_all, filters={"label": [str(queue_world.ids["label"])]})

    assert view_counts(user=sees_all, views=[view]) == {view.pk: 1}


def test_saving_a_view_from_a_page_naming_the_hidden_ticket_reveals_nothing(queue_world):
    for params in [{"label": queue_world.ids["label"]}, {"q": SEARCH}, {"requester": queue_world.ticket.created_by.username}]:
        hunt(
            queue_world,
            "queue",
            QUEUE_SPECS["all"],
            method="post",
            data={"name": f"Saved {urlencode(params)}", "visibility": "personal", "columns": ["title", "status"]},
            query=urlencode(params),
        )
