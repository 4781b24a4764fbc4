"""Views of the notifications API: the inbox (the caller's own notifications), the caller's e-mail preferences and the
notification rules."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import selectors, services
from notifications.api.inputs import EmailPreferencesInput, NotificationRuleSerializer
from notifications.api.outputs import (
    CountSerializer,
    EmailPreferenceSerializer,
    NotificationSerializer,
    email_preference_rows,
)
from notifications.filters import InboxFilter
from notifications.models import Notification, NotificationRule
from ticketsite.api.views import actor
from ticketsite.filters import StrictFilterBackend


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own in-app notifications; anybody else's answer 404."""

    serializer_class = NotificationSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = InboxFilter
    queryset = Notification.objects.none()

    def get_queryset(self) -> QuerySet[Notification]:
        return selectors.inbox(actor(self.request))

    def _serialize(self, notifications: list[Notification], *, many: bool) -> Any:
        ticket_ids = {n.ticket_id for n in notifications if n.ticket_id is not None}
        visible = selectors.visible_ticket_ids(actor(self.request), ticket_ids)
        items = notifications if many else notifications[0]
        return NotificationSerializer(items, many=many, context={"request": self.request, "visible_ticket_ids": visible}).data

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None
        return self.get_paginated_response(self._serialize(list(page), many=True))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._serialize([self.get_object()], many=False))

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = services.notification_mark_read(notification=self.get_object(), user=actor(request))
        return Response(self._serialize([notification], many=False))

    @extend_schema(request=None, responses=CountSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"count": services.notifications_mark_all_read(user=actor(request))})

    @extend_schema(responses=CountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"count": selectors.unread_count(actor(request))})


@extend_schema(tags=["notifications"])
class EmailPreferencesView(APIView):
    """The caller's e-mail choice for every event type: on unless they turned it off (docs/notifications.md)."""

    @extend_schema(responses=EmailPreferenceSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(email_preference_rows(selectors.email_preferences(actor(request))))

    @extend_schema(request=EmailPreferencesInput, responses=EmailPreferenceSerializer(many=True))
    def patch(self, request: Request) -> Response:
        serializer = EmailPreferencesInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = actor(request)
        services.email_preferences_set(user=user, choices=serializer.validated_data, actor=user)
        return Response(email_preference_rows(selectors.email_preferences(user)))


class RuleAdminPermissions(DjangoModelPermissions):
    """Admins only: reading needs view_notificationrule, writing add/change/delete_notificationrule.
    (DjangoModelPermissions alone: mixing in IsAuthenticated first would shadow its has_permission.)"""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


class NotificationRuleViewSet(viewsets.ModelViewSet):
    serializer_class = NotificationRuleSerializer
    permission_classes = [RuleAdminPermissions]
    queryset = NotificationRule.objects.all()
    filterset_fields = ["event_type", "is_active"]
    search_fields = ["name"]
    ordering_fields = ["name", "event_type", "created_at", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[NotificationRule]:
        return selectors.rule_list()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.rule_create(actor=actor(request), data=serializer.validated_data)
        return Response(self.get_serializer(selectors.rule_list().get(pk=rule.pk)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.rule_update(rule=rule, actor=actor(request), data=serializer.validated_data)
        return Response(self.get_serializer(selectors.rule_list().get(pk=rule.pk)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.rule_delete(rule=self.get_object(), actor=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
