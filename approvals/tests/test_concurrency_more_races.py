"""More simultaneous decisions on PostgreSQL, with real threads (each its own connection) released by one barrier.

test_concurrency.py covers the `any` step, approve against reject and withdraw against the last approval; these cover
the `all` step (everybody's approval counts, exactly one of them completes it), one slot raced by two people who may
both fill it, and a rejection racing approvals: every outcome is consistent and written once.
"""

import pytest

from approvals.models import ApprovalProcess
from approvals.tests.factories import template_with
from notifications.models import Notification, NotificationEvent
from notifications.tests.factories import NotificationRuleFactory
from tests.concurrency import approval_events, at_once
from tests.factories import RoleFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


def test_every_approver_of_an_all_step_at_once_completes_it_exactly_once(flow):
    approvers = [UserFactory() for _ in range(5)]
    # Stated here, not taken from the default rules: a transactional test before this one may have flushed them.
    for event_type in (NotificationEvent.APPROVAL_COMPLETED, NotificationEvent.STATUS_CHANGED):
        NotificationRuleFactory(event_type=event_type, notify_creator=True)
    ticket = flow.submit(flow.ticket(template_with(("all", approvers))))
    slots = flow.slots(ticket)

    codes = at_once(
        *[lambda user=user, slot=slot: flow.approve(user, slot) for user, slot in zip(approvers, slots, strict=True)]
    )

    assert codes == [200] * 5
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert [slot.status for slot in flow.slots(ticket)] == ["approved"] * 5
    assert ApprovalProcess.objects.get(ticket=ticket).status == "approved"
    assert approval_events(ticket) == [
        "approval_started",
        "approval_step_started",
        *["approval_given"] * 5,
        "approval_completed",
    ]
    assert ticket.notes.filter(event_type="status_change", event_details__to="open").count() == 1
    # The creator hears once about the completion and once about the status change.
    creator_news = Notification.objects.filter(ticket=ticket, recipient=flow.creator)
    assert sorted(creator_news.values_list("event_type", flat=True)) == sorted(
        [NotificationEvent.APPROVAL_COMPLETED, NotificationEvent.STATUS_CHANGED]
    )


def test_two_members_of_a_role_filling_its_one_slot_at_once_give_one_decision(flow):
    managers = RoleFactory(name="managers")
    alice, bob = UserFactory(roles=[managers]), UserFactory(roles=[managers])
    ticket = flow.submit(flow.ticket(template_with(("all", [managers]))))
    (slot,) = flow.slots(ticket)

    codes = at_once(lambda: flow.approve(alice, slot, "alice"), lambda: flow.reject(bob, slot, "bob"))

    assert sorted(codes) == [200, 409]
    slot.refresh_from_db()
    ticket.refresh_from_db()
    winner, comment = (alice, "alice") if codes[0] == 200 else (bob, "bob")
    assert (slot.acted_by, slot.comment) == (winner, comment)
    assert (slot.status, ticket.status) == (("approved", "open") if winner == alice else ("rejected", "rejected"))
    decisions = [event for event in approval_events(ticket) if event in ("approval_given", "approval_rejected")]
    assert len(decisions) == 1


def test_a_rejection_racing_approvals_of_an_all_step_leaves_one_consistent_outcome(flow):
    approvers = [UserFactory() for _ in range(4)]
    naysayer = UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [*approvers, naysayer]))))
    *approver_slots, naysayer_slot = flow.slots(ticket)

    codes = at_once(
        lambda: flow.reject(naysayer, naysayer_slot, "No budget."),
        *[lambda user=user, slot=slot: flow.approve(user, slot) for user, slot in zip(approvers, approver_slots, strict=True)],
    )

    # The rejection always wins: the step cannot complete without the naysayer's approval.
    assert codes[0] == 200
    ticket.refresh_from_db()
    process = ApprovalProcess.objects.get(ticket=ticket)
    assert (ticket.status, process.status) == ("rejected", "rejected")
    approved = codes[1:].count(200)
    statuses = [slot.status for slot in flow.slots(ticket)]
    assert statuses.count("approved") == approved
    assert statuses.count("skipped") == 4 - approved
    assert statuses[-1] == "rejected"
    assert codes[1:].count(409) == 4 - approved
    assert approval_events(ticket).count("approval_given") == approved
    assert approval_events(ticket).count("approval_rejected") == 1
    assert "approval_completed" not in approval_events(ticket)
    assert ticket.notes.filter(event_type="status_change", event_details__to="rejected").count() == 1
