"""The workspace's main flows in a real browser (issue 14, "Done means"), each person in a browser context of their own,
signed in at /login/. The world is built with factories and services; everything after that goes through the pages.

- a request's life: the requester fills a template's generated form with an attachment and submits it; a proxy approves
  step 1 "for" the absent approver from Awaiting my approval (htmx); the step-2 approver approves with JavaScript off;
  an agent picks it from the Unassigned queue, assigns it to themself, works it to resolved with comments (htmx); the
  requester comments and closes it with JavaScript off;
- an outsider at a restricted ticket's link asks for access, a manager approves it on the ticket page, the outsider sees
  the ticket;
- a bulk assignment from a queue, with its per-row summary.

Every page must load without a console error, a CSP violation or a 4xx/5xx answer (`page.problems`); a 4xx a flow
expects is checked and taken off the list where it happens.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from approvals.models import SlotStatus
from approvals.services import approval_template_create
from approvals.tests.factories import DelegationFactory
from permissions.models import AccessRequest, AccessRequestStatus
from permissions.services import grant_create
from tests.factories import AdminFactory, RoleFactory, UserFactory
from tickets.models import Attachment, Ticket, TicketNote, TicketStatus, TicketVisibility
from tickets.services.templates import template_create
from tickets.services.tickets import ticket_delete
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.browser

PASSWORD = "pass-12345"  # tests.factories.UserFactory's
LAPTOP_SCHEMA = {
    "type": "object",
    "properties": {
        "model": {"type": "string", "title": "Model", "enum": ["13-inch", "16-inch"]},
        "needed_by": {"type": "string", "format": "date", "title": "Needed by"},
        "justification": {"type": "string", "title": "Justification", "minLength": 10},
        "for_new_hire": {"type": "boolean", "title": "For a new hire"},
    },
    "required": ["model", "justification"],
    "x-order": ["model", "needed_by", "justification", "for_new_hire"],
}
NOTES = b"Serial of the old laptop: C02XK1\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def person(username: str, first: str, last: str, **kwargs) -> User:
    return UserFactory(username=username, first_name=first, last_name=last, **kwargs)


def sign_in(open_page, user: User, **context_options) -> Page:
    """A browser of `user`'s own, signed in through the sign-in page (JavaScript off with java_script_enabled=False)."""
    page = open_page(**context_options)
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".usermenu summary")).to_have_text(user.get_full_name())
    return page


def main_nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def timeline(page: Page):
    return page.get_by_role("region", name="Timeline")


def transition_form(page: Page, words: str):
    return page.locator("form.transition").filter(has=page.get_by_role("button", name=words, exact=True))


def event_types(ticket: Ticket) -> list[str]:
    return list(TicketNote.objects.filter(ticket=ticket, system=True).order_by("id").values_list("event_type", flat=True))


# --- a request's life ----------------------------------------------------------------------------------------------


@pytest.fixture
def office():
    """The people of the request's life and a Laptop request template with two approval steps: Frank (on holiday,
    Dave stands in for him), then Erin."""
    admin = AdminFactory(username="root")
    people = {
        "alice": person("alice", "Alice", "Archer"),
        "frank": person("frank", "Frank", "Fischer"),
        "dave": person("dave", "Dave", "Dunn"),
        "erin": person("erin", "Erin", "Evans"),
        "carol": person("carol", "Carol", "Cruz", perms=["tickets.work_on_ticket"]),
    }
    DelegationFactory(delegator=people["frank"], delegate=people["dave"], reason="Holiday")
    approval = approval_template_create(
        actor=admin,
        name="Laptop approval",
        steps=[
            {"name": "Manager approval", "order": 1, "approval_type": "all", "approvers": [{"user": people["frank"]}]},
            {"name": "Budget check", "order": 2, "approval_type": "all", "approvers": [{"user": people["erin"]}]},
        ],
    )
    template_create(
        actor=admin,
        name="Laptop request",
        description="A new or replacement laptop.",
        default_title="Laptop",
        approval_template=approval,
        custom_fields_schema=LAPTOP_SCHEMA,
        categories=[CategoryFactory(name="Hardware")],
    )
    return people


