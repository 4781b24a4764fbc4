"""The reports' figures (SPEC §16, docs/reports.md), every one over the tickets the caller may see
(permissions.selectors.visible_tickets). Pure reads, a fixed number of grouped queries each, whatever the number of
tickets.

Durations (time to resolve, approval cycle time) are medians and 90th percentiles with linear interpolation between
the nearest values, as PostgreSQL's `percentile_cont` computes them: there the database aggregates; SQLite has no
percentile, so one query brings each group's two timestamps and Python interpolates the same way.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connections
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncWeek

from approvals.models import (
    ApprovalProcess,
    ApprovalProcessStep,
    ApprovalProcessStepApprover,
    ProcessStatus,
    SlotStatus,
    StepStatus,
)
from permissions.selectors import parse_pk, visible_tickets
from reports.models import ExportStatus, TicketExport
from reports.periods import Period
from tickets.models import EventType, Ticket, TicketNote, TicketPriority, TicketStatus
from ticketsite.errors import DomainConflict, DomainNotFound

# Open work: submitted and not yet resolved (waiting for approval, open, in progress). Drafts are not submitted; a
# rejected ticket is back with its requester; resolved ones are done unless reopened.
OPEN_WORK: tuple[str, ...] = (TicketStatus.WAITING_APPROVAL, TicketStatus.OPEN, TicketStatus.IN_PROGRESS)
NO_CATEGORY = "No category"
NO_TEMPLATE = "No template"
NO_APPROVAL_TEMPLATE = "Template removed"
PERCENTILES = (0.5, 0.9)


# --- shapes ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """One bar: a value of the dimension (a status, priority, category id; None for "none"), its words, its count."""

    key: str | int | None
    label: str
    count: int


@dataclass(frozen=True)
class Backlog:
    total: int
    by_status: list[Bucket]
    by_priority: list[Bucket]
    by_category: list[Bucket]  # a ticket counts in each of its categories


@dataclass(frozen=True)
class Week:
    week: date  # its Monday
    created: int
    resolved: int

    @property
    def label(self) -> str:
        year, number, _ = self.week.isocalendar()
        return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class Durations:
    """How long something took in one group: how many, the median and the 90th percentile, in seconds."""

    key: Any
    label: str
    count: int
    median_seconds: float
    p90_seconds: float


@dataclass(frozen=True)
class StepDurations(Durations):
    template_label: str
    order: int


@dataclass(frozen=True)
class ApprovalCycle:
    by_template: list[Durations]
    by_step: list[StepDurations]


@dataclass(frozen=True)
class ApproverLoad:
    """Pending slots of active steps waiting on one approver: a person, or a role (any member may act)."""

    user_id: int | None
    role_id: int | None
    label: str
    pending: int
    oldest_since: datetime | None  # when the oldest of them became actionable (its step started)


# --- helpers ---------------------------------------------------------------------------------------------------------


def _visible_ids(user: Any) -> QuerySet[Any]:
    return visible_tickets(user).order_by().values("pk")


def _within(field: str, period: Period) -> Q:
    start, end = period.bounds()
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _on_postgresql(queryset: QuerySet[Any]) -> bool:
    return connections[queryset.db].vendor == "postgresql"


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the `fraction` percentile of a duration, interpolated."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression: Any, *, fraction: float) -> None:
        super().__init__(expression, fraction=float(fraction), output_field=DurationField())


def percentile(ordered: list[float], fraction: float) -> float:
    """percentile_cont over sorted values: linear interpolation between the two nearest ranks."""
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# A group's values (an id and a name first), how many rows, the median and the 90th percentile in seconds.
type GroupDurations = tuple[tuple[Any, ...], int, float, float]


def _durations(rows: QuerySet[Any], group: tuple[str, ...], start: str, end: str) -> list[GroupDurations]:
    """The durations (`end - start`) of `rows` per `group`: aggregated by PostgreSQL, or fetched and interpolated here
    on SQLite (one query either way)."""
    if _on_postgresql(rows):
        duration = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
        aggregated = (
            rows.order_by()
            .values_list(*group)
            .annotate(
                n=Count("pk"),
                median=PercentileCont(duration, fraction=PERCENTILES[0]),
                p90=PercentileCont(duration, fraction=PERCENTILES[1]),
            )
        )
        results = [
            (tuple(values[: len(group)]), values[-3], values[-2].total_seconds(), values[-1].total_seconds())
            for values in aggregated
        ]
    else:
        samples: dict[tuple[Any, ...], list[float]] = defaultdict(list)
        for *values, started, finished in rows.order_by().values_list(*group, start, end).iterator(chunk_size=5000):
            samples[tuple(values)].append((finished - started).total_seconds())
        results = []
        for key, seconds in samples.items():
            seconds.sort()
            results.append((key, len(seconds), percentile(seconds, PERCENTILES[0]), percentile(seconds, PERCENTILES[1])))
    return results


def _named(groups: list[GroupDurations], unnamed: str) -> list[Durations]:
    """Per (id, name) group, the name standing for a missing one (no category, a template removed); largest first."""
    named = [Durations(key[0], key[1] or unnamed, count, median, p90) for key, count, median, p90 in groups]
    return sorted(named, key=lambda durations: (-durations.count, durations.label.lower()))


# --- backlog ---------------------------------------------------------------------------------------------------------


def _buckets(counted: Iterable[tuple[Any, ...]], order: Iterable[tuple[str, str]]) -> list[Bucket]:
    counts = dict(counted)
    return [Bucket(value, label, counts.get(value, 0)) for value, label in order]


def backlog(*, user: Any) -> Backlog:
    """The open work now, by status, priority and category (three grouped queries)."""
    open_work = visible_tickets(user).filter(status__in=OPEN_WORK).order_by()
    statuses = [(value, str(TicketStatus(value).label)) for value in OPEN_WORK]
    by_status = _buckets(open_work.values_list("status").annotate(n=Count("pk")), statuses)
    urgent_first = [(value, str(label)) for value, label in reversed(TicketPriority.choices)]
    by_priority = _buckets(open_work.values_list("priority").annotate(n=Count("pk")), urgent_first)
    categories = open_work.values_list("categories__id", "categories__name").annotate(n=Count("pk"))
    by_category = sorted(
        (Bucket(pk, name or NO_CATEGORY, n) for pk, name, n in categories),
        key=lambda bucket: (-bucket.count, bucket.key is None, bucket.label.lower()),
    )
    return Backlog(
        total=sum(bucket.count for bucket in by_status),
        by_status=by_status,
        by_priority=by_priority,
        by_category=by_category,
    )


# --- throughput ------------------------------------------------------------------------------------------------------


def _per_week(tickets: QuerySet[Ticket], field: str, period: Period) -> dict[date, int]:
    rows = (
        tickets.filter(_within(field, period))
        .order_by()
        .annotate(week=TruncWeek(field, output_field=DateField()))
        .values_list("week")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def created_and_resolved(*, user: Any, period: Period) -> list[Week]:
    """Tickets created and tickets resolved in each ISO week of the period (two grouped queries). A week the period
    cuts counts only its days inside it; a ticket reopened and not resolved again has no resolution."""
    visible = visible_tickets(user)
    created = _per_week(visible, "created_at", period)
    resolved = _per_week(visible, "resolved_at", period)
    return [Week(monday, created.get(monday, 0), resolved.get(monday, 0)) for monday in period.weeks()]


# --- time to resolve -------------------------------------------------------------------------------------------------


def _resolved_with_start(user: Any, period: Period) -> QuerySet[Ticket]:
    """Tickets resolved in the period (and not reopened since), each with `opened_at`: when it first became open (the
    first status change to `open` on its timeline: submitted, or its approval completed)."""
    first_open = (
        TicketNote.objects.filter(
            ticket=OuterRef("pk"), system=True, event_type=EventType.STATUS_CHANGE, event_details__to=TicketStatus.OPEN
        )
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    return (
        visible_tickets(user)
        .filter(_within("resolved_at", period))
        # A ticket the timeline has no opening for (data from before the timeline) counts from its creation.
        .annotate(opened_at=Coalesce(Subquery(first_open), F("created_at")))
    )


def time_to_resolve_by_category(*, user: Any, period: Period) -> list[Durations]:
    """From first open to resolved, per category of the tickets resolved in the period (a ticket counts in each of its
    categories; those without under "No category")."""
    group = ("categories__id", "categories__name")
    return _named(_durations(_resolved_with_start(user, period), group, "opened_at", "resolved_at"), NO_CATEGORY)


def time_to_resolve_by_template(*, user: Any, period: Period) -> list[Durations]:
    """As by category, per ticket template."""
    group = ("template_id", "template__name")
    return _named(_durations(_resolved_with_start(user, period), group, "opened_at", "resolved_at"), NO_TEMPLATE)


# --- approvals -------------------------------------------------------------------------------------------------------


def approval_cycle(*, user: Any, period: Period) -> ApprovalCycle:
    """How long approvals took, over the processes and steps that finished (approved or rejected; cancelled ones never
    reached a decision) in the period, on visible tickets: a process from its start to its end, per approval template;
    a step from its start to its end, per template and step (two queries)."""
    decided = [ProcessStatus.APPROVED, ProcessStatus.REJECTED]
    processes = ApprovalProcess.objects.filter(
        ticket__in=_visible_ids(user), status__in=decided, finished_at__isnull=False
    ).filter(_within("finished_at", period))
    by_template = _durations(processes, ("template_id", "template__name"), "created_at", "finished_at")
    steps = ApprovalProcessStep.objects.filter(
        process__ticket__in=_visible_ids(user),
        status__in=[StepStatus.APPROVED, StepStatus.REJECTED],
        started_at__isnull=False,
        finished_at__isnull=False,
    ).filter(_within("finished_at", period))
    step_group = ("process__template_id", "process__template__name", "order", "name")
    by_step = _durations(steps, step_group, "started_at", "finished_at")
    return ApprovalCycle(
        by_template=_named(by_template, NO_APPROVAL_TEMPLATE),
        by_step=sorted(
            (
                StepDurations(key[0], key[3], count, median, p90, template_label=key[1] or NO_APPROVAL_TEMPLATE, order=key[2])
                for key, count, median, p90 in by_step
            ),
            key=lambda step: (step.template_label.lower(), step.order, step.label),
        ),
    )


def approver_workload(*, user: Any) -> list[ApproverLoad]:
    """Pending slots of active steps on visible tickets, per approver (a person, or a role whose members share the
    slot), the longest waiting first (one query)."""
    rows = (
        ApprovalProcessStepApprover.objects.filter(
            ticket__in=_visible_ids(user), status=SlotStatus.PENDING, step__status=StepStatus.ACTIVE
        )
        .order_by()
        .values_list("user_id", "user__username", "role_id", "role__name")
        .annotate(pending=Count("pk"), oldest=Min("step__started_at"))
    )
    loads = [
        ApproverLoad(user_id, role_id, username or f"{role_name} (role)", pending, oldest)
        for user_id, username, role_id, role_name, pending, oldest in rows
    ]
    return sorted(
        loads,
        key=lambda load: (load.oldest_since is None, load.oldest_since.timestamp() if load.oldest_since else 0, load.label),
    )


# --- exports ---------------------------------------------------------------------------------------------------------


def export_get(*, user: Any, export_id: Any) -> TicketExport:
    """One export of `user`'s own; anyone else's, or none, is the same 404."""
    export = TicketExport.objects.filter(pk=parse_pk(export_id), requester_id=getattr(user, "pk", None)).first()
    if export is None:
        raise DomainNotFound()
    return export


def exports_of(*, user: Any, limit: int = 10) -> list[TicketExport]:
    """`user`'s latest exports, newest first."""
    return list(TicketExport.objects.filter(requester_id=getattr(user, "pk", None)).order_by("-created_at", "-id")[:limit])


def ready_export_get(*, user: Any, export_id: Any) -> TicketExport:
    """export_get, for its file: one still being written is a 409."""
    export = export_get(user=user, export_id=export_id)
    if export.status != ExportStatus.DONE:
        raise DomainConflict("The export is not ready yet: you will be notified when it is.", code="export_not_ready")
    return export
