"""Close tickets that stayed resolved for N days (SPEC §4: "the system after N days"). Safe to run from cron."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from tickets.models import Ticket, TicketStatus
from tickets.services.tickets import ticket_system_transition
from ticketsite.errors import DomainConflict


class Command(BaseCommand):
    help = "Close resolved tickets whose resolution is older than --days days, as the system (no actor)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="Age of the resolution in days (default 7).")
        parser.add_argument("--batch-size", type=int, default=500, help="Tickets fetched per round (default 500).")
        parser.add_argument("--dry-run", action="store_true", help="Only count the tickets that would be closed.")

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["days"]
        if days < 0:
            self.stderr.write("--days must be zero or more.")
            raise SystemExit(2)
        cutoff = timezone.now() - timedelta(days=days)
        due = Ticket.objects.filter(status=TicketStatus.RESOLVED, resolved_at__lt=cutoff).order_by("id")
        if options["dry_run"]:
            self.stdout.write(f"{due.count()} resolved ticket(s) would be closed (resolved before {cutoff.isoformat()}).")
            return
        comment = f"Closed automatically: resolved for more than {days} day(s)."
        closed = skipped = 0
        last_id = 0
        while True:
            # Keyset batches: each ticket is transitioned in its own transaction, so a long run holds no long locks.
            batch = list(due.filter(id__gt=last_id)[: options["batch_size"]])
            if not batch:
                break
            for ticket in batch:
                last_id = ticket.pk
                try:
                    ticket_system_transition(ticket=ticket, to_status=TicketStatus.CLOSED, actor=None, comment=comment)
                except DomainConflict:
                    # Reopened (or closed) by someone between our read and the row lock: leave it alone.
                    skipped += 1
                    continue
                closed += 1
        self.stdout.write(
            self.style.SUCCESS(f"Closed {closed} ticket(s) resolved before {cutoff.isoformat()}; skipped {skipped}.")
        )
