"""Reports and exports over HTTP (docs/reports.md): `/api/v1/reports/...` (figures over the caller's visible tickets)
and `/api/v1/exports/...` (the ticket list as CSV or XLSX). Read-only: query serializers in, answer serializers out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import selectors, services
from reports.exports import CONTENT_TYPES, export_tickets
from reports.models import ExportFormat
from reports.periods import Period, period_from
from reports.responses import export_response, stored_export_response
from tickets.statemachine import works_the_desk
from ticketsite.api.errors import client_error_response

DESK_ONLY = "This report is for agents and auditors."


class MayReadDeskReports(BasePermission):
    """Reports about people (who has approvals waiting) are for those who work the desk (tickets.statemachine)."""

    message = DESK_ONLY

    def has_permission(self, request: Request, view: APIView) -> bool:
        return works_the_desk(request.user)


# --- queries ---------------------------------------------------------------------------------------------------------


class PeriodQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day (YYYY-MM-DD); default: twelve ISO weeks ago.")
    end = serializers.DateField(required=False, help_text="Last day, included (YYYY-MM-DD); default: today.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {"period": period_from(start=attrs.get("start"), end=attrs.get("end"))}


PERIOD_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day; default: the Monday twelve ISO weeks ago."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included; default: today."),
]


def period_of(request: Request) -> Period:
    query = PeriodQuerySerializer(
        data={key: request.query_params[key] for key in ("start", "end") if key in request.query_params}
    )
    query.is_valid(raise_exception=True)
    period: Period = query.validated_data["period"]
    return period


# --- answers ---------------------------------------------------------------------------------------------------------


class StatusCountSerializer(serializers.Serializer):
    status = serializers.CharField(source="key")
    name = serializers.CharField(source="label")
    count = serializers.IntegerField()


class PriorityCountSerializer(serializers.Serializer):
    priority = serializers.CharField(source="key")
    name = serializers.CharField(source="label")
    count = serializers.IntegerField()


class CategoryCountSerializer(serializers.Serializer):
    category = serializers.IntegerField(source="key", allow_null=True, help_text="null: tickets without a category.")
    name = serializers.CharField(source="label")
    count = serializers.IntegerField()


class BacklogSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Open work: tickets waiting for approval, open or in progress.")
    by_status = StatusCountSerializer(many=True)
    by_priority = PriorityCountSerializer(many=True)
    by_category = CategoryCountSerializer(many=True, help_text="A ticket counts in each of its categories.")


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class WeekSerializer(serializers.Serializer):
    week = serializers.CharField(source="label", help_text="ISO week, e.g. 2026-W48.")
    starts_on = serializers.DateField(source="week", help_text="Its Monday.")
    created = serializers.IntegerField()
    resolved = serializers.IntegerField()


class ThroughputSerializer(PeriodSerializer):
    weeks = WeekSerializer(many=True)


class DurationFiguresSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    median_seconds = serializers.FloatField()
    p90_seconds = serializers.FloatField()


class CategoryDurationsSerializer(DurationFiguresSerializer):
    category = serializers.IntegerField(source="key", allow_null=True)
    name = serializers.CharField(source="label")


class TemplateDurationsSerializer(DurationFiguresSerializer):
    template = serializers.IntegerField(source="key", allow_null=True)
    name = serializers.CharField(source="label")


class TimeToResolveSerializer(PeriodSerializer):
    by_category = CategoryDurationsSerializer(many=True)
    by_template = TemplateDurationsSerializer(many=True)


class ApprovalTemplateDurationsSerializer(DurationFiguresSerializer):
    approval_template = serializers.IntegerField(source="key", allow_null=True, help_text="null: a template removed.")
    name = serializers.CharField(source="label")


class StepDurationsSerializer(DurationFiguresSerializer):
    approval_template = serializers.IntegerField(source="key", allow_null=True)
    template_name = serializers.CharField(source="template_label")
    order = serializers.IntegerField()
    name = serializers.CharField(source="label")


class ApprovalCycleSerializer(PeriodSerializer):
    by_template = ApprovalTemplateDurationsSerializer(many=True)
    by_step = StepDurationsSerializer(many=True)


class ApproverLoadSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id", allow_null=True)
    role = serializers.IntegerField(source="role_id", allow_null=True, help_text="A role slot: any member may act.")
    name = serializers.CharField(source="label")
    pending = serializers.IntegerField()
    oldest_since = serializers.DateTimeField(allow_null=True, help_text="When the oldest pending slot's step started.")


class ApproverWorkloadSerializer(serializers.Serializer):
    approvers = ApproverLoadSerializer(many=True)


ExportNotReadyResponseSerializer = client_error_response(
    "ExportNotReady",
    doc="409: the export is still being written.",
    code=serializers.CharField(help_text="export_not_ready"),
)


class TicketExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    format = serializers.CharField(source="file_format")
    status = serializers.CharField()
    row_count = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


# --- views -----------------------------------------------------------------------------------------------------------
# Comments, not docstrings: drf-spectacular would publish a docstring as the operation's description.

PERIOD_ERRORS = extend_validation_errors(["invalid"], field_name="start", methods=["get"])
END_ERRORS = extend_validation_errors(["invalid"], field_name="end", methods=["get"])


class BacklogView(APIView):
    @extend_schema(operation_id="reports_backlog", responses=BacklogSerializer)
    def get(self, request: Request) -> Response:
        return Response(BacklogSerializer(selectors.backlog(user=request.user)).data)


@PERIOD_ERRORS
@END_ERRORS
class ThroughputView(APIView):
    @extend_schema(operation_id="reports_created_resolved", parameters=PERIOD_PARAMETERS, responses=ThroughputSerializer)
    def get(self, request: Request) -> Response:
        period = period_of(request)
        weeks = selectors.created_and_resolved(user=request.user, period=period)
        return Response(ThroughputSerializer({"start": period.start, "end": period.end, "weeks": weeks}).data)


@PERIOD_ERRORS
@END_ERRORS
class TimeToResolveView(APIView):
    @extend_schema(
        operation_id="reports_time_to_resolve",
        parameters=PERIOD_PARAMETERS,
        responses=TimeToResolveSerializer,
    )
    def get(self, request: Request) -> Response:
        period = period_of(request)
        report = {
            "start": period.start,
            "end": period.end,
            "by_category": selectors.time_to_resolve_by_category(user=request.user, period=period),
            "by_template": selectors.time_to_resolve_by_template(user=request.user, period=period),
        }
        return Response(TimeToResolveSerializer(report).data)


@PERIOD_ERRORS
@END_ERRORS
class ApprovalCycleView(APIView):
    @extend_schema(operation_id="reports_approval_cycle", parameters=PERIOD_PARAMETERS, responses=ApprovalCycleSerializer)
    def get(self, request: Request) -> Response:
        period = period_of(request)
        cycle = selectors.approval_cycle(user=request.user, period=period)
        report = {"start": period.start, "end": period.end, "by_template": cycle.by_template, "by_step": cycle.by_step}
        return Response(ApprovalCycleSerializer(report).data)


# Agents and holders of tickets.view_all_tickets; anyone else 403.
class ApproverWorkloadView(APIView):
    permission_classes = [IsAuthenticated, MayReadDeskReports]

    @extend_schema(operation_id="reports_approver_workload", responses=ApproverWorkloadSerializer)
    def get(self, request: Request) -> Response:
        return Response(ApproverWorkloadSerializer({"approvers": selectors.approver_workload(user=request.user)}).data)


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ExportFormat.choices, required=False, default=ExportFormat.CSV)


class QueryFormatIsTheFile(DefaultContentNegotiation):
    """`?format=` names the export's file format here, not a renderer: answers that are not the file are JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


