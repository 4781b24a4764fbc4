"""HTTP API of the notifications app: the caller's in-app inbox and the admin-only notification rules (SPEC §8, §12)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.fields import empty
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response

from notifications import selectors, services
from notifications.filters import InboxFilter
from notifications.models import Channel, Notification, NotificationRule
from notifications.validators import clean_channels, clean_conditions
from ticketsite.filters import StrictFilterBackend

# --- inbox ------------------------------------------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    """One notification. Ticket, key and title appear only while the reader can see the ticket
    (context["visible_ticket_ids"], computed once per page)."""

    ticket = serializers.SerializerMethodField()
    ticket_key = serializers.SerializerMethodField()
    ticket_title = serializers.SerializerMethodField()
    actor_username = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "event_type",
            "ticket",
            "ticket_key",
            "ticket_title",
            "actor",
            "actor_username",
            "message",
            "is_read",
            "read_at",
            "created_at",
        ]
        read_only_fields = fields

    def _visible(self, obj: Notification) -> bool:
        return obj.ticket_id is not None and obj.ticket_id in self.context.get("visible_ticket_ids", set())

    def get_ticket(self, obj: Notification) -> int | None:
        return obj.ticket_id if self._visible(obj) else None

    def get_ticket_key(self, obj: Notification) -> str | None:
        return obj.ticket.key if self._visible(obj) and obj.ticket else None

    def get_ticket_title(self, obj: Notification) -> str | None:
        return obj.ticket.title if self._visible(obj) and obj.ticket else None

    def get_actor_username(self, obj: Notification) -> str | None:
        return obj.actor.username if obj.actor else None


CountSerializer = inline_serializer("NotificationCount", fields={"count": serializers.IntegerField()})


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own in-app notifications; anybody else's answer 404."""

    serializer_class = NotificationSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = InboxFilter
    queryset = Notification.objects.none()

    def get_queryset(self) -> QuerySet[Notification]:
        user = self.request.user
        assert isinstance(user, User)
        return selectors.inbox(user)

    def _serialize(self, notifications: list[Notification], *, many: bool) -> Any:
        user = self.request.user
        assert isinstance(user, User)
        visible = selectors.visible_ticket_ids(user, {n.ticket_id for n in notifications if n.ticket_id is not None})
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
        user = request.user
        assert isinstance(user, User)
        notification = services.notification_mark_read(notification=self.get_object(), user=user)
        return Response(self._serialize([notification], many=False))

    @extend_schema(request=None, responses=CountSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        return Response({"count": services.notifications_mark_all_read(user=user)})

    @extend_schema(responses=CountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        return Response({"count": selectors.unread_count(user)})


# --- rules ------------------------------------------------------------------------------------------------------------


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": Channel.values}, "minItems": 1})
class ChannelsField(serializers.MultipleChoiceField):
    """A non-empty list of channels, read and written in a stable order."""

    def get_value(self, dictionary: Any) -> Any:
        # A form post without the field means "not given" (the default applies), not "an empty selection".
        if hasattr(dictionary, "getlist") and self.field_name not in dictionary:
            return empty
        return super().get_value(dictionary)

    def to_representation(self, value: Any) -> Any:  # a list of channel names
        return [channel for channel in Channel.values if channel in (value or [])]


class NotificationRuleSerializer(serializers.ModelSerializer):
    users = serializers.PrimaryKeyRelatedField(many=True, queryset=User.objects.all(), required=False)
    roles = serializers.PrimaryKeyRelatedField(many=True, queryset=Group.objects.all(), required=False)
    conditions = serializers.JSONField(
        required=False, help_text='{"categories": [ids], "priorities": [values], "templates": [ids]}, all optional.'
    )
    channels = ChannelsField(choices=Channel.choices, required=False, allow_empty=False, help_text="in_app and/or email.")

    class Meta:
        model = NotificationRule
        fields = [
            "id",
            "name",
            "event_type",
            "is_active",
            "conditions",
            "users",
            "roles",
            "notify_creator",
            "notify_assignee",
            "notify_approvers",
            "notify_requester",
            "channels",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = ["created_by", "created_at", "updated_by", "updated_at"]

    def validate_conditions(self, value: Any) -> dict[str, list[Any]]:
        return clean_conditions(value)

    def validate_channels(self, value: Any) -> list[str]:
        return clean_channels(value)


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
        user = request.user
        assert isinstance(user, User)
        rule = services.rule_create(actor=user, data=serializer.validated_data)
        return Response(self.get_serializer(selectors.rule_list().get(pk=rule.pk)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        services.rule_update(rule=rule, actor=user, data=serializer.validated_data)
        return Response(self.get_serializer(selectors.rule_list().get(pk=rule.pk)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        assert isinstance(user, User)
        services.rule_delete(rule=self.get_object(), actor=user)
        return Response(status=status.HTTP_204_NO_CONTENT)
