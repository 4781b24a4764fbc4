"""The shape of service-level events on the ticket timeline (read by tickets.timeline_words)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sla.models import SlaPolicy
from tickets.models import Ticket


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def policy_change_details(ticket: Ticket, old: SlaPolicy | None, new: SlaPolicy | None) -> dict[str, Any]:
    return {
        "old_policy": old.pk if old is not None else None,
        "old_policy_name": old.name if old is not None else "",
        "policy": new.pk if new is not None else None,
        "policy_name": new.name if new is not None else "",
        "first_response_due_at": _iso(ticket.first_response_due_at),
        "resolution_due_at": _iso(ticket.resolution_due_at),
        "sla_status": ticket.sla_status,
    }


def target_details(policy: SlaPolicy, target: str, due_at: datetime | None) -> dict[str, Any]:
    return {"policy": policy.pk, "policy_name": policy.name, "target": target, "due_at": _iso(due_at)}
