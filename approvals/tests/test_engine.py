"""The approval engine through the HTTP API: submit, decide, complete, reject, withdraw, resubmit (SPEC §6)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.models import ApprovalProcess, ApprovalProcessStep
from approvals.tests.factories import ApprovalTemplateStepApproverFactory, DelegationFactory, template_with
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def statuses(rows):
    return [row.status for row in rows]


# --- single step -------------------------------------------------------------------------------------------------


def test_all_step_needs_every_slot_then_ticket_opens(flow):
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice, bob]))))
    assert ticket.status == "waiting_approval"
    first, second = flow.slots(ticket)

    response = flow.approve(alice, first, "fine by me")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "approved" and body["acted_by"] == alice.pk and body["on_behalf_of"] is None
    assert body["comment"] == "fine by me" and body["acted_at"] is not None and body["step_name"] == "Step 1"
    ticket.refresh_from_db()
    assert ticket.status == "waiting_approval"

    assert flow.approve(bob, second).status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "open"
    process = ApprovalProcess.objects.get(ticket=ticket)
    assert process.status == "approved" and process.finished_at is not None
    assert statuses(flow.slots(ticket)) == ["approved", "approved"]
    assert flow.events(ticket) == [
        "approval_started",
        "approval_step_started",
        "approval_given",
        "approval_given",
        "approval_completed",
    ]
    assert ticket.notes.filter(event_type="status_change", event_details__to="open").count() == 1


def test_any_step_one_approval_completes_and_skips_the_others(flow):
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [alice, bob, carol]))))
    first, second, _third = flow.slots(ticket)

    assert flow.approve(bob, second).status_code == 200

    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert statuses(flow.slots(ticket)) == ["skipped", "approved", "skipped"]
    response = flow.approve(alice, first)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "not_actionable"


def test_timeline_events_carry_details(flow):
    alice = UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [alice]))))
    (slot,) = flow.slots(ticket)
    flow.approve(alice, slot, "ok")
    process = ApprovalProcess.objects.get(ticket=ticket)
    given = ticket.notes.get(event_type="approval_given")
    assert given.created_by == alice
    assert given.event_details == {
        "process": process.pk,
        "process_name": process.name,
        "step": slot.step_id,
        "step_name": "Step 1",
        "step_order": 1,
        "approval_type": "any",
        "slot": slot.pk,
        "user": alice.pk,
        "role": None,
        "acted_by": alice.pk,
        "on_behalf_of": None,
        "comment": "ok",
    }
    started = ticket.notes.get(event_type="approval_step_started")
    assert started.event_details["approvers"] == [{"slot": slot.pk, "user": alice.pk, "role": None}]
    assert ticket.notes.get(event_type="approval_started").event_details["template"] == ticket.approval_template_id


# --- several steps -----------------------------------------------------------------------------------------------


def test_multi_step_activates_the_next_step_then_completes(flow):
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice]), ("any", [bob]))))
    steps = list(ApprovalProcessStep.objects.filter(process__ticket=ticket).order_by("order"))
    assert statuses(steps) == ["active", "waiting"]
    (step2_slot,) = flow.slots(ticket, order=2)
    assert flow.approve(bob, step2_slot).status_code == 409  # step 2 is not active yet

    (step1_slot,) = flow.slots(ticket, order=1)
    assert flow.approve(alice, step1_slot).status_code == 200
    for step in steps:
        step.refresh_from_db()
    assert statuses(steps) == ["approved", "active"]
    assert steps[1].started_at is not None

    assert flow.approve(bob, step2_slot).status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert flow.events(ticket).count("approval_step_started") == 2


def test_rejection_in_step_two_of_three_rejects_everything(flow):
    alice, bob, carol, dave = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [alice]), ("all", [bob, carol]), ("all", [dave]))))
    flow.approve(alice, flow.slots(ticket, order=1)[0])
    bob_slot, carol_slot = flow.slots(ticket, order=2)

    response = flow.reject(carol, carol_slot, "Too expensive.")

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    ticket.refresh_from_db()
    assert ticket.status == "rejected"
    process = ApprovalProcess.objects.get(ticket=ticket)
    assert process.status == "rejected"
    assert statuses(process.steps.order_by("order")) == ["approved", "rejected", "skipped"]
    assert statuses(flow.slots(ticket)) == ["approved", "skipped", "rejected", "skipped"]
    assert flow.events(ticket)[-1] == "approval_rejected"
    rejected = ticket.notes.get(event_type="approval_rejected")
    assert rejected.event_details["comment"] == "Too expensive." and rejected.event_details["acted_by"] == carol.pk
    assert ticket.notes.filter(event_type="status_change", event_details__to="rejected").count() == 1
    assert flow.approve(bob, bob_slot).status_code == 409


def test_reject_needs_a_comment(flow):
    alice = UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [alice]))))
    (slot,) = flow.slots(ticket)

    response = flow.reject(alice, slot, "   ")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "comment"
    slot.refresh_from_db()
    assert slot.status == "pending"


# --- roles ---------------------------------------------------------------------------------------------------------


def test_role_slot_is_filled_by_any_current_member(flow):
    managers = RoleFactory(name="managers")
    alice, bob = UserFactory(roles=[managers]), UserFactory(roles=[managers])
    ticket = flow.submit(flow.ticket(template_with(("all", [managers]))))
    (slot,) = flow.slots(ticket)

    response = flow.approve(bob, slot)

    assert response.status_code == 200
    assert response.json()["acted_by"] == bob.pk
    assert flow.approve(alice, slot).status_code == 409


def test_member_who_joins_after_the_step_started_can_act(flow):
    managers = RoleFactory(name="managers")
    UserFactory(roles=[managers])
    ticket = flow.submit(flow.ticket(template_with(("any", [managers]))))
    (slot,) = flow.slots(ticket)
    newcomer = UserFactory()
    newcomer.groups.add(managers)

    assert flow.approve(newcomer, slot).status_code == 200


def test_member_who_left_the_role_cannot_act(flow):
    managers = RoleFactory(name="managers")
    alice = UserFactory(roles=[managers])
    UserFactory(roles=[managers])
    ticket = flow.submit(flow.ticket(template_with(("any", [managers]))))
    (slot,) = flow.slots(ticket)
    alice.groups.remove(managers)

    response = flow.approve(alice, slot)

    assert response.status_code == 403
    slot.refresh_from_db()
    assert slot.status == "pending"


def test_deactivated_approver_cannot_act(flow):
    alice = UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [alice]))))
    (slot,) = flow.slots(ticket)
    alice.is_active = False
    alice.save()

    assert flow.approve(alice, slot).status_code == 404  # inactive users see no ticket at all
    slot.refresh_from_db()
    assert slot.status == "pending"


def test_one_person_fills_one_slot_per_step(flow):
    managers = RoleFactory(name="managers")
    alice = UserFactory(roles=[managers])
    UserFactory(roles=[managers])
    ticket = flow.submit(flow.ticket(template_with(("all", [alice, managers]))))
    alice_slot, role_slot = flow.slots(ticket)
    assert flow.approve(alice, alice_slot).status_code == 200

    response = flow.approve(alice, role_slot)

    assert response.status_code == 403
    role_slot.refresh_from_db()
    assert role_slot.status == "pending"


# --- delegation ----------------------------------------------------------------------------------------------------


def test_delegate_acts_inside_the_window_and_the_record_names_both(flow):
    boss, deputy = UserFactory(), UserFactory()
    DelegationFactory(delegator=boss, delegate=deputy)
    ticket = flow.submit(flow.ticket(template_with(("any", [boss]))))
    (slot,) = flow.slots(ticket)

    response = flow.approve(deputy, slot)

    assert response.status_code == 200
    assert response.json()["acted_by"] == deputy.pk and response.json()["on_behalf_of"] == boss.pk
    given = ticket.notes.get(event_type="approval_given")
    assert given.event_details["acted_by"] == deputy.pk and given.event_details["on_behalf_of"] == boss.pk


def test_delegate_of_a_role_member_can_fill_the_role_slot(flow):
    managers = RoleFactory(name="managers")
    boss, deputy = UserFactory(roles=[managers]), UserFactory()
    DelegationFactory(delegator=boss, delegate=deputy)
    ticket = flow.submit(flow.ticket(template_with(("any", [managers]))))
    (slot,) = flow.slots(ticket)

    response = flow.approve(deputy, slot)

    assert response.status_code == 200
    assert response.json()["on_behalf_of"] == boss.pk


@pytest.mark.parametrize(
    ("starts", "ends"),
    [(timedelta(days=-3), timedelta(days=-1)), (timedelta(days=1), timedelta(days=3))],
    ids=["ended", "not-yet-started"],
)
def test_delegate_outside_the_window_cannot_act(flow, starts, ends):
    boss, deputy = UserFactory(), UserFactory()
    now = timezone.now()
    DelegationFactory(delegator=boss, delegate=deputy, starts_at=now + starts, ends_at=now + ends)
    ticket = flow.submit(flow.ticket(template_with(("any", [boss]))))
    (slot,) = flow.slots(ticket)

    assert flow.approve(deputy, slot).status_code == 403  # the ticket is internal: visible, but not theirs to decide
    slot.refresh_from_db()
    assert slot.status == "pending"


def test_chained_delegation_is_refused(flow):
    boss, deputy, deputy_of_deputy = UserFactory(), UserFactory(), UserFactory()
    DelegationFactory(delegator=boss, delegate=deputy)
    DelegationFactory(delegator=deputy, delegate=deputy_of_deputy)
    ticket = flow.submit(flow.ticket(template_with(("any", [boss]))))
    (slot,) = flow.slots(ticket)

    response = flow.approve(deputy_of_deputy, slot)

    assert response.status_code == 403
    slot.refresh_from_db()
    assert slot.status == "pending"


def test_delegate_cannot_fill_a_second_slot_of_a_step_for_the_same_person(flow):
    boss, deputy, other = UserFactory(), UserFactory(), UserFactory()
    DelegationFactory(delegator=boss, delegate=deputy)
    ticket = flow.submit(flow.ticket(template_with(("all", [boss, deputy, other]))))
    boss_slot, deputy_slot, _ = flow.slots(ticket)
    assert flow.approve(deputy, boss_slot).status_code == 200

    assert flow.approve(deputy, deputy_slot).status_code == 403
    assert flow.approve(boss, deputy_slot).status_code == 403


# --- the creator ---------------------------------------------------------------------------------------------------


def test_creator_is_refused_by_every_route(flow):
    managers = RoleFactory(name="managers")
    flow.creator.groups.add(managers)
    boss, colleague = UserFactory(), UserFactory(roles=[managers])
    DelegationFactory(delegator=boss, delegate=flow.creator)
    ticket = flow.submit(flow.ticket(template_with(("all", [boss, managers]))))
    boss_slot, role_slot = flow.slots(ticket)

    assert flow.approve(flow.creator, role_slot).status_code == 403  # through a role
    assert flow.approve(flow.creator, boss_slot).status_code == 403  # as a delegate
    assert flow.reject(flow.creator, role_slot).status_code == 403
    assert statuses(flow.slots(ticket)) == ["pending", "pending"]
    assert flow.approve(colleague, role_slot).status_code == 200


def test_delegate_of_the_creator_cannot_act_for_the_creator(flow):
    managers = RoleFactory(name="managers")
    flow.creator.groups.add(managers)
    UserFactory(roles=[managers])
    deputy = UserFactory()
    DelegationFactory(delegator=flow.creator, delegate=deputy)
    ticket = flow.submit(flow.ticket(template_with(("any", [managers]))))
    (slot,) = flow.slots(ticket)

    assert flow.client_for(deputy).get("/api/v1/approvals/?mine=pending").json()["count"] == 0
    assert flow.approve(deputy, slot).status_code == 403


# --- start refused -------------------------------------------------------------------------------------------------


def test_submit_refused_when_a_user_slot_names_the_creator(flow):
    template = template_with(("all", [UserFactory()]), ("any", [flow.creator]))
    ticket = flow.ticket(template)

    response = flow.transition(ticket, "waiting_approval")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "no_eligible_approver"
    assert 'Step 2 "Step 2", slot 1' in error["detail"] and "creator" in error["detail"]
    ticket.refresh_from_db()
    assert ticket.status == "draft"
    assert not ApprovalProcess.objects.filter(ticket=ticket).exists()
    assert flow.events(ticket) == []


def test_submit_refused_for_an_inactive_user_slot(flow):
    ghost = UserFactory(username="ghost", is_active=False)
    ticket = flow.ticket(template_with(("all", [ghost])))

    response = flow.transition(ticket, "waiting_approval")

    assert response.status_code == 400
    assert 'user "ghost"' in response.json()["errors"][0]["detail"]


def test_submit_refused_for_a_role_with_only_the_creator_or_inactive_members(flow):
    lonely = RoleFactory(name="lonely")
    flow.creator.groups.add(lonely)
    UserFactory(roles=[lonely], is_active=False)
    ticket = flow.ticket(template_with(("any", [lonely])))

    response = flow.transition(ticket, "waiting_approval")

    assert response.status_code == 400
    assert 'role "lonely"' in response.json()["errors"][0]["detail"]


# --- withdraw, resubmit, template edits ----------------------------------------------------------------------------


def test_withdraw_cancels_the_process_and_later_decisions_are_409(flow):
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice, bob]))))
    first, second = flow.slots(ticket)
    flow.approve(alice, first)

    assert flow.transition(ticket, "draft").status_code == 200

    process = ApprovalProcess.objects.get(ticket=ticket)
    assert process.status == "cancelled"
    assert statuses(flow.slots(ticket)) == ["approved", "skipped"]
    assert statuses(process.steps.all()) == ["skipped"]
    assert flow.events(ticket)[-1] == "approval_cancelled"
    assert ticket.notes.get(event_type="approval_cancelled").event_details["reason"] == "withdrawn"
    assert flow.approve(bob, second).status_code == 409


def test_resubmit_after_rejection_starts_a_new_process_and_the_old_one_stays_readable(flow):
    alice = UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [alice]))))
    flow.reject(alice, flow.slots(ticket)[0], "Add a quote.")
    assert flow.transition(ticket, "draft").status_code == 200
    flow.submit(ticket)

    processes = flow.client_for(alice).get(f"/api/v1/tickets/{ticket.pk}/approvals/").json()["results"]

    assert [process["status"] for process in processes] == ["running", "rejected"]
    assert processes[1]["steps"][0]["approvers"][0]["comment"] == "Add a quote."
    assert flow.approve(alice, flow.slots(ticket)[0]).status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_template_edited_mid_process_changes_nothing_running(flow, client_for):
    alice, bob = UserFactory(), UserFactory()
    template = template_with(("all", [alice]))
    ticket = flow.submit(flow.ticket(template))
    admin = UserFactory(perms=["approvals.change_approvaltemplate"])
    step = template.steps.get()
    body = {
        "name": "Changed",
        "steps": [
            {"id": step.pk, "name": "Renamed", "order": 1, "approval_type": "any", "approvers": [{"user": bob.pk}]},
            {"name": "Extra", "order": 2, "approvers": [{"user": bob.pk}]},
        ],
    }
    assert client_for(admin).put(f"/api/v1/approval-templates/{template.pk}/", body, format="json").status_code == 200

    process = ApprovalProcess.objects.get(ticket=ticket)
    assert process.steps.count() == 1
    (slot,) = flow.slots(ticket)
    assert (slot.user, slot.step.name, slot.step.approval_type) == (alice, "Step 1", "all")
    assert flow.approve(bob, slot).status_code == 403
    assert flow.approve(alice, slot).status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_deleting_a_waiting_ticket_cancels_its_process(flow):
    alice = UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [alice]))))
    (slot,) = flow.slots(ticket)
    admin = UserFactory(is_staff=True, perms=["tickets.delete_ticket"])

    assert flow.client_for(admin).delete(f"/api/v1/tickets/{ticket.pk}/").status_code == 204

    assert ApprovalProcess.objects.get(ticket=ticket).status == "cancelled"
    slot.refresh_from_db()
    assert slot.status == "skipped"
    assert flow.approve(alice, slot).status_code == 404  # the ticket is gone for everyone


# --- every 409 -----------------------------------------------------------------------------------------------------


def test_acting_twice_on_a_slot_is_409_and_changes_nothing(flow):
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice, bob]))))
    first, _ = flow.slots(ticket)
    flow.approve(alice, first, "first")

    response = flow.reject(alice, first, "changed my mind")

    assert response.status_code == 409
    first.refresh_from_db()
    assert (first.status, first.comment) == ("approved", "first")
    assert flow.events(ticket).count("approval_given") == 1


def test_acting_on_a_finished_process_is_409(flow):
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice]), ("all", [bob]))))
    flow.reject(alice, flow.slots(ticket, order=1)[0])
    (later,) = flow.slots(ticket, order=2)

    assert flow.approve(bob, later).status_code == 409
    later.refresh_from_db()
    assert later.status == "skipped"


def test_template_extra_approvers_after_start_do_not_appear(flow):
    alice, bob = UserFactory(), UserFactory()
    template = template_with(("any", [alice]))
    ticket = flow.submit(flow.ticket(template))
    ApprovalTemplateStepApproverFactory(step=template.steps.get(), user=bob)

    assert len(flow.slots(ticket)) == 1
