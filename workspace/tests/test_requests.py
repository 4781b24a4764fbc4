"""The requester's lists: "My requests" (their own tickets, what each waits on, status groups, search, pages) and the
catalogue of ticket templates on "New request"."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from approvals.tests.factories import template_with
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketStatus, TicketVisibility
from tickets.services import tickets as ticket_services
from tickets.services.templates import template_delete
from tickets.tests.factories import CategoryFactory, TicketFactory, TicketTemplateFactory
from workspace.templatetags.workspace_ui import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def submitted(creator, flow, title="Needs approval"):
    """A ticket of `creator` waiting for approval, through the services (a running process, its first step active)."""
    ticket = ticket_services.ticket_create(actor=creator, title=title, approval_template=flow)
    return ticket_services.ticket_transition(ticket=ticket, actor=creator, to_status=TicketStatus.WAITING_APPROVAL)


def rows_of(response) -> str:
    return response.content.decode()


# --- My requests ---------------------------------------------------------------------------------------------------


def test_my_requests_lists_the_callers_requests_newest_first_with_what_each_waits_on(page_for, alice):
    erin, dave, managers = UserFactory(), UserFactory(), RoleFactory(name="Managers")
    UserFactory(roles=[managers])
    draft = TicketFactory(created_by=alice, title="Old draft", status=TicketStatus.DRAFT)
    waiting = submitted(alice, template_with(("all", [erin, managers])), title="Laptop for Ben")
    taken = TicketFactory(created_by=alice, title="Printer jam", status=TicketStatus.OPEN, assignee=dave)
    untaken = TicketFactory(created_by=alice, title="VPN drops", status=TicketStatus.IN_PROGRESS)

    response = page_for(alice).get("/requests/")

    page = rows_of(response)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert [page.index(f'href="/tickets/{t.key}/"') for t in (untaken, taken, waiting, draft)] == sorted(
        page.index(f'href="/tickets/{t.key}/"') for t in (untaken, taken, waiting, draft)
    )
    assert "4 requests" in page
    assert f"Step 1: {person(erin)} and Managers (role)" in page
    assert person(dave) in page
    assert "an agent" in page
    assert "You: submit it" in page
    assert '<span class="badge status-waiting_approval">Waiting for approval</span>' in page
    assert '<span class="badge priority-medium">Medium</span>' in page
    assert 'aria-current="page">My requests' in page


def test_a_step_any_of_whose_approvers_may_decide_reads_or(page_for, alice):
    erin, frank = UserFactory(), UserFactory()
    submitted(alice, template_with(("any", [erin, frank])))

    page = rows_of(page_for(alice).get("/requests/"))

    assert f"Step 1: {person(erin)} or {person(frank)}" in page


def test_other_peoples_tickets_never_appear_even_those_the_caller_sees(page_for, alice):
    bob = UserFactory()
    TicketFactory(created_by=bob, title="Bob's draft", status=TicketStatus.DRAFT)
    TicketFactory(created_by=bob, title="Bob's open ticket", status=TicketStatus.OPEN, visibility=TicketVisibility.INTERNAL)
    TicketFactory(created_by=bob, title="Assigned to alice", status=TicketStatus.OPEN, assignee=alice)
    mine = TicketFactory(created_by=alice, title="My printer", status=TicketStatus.OPEN)

    page = rows_of(page_for(alice).get("/requests/?status=all"))

    assert mine.key in page
    assert "Bob" not in page
    assert "Assigned to alice" not in page


def test_a_deleted_request_is_gone(page_for, alice):
    ticket = ticket_services.ticket_create(actor=alice, title="Typo request")
    ticket_services.ticket_delete(ticket=ticket, actor=alice)

    page = rows_of(page_for(alice).get("/requests/?status=all"))

    assert "Typo request" not in page


@pytest.mark.parametrize(
    ("group", "shown", "hidden"),
    [
        ("", {"Draft one", "Resolved one", "Rejected one"}, {"Closed one", "Cancelled one"}),
        ("open", {"Draft one", "Resolved one", "Rejected one"}, {"Closed one", "Cancelled one"}),
        ("closed", {"Closed one", "Cancelled one"}, {"Draft one", "Resolved one", "Rejected one"}),
        ("all", {"Draft one", "Resolved one", "Rejected one", "Closed one", "Cancelled one"}, set()),
        ("nonsense", {"Draft one", "Resolved one", "Rejected one"}, {"Closed one", "Cancelled one"}),
    ],
)
def test_the_status_groups(page_for, alice, group, shown, hidden):
    for status in ("draft", "resolved", "rejected", "closed", "cancelled"):
        TicketFactory(created_by=alice, title=f"{status.capitalize()} one", status=status)

    page = rows_of(page_for(alice).get("/requests/", {"status": group}))

    assert {title for title in shown | hidden if title in page} == shown


def test_search_by_title_or_key(page_for, alice):
    laptop = TicketFactory(created_by=alice, title="New laptop")
    printer = TicketFactory(created_by=alice, title="Printer jam")

    by_title = rows_of(page_for(alice).get("/requests/", {"q": "LAPTOP"}))
    by_key = rows_of(page_for(alice).get("/requests/", {"q": printer.key}))

    assert laptop.key in by_title and printer.key not in by_title
    assert printer.key in by_key and laptop.key not in by_key


def test_pages_with_a_total(page_for, alice, monkeypatch):
    monkeypatch.setattr("workspace.views.requests.PAGE_SIZE", 2)
    tickets = [TicketFactory(created_by=alice, title=f"Request {n}") for n in range(3)]

    first = rows_of(page_for(alice).get("/requests/"))
    second = rows_of(page_for(alice).get("/requests/", {"page": 2}))

    assert "3 requests, page 1 of 2" in first
    assert 'href="?status=open&amp;q=&amp;page=2" rel="next">Older' in first
    assert tickets[0].key not in first and tickets[0].key in second
    assert "3 requests, page 2 of 2" in second


def test_nothing_yet_says_what_to_do_next(page_for, alice):
    page = rows_of(page_for(alice).get("/requests/"))

    assert "You have no open requests" in page
    assert 'href="/requests/new/">New request</a>' in page
    assert "<table" not in page


def test_nothing_matching_offers_every_request(page_for, alice):
    TicketFactory(created_by=alice, title="New laptop")

    page = rows_of(page_for(alice).get("/requests/", {"q": "printer"}))

    assert "No requests match" in page
    assert 'href="/requests/?status=all"' in page


def test_htmx_gets_only_the_results(page_for, alice):
    TicketFactory(created_by=alice, title="New laptop")

    response = page_for(alice).get("/requests/", {"status": "all"}, headers={"HX-Request": "true"})

    page = rows_of(response)
    assert page.lstrip().startswith('<div id="request-results">')
    assert "New laptop" in page and "<html" not in page


def test_a_stranger_is_asked_to_sign_in():
    response = Client().get("/requests/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_my_requests_is_read_only(page_for, alice):
    assert page_for(alice).post("/requests/").status_code == 405


def test_my_requests_runs_the_same_queries_at_n_and_10n_requests(page_for, alice):
    role = RoleFactory()
    UserFactory(roles=[role])
    flow = template_with(("all", [UserFactory(), role]), ("any", [UserFactory()]))
    template = TicketTemplateFactory()
    client = page_for(alice)

    def queries(n: int) -> int:
        for index in range(n):
            kind = index % 3
            if kind == 0:
                submitted(alice, flow)
            elif kind == 1:
                TicketFactory(created_by=alice, status=TicketStatus.OPEN, assignee=UserFactory(), template=template)
            else:
                TicketFactory(created_by=alice, status=TicketStatus.DRAFT)
        client.get("/requests/")  # the session and the user's permissions are warm, as on every page after the first
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/requests/")
        assert response.status_code == 200
        return len(captured)

    small = queries(2)
    assert queries(18) == small  # 20 requests, one page


# --- the catalogue -------------------------------------------------------------------------------------------------


def test_the_catalogue_shows_every_template_as_a_card_and_a_blank_request(page_for, alice):
    laptops = CategoryFactory(name="Laptops")
    laptop = TicketTemplateFactory(name="Laptop request", description="A new or replacement laptop.", categories=[laptops])
    access = TicketTemplateFactory(name="Access request", approval_template=template_with(("all", [UserFactory()])))
    gone = TicketTemplateFactory(name="Old form")
    template_delete(template=gone, actor=None)

    response = page_for(alice).get("/requests/new/")

    page = rows_of(response)
    assert response.status_code == 200
    assert f'href="/requests/new/{laptop.pk}/">Laptop request</a>' in page
    assert "A new or replacement laptop." in page
    assert '<span class="chip">Laptops</span>' in page
    assert f'href="/requests/new/{access.pk}/">Access request</a>' in page
    assert page.count("Needs approval") == 1
    assert "Old form" not in page
    assert 'href="/requests/new/blank/">Something else</a>' in page
    assert 'aria-current="page">New request' in page
    assert page.index("Access request") < page.index("Laptop request")


def test_the_catalogue_runs_the_same_queries_at_n_and_10n_templates(page_for, alice):
    client = page_for(alice)
    flow = template_with(("all", [UserFactory()]))

    def queries(n: int) -> int:
        for _ in range(n):
            TicketTemplateFactory(categories=[CategoryFactory(), CategoryFactory()], approval_template=flow)
        client.get("/requests/new/")
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/requests/new/")
        assert response.status_code == 200
        return len(captured)

    small = queries(2)
    assert queries(18) == small
