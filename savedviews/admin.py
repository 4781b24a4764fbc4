"""Back office for saved views: the built-in queues and people's views, changed through the same services as the API
(so the filters, ordering and columns are checked the same way)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from savedviews import services
from savedviews.models import SavedView
from ticketsite.admin import AuditedAdmin, AuditedModelForm


class SavedViewForm(AuditedModelForm):
    class Meta:
        model = SavedView
        fields = ["name", "description", "filters", "ordering", "columns", "visibility", "roles"]
        help_texts = {
            "filters": 'Ticket list parameters, each a list of values: {"status": ["open"], "assignee": ["me"]}.',
            "ordering": 'One to three ticket list ordering terms: ["-priority", "created_at"].',
            "columns": "The list columns besides the key, in order (see docs/views.md).",
        }


@admin.register(SavedView)
class SavedViewAdmin(AuditedAdmin):
    form = SavedViewForm
    list_display = ("name", "slug", "owner", "visibility", "is_builtin")
    list_filter = ("visibility", "is_builtin")
    search_fields = ("name", "slug", "owner__username")
    filter_horizontal = ("roles",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        builtin = ("slug", "visibility", "roles", "is_builtin") if obj is not None and obj.is_builtin else ("owner",)
        return (*super().get_readonly_fields(request, obj), *builtin)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {field: data[field] for field in form.changed_data}
            services.view_update(view=obj, actor=request.user, data=changes)  # type: ignore[arg-type]
        else:
            obj.pk = services.view_create(actor=request.user, **data).pk  # type: ignore[arg-type]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Roles were set by the service."""

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.view_delete(view=obj, actor=request.user)  # type: ignore[arg-type]
