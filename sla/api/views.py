"""Viewsets of the service-level API: thin HTTP around sla.selectors and sla.services.configuration."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from sla import selectors
from sla.api.inputs import CalendarInputSerializer, PolicyInputSerializer
from sla.api.outputs import CalendarInUseResponseSerializer, CalendarSerializer, PolicySerializer
from sla.models import BusinessCalendar, SlaPolicy
from sla.services import configuration
from ticketsite.api.views import actor

# Ids up to 18 digits (a bigint holds 19): anything else is no route, a 404, never a database error.
ID_PATTERN = "[0-9]{1,18}"


# Configuration like categories and templates: read by every signed-in user (agents see the targets they work to, the
# workspace shows them), written by holders of the model permissions (sla.add_/change_/delete_...). A comment, not a
# docstring: drf-spectacular would publish a docstring as every operation's description.
@extend_schema_view(
    create=extend_schema(request=CalendarInputSerializer, responses={201: CalendarSerializer}),
    partial_update=extend_schema(request=CalendarInputSerializer, responses=CalendarSerializer),
    destroy=extend_schema(responses={204: None, 409: CalendarInUseResponseSerializer}),
)
class BusinessCalendarViewSet(viewsets.ModelViewSet):
    serializer_class = CalendarSerializer
    permission_classes = [IsAuthenticated, DjangoModelPermissions]
    queryset = BusinessCalendar.objects.none()  # for the schema and DjangoModelPermissions' model lookup
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["name"]
    ordering_fields = ["name", "id", "created_at"]
    ordering = ["name", "id"]
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[BusinessCalendar]:
        return selectors.calendars()

    def _output(self, calendar: BusinessCalendar, code: int = status.HTTP_200_OK) -> Response:
        return Response(CalendarSerializer(selectors.calendars().get(pk=calendar.pk)).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = CalendarInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        calendar = configuration.calendar_create(actor=actor(request), **body.validated_data)
        return self._output(calendar, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        calendar = self.get_object()
        body = CalendarInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        calendar = configuration.calendar_update(calendar=calendar, actor=actor(request), data=body.validated_data)
        return self._output(calendar)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        configuration.calendar_delete(calendar=self.get_object(), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(request=PolicyInputSerializer, responses={201: PolicySerializer}),
    partial_update=extend_schema(request=PolicyInputSerializer, responses=PolicySerializer),
)
class SlaPolicyViewSet(viewsets.ModelViewSet):
    serializer_class = PolicySerializer
    permission_classes = [IsAuthenticated, DjangoModelPermissions]
    queryset = SlaPolicy.objects.none()
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["name"]
    ordering_fields = ["order", "name", "id", "created_at"]
    ordering = ["order", "id"]
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[SlaPolicy]:
        return selectors.policies()

    def _output(self, policy: SlaPolicy, code: int = status.HTTP_200_OK) -> Response:
        return Response(PolicySerializer(selectors.policies().get(pk=policy.pk)).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = PolicyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        policy = configuration.policy_create(actor=actor(request), **body.validated_data)
        return self._output(policy, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        policy = self.get_object()
        body = PolicyInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        policy = configuration.policy_update(policy=policy, actor=actor(request), data=body.validated_data)
        return self._output(policy)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        configuration.policy_delete(policy=self.get_object(), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
