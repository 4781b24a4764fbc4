"""Reads of service levels: calendars and policies for the API and admin, the policy a ticket matches, and a model
calendar turned into the arithmetic's `Calendar` (sla.business_time)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from django.db.models import Prefetch, QuerySet

from sla.business_time import Calendar
from sla.models import BusinessCalendar, BusinessHours, CalendarDay, SlaPolicy
from tickets.models import Ticket

# A policy without a calendar, when no calendar is the default: the clock runs round the clock, in UTC.
ROUND_THE_CLOCK = Calendar(time_zone=ZoneInfo("UTC"), weekly={weekday: [(time(0), time(0))] for weekday in range(7)})


def calendars() -> QuerySet[BusinessCalendar]:
    """Calendars with their weekly hours and dates, as the API renders them."""
    return BusinessCalendar.objects.prefetch_related(
        Prefetch("hours", queryset=BusinessHours.objects.order_by("weekday", "start", "id")),
        Prefetch("days", queryset=CalendarDay.objects.order_by("date", "start", "id")),
    ).order_by("name", "id")


def policies() -> QuerySet[SlaPolicy]:
    """Policies in the order they are tried, with their conditions, as the API renders them."""
    return SlaPolicy.objects.prefetch_related("categories", "templates").order_by("order", "id")


def default_calendar() -> BusinessCalendar | None:
    return calendars().filter(is_default=True).first()


@dataclass(frozen=True)
class _ClosedDates:
    """Closed local dates: the calendar's own closed days and its country's public holidays (expanded lazily, a year at
    a time, by the holidays package)."""

    own: frozenset[date]
    public: Any  # holidays.HolidayBase, or None

    def __contains__(self, day: object) -> bool:
        return day in self.own or (self.public is not None and day in self.public)


@functools.lru_cache(maxsize=64)
def public_holidays(country: str, subdivision: str = "") -> Any:
    """The holidays package's calendar of `country` (and `subdivision`), or None without a country. One per process:
    every clock event builds its calendar, and the package computes a year's holidays at its first use."""
    if not country:
        return None
    return holidays.country_holidays(country, subdiv=subdivision or None)


def arithmetic_calendar(calendar: BusinessCalendar) -> Calendar:
    """The model calendar as the arithmetic reads it; reads `hours` and `days` (prefetch them for many calendars)."""
    weekly: dict[int, list[tuple[time, time]]] = {}
    for hours in calendar.hours.all():
        weekly.setdefault(hours.weekday, []).append((hours.start, hours.end))
    closed: set[date] = set()
    special: dict[date, list[tuple[time, time]]] = {}
    for day in calendar.days.all():
        if day.start is None or day.end is None:
            closed.add(day.date)
        else:
            special.setdefault(day.date, []).append((day.start, day.end))
    return Calendar(
        time_zone=ZoneInfo(calendar.time_zone),
        weekly=weekly,
        closed_dates=_ClosedDates(
            own=frozenset(closed), public=public_holidays(calendar.holiday_country, calendar.holiday_subdivision)
        ),
        special_days=special,
    )


def calendar_of(policy: SlaPolicy, *, default: BusinessCalendar | None = None) -> Calendar:
    """The calendar `policy` counts in: its own, else the default calendar (`default`, when the caller read it
    already), else round the clock."""
    if policy.calendar_id is not None:
        return arithmetic_calendar(policy.calendar)  # type: ignore[arg-type]
    found = default if default is not None else default_calendar()
    return arithmetic_calendar(found) if found is not None else ROUND_THE_CLOCK


def policy_matches(policy: SlaPolicy, *, priority: str, category_ids: Iterable[int], template_id: int | None) -> bool:
    """Every condition the policy sets holds (an empty one holds for every ticket); reads the prefetched conditions."""
    if policy.priorities and priority not in policy.priorities:
        return False
    wanted_categories = {category.pk for category in policy.categories.all()}
    if wanted_categories and not wanted_categories & set(category_ids):
        return False
    wanted_templates = {template.pk for template in policy.templates.all()}
    return not wanted_templates or template_id in wanted_templates


def matching_policy(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy, in order, whose conditions the ticket meets (one query without policies; with some,
    three more: their categories and templates, the ticket's categories)."""
    candidates = list(policies().filter(is_active=True).select_related("calendar"))
    if not candidates:
        return None
    category_ids = list(ticket.categories.values_list("pk", flat=True))
    for policy in candidates:
        if policy_matches(policy, priority=ticket.priority, category_ids=category_ids, template_id=ticket.template_id):
            return policy
    return None
