"""Back office for approvals: templates with inline steps (and approvers on the step page), read-only processes,
delegations. Processes change only through the services (submit, decide, withdraw), never here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from approvals import services
from approvals.models import (
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    ApprovalTemplate,
    ApprovalTemplateStep,
    ApprovalTemplateStepApprover,
    Delegation,
)
from tickets.models import Ticket
from ticketsite.admin import AuditedAdmin


class TemplateStepInline(admin.TabularInline):
    model = ApprovalTemplateStep
    fields = ["order", "name", "approval_type"]
    ordering = ["order"]
    extra = 1
    show_change_link = True  # approvers are edited on the step's own page


class TemplateStepApproverInline(admin.TabularInline):
    model = ApprovalTemplateStepApprover
    fields = ["user", "role"]
    autocomplete_fields = ["user", "role"]
    extra = 1


@admin.register(ApprovalTemplate)
class ApprovalTemplateAdmin(AuditedAdmin):
    list_display = ["name", "description", "updated_at", "is_deleted"]
    search_fields = ["name", "description"]
    inlines = [TemplateStepInline]

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, Any, Any]:
        # The admin's own "protected objects" page lists what still uses a template, and deletes nothing.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for template in objs:
            # Tickets by key only: not every staff user may see every ticket's title.
            protected.extend(
                f"ticket {use.key}" if isinstance(use, Ticket) else f"ticket template {use}"
                for use in services.approval_template_uses(template)
            )
        return deleted, counts, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.approval_template_delete(template=obj, actor=request.user)


@admin.register(ApprovalTemplateStep)
class ApprovalTemplateStepAdmin(AuditedAdmin):
    list_display = ["template", "order", "name", "approval_type", "is_deleted"]
    list_select_related = ["template"]
    list_filter = ["approval_type", "template"]
    search_fields = ["name", "template__name"]
    inlines = [TemplateStepApproverInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProcessStepInline(ReadOnlyInline):
    model = ApprovalProcessStep
    fields = readonly_fields = ("order", "name", "approval_type", "status", "started_at", "finished_at")
    ordering = ["order"]


class ProcessSlotInline(ReadOnlyInline):
    model = ApprovalProcessStepApprover
    fk_name = "process"
    fields = readonly_fields = ("step", "user", "role", "status", "acted_by", "on_behalf_of", "comment", "acted_at")
    ordering = ["step__order", "id"]


@admin.register(ApprovalProcess)
class ApprovalProcessAdmin(AuditedAdmin):
    list_display = ["id", "ticket", "name", "status", "created_at", "finished_at"]
    list_select_related = ["ticket"]
    list_filter = ["status"]
    search_fields = ["ticket__key", "ticket__title", "name"]
    readonly_fields = ["ticket", "template", "name", "status", "finished_at"]
    inlines = [ProcessStepInline, ProcessSlotInline]
    actions: list = []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delegation)
class DelegationAdmin(AuditedAdmin):
    list_display = ["delegator", "delegate", "starts_at", "ends_at", "reason", "is_deleted"]
    list_select_related = ["delegator", "delegate"]
    search_fields = ["delegator__username", "delegate__username", "reason"]
    autocomplete_fields = ["delegator", "delegate"]
    date_hierarchy = "starts_at"
