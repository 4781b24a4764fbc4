"""Output serializers of the tickets API, and the error bodies its views document beyond drf-standardized-errors'."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.relations import PKOnlyObject

from tickets import search, statemachine
from tickets.models import Attachment, Category, Label, Ticket, TicketNote, TicketStatus, TicketTemplate
from ticketsite.api.errors import client_error_response

# --- tickets -------------------------------------------------------------------------------------------------------


class HighlightPartSerializer(serializers.Serializer):
    text = serializers.CharField()
    match = serializers.BooleanField(help_text="This piece is a word of the search.")


class HighlightSerializer(serializers.Serializer):
    """Where a search matched a ticket: a snippet of that text, the matched words marked in `parts`."""

    where = serializers.CharField(help_text='"in the title", "in the description", "in a comment by carol", "in field x"')
    source = serializers.ChoiceField(choices=["title", "description", "comment", "field"])  # type: ignore[assignment]
    name = serializers.CharField(allow_null=True, help_text="The comment's author or the field's name.")
    snippet = serializers.CharField()
    parts = serializers.SerializerMethodField()

    @extend_schema_field(HighlightPartSerializer(many=True))
    def get_parts(self, highlight: search.Highlight) -> list[dict[str, object]]:
        return [{"text": text, "match": match} for text, match in highlight.parts]


class RelationIdsField(serializers.ManyRelatedField):
    """A relation's ids, as PrimaryKeyRelatedField(many=True, read_only=True) gives them, read from the row's `ids`
    attribute (a list of ints the selector annotated: tickets.selectors.RELATION_IDS) when the query made one, else
    from the relation."""

    def __init__(self, *, ids: str, **kwargs: Any) -> None:
        self.ids = ids
        super().__init__(child_relation=serializers.PrimaryKeyRelatedField(read_only=True), read_only=True, **kwargs)

    def get_attribute(self, instance: Any) -> Any:
        if not hasattr(instance, self.ids):
            return super().get_attribute(instance)
        return [PKOnlyObject(pk) for pk in getattr(instance, self.ids)]


class TicketSerializer(serializers.ModelSerializer):
    categories = RelationIdsField(ids="category_ids")
    labels = RelationIdsField(ids="label_ids")
    allowed_transitions = serializers.SerializerMethodField()
    highlights = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "key",
            "title",
            "description",
            "status",
            "priority",
            "visibility",
            "template",
            "approval_template",
            "custom_fields",
            "assignee",
            "due_at",
            "categories",
            "labels",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
            "resolved_at",
            "closed_at",
            "allowed_transitions",
            # Service level (SPEC §15), stored by the sla app's clock.
            "sla_policy",
            "sla_status",
            "first_response_due_at",
            "first_responded_at",
            "resolution_due_at",
            "sla_remaining_minutes",
            # Full-text search (docs/search.md): where `?search=` matched; empty otherwise.
            "highlights",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=TicketStatus.choices)))
    def get_allowed_transitions(self, ticket: Ticket) -> list[str]:
        # Reads the caller's cached permissions and the ticket row only: no query per ticket.
        request = self.context.get("request")
        return statemachine.allowed_transitions(ticket, request.user if request is not None else None)

    @extend_schema_field(HighlightSerializer(many=True))
    def get_highlights(self, ticket: Ticket) -> list[dict[str, object]]:
        # Fetched with the page's rows by the search, in one query (tickets.search): nothing to read here.
        return list(HighlightSerializer(search.highlights_of(ticket), many=True).data)


class TimelineEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketNote
        fields = [
            "id",
            "system",
            "event_type",
            "event_details",
            "note",
            "created_by",
            "created_at",
            "updated_at",
            "redacted_by",
            "redacted_at",
        ]
        read_only_fields = fields


TicketConflictResponseSerializer = client_error_response(
    "TicketConflict",
    doc="409: the ticket's state does not allow the change.",
    code=serializers.CharField(help_text="invalid_transition, ticket_final, invalid_state or comment_redacted"),
    detail=serializers.CharField(help_text="Names the current status and the transitions the caller may make."),
)


# --- ticket templates ----------------------------------------------------------------------------------------------


class TicketTemplateSerializer(serializers.ModelSerializer):
    categories: serializers.PrimaryKeyRelatedField[Category] = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    labels: serializers.PrimaryKeyRelatedField[Label] = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = TicketTemplate
        fields = [
            "id",
            "name",
            "description",
            "default_title",
            "default_description",
            "default_priority",
            "default_visibility",
            "categories",
            "labels",
            "approval_template",
            "custom_fields_schema",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = fields


# --- attachments ---------------------------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.HyperlinkedIdentityField(
        view_name="attachment-download", help_text="Permission-checked download."
    )

    class Meta:
        model = Attachment
        fields = [
            "id",
            "ticket",
            "note",
            "template",
            "file_name",
            "size",
            "content_type",
            "sha256",
            "created_by",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields


# The one error shape (SPEC §12), for the statuses drf-standardized-errors does not describe by itself.
AttachmentErrorResponseSerializer = inline_serializer(
    name="AttachmentErrorResponse",
    fields={
        "type": serializers.ChoiceField(choices=["client_error"]),
        "errors": inline_serializer(
            name="AttachmentErrorItem",
            fields={
                "code": serializers.CharField(),
                "detail": serializers.CharField(),
                "attr": serializers.CharField(allow_null=True),
            },
            many=True,
        ),
    },
)
