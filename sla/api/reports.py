"""`GET /api/v1/sla/compliance/?month=YYYY-MM`: the service-level compliance report (sla.reports) as JSON, for the
same people and over the same visible tickets as the workspace's report page (docs/workspace/service-levels.md).

Its query and answer serializers live here with the view: the report is read-only and has no other client."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sla.reports import MONTH_HELP, current_month, may_read_compliance, parse_month, sla_compliance
from ticketsite.api.fields import StrictCharField


class ComplianceQuerySerializer(serializers.Serializer):
    """The query string: `month` (YYYY-MM), this month when left out."""

    month = StrictCharField(required=False, max_length=7)

    def validate_month(self, value: str) -> Any:
        month = parse_month(value)
        if month is None:
            raise serializers.ValidationError(MONTH_HELP, code="invalid")
        return month


class TargetSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    met_percent = serializers.IntegerField(allow_null=True, help_text="The share met, rounded down; null: no outcome.")


class PolicyComplianceSerializer(serializers.Serializer):
    policy = serializers.IntegerField(source="policy_id")
    policy_name = serializers.CharField()
    is_active = serializers.BooleanField()
    first_response = TargetSerializer()
    resolution = TargetSerializer()
    first_responses = serializers.IntegerField(help_text="How many first responses the median is taken over.")
    median_first_response_minutes = serializers.FloatField(allow_null=True, help_text="Business minutes.")


class ComplianceReportSerializer(serializers.Serializer):
    month = serializers.DateField(format="%Y-%m")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    policies = PolicyComplianceSerializer(many=True)


# A comment, not a docstring: drf-spectacular would publish a docstring as the operation's description.
# Agents and holders of tickets.view_all_tickets (sla.reports.may_read_compliance); anyone else 403.
class ComplianceReportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="sla_compliance_retrieve",
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM; default: this month.")],
        responses=ComplianceReportSerializer,
        description="Service-level targets met and breached per policy in a month, over the tickets the caller may "
        "see (agents and auditors).",
    )
    def get(self, request: Request) -> Response:
        if not may_read_compliance(request.user):
            raise PermissionDenied("The service-level report is for agents and auditors.")
        query = ComplianceQuerySerializer(
            data={key: request.query_params[key] for key in ("month",) if key in request.query_params}
        )
        query.is_valid(raise_exception=True)
        month = query.validated_data.get("month") or current_month()
        return Response(ComplianceReportSerializer(sla_compliance(user=request.user, month=month)).data)
