"""Admin base for audited models: fills audit fields from request.user, lists deleted rows on demand, shows them
read-only, restores them; shows a service's refusal as errors of the form it came from. Also the admin of users and of
roles (Django's groups, under the domain's name)."""

from collections import Counter
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import NestedObjects, unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import router
from django.db.models import Count, Field, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework.exceptions import APIException

from ticketsite.limits import TEXT_FIELD_MAX_LENGTH

AUDIT_FIELDS = ("created_by", "created_at", "updated_by", "updated_at", "deleted_by", "deleted_at", "is_deleted")

SERVICE_ERRORS = (APIException, DjangoValidationError)
# Where AuditedAdmin.changeform_view keeps a service's refusal for the second, error-showing pass over the form.
_REFUSAL = "admin_service_refusal"


def _lines(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        return [line for key, item in value.items() for line in _lines(item, f"{key}: ")]
    if isinstance(value, list):
        return [line for item in value for line in _lines(item, prefix)]
    return [f"{prefix}{value}"]


def error_text(exc: Exception) -> str:
    """A service error as one readable line for an admin message or form error."""
    detail: Any = getattr(exc, "detail", None) or getattr(exc, "messages", None) or str(exc)
    return "; ".join(_lines(detail))


def refusal_errors(exc: Exception) -> list[tuple[str | None, str]]:
    """A service error as (field or None, message) pairs: a DRF detail keyed by field names its fields."""
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        return [(str(field), line) for field, value in detail.items() for line in _lines(value)]
    return [(None, error_text(exc))]


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Not deleted"), ("yes", "Deleted"), ("all", "All")]

    def choices(self, changelist: Any) -> Any:
        # "Not deleted" is the default: the "All" link of Django means our "no".
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "no") == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value() or "no"
        if value == "no":
            return queryset.filter(is_deleted=False)
        if value == "yes":
            return queryset.filter(is_deleted=True)
        return queryset


@admin.action(description="Restore selected deleted rows")
def restore_selected(modeladmin: "AuditedAdmin", request: HttpRequest, queryset: QuerySet) -> None:
    restored = 0
    for obj in queryset.filter(is_deleted=True):
        modeladmin.restore_object(request, obj)
        restored += 1
    modeladmin.message_user(request, f"Restored {restored} row(s).", messages.SUCCESS)


class AuditedModelForm(forms.ModelForm):
    service_refusal: Exception | None = None  # set by AuditedAdmin.get_form for the second pass

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.service_refusal is not None:
            for field, message in refusal_errors(self.service_refusal):
                self.add_error(field if field in self.fields else None, message)
        return cleaned

    def _get_validation_exclusions(self) -> set[str]:
        # Partial unique constraints ("unique among non-deleted rows") reference is_deleted, which the form does
        # not edit; Django would skip them and the database would answer with an IntegrityError instead.
        return super()._get_validation_exclusions() - set(AUDIT_FIELDS)  # type: ignore[misc]


