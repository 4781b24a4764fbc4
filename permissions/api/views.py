"""Viewsets of the permissions API, and the base of every view under /tickets/{ticket_id}/. Thin: selectors in,
services out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from permissions import selectors, services
from permissions.api.inputs import AccessRequestInputSerializer, DecisionInputSerializer, GrantInputSerializer
from permissions.api.outputs import AccessRequestSerializer, GrantSerializer
from permissions.filters import AccessRequestFilter
from permissions.models import AccessRequest, TicketViewPermission
from tickets.models import Ticket
from ticketsite.api.views import actor
from ticketsite.errors import DomainPermissionDenied

TICKET_ID = OpenApiParameter("ticket_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Ticket id")
GRANT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Grant id")
REQUEST_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Access request id")


# The base of every view that works on one ticket named in its URL (comments, timeline, attachments, grants, access
# requests, approvals): `get_ticket()` resolves it through the caller's visible set, once per request, so a missing
# ticket and one the caller may not see are the same 404. (Comments, not a docstring: drf-spectacular would show an
# inherited docstring as every such operation's description.)
class TicketScopedViewMixin(generics.GenericAPIView):
    ticket_url_kwarg = "ticket_id"
    _ticket: Ticket | None = None

    def get_ticket(self) -> Ticket:
        if self._ticket is None:
            self._ticket = selectors.get_visible_ticket(self.request.user, self.kwargs[self.ticket_url_kwarg])
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
    TicketScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
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
            ticket=ticket, actor=actor(request), user=data.validated_data.get("user"), role=data.validated_data.get("role")
        )
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        grant = self.get_object()
        services.grant_revoke(grant=grant, actor=actor(request))
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
class TicketAccessRequestViewSet(
    TicketScopedViewMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
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
        # Asking for access is the one request about a ticket the caller may not see.
        ticket = selectors.get_requestable_ticket(self.kwargs["ticket_id"])
        data = AccessRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        access_request = services.access_request_create(
            ticket=ticket, requester=actor(request), reason=data.validated_data["reason"]
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
        decided = decide(access_request=access_request, actor=actor(request), comment=data.validated_data["comment"])
        return Response(AccessRequestSerializer(decided).data)
