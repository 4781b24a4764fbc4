"""The ticket timeline's system events. Receivers record one event inside the sender's transaction; demo's bulk
loader builds many with the same functions, so the shape of each event lives here (or in the owning app's timeline
module: approvals.timeline, permissions.timeline)."""

from collections.abc import Iterable
from typing import Any

from tickets.models import EventType, Ticket, TicketNote
from ticketsite.batching import deferred_writes

DEFERRED_KEY = "timeline"


def event_note(*, ticket: Ticket, event_type: EventType, details: dict[str, Any]) -> TicketNote:
    """The unsaved, unstamped row of one system event."""
    return TicketNote(ticket=ticket, system=True, event_type=event_type, event_details=details)


def record_event(*, ticket: Ticket, actor: Any | None, event_type: EventType, details: dict[str, Any]) -> TicketNote:
    """Record one event, stamped now. Inside a service (ticketsite.batching.atomic_service) the row is written with the
    service's other events, in one INSERT, when the service ends; outside one, at once."""
    note = event_note(ticket=ticket, event_type=event_type, details=details)
    note.stamp(actor, created=True)
    deferred = deferred_writes()
    if deferred is None:
        note.save()
    else:
        deferred.defer(DEFERRED_KEY, note, flush=_write_notes, stage=0)
    return note


def _write_notes(notes: list[TicketNote]) -> None:
    TicketNote.objects.bulk_create(notes)


def recorded_event(ticket: Ticket, event_types: Iterable[str], *, actor: Any | None) -> TicketNote | None:
    """The newest event of these types on `ticket` by `actor` that the running service recorded and has not written
    yet (the entry an e-mail about the event tells of), or None."""
    deferred = deferred_writes()
    if deferred is None:
        return None
    types = set(event_types)
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    for note in reversed(deferred.pending(DEFERRED_KEY)):
        if note.ticket_id == ticket.pk and note.event_type in types and note.created_by_id == actor_id:
            return note
    return None


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
