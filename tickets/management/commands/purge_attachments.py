"""Retention: remove the bytes and the row of attachments deleted more than N days ago. Safe to run from cron."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Sum
from django.utils import timezone

from tickets.selectors_attachments import attachments_due_for_purge
from tickets.services.attachments import attachment_purge


class Command(BaseCommand):
    help = (
        "Purge (hard delete, file and row) attachments soft-deleted more than --older-than-days days ago "
        "(default ATTACHMENT_RETENTION_DAYS). Live attachments and recently deleted ones are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=settings.ATTACHMENT_RETENTION_DAYS,
            help=f"Days since the soft delete (default ATTACHMENT_RETENTION_DAYS, {settings.ATTACHMENT_RETENTION_DAYS}).",
        )
        parser.add_argument("--batch-size", type=int, default=500, help="Attachments fetched per round (default 500).")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be purged.")

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["older_than_days"]
        if days < 0:
            raise CommandError("--older-than-days must be zero or more.")
        cutoff = timezone.now() - timedelta(days=days)
        due = attachments_due_for_purge(deleted_before=cutoff)
        if options["dry_run"]:
            totals = due.aggregate(count=Count("id"), size=Sum("size", default=0))
            self.stdout.write(
                f"{totals['count']} attachment(s), {totals['size']} byte(s), would be purged "
                f"(deleted before {cutoff.isoformat()})."
            )
            return
        purged = purged_bytes = skipped = 0
        last_id = 0
        while True:
            # Keyset batches, one transaction per attachment: a long run holds no long locks.
            batch = list(due.filter(id__gt=last_id)[: options["batch_size"]])
            if not batch:
                break
            for attachment in batch:
                last_id = attachment.pk
                if attachment_purge(attachment=attachment, deleted_before=cutoff):
                    purged += 1
                    purged_bytes += attachment.size
                else:
                    skipped += 1  # restored since the batch was read
        self.stdout.write(
            self.style.SUCCESS(
                f"Purged {purged} attachment(s), {purged_bytes} byte(s), deleted before {cutoff.isoformat()}; "
                f"skipped {skipped}."
            )
        )
