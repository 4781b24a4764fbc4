"""Output serializers of the approvals API. They read only what the selectors prefetch."""

from __future__ import annotations

from rest_framework import serializers

from approvals.models import (
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    ApprovalTemplate,
    ApprovalTemplateStep,
    ApprovalTemplateStepApprover,
    Delegation,
)

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


# --- delegations ---------------------------------------------------------------------------------------------------


class DelegationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Delegation
        fields = ["id", "delegator", "delegate", "starts_at", "ends_at", "reason", *AUDIT_OUTPUT]
        read_only_fields = fields
