"""Who may decide a slot, route by route, at decision time (SPEC §6): the creator never, delegations only while in
force, role membership as it is now, and a submission refused (400, naming step and slot) when a slot has nobody."""

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.models import ApprovalProcess, ProcessStatus, SlotStatus
from approvals.tests.factories import ApprovalSlotFactory, DelegationFactory, template_with
from tests.factories import RoleFactory, UserFactory
from tickets.models import TicketStatus, TicketVisibility
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def pending_ids(client) -> list[int]:
    response = client.get("/api/v1/approvals/?mine=pending")
    assert response.status_code == 200
    return [slot["id"] for slot in response.json()["results"]]


# --- the creator -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_creator_is_refused_on_a_user_slot_naming_them(flow, client_for, verb):
    """The engine never snapshots such a slot (submission is refused), but a row written outside it (the admin, a data
    migration) must not let the creator approve their own ticket either."""
    ticket = TicketFactory(created_by=flow.creator, status=TicketStatus.WAITING_APPROVAL)
    slot = ApprovalSlotFactory(step__process__ticket=ticket, user=flow.creator)
    assert slot.process.status == ProcessStatus.RUNNING

    response = flow.approve(flow.creator, slot) if verb == "approve" else flow.reject(flow.creator, slot)

    assert response.status_code == 403, response.json()
    assert response.json()["errors"][0]["code"] == "permission_denied"
    slot.refresh_from_db()
    assert (slot.status, slot.acted_by) == (SlotStatus.PENDING, None)
    assert pending_ids(client_for(flow.creator)) == []
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_APPROVAL


def test_creator_is_refused_on_a_restricted_ticket_through_a_role_and_as_a_proxy(flow, client_for):
    managers = RoleFactory(name="managers")
    flow.creator.groups.add(managers)
    boss = UserFactory()
    DelegationFactory(delegator=boss, delegate=flow.creator)
    UserFactory(roles=[managers])
    ticket = flow.submit(flow.ticket(template_with(("all", [boss, managers])), visibility=TicketVisibility.RESTRICTED))
    boss_slot, role_slot = flow.slots(ticket)

    for slot in (boss_slot, role_slot):
        assert flow.approve(flow.creator, slot).status_code == 403
        assert flow.reject(flow.creator, slot).status_code == 403
    assert pending_ids(client_for(flow.creator)) == []
    assert [slot.status for slot in flow.slots(ticket)] == ["pending", "pending"]
    assert flow.events(ticket) == ["approval_started", "approval_step_started"]


# --- delegations, checked when the delegate acts ------------------------------------------------------------------------


def test_a_delegation_made_after_the_step_started_counts(flow, client_for):
    boss, deputy = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [boss])), visibility=TicketVisibility.RESTRICTED))
    (slot,) = flow.slots(ticket)
    assert client_for(deputy).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404

    DelegationFactory(delegator=boss, delegate=deputy)

    assert pending_ids(client_for(deputy)) == [slot.pk]
    response = flow.approve(deputy, slot)
    assert response.status_code == 200
    assert (response.json()["acted_by"], response.json()["on_behalf_of"]) == (deputy.pk, boss.pk)


def test_a_delegation_ended_early_through_the_api_stops_the_delegate_at_once(flow, client_for):
    boss, deputy = UserFactory(), UserFactory()
    delegation = DelegationFactory(delegator=boss, delegate=deputy)
    ticket = flow.submit(flow.ticket(template_with(("any", [boss]))))
    (slot,) = flow.slots(ticket)
    assert pending_ids(client_for(deputy)) == [slot.pk]

    ended = client_for(boss).patch(
        f"/api/v1/delegations/{delegation.pk}/", {"ends_at": timezone.now().isoformat()}, format="json"
    )
    assert ended.status_code == 200

    assert pending_ids(client_for(deputy)) == []
    assert flow.approve(deputy, slot).status_code == 403
    slot.refresh_from_db()
    assert slot.status == SlotStatus.PENDING
    assert flow.approve(boss, slot).status_code == 200


def test_a_deleted_delegation_gives_nothing(flow, client_for):
    boss, deputy = UserFactory(), UserFactory()
    delegation = DelegationFactory(delegator=boss, delegate=deputy)
    ticket = flow.submit(flow.ticket(template_with(("any", [boss])), visibility=TicketVisibility.RESTRICTED))
    (slot,) = flow.slots(ticket)

    assert client_for(boss).delete(f"/api/v1/delegations/{delegation.pk}/").status_code == 204

    assert pending_ids(client_for(deputy)) == []
    assert flow.approve(deputy, slot).status_code == 404  # restricted: the delegate no longer sees the ticket either
    slot.refresh_from_db()
    assert slot.status == SlotStatus.PENDING


def test_the_delegate_of_a_deactivated_delegator_cannot_act(flow, client_for):
    boss, deputy = UserFactory(), UserFactory()
    DelegationFactory(delegator=boss, delegate=deputy)
    ticket = flow.submit(flow.ticket(template_with(("any", [boss]))))
    (slot,) = flow.slots(ticket)
    boss.is_active = False
    boss.save(update_fields=["is_active"])

    assert pending_ids(client_for(deputy)) == []
    assert flow.approve(deputy, slot).status_code == 403
    slot.refresh_from_db()
    assert slot.status == SlotStatus.PENDING


