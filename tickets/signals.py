"""Domain signals of the tickets app. Sent by services (synchronously, inside their transaction) with the actor.

Every signal is sent with keyword arguments; `actor` may be None for system changes (commands, the approval engine).
The signals that make a higher app act (docs/architecture.md, "Dependency direction") carry one typed payload,
`event=`, and their receivers may refuse: the error rolls the sender's transaction back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.dispatch import Signal

if TYPE_CHECKING:
    from tickets.models import Ticket
    from ticketsite.models import Actor


@dataclass(frozen=True)
class TicketSubmitted:
    """A draft went to `waiting_approval` (the ticket is saved so); its approval is to start."""

    ticket: Ticket
    actor: Actor
    comment: str


@dataclass(frozen=True)
class TicketWithdrawn:
    """A ticket waiting for approval leaves it undecided: withdrawn to draft, or deleted; its approval is to stop."""

    ticket: Ticket
    actor: Actor
    reason: Literal["withdrawn", "deleted"]


# ticket, actor, via ("" or "email": opened by a mail to the intake address)
ticket_created = Signal()
# ticket, actor, from_status, to_status, comment
ticket_transitioned = Signal()
# event: TicketSubmitted (after the transition to waiting_approval)
ticket_submitted = Signal()
# event: TicketWithdrawn (before the ticket leaves waiting_approval, or before it is deleted)
ticket_withdrawn = Signal()
# ticket, actor, changes: list[FieldChange] (see tickets.services), one signal per update call
ticket_updated = Signal()
# ticket, actor
ticket_deleted = Signal()
# ticket, note (the comment), actor
comment_added = Signal()
# ticket, note, actor, old_text, new_text
comment_edited = Signal()
# ticket, note, actor
comment_deleted = Signal()
# ticket, note (already redacted), actor, reason
comment_redacted = Signal()
# ticket (or None for a template attachment), attachment, actor
attachment_added = Signal()
attachment_removed = Signal()
