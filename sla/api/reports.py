"""`GET /api/v1/sla/compliance/?month=YYYY-MM`: the service-level compliance report (sla.reports) as JSON, for the
same people and over the same visible tickets as the workspace's report page (docs/workspace/service-levels.md).

Its query and answer serializers live here with the view: the report is read-only and has no other client."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sla.reports import MONTH_HELP, REPORT_REFUSED, current_month, parse_month, sla_compliance
from tickets.statemachine import works_the_desk
from ticketsite.api.fields import StrictCharField


class ComplianceQuerySerializer(serializers.Serializer):
    """The query string: `month` (YYYY-MM), this month when left out."""

    month = StrictCharField(required=False, max_length=7)

    def validate_month(self, value: str) -> Any:
        month = parse_month(value)
        if month is None:
            raise serializers.ValidationError(MONTH_HELP, code="invalid")
        return month


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2026-12"})
class MonthField(serializers.DateField):
    """A month, as YYYY-MM (held as its first day)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m", **kwargs)


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
    month = MonthField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    policies = PolicyComplianceSerializer(many=True)


class MayReadCompliance(BasePermission):
    message = REPORT_REFUSED

    def has_permission(self, request: Request, view: APIView) -> bool:
        return works_the_desk(request.user)


# A comment, not a docstring: drf-spectacular would publish a docstring as the operation's description.
# Agents and holders of tickets.view_all_tickets (tickets.statemachine.works_the_desk); anyone else 403. The query's
# refusals are declared for the schema: a query serializer is not one drf-standardized-errors finds by itself.
@extend_validation_errors(["blank", "invalid", "max_length"], field_name="month", methods=["get"])
class ComplianceReportView(APIView):
    permission_classes = [IsAuthenticated, MayReadCompliance]

    @extend_schema(
        operation_id="sla_compliance_retrieve",
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM; default: this month.")],
        responses=ComplianceReportSerializer,
        description="Service-level targets met and breached per policy in a month, over the tickets the caller may "
        "see (agents and auditors).",
    )
    def get(self, request: Request) -> Response:
        query = ComplianceQuerySerializer(
            data={key: request.query_params[key] for key in ("month",) if key in request.query_params}
        )
        query.is_valid(raise_exception=True)
        month = query.validated_data.get("month") or current_month()
        return Response(ComplianceReportSerializer(sla_compliance(user=request.user, month=month)).data)
