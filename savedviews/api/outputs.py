"""Output serializers of the saved views API, reading only what savedviews.selectors.view_list prefetches."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from savedviews.models import SavedView
from savedviews.selectors import can_change_view, tickets_query
from ticketsite.api.errors import client_error_response


class SavedViewSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    tickets_query = serializers.SerializerMethodField(
        help_text='The view\'s filters and sort as the query string of GET /api/v1/tickets/ for you ("me" filled in).'
    )
    can_change = serializers.SerializerMethodField(help_text="Whether you may change and delete this view.")

    # A built-in view's address in the workspace (/queues/<slug>/); empty for a person's view, so no slug pattern.
    slug = serializers.CharField(read_only=True)

    class Meta:
        model = SavedView
        fields = [
            "id",
            "name",
            "description",
            "slug",
            "owner",
            "filters",
            "ordering",
            "columns",
            "visibility",
            "roles",
            "is_builtin",
            "tickets_query",
            "can_change",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "array", "items": {"type": "integer"}})
    def get_roles(self, view: SavedView) -> list[int]:
        return sorted(role.pk for role in view.roles.all())  # prefetched

    def get_tickets_query(self, view: SavedView) -> str:
        return tickets_query(view, self.context["request"].user)

    def get_can_change(self, view: SavedView) -> bool:
        return can_change_view(self.context["request"].user, view)  # has_perm reads the permissions once per request


BuiltinViewResponseSerializer = client_error_response(
    "BuiltinView", doc="409: a built-in view is changed, never deleted.", code=serializers.CharField(help_text="builtin_view")
)
