"""Reads of attachments. Every path goes through the caller's visible tickets (SPEC §7): an attachment of a ticket the
caller cannot see does not exist for them. Template attachments are readable by every active user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from permissions.selectors import is_active_user, parse_pk, visible_tickets
from tickets.models import Attachment, Ticket, TicketTemplate
from ticketsite.errors import DomainNotFound

# A comment attachment disappears with its comment.
_NOTE_ALIVE = Q(note__isnull=True) | Q(note__is_deleted=False)


def visible_attachments(user: User | AnonymousUser | None) -> QuerySet[Attachment]:
    """Live attachments of visible tickets (and their live comments) and of live templates, as one query."""
    if not is_active_user(user):
        return Attachment.objects.none()
    on_visible_ticket = Q(ticket__in=visible_tickets(user).values("id")) & _NOTE_ALIVE
    on_live_template = Q(template__isnull=False, template__is_deleted=False)
    return Attachment.objects.filter(on_visible_ticket | on_live_template)


def get_visible_attachment(user: User | AnonymousUser | None, attachment_id: Any) -> Attachment:
    """Fetch and authorise in one step: missing, deleted and invisible are the same 404."""
    attachment = visible_attachments(user).filter(pk=parse_pk(attachment_id)).first()
    if attachment is None:
        raise DomainNotFound()
    return attachment


def ticket_attachments(*, ticket: Ticket) -> QuerySet[Attachment]:
    """Attachments of a ticket the caller was already authorised to see, its comments' included, oldest first."""
    return Attachment.objects.filter(ticket=ticket).filter(_NOTE_ALIVE).order_by("created_at", "id")


def template_attachments(*, template: TicketTemplate) -> QuerySet[Attachment]:
    return Attachment.objects.filter(template=template).order_by("created_at", "id")


def get_template_for_attachments(user: User | AnonymousUser | None, template_id: Any) -> TicketTemplate:
    """A live template (every active user reads templates), else 404."""
    pk = parse_pk(template_id)
    template = TicketTemplate.objects.filter(pk=pk).first() if is_active_user(user) else None
    if template is None:
        raise DomainNotFound()
    return template


def attachments_due_for_purge(*, deleted_before: datetime) -> QuerySet[Attachment]:
    """Attachments soft-deleted before the cutoff (the retention policy's purge), by id for keyset batches."""
    return Attachment.all_objects.filter(is_deleted=True, deleted_at__lt=deleted_before).order_by("id")
