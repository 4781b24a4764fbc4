"""Writes on tickets and their comments (SPEC §4, §5). Each function is complete: it authorises, validates, locks what
races, saves with update_fields, and sends the domain signal whose receivers write the timeline in this transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.db.models import prefetch_related_objects
from django.utils import timezone
from rest_framework.exceptions import Throttled

from permissions.selectors import can_view_ticket
from tickets import search, signals, statemachine
from tickets.models import (
    Category,
    EventType,
    Label,
    Ticket,
    TicketNote,
    TicketPriority,
    TicketStatus,
    TicketTemplate,
    TicketVisibility,
)
from tickets.services.templates import validate_custom_fields
from ticketsite.batching import atomic_service
from ticketsite.errors import DomainConflict, DomainNotFound, DomainPermissionDenied, DomainValidationError
from ticketsite.limits import (
    COMMENT_MAX_LENGTH,
    CUSTOM_FIELDS_MAX_BYTES,
    TICKET_DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    check_length,
    json_size,
)
from ticketsite.models import Actor
from ticketsite.services import changed_fields, model_update
from ticketsite.throttling import parse_rate

if TYPE_CHECKING:  # the ticket names its approval template; approvals is a higher app (docs/architecture.md)
    from approvals.models import ApprovalTemplate

ADMIN_CHANGE_PERMISSION = "tickets.change_ticket"
ADMIN_DELETE_PERMISSION = "tickets.delete_ticket"

# SPEC §4 "who may edit what".
CREATOR_DRAFT_FIELDS = frozenset({"title", "description", "custom_fields", "categories", "labels"})
CREATOR_DRAFT_STATUSES = frozenset({TicketStatus.DRAFT, TicketStatus.REJECTED})
CREATOR_FIELDS = frozenset({"visibility"})  # in any non-final status
WORKER_FIELDS = frozenset({"priority", "assignee", "due_at", "categories", "labels"})  # agents and the assignee
ADMIN_ONLY_FIELDS = frozenset({"approval_template"})

SCALAR_FIELDS = ("title", "description", "priority", "visibility", "custom_fields", "due_at")
FK_FIELDS = ("assignee", "approval_template")
M2M_FIELDS = ("categories", "labels")
EDITABLE_FIELDS = frozenset({*SCALAR_FIELDS, *FK_FIELDS, *M2M_FIELDS})
SEARCHED_FIELDS = frozenset({"title", "description", "custom_fields"})  # what the search document holds of the row


@dataclass(frozen=True)
class FieldChange:
    """One field changed by ticket_update. Values are JSON-ready: ids for references, sorted id lists for
    categories/labels, ISO 8601 strings for times."""

    field: str
    old: Any
    new: Any


# --- helpers -------------------------------------------------------------------------------------------------------


def _lock(ticket: Ticket) -> Ticket:
    """Lock the ticket row and re-read it in place, so decisions use the committed state (no-op lock on SQLite)."""
    try:
        ticket.refresh_from_db(from_queryset=Ticket.objects.select_for_update())
    except Ticket.DoesNotExist:
        raise DomainNotFound() from None
    return ticket


def _is_person(actor: Actor) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


def is_ticket_admin(actor: Actor, *, permission: str = ADMIN_CHANGE_PERMISSION) -> bool:
    """Admins are staff users holding the model permission (superusers hold them all)."""
    return _is_person(actor) and bool(getattr(actor, "is_staff", False)) and actor is not None and actor.has_perm(permission)


def editable_fields(ticket: Ticket, actor: Actor) -> frozenset[str]:
    """The fields `actor` may change on `ticket` now (SPEC §4)."""
    if statemachine.is_final(ticket.status) or not _is_person(actor):
        return frozenset()
    if is_ticket_admin(actor):
        return EDITABLE_FIELDS
    parties = statemachine.parties_of(ticket, actor)
    fields: set[str] = set()
    if statemachine.Party.CREATOR in parties:
        fields |= CREATOR_FIELDS
        if ticket.status in CREATOR_DRAFT_STATUSES:
            fields |= CREATOR_DRAFT_FIELDS
    if parties & {statemachine.Party.ASSIGNEE, statemachine.Party.AGENT}:
        fields |= WORKER_FIELDS
    return frozenset(fields)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def _ids(values: Iterable[Any]) -> list[int]:
    return sorted({int(getattr(value, "pk", value)) for value in values})


def _alive_ids(model: type[Category] | type[Label], ids: list[int], field: str) -> list[int]:
    found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise DomainValidationError(f"Unknown {field}: {', '.join(map(str, missing))}.", field=field, code="does_not_exist")
    return ids


def _chosen_ids(
    model: type[Category] | type[Label],
    given: Iterable[Category | Label | int] | None,
    defaults: Iterable[Category | Label],
    field: str,
) -> list[int]:
    """The ids of a new ticket's categories or labels: those given, else the template's (`defaults`). Rows the caller
    loaded (the API's body validation read them alive) are taken as they are; bare ids are checked to name live rows."""
    if given is None:
        return _ids(defaults)
    values = list(given)
    if all(isinstance(value, model) for value in values):
        return _ids(values)
    return _alive_ids(model, _ids(values), field)


def _check_choice(value: Any, choices: type[models.TextChoices], field: str) -> None:
    if value not in choices.values:
        raise DomainValidationError(f"'{value}' is not a valid {field}.", field=field, code="invalid_choice")


def _check_assignee(assignee: User | None) -> None:
    if assignee is not None and not assignee.is_active:
        raise DomainValidationError("The assignee must be an active user.", field="assignee", code="inactive")


def _check_title(title: str) -> None:
    if not title.strip():
        raise DomainValidationError("A title is required.", field="title", code="required")
    check_length(title, limit=TITLE_MAX_LENGTH, field="title")


def _check_description(description: str) -> None:
    check_length(description, limit=TICKET_DESCRIPTION_MAX_LENGTH, field="description")


def _custom_fields_schema(template: TicketTemplate | None) -> dict[str, Any] | None:
    return template.custom_fields_schema if template is not None else None


def validate_ticket_custom_fields(template: TicketTemplate | None, data: Any) -> None:
    if json_size(data) > CUSTOM_FIELDS_MAX_BYTES:
        raise DomainValidationError(
            f"Custom fields take at most {CUSTOM_FIELDS_MAX_BYTES} bytes as JSON.", field="custom_fields", code="max_length"
        )
    if template is None and data:
        raise DomainValidationError("Custom fields need a ticket template that defines them.", field="custom_fields")
    validate_custom_fields(schema=_custom_fields_schema(template), data=data)


def _check_submit_rate(ticket: Ticket, actor: User) -> None:
    """Each submit for approval mails the first step's approvers, maybe a whole role: one person may submit one ticket
    at most TICKET_SUBMIT_THROTTLE_RATE times (withdraw and resubmit loops), counted on the ticket's timeline."""
    limit, period = parse_rate(settings.TICKET_SUBMIT_THROTTLE_RATE)
    window = timedelta(seconds=period)
    now = timezone.now()
    recent = list(
        TicketNote.objects.filter(
            ticket=ticket,
            event_type=EventType.STATUS_CHANGE,
            event_details__to=TicketStatus.WAITING_APPROVAL,
            created_by=actor,
            created_at__gt=now - window,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        raise Throttled(
            wait=(recent[-1] + window - now).total_seconds(),
            detail=f"You submitted ticket {ticket.key} for approval {limit} times in {period} seconds.",
        )


def _refusal(ticket: Ticket, actor: Actor, to_status: str, reason: str) -> str:
    allowed = statemachine.allowed_transitions(ticket, actor)
    return (
        f"{reason} Ticket {ticket.key} is '{ticket.status}'; "
        f"transitions you may make: {', '.join(allowed) if allowed else 'none'}."
    )


# --- tickets -------------------------------------------------------------------------------------------------------


@atomic_service
def ticket_create(
    *,
    actor: User,
    title: str | None = None,
    description: str | None = None,
    priority: str | None = None,
    visibility: str | None = None,
    template: TicketTemplate | None = None,
    approval_template: ApprovalTemplate | None = None,
    custom_fields: dict[str, Any] | None = None,
    assignee: User | None = None,
    due_at: datetime | None = None,
    categories: Iterable[Category | int] | None = None,
    labels: Iterable[Label | int] | None = None,
    via: str = "",
) -> Ticket:
    """A new draft created by `actor`. Values not given come from the template; categories and labels given replace
    the template's defaults (None means "not given"). `via` names the channel for the timeline when it is not the web
    or the API ("email")."""
    if not _is_person(actor):
        raise DomainPermissionDenied("Only an active user can create tickets.")
    if template is not None and template.is_deleted:
        raise DomainValidationError("This ticket template does not exist.", field="template", code="does_not_exist")
    if approval_template is not None and approval_template.is_deleted:
        raise DomainValidationError("This approval template does not exist.", field="approval_template", code="does_not_exist")
    ticket = Ticket(
        title=title if title else (template.default_title if template else ""),
        description=description if description is not None else (template.default_description if template else ""),
        priority=priority or (template.default_priority if template else TicketPriority.MEDIUM),
        visibility=visibility or (template.default_visibility if template else TicketVisibility.INTERNAL),
        template=template,
        approval_template=approval_template or (template.approval_template if template else None),
        custom_fields=custom_fields if custom_fields is not None else {},
        assignee=assignee,
        due_at=due_at,
        status=TicketStatus.DRAFT,
    )
    _check_title(ticket.title)
    _check_description(ticket.description)
    _check_choice(ticket.priority, TicketPriority, "priority")
    _check_choice(ticket.visibility, TicketVisibility, "visibility")
    _check_assignee(assignee)
    validate_ticket_custom_fields(template, ticket.custom_fields)
    category_ids = _chosen_ids(Category, categories, template.categories.all() if template else [], "categories")
    label_ids = _chosen_ids(Label, labels, template.labels.all() if template else [], "labels")

    ticket.stamp(actor, created=True)
    ticket.save()
    ticket.key = f"TCK-{ticket.pk}"
    ticket.save(update_fields=["key"])
    # A new ticket has no categories or labels yet: add() writes the rows in one INSERT each, without set()'s read.
    if category_ids:
        ticket.categories.add(*category_ids)
    if label_ids:
        ticket.labels.add(*label_ids)
    search.document_refresh(ticket_ids=[ticket.pk])
    signals.ticket_created.send(sender=Ticket, ticket=ticket, actor=actor, via=via)
    return ticket


def _current_value(ticket: Ticket, field: str) -> Any:
    if field in M2M_FIELDS:
        return _ids(getattr(ticket, field).all())
    if field in FK_FIELDS:
        return getattr(ticket, f"{field}_id")
    return _jsonable(getattr(ticket, field))


def _new_value(field: str, value: Any) -> Any:
    if field in M2M_FIELDS:
        return _ids(value or [])
    if field in FK_FIELDS:
        return None if value is None else int(getattr(value, "pk", value))
    return _jsonable(value)


@atomic_service
def ticket_update(*, ticket: Ticket, actor: User, data: dict[str, Any]) -> Ticket:
    """Change fields under SPEC §4's rules. Only fields whose value changes are checked and recorded.
    Status is not a field here: it changes through ticket_transition only."""
    not_editable = sorted(set(data) - EDITABLE_FIELDS)
    if not_editable:
        field = not_editable[0]
        hint = " Use the transition endpoint." if field == "status" else ""
        raise DomainValidationError(f"'{field}' cannot be changed.{hint}", field=field, code="read_only")
    _lock(ticket)
    if statemachine.is_final(ticket.status):
        raise DomainConflict(f"Ticket {ticket.key} is '{ticket.status}'; a final ticket cannot be edited.", code="ticket_final")

    # The current categories and labels, read once for both the comparison and the event.
    prefetch_related_objects([ticket], *(field for field in M2M_FIELDS if field in data))
    changed = changed_fields(ticket, fields=(*SCALAR_FIELDS, *FK_FIELDS, *M2M_FIELDS), data=data)
    if not changed:
        return ticket
    allowed = editable_fields(ticket, actor)
    for field in changed:
        if field not in allowed:
            raise DomainPermissionDenied(
                f"You may not change '{field}' of ticket {ticket.key} while it is '{ticket.status}'.", code="permission_denied"
            )

    if "title" in changed:
        _check_title(data["title"])
    if "description" in changed:
        _check_description(data["description"])
    if "priority" in changed:
        _check_choice(data["priority"], TicketPriority, "priority")
    if "visibility" in changed:
        _check_choice(data["visibility"], TicketVisibility, "visibility")
    if "assignee" in changed:
        _check_assignee(data["assignee"])
    if "custom_fields" in changed:
        validate_ticket_custom_fields(ticket.template, data["custom_fields"])
    if "approval_template" in changed and data["approval_template"] is not None and data["approval_template"].is_deleted:
        raise DomainValidationError("This approval template does not exist.", field="approval_template", code="does_not_exist")
    for field in ("categories", "labels"):
        if field in changed:
            _alive_ids(Category if field == "categories" else Label, _new_value(field, data[field]), field)

    changes = [FieldChange(field, old=_current_value(ticket, field), new=_new_value(field, data[field])) for field in changed]
    model_update(instance=ticket, fields=changed, data=data, actor=actor)
    if SEARCHED_FIELDS & set(changed):
        search.document_refresh(ticket_ids=[ticket.pk])
    signals.ticket_updated.send(sender=Ticket, ticket=ticket, actor=actor, changes=changes)
    return ticket


def _apply_status(ticket: Ticket, to_status: str, actor: Actor, comment: str) -> None:
    from_status = ticket.status
    now = timezone.now()
    ticket.status = to_status
    fields = ["status"]
    if to_status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif from_status == TicketStatus.RESOLVED and to_status == TicketStatus.IN_PROGRESS:
        ticket.resolved_at = None  # reopened: no longer resolved
        fields.append("resolved_at")
    if to_status == TicketStatus.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    ticket.save(update_fields=[*fields, *ticket.stamp(actor)])
    signals.ticket_transitioned.send(
        sender=Ticket, ticket=ticket, actor=actor, from_status=from_status, to_status=to_status, comment=comment
    )


@atomic_service
def ticket_transition(*, ticket: Ticket, actor: User, to_status: str, comment: str = "") -> Ticket:
    """A person moves the ticket along SPEC §4's table. Wrong state: 409 invalid_transition; wrong person: 403."""
    _lock(ticket)
    row = statemachine.find_row(ticket, to_status)
    if row is None:
        raise DomainConflict(
            _refusal(ticket, actor, to_status, f"Cannot move from '{ticket.status}' to '{to_status}'."),
            code="invalid_transition",
        )
    if not statemachine.may_take(row, ticket, actor):
        raise DomainPermissionDenied(
            _refusal(ticket, actor, to_status, f"You may not move this ticket to '{to_status}'."), code="permission_denied"
        )
    if to_status == TicketStatus.WAITING_APPROVAL:
        _check_submit_rate(ticket, actor)
    if ticket.status == TicketStatus.WAITING_APPROVAL and to_status == TicketStatus.DRAFT:
        # Withdraw: the approval engine cancels the process while it still runs.
        signals.ticket_withdrawn.send(sender=Ticket, event=signals.TicketWithdrawn(ticket, actor, "withdrawn"))
    _apply_status(ticket, to_status, actor, comment)
    if to_status == TicketStatus.WAITING_APPROVAL:
        # The approval engine starts the process; it refuses (400) when a slot has no eligible approver, and the
        # whole submit rolls back.
        signals.ticket_submitted.send(sender=Ticket, event=signals.TicketSubmitted(ticket, actor, comment))
    return ticket


@atomic_service
def ticket_system_transition(*, ticket: Ticket, to_status: str, actor: Actor = None, comment: str = "") -> Ticket:
    """A transition taken by the system (the approval engine, the auto-close command): only the table's system rows."""
    _lock(ticket)
    return ticket_system_transition_locked(ticket=ticket, to_status=to_status, actor=actor, comment=comment)


def ticket_system_transition_locked(*, ticket: Ticket, to_status: str, actor: Actor = None, comment: str = "") -> Ticket:
    """ticket_system_transition for a caller that holds the ticket's row lock and read it under that lock, in the
    transaction it runs in (the approval engine's decision): the same rule and change, without a second read."""
    if not statemachine.system_may_take(ticket, to_status):
        raise DomainConflict(
            f"The system cannot move ticket {ticket.key} from '{ticket.status}' to '{to_status}'.", code="invalid_transition"
        )
    _apply_status(ticket, to_status, actor, comment)
    return ticket


@atomic_service
def ticket_delete(*, ticket: Ticket, actor: User) -> None:
    """Soft delete: the creator while the ticket is a draft, admins at any time. A running approval is cancelled."""
    _lock(ticket)
    is_admin = is_ticket_admin(actor, permission=ADMIN_DELETE_PERMISSION)
    is_creator = _is_person(actor) and ticket.created_by_id == actor.pk
    if not is_admin and not is_creator:
        raise DomainPermissionDenied("Only the ticket's creator (while it is a draft) or an admin can delete it.")
    if not is_admin and ticket.status != TicketStatus.DRAFT:
        raise DomainConflict(
            f"Ticket {ticket.key} is '{ticket.status}'; its creator can delete it only while it is a draft.",
            code="invalid_state",
        )
    if ticket.status == TicketStatus.WAITING_APPROVAL:
        signals.ticket_withdrawn.send(sender=Ticket, event=signals.TicketWithdrawn(ticket, actor, "deleted"))
    ticket.soft_delete(actor=actor)
    signals.ticket_deleted.send(sender=Ticket, ticket=ticket, actor=actor)


@atomic_service
def ticket_restore(*, ticket: Ticket, actor: Actor) -> Ticket:
    """Undo a soft delete (admins, from the back office). A ticket deleted while waiting for approval lost its process
    then (cancelled), so it comes back as a draft, on the timeline, for its creator to submit again."""
    ticket.refresh_from_db(from_queryset=Ticket.all_objects.select_for_update())
    if not ticket.is_deleted:
        return ticket
    ticket.restore(actor=actor)
    search.document_refresh(ticket_ids=[ticket.pk])
    if ticket.status == TicketStatus.WAITING_APPROVAL:
        _apply_status(ticket, TicketStatus.DRAFT, actor, "Restored after deletion; its approval was cancelled then.")
    return ticket


# --- comments ------------------------------------------------------------------------------------------------------


def _clean_note(note: str) -> str:
    check_length(note, limit=COMMENT_MAX_LENGTH, field="note")
    text = note.strip()
    if not text:
        raise DomainValidationError("A comment cannot be empty.", field="note", code="blank")
    return text


def _lock_comment(comment: TicketNote, actor: User) -> TicketNote:
    if comment.system:
        raise DomainNotFound()
    try:
        comment.refresh_from_db(from_queryset=TicketNote.objects.select_for_update())
    except TicketNote.DoesNotExist:
        raise DomainNotFound() from None
    if not _is_person(actor) or comment.created_by_id != actor.pk:
        raise DomainPermissionDenied("Only the author of a comment can change or delete it.")
    return comment


@atomic_service
def comment_create(*, ticket: Ticket, actor: User, note: str, via: str = "") -> TicketNote:
    """Anyone who can see the ticket may comment, in any status. `via` names the channel when it is not the web or the
    API ("email": a reply to a mail), kept in the comment's details for the timeline."""
    if not can_view_ticket(actor, ticket):
        raise DomainNotFound()
    comment = TicketNote(ticket=ticket, system=False, note=_clean_note(note), event_details={"via": via} if via else {})
    comment.stamp(actor, created=True)
    comment.save()
    search.document_refresh(ticket_ids=[ticket.pk])
    signals.comment_added.send(sender=TicketNote, ticket=ticket, note=comment, actor=actor)
    return comment


def _refuse_if_redacted(comment: TicketNote) -> None:
    if comment.redacted_at is not None:
        raise DomainConflict("This comment was redacted; it cannot be changed or redacted again.", code="comment_redacted")


def redaction_marker(actor: User, at: datetime) -> str:
    """What a redacted comment (and each version of its edit history) reads instead of its text."""
    return f"Redacted by {actor.get_username()} at {at.isoformat(timespec='seconds')}."


@atomic_service
def comment_update(*, comment: TicketNote, actor: User, note: str) -> TicketNote:
    _lock_comment(comment, actor)
    _refuse_if_redacted(comment)
    new_text = _clean_note(note)
    old_text = comment.note
    if new_text == old_text:
        return comment
    comment.note = new_text
    comment.save(update_fields=["note", *comment.stamp(actor)])
    search.document_refresh(ticket_ids=[comment.ticket_id])
    signals.comment_edited.send(
        sender=TicketNote, ticket=comment.ticket, note=comment, actor=actor, old_text=old_text, new_text=new_text
    )
    return comment


@atomic_service
def comment_delete(*, comment: TicketNote, actor: User) -> None:
    _lock_comment(comment, actor)
    comment.soft_delete(actor=actor)
    search.document_refresh(ticket_ids=[comment.ticket_id])
    signals.comment_deleted.send(sender=TicketNote, ticket=comment.ticket, note=comment, actor=actor)


@atomic_service
def comment_redact(*, comment: TicketNote, actor: User, reason: str = "") -> TicketNote:
    """Remove a comment's text for good (a secret pasted by mistake): the text and the old and new texts of its
    comment_edited events become a marker naming who redacted it and when. The author or a ticket admin may; a
    deleted comment too (deleting keeps the text). Redacting twice is a 409."""
    if comment.system:
        raise DomainNotFound()
    try:
        comment.refresh_from_db(from_queryset=TicketNote.all_objects.select_for_update())
    except TicketNote.DoesNotExist:
        raise DomainNotFound() from None
    if not _is_person(actor) or (comment.created_by_id != actor.pk and not is_ticket_admin(actor)):
        raise DomainPermissionDenied("Only the author of a comment or an admin can redact it.")
    _refuse_if_redacted(comment)
    now = timezone.now()
    marker = redaction_marker(actor, now)
    comment.note = marker
    comment.redacted_by = actor
    comment.redacted_at = now
    comment.save(update_fields=["note", "redacted_by", "redacted_at", *comment.stamp(actor)])
    TicketNote.all_objects.filter(
        ticket_id=comment.ticket_id, system=True, event_type=EventType.COMMENT_EDITED, event_details__comment=comment.pk
    ).update(
        event_details={"comment": comment.pk, "old": marker, "new": marker, "redacted": True}, updated_by=actor, updated_at=now
    )
    search.document_refresh(ticket_ids=[comment.ticket_id])
    signals.comment_redacted.send(sender=TicketNote, ticket=comment.ticket, note=comment, actor=actor, reason=reason.strip())
    return comment
