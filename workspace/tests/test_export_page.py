"""Exports from the workspace (/exports/tickets/): a queue's tickets with the page's filters, search and sort, read
back cell by cell; only visible tickets; the queue pages' words (q, requester); refusals as pages; the background path
with its notification and the requester-only download."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings

from notifications.models import Notification
from reports.exports import FIXED_COLUMNS
from reports.models import TicketExport
from reports.services import EXPORT_READY
from savedviews.tests.factories import SavedViewFactory
from tests.factories import UserFactory
from tickets.models import Ticket, TicketPriority, TicketStatus, TicketVisibility
from tickets.search import document_refresh
from tickets.tests.factories import TicketFactory, TicketTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def desk():
    alice, agent = UserFactory(username="alice"), UserFactory(username="agent", perms=["tickets.work_on_ticket"])
    laptop = TicketTemplateFactory(
        name="Laptop request", custom_fields_schema={"properties": {"cpu": {"type": "string"}, "ram": {"type": "integer"}}}
    )
    TicketFactory(key="TCK-1", title="New laptop", status=TicketStatus.OPEN, priority=TicketPriority.URGENT, template=laptop,
                  custom_fields={"cpu": "M3", "ram": 32}, created_by=alice)  # fmt: skip
    TicketFactory(key="TCK-2", title="Printer jam", status=TicketStatus.OPEN, priority=TicketPriority.LOW)
    TicketFactory(key="TCK-3", title="Old request", status=TicketStatus.CLOSED, created_by=alice)
    TicketFactory(key="TCK-4", title="Merger plan", status=TicketStatus.OPEN, visibility=TicketVisibility.RESTRICTED)
    return {"alice": alice, "agent": agent}


def rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_a_queue_export_holds_what_the_queue_lists_with_its_custom_fields(desk, page_for):
    client = page_for(desk["agent"])

    header, *tickets = rows(client.get("/exports/tickets/", {"format": "csv", "queue": "open", "ordering": "-priority"}))

    assert header == [name for name, _ in FIXED_COLUMNS] + ["Laptop request: cpu", "Laptop request: ram"]
    assert [(row[0], row[1], row[-2], row[-1]) for row in tickets] == [
        ("TCK-1", "New laptop", "M3", "32"),
        ("TCK-2", "Printer jam", "", ""),
    ]


def test_the_page_words_search_and_requester_narrow_the_queue(desk, page_for):
    client = page_for(desk["agent"])
    document_refresh(ticket_ids=Ticket.objects.values_list("pk", flat=True))  # factories write rows, not search documents

    by_search = rows(client.get("/exports/tickets/", {"format": "csv", "queue": "all", "q": "laptop"}))
    by_requester = rows(client.get("/exports/tickets/", {"format": "csv", "queue": "all", "requester": "alice", "status": ""}))

    assert [row[0] for row in by_search[1:]] == ["TCK-1"]
    assert sorted(row[0] for row in by_requester[1:]) == ["TCK-1", "TCK-3"]


def test_the_xlsx_export_reads_back(desk, page_for):
    response = page_for(desk["alice"]).get(
        "/exports/tickets/", {"format": "xlsx", "creator": desk["alice"].pk, "ordering": "key"}
    )

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Tickets"]
    values = list(sheet.iter_rows(values_only=True))
    assert [(row[0], row[-2], row[-1]) for row in values] == [
        ("Key", "Laptop request: cpu", "Laptop request: ram"),
        ("TCK-1", "M3", 32),
        ("TCK-3", None, None),
    ]


def test_a_restricted_ticket_is_not_exported_to_who_cannot_see_it(desk, page_for):
    text = b"".join(page_for(desk["agent"]).get("/exports/tickets/", {"format": "csv"}).streaming_content).decode()

    assert "TCK-4" not in text and "Merger plan" not in text
    assert "TCK-2" in text


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"format": "pdf"}, 400, "Choose csv or xlsx."),
        ({"status": "bogus"}, 400, "Select a valid choice."),
        ({"requester": "nobody"}, 400, "No one has the username &quot;nobody&quot;."),
        ({"queue": "no-such-queue"}, 404, ""),
    ],
)
def test_refusals_are_pages(params, status, message, desk, page_for):
    response = page_for(desk["agent"]).get("/exports/tickets/", params)

    assert response.status_code == status
    assert message in response.content.decode()


def test_a_desk_queue_is_refused_to_who_does_not_work_the_desk(desk, page_for):
    assert page_for(desk["alice"]).get("/exports/tickets/", {"queue": "open"}).status_code == 403


def test_a_signed_out_visitor_is_sent_to_sign_in(page_for):
    response = page_for(None).get("/exports/tickets/", {"format": "csv"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@override_settings(EXPORT_STREAM_MAX_ROWS=1)
def test_a_large_export_runs_in_the_background_and_only_its_requester_downloads_it(
    desk, page_for, django_capture_on_commit_callbacks
):
    client = page_for(desk["agent"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/exports/tickets/", {"format": "csv", "queue": "open", "ordering": "key"})

    assert (response.status_code, response["Location"]) == (302, "/reports/")
    export = TicketExport.objects.get(requester=desk["agent"])
    assert export.parameters["base"] == {"status": ["open"]}
    assert Notification.objects.filter(recipient=desk["agent"], event_type=EXPORT_READY).count() == 1
    inbox = client.get("/notifications/")
    assert inbox.status_code == 200
    assert "Your CSV export of 2 tickets is ready to download from Reports." in inbox.content.decode()
    reports_page = client.get("/reports/").content.decode()
    assert f'href="/exports/{export.pk}/download/">download (2 tickets)' in reports_page
    assert [row[0] for row in rows(client.get(f"/exports/{export.pk}/download/"))] == ["Key", "TCK-1", "TCK-2"]
    assert page_for(desk["alice"]).get(f"/exports/{export.pk}/download/").status_code == 404
    assert Ticket.objects.count() == 4


def test_a_saved_view_is_exported_for_its_owner_only(desk, page_for):
    view = SavedViewFactory(owner=desk["alice"], filters={"creator": [str(desk["alice"].pk)]}, ordering=["-key"])

    mine = rows(page_for(desk["alice"]).get("/exports/tickets/", {"format": "csv", "queue": view.pk}))

    assert [row[0] for row in mine[1:]] == ["TCK-3", "TCK-1"]  # the view's own sort
    assert page_for(desk["agent"]).get("/exports/tickets/", {"format": "csv", "queue": view.pk}).status_code == 404


def test_the_links_carry_the_queue_and_its_page_query():
    request = RequestFactory().get("/queues/open/", {"status": "open", "q": "printer"})

    html = render_to_string("workspace/reports/_export_links.html", {"export_queue": "open", "request": request})

    assert 'href="/exports/tickets/?format=csv&amp;queue=open&amp;status=open&amp;q=printer"' in html
    assert 'href="/exports/tickets/?format=xlsx&amp;queue=open&amp;status=open&amp;q=printer"' in html
