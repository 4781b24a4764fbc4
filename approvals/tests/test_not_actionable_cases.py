"""Every way a slot stops being actionable answers 409 `not_actionable` for approve and reject, and changes nothing.

The cases of SPEC §6: the slot was already decided, it was skipped (while the process still runs, and after it
finished), its step is not active yet, the process was approved, rejected or cancelled.
"""

from collections.abc import Callable
from typing import Any

import pytest

from approvals.models import ApprovalProcess, ApprovalProcessStepApprover
from approvals.tests.conftest import Flow
from approvals.tests.factories import template_with
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def slot_already_approved(flow: Flow) -> tuple[Any, Any]:
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice, bob]))))
    alice_slot, _ = flow.slots(ticket)
    assert flow.approve(alice, alice_slot).status_code == 200
    return alice, alice_slot


def slot_skipped_while_the_process_runs(flow: Flow) -> tuple[Any, Any]:
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [alice, bob]), ("all", [carol]))))
    alice_slot, bob_slot = flow.slots(ticket, order=1)
    assert flow.approve(alice, alice_slot).status_code == 200
    assert ApprovalProcess.objects.get(ticket=ticket).status == "running"
    return bob, bob_slot


def slot_of_a_waiting_step(flow: Flow) -> tuple[Any, Any]:
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice]), ("all", [bob]))))
    (later,) = flow.slots(ticket, order=2)
    return bob, later


def slot_skipped_by_an_approved_process(flow: Flow) -> tuple[Any, Any]:
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("any", [alice, bob]))))
    alice_slot, bob_slot = flow.slots(ticket)
    assert flow.approve(alice, alice_slot).status_code == 200
    assert ApprovalProcess.objects.get(ticket=ticket).status == "approved"
    return bob, bob_slot


def slot_of_a_rejected_process(flow: Flow) -> tuple[Any, Any]:
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice, bob]))))
    alice_slot, bob_slot = flow.slots(ticket)
    assert flow.reject(alice, alice_slot).status_code == 200
    return bob, bob_slot


def slot_of_a_cancelled_process(flow: Flow) -> tuple[Any, Any]:
    alice = UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice]))))
    (slot,) = flow.slots(ticket)
    assert flow.transition(ticket, "draft").status_code == 200
    assert ApprovalProcess.objects.get(ticket=ticket).status == "cancelled"
    return alice, slot


def slot_of_a_process_replaced_by_a_resubmission(flow: Flow) -> tuple[Any, Any]:
    alice, bob = UserFactory(), UserFactory()
    ticket = flow.submit(flow.ticket(template_with(("all", [alice, bob]))))
    _, old_bob_slot = flow.slots(ticket)
    assert flow.transition(ticket, "draft").status_code == 200
    flow.submit(ticket)  # a new running process; the old slot belongs to the cancelled one
    return bob, old_bob_slot


CASES: list[Callable[[Flow], tuple[Any, Any]]] = [
    slot_already_approved,
    slot_skipped_while_the_process_runs,
    slot_of_a_waiting_step,
    slot_skipped_by_an_approved_process,
    slot_of_a_rejected_process,
    slot_of_a_cancelled_process,
    slot_of_a_process_replaced_by_a_resubmission,
]


def snapshot(slot: Any) -> dict[str, Any]:
    ticket = slot.ticket
    ticket.refresh_from_db()
    return {
        "ticket": ticket.status,
        "processes": list(ApprovalProcess.objects.filter(ticket=ticket).order_by("id").values_list("status", flat=True)),
        "slots": list(
            ApprovalProcessStepApprover.objects.filter(ticket=ticket)
            .order_by("id")
            .values_list("status", "acted_by_id", "comment", "acted_at")
        ),
        "notes": ticket.notes.count(),
    }


@pytest.mark.parametrize("verb", ["approve", "reject"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_a_slot_that_is_not_actionable_answers_409_and_changes_nothing(flow, case, verb):
    user, slot = case(flow)
    before = snapshot(slot)

    response = flow.approve(user, slot, "late") if verb == "approve" else flow.reject(user, slot, "late")

    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "not_actionable"
    assert snapshot(slot) == before
