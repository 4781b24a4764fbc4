"""Back office for grants and access requests. A client of permissions.services like the API: same rules, same events.

Rows are limited to tickets the admin user can see (tickets.admin.visibility), and listed by ticket key only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework.exceptions import APIException

from permissions import services
from permissions.models import AccessRequest, TicketViewPermission
from tickets.admin.visibility import TicketRowsAdmin, visible_admin_tickets
from tickets.models import Ticket
from ticketsite.admin import AUDIT_FIELDS, AuditedAdmin, AuditedModelForm, refusal_errors

ADMIN_DENY_COMMENT = "Denied in the back office."


def _error_text(exc: APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        return " ".join(str(message) for messages_ in detail.values() for message in messages_)
    if isinstance(detail, list):
        return " ".join(str(message) for message in detail)
    return str(detail)


def _one(queryset: QuerySet[Any], field: str, value: str) -> Any:
    """The row whose `field` is `value`, exactly; else the only one equal ignoring case ("tck-15", "Erin"); else None."""
    exact = queryset.filter(**{field: value}).first()
    if exact is not None:
        return exact
    matches = list(queryset.filter(**{f"{field}__iexact": value})[:2])
    return matches[0] if len(matches) == 1 else None


class GrantByNameForm(AuditedModelForm):
    """A grant as people name it: a ticket key and a username or a role name. The names are resolved here (a ticket
    only among those the admin user may see, so a hidden key reads as a missing one), the rules are the service's."""

    # The service names the model's fields; the form names them as typed.
    FIELD_OF = {"ticket": "ticket_key", "user": "username", "role": "role_name"}

    ticket_key = forms.CharField(label="Ticket key", max_length=32, help_text="For example TCK-15.")
    username = forms.CharField(label="User", max_length=150, required=False, help_text="A username, or leave empty.")
    role_name = forms.CharField(label="Role", max_length=150, required=False, help_text="A role's name, or leave empty.")
    request: HttpRequest  # set by the admin's get_form

    class Meta:
        model = TicketViewPermission
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        key, username, role_name = (cleaned.get(name, "").strip() for name in ("ticket_key", "username", "role_name"))
        if key:
            cleaned["ticket"] = _one(visible_admin_tickets(self.request, Ticket.objects.all()), "key", key)
            if cleaned["ticket"] is None:
                self.add_error("ticket_key", f"No ticket you can see has the key {key}.")
        cleaned["user"] = _one(User.objects.all(), "username", username) if username else None
        if username and cleaned["user"] is None:
            self.add_error("username", f"No user is named {username}.")
        cleaned["role"] = _one(Group.objects.all(), "name", role_name) if role_name else None
        if role_name and cleaned["role"] is None:
            self.add_error("role_name", f"No role is named {role_name}.")
        if not self.errors:
            try:
                services.grant_check(
                    ticket=cleaned["ticket"], actor=self.request.user, user=cleaned["user"], role=cleaned["role"]
                )
            except APIException as exc:
                for field, message in refusal_errors(exc):
                    self.add_error(self.FIELD_OF.get(field or ""), message)
        return cleaned


@admin.register(TicketViewPermission)
class TicketViewPermissionAdmin(TicketRowsAdmin):
    """Grants are added by ticket key and username or role name (GrantByNameForm) through grant_create, revoked by
    deleting (grant_revoke) and restored by the "restore" action (grant_restore); never edited."""

    form = GrantByNameForm
    list_display = ["__str__", "created_by", "created_at", "is_deleted"]
    list_select_related = ["ticket", "user", "role", "created_by"]
    search_fields = ["ticket__key", "user__username", "role__name"]

    @admin.display(description="ticket", ordering="ticket__key")
    def ticket_key(self, obj: TicketViewPermission) -> str:
        return obj.ticket.key or f"#{obj.ticket_id}"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["ticket_key", "username", "role_name"]
        return ["ticket_key", "user", "role", *AUDIT_FIELDS]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else ["ticket_key", "user", "role", *AUDIT_FIELDS]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """`?ticket=<id>` (the ticket page's "Grant access" link) fills in that ticket's key, if the admin user sees it;
        `?ticket_key=`, `?username=` and `?role_name=` fill in themselves."""
        initial = super().get_changeform_initial_data(request)
        ticket_id = request.GET.get("ticket", "")
        if ticket_id.isdigit():
            seen = visible_admin_tickets(request, Ticket.objects.filter(pk=int(ticket_id)))
            initial["ticket_key"] = seen.values_list("key", flat=True).first() or ""
        return initial

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A grant is never edited: revoke it and grant again (both on the timeline).
        return False

    def save_model(self, request: HttpRequest, obj: TicketViewPermission, form: Any, change: bool) -> None:
        data = form.cleaned_data
        grant = services.grant_create(ticket=data["ticket"], actor=request.user, user=data["user"], role=data["role"])
        # The admin names the saved row in its message and history: the form's instance becomes the grant.
        obj.pk, obj.ticket, obj.user, obj.role = grant.pk, grant.ticket, grant.user, grant.role
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: TicketViewPermission) -> None:
        try:
            services.grant_revoke(grant=obj, actor=request.user)
        except APIException as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)

    def restore_object(self, request: HttpRequest, obj: TicketViewPermission) -> None:
        try:
            services.grant_restore(grant=obj, actor=request.user)
        except APIException as exc:
            self.message_user(request, f"{obj}: {_error_text(exc)}", messages.ERROR)


@admin.action(description="Approve selected pending requests (grants access)")
def approve_selected(modeladmin: AuditedAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _decide_selected(modeladmin, request, queryset, approve=True)


@admin.action(description="Deny selected pending requests")
def deny_selected(modeladmin: AuditedAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _decide_selected(modeladmin, request, queryset, approve=False)


def _decide_selected(modeladmin: AuditedAdmin, request: HttpRequest, queryset: QuerySet, *, approve: bool) -> None:
    done = 0
    for access_request in queryset.select_related("ticket", "requester"):
        try:
            if approve:
                services.access_request_approve(access_request=access_request, actor=request.user)
            else:
                services.access_request_deny(access_request=access_request, actor=request.user, comment=ADMIN_DENY_COMMENT)
        except APIException as exc:
            modeladmin.message_user(request, f"{access_request}: {_error_text(exc)}", messages.ERROR)
        else:
            done += 1
    verb = "Approved" if approve else "Denied"
    modeladmin.message_user(request, f"{verb} {done} request(s).", messages.SUCCESS if done else messages.WARNING)


@admin.register(AccessRequest)
class AccessRequestAdmin(TicketRowsAdmin):
    list_display = ["__str__", "status", "decided_by", "decided_at", "created_at"]
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
