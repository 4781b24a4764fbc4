"""Input serializers of the approvals API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from rest_framework import serializers

from approvals.models import ApprovalType
from ticketsite.api.fields import StrictCharField, StrictIntegerField, StrictPrimaryKeyRelatedField
from ticketsite.api.serializers import StrictInputSerializer
from ticketsite.limits import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, REMARK_MAX_LENGTH
from ticketsite.services import require_user_xor_role

# --- slots ---------------------------------------------------------------------------------------------------------


class ApproveSerializer(StrictInputSerializer):
    comment = StrictCharField(required=False, allow_blank=True, default="", max_length=REMARK_MAX_LENGTH)


class RejectSerializer(StrictInputSerializer):
    comment = StrictCharField(
        allow_blank=False, max_length=REMARK_MAX_LENGTH, help_text="Required: why the ticket is rejected."
    )


# --- templates -----------------------------------------------------------------------------------------------------


class ApproverInputSerializer(StrictInputSerializer):
    user = StrictPrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    role = StrictPrimaryKeyRelatedField(queryset=Group.objects.all(), required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        require_user_xor_role(attrs.get("user"), attrs.get("role"))
        return attrs


class StepInputSerializer(StrictInputSerializer):
    id = StrictIntegerField(required=False, help_text="An existing step of this template, to keep it (updates).")
    name = StrictCharField(max_length=NAME_MAX_LENGTH)
    order = StrictIntegerField(min_value=1, max_value=32767)
    approval_type = serializers.ChoiceField(choices=ApprovalType.choices, default=ApprovalType.ALL)
    approvers = ApproverInputSerializer(many=True, allow_empty=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A PATCH makes nested fields optional too; a step given at all is given whole.
        missing = [name for name in ("name", "order", "approvers") if name not in attrs]
        if missing:
            raise serializers.ValidationError({name: ["This field is required."] for name in missing}, code="required")
        return attrs


class TemplateInputSerializer(StrictInputSerializer):
    name = StrictCharField(max_length=NAME_MAX_LENGTH)
    description = StrictCharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, default="")
    steps = StepInputSerializer(many=True, allow_empty=False)


# --- delegations ---------------------------------------------------------------------------------------------------


class DelegationCreateSerializer(StrictInputSerializer):
    delegator = StrictPrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        help_text="Defaults to the caller; naming someone else needs approvals.add_delegation.",
    )
    delegate = StrictPrimaryKeyRelatedField(queryset=User.objects.all())
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = StrictCharField(max_length=REMARK_MAX_LENGTH, required=False, allow_blank=True, default="")


class DelegationUpdateSerializer(StrictInputSerializer):
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False, help_text="Set to now to end the delegation early.")
    reason = StrictCharField(max_length=REMARK_MAX_LENGTH, required=False, allow_blank=True)
