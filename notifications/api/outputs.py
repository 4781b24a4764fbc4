"""Output serializers of the notifications API (the rule serializer, which also reads input, is in `inputs`)."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from notifications.models import Notification, NotificationEvent


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


class EmailPreferenceSerializer(serializers.Serializer):
    """Whether the caller wants e-mails about one event type (the in-app inbox is the rules' alone)."""

    event_type = serializers.ChoiceField(choices=NotificationEvent.choices, read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field, popped by the metaclass
    email = serializers.BooleanField(read_only=True)


def email_preference_rows(preferences: dict[str, bool]) -> list[dict[str, object]]:
    return [
        {"event_type": event_type, "label": str(NotificationEvent(event_type).label), "email": email}
        for event_type, email in preferences.items()
    ]
