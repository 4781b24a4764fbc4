"""Ticket exports through the API (reports/api.py, `/api/v1/exports/...` once routed): the CSV and the XLSX read back
cell by cell for tickets with custom fields, only visible tickets (and only their templates' columns), the list API's
filters and their refusals, the background path for large exports, and the query count."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
from django.test import override_settings
from rest_framework.test import APIRequestFactory, force_authenticate

from notifications.models import Notification
from permissions import services as permission_services
from reports import api
from reports.exports import FIXED_COLUMNS
from reports.models import ExportStatus, TicketExport
from reports.services import EXPORT_READY
from tests.factories import UserFactory
from tickets.models import Ticket, TicketPriority, TicketStatus, TicketVisibility
from tickets.tests.factories import CategoryFactory, LabelFactory, TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db

LAPTOP_SCHEMA = {"type": "object", "properties": {"cpu": {"type": "string"}, "ram": {"type": "integer"}, "extras": {}}}
CREATED = datetime(2026, 11, 3, 14, 30, 5, tzinfo=UTC)
CUSTOM_HEADERS = ["Access request: system", "Laptop request: cpu", "Laptop request: ram", "Laptop request: extras"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def shop():
    requester, assignee, carol = UserFactory(username="alice"), UserFactory(username="bob"), UserFactory(username="carol")
    laptop = TicketTemplateFactory(name="Laptop request", custom_fields_schema=LAPTOP_SCHEMA)
    access = TicketTemplateFactory(name="Access request", custom_fields_schema={"properties": {"system": {}}})
    secret = TicketTemplateFactory(name="Merger paperwork", custom_fields_schema={"properties": {"target": {}}})
    laptop_ticket = TicketFactory(
        key="TCK-1",
        title="New laptop",
        description="Mine is slow",
        status=TicketStatus.OPEN,
        priority=TicketPriority.HIGH,
        template=laptop,
        custom_fields={"cpu": "=SUM(A1)", "ram": 16, "extras": ["dock", "bag"]},
        created_by=requester,
        assignee=assignee,
        categories=[CategoryFactory(name="Software"), CategoryFactory(name="Hardware")],
        labels=[LabelFactory(name="vip")],
    )
    access_ticket = TicketFactory(
        key="TCK-2",
        title="SAP access",
        status=TicketStatus.DRAFT,
        template=access,
        custom_fields={"system": "SAP"},
        created_by=requester,
    )
    plain = TicketFactory(key="TCK-3", title="Printer jam", status=TicketStatus.OPEN, created_by=requester)
    hidden = TicketFactory(
        key="TCK-4",
        title="Merger plan",
        status=TicketStatus.OPEN,
        visibility=TicketVisibility.RESTRICTED,
        template=secret,
        custom_fields={"target": "ACME"},
        created_by=carol,
    )
    Ticket.objects.filter(pk__in=[laptop_ticket.pk, access_ticket.pk, plain.pk, hidden.pk]).update(
        created_at=CREATED, updated_at=CREATED
    )
    return {"requester": requester, "carol": carol, "outsider": UserFactory(username="outsider"), "hidden": hidden}


def call(view: Any, user: Any, path: str = "/api/v1/exports/tickets/", **params: Any) -> Any:
    request = APIRequestFactory().get(path, params)
    if user is not None:
        force_authenticate(request, user=user)
    response = view.as_view()(request, **params.pop("kwargs", {})) if "kwargs" in params else view.as_view()(request)
    if hasattr(response, "render"):
        response.render()
    return response


def content_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response: Any) -> list[list[str]]:
    return rows_of(content_of(response))


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_csv_has_a_column_per_custom_field_of_the_templates_present(shop):
    response = call(api.TicketExportView, shop["requester"], format="csv", ordering="key")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tickets-')
    assert response["Cache-Control"] == "private, no-store"
    content = content_of(response)
    assert content.startswith("\ufeff".encode())
    header, *rows = rows_of(content)
    assert header == [name for name, _ in FIXED_COLUMNS] + CUSTOM_HEADERS
    stamp = "2026-11-03T14:30:05+00:00"
    assert rows == [
        ["TCK-1", "New laptop", "Mine is slow", "open", "high", "internal", "Laptop request", "alice", "bob",
         "Hardware; Software", "vip", stamp, stamp, "", "", "", "", "", "'=SUM(A1)", "16", '["dock", "bag"]'],
        ["TCK-2", "SAP access", "Something needs doing.", "draft", "medium", "internal", "Access request", "alice", "",
         "", "", stamp, stamp, "", "", "", "", "SAP", "", "", ""],
        ["TCK-3", "Printer jam", "Something needs doing.", "open", "medium", "internal", "", "alice", "",
         "", "", stamp, stamp, "", "", "", "", "", "", "", ""],
    ]  # fmt: skip


def test_the_xlsx_holds_the_same_cells_typed(shop):
    response = call(api.TicketExportView, shop["requester"], format="xlsx", ordering="key", status="open")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(content_of(response)))["Tickets"]
    header, laptop, plain = sheet.iter_rows()
    assert [cell.value for cell in header] == [name for name, _ in FIXED_COLUMNS] + [
        "Laptop request: cpu",
        "Laptop request: ram",
        "Laptop request: extras",
    ]
    assert [cell.value for cell in laptop] == [
        "TCK-1", "New laptop", "Mine is slow", "open", "high", "internal", "Laptop request", "alice", "bob",
        "Hardware; Software", "vip", datetime(2026, 11, 3, 14, 30, 5), datetime(2026, 11, 3, 14, 30, 5), None, None, None,
        None, "=SUM(A1)", 16, '["dock", "bag"]',
    ]  # fmt: skip
    cpu = laptop[len(FIXED_COLUMNS)]
    assert cpu.data_type == "s"  # text, not a formula
    assert [cell.value for cell in plain][:2] == ["TCK-3", "Printer jam"]


def test_a_restricted_ticket_and_its_template_never_reach_an_outsider(shop):
    outsider = shop["outsider"]

    text = content_of(call(api.TicketExportView, outsider, format="csv")).decode()

    assert "TCK-4" not in text and "Merger" not in text and "ACME" not in text
    permission_services.grant_create(ticket=shop["hidden"], actor=shop["carol"], user=outsider)
    granted = csv_rows(call(api.TicketExportView, outsider, format="csv", visibility="restricted"))
    assert granted[0][-1] == "Merger paperwork: target"
    assert [row[0] for row in granted[1:]] == ["TCK-4"]
    assert granted[1][-1] == "ACME"


def test_the_list_filters_apply(shop):
    rows = csv_rows(call(api.TicketExportView, shop["requester"], format="csv", status=["draft", "open"], priority="medium"))

    assert sorted(row[0] for row in rows[1:]) == ["TCK-2", "TCK-3"]


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"format": "pdf"}, "format"),
        ({"status": "bogus"}, "status"),
        ({"created_after": "soon"}, "created_after"),
        ({"mine": "yes"}, "mine"),
    ],
)
def test_bad_parameters_are_a_validation_error_naming_them(params, attr, shop):
    response = call(api.TicketExportView, shop["requester"], **params)

    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["type"] == "validation_error"
    assert body["errors"][0]["attr"] == attr


def test_a_stranger_is_unauthenticated(shop):
    response = call(api.TicketExportView, None, format="csv")

    assert response.status_code == 401
    assert json.loads(response.content)["errors"][0]["code"] == "not_authenticated"


@pytest.mark.parametrize("more", [0, 30])
def test_the_export_reads_a_fixed_number_of_queries(more, shop, django_assert_num_queries):
    """COUNT, the templates' columns, then the tickets with their categories and labels: whatever their number."""
    for _ in range(more):
        TicketFactory(status=TicketStatus.OPEN, categories=[CategoryFactory()], labels=[LabelFactory()])
    requester = shop["requester"]
    call(api.TicketExportView, requester, format="csv")  # the caller's permissions, looked up once

    with django_assert_num_queries(5):
        rows = csv_rows(call(api.TicketExportView, requester, format="csv"))

    assert len(rows) == 1 + 3 + more


