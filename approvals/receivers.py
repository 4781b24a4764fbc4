"""Signal receivers of this app, connected when the app is ready: the approval engine reacting to tickets' submit and
withdraw, and the approval events of the ticket timeline (their shape in approvals.timeline)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from approvals import services, signals, timeline
from approvals.models import ApprovalProcess, ApprovalProcessStep, ApprovalProcessStepApprover
from tickets import signals as ticket_signals
from tickets.models import EventType, Ticket
from tickets.timeline import record_event
from ticketsite.batching import deferred_writes


@receiver(ticket_signals.ticket_submitted, dispatch_uid="approvals.engine.ticket_submitted")
def on_ticket_submitted(*, event: ticket_signals.TicketSubmitted, **kwargs: Any) -> None:
    # Synchronous, in the submit's transaction: a refusal (no eligible approver) rolls the submit back.
    # The submit's own events are fanned out first, as they were before the process: from its start, its approvers
    # see the ticket and are "the approvers" of the notification rules.
    deferred = deferred_writes()
    if deferred is not None:
        deferred.flush()
    services.process_start(ticket=event.ticket, actor=event.actor)


@receiver(ticket_signals.ticket_withdrawn, dispatch_uid="approvals.engine.ticket_withdrawn")
def on_ticket_withdrawn(*, event: ticket_signals.TicketWithdrawn, **kwargs: Any) -> None:
    services.process_cancel(ticket=event.ticket, actor=event.actor, reason=event.reason)


@receiver(signals.approval_started, dispatch_uid="approvals.timeline.approval_started")
def on_approval_started(*, ticket: Ticket, process: ApprovalProcess, actor: Any, **kwargs: Any) -> None:
    details = timeline.started_details(process)
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_STARTED, details=details)


@receiver(signals.approval_step_started, dispatch_uid="approvals.timeline.approval_step_started")
def on_step_started(
    *, ticket: Ticket, process: ApprovalProcess, step: ApprovalProcessStep, actor: Any, slots: list, **kwargs: Any
) -> None:
    details = timeline.step_started_details(process, step, slots)
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_STEP_STARTED, details=details)


def _decision(
    *,
    process: ApprovalProcess,
    step: ApprovalProcessStep,
    slot: ApprovalProcessStepApprover,
    on_behalf_of: Any | None = None,
    comment: str = "",
    via: str = "",
    **kwargs: Any,
) -> dict[str, Any]:
    return timeline.decision_details(process, step, slot, on_behalf_of=on_behalf_of, comment=comment, via=via)


@receiver(signals.approval_given, dispatch_uid="approvals.timeline.approval_given")
def on_approval_given(*, ticket: Ticket, actor: Any, **kwargs: Any) -> None:
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_GIVEN, details=_decision(**kwargs))


@receiver(signals.approval_rejected, dispatch_uid="approvals.timeline.approval_rejected")
def on_approval_rejected(*, ticket: Ticket, actor: Any, **kwargs: Any) -> None:
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_REJECTED, details=_decision(**kwargs))


@receiver(signals.approval_completed, dispatch_uid="approvals.timeline.approval_completed")
def on_approval_completed(*, ticket: Ticket, process: ApprovalProcess, actor: Any, **kwargs: Any) -> None:
    details = timeline.completed_details(process)
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_COMPLETED, details=details)


@receiver(signals.approval_cancelled, dispatch_uid="approvals.timeline.approval_cancelled")
def on_approval_cancelled(*, ticket: Ticket, process: ApprovalProcess, actor: Any, reason: str = "", **kwargs: Any) -> None:
    details = timeline.cancelled_details(process, reason)
    record_event(ticket=ticket, actor=actor, event_type=EventType.APPROVAL_CANCELLED, details=details)
