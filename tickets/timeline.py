"""Writing system events on a ticket's timeline. Called by signal receivers only, inside the sender's transaction."""

from typing import Any

from tickets.models import EventType, Ticket, TicketNote


def record_event(*, ticket: Ticket, actor: Any | None, event_type: EventType, details: dict[str, Any]) -> TicketNote:
    note = TicketNote(ticket=ticket, system=True, event_type=event_type, event_details=details)
    note.stamp(actor, created=True)
    note.save()
    return note