class ReadOnlyRowsAdmin(admin.ModelAdmin):
    """Rows only the domain writes (a record, a log, a snapshot): the admin shows them and changes nothing."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Every change from the admin names its actor; delete is soft; deleted rows can be listed, are read-only, and can
    be restored. Admins calling services get their refusals shown in the form (changeform_view)."""

    form = AuditedModelForm
    audit_readonly_fields = AUDIT_FIELDS
    actions = [restore_selected]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The "deleted" list filter decides what is shown; the change form must reach deleted rows too.
        return self.model.all_objects.get_queryset()  # type: ignore[attr-defined]

    def get_list_filter(self, request: HttpRequest) -> Any:
        return (DeletedFilter, *super().get_list_filter(request))

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        return shown if "is_deleted" in shown else (*shown, "is_deleted")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A deleted row is read-only until restored: services refuse to change what they cannot see.
        if obj is not None and obj.is_deleted:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_deleted:
            return False
        return super().has_delete_permission(request, obj)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id)) if request.method == "GET" else None
        if obj is not None and obj.is_deleted:
            when = timezone.localtime(obj.deleted_at).strftime("%Y-%m-%d %H:%M %Z")
            self.message_user(
                request,
                f"Deleted by {obj.deleted_by or 'the system'} at {when}: read-only until restored (list filter "
                '"deleted", action "Restore selected deleted rows").',
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, _REFUSAL, None)
        return type(form.__name__, (form,), {"service_refusal": refusal}) if refusal is not None else form

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SERVICE_ERRORS as exc:
            if request.method != "POST":
                raise
            # The service refused inside the admin's transaction, which rolled back. The form is shown again, bound to
            # what was posted, with the refusal as its errors: that second pass is invalid, so it saves nothing.
            setattr(request, _REFUSAL, exc)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), *self.audit_readonly_fields)

    def formfield_for_dbfield(self, db_field: Field, request: HttpRequest, **kwargs: Any) -> Any:
        # Free-text columns have no width of their own: the API's limits (ticketsite/limits.py) apply here too.
        limit = TEXT_FIELD_MAX_LENGTH.get(f"{db_field.model._meta.label}.{db_field.name}")
        if limit is not None:
            kwargs["max_length"] = limit
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.stamp(request.user, created=not change)
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for instance in instances:
            if hasattr(instance, "stamp"):
                instance.stamp(request.user, created=instance.pk is None)
            instance.save()
        for instance in formset.deleted_objects:
            self._soft_delete(request, instance)
        formset.save_m2m()

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, Any, Any]:
        # Deletion is soft: only the selected rows are marked, nothing cascades, and no related row can "protect" them
        # (Django's collector would list a ticket's approval processes and refuse).
        rows = [str(obj) for obj in objs]
        return rows, {self.model._meta.verbose_name_plural: len(rows)}, set(), []

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._soft_delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset.filter(is_deleted=False):
            self.delete_model(request, obj)

    def _soft_delete(self, request: HttpRequest, obj: Any) -> None:
        if hasattr(obj, "soft_delete"):
            obj.soft_delete(actor=request.user)
        else:
            obj.delete()

    def restore_object(self, request: HttpRequest, obj: Any) -> None:
        obj.restore(actor=request.user)


# Roles are Django's groups under the domain's name ("Roles", not "Groups"). Only the names shown change: no proxy
# model, so the table, the permissions (auth.*_group), the admin URLs (/admin/auth/group/) and the autocomplete of
# every role field stay Django's. The migration autodetector reads Meta.original_attrs, which this leaves alone.
Group._meta.verbose_name = "role"
Group._meta.verbose_name_plural = "roles"


class BlockingRowsCounted(admin.ModelAdmin):
    """Deleting names only the selected rows and counts, per kind, the rows that go with them or forbid the deletion:
    Django names each row, and a grant's or an approval slot's name is its ticket's key, whoever looks."""

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, Any, Any]:
        _, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            collector = NestedObjects(using=router.db_for_write(self.model))
            collector.collect(objs)
            kinds = Counter(str(type(row)._meta.verbose_name_plural) for row in collector.protected)
            protected = [f"{count} {kind}" for kind, count in sorted(kinds.items())]
        return [str(obj) for obj in objs], counts, perms_needed, protected


class RolesFilter(admin.RelatedFieldListFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "roles"


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(BlockingRowsCounted, DjangoUserAdmin):
    """Django's user admin, with roles named as such and deletion pages that name no ticket."""

    list_filter = ("is_staff", "is_superuser", "is_active", ("groups", RolesFilter))

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            kwargs["widget"] = FilteredSelectMultiple("roles", is_stacked=False)
            kwargs["label"] = "Roles"
            kwargs["help_text"] = "The user has every permission of these roles, and acts for them: approver slots, grants."
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Group)
class RoleAdmin(BlockingRowsCounted, DjangoGroupAdmin):
    list_display = ("name", "members")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(member_count=Count("user"))

    @admin.display(description="members", ordering="member_count")
    def members(self, role: Any) -> int:
        return int(role.member_count)
