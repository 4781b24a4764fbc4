"""Back office for approvals: templates with their steps and approvers on one page, read-only processes, delegations.
Templates and delegations are saved through the same services as the API (same rules; a refusal is shown in the form);
processes change only through the services (submit, decide, withdraw), never here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.contrib.auth.models import Group, User
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

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
from tickets.admin.visibility import TicketRowsAdmin, visible_admin_tickets
from tickets.models import Ticket
from ticketsite.admin import AuditedAdmin, ReadOnlyRowsAdmin
from ticketsite.models import user_or_role_name


class ApproverPicker(AutocompleteSelectMultiple):
    """A search-as-you-type picker over the user or role admin (a select of every user would not do). It asks the
    autocomplete view about the approver model's own `user` / `role` field, so the view's permission checks apply.

    It names the approvers a step already has from `chosen` (fetched with the steps) instead of one query per step and
    picker; values it was not given (a form shown again with what was posted) are looked up as Django does."""

    chosen: dict[str, str] = {}

    def __init__(self, field: str) -> None:
        super().__init__(ApprovalTemplateStepApprover._meta.get_field(field), admin.site)

    def optgroups(self, name: str, value: Sequence[str], attrs: Any = None) -> Any:
        if not set(value) <= self.chosen.keys():
            return super().optgroups(name, value, attrs)
        return [(None, [self.create_option(name, pk, self.chosen[pk], True, index) for index, pk in enumerate(value)], 0)]


class TemplateStepForm(forms.ModelForm):
    """A step with its approvers: active users and roles, as the API takes them. Each chosen user or role becomes one
    approver naming exactly that one (the service checks it again with require_user_xor_role)."""

    approver_users = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True), required=False, label="Approvers (users)", widget=ApproverPicker("user")
    )
    approver_roles = forms.ModelMultipleChoiceField(
        queryset=Group.objects.all(), required=False, label="Approvers (roles)", widget=ApproverPicker("role")
    )

    class Meta:
        model = ApprovalTemplateStep
        fields = ["order", "name", "approval_type"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            approvers = list(self.instance.approvers.all())  # prefetched with their users and roles (the inline)
            for field, attribute in (("approver_users", "user"), ("approver_roles", "role")):
                chosen = [getattr(approver, attribute) for approver in approvers if getattr(approver, f"{attribute}_id")]
                self.fields[field].initial = [person.pk for person in chosen]
                self.fields[field].widget.chosen = {str(person.pk): str(person) for person in chosen}

    def step_data(self) -> services.StepData:
        data = self.cleaned_data
        approvers: list[services.ApproverData] = [{"user": user} for user in data["approver_users"]]
        approvers += [{"role": role} for role in data["approver_roles"]]
        step: services.StepData = {"name": data["name"], "order": data["order"], "approval_type": data["approval_type"]}
        if self.instance.pk is not None:
            step["id"] = self.instance.pk
        return {**step, "approvers": approvers}


class TemplateStepInline(admin.TabularInline):
    """The template's steps, each with its approvers: one form, saved as a whole by the template admin's save_related
    through the service (Django has no nested inlines; the approvers are two fields of their step's row instead)."""

    model = ApprovalTemplateStep
    form = TemplateStepForm
    fields = ["order", "name", "approval_type", "approver_users", "approver_roles"]
    ordering = ["order"]
    extra = 1

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Each row is titled by its step (template name) and shows its approvers: fetched once for all rows.
        approvers = ApprovalTemplateStepApprover.objects.select_related("user", "role")
        return super().get_queryset(request).select_related("template").prefetch_related(Prefetch("approvers", approvers))


@admin.register(ApprovalTemplate)
class ApprovalTemplateAdmin(AuditedAdmin):
    list_display = ["name", "steps_and_approvers", "updated_at", "is_deleted"]
    search_fields = ["name", "description"]
    inlines = [TemplateStepInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        approvers = ApprovalTemplateStepApprover.objects.select_related("user", "role")
        steps = ApprovalTemplateStep.objects.prefetch_related(Prefetch("approvers", queryset=approvers))
        return super().get_queryset(request).prefetch_related(Prefetch("steps", queryset=steps))

    @admin.display(description="steps and approvers")
    def steps_and_approvers(self, template: ApprovalTemplate) -> str:
        return format_html_join(
            mark_safe("<br>"),
            "{}. {}: {}",
            (
                (step.order, step.name, ", ".join(user_or_role_name(approver) for approver in step.approvers.all()))
                for step in template.steps.all()
            ),
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing yet: the services take a template together with its steps (save_related)."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        [steps] = formsets
        data = {
            "name": form.cleaned_data["name"],
            "description": form.cleaned_data["description"],
            "steps": [
                step.step_data()
                for step in steps.forms
                if (step.instance.pk is not None or step.has_changed()) and not step.cleaned_data.get("DELETE")
            ],
        }
        if change:
            services.approval_template_update(template=form.instance, actor=request.user, data=data)
        else:
            form.instance.pk = services.approval_template_create(actor=request.user, **data).pk

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        # The steps were saved by the service, not by the formset: the history records the template's own fields.
        return super().construct_change_message(request, form, [], add)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, Any, Any]:
        # The admin's own "protected objects" page lists what still uses a template, and deletes nothing.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for template in objs:
            uses = services.approval_template_uses(template)
            tickets = [use.pk for use in uses if isinstance(use, Ticket)]
            seen = visible_admin_tickets(request, Ticket.objects.filter(pk__in=tickets)).order_by("pk")
            keys = list(seen.values_list("key", flat=True))
            # Tickets by key only, and only those the admin user may see; the others are counted.
            protected.extend(f"ticket template {use}" for use in uses if not isinstance(use, Ticket))
            protected.extend(f"ticket {key}" for key in keys)
            if len(tickets) > len(keys):
                protected.append(f"{len(tickets) - len(keys)} ticket(s) you cannot see")
        return deleted, counts, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.approval_template_delete(template=obj, actor=request.user)


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

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("process__ticket")  # each row is titled by its step


class ProcessSlotInline(ReadOnlyInline):
    model = ApprovalProcessStepApprover
    fk_name = "process"
    fields = readonly_fields = ("step", "user", "role", "status", "acted_by", "on_behalf_of", "comment", "acted_at")
    ordering = ["step__order", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        people = ("user", "role", "acted_by", "on_behalf_of")
        return super().get_queryset(request).select_related("ticket", "step__process__ticket", *people)


@admin.register(ApprovalProcess)
class ApprovalProcessAdmin(ReadOnlyRowsAdmin, TicketRowsAdmin):
    list_display = ["__str__", "status", "created_at", "finished_at"]
    list_select_related = ["ticket"]
    list_filter = ["status"]
    search_fields = ["ticket__key", "ticket__title", "name"]
    readonly_fields = ["ticket", "template", "name", "status", "finished_at"]
    inlines = [ProcessStepInline, ProcessSlotInline]
    actions: list = []


@admin.register(Delegation)
class DelegationAdmin(AuditedAdmin):
    list_display = ["delegator", "delegate", "starts_at", "ends_at", "reason", "is_deleted"]
    list_select_related = ["delegator", "delegate"]
    search_fields = ["delegator__username", "delegate__username", "reason"]
    autocomplete_fields = ["delegator", "delegate"]
    date_hierarchy = "starts_at"
    fields = ["delegator", "delegate", "starts_at", "ends_at", "reason"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Who lends to whom is fixed once saved; delegation_update changes the window and the reason.
        fixed = ("delegator", "delegate") if obj is not None else ()
        return (*fixed, *super().get_readonly_fields(request, obj))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {field: data[field] for field in form.changed_data if field in ("starts_at", "ends_at", "reason")}
            services.delegation_update(delegation=obj, actor=request.user, data=changes)  # type: ignore[arg-type]
            return
        delegation = services.delegation_create(
            actor=request.user,  # type: ignore[arg-type]
            delegator=data["delegator"],
            delegate=data["delegate"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data.get("reason") or "",
        )
        obj.pk = delegation.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.delegation_delete(delegation=obj, actor=request.user)  # type: ignore[arg-type]
