"""Approval by reply: `approve` or `reject: reason` as the first line of a reply decides the slot the token's user may
decide now, through approval_decide, as that user or as a proxy, recorded "via email". Anything else changes nothing."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalProcessStepApprover, SlotStatus
from approvals.tests.factories import DelegationFactory, template_with
from mailgate.models import InboundOutcome
from mailgate.tests.mails import ingest, piped, reply
from tests.factories import UserFactory
from tickets.models import EventType, TicketNote, TicketStatus
from tickets.services import tickets as ticket_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def erin():
    return UserFactory(username="erin")


@pytest.fixture
def ticket(alice, erin):
    """Alice's ticket waiting for Erin's approval, through the services."""
    draft = ticket_services.ticket_create(actor=alice, title="New laptop", approval_template=template_with(("all", [erin])))
    return ticket_services.ticket_transition(ticket=draft, actor=alice, to_status=TicketStatus.WAITING_APPROVAL)


def slot_of(ticket) -> ApprovalProcessStepApprover:
    return ApprovalProcessStepApprover.objects.get(ticket=ticket)


def decisions(ticket) -> list[tuple[str, str, dict]]:
    events = TicketNote.objects.filter(ticket=ticket, event_type__in=[EventType.APPROVAL_GIVEN, EventType.APPROVAL_REJECTED])
    return [(event.event_type, event.created_by.username, event.event_details.get("via")) for event in events]


def unchanged(ticket) -> bool:
    ticket.refresh_from_db()
    return (
        ticket.status == TicketStatus.WAITING_APPROVAL
        and slot_of(ticket).status == SlotStatus.PENDING
        and not TicketNote.objects.filter(ticket=ticket, system=False).exists()
        and not decisions(ticket)
    )


def test_approve_by_reply_decides_the_slot_by_email(ticket, erin):
    record = ingest(reply(user=erin, ticket=ticket, body="Approve\nWithin budget.\n\nBest regards,\nErin"))

    slot = slot_of(ticket)
    ticket.refresh_from_db()
    assert (slot.status, slot.acted_by, slot.on_behalf_of, slot.comment) == (SlotStatus.APPROVED, erin, None, "Within budget.")
    assert ticket.status == TicketStatus.OPEN
    assert decisions(ticket) == [(EventType.APPROVAL_GIVEN, "erin", "email")]
    assert (record.outcome, record.reason, record.user, record.ticket) == (InboundOutcome.APPROVAL, "Approved.", erin, ticket)
    assert not TicketNote.objects.filter(ticket=ticket, system=False).exists()


@pytest.mark.parametrize("first_line", ["reject: Too expensive.", "REJECT Too expensive.", "Reject - Too expensive."])
def test_reject_by_reply_needs_and_keeps_the_reason(ticket, erin, first_line):
    record = ingest(reply(user=erin, ticket=ticket, body=first_line))

    slot = slot_of(ticket)
    ticket.refresh_from_db()
    assert (slot.status, slot.comment) == (SlotStatus.REJECTED, "Too expensive.")
    assert ticket.status == TicketStatus.REJECTED
    assert decisions(ticket) == [(EventType.APPROVAL_REJECTED, "erin", "email")]
    assert (record.outcome, record.reason) == (InboundOutcome.APPROVAL, "Rejected.")


def test_a_delegate_approves_by_reply_on_behalf_of_the_approver(ticket, erin):
    dan = UserFactory(username="dan")
    DelegationFactory(delegator=erin, delegate=dan)

    assert piped(reply(user=dan, ticket=ticket, body="approve")) == "approval: Approved on behalf of erin."

    slot = slot_of(ticket)
    assert (slot.status, slot.acted_by, slot.on_behalf_of) == (SlotStatus.APPROVED, dan, erin)
    assert decisions(ticket) == [(EventType.APPROVAL_GIVEN, "dan", "email")]


def test_an_approvers_reply_that_is_no_decision_is_a_comment(ticket, erin):
    record = ingest(reply(user=erin, ticket=ticket, body="Approved models only, please check."))

    assert record.outcome == InboundOutcome.COMMENT
    assert slot_of(ticket).status == SlotStatus.PENDING
    assert TicketNote.objects.get(ticket=ticket, system=False).note == "Approved models only, please check."


@pytest.mark.parametrize(
    ("case", "body", "reason"),
    [
        ("reject without reason", "reject", "A rejection by e-mail needs a reason: reply 'reject: <reason>'."),
        ("the creator", "approve", "alice has no approval to decide on"),
        ("not an approver", "approve", "bob has no approval to decide on"),
        ("already decided", "approve", "erin has no approval to decide on"),
        ("delegation over", "approve", "dan has no approval to decide on"),
    ],
)
def test_a_decision_nobody_may_make_now_is_refused_and_changes_nothing(ticket, alice, erin, case, body, reason):
    sender = {"the creator": alice, "not an approver": UserFactory(username="bob")}.get(case, erin)
    if case == "already decided":
        ingest(reply(user=erin, ticket=ticket, body="approve"))
    if case == "delegation over":
        sender = UserFactory(username="dan")
        DelegationFactory(delegator=erin, delegate=sender).soft_delete(actor=erin)
    before = TicketNote.objects.filter(ticket=ticket).count()

    record = ingest(reply(user=sender, ticket=ticket, body=body))

    assert record.outcome == InboundOutcome.REFUSED
    assert reason in record.reason
    assert TicketNote.objects.filter(ticket=ticket).count() == before
    if case in ("reject without reason", "the creator", "not an approver"):
        assert unchanged(ticket)
