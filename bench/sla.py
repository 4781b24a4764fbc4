"""`sla_tick` over the loaded tickets (docs/benchmark.md, "Service levels"), run by bench/bench.py as
`python -m bench.sla` with the size's Django environment.

seed_volume loads tickets as they were before service levels were configured: none has a clock. This gives every
ticket under way (open, in progress) the clock it would have had: a Monday-Friday 09:00-18:00 calendar and one policy
(4 business hours to the first response, 3 business days to resolution) made through the sla services, and a clock
that has run since a moment spread over the last five days, due for `sla_tick` now. Then it times two ticks, in
process, with their queries counted:

- the first looks at every clock (the worst case: as after a calendar edit marks them all due) and records each
  warning and breach that came due;
- the second finds nothing due (the steady state of a tick run every minute).

It prints one JSON object.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import time as clock_time
from datetime import timedelta
from typing import Any

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from sla.models import TicketClock  # noqa: E402
from sla.services.clocks import sla_tick  # noqa: E402
from sla.services.configuration import calendar_create, policy_create  # noqa: E402
from tickets.models import EventType, SlaStatus, Ticket, TicketNote, TicketStatus  # noqa: E402

UNDER_WAY = [TicketStatus.OPEN, TicketStatus.IN_PROGRESS]
SPREAD = timedelta(days=5)


@transaction.atomic
def start_clocks(now: Any) -> int:
    admin = User.objects.filter(is_superuser=True).order_by("id").first()
    hours = [{"weekday": day, "start": clock_time(9), "end": clock_time(18)} for day in range(5)]
    calendar = calendar_create(actor=admin, name="Bench office hours", hours=hours, is_default=True)
    policy = policy_create(
        actor=admin, name="Bench standard", calendar=calendar, first_response_minutes=4 * 60, resolution_minutes=3 * 9 * 60
    )
    ids = list(Ticket.objects.filter(status__in=UNDER_WAY).values_list("id", flat=True))
    Ticket.objects.filter(id__in=ids).update(sla_policy=policy, sla_status=SlaStatus.OK)
    rng = random.Random(16)
    TicketClock.objects.bulk_create(
        (TicketClock(ticket_id=pk, running_since=now - SPREAD * rng.random(), next_check_at=now) for pk in ids),
        batch_size=5000,
    )
    return len(ids)


def timed_tick() -> dict[str, Any]:
    events = TicketNote.objects.filter(event_type__in=[EventType.SLA_WARNING, EventType.SLA_BREACHED])
    before = events.count()
    queries = 0

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        # A counter, not Django's query log: that keeps the last 9,000 queries only.
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        looked_at = sla_tick()
        seconds = time.perf_counter() - started
    return {"looked_at": looked_at, "events": events.count() - before, "seconds": round(seconds, 2), "queries": queries}


def main() -> None:
    clocks = start_clocks(timezone.now())
    first = timed_tick()
    second = timed_tick()
    print(json.dumps({"tickets": Ticket.objects.count(), "clocks": clocks, "first": first, "second": second}))


if __name__ == "__main__":
    main()
