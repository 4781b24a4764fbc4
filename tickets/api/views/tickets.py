"""Tickets, their timeline and comments, and ticket templates over HTTP (SPEC §10, §12). Views are thin: validate the
body with an input serializer, call one service or selector, serialize the result."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_serializers import ErrorResponse403Serializer
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from permissions.api.views import TicketScopedViewMixin
from tickets import selectors
from tickets.api.inputs import (
    CommentSerializer,
    RedactionSerializer,
    TicketCreateSerializer,
    TicketTemplateWriteSerializer,
    TicketUpdateSerializer,
    TransitionSerializer,
)
from tickets.api.outputs import (
    TicketConflictResponseSerializer,
    TicketSerializer,
    TicketTemplateSerializer,
    TimelineEntrySerializer,
)
from tickets.api.search import TicketSearchFilter
from tickets.filters import TicketFilter, TicketOrderingFilter
from tickets.models import Ticket, TicketTemplate
from tickets.services import templates as template_services
from tickets.services import tickets as ticket_services
from ticketsite.api.views import actor
from ticketsite.filters import StrictFilterBackend

REFUSALS = {403: ErrorResponse403Serializer, 409: TicketConflictResponseSerializer}

note_id_param = OpenApiParameter("note_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Comment id.")


@extend_validation_errors(["max_length"], field_name=TicketSearchFilter.search_param, actions=["list"], methods=["get"])
class TicketViewSet(TicketScopedViewMixin, viewsets.GenericViewSet):
    """Tickets the caller can see. Status changes only through `transition`."""

    serializer_class = TicketSerializer
    queryset = Ticket.objects.none()  # for the schema; requests read selectors.ticket_list
    filter_backends = [StrictFilterBackend, TicketSearchFilter, TicketOrderingFilter]
    filterset_class = TicketFilter
    ordering_fields = [
        "created_at",
        "updated_at",
        "due_at",
        "priority",
        "status",
        "title",
        "key",
        "id",
        "first_response_due_at",
        "resolution_due_at",
    ]
    ordering = ["-created_at", "-id"]
    ticket_url_kwarg = "pk"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return Ticket.objects.none()
        return selectors.ticket_list(user=self.request.user)

    def _respond(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        return Response(TicketSerializer(ticket, context=self.get_serializer_context()).data, status=code)

    def _respond_written(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        # A written ticket as the write left it, with the ids of its categories and labels read in one query.
        return self._respond(selectors.ticket_relation_ids(ticket=ticket), code)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TicketSerializer(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request: Request) -> Response:
        body = TicketCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = ticket_services.ticket_create(actor=actor(request), **body.validated_data)
        return self._respond_written(ticket, status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        # Read with what the serializer needs prefetched, through the same visibility rule.
        return self._respond(selectors.ticket_get(user=request.user, ticket_id=pk))

    @extend_schema(request=TicketUpdateSerializer, responses={200: TicketSerializer, **REFUSALS})
    def partial_update(self, request: Request, pk: str) -> Response:
        ticket = self.get_ticket()
        body = TicketUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        ticket = ticket_services.ticket_update(ticket=ticket, actor=actor(request), data=body.validated_data)
        return self._respond_written(ticket)

    @extend_schema(responses={204: None, **REFUSALS})
    def destroy(self, request: Request, pk: str) -> Response:
        ticket_services.ticket_delete(ticket=self.get_ticket(), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=TransitionSerializer, responses={200: TicketSerializer, **REFUSALS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request: Request, pk: str) -> Response:
        """Move the ticket to `status` (SPEC §4). Refused: 409 invalid_transition or 403 permission_denied."""
        ticket = self.get_ticket()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = ticket_services.ticket_transition(
            ticket=ticket,
            actor=actor(request),
            to_status=body.validated_data["status"],
            comment=body.validated_data["comment"],
        )
        return self._respond_written(ticket)

    @extend_schema(responses=TimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def timeline(self, request: Request, pk: str) -> Response:
        """Comments and system events, oldest first."""
        # The ticket with its timeline's length: the page's total costs no count of its own.
        ticket = selectors.timeline_ticket(user=request.user, ticket_id=pk)
        page = self.paginate_queryset(selectors.timeline_list(ticket=ticket))
        return self.get_paginated_response(TimelineEntrySerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses=TimelineEntrySerializer(many=True))
    @extend_schema(methods=["POST"], request=CommentSerializer, responses={201: TimelineEntrySerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def comments(self, request: Request, pk: str) -> Response:
        """The ticket's comments, oldest first; POST adds one."""
        ticket = self.get_ticket()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.comment_list(ticket=ticket))
            return self.get_paginated_response(TimelineEntrySerializer(page, many=True).data)
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = ticket_services.comment_create(ticket=ticket, actor=actor(request), note=body.validated_data["note"])
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
        comment = selectors.comment_get(ticket=self.get_ticket(), note_id=note_id)
        if request.method == "DELETE":
            ticket_services.comment_delete(comment=comment, actor=actor(request))
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = ticket_services.comment_update(comment=comment, actor=actor(request), note=body.validated_data["note"])
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
        comment = selectors.comment_get(ticket=self.get_ticket(), note_id=note_id, deleted_too=True)
        body = RedactionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = ticket_services.comment_redact(comment=comment, actor=actor(request), reason=body.validated_data["reason"])
        return Response(TimelineEntrySerializer(comment).data)


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
        template = template_services.template_create(actor=actor(request), **body.validated_data)
        return Response(TicketTemplateSerializer(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TicketTemplateWriteSerializer, responses=TicketTemplateSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        template = self._template()
        body = TicketTemplateWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        template = template_services.template_update(template=template, actor=actor(request), data=body.validated_data)
        return Response(TicketTemplateSerializer(template).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        template_services.template_delete(template=self._template(), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
