"""Leak hunt of the reports and exports in the workspace (and the API's export and report views): the dashboard, the
ticket export (CSV and XLSX, any queue, filter or search) and a background export's download, by each person who cannot
see the hidden ticket. Nothing of it appears, no figure counts it, and someone who sees every ticket finds it (the
control)."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.test import Client

from reports import selectors
from reports.models import ExportStatus, TicketExport
from reports.periods import period_from
from tests.factories import UserFactory
from tests.test_leak_hunt import COLUMNS, KEY, MARKER, SEARCH, TITLE, World, text_of
from workspace.tests.leak import hunt

pytestmark = pytest.mark.django_db

HUNTED: dict[str, dict[str, str]] = {"reports": {}, "ticket-export": {}, "export-download": {"pk": "export"}}
EXPORT_QUERIES = [
    {},
    {"format": "xlsx"},
    {"format": "csv", "q": SEARCH},
    {"format": "csv", "q": KEY},
    {"format": "csv", "status": "waiting_approval", "visibility": "restricted", "priority": "urgent"},
    {"format": "csv", "queue": "all", "ordering": "-priority"},
    {"format": "csv", "queue": "waiting-approval"},
    {"format": "xlsx", "search": "Merger plan"},
]


@pytest.fixture(scope="module")
def report_world(world: World, django_db_blocker) -> World:
    """The hidden ticket's creator has a background export of it, finished: its id is what the hunt asks for."""
    with django_db_blocker.unblock():
        export = TicketExport(
            requester=world.ticket.created_by,
            file_format="csv",
            status=ExportStatus.DONE,
            row_count=1,
            created_by=world.ticket.created_by,
        )
        export.file.save("secret.csv", ContentFile(f"Key,Title\r\n{KEY},{TITLE}\r\n".encode()), save=False)
        export.save()
    world.ids["export"] = export.pk
    return world


def test_no_report_or_export_page_shows_the_hidden_ticket(report_world):
    for params in [{}, {"start": "2020-01-01"}, {"start": "bad"}]:
        hunt(report_world, "reports", {}, query=urlencode(params))
    for params in EXPORT_QUERIES:
        hunt(report_world, "ticket-export", {}, query=urlencode(params))
    hunt(report_world, "export-download", {"pk": "export"}, expect_404=True)


@pytest.mark.parametrize("column", COLUMNS)
def test_no_figure_counts_the_hidden_ticket(column, report_world):
    person = report_world.people[column]
    period = period_from(start=None, end=None)

    backlog = selectors.backlog(user=person)
    cycle = selectors.approval_cycle(user=person, period=period)

    assert (backlog.total, backlog.by_priority[0].count) == (1, 0)  # the printer jam; the hidden ticket is urgent
    assert [bucket.count for bucket in backlog.by_status] == [0, 1, 0]
    assert (cycle.by_template, cycle.by_step) == ([], [])
    assert selectors.approver_workload(user=person) == []
    assert sum(week.created for week in selectors.created_and_resolved(user=person, period=period)) == 1


@pytest.mark.parametrize("column", COLUMNS)
def test_no_export_holds_the_hidden_tickets_columns(column, report_world):
    client = Client()
    client.force_login(report_world.people[column])

    csv = b"".join(client.get("/exports/tickets/", {"format": "csv"}).streaming_content).decode()
    workbook = client.get("/exports/tickets/", {"format": "xlsx"})
    cells = [
        cell
        for row in openpyxl.load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active.iter_rows(values_only=True)
        for cell in row
    ]

    assert "cost_centre" not in csv and MARKER not in csv
    assert "Printer jam" in csv
    assert not any(isinstance(cell, str) and ("cost_centre" in cell or MARKER in cell) for cell in cells)


def test_the_hunt_would_find_the_ticket_where_it_is_visible(report_world):
    """The control: someone who sees every ticket gets it in the export and the figures."""
    auditor = UserFactory(perms=["tickets.view_all_tickets"])
    client = Client()
    client.force_login(auditor)

    text = text_of(client.get("/exports/tickets/", {"format": "csv"}))

    assert KEY in text and TITLE in text and "cost_centre" in text
    assert selectors.backlog(user=auditor).total == 2
    assert len(selectors.approver_workload(user=auditor)) == 2  # the running step's role and user slots
    assert client.get(f"/exports/{report_world.ids['export']}/download/").status_code == 404  # not the auditor's own