def test_the_delegate_of_a_member_who_left_the_role_cannot_act(flow, client_for):
    managers = RoleFactory(name="managers")
    boss, deputy = UserFactory(roles=[managers]), UserFactory()
    UserFactory(roles=[managers])
    DelegationFactory(delegator=boss, delegate=deputy)
    ticket = flow.submit(flow.ticket(template_with(("any", [managers]))))
    (slot,) = flow.slots(ticket)
    assert pending_ids(client_for(deputy)) == [slot.pk]

    boss.groups.remove(managers)

    assert pending_ids(client_for(deputy)) == []
    assert flow.approve(deputy, slot).status_code == 403


@pytest.mark.parametrize(
    ("starts", "ends"),
    [(timedelta(days=-3), timedelta(days=-1)), (timedelta(days=1), timedelta(days=3))],
    ids=["ended", "not-yet-started"],
)
def test_a_delegate_outside_the_window_sees_no_restricted_ticket_and_decides_nothing(flow, client_for, starts, ends):
    boss, deputy = UserFactory(), UserFactory()
    now = timezone.now()
    DelegationFactory(delegator=boss, delegate=deputy, starts_at=now + starts, ends_at=now + ends)
    ticket = flow.submit(flow.ticket(template_with(("any", [boss])), visibility=TicketVisibility.RESTRICTED))
    (slot,) = flow.slots(ticket)

    assert pending_ids(client_for(deputy)) == []
    assert flow.approve(deputy, slot).status_code == 404
    assert flow.reject(deputy, slot).status_code == 404


def test_a_delegates_own_delegation_passes_nothing_on(flow, client_for):
    """Not transitive: the delegate may delegate their own rights, but the rights lent to them do not travel further."""
    boss, deputy, deputy_of_deputy = UserFactory(), UserFactory(), UserFactory()
    DelegationFactory(delegator=boss, delegate=deputy)
    created = client_for(deputy).post(
        "/api/v1/delegations/",
        {
            "delegate": deputy_of_deputy.pk,
            "starts_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "ends_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201
    ticket = flow.submit(flow.ticket(template_with(("any", [boss])), visibility=TicketVisibility.RESTRICTED))
    (slot,) = flow.slots(ticket)

    assert pending_ids(client_for(deputy_of_deputy)) == []
    assert client_for(deputy_of_deputy).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    assert flow.approve(deputy_of_deputy, slot).status_code == 404
    assert flow.approve(deputy, slot).status_code == 200


# --- submission refused -----------------------------------------------------------------------------------------------


def test_submit_refused_for_a_role_without_any_member_naming_step_and_slot(flow):
    empty = RoleFactory(name="nobody-here")
    ticket = flow.ticket(template_with(("all", [UserFactory()]), ("all", [UserFactory(), empty])))

    response = flow.transition(ticket, "waiting_approval")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "no_eligible_approver"
    assert 'Step 2 "Step 2", slot 2 (role "nobody-here")' in error["detail"]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DRAFT
    assert not ApprovalProcess.objects.filter(ticket=ticket).exists()
    assert ticket.notes.filter(system=True).exclude(event_type="created").count() == 0


def test_submit_refused_for_a_user_deactivated_after_the_template_was_made(flow):
    leaver = UserFactory(username="leaver")
    ticket = flow.ticket(template_with(("any", [leaver])))
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])

    response = flow.transition(ticket, "waiting_approval")

    assert response.status_code == 400
    assert 'Step 1 "Step 1", slot 1 (user "leaver") names an inactive user' in response.json()["errors"][0]["detail"]
    assert not ApprovalProcess.objects.filter(ticket=ticket).exists()


def test_an_approver_removed_from_the_template_before_submission_gets_no_slot(flow, client_for):
    alice, bob = UserFactory(), UserFactory()
    template = template_with(("all", [alice, bob]))
    step = template.steps.get()
    admin = UserFactory(perms=["approvals.change_approvaltemplate"])
    body = {"steps": [{"id": step.pk, "name": "Step 1", "order": 1, "approval_type": "all", "approvers": [{"user": alice.pk}]}]}
    assert client_for(admin).patch(f"/api/v1/approval-templates/{template.pk}/", body, format="json").status_code == 200

    ticket = flow.submit(flow.ticket(template))

    assert [slot.user for slot in flow.slots(ticket)] == [alice]
    assert flow.approve(alice, flow.slots(ticket)[0]).status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_a_template_deleted_mid_process_lets_the_running_process_finish_but_not_a_new_one_start(flow, client_for):
    alice = UserFactory()
    template = template_with(("any", [alice]))
    ticket = flow.submit(flow.ticket(template))
    (slot,) = flow.slots(ticket)
    admin = UserFactory(perms=["approvals.delete_approvaltemplate"])
    assert client_for(admin).delete(f"/api/v1/approval-templates/{template.pk}/").status_code == 204

    assert flow.reject(alice, slot, "Redo it.").status_code == 200
    assert flow.transition(ticket, "draft").status_code == 200
    resubmitted = flow.transition(ticket, "waiting_approval")

    assert resubmitted.status_code == 400
    assert resubmitted.json()["errors"][0]["attr"] == "approval_template"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DRAFT
    assert list(ApprovalProcess.objects.filter(ticket=ticket).values_list("status", flat=True)) == ["rejected"]
