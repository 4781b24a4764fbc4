"""Service levels in words (docs/workspace/service-levels.md): a ticket's badge ("On track: due in 2 h 10 min",
"Breached 35 min ago", "Paused", "Met") and the spans it is made of.

Times left are wall-clock time from now to the stored due moment (the due moment already counts business hours only);
`sla_remaining_minutes`, in business minutes, is said as such. Each badge says its status in words, so colour is never
the only sign; the exact due time is in the `<time>` element.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from sla.models import Target
from sla.services.clocks import STOPPED_STATUSES
from tickets.models import SlaStatus

register = template.Library()


def span(minutes: float) -> str:
    """A length of time in at most two units: "35 min", "2 h 10 min", "3 d 4 h"; "under 1 min" below a minute."""
    whole = int(minutes)
    if whole < 1:
        return "under 1 min"
    days, rest = divmod(whole, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (mins, "min")]
    first = next(index for index, (amount, _) in enumerate(parts) if amount)
    shown = [f"{amount} {unit}" for amount, unit in parts[first : first + 2] if amount]
    return " ".join(shown)


@register.filter
def business_minutes(minutes: int | None) -> str:
    """Business minutes as a span ("2 h 10 min"); empty for none."""
    if minutes is None:
        return ""
    return span(minutes)


@register.filter
def business_left(minutes: int | None) -> str:
    """What remains of the resolution target in business minutes: "2 h 10 min to resolve", or how far over it is."""
    if minutes is None:
        return ""
    return f"{span(minutes)} to resolve" if minutes > 0 else f"none: {span(-minutes)} over" if minutes < 0 else "none"


@register.filter
def due_words(moment: datetime | None) -> str:
    """ "due in 2 h 10 min" or "due 35 min ago" (wall-clock time to or since the due moment)."""
    if moment is None:
        return ""
    seconds = (moment - timezone.now()).total_seconds()
    return f"due in {span(seconds / 60)}" if seconds >= 0 else f"due {span(-seconds / 60)} ago"


def _exact(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


@dataclass(frozen=True)
class Pending:
    """The target a badge speaks of: the first-response target while it waits, else the resolution target."""

    target: str
    due_at: datetime


def pending_target(ticket: Any) -> Pending | None:
    """The running target due first (a stopped ticket has none; a paused one has no due time)."""
    if ticket.status in STOPPED_STATUSES:
        return None
    targets = []
    if ticket.first_responded_at is None and ticket.first_response_due_at is not None:
        targets.append(Pending("first_response", ticket.first_response_due_at))
    if ticket.resolution_due_at is not None:
        targets.append(Pending("resolution", ticket.resolution_due_at))
    return min(targets, key=lambda pending: pending.due_at, default=None)


def _time(moment: datetime, words: str) -> SafeString:
    return format_html('<time datetime="{}" title="{}">{}</time>', moment.isoformat(), _exact(moment), words)


@register.filter
def sla_badge(ticket: Any) -> str:
    """The ticket's service level as a badge: status in words, and the time to or since the target due first. Empty
    for a ticket without a service level."""
    status = ticket.sla_status
    if not status or status not in SlaStatus.values:
        return ""
    pending = pending_target(ticket)
    target = Target(pending.target).label.lower() if pending else ""
    if status == SlaStatus.MET:
        body: SafeString | str = "Met"
    elif status == SlaStatus.PAUSED:
        body = "Paused"
    elif status == SlaStatus.BREACHED:
        if pending is not None and pending.due_at <= timezone.now():
            ago = span((timezone.now() - pending.due_at).total_seconds() / 60)
            body = format_html("Breached {} ({})", _time(pending.due_at, f"{ago} ago"), target)
        elif pending is not None:  # an earlier target was breached; this one still runs
            body = format_html("Breached: {} {}", target, _time(pending.due_at, due_words(pending.due_at)))
        else:
            body = "Breached"
    elif pending is None:
        body = str(SlaStatus(status).label)
    else:
        label = SlaStatus(status).label
        body = format_html("{}: {} {}", label, target, _time(pending.due_at, due_words(pending.due_at)))
    return format_html(
        '<span class="badge sla sla-{}"><span class="visually-hidden">Service level: </span>{}</span>', status, body
    )


@dataclass(frozen=True)
class TargetRow:
    """One target of the ticket page's service-level panel: its name and where it stands, in words."""

    name: str
    text: SafeString
    late: bool = False


def _done(done_at: datetime, due_at: datetime | None, verb: str) -> tuple[SafeString, bool]:
    late = due_at is not None and done_at > due_at
    verdict = " after its due time" if late else (" in time" if due_at is not None else "")
    when = _time(done_at, _exact(done_at))
    return format_html("{} {}{}", verb, when, verdict), late


def _running(due_at: datetime | None) -> tuple[SafeString, bool]:
    if due_at is None:
        return SafeString("Paused: the clock runs again when work can go on"), False
    return format_html("Due {} ({})", _time(due_at, _exact(due_at)), due_words(due_at)), due_at <= timezone.now()


@register.simple_tag
def sla_targets(ticket: Any, policy: Any) -> list[TargetRow]:
    """The first-response (when the policy sets one) and resolution targets of `ticket`: done (when, in time or
    late), due (when, and the time left), or paused."""
    rows = []
    if policy is not None and policy.first_response_minutes is not None:
        if ticket.first_responded_at is not None:
            text, late = _done(ticket.first_responded_at, ticket.first_response_due_at, "Answered")
        else:
            text, late = _running(ticket.first_response_due_at)
        rows.append(TargetRow(f"First response ({span(policy.first_response_minutes)} of business time)", text, late))
    if policy is not None:
        if ticket.status in STOPPED_STATUSES and ticket.resolved_at is not None:
            text, late = _done(ticket.resolved_at, ticket.resolution_due_at, "Resolved")
        elif ticket.status in STOPPED_STATUSES:
            text, late = SafeString("Stopped"), False
        else:
            text, late = _running(ticket.resolution_due_at)
        rows.append(TargetRow(f"Resolution ({span(policy.resolution_minutes)} of business time)", text, late))
    return rows
