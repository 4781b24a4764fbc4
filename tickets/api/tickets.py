"""Tickets, their timeline and comments, and ticket templates over HTTP (SPEC §10, §12). Views are thin: validate the
body with an input serializer, call one service or selector, serialize the result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ErrorResponse403Serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.settings import api_settings

from approvals.models import ApprovalTemplate
from tickets import selectors, statemachine
from tickets.filters import TicketFilter, TicketOrderingFilter
from tickets.models import Category, Label, Ticket, TicketNote, TicketPriority, TicketStatus, TicketTemplate, TicketVisibility
from tickets.services import templates as template_services
from tickets.services import tickets as ticket_services
from ticketsite.filters import StrictFilterBackend
from ticketsite.limits import (
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    REMARK_MAX_LENGTH,
    TICKET_DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)


def _actor(request: Request) -> User:
    # IsAuthenticated guards every view here, so the caller is a real user.
    return cast(User, request.user)


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not accept (unknown or read-only) instead of silently dropping them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            refused = sorted(set(data) - writable)
            if refused:
                # Reported as a non-field error naming the fields: an arbitrary key cannot be a documented `attr`.
                message = f"These fields cannot be written here: {', '.join(refused)}."
                raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [ErrorDetail(message, code="read_only")]})
            # DRF iterates any iterable as a list of ids, so {} or "12" would pass as an empty or digit list.
            not_lists = sorted(
                name
                for name, field in self.fields.items()
                if isinstance(field, serializers.ManyRelatedField | serializers.ListField)
                and name in data
                and not isinstance(data[name], list)
            )
            if not_lists:
                raise ValidationError({name: [ErrorDetail("Expected a list of ids.", code="not_a_list")] for name in not_lists})
        return super().to_internal_value(data)


# --- tickets -------------------------------------------------------------------------------------------------------


class TicketSerializer(serializers.ModelSerializer):
    categories: serializers.PrimaryKeyRelatedField[Category] = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    labels: serializers.PrimaryKeyRelatedField[Label] = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

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
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=TicketStatus.choices)))
    def get_allowed_transitions(self, ticket: Ticket) -> list[str]:
        # Reads the caller's cached permissions and the ticket row only: no query per ticket.
        request = self.context.get("request")
        return statemachine.allowed_transitions(ticket, request.user if request is not None else None)


class TicketWriteSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH, required=False)
    description = serializers.CharField(max_length=TICKET_DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    visibility = serializers.ChoiceField(choices=TicketVisibility.choices, required=False)
    approval_template = serializers.PrimaryKeyRelatedField(
        queryset=ApprovalTemplate.objects.all(), required=False, allow_null=True
    )
    custom_fields = serializers.DictField(required=False)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    categories = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), many=True, required=False)
    labels = serializers.PrimaryKeyRelatedField(queryset=Label.objects.all(), many=True, required=False)


class TicketCreateSerializer(TicketWriteSerializer):
    """Fields not given come from the template, if any; `title` is required unless the template has a default."""

    template = serializers.PrimaryKeyRelatedField(queryset=TicketTemplate.objects.all(), required=False, allow_null=True)


class TicketUpdateSerializer(TicketWriteSerializer):
    """Only the fields sent are changed, under SPEC §4's rules for who may edit what."""


class TransitionSerializer(StrictInputSerializer):
    """The status to move to (one of the ticket's `allowed_transitions`) and an optional comment for the timeline."""

    status = serializers.ChoiceField(choices=TicketStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=REMARK_MAX_LENGTH)


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


class CommentSerializer(StrictInputSerializer):
    """The comment's text (leading and trailing blanks are trimmed; it cannot be empty)."""

    note = serializers.CharField(max_length=COMMENT_MAX_LENGTH)


class RedactionSerializer(StrictInputSerializer):
    """Why the comment is redacted (optional). It is shown on the comment_redacted event: never repeat the secret."""

    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=REMARK_MAX_LENGTH)


class TicketConflictErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="invalid_transition, ticket_final, invalid_state or comment_redacted")
    detail = serializers.CharField(help_text="Names the current status and the transitions the caller may make.")
    attr = serializers.CharField(allow_null=True)


