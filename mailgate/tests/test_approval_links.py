"""Approval by link (mailgate.approval_links): what a link may do is the engine's eligibility rule for the token's user,
and every other case is refused with its reason; deciding goes through approval_decide, recorded as by e-mail."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.test import override_settings

from approvals.models import ApprovalProcessStepApprover as Slot
from approvals.models import ProcessStatus, SlotStatus
from approvals.services import approval_decide
from approvals.tests.factories import DelegationFactory, template_with
from mailgate.approval_links import ApprovalLink, LinkRefused, Refusal, approval_link, approval_link_decide
from notifications.tokens import approval_token
from tests.factories import RoleFactory, UserFactory
from tickets.models import EventType, TicketNote, TicketStatus, TicketVisibility
from tickets.services import tickets as ticket_services
from tickets.tests.factories import TicketFactory
from ticketsite.errors import DomainConflict

pytestmark = pytest.mark.django_db


def submitted(creator, *steps):
    """A restricted ticket of `creator` waiting for the approval described by `steps` (as template_with)."""
    ticket = TicketFactory(created_by=creator, visibility=TicketVisibility.RESTRICTED, approval_template=template_with(*steps))
    ticket_services.ticket_transition(ticket=ticket, actor=creator, to_status=TicketStatus.WAITING_APPROVAL)
    ticket.refresh_from_db()
    return ticket


def first_slot(ticket) -> Slot:
    return Slot.objects.filter(ticket=ticket, step__order=1).order_by("id").first()


def token_for(slot: Slot, user, *, approve: bool = True) -> str:
    return approval_token(slot_id=slot.pk, user_id=user.pk, approve=approve)


def refusal_of(link) -> Refusal:
    assert isinstance(link, LinkRefused), link
    return link.reason


@pytest.fixture
def flow():
    creator, approver = UserFactory(), UserFactory()
    ticket = submitted(creator, ("all", [approver]))
    return {"creator": creator, "approver": approver, "ticket": ticket, "slot": first_slot(ticket)}


def test_the_approvers_link_may_decide_directly(flow):
    link = approval_link(token_for(flow["slot"], flow["approver"]), session_user=None)

    assert isinstance(link, ApprovalLink)
    assert (link.slot, link.user, link.approve, link.route.on_behalf_of) == (flow["slot"], flow["approver"], True, None)


def test_the_same_person_signed_in_may_use_it(flow):
    link = approval_link(token_for(flow["slot"], flow["approver"], approve=False), session_user=flow["approver"])

    assert isinstance(link, ApprovalLink)
    assert link.approve is False


def test_a_delegates_link_decides_as_proxy_and_says_so_on_the_timeline(flow):
    delegate = UserFactory()
    DelegationFactory(delegator=flow["approver"], delegate=delegate)
    link = approval_link(token_for(flow["slot"], delegate), session_user=None)
    assert isinstance(link, ApprovalLink)
    assert link.route.on_behalf_of == flow["approver"]

    decided = approval_link_decide(link=link, comment="Fine by me")

    assert (decided.status, decided.acted_by, decided.on_behalf_of) == (SlotStatus.APPROVED, delegate, flow["approver"])
    note = TicketNote.objects.get(ticket=flow["ticket"], event_type=EventType.APPROVAL_GIVEN)
    assert note.event_details["via"] == "email"


def test_a_role_members_link_may_decide():
    role, member, creator = RoleFactory(), UserFactory(), UserFactory()
    member.groups.add(role)
    ticket = submitted(creator, ("all", [role]))

    link = approval_link(token_for(first_slot(ticket), member), session_user=None)

    assert isinstance(link, ApprovalLink)


def test_deciding_rejects_with_the_reason_by_email(flow):
    link = approval_link(token_for(flow["slot"], flow["approver"], approve=False), session_user=None)

    approval_link_decide(link=link, comment="Too expensive")

    flow["slot"].refresh_from_db()
    flow["ticket"].refresh_from_db()
    assert (flow["slot"].status, flow["slot"].comment) == (SlotStatus.REJECTED, "Too expensive")
    assert flow["ticket"].status == TicketStatus.REJECTED
    note = TicketNote.objects.get(ticket=flow["ticket"], event_type=EventType.APPROVAL_REJECTED)
    assert note.event_details["via"] == "email"


# --- refusals ------------------------------------------------------------------------------------------------------


# Ids: a signed token holds the time it was made, and every xdist worker must collect the same test names.
@pytest.mark.parametrize(
    "token",
    ["", "nonsense", "a:b:c", signing.dumps({"s": 1, "u": 1, "a": True}, salt="other")],
    ids=["empty", "nonsense", "three-parts", "another-salt"],
)
def test_a_malformed_or_foreign_token_is_not_valid(flow, token):
    assert refusal_of(approval_link(token, session_user=None)) == Refusal.INVALID


def test_a_token_with_another_users_id_fails_its_signature(flow):
    intruder = UserFactory()
    _, stamp, signature = token_for(flow["slot"], flow["approver"]).split(":")
    forged_payload = token_for(flow["slot"], intruder).split(":")[0]

    link = approval_link(f"{forged_payload}:{stamp}:{signature}", session_user=None)

    assert refusal_of(link) == Refusal.INVALID


def test_the_other_decision_fails_its_signature(flow):
    _, stamp, signature = token_for(flow["slot"], flow["approver"], approve=True).split(":")
    rejecting_payload = token_for(flow["slot"], flow["approver"], approve=False).split(":")[0]

    assert refusal_of(approval_link(f"{rejecting_payload}:{stamp}:{signature}", session_user=None)) == Refusal.INVALID


def test_a_token_naming_nothing_is_not_valid(flow):
    missing_slot = approval_token(slot_id=9_000_000_000, user_id=flow["approver"].pk, approve=True)
    missing_user = approval_token(slot_id=flow["slot"].pk, user_id=9_000_000_000, approve=True)

    assert refusal_of(approval_link(missing_slot, session_user=None)) == Refusal.INVALID
    assert refusal_of(approval_link(missing_user, session_user=None)) == Refusal.INVALID


@override_settings(MAIL_APPROVAL_LINK_MAX_AGE_DAYS=7)
def test_an_old_token_has_expired(flow):
    eight_days_ago = time.time() - timedelta(days=8).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=eight_days_ago):
        old = token_for(flow["slot"], flow["approver"])

    link = approval_link(old, session_user=None)

    assert refusal_of(link) == Refusal.EXPIRED
    assert link.error.status_code == 410


def test_another_person_signed_in_is_refused(flow):
    link = approval_link(token_for(flow["slot"], flow["approver"]), session_user=UserFactory())

    assert refusal_of(link) == Refusal.OTHER_USER
    assert link.error.status_code == 403


def test_an_inactive_user_is_refused(flow):
    flow["approver"].is_active = False
    flow["approver"].save(update_fields=["is_active"])

    assert refusal_of(approval_link(token_for(flow["slot"], flow["approver"]), session_user=None)) == Refusal.INACTIVE


def test_a_used_link_is_refused_as_already_decided(flow):
    token = token_for(flow["slot"], flow["approver"])
    link = approval_link(token, session_user=None)
    assert isinstance(link, ApprovalLink)
    approval_link_decide(link=link, comment="")

    replay = approval_link(token, session_user=None)

    assert refusal_of(replay) == Refusal.DECIDED
    assert replay.error.status_code == 409


def test_a_slot_skipped_by_another_approver_is_decided():
    creator, first, second = UserFactory(), UserFactory(), UserFactory()
    ticket = submitted(creator, ("any", [first, second]))
    slots = list(Slot.objects.filter(ticket=ticket).order_by("id"))
    approval_decide(slot=slots[0], actor=first, approve=True)

    link = approval_link(token_for(slots[1], second), session_user=None)

    assert refusal_of(link) == Refusal.DECIDED
    assert "Another approver" in link.message


def test_a_withdrawn_request_is_refused(flow):
    ticket_services.ticket_transition(ticket=flow["ticket"], actor=flow["creator"], to_status=TicketStatus.DRAFT)

    assert refusal_of(approval_link(token_for(flow["slot"], flow["approver"]), session_user=None)) == Refusal.WITHDRAWN
    assert Slot.all_objects.get(pk=flow["slot"].pk).process.status == ProcessStatus.CANCELLED


def test_a_deleted_request_is_refused(flow):
    admin = UserFactory(is_staff=True, perms=["tickets.delete_ticket"])
    ticket_services.ticket_delete(ticket=flow["ticket"], actor=admin)

    assert refusal_of(approval_link(token_for(flow["slot"], flow["approver"]), session_user=None)) == Refusal.WITHDRAWN


def test_a_later_steps_link_after_a_rejection_is_refused():
    creator, first, second = UserFactory(), UserFactory(), UserFactory()
    ticket = submitted(creator, ("all", [first]), ("all", [second]))
    later = Slot.objects.get(ticket=ticket, step__order=2)
    approval_decide(slot=first_slot(ticket), actor=first, approve=False, comment="No")

    link = approval_link(token_for(later, second), session_user=None)

    assert refusal_of(link) == Refusal.DECIDED
    assert "Another approver" in link.message


def test_a_later_step_not_yet_open_is_finished_for_links():
    creator, first, second = UserFactory(), UserFactory(), UserFactory()
    ticket = submitted(creator, ("all", [first]), ("all", [second]))

    link = approval_link(token_for(Slot.objects.get(ticket=ticket, step__order=2), second), session_user=None)

    assert refusal_of(link) == Refusal.FINISHED


def test_someone_no_longer_eligible_is_refused():
    role, member, creator = RoleFactory(), UserFactory(), UserFactory()
    member.groups.add(role)
    ticket = submitted(creator, ("all", [role]))
    token = token_for(first_slot(ticket), member)
    member.groups.remove(role)

    link = approval_link(token, session_user=None)

    assert refusal_of(link) == Refusal.NOT_ELIGIBLE
    assert link.error.status_code == 403


def test_an_ended_delegation_ends_the_delegates_link(flow):
    delegate = UserFactory()
    delegation = DelegationFactory(delegator=flow["approver"], delegate=delegate)
    token = token_for(flow["slot"], delegate)
    delegation.delete()

    assert refusal_of(approval_link(token, session_user=None)) == Refusal.NOT_ELIGIBLE


def test_the_creators_link_is_refused(flow):
    token = token_for(flow["slot"], flow["creator"])

    assert refusal_of(approval_link(token, session_user=None)) == Refusal.NOT_ELIGIBLE


def test_a_link_read_before_the_slot_was_decided_elsewhere_is_refused_at_deciding_and_changes_nothing(flow):
    link = approval_link(token_for(flow["slot"], flow["approver"]), session_user=None)
    assert isinstance(link, ApprovalLink)
    approval_decide(slot=flow["slot"], actor=flow["approver"], approve=True, comment="From the page")
    notes_before = TicketNote.objects.filter(ticket=flow["ticket"]).count()

    with pytest.raises(DomainConflict):
        approval_link_decide(link=link, comment="From the mail")

    flow["slot"].refresh_from_db()
    assert flow["slot"].comment == "From the page"
    assert TicketNote.objects.filter(ticket=flow["ticket"]).count() == notes_before


def test_reading_a_link_changes_nothing(flow, django_assert_max_num_queries):
    before = Slot.objects.filter(ticket=flow["ticket"]).values_list("status", "acted_by", "updated_at")
    snapshot = list(before)
    with django_assert_max_num_queries(5):
        approval_link(token_for(flow["slot"], flow["approver"]), session_user=None)

    assert list(before) == snapshot
