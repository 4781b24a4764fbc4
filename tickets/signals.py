"""Domain signals of the tickets app. Sent by services (synchronously, inside their transaction) with the actor.

Every signal is sent with keyword arguments; `actor` may be None for system changes (commands, the approval engine).
"""

from django.dispatch import Signal

# ticket, actor
ticket_created = Signal()
# ticket, actor, from_status, to_status, comment
ticket_transitioned = Signal()
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
