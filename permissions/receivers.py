"""Signal receivers of this app, connected when the app is ready: the timeline events of grants and access requests."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from permissions import signals
from permissions.models import AccessRequest, AccessRequestStatus, TicketViewPermission
from tickets.models import EventType, Ticket
from tickets.timeline import record_event


def _grant_details(grant: TicketViewPermission) -> dict[str, Any]:
    return {"grant": grant.pk, "user": grant.user_id, "role": grant.role_id}


@receiver(signals.permission_granted, dispatch_uid="permissions.timeline.permission_granted")
def on_permission_granted(*, ticket: Ticket, grant: TicketViewPermission, actor: Any, **kwargs: Any) -> None:
    record_event(ticket=ticket, actor=actor, event_type=EventType.PERMISSION_GRANTED, details=_grant_details(grant))


@receiver(signals.permission_revoked, dispatch_uid="permissions.timeline.permission_revoked")
def on_permission_revoked(*, ticket: Ticket, grant: TicketViewPermission, actor: Any, **kwargs: Any) -> None:
    record_event(ticket=ticket, actor=actor, event_type=EventType.PERMISSION_REVOKED, details=_grant_details(grant))


@receiver(signals.access_requested, dispatch_uid="permissions.timeline.access_requested")
def on_access_requested(*, ticket: Ticket, access_request: AccessRequest, actor: Any, **kwargs: Any) -> None:
    details = {"access_request": access_request.pk, "requester": access_request.requester_id, "reason": access_request.reason}
    record_event(ticket=ticket, actor=actor, event_type=EventType.ACCESS_REQUESTED, details=details)


@receiver(signals.access_decided, dispatch_uid="permissions.timeline.access_decided")
def on_access_decided(
    *, ticket: Ticket, access_request: AccessRequest, actor: Any, grant: TicketViewPermission | None = None, **kwargs: Any
) -> None:
    approved = access_request.status == AccessRequestStatus.APPROVED
    details = {
        "access_request": access_request.pk,
        "requester": access_request.requester_id,
        "comment": access_request.decision_comment,
        "grant": grant.pk if grant is not None else None,
    }
    event_type = EventType.ACCESS_GRANTED if approved else EventType.ACCESS_DENIED
    record_event(ticket=ticket, actor=actor, event_type=event_type, details=details)
