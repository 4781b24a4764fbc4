"""Service-level compliance per policy and month (SPEC §15, §16), inside the caller's visible set. A pure read.

A target's outcome counts in the month it became known (docs/workspace/service-levels.md):

- **met**: completed in the month (first response: `first_responded_at`; resolution: `resolved_at`, which a reopen
  clears) with no breach recorded on the ticket's clock;
- **breached**: a breach recorded on the clock (`TicketClock.response_breached` / `resolution_breached`) whose due time
  fell in the month: a target is breached at the moment its due time passes. A ticket paused after its breach has no
  due time until its clock runs again, and counts then.

A ticket counts under the policy it runs against now (`Ticket.sla_policy`). The median time to first response is in
business minutes (`TicketClock.response_used`, frozen at the response), over the month's first responses; it is
computed in Python from one column of those rows (a month of first responses, integers), the same on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from sla.models import SlaPolicy
from tickets.models import Ticket
from tickets.selectors import ticket_list

# Who reads the report is tickets.statemachine.works_the_desk: agents, and holders of view_all_tickets (auditors,
# managers), each over the tickets they may see.
REPORT_REFUSED = "The service-level report is for agents and auditors."
MONTH_FORMAT = re.compile(r"^(\d{4})-(\d{2})\Z", re.ASCII)
MONTH_HELP = "Give the month as YYYY-MM, e.g. 2026-12."


def parse_month(value: str) -> date | None:
    """`YYYY-MM` as the first day of that month; None for anything else (the callers answer 400 with MONTH_HELP)."""
    found = MONTH_FORMAT.match(value)
    if found is None:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    # A year before 2 has no previous month to link to; 9999 no next one.
    return date(year, month, 1) if 1 <= month <= 12 and 2 <= year <= 9998 else None


def current_month() -> date:
    today = timezone.localdate()
    return today.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month as [start, end) in the site's time zone (settings.TIME_ZONE)."""
    zone = timezone.get_default_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    following = next_month(month)
    return start, datetime(following.year, following.month, 1, tzinfo=zone)


@dataclass(frozen=True)
class TargetFigures:
    met: int
    breached: int

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def met_percent(self) -> int | None:
        """The share met, rounded down (so 99.9 % is not shown as 100 %); None without outcomes."""
        return self.met * 100 // self.total if self.total else None


@dataclass(frozen=True)
class PolicyCompliance:
    policy_id: int
    policy_name: str
    is_active: bool
    first_response: TargetFigures
    resolution: TargetFigures
    first_responses: int  # how many first responses the median is taken over
    median_first_response_minutes: float | None  # business minutes


@dataclass(frozen=True)
class ComplianceReport:
    month: date
    start: datetime
    end: datetime
    policies: list[PolicyCompliance]


def _within(field: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _counts(tickets: QuerySet[Ticket], start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    """Met and breached per policy and target, one grouped query over the tickets with an outcome in the month."""
    responded, response_due = _within("first_responded_at", start, end), _within("first_response_due_at", start, end)
    resolved, resolution_due = _within("resolved_at", start, end), _within("resolution_due_at", start, end)
    names = ("response_met", "response_breached", "resolution_met", "resolution_breached")
    rows = (
        tickets.filter(sla_policy__isnull=False)
        .filter(responded | response_due | resolved | resolution_due)
        .order_by()
        .values("sla_policy")
        .annotate(
            response_met=Count("pk", filter=responded & Q(sla_clock__response_breached=False)),
            response_breached=Count("pk", filter=response_due & Q(sla_clock__response_breached=True)),
            resolution_met=Count("pk", filter=resolved & Q(sla_clock__resolution_breached=False)),
            resolution_breached=Count("pk", filter=resolution_due & Q(sla_clock__resolution_breached=True)),
        )
        .values_list("sla_policy", *names)
    )
    return {policy_id: dict(zip(names, numbers, strict=True)) for policy_id, *numbers in rows}


def _response_minutes(tickets: QuerySet[Ticket], start: datetime, end: datetime) -> dict[int, list[int]]:
    """Business minutes to each first response of the month, per policy (one query, two integer columns)."""
    minutes: dict[int, list[int]] = defaultdict(list)
    rows = (
        tickets.filter(sla_policy__isnull=False, sla_clock__isnull=False)
        .filter(_within("first_responded_at", start, end))
        .order_by()
        .values_list("sla_policy", "sla_clock__response_used")
    )
    for policy_id, used in rows.iterator(chunk_size=2000):
        minutes[policy_id].append(used)
    return minutes


def sla_compliance(*, user: Any, month: date) -> ComplianceReport:
    """Compliance of each policy in `month`, over the tickets `user` may see: every active policy (zeros included) and
    every other policy with an outcome in the month. Three queries, whatever the number of tickets."""
    start, end = month_bounds(month)
    # The visibility rule (tickets.selectors -> permissions.selectors); the list's prefetching is of no use here.
    visible = ticket_list(user=user).prefetch_related(None)
    counts = _counts(visible, start, end)
    minutes = _response_minutes(visible, start, end)
    policies = SlaPolicy.all_objects.filter(Q(pk__in=[*counts, *minutes]) | Q(is_deleted=False, is_active=True)).order_by(
        "order", "id"
    )
    report = []
    for policy in policies:
        figures = counts.get(policy.pk, {})
        sample = minutes.get(policy.pk, [])
        report.append(
            PolicyCompliance(
                policy_id=policy.pk,
                policy_name=policy.name,
                is_active=policy.is_active and not policy.is_deleted,
                first_response=TargetFigures(figures.get("response_met", 0), figures.get("response_breached", 0)),
                resolution=TargetFigures(figures.get("resolution_met", 0), figures.get("resolution_breached", 0)),
                first_responses=len(sample),
                median_first_response_minutes=statistics.median(sample) if sample else None,
            )
        )
    return ComplianceReport(month=month, start=start, end=end, policies=report)
