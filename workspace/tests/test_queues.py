"""The agents' queues: which tickets each queue lists, who may open them, filters, search, sort, pagination, a bad
filter as a 400 page, and the same number of queries at N and 10N tickets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from savedviews.models import SavedView
from savedviews.selectors import view_parameters
from tests.factories import UserFactory
from tickets.filters import TicketFilter
from tickets.models import SlaStatus, Ticket, TicketPriority, TicketStatus
from tickets.tests.factories import (
    CategoryFactory,
    LabelFactory,
    RestrictedTicketFactory,
    TicketFactory,
    TicketTemplateFactory,
)

pytestmark = pytest.mark.django_db

# The built-in views (seeded by savedviews/migrations/0002_builtin_views), in the sidebar's order; all but the last work
# queues of the desk.
BUILTIN_SLUGS = ["unassigned", "assigned-to-me", "open", "in-progress", "waiting-approval", "at-risk", "all"]
DESK_SLUGS = BUILTIN_SLUGS[:-1]
KEY_CELL = re.compile(r'<td data-label="Key"><a class="key" href="[^"]*">([^<]+)</a></td>')


def keys_on(response) -> list[str]:
    """The keys of the ticket rows, in the order listed."""
    return KEY_CELL.findall(response.content.decode())


@pytest.fixture
def agent():
    return UserFactory(username="agent", perms=["tickets.work_on_ticket"])


@pytest.fixture
def other_agent():
    return UserFactory(username="other-agent", perms=["tickets.work_on_ticket"])


def ticket(key: str, **fields) -> Ticket:
    return TicketFactory(key=key, **fields)


# --- each queue's rows -----------------------------------------------------------------------------------------------


def test_unassigned_lists_open_and_in_progress_tickets_nobody_works_on(agent, other_agent, page_for):
    ticket("OPEN-FREE", status=TicketStatus.OPEN)
    ticket("WORK-FREE", status=TicketStatus.IN_PROGRESS)
    ticket("OPEN-TAKEN", status=TicketStatus.OPEN, assignee=other_agent)
    ticket("DRAFT-FREE", status=TicketStatus.DRAFT)
    ticket("DONE-FREE", status=TicketStatus.RESOLVED)

    response = page_for(agent).get("/queues/unassigned/")

    assert response.status_code == 200
    assert sorted(keys_on(response)) == ["OPEN-FREE", "WORK-FREE"]


def test_unassigned_puts_the_most_urgent_then_the_oldest_first(agent, page_for):
    now = timezone.now()
    ticket("LOW-OLD", status=TicketStatus.OPEN, priority=TicketPriority.LOW)
    ticket("URGENT-NEW", status=TicketStatus.OPEN, priority=TicketPriority.URGENT)
    ticket("URGENT-OLD", status=TicketStatus.OPEN, priority=TicketPriority.URGENT)
    Ticket.objects.filter(key="URGENT-OLD").update(created_at=now - timedelta(days=2))
    Ticket.objects.filter(key="LOW-OLD").update(created_at=now - timedelta(days=3))

    response = page_for(agent).get("/queues/unassigned/")

    assert keys_on(response) == ["URGENT-OLD", "URGENT-NEW", "LOW-OLD"]


def test_assigned_to_me_lists_my_unresolved_tickets(agent, other_agent, page_for):
    ticket("MINE-OPEN", status=TicketStatus.OPEN, assignee=agent)
    ticket("MINE-WORK", status=TicketStatus.IN_PROGRESS, assignee=agent)
    ticket("MINE-WAIT", status=TicketStatus.WAITING_APPROVAL, assignee=agent)
    ticket("MINE-DONE", status=TicketStatus.RESOLVED, assignee=agent)
    ticket("THEIRS", status=TicketStatus.OPEN, assignee=other_agent)
    ticket("NOBODYS", status=TicketStatus.OPEN)

    response = page_for(agent).get("/queues/assigned-to-me/")

    assert sorted(keys_on(response)) == ["MINE-OPEN", "MINE-WAIT", "MINE-WORK"]


@pytest.mark.parametrize(
    ("queue", "status"),
    [
        ("open", TicketStatus.OPEN),
        ("in-progress", TicketStatus.IN_PROGRESS),
        ("waiting-approval", TicketStatus.WAITING_APPROVAL),
    ],
)
def test_status_queues_list_their_status_assigned_or_not(queue, status, agent, other_agent, page_for):
    for other in TicketStatus:
        ticket(f"T-{other.value}", status=other)
    ticket("T-taken", status=status, assignee=other_agent)

    response = page_for(agent).get(f"/queues/{queue}/")

    assert sorted(keys_on(response)) == sorted([f"T-{status.value}", "T-taken"])


def test_all_i_can_see_respects_visibility(agent, page_for):
    ticket("INTERNAL", status=TicketStatus.OPEN)
    RestrictedTicketFactory(key="HIDDEN", title="Secret merger", status=TicketStatus.OPEN)
    RestrictedTicketFactory(key="MINE-RESTRICTED", status=TicketStatus.OPEN, assignee=agent)

    response = page_for(agent).get("/queues/all/")

    assert sorted(keys_on(response)) == ["INTERNAL", "MINE-RESTRICTED"]
    assert b"Secret merger" not in response.content
    assert b"HIDDEN" not in response.content


def test_every_queue_counts_its_tickets_beside_the_list(agent, page_for):
    ticket("A", status=TicketStatus.OPEN, sla_status=SlaStatus.WARNING)
    ticket("B", status=TicketStatus.OPEN, assignee=agent)
    ticket("C", status=TicketStatus.WAITING_APPROVAL)
    RestrictedTicketFactory(key="HIDDEN", status=TicketStatus.OPEN, sla_status=SlaStatus.BREACHED)

    body = page_for(agent).get("/queues/open/").content.decode()

    counts = dict(re.findall(r'<span>([^<]+)</span> <span class="queue-count">(\d+)<span', body))
    assert counts == {
        "Unassigned": "1",
        "Assigned to me": "1",
        "Open": "2",
        "In progress": "0",
        "Waiting for approval": "1",
        "At risk": "1",
        "All I can see": "3",
    }
    assert 'href="/queues/open/" aria-current="page"' in body


def test_every_queue_is_valid_ticket_list_parameters(agent):
    """Queues are saved views: rows of TicketFilter parameters, the built-in ones seeded."""
    builtin = SavedView.objects.filter(is_builtin=True).order_by("position")

    assert [view.slug for view in builtin] == BUILTIN_SLUGS
    for view in builtin:
        assert TicketFilter(data=view_parameters(view, agent), queryset=Ticket.objects.all()).is_valid(), view.slug


# --- who may open them -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("queue", DESK_SLUGS)
def test_work_queues_are_refused_to_someone_who_is_not_an_agent(queue, page_for):
    ticket("OPEN", status=TicketStatus.OPEN)
    requester = UserFactory()

    response = page_for(requester).get(f"/queues/{queue}/")

    assert response.status_code == 403
    assert b"The queues are for agents" in response.content
    assert b"OPEN" not in response.content


def test_everyone_may_search_all_they_can_see_without_queues_or_bulk_actions(page_for):
    requester = UserFactory()
    ticket("MINE", status=TicketStatus.DRAFT, created_by=requester)
    RestrictedTicketFactory(key="NOT-MINE", status=TicketStatus.OPEN)

    response = page_for(requester).get("/queues/all/", {"q": "MINE"})

    assert response.status_code == 200
    assert keys_on(response) == ["MINE"]
    body = response.content.decode()
    assert 'class="queue-nav"' not in body
    assert 'name="ids"' not in body
    assert "queue-bulk" not in body and "/bulk/" not in body


def test_people_who_see_every_ticket_may_read_the_queues_but_not_act_in_bulk(page_for):
    auditor = UserFactory(perms=["tickets.view_all_tickets"])
    ticket("OPEN", status=TicketStatus.OPEN)
    RestrictedTicketFactory(key="RESTRICTED", status=TicketStatus.OPEN)

    response = page_for(auditor).get("/queues/unassigned/")

    assert response.status_code == 200
    assert sorted(keys_on(response)) == ["OPEN", "RESTRICTED"]
    assert 'name="ids"' not in response.content.decode()


def test_a_stranger_is_asked_to_sign_in(page_for):
    response = page_for(None).get("/queues/unassigned/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_unknown_queue_is_not_found(agent, page_for):
    assert page_for(agent).get("/queues/no-such-queue/").status_code == 404


def test_the_queue_page_is_never_cached(agent, page_for):
    assert "no-store" in page_for(agent).get("/queues/all/")["Cache-Control"]


# --- filters, search, sort, pages ------------------------------------------------------------------------------------


@pytest.fixture
def varied(agent, other_agent):
    """Four open tickets that differ in every filtered field."""
    now = timezone.now()
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    network, hardware = CategoryFactory(name="Network"), CategoryFactory(name="Hardware")
    vip, later = LabelFactory(name="vip"), LabelFactory(name="later")
    laptop = TicketTemplateFactory(name="Laptop")
    rows = {
        "NET-1": ticket(
            "NET-1", status=TicketStatus.OPEN, priority=TicketPriority.HIGH, created_by=alice, assignee=agent,
            categories=[network], labels=[vip], title="VPN drops every hour",
        ),
        "NET-2": ticket(
            "NET-2", status=TicketStatus.IN_PROGRESS, priority=TicketPriority.LOW, created_by=bob, assignee=other_agent,
            categories=[network], labels=[later], description="The office wifi is slow",
        ),
        "HW-1": ticket(
            "HW-1", status=TicketStatus.OPEN, priority=TicketPriority.URGENT, created_by=alice, template=laptop,
            categories=[hardware], title="Laptop screen cracked",
        ),
        "HW-2": ticket("HW-2", status=TicketStatus.RESOLVED, priority=TicketPriority.MEDIUM, created_by=bob, title="Mouse"),
    }  # fmt: skip
    Ticket.objects.filter(key="HW-2").update(created_at=now - timedelta(days=10), updated_at=now - timedelta(days=9))
    Ticket.objects.filter(key="NET-2").update(updated_at=now - timedelta(days=5))
    return {
        "rows": rows, "alice": alice, "bob": bob, "network": network, "vip": vip, "laptop": laptop,
        "agent": agent, "now": now,
    }  # fmt: skip


def listed(client, params) -> list[str]:
    response = client.get("/queues/all/", params)
    assert response.status_code == 200, response.content.decode()
    return sorted(keys_on(response))


def test_each_filter_narrows_the_queue(agent, varied, page_for):
    client = page_for(agent)
    v = varied
    yesterday = (v["now"] - timedelta(days=1)).date().isoformat()

    assert listed(client, {"status": ["open", "resolved"]}) == ["HW-1", "HW-2", "NET-1"]
    assert listed(client, {"priority": ["urgent", "low"]}) == ["HW-1", "NET-2"]
    assert listed(client, {"category": v["network"].pk}) == ["NET-1", "NET-2"]
    assert listed(client, {"label": v["vip"].pk}) == ["NET-1"]
    assert listed(client, {"template": v["laptop"].pk}) == ["HW-1"]
    assert listed(client, {"assignee": v["agent"].pk}) == ["NET-1"]
    assert listed(client, {"requester": "alice"}) == ["HW-1", "NET-1"]
    assert listed(client, {"creator": v["bob"].pk}) == ["HW-2", "NET-2"]
    assert listed(client, {"created_before": yesterday}) == ["HW-2"]
    assert listed(client, {"created_after": yesterday}) == ["HW-1", "NET-1", "NET-2"]
    assert listed(client, {"updated_before": yesterday}) == ["HW-2", "NET-2"]
    assert listed(client, {"updated_after": yesterday}) == ["HW-1", "NET-1"]
    assert listed(client, {"status": "open", "requester": "alice", "category": v["network"].pk}) == ["NET-1"]


def test_a_form_left_empty_filters_nothing(agent, varied, page_for):
    empty_form = {name: "" for name in ["q", "status", "category", "label", "template", "assignee", "requester",
                                        "created_after", "created_before", "updated_after", "updated_before"]}  # fmt: skip

    assert listed(page_for(agent), empty_form) == ["HW-1", "HW-2", "NET-1", "NET-2"]


def test_filters_narrow_a_queue_never_widen_it(agent, varied, page_for):
    response = page_for(agent).get("/queues/open/", {"status": "resolved"})

    assert keys_on(response) == []
    assert b"No tickets match" in response.content


def test_search_matches_key_title_and_description_like_the_api(agent, varied, page_for, client_for):
    client = page_for(agent)

    for term, expected in [("vpn", ["NET-1"]), ("WIFI", ["NET-2"]), ("hw-", ["HW-1", "HW-2"]), ("nothing", [])]:
        api = client_for(agent).get("/api/v1/tickets/", {"search": term}).json()
        assert listed(client, {"q": term}) == expected == sorted(Ticket.objects.get(pk=row["id"]).key for row in api["results"])


def test_the_queue_lists_what_the_api_lists_for_the_same_parameters(agent, varied, page_for, client_for):
    parameter_sets = [
        {"status": "open"},
        {"assigned": "false"},
        {"assigned": "true", "priority": "high"},
        {"category": varied["network"].pk, "ordering": "-priority"},
        {"mine": "true"},
    ]
    for params in parameter_sets:
        api = client_for(agent).get("/api/v1/tickets/", params).json()
        api_keys = [Ticket.objects.get(pk=row["id"]).key for row in api["results"]]

        assert keys_on(page_for(agent).get("/queues/all/", params)) == api_keys, params


@pytest.mark.parametrize(
    ("ordering", "expected", "header", "state"),
    [
        ("title", ["NET-2", "HW-1", "HW-2", "NET-1"], "Title", "ascending"),
        ("-title", ["NET-1", "HW-2", "HW-1", "NET-2"], "Title", "descending"),
        ("-priority", ["HW-1", "NET-1", "HW-2", "NET-2"], "Priority", "descending"),
        ("priority", ["NET-2", "HW-2", "NET-1", "HW-1"], "Priority", "ascending"),
        ("-updated_at", ["HW-1", "NET-1", "NET-2", "HW-2"], "Updated", "descending"),
        ("status", ["NET-2", "HW-1", "NET-1", "HW-2"], "Status", "ascending"),  # ties: newest first
    ],
)
def test_sorting_by_a_column_marks_its_header(ordering, expected, header, state, agent, varied, page_for):
    Ticket.objects.filter(key="NET-2").update(title="A wifi problem")
    Ticket.objects.filter(key="NET-1").update(title="Z VPN drops")
    Ticket.objects.filter(key="HW-1").update(updated_at=timezone.now() + timedelta(minutes=1))

    response = page_for(agent).get("/queues/all/", {"ordering": ordering})

    assert keys_on(response) == expected
    body = response.content.decode()
    reverse = ordering[1:] if ordering.startswith("-") else f"-{ordering}"
    assert re.search(rf'<th scope="col" aria-sort="{state}"><a href="\?ordering={re.escape(reverse)}">{header}</a>', body)
    assert body.count('aria-sort="ascending"') + body.count('aria-sort="descending"') == 1


def test_a_header_link_keeps_the_filters_and_starts_at_the_first_page(agent, varied, page_for):
    body = page_for(agent).get("/queues/all/", {"q": "net", "page": "2", "ordering": "title"}).content.decode()

    assert 'href="?q=net&amp;ordering=-title">Title</a>' in body
    assert 'href="?q=net&amp;ordering=key">Key</a>' in body


def test_an_unknown_sort_is_ignored_like_the_api(agent, varied, page_for):
    response = page_for(agent).get("/queues/all/", {"ordering": "description"})

    assert response.status_code == 200
    assert len(keys_on(response)) == 4


def test_pages_of_25_with_the_total(agent, page_for):
    for number in range(30):
        ticket(f"P-{number:02d}", status=TicketStatus.OPEN)
    client = page_for(agent)

    first = client.get("/queues/open/", {"ordering": "key"})
    second = client.get("/queues/open/", {"ordering": "key", "page": "2"})
    beyond = client.get("/queues/open/", {"ordering": "key", "page": "99"})

    assert keys_on(first) == [f"P-{number:02d}" for number in range(25)]
    assert keys_on(second) == [f"P-{number:02d}" for number in range(25, 30)]
    assert keys_on(beyond) == keys_on(second)
    assert b"<strong>30</strong> tickets" in first.content
    assert b"Page 1 of 2" in first.content
    assert 'href="?ordering=key&amp;page=2" rel="next"' in first.content.decode()
    assert 'href="?ordering=key&amp;page=1" rel="prev"' in second.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "bogus"}, "Status: Select a valid choice. bogus is not one of the available choices."),
        ({"priority": "now"}, "Priority: Select a valid choice. now is not one of the available choices."),
        ({"assignee": "abc"}, "Assignee: Enter a whole number."),
        ({"category": "0"}, "Category: Ensure this value is greater than or equal to 1."),
        ({"created_after": "yesterday"}, "Created from: Enter a valid date/time."),
        ({"mine": "maybe"}, "mine: Use true or false."),
        ({"requester": "nobody-by-that-name"}, "Requester: No one has the username &quot;nobody-by-that-name&quot;."),
    ],
)
def test_a_filter_the_api_would_refuse_is_a_400_page_saying_why(params, message, agent, page_for):
    ticket("OPEN", status=TicketStatus.OPEN)

    response = page_for(agent).get("/queues/all/", params)

    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "Fix the filters above to see tickets." in body
    assert keys_on(response) == []


# --- query counts ----------------------------------------------------------------------------------------------------


def add_tickets(count: int, agent, other_agent) -> None:
    """`count` tickets in every queue, each with its own requester, category and label."""
    for _ in range(count):
        for status, assignee in [
            (TicketStatus.OPEN, None),
            (TicketStatus.IN_PROGRESS, None),
            (TicketStatus.OPEN, agent),
            (TicketStatus.WAITING_APPROVAL, agent),
            (TicketStatus.IN_PROGRESS, other_agent),
        ]:
            TicketFactory(
                status=status,
                assignee=assignee,
                categories=[CategoryFactory()],
                labels=[LabelFactory()],
                # Every row shows its service level; the in-progress ones are at risk (a queue of their own).
                sla_status=SlaStatus.WARNING if status == TicketStatus.IN_PROGRESS else SlaStatus.OK,
                resolution_due_at=timezone.now() + timedelta(hours=2),
            )
    RestrictedTicketFactory.create_batch(count, status=TicketStatus.OPEN)


def queries_of(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    assert keys_on(response)
    return len(queries)


@pytest.mark.parametrize("queue", BUILTIN_SLUGS)
def test_a_queue_page_costs_the_same_queries_at_n_and_10n_tickets(queue, agent, other_agent, page_for):
    client = page_for(agent)
    add_tickets(3, agent, other_agent)
    at_n = queries_of(client, f"/queues/{queue}/")

    add_tickets(27, agent, other_agent)
    at_10n = queries_of(client, f"/queues/{queue}/")

    assert at_n == at_10n


# The queries of a queue page, whatever the number of tickets (tests below, at N and 10N):
SESSION_AND_PERMISSIONS = 2  # the session; the user with their permissions (ticketsite.backends)
HEADER = 2  # the header's counts: unread notifications, approvals waiting
FILTER_CHOICES = 4  # the filters' categories, labels, templates and agents (also the bulk assignment's)
ROWS = 3  # the page of tickets with their people, its rows' categories and labels


@pytest.mark.parametrize("queue", ["all", "open"])
def test_a_desk_queue_page_reads_a_fixed_list_of_queries(queue, agent, other_agent, page_for, django_assert_num_queries):
    client = page_for(agent)
    for added in (3, 27):  # N, then 10N tickets
        add_tickets(added, agent, other_agent)
        # + the views (the page's and the sidebar's), the sidebar's counts of the views with filters, the count of
        # the tickets visible (the views without filters; the page's total too: it lists one of the counted views),
        # the roles to share a saved view with
        with django_assert_num_queries(SESSION_AND_PERMISSIONS + 1 + 2 + HEADER + FILTER_CHOICES + 1 + ROWS):
            client.get(f"/queues/{queue}/")


def test_the_all_queue_of_a_requester_reads_a_fixed_list_of_queries(agent, other_agent, page_for, django_assert_num_queries):
    client = page_for(UserFactory())
    for added in (3, 27):  # N, then 10N tickets
        add_tickets(added, agent, other_agent)
        # + the view, the page's total (no sidebar: the queues are the desk's)
        with django_assert_num_queries(SESSION_AND_PERMISSIONS + 1 + 1 + HEADER + FILTER_CHOICES + ROWS):
            client.get("/queues/all/")
