"""Signal receivers of this app, connected when the app is ready: the timeline events of grants and access requests
(their shape in permissions.timeline)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from permissions import signals
from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from permissions.timeline import access_decided_details, access_requested_details, grant_details
from tickets.models import EventType, Ticket
from tickets.timeline import record_event


@receiver(signals.permission_granted, dispatch_uid="permissions.timeline.permission_granted")
def on_permission_granted(*, ticket: Ticket, grant: TicketViewPermission, actor: Any, **kwargs: Any) -> None:
    record_event(ticket=ticket, actor=actor, event_type=EventType.PERMISSION_GRANTED, details=grant_details(grant))


@receiver(signals.permission_revoked, dispatch_uid="permissions.timeline.permission_revoked")
def on_permission_revoked(*, ticket: Ticket, grant: TicketViewPermission, actor: Any, **kwargs: Any) -> None:
    record_event(ticket=ticket, actor=actor, event_type=EventType.PERMISSION_REVOKED, details=grant_details(grant))


@receiver(signals.access_requested, dispatch_uid="permissions.timeline.access_requested")
def on_access_requested(*, ticket: Ticket, access_request: AccessRequest, actor: Any, **kwargs: Any) -> None:
    details = access_requested_details(access_request)
    record_event(ticket=ticket, actor=actor, event_type=EventType.ACCESS_REQUESTED, details=details)


@receiver(signals.access_decided, dispatch_uid="permissions.timeline.access_decided")
def on_access_decided(
    *, ticket: Ticket, access_request: AccessRequest, actor: Any, grant: TicketViewPermission | None = None, **kwargs: Any
) -> None:
    approved = access_request.status == AccessRequestStatus.APPROVED
    event_type = EventType.ACCESS_GRANTED if approved else EventType.ACCESS_DENIED
    record_event(ticket=ticket, actor=actor, event_type=event_type, details=access_decided_details(access_request, grant))
