"""Signal receivers of this app, connected when the app is ready.

Each domain signal (sent synchronously inside its service's transaction) becomes one notification Event; the fan-out
writes in-app rows in that transaction and enqueues e-mails on commit. Messages never contain the ticket's title or
text, so a notification shows nothing of a ticket whose access was later revoked (the inbox adds key and title only
when the reader can still see the ticket).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from approvals import signals as approval_signals
from notifications.models import NotificationEvent
from notifications.services import Event, notify
from permissions import signals as permission_signals
from permissions.models import AccessRequestStatus
from sla import signals as sla_signals
from tickets import signals as ticket_signals


def _name(user: Any | None) -> str:
    return getattr(user, "username", None) or "The system"


def status_changed_message(actor: Any | None, from_status: Any, to_status: Any) -> str:
    return f"{_name(actor)} changed the status from {from_status} to {to_status}."


def _change_field(change: Any, name: str) -> Any:
    """A FieldChange of tickets.services (dataclass or mapping) -> one of its attributes."""
    if isinstance(change, dict):
        return change.get(name)
    return getattr(change, name, None)


@receiver(ticket_signals.ticket_created, dispatch_uid="notifications.ticket_created")
def on_ticket_created(sender: Any, *, ticket: Any, actor: Any = None, **kwargs: Any) -> None:
    notify(Event(NotificationEvent.TICKET_CREATED, ticket, actor, f"{_name(actor)} created the ticket."))


@receiver(ticket_signals.ticket_transitioned, dispatch_uid="notifications.status_changed")
def on_ticket_transitioned(
    sender: Any, *, ticket: Any, actor: Any = None, from_status: Any = None, to_status: Any = None, **kwargs: Any
) -> None:
    notify(Event(NotificationEvent.STATUS_CHANGED, ticket, actor, status_changed_message(actor, from_status, to_status)))


@receiver(ticket_signals.ticket_updated, dispatch_uid="notifications.ticket_assigned")
def on_ticket_updated(sender: Any, *, ticket: Any, actor: Any = None, changes: Any = (), **kwargs: Any) -> None:
    assigned = [c for c in changes or () if _change_field(c, "field") in ("assignee", "assignee_id")]
    if not assigned or ticket.assignee_id is None:
        return
    assignee = ticket.assignee
    message = f"{_name(actor)} assigned the ticket to {_name(assignee)}."
    notify(Event(NotificationEvent.TICKET_ASSIGNED, ticket, actor, message))


@receiver(ticket_signals.comment_added, dispatch_uid="notifications.comment_added")
def on_comment_added(sender: Any, *, ticket: Any, note: Any = None, actor: Any = None, **kwargs: Any) -> None:
    notify(Event(NotificationEvent.COMMENT_ADDED, ticket, actor, f"{_name(actor)} added a comment.", note=note))


@receiver(approval_signals.approval_step_started, dispatch_uid="notifications.approval_requested")
def on_approval_step_started(sender: Any, *, ticket: Any, step: Any, actor: Any = None, **kwargs: Any) -> None:
    message = f'Approval requested: step "{step.name}".'
    notify(Event(NotificationEvent.APPROVAL_REQUESTED, ticket, actor, message, step=step))


@receiver(approval_signals.approval_completed, dispatch_uid="notifications.approval_completed")
def on_approval_completed(sender: Any, *, ticket: Any, actor: Any = None, **kwargs: Any) -> None:
    notify(Event(NotificationEvent.APPROVAL_COMPLETED, ticket, actor, "The approval process completed."))


@receiver(approval_signals.approval_rejected, dispatch_uid="notifications.approval_rejected")
def on_approval_rejected(sender: Any, *, ticket: Any, actor: Any = None, **kwargs: Any) -> None:
    notify(Event(NotificationEvent.APPROVAL_REJECTED, ticket, actor, f"{_name(actor)} rejected the approval."))


@receiver(permission_signals.access_requested, dispatch_uid="notifications.access_requested")
def on_access_requested(sender: Any, *, ticket: Any, access_request: Any, actor: Any = None, **kwargs: Any) -> None:
    message = f"{_name(access_request.requester)} asked for access to the ticket."
    event = Event(NotificationEvent.ACCESS_REQUESTED, ticket, actor, message, requester_id=access_request.requester_id)
    notify(event)


@receiver(permission_signals.access_decided, dispatch_uid="notifications.access_decided")
def on_access_decided(sender: Any, *, ticket: Any, access_request: Any, actor: Any = None, **kwargs: Any) -> None:
    decision = "approved" if access_request.status == AccessRequestStatus.APPROVED else "denied"
    # The requester may not see the ticket (denied): name it by id only, which they used to ask.
    message = f"{_name(actor)} {decision} the request of {_name(access_request.requester)} for access to ticket #{ticket.pk}."
    event = Event(NotificationEvent.ACCESS_DECIDED, ticket, actor, message, requester_id=access_request.requester_id)
    notify(event)


_TARGETS = {"first_response": "first response", "resolution": "resolution"}


@receiver(sla_signals.sla_warning, dispatch_uid="notifications.sla_warning")
def on_sla_warning(sender: Any, *, ticket: Any, target: str, actor: Any = None, **kwargs: Any) -> None:
    message = f"The {_TARGETS.get(target, target)} target is nearly used up."
    notify(Event(NotificationEvent.SLA_WARNING, ticket, actor, message))


@receiver(sla_signals.sla_breached, dispatch_uid="notifications.sla_breached")
def on_sla_breached(sender: Any, *, ticket: Any, target: str, actor: Any = None, **kwargs: Any) -> None:
    message = f"The {_TARGETS.get(target, target)} target was breached."
    notify(Event(NotificationEvent.SLA_BREACHED, ticket, actor, message))