class TicketConflictResponseSerializer(serializers.Serializer):
    """409: the ticket's state does not allow the change."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = TicketConflictErrorSerializer(many=True)  # type: ignore[assignment]


REFUSALS = {403: ErrorResponse403Serializer, 409: TicketConflictResponseSerializer}

note_id_param = OpenApiParameter("note_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Comment id.")


class TicketViewSet(viewsets.GenericViewSet):
    """Tickets the caller can see. Status changes only through `transition`."""

    serializer_class = TicketSerializer
    queryset = Ticket.objects.none()  # for the schema; requests read selectors.ticket_list
    filter_backends = [StrictFilterBackend, SearchFilter, TicketOrderingFilter]
    filterset_class = TicketFilter
    search_fields = ["key", "title", "description"]
    ordering_fields = ["created_at", "updated_at", "due_at", "priority", "status", "title", "key", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return Ticket.objects.none()
        return selectors.ticket_list(user=self.request.user)

    def _ticket(self) -> Ticket:
        return selectors.ticket_for_write(user=self.request.user, ticket_id=self.kwargs["pk"])

    def _respond(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        return Response(TicketSerializer(ticket, context=self.get_serializer_context()).data, status=code)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TicketSerializer(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request: Request) -> Response:
        body = TicketCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = ticket_services.ticket_create(actor=_actor(request), **body.validated_data)
        return self._respond(ticket, status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._respond(selectors.ticket_get(user=request.user, ticket_id=pk))

    @extend_schema(request=TicketUpdateSerializer, responses={200: TicketSerializer, **REFUSALS})
    def partial_update(self, request: Request, pk: str) -> Response:
        ticket = self._ticket()
        body = TicketUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        ticket = ticket_services.ticket_update(ticket=ticket, actor=_actor(request), data=body.validated_data)
        return self._respond(ticket)

    @extend_schema(responses={204: None, **REFUSALS})
    def destroy(self, request: Request, pk: str) -> Response:
        ticket_services.ticket_delete(ticket=self._ticket(), actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=TransitionSerializer, responses={200: TicketSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request: Request, pk: str) -> Response:
        """Move the ticket to `status` (SPEC §4). Refused: 409 invalid_transition or 403 permission_denied."""
        ticket = self._ticket()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = ticket_services.ticket_transition(
            ticket=ticket,
            actor=_actor(request),
            to_status=body.validated_data["status"],
            comment=body.validated_data["comment"],
        )
        return self._respond(ticket)

    @extend_schema(responses=TimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def timeline(self, request: Request, pk: str) -> Response:
        """Comments and system events, oldest first."""
        page = self.paginate_queryset(selectors.timeline_list(ticket=self._ticket()))
        return self.get_paginated_response(TimelineEntrySerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses=TimelineEntrySerializer(many=True))
    @extend_schema(methods=["POST"], request=CommentSerializer, responses={201: TimelineEntrySerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def comments(self, request: Request, pk: str) -> Response:
        """The ticket's comments, oldest first; POST adds one."""
        ticket = self._ticket()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.comment_list(ticket=ticket))
            return self.get_paginated_response(TimelineEntrySerializer(page, many=True).data)
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = ticket_services.comment_create(ticket=ticket, actor=_actor(request), note=body.validated_data["note"])
        return Response(TimelineEntrySerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"],
        parameters=[note_id_param],
        request=CommentSerializer,
        responses={200: TimelineEntrySerializer, **REFUSALS},
    )
    @extend_schema(methods=["DELETE"], parameters=[note_id_param], responses={204: None, 403: ErrorResponse403Serializer})
    @action(detail=True, methods=["patch", "delete"], url_path=r"comments/(?P<note_id>[0-9]+)", filter_backends=[])
    def comment(self, request: Request, pk: str, note_id: str) -> Response:
        """Edit or (softly) delete one of your own comments; both are recorded on the timeline."""
        comment = selectors.comment_get(ticket=self._ticket(), note_id=note_id)
        if request.method == "DELETE":
            ticket_services.comment_delete(comment=comment, actor=_actor(request))
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = ticket_services.comment_update(comment=comment, actor=_actor(request), note=body.validated_data["note"])
        return Response(TimelineEntrySerializer(comment).data)

    @extend_schema(
        parameters=[note_id_param], request=RedactionSerializer, responses={200: TimelineEntrySerializer, **REFUSALS}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"comments/(?P<note_id>[0-9]+)/redact",
        url_name="comment-redact",
        filter_backends=[],
    )
    def redact_comment(self, request: Request, pk: str, note_id: str) -> Response:
        """Replace a comment's text and its edit history by "Redacted by X at T", for good (the author or an admin;
        deleted comments too). Recorded as comment_redacted; a second redaction is 409 comment_redacted."""
        comment = selectors.comment_get(ticket=self._ticket(), note_id=note_id, deleted_too=True)
        body = RedactionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = ticket_services.comment_redact(comment=comment, actor=_actor(request), reason=body.validated_data["reason"])
        return Response(TimelineEntrySerializer(comment).data)


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


class TicketTemplateWriteSerializer(StrictInputSerializer):
    """A template's fields; on PATCH only those sent change. Unknown and read-only fields are refused."""

    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    default_title = serializers.CharField(max_length=TITLE_MAX_LENGTH, required=False, allow_blank=True)
    default_description = serializers.CharField(max_length=TICKET_DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    default_priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    default_visibility = serializers.ChoiceField(choices=TicketVisibility.choices, required=False)
    categories = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), many=True, required=False)
    labels = serializers.PrimaryKeyRelatedField(queryset=Label.objects.all(), many=True, required=False)
    approval_template = serializers.PrimaryKeyRelatedField(
        queryset=ApprovalTemplate.objects.all(), required=False, allow_null=True
    )
    custom_fields_schema = serializers.DictField(required=False, help_text="A JSON Schema for tickets' custom_fields.")


class TicketTemplateViewSet(viewsets.GenericViewSet):
    """Readable by every user; written by holders of tickets.add/change/delete_tickettemplate."""

    serializer_class = TicketTemplateSerializer
    permission_classes = [IsAuthenticated, DjangoModelPermissions]
    queryset = TicketTemplate.objects.none()  # for the schema and DjangoModelPermissions' model lookup
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "id", "created_at"]
    ordering = ["name", "id"]

    def get_queryset(self) -> Any:
        return selectors.template_list()

    def _template(self) -> TicketTemplate:
        return cast(TicketTemplate, self.get_object())

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TicketTemplateSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(TicketTemplateSerializer(self._template()).data)

    @extend_schema(request=TicketTemplateWriteSerializer, responses={201: TicketTemplateSerializer})
    def create(self, request: Request) -> Response:
        body = TicketTemplateWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        template = template_services.template_create(actor=_actor(request), **body.validated_data)
        return Response(TicketTemplateSerializer(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TicketTemplateWriteSerializer, responses=TicketTemplateSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        template = self._template()
        body = TicketTemplateWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        template = template_services.template_update(template=template, actor=_actor(request), data=body.validated_data)
        return Response(TicketTemplateSerializer(template).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        template_services.template_delete(template=self._template(), actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("ticket-templates", TicketTemplateViewSet, basename="ticket-template")

urlpatterns = router.urls
