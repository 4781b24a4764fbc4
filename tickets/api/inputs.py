"""Input serializers of the tickets API: tickets, comments, templates, categories, labels and uploads. Categories and
labels are read back through the serializer that wrote them (one `Category` and one `Label` component in the schema,
as the contract names them)."""

from __future__ import annotations

from django.contrib.auth.models import User
from rest_framework import serializers

from approvals.models import ApprovalTemplate
from tickets.models import Category, Label, TicketNote, TicketPriority, TicketStatus, TicketTemplate, TicketVisibility
from ticketsite.api.fields import StrictCharField, StrictIntegerField, StrictPrimaryKeyRelatedField, StrictRegexField
from ticketsite.api.serializers import StrictInputModelSerializer, StrictInputSerializer
from ticketsite.limits import (
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    REMARK_MAX_LENGTH,
    TICKET_DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)

MAX_PK = 2**63 - 1

# --- tickets -------------------------------------------------------------------------------------------------------


class TicketWriteSerializer(StrictInputSerializer):
    title = StrictCharField(max_length=TITLE_MAX_LENGTH, required=False)
    description = StrictCharField(max_length=TICKET_DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    visibility = serializers.ChoiceField(choices=TicketVisibility.choices, required=False)
    approval_template = StrictPrimaryKeyRelatedField(queryset=ApprovalTemplate.objects.all(), required=False, allow_null=True)
    custom_fields = serializers.DictField(required=False)
    assignee = StrictPrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    categories = StrictPrimaryKeyRelatedField(queryset=Category.objects.all(), many=True, required=False)
    labels = StrictPrimaryKeyRelatedField(queryset=Label.objects.all(), many=True, required=False)


class TicketCreateSerializer(TicketWriteSerializer):
    """Fields not given come from the template, if any; `title` is required unless the template has a default."""

    template = StrictPrimaryKeyRelatedField(queryset=TicketTemplate.objects.all(), required=False, allow_null=True)


class TicketUpdateSerializer(TicketWriteSerializer):
    """Only the fields sent are changed, under SPEC §4's rules for who may edit what."""


class TransitionSerializer(StrictInputSerializer):
    """The status to move to (one of the ticket's `allowed_transitions`) and an optional comment for the timeline."""

    status = serializers.ChoiceField(choices=TicketStatus.choices)
    comment = StrictCharField(required=False, allow_blank=True, default="", max_length=REMARK_MAX_LENGTH)


class CommentSerializer(StrictInputSerializer):
    """The comment's text (leading and trailing blanks are trimmed; it cannot be empty)."""

    note = StrictCharField(max_length=COMMENT_MAX_LENGTH)


class RedactionSerializer(StrictInputSerializer):
    """Why the comment is redacted (optional). It is shown on the comment_redacted event: never repeat the secret."""

    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=REMARK_MAX_LENGTH)


# --- ticket templates ----------------------------------------------------------------------------------------------


class TicketTemplateWriteSerializer(StrictInputSerializer):
    """A template's fields; on PATCH only those sent change. Unknown and read-only fields are refused."""

    name = StrictCharField(max_length=NAME_MAX_LENGTH)
    description = StrictCharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    default_title = StrictCharField(max_length=TITLE_MAX_LENGTH, required=False, allow_blank=True)
    default_description = StrictCharField(max_length=TICKET_DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    default_priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    default_visibility = serializers.ChoiceField(choices=TicketVisibility.choices, required=False)
    categories = StrictPrimaryKeyRelatedField(queryset=Category.objects.all(), many=True, required=False)
    labels = StrictPrimaryKeyRelatedField(queryset=Label.objects.all(), many=True, required=False)
    approval_template = StrictPrimaryKeyRelatedField(queryset=ApprovalTemplate.objects.all(), required=False, allow_null=True)
    custom_fields_schema = serializers.DictField(required=False, help_text="A JSON Schema for tickets' custom_fields.")


# --- categories and labels -----------------------------------------------------------------------------------------


class CategorySerializer(StrictInputModelSerializer):
    parent = StrictPrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Category.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Category
        fields = ["id", "name", "description", "parent", "created_by", "created_at", "updated_by", "updated_at"]
        read_only_fields = ["created_by", "created_at", "updated_by", "updated_at"]
        extra_kwargs = {"description": {"max_length": DESCRIPTION_MAX_LENGTH}}


class LabelSerializer(StrictInputModelSerializer):
    color = StrictRegexField(r"^#[0-9A-Fa-f]{6}$", required=False, help_text="Hex colour, e.g. #1f77b4")

    class Meta:
        model = Label
        fields = ["id", "name", "color", "description", "created_by", "created_at", "updated_by", "updated_at"]
        read_only_fields = ["created_by", "created_at", "updated_by", "updated_at"]
        extra_kwargs = {"description": {"max_length": DESCRIPTION_MAX_LENGTH}}


# --- attachments (multipart) ---------------------------------------------------------------------------------------


class _UploadSerializer(StrictInputSerializer):
    # Emptiness, size and type are the service's checks (the same for the API, the admin and commands).
    file = serializers.FileField(
        allow_empty_file=True, max_length=None, use_url=False, help_text="The file (multipart part named `file`)."
    )


class TicketAttachmentUploadSerializer(_UploadSerializer):
    note = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_PK,
        help_text="Id of a comment of this ticket (written by the caller) the file belongs to.",
    )

    def validate_note(self, value: int | None) -> TicketNote | None:
        # Resolved inside the ticket the caller was authorised to see: another ticket's note is "not found".
        if value is None:
            return None
        note = TicketNote.objects.filter(pk=value, ticket=self.context["ticket"], system=False).first()
        if note is None:
            raise serializers.ValidationError("No such comment on this ticket.", code="does_not_exist")
        return note


class TemplateAttachmentUploadSerializer(_UploadSerializer):
    pass