def test_a_request_from_its_form_to_closed_through_approval_by_a_proxy_and_an_agent_s_work(open_page, office):
    ticket = requester_files_a_laptop_request(open_page, office["alice"])
    proxy_approves_for_the_absent_approver(open_page, office["dave"], ticket)
    second_approver_approves_without_javascript(open_page, office["erin"], ticket)
    agent_works_it_from_the_unassigned_queue_to_resolved(open_page, office["carol"], ticket)
    requester_comments_and_closes_it_without_javascript(open_page, office["alice"], ticket)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (TicketStatus.CLOSED, office["carol"])
    assert event_types(ticket).count("status_change") == 5  # submitted, open, in progress, resolved, closed


def requester_files_a_laptop_request(open_page, alice: User) -> Ticket:
    page = sign_in(open_page, alice)
    expect(page.get_by_role("heading", name="My requests", level=1)).to_be_visible()  # a requester's start page

    main_nav(page).get_by_role("link", name="New request").click()
    expect(main_nav(page).get_by_role("link", name="New request")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="Laptop request").click()

    expect(page.get_by_role("heading", name="Laptop request", level=1)).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Laptop")  # the template's default title
    page.get_by_label("Title").fill("Laptop for the new designer")
    page.get_by_label("Description").fill("Starts on the first of September.")
    page.get_by_label("Model").select_option("16-inch")
    page.get_by_label("Needed by").fill("2030-09-01")
    page.get_by_label("Justification").fill("Design work needs the larger screen.")
    page.get_by_label("For a new hire").check()
    page.get_by_label("Attachments").set_input_files({"name": "old-laptop.txt", "mimeType": "text/plain", "buffer": NOTES})
    page.get_by_role("button", name="Submit for approval").click()

    expect(page.get_by_role("status")).to_contain_text("is submitted and waits for approval")
    expect(page.get_by_role("heading", name="Laptop for the new designer", level=1)).to_be_visible()
    expect(page.locator(".ticket-badges")).to_contain_text("Waiting for approval")
    details = page.locator("dl.custom-fields")
    for shown in ("16-inch", "2030-09-01", "Design work needs the larger screen.", "Yes"):
        expect(details).to_contain_text(shown)
    expect(page.get_by_role("region", name="Attachments")).to_contain_text("old-laptop.txt")
    approval = page.get_by_role("region", name="Approval")
    expect(approval.locator(".step").first).to_contain_text("Frank Fischer")
    assert page.problems == []

    ticket = Ticket.objects.get(title="Laptop for the new designer")
    assert ticket.created_by == alice and ticket.status == TicketStatus.WAITING_APPROVAL
    assert ticket.custom_fields == {
        "model": "16-inch",
        "needed_by": "2030-09-01",
        "justification": "Design work needs the larger screen.",
        "for_new_hire": True,
    }
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.file_name, attachment.content_type) == ("old-laptop.txt", "text/plain")
    assert attachment.file.read() == NOTES
    return ticket


def proxy_approves_for_the_absent_approver(open_page, dave: User, ticket: Ticket) -> None:
    page = sign_in(open_page, dave)
    expect(page.get_by_role("heading", name="Awaiting my approval")).to_be_visible()  # something waits on him: he lands here

    row = page.get_by_role("row").filter(has_text=ticket.key)
    expect(row.get_by_role("cell", name="as proxy for Frank Fischer")).to_be_visible()
    expect(row).to_contain_text("Manager approval")
    row.get_by_label("Comment").fill("Fine by Frank's budget.")
    with page.expect_response(lambda response: "/decide/" in response.url) as decided:
        row.get_by_role("button", name="Approve").click()
    assert decided.value.request.headers.get("hx-request") == "true"  # swapped in place by htmx, not a new page

    expect(row).to_contain_text("Approved by you just now for Frank Fischer")
    expect(page.locator("#waiting-count")).to_have_text("")  # nothing waits on him any more
    assert page.problems == []

    slot = ticket.approval_slots.get(step__order=1)
    assert (slot.status, slot.acted_by, slot.on_behalf_of.username) == (SlotStatus.APPROVED, dave, "frank")


