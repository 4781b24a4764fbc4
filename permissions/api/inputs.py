"""Input serializers of the permissions API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User

from ticketsite.api.fields import StrictCharField, StrictPrimaryKeyRelatedField
from ticketsite.api.serializers import StrictInputSerializer
from ticketsite.limits import REMARK_MAX_LENGTH
from ticketsite.services import require_user_xor_role


class GrantInputSerializer(StrictInputSerializer):
    user = StrictPrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    role = StrictPrimaryKeyRelatedField(queryset=Group.objects.all(), required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        require_user_xor_role(attrs.get("user"), attrs.get("role"))
        return attrs


class AccessRequestInputSerializer(StrictInputSerializer):
    reason = StrictCharField(max_length=REMARK_MAX_LENGTH)


class DecisionInputSerializer(StrictInputSerializer):
    comment = StrictCharField(max_length=REMARK_MAX_LENGTH, required=False, allow_blank=True, default="")
