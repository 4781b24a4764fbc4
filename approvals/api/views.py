"""Viewsets of the approvals API: thin HTTP around approvals.selectors and approvals.services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response

from approvals import selectors, services
from approvals.api.inputs import (
    ApproveSerializer,
    DelegationCreateSerializer,
    DelegationUpdateSerializer,
    RejectSerializer,
    TemplateInputSerializer,
)
from approvals.api.outputs import DelegationSerializer, ProcessSerializer, SlotSerializer, TemplateSerializer
from approvals.filters import DelegationFilter, SlotFilter
from approvals.models import ApprovalProcess, ApprovalProcessStepApprover, ApprovalTemplate, Delegation
from permissions.api.views import TicketScopedViewMixin
from permissions.selectors import parse_pk
from ticketsite.api.views import actor


class SafePkMixin:
    """A malformed or out-of-range id in the URL is a 404, never a database error."""

    def get_object(self) -> Any:
        parse_pk(self.kwargs["pk"])  # type: ignore[attr-defined]
        return super().get_object()  # type: ignore[misc]


@extend_schema_view(
    create=extend_schema(request=TemplateInputSerializer, responses={201: TemplateSerializer}),
    update=extend_schema(request=TemplateInputSerializer, responses=TemplateSerializer),
    partial_update=extend_schema(request=TemplateInputSerializer, responses=TemplateSerializer),
)
class ApprovalTemplateViewSet(SafePkMixin, viewsets.ModelViewSet):
    """Approval templates with their steps and approver slots. Read by everyone; written with the model permissions."""

    serializer_class = TemplateSerializer
    permission_classes = [DjangoModelPermissions]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "id"]

    def get_queryset(self) -> QuerySet[ApprovalTemplate]:
        return selectors.approval_templates()

    def _output(self, template: ApprovalTemplate, code: int = status.HTTP_200_OK) -> Response:
        return Response(TemplateSerializer(selectors.approval_templates().get(pk=template.pk)).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = TemplateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = services.approval_template_create(actor=actor(request), **serializer.validated_data)
        return self._output(template, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        template = self.get_object()
        serializer = TemplateInputSerializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        template = services.approval_template_update(template=template, actor=actor(request), data=serializer.validated_data)
        return self._output(template)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.approval_template_delete(template=self.get_object(), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApprovalSlotViewSet(SafePkMixin, viewsets.ReadOnlyModelViewSet):
    """Approver slots of the tickets the caller can see; `?mine=pending` is the caller's to-do list."""

    serializer_class = SlotSerializer
    filterset_class = SlotFilter
    ordering_fields = ["id", "acted_at", "created_at"]
    search_fields: list[str] = []

    def get_queryset(self) -> QuerySet[ApprovalProcessStepApprover]:
        # `?mine=pending` (SlotFilter.filter_mine) starts from the slots the caller may decide, whose tickets they see by
        # definition (approvals/tests/test_pending_visibility.py): building the visibility rule would cost more than
        # the list.
        if self.request.query_params.get("mine") == SlotFilter.PENDING:
            return selectors.pending_slots(self.request.user)
        return selectors.visible_slots(self.request.user)

    def _decide(self, request: Request, *, approve: bool) -> Response:
        slot = self.get_object()
        serializer = (ApproveSerializer if approve else RejectSerializer)(data=request.data)
        serializer.is_valid(raise_exception=True)
        slot = services.approval_decide(
            slot=slot, actor=actor(request), approve=approve, comment=serializer.validated_data["comment"]
        )
        return Response(SlotSerializer(slot).data)

    @extend_schema(request=ApproveSerializer, responses=SlotSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, approve=True)

    @extend_schema(request=RejectSerializer, responses=SlotSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, approve=False)


@extend_schema(parameters=[OpenApiParameter("ticket_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Ticket id.")])
class TicketApprovalsView(TicketScopedViewMixin, generics.ListAPIView):
    """A ticket's approval processes, newest first, with their steps and slots (404 if the ticket is not visible)."""

    serializer_class = ProcessSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[ApprovalProcess]:
        return selectors.ticket_processes(ticket=self.get_ticket())


@extend_schema_view(
    create=extend_schema(request=DelegationCreateSerializer, responses={201: DelegationSerializer}),
    partial_update=extend_schema(request=DelegationUpdateSerializer, responses=DelegationSerializer),
)
class DelegationViewSet(
    SafePkMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Delegations the caller gave or received (all of them for holders of approvals.view_delegation)."""

    serializer_class = DelegationSerializer
    filterset_class = DelegationFilter
    ordering_fields = ["starts_at", "ends_at", "id"]
    search_fields: list[str] = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Delegation]:
        return selectors.delegations_for(self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = DelegationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delegation = services.delegation_create(actor=actor(request), **serializer.validated_data)
        return Response(DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        delegation = self.get_object()
        serializer = DelegationUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        delegation = services.delegation_update(
            delegation=delegation,
            actor=actor(request),
            data=serializer.validated_data,
        )
        return Response(DelegationSerializer(delegation).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.delegation_delete(delegation=self.get_object(), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
