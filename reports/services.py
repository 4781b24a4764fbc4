"""Exports too large for one request (docs/reports.md): asked for now, written by a background task, told to the
requester by an in-app notification, downloaded by the requester alone."""

from __future__ import annotations

import tempfile
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from notifications.models import Notification
from reports.exports import as_query, export_parameters, export_tickets, file_name, write_csv, write_xlsx
from reports.models import ExportFormat, ExportStatus, TicketExport

# Not a rule-driven event (notifications.models.NotificationEvent): the one person who asked is told, whatever the rules.
EXPORT_READY = "export_ready"


def export_stream_limit() -> int:
    """Exports of more tickets than this run in the background (settings.EXPORT_STREAM_MAX_ROWS, default 5,000)."""
    return int(settings.EXPORT_STREAM_MAX_ROWS)


@transaction.atomic
def export_start(*, user: Any, file_format: str, query: QueryDict, base: QueryDict | None = None) -> TicketExport:
    """Record the export asked for and run it in the background once this transaction commits. The parameters are
    checked now (the same 400 as the list API's) and run again, with the requester's visibility then, by the task."""
    export_tickets(user=user, query=query, base=base)
    export = TicketExport(
        requester=user,
        file_format=ExportFormat(file_format),
        parameters={"query": export_parameters(query), "base": export_parameters(base) if base is not None else None},
    )
    export.stamp(user, created=True)
    export.save()
    transaction.on_commit(lambda: _enqueue(export.pk))
    return export


def _enqueue(export_id: int) -> None:
    from reports.tasks import run_ticket_export  # the task module imports this one

    run_ticket_export.enqueue(export_id=export_id)


@transaction.atomic
def export_run(*, export_id: int) -> TicketExport:
    """Write the file of a pending export into the default storage and notify its requester. An export already done is
    left as it is (a task run twice writes once)."""
    export = TicketExport.objects.select_for_update().select_related("requester").get(pk=export_id)
    if export.status != ExportStatus.PENDING:
        return export
    parameters: dict[str, Any] = export.parameters
    base = parameters.get("base")
    tickets = export_tickets(
        user=export.requester,
        query=as_query(parameters.get("query") or {}),
        base=as_query(base) if base is not None else None,
    )
    writer = write_xlsx if export.file_format == ExportFormat.XLSX else write_csv
    with tempfile.TemporaryFile() as spool:
        export.row_count = writer(tickets, spool)
        spool.seek(0)
        export.file.save(file_name(export.file_format), File(spool), save=False)
    export.status = ExportStatus.DONE
    export.finished_at = timezone.now()
    export.save(update_fields=["row_count", "file", "status", "finished_at", *export.stamp(None)])
    notice = Notification(
        recipient=export.requester,
        event_type=EXPORT_READY,
        message=f"Your {export.get_file_format_display()} export of {export.row_count} tickets is ready to download "
        "from Reports.",
    )
    notice.stamp(None, created=True)
    notice.save()
    return export
