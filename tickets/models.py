"""Tickets, their classification, templates, the unified timeline and attachments (SPEC §4, §5, §9)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from ticketsite.models import AuditedModel


class TicketStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    WAITING_APPROVAL = "waiting_approval", "Waiting for approval"
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"
    REJECTED = "rejected", "Rejected"


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TicketVisibility(models.TextChoices):
    INTERNAL = "internal", "Internal"
    RESTRICTED = "restricted", "Restricted"


class SlaStatus(models.TextChoices):
    """Where a ticket stands against its service level (SPEC §15); computed by the sla app, stored for lists."""

    OK = "ok", "On track"
    WARNING = "warning", "Warning"
    BREACHED = "breached", "Breached"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"


class EventType(models.TextChoices):
    """System event types of the timeline (SPEC §5)."""

    CREATED = "created"
    STATUS_CHANGE = "status_change"
    ASSIGNEE_CHANGE = "assignee_change"
    PRIORITY_CHANGE = "priority_change"
    VISIBILITY_CHANGE = "visibility_change"
    FIELD_CHANGE = "field_change"
    CATEGORY_ADD = "category_add"
    CATEGORY_REMOVE = "category_remove"
    LABEL_ADD = "label_add"
    LABEL_REMOVE = "label_remove"
    ATTACHMENT_ADD = "attachment_add"
    ATTACHMENT_REMOVE = "attachment_remove"
    APPROVAL_STARTED = "approval_started"
    APPROVAL_STEP_STARTED = "approval_step_started"
    APPROVAL_GIVEN = "approval_given"
    APPROVAL_REJECTED = "approval_rejected"
    APPROVAL_COMPLETED = "approval_completed"
    APPROVAL_CANCELLED = "approval_cancelled"
    PERMISSION_GRANTED = "permission_granted"
    PERMISSION_REVOKED = "permission_revoked"
    ACCESS_REQUESTED = "access_requested"
    ACCESS_GRANTED = "access_granted"
    ACCESS_DENIED = "access_denied"
    COMMENT_EDITED = "comment_edited"
    COMMENT_DELETED = "comment_deleted"
    COMMENT_REDACTED = "comment_redacted"
    SLA_POLICY_CHANGE = "sla_policy_change"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"


class Category(AuditedModel):
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        db_table = "categories"
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(Lower("name"), condition=Q(is_deleted=False), name="categories_name_unique_alive"),
        ]

    def __str__(self) -> str:
        return self.name


class Label(AuditedModel):
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=7, default="#808080", help_text="Hex colour, e.g. #1f77b4")
    description = models.TextField(blank=True, default="")

    class Meta:
        db_table = "labels"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), condition=Q(is_deleted=False), name="labels_name_unique_alive"),
            models.CheckConstraint(condition=Q(color__regex=r"^#[0-9A-Fa-f]{6}$"), name="labels_color_hex"),
        ]

    def __str__(self) -> str:
        return self.name


class TicketTemplate(AuditedModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    default_title = models.CharField(max_length=200, blank=True, default="")
    default_description = models.TextField(blank=True, default="")
    default_priority = models.CharField(max_length=16, choices=TicketPriority.choices, default=TicketPriority.MEDIUM)
    default_visibility = models.CharField(max_length=16, choices=TicketVisibility.choices, default=TicketVisibility.INTERNAL)
    categories = models.ManyToManyField(Category, blank=True, db_table="ticket_template_categories", related_name="+")
    labels = models.ManyToManyField(Label, blank=True, db_table="ticket_template_labels", related_name="+")
    approval_template = models.ForeignKey(
        "approvals.ApprovalTemplate", null=True, blank=True, on_delete=models.PROTECT, related_name="ticket_templates"
    )
    custom_fields_schema = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "ticket_templates"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), condition=Q(is_deleted=False), name="ticket_templates_name_unique_alive"),
        ]

    def __str__(self) -> str:
        return self.name


class Ticket(AuditedModel):
    key = models.CharField(max_length=32, unique=True, null=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=20, choices=TicketStatus.choices, default=TicketStatus.DRAFT, editable=False)
    priority = models.CharField(max_length=16, choices=TicketPriority.choices, default=TicketPriority.MEDIUM)
    visibility = models.CharField(max_length=16, choices=TicketVisibility.choices, default=TicketVisibility.INTERNAL)
    template = models.ForeignKey(TicketTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    approval_template = models.ForeignKey(
        "approvals.ApprovalTemplate", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    custom_fields = models.JSONField(default=dict, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tickets"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    categories = models.ManyToManyField(Category, blank=True, db_table="ticket_categories", related_name="tickets")
    labels = models.ManyToManyField(Label, blank=True, db_table="ticket_labels", related_name="tickets")
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Service level (SPEC §15): written by the sla app's clock only, stored so lists filter and sort without computing.
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets", editable=False
    )
    sla_status = models.CharField(max_length=16, choices=SlaStatus.choices, null=True, blank=True, editable=False)
    first_response_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_responded_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_remaining_minutes = models.IntegerField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "tickets"
        ordering = ["-created_at", "-id"]
        permissions = [
            ("work_on_ticket", "Can work on tickets as an agent"),
            ("view_all_tickets", "Can view every ticket, restricted ones included"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="tickets_status_created_idx"),
            models.Index(fields=["priority"], name="tickets_priority_idx"),
            models.Index(fields=["visibility"], name="tickets_visibility_idx"),
            models.Index(fields=["created_by", "-created_at"], name="tickets_creator_created_idx"),
            models.Index(fields=["assignee", "-created_at"], name="tickets_assignee_created_idx"),
            models.Index(fields=["-created_at", "-id"], name="tickets_created_id_idx"),
            models.Index(fields=["updated_at"], name="tickets_updated_idx"),
            models.Index(fields=["due_at"], name="tickets_due_idx"),
            models.Index(fields=["sla_status"], name="tickets_sla_status_idx"),
            models.Index(fields=["first_response_due_at"], name="tickets_first_response_due_idx"),
            models.Index(fields=["resolution_due_at"], name="tickets_resolution_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key or 'TCK-?'} {self.title}"


class TicketNote(AuditedModel):
    """One entry of a ticket's timeline: a comment (system=False) or a system event (SPEC §5)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="notes")
    system = models.BooleanField(default=False)
    event_type = models.CharField(max_length=32, choices=EventType.choices, null=True, blank=True)
    event_details = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True, default="")
    # A redacted comment keeps its place on the timeline; its text and edit history were replaced by a marker.
    redacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    redacted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "ticket_notes"
        ordering = ["created_at", "id"]
        verbose_name = "timeline entry"
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="ticket_notes_timeline_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(system=False, event_type__isnull=True) | Q(system=True, event_type__isnull=False),
                name="ticket_notes_event_type_iff_system",
            ),
            models.CheckConstraint(
                condition=Q(redacted_at__isnull=True) | Q(system=False), name="ticket_notes_only_comments_redacted"
            ),
        ]

    def __str__(self) -> str:
        what = self.get_event_type_display().lower() if self.system else "comment"
        who = self.created_by.username if self.created_by is not None else "the system"
        return f"{what} by {who} on {self.ticket.key}"


