"""Export files as HTTP answers, for the API and the workspace alike: private, never cached, never rendered."""

from __future__ import annotations

import tempfile

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header

from reports.exports import CONTENT_TYPES, csv_lines, file_name, write_xlsx
from reports.models import ExportFormat, TicketExport
from tickets.models import Ticket


def _private(response: HttpResponseBase, name: str) -> HttpResponseBase:
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def export_response(tickets: QuerySet[Ticket], file_format: str) -> HttpResponseBase:
    """The tickets as a download: CSV streamed line by line as the rows are read; XLSX built in a temporary file (a
    workbook is a ZIP, written whole) and streamed from it."""
    name = file_name(file_format)
    if file_format == ExportFormat.CSV:
        return _private(StreamingHttpResponse(csv_lines(tickets), content_type=CONTENT_TYPES[ExportFormat.CSV]), name)
    spool = tempfile.TemporaryFile()  # noqa: SIM115  # the response closes it (and so removes it) once sent
    write_xlsx(tickets, spool)
    spool.seek(0)
    return _private(FileResponse(spool, content_type=CONTENT_TYPES[ExportFormat.XLSX]), name)


def stored_export_response(export: TicketExport) -> HttpResponseBase:
    """A finished background export's file, as its requester downloads it."""
    content_type = CONTENT_TYPES[ExportFormat(export.file_format)]
    response = FileResponse(export.file.open("rb"), content_type=content_type)
    return _private(response, file_name(export.file_format, export.finished_at))
