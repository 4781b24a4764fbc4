"""Input and output serializers of the approvals API. Output serializers read only what the selectors prefetch."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from rest_framework import serializers

from approvals.models import (
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    ApprovalTemplate,
    ApprovalTemplateStep,
    ApprovalTemplateStepApprover,
    ApprovalType,
    Delegation,
)
from ticketsite.limits import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, REMARK_MAX_LENGTH

AUDIT_OUTPUT = ["created_by", "created_at", "updated_by", "updated_at"]


# --- slots and processes -------------------------------------------------------------------------------------------


class SlotSerializer(serializers.ModelSerializer):
    step_name = serializers.CharField(source="step.name", read_only=True)
    step_order = serializers.IntegerField(source="step.order", read_only=True)
    step_status = serializers.CharField(source="step.status", read_only=True)
    approval_type = serializers.CharField(source="step.approval_type", read_only=True)

    class Meta:
        model = ApprovalProcessStepApprover
        fields = [
            "id",
            "ticket",
            "process",
            "step",
            "step_name",
            "step_order",
            "step_status",
            "approval_type",
            "user",
            "role",
            "status",
            "acted_by",
            "on_behalf_of",
            "comment",
            "acted_at",
        ]
        read_only_fields = fields


class ProcessStepSerializer(serializers.ModelSerializer):
    approvers = SlotSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalProcessStep
        fields = ["id", "name", "order", "approval_type", "status", "started_at", "finished_at", "approvers"]
        read_only_fields = fields


class ProcessSerializer(serializers.ModelSerializer):
    steps = ProcessStepSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalProcess
        fields = ["id", "ticket", "template", "name", "status", "created_by", "created_at", "finished_at", "steps"]
        read_only_fields = fields


class ApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=REMARK_MAX_LENGTH)


class RejectSerializer(serializers.Serializer):
    comment = serializers.CharField(
        allow_blank=False, max_length=REMARK_MAX_LENGTH, help_text="Required: why the ticket is rejected."
    )


# --- templates -----------------------------------------------------------------------------------------------------


class TemplateApproverSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApprovalTemplateStepApprover
        fields = ["id", "user", "role"]
        read_only_fields = fields


class TemplateStepSerializer(serializers.ModelSerializer):
    approvers = TemplateApproverSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalTemplateStep
        fields = ["id", "name", "order", "approval_type", "approvers"]
        read_only_fields = fields


class TemplateSerializer(serializers.ModelSerializer):
    steps = TemplateStepSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalTemplate
        fields = ["id", "name", "description", "steps", *AUDIT_OUTPUT]
        read_only_fields = fields


class ApproverInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    role = serializers.PrimaryKeyRelatedField(queryset=Group.objects.all(), required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("user") is None) == (attrs.get("role") is None):
            raise serializers.ValidationError("Name exactly one of user or role.", code="user_xor_role")
        return attrs


class StepInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="An existing step of this template, to keep it (updates).")
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    order = serializers.IntegerField(min_value=1, max_value=32767)
    approval_type = serializers.ChoiceField(choices=ApprovalType.choices, default=ApprovalType.ALL)
    approvers = ApproverInputSerializer(many=True, allow_empty=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A PATCH makes nested fields optional too; a step given at all is given whole.
        missing = [name for name in ("name", "order", "approvers") if name not in attrs]
        if missing:
            raise serializers.ValidationError({name: ["This field is required."] for name in missing}, code="required")
        return attrs


class TemplateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, default="")
    steps = StepInputSerializer(many=True, allow_empty=False)


# --- delegations ---------------------------------------------------------------------------------------------------


class DelegationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Delegation
        fields = ["id", "delegator", "delegate", "starts_at", "ends_at", "reason", *AUDIT_OUTPUT]
        read_only_fields = fields


class DelegationCreateSerializer(serializers.Serializer):
    delegator = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        help_text="Defaults to the caller; naming someone else needs approvals.add_delegation.",
    )
    delegate = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=REMARK_MAX_LENGTH, required=False, allow_blank=True, default="")


class DelegationUpdateSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False, help_text="Set to now to end the delegation early.")
    reason = serializers.CharField(max_length=REMARK_MAX_LENGTH, required=False, allow_blank=True)
