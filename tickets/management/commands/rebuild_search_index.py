"""Rebuild every ticket's search document (docs/search.md): once after installing full-text search on a database that
has tickets, after changing tickets.search.CONFIG, or after loading rows without the services. Safe to run while the
help desk is in use: each batch is its own short transaction, and a document is the same whoever rebuilds it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets.search import documents_rebuild


class Command(BaseCommand):
    help = "Rebuild the full-text search document of every ticket, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000, help="Tickets per transaction (default 2000).")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be positive.")
        done = 0
        for done in documents_rebuild(batch_size=batch_size):
            self.stdout.write(f"rebuild_search_index: {done} tickets", ending="\r" if self.stdout.isatty() else "\n")
        self.stdout.write(self.style.SUCCESS(f"Rebuilt the search documents of {done} tickets."))
