"""Admin base for audited models: fills audit fields from request.user, lists deleted rows on demand, restores them."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Field, QuerySet
from django.http import HttpRequest

from ticketsite.limits import TEXT_FIELD_MAX_LENGTH

AUDIT_FIELDS = ("created_by", "created_at", "updated_by", "updated_at", "deleted_by", "deleted_at", "is_deleted")


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
    def _get_validation_exclusions(self) -> set[str]:
        # Partial unique constraints ("unique among non-deleted rows") reference is_deleted, which the form does
        # not edit; Django would skip them and the database would answer with an IntegrityError instead.
        return super()._get_validation_exclusions() - set(AUDIT_FIELDS)  # type: ignore[misc]


class AuditedAdmin(admin.ModelAdmin):
    """Every change from the admin names its actor; delete is soft; deleted rows can be listed and restored."""

    form = AuditedModelForm
    audit_readonly_fields = AUDIT_FIELDS
    actions = [restore_selected]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The "deleted" list filter decides what is shown; the change form must reach deleted rows too.
        return self.model.all_objects.get_queryset()  # type: ignore[attr-defined]

    def get_list_filter(self, request: HttpRequest) -> Any:
        return (DeletedFilter, *super().get_list_filter(request))

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
        for obj in queryset:
            self.delete_model(request, obj)

    def _soft_delete(self, request: HttpRequest, obj: Any) -> None:
        if hasattr(obj, "soft_delete"):
            obj.soft_delete(actor=request.user)
        else:
            obj.delete()

    def restore_object(self, request: HttpRequest, obj: Any) -> None:
        obj.restore(actor=request.user)
