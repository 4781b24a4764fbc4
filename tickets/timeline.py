"""The ticket timeline's system events. Receivers record one event inside the sender's transaction; demo's bulk
loader builds many with the same functions, so the shape of each event lives here (or in the owning app's timeline
module: approvals.timeline, permissions.timeline)."""

from typing import Any

from tickets.models import EventType, Ticket, TicketNote


def event_note(*, ticket: Ticket, event_type: EventType, details: dict[str, Any]) -> TicketNote:
    """The unsaved, unstamped row of one system event."""
    return TicketNote(ticket=ticket, system=True, event_type=event_type, event_details=details)


def record_event(*, ticket: Ticket, actor: Any | None, event_type: EventType, details: dict[str, Any]) -> TicketNote:
    note = event_note(ticket=ticket, event_type=event_type, details=details)
    note.stamp(actor, created=True)
    note.save()
    return note


# The channel of a change that came by mail (a reply, an Approve link or reply, a mail to the intake): kept as "via" in
# the details of its timeline entry, told "by e-mail" (tickets.timeline_words). No "via": the web or the API.
VIA_EMAIL = "email"


def created_details(ticket: Ticket, *, via: str = "") -> dict[str, Any]:
    """A new ticket; `via` names the channel when it is not the web or the API ("email": a mail to the intake)."""
    details: dict[str, Any] = {
        "key": ticket.key,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        "visibility": ticket.visibility,
        "template": ticket.template_id,
        "approval_template": ticket.approval_template_id,
    }
    if via:
        details["via"] = via
    return details


def status_change_details(*, from_status: str, to_status: str, comment: str) -> dict[str, Any]:
    return {"from": str(from_status), "to": str(to_status), "comment": comment}
