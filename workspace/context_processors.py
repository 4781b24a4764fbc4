"""What the header of every workspace page shows: the unread notifications and the approvals waiting on the person."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from approvals.selectors import actionable_slots
from notifications.selectors import unread_count
from tickets.statemachine import is_agent
from workspace.middleware import is_workspace


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not is_workspace(request) or not user.is_authenticated:
        return {}
    # Two counting queries per page (both served by indexes); the header is on every page.
    return {
        "nav_unread": unread_count(user),
        "nav_awaiting": actionable_slots(user).count(),
        "nav_is_agent": is_agent(user),
    }