CSV_FILE = OpenApiResponse(OpenApiTypes.STR, description="The tickets as CSV (UTF-8 with a byte order mark), as an attachment.")
XLSX_FILE = OpenApiResponse(OpenApiTypes.BINARY, description="The tickets as an XLSX workbook, as an attachment.")
FILES = {(200, CONTENT_TYPES[ExportFormat.CSV].split(";")[0]): CSV_FILE, (200, CONTENT_TYPES[ExportFormat.XLSX]): XLSX_FILE}


@extend_validation_errors(["invalid_choice"], field_name="format", methods=["get"])
class TicketExportView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = QueryFormatIsTheFile

    @extend_schema(
        operation_id="exports_tickets",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=ExportFormat.values, description="csv (default) or xlsx."),
            OpenApiParameter(
                "filters",
                OpenApiTypes.OBJECT,
                style="form",
                explode=True,
                description="Any filter, `search` and `ordering` of GET /api/v1/tickets/.",
            ),
        ],
        responses={**FILES, (202, "application/json"): TicketExportSerializer},
    )
    def get(self, request: Request) -> Any:
        # Every visible ticket the list would give for the same parameters, as a file; more than
        # EXPORT_STREAM_MAX_ROWS: 202 with the export that a background task writes (the requester is notified).
        query = ExportQuerySerializer(
            data={key: request.query_params[key] for key in ("format",) if key in request.query_params}
        )
        query.is_valid(raise_exception=True)
        file_format = query.validated_data["format"]
        tickets = export_tickets(user=request.user, query=request.query_params)
        if tickets.count() <= services.export_stream_limit():
            return export_response(tickets, file_format)
        export = services.export_start(user=request.user, file_format=file_format, query=request.query_params)
        return Response(TicketExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailView(APIView):
    @extend_schema(operation_id="exports_retrieve", responses=TicketExportSerializer)
    def get(self, request: Request, pk: str) -> Response:
        # One of the caller's own background exports; anyone else's is a 404.
        return Response(TicketExportSerializer(selectors.export_get(user=request.user, export_id=pk)).data)


class ExportDownloadView(APIView):
    renderer_classes = [JSONRenderer]

    @extend_schema(operation_id="exports_download", responses={**FILES, 409: ExportNotReadyResponseSerializer})
    def get(self, request: Request, pk: str) -> Any:
        # The file of one of the caller's own finished exports; not finished yet: 409 export_not_ready.
        return stored_export_response(selectors.ready_export_get(user=request.user, export_id=pk))
