"""Background tasks (Django's Tasks framework). Tasks only call services."""

from __future__ import annotations

from django.tasks import task

from reports import services


@task()
def run_ticket_export(export_id: int) -> int | None:
    """Write a large export's file and tell its requester; the number of tickets written."""
    return services.export_run(export_id=export_id).row_count
