"""Record the service-level warnings and breaches that came due (SPEC §15). Safe to run from cron as often as wanted
(every minute is fine): each warning and breach is recorded once per target of a ticket."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sla.services.clocks import TICK_BATCH_SIZE, sla_tick


class Command(BaseCommand):
    help = "Write the sla_warning and sla_breached events (timeline and notifications) that came due, as the system."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=TICK_BATCH_SIZE, help=f"Tickets per transaction (default {TICK_BATCH_SIZE})."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            self.stderr.write("--batch-size must be at least 1.")
            raise SystemExit(2)
        looked_at = sla_tick(batch_size=options["batch_size"])
        self.stdout.write(self.style.SUCCESS(f"Looked at {looked_at} ticket clock(s) with something due."))
