"""Ticket search over the loaded tickets (docs/benchmark.md, "Search"), run by bench/bench.py as `python -m bench.search`
with the size's Django environment, or by hand against a database loaded with seed_volume.

For one ordinary user (bench-requester, whose visible set is the visibility rule's full OR), it times a search page in
process for a common word (one of seed_volume's 30 ticket words, in about one ticket in ten) and a rare one (written
into ten tickets' descriptions here, their documents refreshed), three ways:

- full-text, queries: the list's search as the API runs it (tickets.search over the visible tickets: the GIN-indexed
  document, the count, a page of 25 by rank, and its highlights, one query);
- substring, queries: the search of before issue 17 (icontains over key, title and description, DRF's SearchFilter,
  newest first): the count and a page of 25;
- full-text, endpoint: GET /api/v1/tickets/?search=... in process (DRF view, prefetches, serializer, JSON), for what a
  client waits beyond the queries.

It prints one JSON object: per word and way, the matches, p50 and p95 in milliseconds over --runs runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Q, QuerySet, Value  # noqa: E402
from django.db.models.functions import Concat  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from permissions.selectors import visible_tickets  # noqa: E402
from tickets.models import Ticket, TicketVisibility  # noqa: E402
from tickets.search import RANK_ORDERING, document_refresh, highlights_of, parse, search_tickets  # noqa: E402
from tickets.selectors import ticket_list  # noqa: E402

COMMON = "printer"
RARE = "zeppelinvalve"
RARE_TICKETS = 10
PAGE = 25


@transaction.atomic
def plant_rare_word() -> None:
    """The rare word in the descriptions of ten internal tickets spread over the table (idempotent)."""
    if Ticket.objects.filter(description__contains=RARE).exists():
        return
    internal = Ticket.objects.filter(visibility=TicketVisibility.INTERNAL).order_by("id")
    total = internal.count()
    ids = [internal.values_list("id", flat=True)[k * total // RARE_TICKETS] for k in range(RARE_TICKETS)]
    Ticket.objects.filter(id__in=ids).update(description=Concat("description", Value(f" The {RARE} leaks.")))
    document_refresh(ticket_ids=ids)


def substring(user: User, word: str) -> tuple[int, list[Ticket]]:
    """DRF's SearchFilter over key, title and description as the list had it: count, then the newest page."""
    found: QuerySet[Ticket] = visible_tickets(user).filter(
        Q(key__icontains=word) | Q(title__icontains=word) | Q(description__icontains=word)
    )
    return found.count(), list(found.order_by("-created_at", "-id")[:PAGE])


def full_text(user: User, word: str) -> tuple[int, list[Ticket]]:
    found = search_tickets(ticket_list(user=user), parse(word)).order_by(*RANK_ORDERING, "-id")
    return found.count(), list(found[:PAGE])


def timed(runs: int, call: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    for _ in range(3):
        outcome = call()
    latencies = []
    for _ in range(runs):
        started = time.perf_counter()
        outcome = call()
        latencies.append((time.perf_counter() - started) * 1000)
    ordered = sorted(latencies)
    figures = {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
    }
    return outcome, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=60, help="Timed runs per word and way (default 60).")
    args = parser.parse_args()
    plant_rare_word()
    user = User.objects.get(username="bench-requester")
    client = APIClient(SERVER_NAME="localhost")
    client.force_authenticate(user=user)

    def endpoint(word: str) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get("/api/v1/tickets/", {"search": word, "page_size": str(PAGE)})
            assert response.status_code == 200, response.content[:300]
            return response.json()

        return call

    words: dict[str, Any] = {}
    for kind, word in (("common", COMMON), ("rare", RARE)):
        (count, page), indexed = timed(args.runs, partial(full_text, user, word))
        (old_count, _), scanned = timed(args.runs, partial(substring, user, word))
        body, served = timed(args.runs, endpoint(word))
        highlighted = sum(1 for ticket in page if highlights_of(ticket))
        words[kind] = {
            "word": word,
            "full_text": {"matches": count, "page_rows_highlighted": highlighted, **indexed},
            "substring": {"matches": old_count, **scanned},
            "endpoint": {"matches": body["count"], **served},
        }
    print(json.dumps({"tickets": Ticket.objects.count(), "user": user.username, "runs": args.runs, "words": words}))


if __name__ == "__main__":
    main()
