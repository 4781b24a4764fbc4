"""Barrier-aligned threads for the PostgreSQL race tests: the calls start together, each on its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def responses_at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in parallel threads, released together by a barrier; return their responses in order."""
    barrier = threading.Barrier(len(calls))
    responses: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            responses[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def at_once(*calls: Callable[[], Any]) -> list[int | None]:
    """As responses_at_once, but only the HTTP status codes (None for a call that raised)."""
    return [getattr(response, "status_code", None) for response in responses_at_once(*calls)]


def approval_events(ticket: Any) -> list[str]:
    return list(ticket.notes.filter(event_type__startswith="approval").order_by("id").values_list("event_type", flat=True))
