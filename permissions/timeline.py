"""The shape of the grant and access-request events on a ticket's timeline: one function per event's details, used by
this app's receivers (one event, in the service's transaction) and by demo's bulk loader (many, bulk_create)."""

from __future__ import annotations

from typing import Any

from permissions.models import AccessRequest, TicketViewPermission


def grant_details(grant: TicketViewPermission) -> dict[str, Any]:
    """permission_granted and permission_revoked."""
    return {"grant": grant.pk, "user": grant.user_id, "role": grant.role_id}


def access_requested_details(access_request: AccessRequest) -> dict[str, Any]:
    return {"access_request": access_request.pk, "requester": access_request.requester_id, "reason": access_request.reason}


def access_decided_details(access_request: AccessRequest, grant: TicketViewPermission | None) -> dict[str, Any]:
    """access_granted (with the requester's grant) and access_denied."""
    return {
        "access_request": access_request.pk,
        "requester": access_request.requester_id,
        "comment": access_request.decision_comment,
        "grant": grant.pk if grant is not None else None,
    }
