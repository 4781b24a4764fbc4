"""The design system's small pieces: human dates, badges, people's names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil

from tickets.models import TicketPriority, TicketStatus

register = template.Library()


@register.filter
def person(user: Any) -> str:
    """A person as people name them: full name, else the username; "nobody" for none."""
    if user is None:
        return "nobody"
    return user.get_full_name() or user.get_username()


@register.filter
def human_time(moment: datetime | None) -> str:
    """ "3 hours ago" or "in 2 days", with the exact time on hover and in the markup (machine-readable)."""
    if moment is None:
        return ""
    now = timezone.now()
    words = f"{timesince(moment, now, depth=1)} ago" if moment <= now else f"in {timeuntil(moment, now, depth=1)}"
    if abs((now - moment).total_seconds()) < 60:
        words = "just now"
    exact = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")
    return format_html('<time datetime="{}" title="{}">{}</time>', moment.isoformat(), exact, words.replace("\xa0", " "))


@register.filter
def status_badge(ticket_or_status: Any) -> str:
    status = getattr(ticket_or_status, "status", ticket_or_status)
    label = TicketStatus(status).label if status in TicketStatus.values else str(status)
    return format_html('<span class="badge status-{}">{}</span>', status, label)


@register.filter
def priority_badge(ticket_or_priority: Any) -> str:
    priority = getattr(ticket_or_priority, "priority", ticket_or_priority)
    label = TicketPriority(priority).label if priority in TicketPriority.values else str(priority)
    return format_html('<span class="badge priority-{}">{}</span>', priority, label)