@override_settings(EXPORT_STREAM_MAX_ROWS=2)
def test_a_large_export_is_written_in_the_background_for_its_requester(shop, django_capture_on_commit_callbacks):
    requester = shop["requester"]

    with django_capture_on_commit_callbacks(execute=True):
        response = call(api.TicketExportView, requester, format="xlsx", ordering="key")

    assert response.status_code == 202
    export = TicketExport.objects.get(pk=json.loads(response.content)["id"])
    assert (export.status, export.row_count, export.requester) == (ExportStatus.DONE, 3, requester)
    assert export.parameters == {"query": {"ordering": ["key"]}, "base": None}
    notice = Notification.objects.get(recipient=requester, event_type=EXPORT_READY)
    assert notice.message == "Your Excel workbook (XLSX) export of 3 tickets is ready to download from Reports."
    status = json.loads(
        call(api.ExportDetailView, requester, f"/api/v1/exports/{export.pk}/", kwargs={"pk": str(export.pk)}).content
    )
    assert (status["status"], status["row_count"], status["format"]) == ("done", 3, "xlsx")
    download = call(api.ExportDownloadView, requester, f"/api/v1/exports/{export.pk}/download/", kwargs={"pk": str(export.pk)})
    sheet = openpyxl.load_workbook(io.BytesIO(content_of(download)))["Tickets"]
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["Key", "TCK-1", "TCK-2", "TCK-3"]


@override_settings(EXPORT_STREAM_MAX_ROWS=2)
def test_someone_elses_export_does_not_exist(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export_id = json.loads(call(api.TicketExportView, shop["requester"], format="csv").content)["id"]

    for view in (api.ExportDetailView, api.ExportDownloadView):
        response = call(view, shop["outsider"], kwargs={"pk": str(export_id)})
        assert response.status_code == 404
        assert json.loads(response.content)["errors"][0]["code"] == "not_found"


@override_settings(EXPORT_STREAM_MAX_ROWS=2)
def test_an_export_not_written_yet_is_a_conflict(shop):
    export_id = json.loads(call(api.TicketExportView, shop["requester"], format="csv").content)["id"]  # not committed: no task

    response = call(api.ExportDownloadView, shop["requester"], kwargs={"pk": str(export_id)})

    assert response.status_code == 409
    assert json.loads(response.content)["errors"][0]["code"] == "export_not_ready"