def second_approver_approves_without_javascript(open_page, erin: User, ticket: Ticket) -> None:
    page = sign_in(open_page, erin, java_script_enabled=False)
    main_nav(page).get_by_role("link", name="Approvals").click()

    row = page.get_by_role("row").filter(has_text=ticket.key)
    expect(row.get_by_role("cell", name="directly")).to_be_visible()
    with page.expect_navigation():  # no script: the form posts and the answer redirects back with a message
        row.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").first).to_contain_text(f'You approved {ticket.key} (step "Budget check").')
    expect(page.get_by_role("heading", name="Nothing waits on you")).to_be_visible()

    page.get_by_role("link", name=ticket.key).first.click()
    expect(page.locator(".ticket-badges")).to_contain_text("Open")
    expect(page.get_by_role("region", name="Approval")).to_contain_text("by Dave Dunn for Frank Fischer")
    words = timeline(page)
    expect(words).to_contain_text("Dave Dunn approved Manager approval for Frank Fischer: Fine by Frank's budget.")
    expect(words).to_contain_text("Erin Evans approved Budget check")
    assert page.problems == []


def agent_works_it_from_the_unassigned_queue_to_resolved(open_page, carol: User, ticket: Ticket) -> None:
    page = sign_in(open_page, carol)
    expect(page.get_by_role("heading", name="Unassigned", level=1)).to_be_visible()  # an agent's start page
    expect(main_nav(page).get_by_role("link", name="Queues")).to_have_attribute("aria-current", "page")

    page.get_by_role("searchbox", name="Search", exact=True).fill("designer")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".queue-total")).to_have_text("1 ticket found")
    page.get_by_role("row").filter(has_text=ticket.key).get_by_role("link", name=ticket.title).click()

    expect(page.get_by_role("heading", name=ticket.title, level=1)).to_be_visible()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_role("status").first).to_have_text(f"{ticket.key} is assigned to you.")
    expect(page.get_by_role("region", name="About")).to_contain_text("Carol Cruz")

    page.get_by_role("button", name="Start work", exact=True).click()
    expect(page.get_by_role("status").first).to_have_text(f"Start work: {ticket.key} is now in progress.")

    for words in ("Ordered the 16-inch model.", "It arrives on Tuesday; I will set it up."):
        box = timeline(page).get_by_role("textbox", name="Comment", exact=True)
        box.fill(words)
        timeline(page).get_by_role("button", name="Comment", exact=True).click()
        expect(timeline(page).locator("li.comment").last).to_contain_text(words)  # swapped in place by htmx
        expect(timeline(page).get_by_role("textbox", name="Comment", exact=True)).to_have_value("")

    resolve = transition_form(page, "Resolve")
    resolve.get_by_text("Add a comment").click()
    resolve.get_by_label("Comment (optional)").fill("Set up and handed over.")
    resolve.get_by_role("button", name="Resolve").click()
    expect(page.locator(".ticket-badges")).to_contain_text("Resolved")
    expect(timeline(page)).to_contain_text("Set up and handed over.")
    assert page.problems == []


def requester_comments_and_closes_it_without_javascript(open_page, alice: User, ticket: Ticket) -> None:
    page = sign_in(open_page, alice, java_script_enabled=False)
    page.get_by_role("row").filter(has_text=ticket.key).get_by_role("link", name=ticket.key).click()
    expect(page.locator(".ticket-badges")).to_contain_text("Resolved")

    timeline(page).get_by_role("textbox", name="Comment", exact=True).fill("Works nicely, thank you.")
    with page.expect_navigation():  # the htmx form is a plain form without script: post, redirect, the page again
        timeline(page).get_by_role("button", name="Comment", exact=True).click()
    expect(timeline(page).locator("li.comment").last).to_contain_text("Works nicely, thank you.")

    page.get_by_role("button", name="Close", exact=True).click()
    expect(page.locator(".ticket-badges")).to_contain_text("Closed")
    expect(page.get_by_role("button", name="Close", exact=True)).to_have_count(0)
    assert page.problems == []


# --- access to a restricted ticket -----------------------------------------------------------------------------------


