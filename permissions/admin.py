"""Back office for grants and access requests. A client of permissions.services like the API: same rules, same events.

Rows are limited to tickets the admin user can see (tickets.admin.visibility), and listed by ticket key only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework.exceptions import APIException

from permissions import services
from permissions.models import AccessRequest, TicketViewPermission
from tickets.admin.visibility import TicketRowsAdmin
from ticketsite.admin import AuditedAdmin, AuditedModelForm

ADMIN_DENY_COMMENT = "Denied in the back office."


def _error_text(exc: APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        return " ".join(str(message) for messages_ in detail.values() for message in messages_)
    if isinstance(detail, list):
        return " ".join(str(message) for message in detail)
    return str(detail)


class GrantAdminForm(AuditedModelForm):
    actor: Any = None

    class Meta:
        model = TicketViewPermission
        fields = ["ticket", "user", "role"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ticket = cleaned.get("ticket")
        if ticket is not None and not self.errors:
            try:
                services.grant_check(ticket=ticket, actor=self.actor, user=cleaned.get("user"), role=cleaned.get("role"))
            except APIException as exc:
                raise forms.ValidationError(_error_text(exc)) from None
        return cleaned


@admin.register(TicketViewPermission)
class TicketViewPermissionAdmin(TicketRowsAdmin):
    form = GrantAdminForm
    list_display = ["id", "ticket_key", "user", "role", "created_by", "created_at", "is_deleted"]
    list_select_related = ["ticket", "user", "role", "created_by"]
    raw_id_fields = ["ticket", "user"]
    search_fields = ["ticket__key", "user__username", "role__name"]

    @admin.display(description="ticket", ordering="ticket__key")
    def ticket_key(self, obj: TicketViewPermission) -> str:
        return obj.ticket.key or f"#{obj.ticket_id}"

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A grant is never edited: revoke it and grant again (both on the timeline).
        return False

    def save_model(self, request: HttpRequest, obj: TicketViewPermission, form: Any, change: bool) -> None:
        grant = services.grant_create(ticket=obj.ticket, actor=request.user, user=obj.user, role=obj.role)
        obj.pk = grant.pk

    def delete_model(self, request: HttpRequest, obj: TicketViewPermission) -> None:
        try:
            services.grant_revoke(grant=obj, actor=request.user)
        except APIException as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)

    def restore_object(self, request: HttpRequest, obj: TicketViewPermission) -> None:
        try:
            services.grant_restore(grant=obj, actor=request.user)
        except APIException as exc:
            self.message_user(request, f"Grant {obj.pk}: {_error_text(exc)}", messages.ERROR)


@admin.action(description="Approve selected pending requests (grants access)")
def approve_selected(modeladmin: AuditedAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _decide_selected(modeladmin, request, queryset, approve=True)


@admin.action(description="Deny selected pending requests")
def deny_selected(modeladmin: AuditedAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _decide_selected(modeladmin, request, queryset, approve=False)


def _decide_selected(modeladmin: AuditedAdmin, request: HttpRequest, queryset: QuerySet, *, approve: bool) -> None:
    done = 0
    for access_request in queryset.select_related("ticket"):
        try:
            if approve:
                services.access_request_approve(access_request=access_request, actor=request.user)
            else:
                services.access_request_deny(access_request=access_request, actor=request.user, comment=ADMIN_DENY_COMMENT)
        except APIException as exc:
            modeladmin.message_user(request, f"Request {access_request.pk}: {_error_text(exc)}", messages.ERROR)
        else:
            done += 1
    verb = "Approved" if approve else "Denied"
    modeladmin.message_user(request, f"{verb} {done} request(s).", messages.SUCCESS if done else messages.WARNING)


@admin.register(AccessRequest)
class AccessRequestAdmin(TicketRowsAdmin):
    list_display = ["id", "ticket_key", "requester", "status", "decided_by", "decided_at", "created_at"]
    list_filter = ["status"]
    list_select_related = ["ticket", "requester", "decided_by"]
    search_fields = ["ticket__key", "requester__username"]
    readonly_fields = ["ticket_key", "requester", "reason", "status", "decided_by", "decided_at", "decision_comment"]
    exclude = ["ticket"]
    actions = [*AuditedAdmin.actions, approve_selected, deny_selected]

    @admin.display(description="ticket", ordering="ticket__key")
    def ticket_key(self, obj: AccessRequest) -> str:
        return obj.ticket.key or f"#{obj.ticket_id}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Requests come from the people asking, through the API.
        return False
