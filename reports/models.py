"""Ticket exports too large to stream in one request, written by a background task for the person who asked
(docs/reports.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ticketsite.models import AuditedModel


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel workbook (XLSX)"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Waiting to run"
    DONE = "done", "Ready"


class TicketExport(AuditedModel):
    """One export asked for: the ticket list's parameters as given, run later with the visibility its requester has
    then; the file lands in the default storage, readable only by the requester."""

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ticket_exports")
    file_format = models.CharField(max_length=8, choices=ExportFormat.choices)
    # Filter sets applied one after the other (each a TicketFilter query as {name: [values]}), then search and ordering.
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    file = models.FileField(upload_to="exports/", max_length=255, blank=True, default="")
    row_count = models.PositiveIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ticket_exports"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requester", "-created_at"], name="ticket_exports_requester_idx")]

    def __str__(self) -> str:
        return f"{self.get_file_format_display()} export #{self.pk} for {self.requester.username}"
