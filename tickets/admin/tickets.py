"""Back office for tickets, their timeline and templates. The admin is another client of the ticket services: creating,
editing, deleting and transitions go through them, so every change lands on the timeline with the admin as actor."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.fields import InvalidJSONInput
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from rest_framework.exceptions import ValidationError as DRFValidationError

from tickets import statemachine
from tickets.admin.visibility import TicketRowsAdmin, visible_admin_tickets
from tickets.models import Ticket, TicketNote, TicketStatus, TicketTemplate
from tickets.services import tickets as ticket_services
from tickets.services.templates import validate_custom_fields_schema
from tickets.timeline_words import describe_all
from ticketsite.admin import (
    AUDIT_FIELDS,
    SERVICE_ERRORS,
    AuditedAdmin,
    AuditedModelForm,
    ReadOnlyRowsAdmin,
    error_text,
    restore_selected,
)
from ticketsite.models import user_or_role_name


class PrettyJSONField(forms.JSONField):
    """A JSON textarea showing indented JSON, so schemas and custom fields stay readable."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 16, "cols": 90, "style": "font-family: monospace"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False, cls=self.encoder)


# --- templates -----------------------------------------------------------------------------------------------------


class TicketTemplateForm(AuditedModelForm):
    custom_fields_schema = PrettyJSONField(required=False, help_text="A JSON Schema (an object) for tickets' custom fields.")

    class Meta:
        model = TicketTemplate
        fields = "__all__"

    def clean_custom_fields_schema(self) -> Any:
        schema = self.cleaned_data.get("custom_fields_schema") or {}
        try:
            validate_custom_fields_schema(schema)
        except DRFValidationError as exc:
            raise forms.ValidationError(error_text(exc)) from None
        return schema


@admin.register(TicketTemplate)
class TicketTemplateAdmin(AuditedAdmin):
    form = TicketTemplateForm
    list_display = ["name", "default_priority", "default_visibility", "approval_template", "is_deleted", "updated_at"]
    list_filter = ["default_priority", "default_visibility"]
    list_select_related = ["approval_template"]
    search_fields = ["name", "description"]
    filter_horizontal = ["categories", "labels"]
    fieldsets = [
        (None, {"fields": ["name", "description", "approval_template"]}),
        (
            "Defaults of new tickets",
            {
                "fields": [
                    "default_title",
                    "default_description",
                    "default_priority",
                    "default_visibility",
                    "categories",
                    "labels",
                ]
            },
        ),
        ("Custom fields", {"fields": ["custom_fields_schema"]}),
        ("Audit", {"classes": ["collapse"], "fields": list(AUDIT_FIELDS)}),
    ]


# --- tickets -------------------------------------------------------------------------------------------------------


def timeline_in_words(notes: list[TicketNote]) -> SafeString:
    """Timeline entries as the workspace and the e-mails tell them (tickets.timeline_words, one renderer for every
    reader), each after its time; the names the entries hold are fetched once for all of them."""
    sentences = describe_all(notes)
    rows = (
        (note.created_at.isoformat(), timezone.localtime(note.created_at).strftime("%Y-%m-%d %H:%M"), sentence.html)
        for note, sentence in zip(notes, sentences, strict=True)
    )
    entries = format_html_join("", '<li><time datetime="{}">{}</time> {}</li>', rows)
    return format_html('<ol class="timeline-in-words">{}</ol>', entries)


