"""Simultaneous decisions on PostgreSQL, with real threads (each its own connection) released by one barrier.

The decision locks the ticket row, then the process row, and re-reads the slot: exactly one outcome, the losers 409.
"""

import pytest

from approvals.models import ApprovalProcess
from approvals.tests.factories import template_with
from tests.concurrency import approval_events, at_once
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


def test_many_approvers_of_an_any_step_at_once_give_one_completion(flow):
    approvers = [UserFactory() for _ in range(6)]
    ticket = flow.submit(flow.ticket(template_with(("any", approvers))))
    slots = flow.slots(ticket)

    codes = at_once(
        *[lambda user=user, slot=slot: flow.approve(user, slot) for user, slot in zip(approvers, slots, strict=True)]
    )

    assert sorted(codes) == [200] + [409] * 5
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.notes.filter(event_type="status_change", event_details__to="open").count() == 1
    assert approval_events(ticket) == ["approval_started", "approval_step_started", "approval_given", "approval_completed"]
    assert sorted(slot.status for slot in flow.slots(ticket)) == ["approved"] + ["skipped"] * 5
    assert ApprovalProcess.objects.get(ticket=ticket).status == "approved"


def test_approve_racing_reject_gives_one_consistent_outcome(flow):
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [alice, bob]))))
    alice_slot, bob_slot = flow.slots(ticket)

    codes = at_once(lambda: flow.approve(alice, alice_slot), lambda: flow.reject(bob, bob_slot, "No."))

    assert sorted(codes) == [200, 409]
    ticket.refresh_from_db()
    process = ApprovalProcess.objects.get(ticket=ticket)
    slot_statuses = [slot.status for slot in flow.slots(ticket)]
    if codes[0] == 200:  # the approval won
        assert (ticket.status, process.status, slot_statuses) == ("open", "approved", ["approved", "skipped"])
        assert approval_events(ticket)[2:] == ["approval_given", "approval_completed"]
    else:  # the rejection won
        assert (ticket.status, process.status, slot_statuses) == ("rejected", "rejected", ["skipped", "rejected"])
        assert approval_events(ticket)[2:] == ["approval_rejected"]
    assert ticket.notes.filter(event_type="status_change").exclude(event_details__to="waiting_approval").count() == 1


def test_withdraw_racing_the_last_approval_gives_one_outcome(flow):
    alice = UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice]))))
    (slot,) = flow.slots(ticket)

    codes = at_once(lambda: flow.approve(alice, slot), lambda: flow.transition(ticket, "draft"))

    assert sorted(codes) == [200, 409]
    ticket.refresh_from_db()
    process = ApprovalProcess.objects.get(ticket=ticket)
    if codes[0] == 200:
        assert (ticket.status, process.status) == ("open", "approved")
    else:
        assert (ticket.status, process.status) == ("draft", "cancelled")
        slot.refresh_from_db()
        assert slot.status == "skipped"


def test_many_approvers_of_a_middle_any_step_at_once_start_the_next_step_once(flow):
    approvers = [UserFactory() for _ in range(6)]
    finance = UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", approvers), ("all", [finance]))))
    slots = flow.slots(ticket, order=1)

    codes = at_once(
        *[lambda user=user, slot=slot: flow.approve(user, slot) for user, slot in zip(approvers, slots, strict=True)]
    )

    assert sorted(codes) == [200] + [409] * 5
    assert approval_events(ticket) == ["approval_started", "approval_step_started", "approval_given", "approval_step_started"]
    assert sorted(slot.status for slot in flow.slots(ticket, order=1)) == ["approved"] + ["skipped"] * 5
    ticket.refresh_from_db()
    assert ticket.status == "waiting_approval"
