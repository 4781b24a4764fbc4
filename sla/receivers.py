"""Signal receivers of this app, connected when the app is ready: the clock moved by the ticket's events (inside their
transaction), and the service-level events of the ticket timeline (their shape in sla.timeline)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from sla import signals, timeline
from sla.models import SlaPolicy
from sla.services import clocks
from tickets import signals as ticket_signals
from tickets.models import EventType, Ticket
from tickets.timeline import record_event


@receiver(ticket_signals.ticket_transitioned, dispatch_uid="sla.clock.ticket_transitioned")
def on_ticket_transitioned(*, ticket: Ticket, actor: Any, from_status: str, to_status: str, **kwargs: Any) -> None:
    clocks.clock_on_transition(ticket=ticket, actor=actor, from_status=from_status, to_status=to_status)


@receiver(ticket_signals.comment_added, dispatch_uid="sla.clock.comment_added")
def on_comment_added(*, ticket: Ticket, actor: Any, **kwargs: Any) -> None:
    clocks.clock_on_comment(ticket=ticket, actor=actor)


@receiver(ticket_signals.ticket_updated, dispatch_uid="sla.clock.ticket_updated")
def on_ticket_updated(*, ticket: Ticket, actor: Any, changes: Any = (), **kwargs: Any) -> None:
    fields = {getattr(change, "field", None) for change in changes or ()}
    clocks.clock_on_update(ticket=ticket, actor=actor, fields={field for field in fields if isinstance(field, str)})


@receiver(signals.sla_policy_changed, dispatch_uid="sla.timeline.sla_policy_changed")
def on_policy_changed(
    *, ticket: Ticket, actor: Any, old_policy: SlaPolicy | None, new_policy: SlaPolicy | None, **kwargs: Any
) -> None:
    details = timeline.policy_change_details(ticket, old_policy, new_policy)
    record_event(ticket=ticket, actor=actor, event_type=EventType.SLA_POLICY_CHANGE, details=details)


@receiver(signals.sla_warning, dispatch_uid="sla.timeline.sla_warning")
def on_warning(*, ticket: Ticket, actor: Any, policy: SlaPolicy, target: str, due_at: Any, **kwargs: Any) -> None:
    details = timeline.target_details(policy, target, due_at)
    record_event(ticket=ticket, actor=actor, event_type=EventType.SLA_WARNING, details=details)


@receiver(signals.sla_breached, dispatch_uid="sla.timeline.sla_breached")
def on_breached(*, ticket: Ticket, actor: Any, policy: SlaPolicy, target: str, due_at: Any, **kwargs: Any) -> None:
    details = timeline.target_details(policy, target, due_at)
    record_event(ticket=ticket, actor=actor, event_type=EventType.SLA_BREACHED, details=details)
