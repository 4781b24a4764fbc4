"""Input serializers of the notifications API. A rule is read back through the serializer that wrote it (one
`NotificationRule` component in the schema, as the contract names it)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from notifications.models import Channel, NotificationEvent, NotificationRule
from notifications.services import RULE_FIELDS
from notifications.validators import clean_channels, clean_conditions
from ticketsite.api.fields import StrictPrimaryKeyRelatedField
from ticketsite.api.serializers import StrictInputModelSerializer, StrictInputSerializer


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


class NotificationRuleSerializer(StrictInputModelSerializer):
    users = StrictPrimaryKeyRelatedField(many=True, queryset=User.objects.all(), required=False)
    roles = StrictPrimaryKeyRelatedField(many=True, queryset=Group.objects.all(), required=False)
    conditions = serializers.JSONField(
        required=False, help_text='{"categories": [ids], "priorities": [values], "templates": [ids]}, all optional.'
    )
    channels = ChannelsField(choices=Channel.choices, required=False, allow_empty=False, help_text="in_app and/or email.")

    class Meta:
        model = NotificationRule
        fields = ["id", *RULE_FIELDS, "created_by", "created_at", "updated_by", "updated_at"]
        read_only_fields = ["created_by", "created_at", "updated_by", "updated_at"]

    def validate_conditions(self, value: Any) -> dict[str, list[Any]]:
        return clean_conditions(value)

    def validate_channels(self, value: Any) -> list[str]:
        return clean_channels(value)


class StrictBooleanField(serializers.BooleanField):
    """true or false, nothing that merely reads as one ("yes", 1, "on"): a preference is a switch."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


# E-mail on (true) or off (false) per event type; the event types not named keep their setting. One optional field per
# event type, so an unknown one is refused by name (400).
EmailPreferencesInput = type(
    "EmailPreferencesInput",
    (StrictInputSerializer,),
    {
        event_type: StrictBooleanField(required=False, help_text=f"E-mails about: {label}.")
        for event_type, label in NotificationEvent.choices
    },
)
