"""Back office for notification rules (managed by admins, through the same services as the API) and a read-only view of
notifications and their delivery."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from notifications import services
from notifications.models import Notification, NotificationRule
from notifications.validators import clean_channels, clean_conditions
from tickets.admin.visibility import TicketRowsAdmin
from ticketsite.admin import AuditedAdmin, AuditedModelForm


class NotificationRuleForm(AuditedModelForm):
    class Meta:
        model = NotificationRule
        fields = list(services.RULE_FIELDS)
        help_texts = {
            "conditions": 'Optional: {"categories": [ids], "priorities": ["high", ...], "templates": [ids]}.',
            "channels": 'A list of "in_app" and/or "email".',
        }

    def clean_conditions(self) -> Any:
        return clean_conditions(self.cleaned_data.get("conditions"))

    def clean_channels(self) -> Any:
        return clean_channels(self.cleaned_data.get("channels"))


@admin.register(NotificationRule)
class NotificationRuleAdmin(AuditedAdmin):
    form = NotificationRuleForm
    list_display = ("name", "event_type", "is_active", "notify_creator", "notify_assignee", "notify_approvers", "channels")
    list_filter = ("event_type", "is_active")
    search_fields = ("name",)
    filter_horizontal = ("users", "roles")
    fieldsets = (
        (None, {"fields": ("name", "event_type", "is_active", "channels")}),
        ("Conditions", {"fields": ("conditions",)}),
        (
            "Recipients",
            {"fields": ("users", "roles", "notify_creator", "notify_assignee", "notify_approvers", "notify_requester")},
        ),
    )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {field: data[field] for field in form.changed_data}
            services.rule_update(rule=obj, actor=request.user, data=changes)  # type: ignore[arg-type]
        else:
            obj.pk = services.rule_create(actor=request.user, data=data).pk  # type: ignore[arg-type]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Users and roles were set by the service."""

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.rule_delete(rule=obj, actor=request.user)  # type: ignore[arg-type]


@admin.register(Notification)
class NotificationAdmin(TicketRowsAdmin):
    """Read-only: notifications are written by the fan-out only."""

    rows_without_ticket = True
    list_display = ("__str__", "actor", "in_app", "is_read", "email_status", "created_at")
    list_filter = ("event_type", "is_read", "in_app", "email_status")
    search_fields = ("recipient__username", "ticket__key", "message")
    list_select_related = ("recipient", "ticket", "actor")
    raw_id_fields = ("recipient", "ticket", "actor")
    exclude = ("note",)  # what the e-mail told; the timeline shows it on the ticket

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
