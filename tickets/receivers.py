"""Timeline receivers: every ticket signal becomes a system event on `ticket_notes`, written in the sender's
transaction (synchronous send), so a change and its event commit or roll back together."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from tickets import signals
from tickets.models import Category, EventType, Label, Ticket, TicketNote
from tickets.timeline import created_details, record_event, status_change_details

# ticket_update's field name -> the dedicated event type; other fields are recorded as field_change.
FIELD_EVENTS = {
    "assignee": EventType.ASSIGNEE_CHANGE,
    "priority": EventType.PRIORITY_CHANGE,
    "visibility": EventType.VISIBILITY_CHANGE,
}
SET_EVENTS: dict[str, tuple[type[Category] | type[Label], str, EventType, EventType]] = {
    "categories": (Category, "category", EventType.CATEGORY_ADD, EventType.CATEGORY_REMOVE),
    "labels": (Label, "label", EventType.LABEL_ADD, EventType.LABEL_REMOVE),
}


@receiver(signals.ticket_created, dispatch_uid="tickets.timeline.ticket_created")
def on_ticket_created(sender: Any, *, ticket: Ticket, actor: Any, via: str = "", **kwargs: Any) -> None:
    record_event(ticket=ticket, actor=actor, event_type=EventType.CREATED, details=created_details(ticket, via=via))


@receiver(signals.ticket_transitioned, dispatch_uid="tickets.timeline.ticket_transitioned")
def on_ticket_transitioned(
    sender: Any, *, ticket: Ticket, actor: Any, from_status: str, to_status: str, comment: str = "", **kwargs: Any
) -> None:
    details = status_change_details(from_status=from_status, to_status=to_status, comment=comment)
    record_event(ticket=ticket, actor=actor, event_type=EventType.STATUS_CHANGE, details=details)


@receiver(signals.ticket_updated, dispatch_uid="tickets.timeline.ticket_updated")
def on_ticket_updated(sender: Any, *, ticket: Ticket, actor: Any, changes: list[Any], **kwargs: Any) -> None:
    for change in changes:
        if change.field in SET_EVENTS:
            _record_set_change(ticket, actor, change.field, old=change.old, new=change.new)
        elif change.field in FIELD_EVENTS:
            details = {"field": change.field, "old": change.old, "new": change.new}
            record_event(ticket=ticket, actor=actor, event_type=FIELD_EVENTS[change.field], details=details)
        else:
            details = {"field": change.field, "old": change.old, "new": change.new}
            record_event(ticket=ticket, actor=actor, event_type=EventType.FIELD_CHANGE, details=details)


def _names(model: type[Category] | type[Label], ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {pk: name for pk, name in model.all_objects.filter(pk__in=ids).values_list("pk", "name")}


def _record_set_change(ticket: Ticket, actor: Any, field: str, *, old: list[int], new: list[int]) -> None:
    model, key, add_event, remove_event = SET_EVENTS[field]
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    # Names are kept in the event so the timeline still reads well after a category is renamed or deleted.
    names = _names(model, [*added, *removed])
    for pk in added:
        record_event(ticket=ticket, actor=actor, event_type=add_event, details={key: pk, "name": names.get(pk)})
    for pk in removed:
        record_event(ticket=ticket, actor=actor, event_type=remove_event, details={key: pk, "name": names.get(pk)})


@receiver(signals.comment_edited, dispatch_uid="tickets.timeline.comment_edited")
def on_comment_edited(
    sender: Any, *, ticket: Ticket, note: TicketNote, actor: Any, old_text: str, new_text: str, **kwargs: Any
) -> None:
    details = {"comment": note.pk, "old": old_text, "new": new_text}
    record_event(ticket=ticket, actor=actor, event_type=EventType.COMMENT_EDITED, details=details)


@receiver(signals.comment_deleted, dispatch_uid="tickets.timeline.comment_deleted")
def on_comment_deleted(sender: Any, *, ticket: Ticket, note: TicketNote, actor: Any, **kwargs: Any) -> None:
    # The text is not copied: a comment is usually deleted because it should not have been written.
    record_event(ticket=ticket, actor=actor, event_type=EventType.COMMENT_DELETED, details={"comment": note.pk})


@receiver(signals.comment_redacted, dispatch_uid="tickets.timeline.comment_redacted")
def on_comment_redacted(sender: Any, *, ticket: Ticket, note: TicketNote, actor: Any, reason: str, **kwargs: Any) -> None:
    # Names the comment and the reason only: the removed text is copied nowhere.
    details = {"comment": note.pk, "reason": reason}
    record_event(ticket=ticket, actor=actor, event_type=EventType.COMMENT_REDACTED, details=details)


@receiver(signals.attachment_added, dispatch_uid="tickets.timeline.attachment_added")
def on_attachment_added(sender: Any, *, ticket: Ticket | None, attachment: Any, actor: Any, **kwargs: Any) -> None:
    if ticket is None:  # a template's attachment has no timeline
        return
    details = {"attachment": attachment.pk, "file_name": attachment.file_name, "note": attachment.note_id}
    record_event(ticket=ticket, actor=actor, event_type=EventType.ATTACHMENT_ADD, details=details)


@receiver(signals.attachment_removed, dispatch_uid="tickets.timeline.attachment_removed")
def on_attachment_removed(sender: Any, *, ticket: Ticket | None, attachment: Any, actor: Any, **kwargs: Any) -> None:
    if ticket is None:
        return
    details = {"attachment": attachment.pk, "file_name": attachment.file_name, "note": attachment.note_id}
    record_event(ticket=ticket, actor=actor, event_type=EventType.ATTACHMENT_REMOVE, details=details)