class TicketForm(AuditedModelForm):
    custom_fields = PrettyJSONField(required=False)

    class Meta:
        model = Ticket
        fields = "__all__"

    def clean_custom_fields(self) -> Any:
        return self.cleaned_data.get("custom_fields") or {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None
        template = cleaned.get("template") if self.instance.pk is None else self.instance.template
        if "custom_fields" in cleaned and (self.instance.pk is None or "custom_fields" in self.changed_data):
            try:
                ticket_services.validate_ticket_custom_fields(template, cleaned["custom_fields"])
            except DRFValidationError as exc:
                self.add_error("custom_fields", error_text(exc))
        return cleaned


def _transition_action(to_status: str | None, description: str) -> Callable[..., None]:
    """An admin action moving the selected tickets through ticket_transition (None: "submit", whichever applies)."""

    def action(modeladmin: TicketAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        modeladmin.run_transition(request, queryset, to_status)

    action.__name__ = f"transition_to_{to_status or 'submitted'}"
    return admin.action(description=description, permissions=["change"])(action)


submit_tickets = _transition_action(None, "Submit (for approval when the ticket has an approval template)")
withdraw_tickets = _transition_action(TicketStatus.DRAFT, "Back to draft (withdraw / revise)")
cancel_tickets = _transition_action(TicketStatus.CANCELLED, "Cancel")
start_tickets = _transition_action(TicketStatus.IN_PROGRESS, "Start work / reopen (in progress)")
resolve_tickets = _transition_action(TicketStatus.RESOLVED, "Resolve")
close_tickets = _transition_action(TicketStatus.CLOSED, "Close")


@admin.register(Ticket)
class TicketAdmin(AuditedAdmin):
    form = TicketForm
    list_display = ["key", "title", "status", "priority", "visibility", "assignee", "created_by", "created_at"]
    list_filter = ["status", "priority", "visibility", "template", "categories", "labels"]
    list_select_related = ["assignee", "created_by"]
    search_fields = ["key", "title", "description"]
    date_hierarchy = "created_at"
    filter_horizontal = ["categories", "labels"]
    raw_id_fields = ["assignee"]
    actions = [
        restore_selected,
        submit_tickets,
        withdraw_tickets,
        cancel_tickets,
        start_tickets,
        resolve_tickets,
        close_tickets,
    ]
    fieldsets = [
        (None, {"fields": ["key", "status", "title", "description", "template", "approval_template", "custom_fields"]}),
        ("Work", {"fields": ["priority", "visibility", "assignee", "due_at", "categories", "labels"]}),
        ("Dates and audit", {"classes": ["collapse"], "fields": ["resolved_at", "closed_at", *AUDIT_FIELDS]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Restricted tickets the admin user may not see do not exist here either (SPEC §7).
        return visible_admin_tickets(request, super().get_queryset(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fixed = ["key", "status", "resolved_at", "closed_at"]
        if obj is not None:
            fixed += ["template", "access", "timeline"]  # custom fields were validated against the template
        return (*fixed, *super().get_readonly_fields(request, obj))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [*fieldsets, ("Access", {"fields": ["access"]}), ("Timeline", {"fields": ["timeline"]})]

    @admin.display(description="view grants")
    def access(self, ticket: Ticket) -> str:
        """Who was granted the ticket, and the grant form with its key filled in (grants are written there, through
        permissions.services; the URL is named, as the permissions app is above this one)."""
        grants = ticket.view_permissions.select_related("user", "role").order_by("created_at", "id")
        granted = ", ".join(user_or_role_name(grant) for grant in grants) or "Nobody was granted this ticket."
        add = reverse("admin:permissions_ticketviewpermission_add")
        return format_html('{} <a href="{}?{}">Grant access</a>', granted, add, urlencode({"ticket": ticket.pk}))

    @admin.display(description="timeline")
    def timeline(self, ticket: Ticket) -> str:
        """Written by the services' signal receivers only, so read-only; deleted comments read "comment deleted"."""
        notes = list(TicketNote.all_objects.filter(ticket=ticket).order_by("created_at", "id"))
        return timeline_in_words(notes) if notes else "Nothing yet."

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nobody edits a final ticket: the change form becomes read-only.
        if obj is not None and statemachine.is_final(obj.status):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        actor: Any = request.user
        if not change:
            created = ticket_services.ticket_create(
                actor=actor,
                title=data["title"],
                description=data.get("description") or None,
                priority=data.get("priority"),
                visibility=data.get("visibility"),
                template=data.get("template"),
                approval_template=data.get("approval_template"),
                custom_fields=data.get("custom_fields") or {},
                assignee=data.get("assignee"),
                due_at=data.get("due_at"),
                # Left empty: the template's defaults apply.
                categories=list(data.get("categories") or []) or None,
                labels=list(data.get("labels") or []) or None,
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            obj._state.adding = False
            return
        changes = {field: data[field] for field in form.changed_data if field in ticket_services.EDITABLE_FIELDS}
        ticket = Ticket.objects.get(pk=obj.pk)  # the form's instance already holds the new values
        ticket_services.ticket_update(ticket=ticket, actor=actor, data=changes)
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Categories and labels were saved by the service (form.save_m2m would bypass the timeline).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        ticket_services.ticket_delete(ticket=obj, actor=request.user)  # type: ignore[arg-type]

    def restore_object(self, request: HttpRequest, obj: Any) -> None:
        ticket_services.ticket_restore(ticket=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for ticket in queryset.filter(is_deleted=False):
            try:
                self.delete_model(request, ticket)
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{ticket.key}: {error_text(exc)}", messages.ERROR)

    def run_transition(self, request: HttpRequest, queryset: QuerySet, to_status: str | None) -> None:
        done = []
        for ticket in queryset.order_by("pk"):
            target = to_status or statemachine.submit_status(ticket)
            try:
                ticket_services.ticket_transition(ticket=ticket, actor=request.user, to_status=target)  # type: ignore[arg-type]
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{ticket.key}: {error_text(exc)}", messages.ERROR)
            else:
                done.append(f"{ticket.key} → {ticket.status}")
        if done:
            self.message_user(request, f"Moved {len(done)} ticket(s): {', '.join(done)}.", messages.SUCCESS)


@admin.action(description="Redact selected comments (their text and edit history are removed for good)", permissions=["redact"])
def redact_comments(modeladmin: TicketNoteAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    modeladmin.redact(request, queryset)


# Where TicketNoteAdmin keeps an entry's sentence on the rows of a list page.
_WORDS = "sentence_on_page"


@admin.register(TicketNote)
class TicketNoteAdmin(ReadOnlyRowsAdmin, TicketRowsAdmin):
    """All timeline entries, read-only: comments are changed by their authors, events by nobody. Ticket admins redact
    comments (a secret pasted by mistake) through comment_redact."""

    list_display = ["__str__", "in_words", "created_at", "is_deleted"]
    list_filter = ["system", "event_type"]
    list_select_related = ["ticket", "created_by"]
    search_fields = ["note", "ticket__key", "ticket__title"]
    raw_id_fields = ["ticket"]
    actions: list[Any] = [redact_comments]

    def has_redact_permission(self, request: HttpRequest) -> bool:
        return ticket_services.is_ticket_admin(request.user)  # type: ignore[arg-type]

    def redact(self, request: HttpRequest, queryset: QuerySet) -> None:
        events = queryset.filter(system=True).count()
        if events:
            self.message_user(request, f"Skipped {events} system event(s): only comments are redacted.", messages.WARNING)
        redacted = 0
        for comment in queryset.filter(system=False).order_by("pk"):
            try:
                ticket_services.comment_redact(comment=comment, actor=request.user)  # type: ignore[arg-type]
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{comment}: {error_text(exc)}", messages.ERROR)
            else:
                redacted += 1
        if redacted:
            self.message_user(request, f"Redacted {redacted} comment(s).", messages.SUCCESS)

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        # The page's entries in words, their names fetched once for the page (not once per row); the rows rendered
        # next are these same objects (the evaluated result list).
        rows = list(changelist.result_list)
        for note, sentence in zip(rows, describe_all(rows), strict=True):
            setattr(note, _WORDS, sentence)
        return changelist

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["in_words", *(field for field in super().get_fields(request, obj) if field != "in_words")]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("in_words", *super().get_readonly_fields(request, obj))

    @admin.display(description="in words")
    def in_words(self, note: TicketNote) -> SafeString:
        sentence = getattr(note, _WORDS, None) or describe_all([note])[0]  # a change page: one entry
        return sentence.html
