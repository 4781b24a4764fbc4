"""Raising each domain event the way the services do: the signal of its contract, with its keyword arguments."""

from types import SimpleNamespace
from typing import Any

from approvals import signals as approval_signals
from approvals.models import ApprovalProcessStepApprover
from notifications.models import NotificationEvent
from permissions import signals as permission_signals
from permissions.models import AccessRequestStatus
from sla import signals as sla_signals
from sla.tests.factories import SlaPolicyFactory
from tickets import signals as ticket_signals
from tickets.models import Ticket, TicketNote


def _field_change(field: str, old: Any, new: Any) -> Any:
    """A FieldChange as tickets.services builds it (attributes field, old, new)."""
    try:
        from tickets.services.tickets import FieldChange
    except ImportError:  # while the tickets services are being written
        return SimpleNamespace(field=field, old=old, new=new)
    return FieldChange(field=field, old=old, new=new)


def send_event(event_type: str, *, ticket: Ticket, actor: Any, step: Any = None, access_request: Any = None) -> None:
    """Send the domain signal that stands for `event_type`, with the keyword arguments of its contract."""
    if event_type == NotificationEvent.TICKET_CREATED:
        ticket_signals.ticket_created.send(sender=Ticket, ticket=ticket, actor=actor)
    elif event_type == NotificationEvent.STATUS_CHANGED:
        ticket_signals.ticket_transitioned.send(
            sender=Ticket, ticket=ticket, actor=actor, from_status="in_progress", to_status="resolved", comment=""
        )
    elif event_type == NotificationEvent.TICKET_ASSIGNED:
        change = _field_change("assignee", None, ticket.assignee_id)
        ticket_signals.ticket_updated.send(sender=Ticket, ticket=ticket, actor=actor, changes=[change])
    elif event_type == NotificationEvent.COMMENT_ADDED:
        note = TicketNote(ticket=ticket, note="A comment.")
        note.stamp(actor, created=True)
        note.save()
        ticket_signals.comment_added.send(sender=Ticket, ticket=ticket, note=note, actor=actor)
    elif event_type == NotificationEvent.APPROVAL_REQUESTED:
        slots = list(ApprovalProcessStepApprover.objects.filter(step=step).order_by("id"))
        approval_signals.approval_step_started.send(
            sender=Ticket, ticket=ticket, process=step.process, step=step, slots=slots, actor=actor
        )
    elif event_type == NotificationEvent.APPROVAL_COMPLETED:
        approval_signals.approval_completed.send(sender=Ticket, ticket=ticket, process=step.process, actor=actor)
    elif event_type == NotificationEvent.APPROVAL_REJECTED:
        slot = ApprovalProcessStepApprover.objects.filter(step=step).first()
        approval_signals.approval_rejected.send(
            sender=Ticket,
            ticket=ticket,
            process=step.process,
            step=step,
            slot=slot,
            actor=actor,
            on_behalf_of=None,
            comment="Not this quarter.",
        )
    elif event_type == NotificationEvent.ACCESS_REQUESTED:
        permission_signals.access_requested.send(
            sender=Ticket, ticket=ticket, access_request=access_request, actor=access_request.requester
        )
    elif event_type == NotificationEvent.ACCESS_DECIDED:
        if access_request.status == AccessRequestStatus.PENDING:
            access_request.status = AccessRequestStatus.DENIED
            access_request.decided_by = actor
            access_request.save(update_fields=["status", "decided_by"])
        permission_signals.access_decided.send(
            sender=Ticket, ticket=ticket, access_request=access_request, actor=actor, grant=None
        )
    elif event_type in (NotificationEvent.SLA_WARNING, NotificationEvent.SLA_BREACHED):
        signal = sla_signals.sla_warning if event_type == NotificationEvent.SLA_WARNING else sla_signals.sla_breached
        signal.send(sender=Ticket, ticket=ticket, actor=actor, policy=SlaPolicyFactory(), target="resolution", due_at=None)
    else:  # pragma: no cover - every event type is listed above
        raise AssertionError(event_type)