class TsVectorField(SearchVectorField):
    """A tsvector column (SearchVectorField) without its check that django.contrib.postgres is installed: that app
    registers database type handlers (hstore, citext, ranges) a tsvector needs none of, and SQLite keeps the column
    unused."""

    def _check_postgres_installed(self, *args: Any) -> list[Any]:
        return []


class TicketSearchDocument(AuditedModel):
    """What full-text search matches for one ticket (docs/search.md), rebuilt by the ticket services in their
    transaction (tickets.search.document_refresh). PostgreSQL matches `vector` (weighted: A key and title, B description,
    C live comments, D custom-field strings; GIN-indexed by migration 0006); SQLite matches `text` (the comments and
    custom-field strings, the rest is on the ticket row) by substring. A table of its own: a comment rewrites this row,
    not the ticket's with its many indexes."""

    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="search_document")
    vector = TsVectorField(null=True, editable=False)
    text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        db_table = "ticket_search_documents"

    def __str__(self) -> str:
        return f"search document of ticket {self.ticket_id}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # Stored under a random name; the sanitised original name is kept in file_name for downloads.
    return f"attachments/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}"


class Attachment(AuditedModel):
    """A file linked to exactly one of a ticket, a comment (ticket note) or a ticket template."""

    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    note = models.ForeignKey(TicketNote, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    template = models.ForeignKey(TicketTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=255)
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=127)
    sha256 = models.CharField(max_length=64)

    class Meta:
        db_table = "attachments"
        ordering = ["created_at", "id"]
        constraints = [
            # A comment attachment also names the comment's ticket, so ticket-scoped queries find it.
            models.CheckConstraint(
                condition=(
                    Q(ticket__isnull=False, template__isnull=True)
                    | Q(ticket__isnull=True, note__isnull=True, template__isnull=False)
                ),
                name="attachments_exactly_one_owner",
            ),
        ]

    def __str__(self) -> str:
        owner = self.ticket.key if self.ticket is not None else f"template {self.template}"
        return f"{self.file_name} on {owner}"
