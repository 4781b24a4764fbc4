"""HTTP API of the permissions app: view grants and access requests (SPEC §7, §12). Thin: selectors in, services out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from permissions import selectors, services
from permissions.filters import AccessRequestFilter
from permissions.models import AccessRequest, TicketViewPermission
from tickets.models import Ticket
from ticketsite.errors import DomainPermissionDenied
from ticketsite.limits import REMARK_MAX_LENGTH

TICKET_ID = OpenApiParameter("ticket_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Ticket id")
GRANT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Grant id")
REQUEST_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Access request id")


# --- serializers ------------------------------------------------------------------------------------------------------


class GrantSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketViewPermission
        fields = ["id", "ticket", "user", "role", "created_by", "created_at"]
        read_only_fields = fields


class GrantInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    role = serializers.PrimaryKeyRelatedField(queryset=Group.objects.all(), required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("user") is None) == (attrs.get("role") is None):
            raise serializers.ValidationError("Name exactly one of user or role.", code="user_xor_role")
        return attrs


class AccessRequestSerializer(serializers.ModelSerializer):
    """The request and its decision; deliberately nothing of the ticket but its id (the requester cannot see it)."""

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "ticket",
            "requester",
            "reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_comment",
            "created_at",
        ]
        read_only_fields = fields


class AccessRequestInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REMARK_MAX_LENGTH)


class DecisionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=REMARK_MAX_LENGTH, required=False, allow_blank=True, default="")


# --- views ------------------------------------------------------------------------------------------------------------


class TicketScopedViewSet(viewsets.GenericViewSet):
    """Resolves `ticket_id` from the URL through the caller's visible set, once per request (404 if not visible)."""

    _ticket: Ticket | None = None

    def get_ticket(self) -> Ticket:
        if self._ticket is None:
            self._ticket = selectors.get_visible_ticket(self.request.user, self.kwargs["ticket_id"])
        return self._ticket


@extend_schema_view(
    list=extend_schema(parameters=[TICKET_ID], summary="Grants of a ticket (anyone who can see the ticket)"),
    retrieve=extend_schema(parameters=[TICKET_ID, GRANT_ID]),
    create=extend_schema(
        parameters=[TICKET_ID],
        request=GrantInputSerializer,
        responses={201: GrantSerializer},
        summary="Grant a user or a role (creator, assignee, permission managers)",
    ),
    destroy=extend_schema(parameters=[TICKET_ID, GRANT_ID], responses={204: None}, summary="Revoke a grant"),
)
class TicketGrantViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    TicketScopedViewSet,
):
    queryset = TicketViewPermission.objects.none()
    serializer_class = GrantSerializer
    filterset_class = None
    search_fields: list[str] = []
    ordering_fields = ["created_at", "id"]

    def get_queryset(self) -> QuerySet[TicketViewPermission]:
        return selectors.ticket_grants(ticket=self.get_ticket())

    def get_object(self) -> TicketViewPermission:
        return selectors.get_ticket_grant(ticket=self.get_ticket(), grant_id=self.kwargs["pk"])

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = self.get_ticket()
        data = GrantInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.grant_create(
            ticket=ticket, actor=request.user, user=data.validated_data.get("user"), role=data.validated_data.get("role")
        )
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        grant = self.get_object()
        services.grant_revoke(grant=grant, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(parameters=[TICKET_ID], summary="Access requests of a ticket (for those who manage its grants)"),
    create=extend_schema(
        parameters=[TICKET_ID],
        request=AccessRequestInputSerializer,
        responses={201: AccessRequestSerializer},
        summary="Ask for access to a ticket you cannot see",
    ),
)
class TicketAccessRequestViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, TicketScopedViewSet):
    queryset = AccessRequest.objects.none()
    serializer_class = AccessRequestSerializer
    filterset_class = AccessRequestFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at", "id", "status"]

    def get_queryset(self) -> QuerySet[AccessRequest]:
        ticket = self.get_ticket()
        if not selectors.can_manage_grants(self.request.user, ticket):
            raise DomainPermissionDenied("Only those who manage the ticket's grants see its access requests.")
        return selectors.ticket_access_requests(ticket=ticket)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = selectors.get_requestable_ticket(self.kwargs["ticket_id"])
        data = AccessRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assert isinstance(request.user, User)
        access_request = services.access_request_create(
            ticket=ticket, requester=request.user, reason=data.validated_data["reason"]
        )
        return Response(AccessRequestSerializer(access_request).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Your own access requests and those you can decide"),
    retrieve=extend_schema(parameters=[REQUEST_ID]),
)
class AccessRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = AccessRequest.objects.none()
    serializer_class = AccessRequestSerializer
    filterset_class = AccessRequestFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at", "id", "status"]

    def get_queryset(self) -> QuerySet[AccessRequest]:
        return selectors.access_requests_for(self.request.user)

    def get_object(self) -> AccessRequest:
        return selectors.get_access_request_for(self.request.user, self.kwargs["pk"])

    @extend_schema(
        parameters=[REQUEST_ID],
        request=DecisionInputSerializer,
        responses={200: AccessRequestSerializer},
        summary="Approve: the requester gets a grant",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._decide(request, pk, services.access_request_approve)

    @extend_schema(
        parameters=[REQUEST_ID],
        request=DecisionInputSerializer,
        responses={200: AccessRequestSerializer},
        summary="Deny, with a comment (required)",
    )
    @action(detail=True, methods=["post"])
    def deny(self, request: Request, pk: str) -> Response:
        return self._decide(request, pk, services.access_request_deny)

    def _decide(self, request: Request, pk: str, decide: Callable[..., AccessRequest]) -> Response:
        access_request = selectors.get_decidable_access_request(request.user, pk)
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = decide(access_request=access_request, actor=request.user, comment=data.validated_data["comment"])
        return Response(AccessRequestSerializer(decided).data)