def test_an_outsider_asks_for_access_to_a_restricted_ticket_a_manager_approves_and_the_outsider_sees_it(open_page, live_server):
    managers = RoleFactory(name="managers")
    grace = person("grace", "Grace", "Green", perms=["permissions.manage_ticket_permissions"], roles=[managers])
    judy = person("judy", "Judy", "Jones")
    bob = person("bob", "Bob", "Baker")
    ticket = TicketFactory(
        title="Payroll export access", created_by=bob, visibility=TicketVisibility.RESTRICTED, status=TicketStatus.OPEN
    )
    grant_create(ticket=ticket, actor=bob, role=managers)  # managers see it, so grace manages its grants

    outsider = sign_in(open_page, judy)
    outsider.goto(f"/tickets/{ticket.key}/")
    expect(outsider.get_by_role("heading", name="Not found")).to_be_visible()
    expect(outsider.locator("main")).not_to_contain_text("Payroll")
    # The not-found answer is a 404 on purpose (the same as for a missing key); nothing else may fail.
    assert outsider.problems == [f"404 {live_server.url}/tickets/{ticket.key}/"]
    outsider.problems.clear()

    outsider.get_by_label("Why do you need access?").fill("I run the payroll export on Fridays.")
    outsider.get_by_role("button", name="Request access").click()
    expect(outsider.get_by_role("status").first).to_contain_text("Your request for access was sent.")
    assert AccessRequest.objects.get(ticket=ticket, requester=judy).status == AccessRequestStatus.PENDING

    manager = sign_in(open_page, grace)
    manager.goto(f"/tickets/{ticket.key}/")
    panel = manager.get_by_role("region", name="Who has access")
    asked = panel.locator("article.access-request").filter(has_text="Judy Jones")
    expect(asked).to_contain_text("I run the payroll export on Fridays.")
    asked.get_by_label("Comment").fill("For the Friday export.")
    asked.get_by_role("button", name="Approve").click()
    expect(panel.locator(".access-grants")).to_contain_text("Judy Jones")  # the panel, swapped in place
    expect(panel).to_contain_text("No one is waiting for access.")
    assert manager.problems == []

    outsider.goto(f"/tickets/{ticket.key}/")
    expect(outsider.get_by_role("heading", name="Payroll export access", level=1)).to_be_visible()
    expect(timeline(outsider)).to_contain_text("Grace Green granted the access request of Judy Jones: For the Friday export.")
    assert outsider.problems == []


# --- bulk actions ----------------------------------------------------------------------------------------------------


def test_an_agent_assigns_ticked_rows_of_a_queue_to_themself_and_reads_each_row_s_result(open_page):
    carol = person("carol", "Carol", "Cruz", perms=["tickets.work_on_ticket"])
    bob = person("bob", "Bob", "Baker")
    printer, vpn, gone, untouched = (
        TicketFactory(title=title, created_by=bob, status=TicketStatus.OPEN)
        for title in ("Printer jams", "VPN drops", "Old monitor", "Desk lamp")
    )

    page = sign_in(open_page, carol)
    expect(page.get_by_role("heading", name="Unassigned", level=1)).to_be_visible()
    for ticket in (printer, vpn, gone):
        page.get_by_label(f"Tick {ticket.key}").check()
    ticket_delete(ticket=gone, actor=AdminFactory())  # deleted by someone else while the page is open
    page.locator(".bulk-bar").get_by_role("button", name="Assign to me").click()

    summary = page.get_by_role("status", name="Assign to me: 2 done, 1 refused")
    expect(summary).to_be_visible()
    for ticket in (printer, vpn):
        expect(summary.get_by_role("row").filter(has_text=ticket.key)).to_contain_text("Done")
    expect(summary.get_by_role("row").filter(has_text=f"#{gone.pk}")).to_contain_text("Refused: Not found.")
    rows = page.locator("table.queue-table tbody tr")
    expect(rows).to_have_count(1)  # what is assigned has left the Unassigned queue
    expect(rows).to_contain_text(untouched.key)
    assert page.problems == []

    assert list(Ticket.objects.filter(assignee=carol).order_by("id")) == [printer, vpn]
