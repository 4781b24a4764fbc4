"""Tickets as CSV or XLSX (docs/reports.md, "Export"): which tickets (the ticket list API's own parameters over the
caller's visible set), the columns (fixed ones, then each custom field of the templates present), and the writers.

Rows are read in chunks (a query for the tickets and one per prefetched relation per chunk) and written as they come:
the CSV is streamed, the XLSX built by openpyxl's write-only workbook in a temporary file, so neither holds the export
in memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from rest_framework.request import Request

from reports.models import ExportFormat
from tickets.api.views.tickets import TicketViewSet
from tickets.filters import TicketFilter
from tickets.models import Ticket, TicketTemplate
from tickets.selectors import ticket_rows

CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 1000
# A cell a spreadsheet would read as a formula (OWASP "CSV injection"): the CSV gets a leading apostrophe, the XLSX
# cell is typed as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32_767  # characters Excel holds in one cell
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"


# --- which tickets ---------------------------------------------------------------------------------------------------


def export_tickets(*, user: Any, query: QueryDict, base: QueryDict | None = None) -> QuerySet[Ticket]:
    """The tickets the ticket list API would list for `query` (its filters, `search` and `ordering`, refused alike:
    a 400 naming the parameter), every page of them, over `user`'s visible set; `base` first narrows them by the
    filters of a queue the query refines. Works outside a request too (a task): the API's backends read a request
    rebuilt from the query."""
    http_request = HttpRequest()
    http_request.GET = query  # type: ignore[assignment]  # a QueryDict, as Django gives one
    api_request = Request(http_request)
    api_request.user = user
    view = TicketViewSet(request=api_request, format_kwarg=None, action="list")
    tickets = ticket_rows(user=user).select_related("template")
    if base is not None:
        tickets = TicketFilter(data=base, queryset=tickets, request=api_request).qs
    for backend in view.filter_backends:
        tickets = backend().filter_queryset(api_request, tickets, view)
    return tickets


def export_parameters(query: QueryDict) -> dict[str, list[str]]:
    """What an export job keeps of a query: the list API's parameters only (not the file format, not paging)."""
    names = {*TicketFilter.base_filters, "search", "ordering"}
    return {name: query.getlist(name) for name in sorted(names) if name in query}


def as_query(parameters: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, values in parameters.items():
        query.setlist(name, values)
    return query


# --- columns ---------------------------------------------------------------------------------------------------------


def _names(related: Any) -> str:
    return "; ".join(sorted(item.name for item in related.all()))


def _username(user: User | None) -> str:
    return user.username if user is not None else ""


FIXED_COLUMNS: tuple[tuple[str, Callable[[Ticket], Any]], ...] = (
    ("Key", lambda t: t.key or ""),
    ("Title", lambda t: t.title),
    ("Description", lambda t: t.description),
    ("Status", lambda t: t.status),
    ("Priority", lambda t: t.priority),
    ("Visibility", lambda t: t.visibility),
    ("Template", lambda t: t.template.name if t.template is not None else ""),
    ("Requester", lambda t: _username(t.created_by)),
    ("Assignee", lambda t: _username(t.assignee)),
    ("Categories", lambda t: _names(t.categories)),
    ("Labels", lambda t: _names(t.labels)),
    ("Created", lambda t: t.created_at),
    ("Updated", lambda t: t.updated_at),
    ("Due", lambda t: t.due_at),
    ("Resolved", lambda t: t.resolved_at),
    ("Closed", lambda t: t.closed_at),
    ("Service level", lambda t: t.sla_status or ""),
)


@dataclass(frozen=True)
class CustomColumn:
    template_id: int
    field: str
    header: str


def custom_columns(tickets: QuerySet[Ticket]) -> list[CustomColumn]:
    """One column per custom field of each template the tickets were made from, templates by name, fields in their
    schema's order: "Laptop request: cpu" (one query)."""
    template_ids = tickets.order_by().values("template_id")
    templates = (
        TicketTemplate.all_objects.filter(pk__in=template_ids).order_by("name", "id").only("name", "custom_fields_schema")
    )
    columns = []
    for template in templates:
        schema = template.custom_fields_schema if isinstance(template.custom_fields_schema, dict) else {}
        properties = schema.get("properties")
        for field in properties if isinstance(properties, dict) else {}:
            columns.append(CustomColumn(template.pk, str(field), f"{template.name}: {field}"))
    return columns


def _custom_value(ticket: Ticket, column: CustomColumn) -> Any:
    if ticket.template_id != column.template_id or not isinstance(ticket.custom_fields, dict):
        return None
    value = ticket.custom_fields.get(column.field)
    if value is None or isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return json.dumps(value, ensure_ascii=False)  # true/false, lists and objects as JSON


def header(columns: list[CustomColumn]) -> list[str]:
    return [name for name, _ in FIXED_COLUMNS] + [column.header for column in columns]


def rows(tickets: QuerySet[Ticket], columns: list[CustomColumn]) -> Iterator[list[Any]]:
    """Each ticket's cells, in chunks of CHUNK (the tickets, then their categories and labels, per chunk)."""
    for ticket in tickets.iterator(chunk_size=CHUNK):
        yield [value(ticket) for _, value in FIXED_COLUMNS] + [_custom_value(ticket, column) for column in columns]


# --- writers ---------------------------------------------------------------------------------------------------------


class _Line:
    """A file-like object csv.writer writes one line into, handed back at once."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_lines(tickets: QuerySet[Ticket]) -> Iterator[str]:
    """The export as CSV lines (UTF-8 with a byte order mark, so spreadsheet programs read the accents right)."""
    writer = csv.writer(_Line())
    columns = custom_columns(tickets)
    yield "\ufeff" + writer.writerow(header(columns))
    for cells in rows(tickets, columns):
        yield writer.writerow([_csv_cell(cell) for cell in cells])


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, timezone.localtime(value).replace(tzinfo=None))  # Excel has no time zones
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_CELL_LIMIT])
        cell.data_type = "s"  # text, even when it starts with "="
        return cell
    return value


def write_xlsx(tickets: QuerySet[Ticket], destination: IO[bytes]) -> int:
    """The export as one worksheet, "Tickets", header row first; returns the number of tickets written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Tickets")
    columns = custom_columns(tickets)
    sheet.append(header(columns))
    count = 0
    for cells in rows(tickets, columns):
        sheet.append([_xlsx_cell(sheet, cell) for cell in cells])
        count += 1
    workbook.save(destination)
    return count


def write_csv(tickets: QuerySet[Ticket], destination: IO[bytes]) -> int:
    count = -1  # the header is no ticket
    for line in csv_lines(tickets):
        destination.write(line.encode())
        count += 1
    return count


def file_name(file_format: str, at: datetime | None = None) -> str:
    return f"tickets-{timezone.localtime(at or timezone.now()):%Y%m%d-%H%M}.{file_format}"
