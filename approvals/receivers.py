"""Signal receivers of this app, connected when the app is ready: the approval events of the ticket timeline."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from approvals import signals
from approvals.models import ApprovalProcess, ApprovalProcessStep, ApprovalProcessStepApprover
from tickets.models import EventType, Ticket
from tickets.timeline import record_event


def _process(process: ApprovalProcess) -> dict[str, Any]:
    return {"process": process.pk, "process_name": process.name}


def _step(step: ApprovalProcessStep) -> dict[str, Any]:
    return {"step": step.pk, "step_name": step.name, "step_order": step.order, "approval_type": step.approval_type}


def _slot(slot: ApprovalProcessStepApprover) -> dict[str, Any]:
    return {"slot": slot.pk, "user": slot.user_id, "role": slot.role_id}


def _pk(obj: Any) -> int | None:
    return obj.pk if obj is not None else None


@receiver(signals.approval_started, dispatch_uid="approvals.timeline.approval_started")
def on_approval_started(*, ticket: Ticket, process: ApprovalProcess, actor: Any, **kwargs: Any) -> None:
    details = {**_process(process), "template": process.template_id}
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_STARTED, details=details)


@receiver(signals.approval_step_started, dispatch_uid="approvals.timeline.approval_step_started")
def on_step_started(
    *, ticket: Ticket, process: ApprovalProcess, step: ApprovalProcessStep, actor: Any, slots: list, **kwargs: Any
) -> None:
    details = {**_process(process), **_step(step), "approvers": [_slot(slot) for slot in slots]}
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_STEP_STARTED, details=details)


def _decision(process: ApprovalProcess, step: ApprovalProcessStep, slot: ApprovalProcessStepApprover, **kwargs: Any) -> dict:
    return {
        **_process(process),
        **_step(step),
        **_slot(slot),
        "acted_by": slot.acted_by_id,
        "on_behalf_of": _pk(kwargs.get("on_behalf_of")),
        "comment": kwargs.get("comment", ""),
    }


@receiver(signals.approval_given, dispatch_uid="approvals.timeline.approval_given")
def on_approval_given(*, ticket: Ticket, actor: Any, **kwargs: Any) -> None:
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_GIVEN, details=_decision(**kwargs))


@receiver(signals.approval_rejected, dispatch_uid="approvals.timeline.approval_rejected")
def on_approval_rejected(*, ticket: Ticket, actor: Any, **kwargs: Any) -> None:
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_REJECTED, details=_decision(**kwargs))


@receiver(signals.approval_completed, dispatch_uid="approvals.timeline.approval_completed")
def on_approval_completed(*, ticket: Ticket, process: ApprovalProcess, actor: Any, **kwargs: Any) -> None:
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_COMPLETED, details=_process(process))


@receiver(signals.approval_cancelled, dispatch_uid="approvals.timeline.approval_cancelled")
def on_approval_cancelled(*, ticket: Ticket, process: ApprovalProcess, actor: Any, reason: str = "", **kwargs: Any) -> None:
    details = {**_process(process), "reason": reason}
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_CANCELLED, details=details)
