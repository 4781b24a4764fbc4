"""The shape of the approval events on a ticket's timeline: one function per event's details, used by this app's
receivers (one event, in the engine's transaction) and by demo's bulk loader (many, bulk_create)."""

from __future__ import annotations

from typing import Any

from approvals.models import ApprovalProcess, ApprovalProcessStep, ApprovalProcessStepApprover


def _process(process: ApprovalProcess) -> dict[str, Any]:
    return {"process": process.pk, "process_name": process.name}


def _step(step: ApprovalProcessStep) -> dict[str, Any]:
    return {"step": step.pk, "step_name": step.name, "step_order": step.order, "approval_type": step.approval_type}


def _slot(slot: ApprovalProcessStepApprover) -> dict[str, Any]:
    return {"slot": slot.pk, "user": slot.user_id, "role": slot.role_id}


def started_details(process: ApprovalProcess) -> dict[str, Any]:
    return {**_process(process), "template": process.template_id}


def step_started_details(
    process: ApprovalProcess, step: ApprovalProcessStep, slots: list[ApprovalProcessStepApprover]
) -> dict[str, Any]:
    return {**_process(process), **_step(step), "approvers": [_slot(slot) for slot in slots]}


def decision_details(
    process: ApprovalProcess,
    step: ApprovalProcessStep,
    slot: ApprovalProcessStepApprover,
    *,
    on_behalf_of: Any | None = None,
    comment: str = "",
    via: str = "",
) -> dict[str, Any]:
    """An approve or reject decision on a slot (approval_given / approval_rejected); `via` names the channel when it
    was not the web or the API ("email")."""
    details = {
        **_process(process),
        **_step(step),
        **_slot(slot),
        "acted_by": slot.acted_by_id,
        "on_behalf_of": on_behalf_of.pk if on_behalf_of is not None else None,
        "comment": comment,
    }
    if via:
        details["via"] = via
    return details


def completed_details(process: ApprovalProcess) -> dict[str, Any]:
    return _process(process)


def cancelled_details(process: ApprovalProcess, reason: str) -> dict[str, Any]:
    return {**_process(process), "reason": reason}
