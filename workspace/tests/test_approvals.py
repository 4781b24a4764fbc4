""" "Awaiting my approval" and deciding from it: the approver, the role member and the proxy each see their slots and
decide them; whoever may not is refused and nothing changes (slots, ticket, timeline)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import ApprovalProcessStepApprover as Slot
from approvals.models import SlotStatus
from approvals.services import delegation_update
from approvals.tests.factories import DelegationFactory, template_with
from tests.factories import RoleFactory, UserFactory
from tickets.models import EventType, TicketNote, TicketStatus, TicketVisibility
from tickets.services import tickets as ticket_services
from tickets.tests.factories import TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db

URL = "/approvals/"


def named(username: str):
    return UserFactory(username=username, first_name=username.capitalize(), last_name="")


def submitted(creator, *steps, **fields):
    """A ticket of `creator` waiting for the approval described by `steps` (as template_with)."""
    ticket = TicketFactory(created_by=creator, approval_template=template_with(*steps), **fields)
    ticket_services.ticket_transition(ticket=ticket, actor=creator, to_status=TicketStatus.WAITING_APPROVAL)
    ticket.refresh_from_db()
    return ticket


def slots_of(ticket, order: int = 1) -> list[Slot]:
    return list(Slot.objects.filter(ticket=ticket, step__order=order).order_by("id"))


def decisions(ticket) -> list[TicketNote]:
    events = [EventType.APPROVAL_GIVEN, EventType.APPROVAL_REJECTED]
    return list(TicketNote.objects.filter(ticket=ticket, event_type__in=events).order_by("id"))


def decide_url(slot: Slot) -> str:
    return f"/approvals/{slot.pk}/decide/"


@pytest.fixture
def people():
    return {name: named(name) for name in ("rita", "erin", "frank", "dave", "olga")}


# --- the list ------------------------------------------------------------------------------------------------------


def test_the_list_shows_each_slot_and_how_i_may_decide_it(page_for, people):
    role = RoleFactory(name="Security")
    people["erin"].groups.add(role)
    DelegationFactory(delegator=people["frank"], delegate=people["erin"])
    template = TicketTemplateFactory(name="Laptop request")
    direct = submitted(people["rita"], ("all", [people["erin"]]), title="New laptop", template=template)
    by_role = submitted(people["rita"], ("all", [role]), title="Firewall change")
    as_proxy = submitted(people["rita"], ("all", [people["frank"]]), title="Budget")

    response = page_for(people["erin"]).get(URL)

    body = response.content.decode()
    assert response.status_code == 200
    for ticket in (direct, by_role, as_proxy):
        assert f'href="/tickets/{ticket.key}/"' in body
        assert ticket.title in body
    assert "Laptop request" in body
    assert "Rita" in body  # the requester
    assert "Step 1" in body
    assert "directly" in body
    assert "through role Security" in body
    assert "as proxy for Frank" in body
    assert body.count('name="decision" value="reject"') == 3
    assert "3 waiting on you" in body


def test_nothing_waits_on_someone_who_fills_no_slot(page_for, people):
    submitted(people["rita"], ("all", [people["erin"]]), title="New laptop")

    response = page_for(people["olga"]).get(URL)

    assert response.status_code == 200
    assert b"Nothing waits on you" in response.content
    assert b"New laptop" not in response.content


def test_the_creator_does_not_see_their_own_ticket_even_through_a_role(page_for, people):
    role = RoleFactory()
    people["rita"].groups.add(role)
    people["erin"].groups.add(role)
    submitted(people["rita"], ("all", [role]), title="My own request")

    assert b"My own request" not in page_for(people["rita"]).get(URL).content
    assert b"My own request" in page_for(people["erin"]).get(URL).content


def test_a_stranger_is_asked_to_sign_in():
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_recently_decided_lists_my_decisions_on_tickets_i_still_see(page_for, people):
    delegation = DelegationFactory(delegator=people["frank"], delegate=people["dave"])
    ticket = submitted(
        people["rita"], ("all", [people["frank"]]), title="Secret budget", visibility=TicketVisibility.RESTRICTED
    )
    page = page_for(people["dave"])
    page.post(decide_url(slots_of(ticket)[0]), {"decision": "approve", "comment": "fine by me"})

    shown = page.get(URL).content.decode()
    delegation_update(delegation=delegation, actor=people["frank"], data={"ends_at": timezone.now()})
    after = page.get(URL).content.decode()

    assert "Recently decided by me" in shown
    assert "Secret budget" in shown
    assert "fine by me" in shown
    assert "for Frank" in shown
    assert "Secret budget" not in after  # the proxy no longer sees the restricted ticket
    assert ticket.key not in after


# --- deciding ------------------------------------------------------------------------------------------------------


def test_approve_from_the_list_without_javascript(page_for, people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]))
    slot = slots_of(ticket)[0]

    response = page_for(people["erin"]).post(decide_url(slot), {"decision": "approve", "comment": "", "next": URL}, follow=True)

    slot.refresh_from_db()
    ticket.refresh_from_db()
    assert response.redirect_chain == [(URL, 302)]
    assert f"You approved {ticket.key}" in response.content.decode()
    assert (slot.status, slot.acted_by, slot.on_behalf_of) == (SlotStatus.APPROVED, people["erin"], None)
    assert ticket.status == TicketStatus.OPEN
    assert [note.event_type for note in decisions(ticket)] == [EventType.APPROVAL_GIVEN]


def test_reject_with_a_comment_rejects_the_ticket(page_for, people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]))
    slot = slots_of(ticket)[0]

    response = page_for(people["erin"]).post(decide_url(slot), {"decision": "reject", "comment": "Too expensive"})

    slot.refresh_from_db()
    ticket.refresh_from_db()
    assert response.status_code == 302
    assert (slot.status, slot.comment) == (SlotStatus.REJECTED, "Too expensive")
    assert ticket.status == TicketStatus.REJECTED
    assert decisions(ticket)[0].event_details["comment"] == "Too expensive"


def test_reject_without_a_comment_shows_the_error_next_to_the_field_and_changes_nothing(page_for, people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]), title="New laptop")
    slot = slots_of(ticket)[0]

    response = page_for(people["erin"]).post(decide_url(slot), {"decision": "reject", "comment": "  ", "next": URL})

    body = response.content.decode()
    slot.refresh_from_db()
    ticket.refresh_from_db()
    assert response.status_code == 200
    assert f'<p class="error" id="slot{slot.pk}_comment_error" role="alert">A rejection needs a comment.</p>' in body
    assert f'name="next" value="{URL}"' in body
    assert "New laptop" in body
    assert slot.status == SlotStatus.PENDING
    assert ticket.status == TicketStatus.WAITING_APPROVAL
    assert decisions(ticket) == []


def test_a_decision_without_approve_or_reject_changes_nothing(page_for, people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]))
    slot = slots_of(ticket)[0]

    response = page_for(people["erin"]).post(decide_url(slot), {"decision": "maybe"})

    slot.refresh_from_db()
    assert response.status_code == 200
    assert b"Choose Approve or Reject." in response.content
    assert slot.status == SlotStatus.PENDING


def test_a_role_member_decides_the_role_slot(page_for, people):
    role = RoleFactory()
    people["erin"].groups.add(role)
    ticket = submitted(people["rita"], ("all", [role]))
    slot = slots_of(ticket)[0]

    response = page_for(people["erin"]).post(decide_url(slot), {"decision": "approve"})

    slot.refresh_from_db()
    assert response.status_code == 302
    assert (slot.status, slot.acted_by) == (SlotStatus.APPROVED, people["erin"])


def test_a_proxy_decides_for_the_delegator_and_the_timeline_says_so(page_for, people):
    DelegationFactory(delegator=people["frank"], delegate=people["dave"])
    ticket = submitted(people["rita"], ("all", [people["frank"]]))
    slot = slots_of(ticket)[0]

    response = page_for(people["dave"]).post(decide_url(slot), {"decision": "approve", "comment": "ok"}, follow=True)

    slot.refresh_from_db()
    (event,) = decisions(ticket)
    assert f"You approved {ticket.key} (step &quot;Step 1&quot;) for Frank." in response.content.decode()
    assert (slot.acted_by, slot.on_behalf_of) == (people["dave"], people["frank"])
    assert event.created_by == people["dave"]
    assert (event.event_details["acted_by"], event.event_details["on_behalf_of"]) == (people["dave"].pk, people["frank"].pk)


def test_someone_who_sees_the_ticket_but_is_no_approver_is_refused_and_nothing_changes(page_for, people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]), visibility=TicketVisibility.INTERNAL)
    slot = slots_of(ticket)[0]

    response = page_for(people["olga"]).post(decide_url(slot), {"decision": "approve"})

    slot.refresh_from_db()
    ticket.refresh_from_db()
    assert response.status_code == 403
    assert b"You cannot decide this slot" in response.content
    assert slot.status == SlotStatus.PENDING
    assert ticket.status == TicketStatus.WAITING_APPROVAL
    assert decisions(ticket) == []


def test_someone_who_cannot_see_the_ticket_finds_nothing(page_for, people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]), visibility=TicketVisibility.RESTRICTED, title="Merger")
    slot = slots_of(ticket)[0]

    response = page_for(people["olga"]).post(decide_url(slot), {"decision": "reject", "comment": "no"})
    made_up = page_for(people["olga"]).post("/approvals/9000000000000/decide/", {"decision": "reject", "comment": "no"})
    too_big = page_for(people["olga"]).post(f"/approvals/{2**70}/decide/", {"decision": "reject", "comment": "no"})

    slot.refresh_from_db()
    assert response.status_code == made_up.status_code == too_big.status_code == 404
    assert b"There is nothing here" in response.content
    assert b"There is nothing here" in made_up.content
    assert b"Merger" not in response.content
    assert slot.status == SlotStatus.PENDING
    assert decisions(ticket) == []


def test_a_second_decision_on_a_decided_slot_is_refused(page_for, people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]), ("all", [people["frank"]]))
    slot = slots_of(ticket)[0]
    page = page_for(people["erin"])
    page.post(decide_url(slot), {"decision": "approve"})

    again = page.post(decide_url(slot), {"decision": "reject", "comment": "changed my mind"})

    slot.refresh_from_db()
    ticket.refresh_from_db()
    assert again.status_code == 409
    assert b"Not possible right now" in again.content
    assert slot.status == SlotStatus.APPROVED
    assert ticket.status == TicketStatus.WAITING_APPROVAL
    assert [note.event_type for note in decisions(ticket)] == [EventType.APPROVAL_GIVEN]


def test_someone_else_deciding_first_leaves_my_slot_skipped_and_my_decision_refused(page_for, people):
    ticket = submitted(people["rita"], ("any", [people["erin"], people["frank"]]))
    erin_slot, frank_slot = slots_of(ticket)
    page_for(people["erin"]).post(decide_url(erin_slot), {"decision": "approve"})

    late = page_for(people["frank"]).post(decide_url(frank_slot), {"decision": "approve"})

    frank_slot.refresh_from_db()
    assert late.status_code == 409
    assert frank_slot.status == SlotStatus.SKIPPED


def test_deciding_is_a_post(page_for, people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]))

    assert page_for(people["erin"]).get(decide_url(slots_of(ticket)[0])).status_code == 405


def test_deciding_needs_the_csrf_token(people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]))
    slot = slots_of(ticket)[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["erin"])

    response = client.post(decide_url(slot), {"decision": "approve"})

    slot.refresh_from_db()
    assert response.status_code == 403
    assert slot.status == SlotStatus.PENDING


def test_the_list_form_carries_the_csrf_token(page_for, people):
    submitted(people["rita"], ("all", [people["erin"]]))

    body = page_for(people["erin"]).get(URL).content.decode()

    assert body.count('name="csrfmiddlewaretoken"') >= 2  # the decision form (and the header's sign-out)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", ""])
def test_next_never_leaves_the_site(page_for, people, target):
    ticket = submitted(people["rita"], ("all", [people["erin"]]))

    response = page_for(people["erin"]).post(decide_url(slots_of(ticket)[0]), {"decision": "approve", "next": target})

    assert response["Location"] == URL


def test_next_goes_back_to_the_ticket_page(page_for, people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]))

    response = page_for(people["erin"]).post(
        decide_url(slots_of(ticket)[0]), {"decision": "approve", "next": f"/tickets/{ticket.key}/"}
    )

    assert response["Location"] == f"/tickets/{ticket.key}/"


# --- htmx ----------------------------------------------------------------------------------------------------------


def test_with_htmx_the_row_is_replaced_by_the_decision(page_for, people):
    DelegationFactory(delegator=people["frank"], delegate=people["dave"])
    ticket = submitted(people["rita"], ("all", [people["frank"]]), title="Budget")
    slot = slots_of(ticket)[0]

    response = page_for(people["dave"]).post(decide_url(slot), {"decision": "approve", "next": URL}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="slot-{slot.pk}" class="decided">')
    assert "<html" not in body
    assert "Approved</span> by you" in body
    assert "for Frank" in body
    assert '<span id="waiting-count" hx-swap-oob="true"></span>' in body  # nothing waits any more


def test_with_htmx_the_header_count_follows_each_decision(page_for, people):
    first = slots_of(submitted(people["rita"], ("all", [people["erin"]]), title="Laptop"))[0]
    second = slots_of(submitted(people["rita"], ("all", [people["erin"]]), title="Phone"))[0]
    page = page_for(people["erin"])
    assert 'aria-label="2 waiting">2</span>' in page.get(URL).content.decode()

    one_left = page.post(decide_url(first), {"decision": "approve", "next": URL}, HTTP_HX_REQUEST="true").content.decode()
    none_left = page.post(decide_url(second), {"decision": "approve", "next": URL}, HTTP_HX_REQUEST="true").content.decode()

    assert '<span id="nav-awaiting" hx-swap-oob="true"> <span class="count" aria-label="1 waiting">1</span></span>' in one_left
    assert '<span id="nav-awaiting" hx-swap-oob="true"></span>' in none_left


def test_with_htmx_a_rejection_without_comment_shows_the_row_with_the_error(page_for, people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]))
    slot = slots_of(ticket)[0]

    response = page_for(people["erin"]).post(decide_url(slot), {"decision": "reject", "next": URL}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    slot.refresh_from_db()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="slot-{slot.pk}">')
    assert "A rejection needs a comment." in body
    assert "directly" in body
    assert f'hx-post="/approvals/{slot.pk}/decide/"' in body
    assert slot.status == SlotStatus.PENDING


# --- query counts --------------------------------------------------------------------------------------------------


def build_awaiting(approver, role, delegator, n: int) -> None:
    """n slots of each kind waiting on `approver`: their own, their role's, and their delegator's."""
    requester = UserFactory()
    template = TicketTemplateFactory()
    for _ in range(n):
        submitted(requester, ("all", [approver]), template=template)
        submitted(requester, ("all", [role]), template=template)
        submitted(requester, ("all", [delegator]), template=template)


def queries_of(client: Client, url: str) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content


def test_the_list_runs_the_same_queries_for_n_and_10n_slots(page_for, people):
    role = RoleFactory()
    people["erin"].groups.add(role)
    DelegationFactory(delegator=people["frank"], delegate=people["erin"])
    page = page_for(people["erin"])
    decided = submitted(people["rita"], ("all", [people["erin"]]))  # for the "recently decided" part
    page.post(decide_url(slots_of(decided)[0]), {"decision": "approve"})
    build_awaiting(people["erin"], role, people["frank"], 1)

    few, few_body = queries_of(page, URL)
    build_awaiting(people["erin"], role, people["frank"], 9)
    many, many_body = queries_of(page, URL)

    def routes(body: bytes) -> list[int]:
        return [body.count(words) for words in (b"directly", b"through role", b"as proxy for Frank")]

    assert routes(few_body) == [1, 1, 1]
    assert routes(many_body) == [10, 10, 10]
    assert decided.key.encode() in many_body
    assert few == many == 9  # session, user with permissions, nav (2), count, page, routes (2), recent


def test_waiting_time_is_when_the_step_started(page_for, people):
    ticket = submitted(people["rita"], ("all", [people["erin"]]))
    started = timezone.now() - timedelta(hours=3)
    slots_of(ticket)[0].step.__class__.objects.filter(process__ticket=ticket).update(started_at=started)

    body = page_for(people["erin"]).get(URL).content.decode()

    assert f'datetime="{started.isoformat()}"' in body
    assert "3 hours ago" in body
