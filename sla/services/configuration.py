"""Writes of the service-level configuration: business calendars (with their weekly hours and own dates) and SLA
policies. Admin-managed, like templates: the API, the admin and commands call these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import available_timezones

import holidays
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from sla.models import BusinessCalendar, BusinessHours, CalendarDay, SlaPolicy, TicketClock
from sla.services.clocks import STOPPED_STATUSES
from tickets.models import Category, Ticket, TicketPriority, TicketStatus, TicketTemplate
from ticketsite.errors import DomainConflict, DomainValidationError
from ticketsite.models import Actor
from ticketsite.services import model_update, validate_constraints

CALENDAR_FIELDS = ("name", "time_zone", "holiday_country", "holiday_subdivision", "is_default")
# The fields of a policy a client writes: the API, its output and the admin form list these.
POLICY_FIELDS = (
    "name",
    "order",
    "is_active",
    "calendar",
    "priorities",
    "categories",
    "templates",
    "first_response_minutes",
    "resolution_minutes",
    "warning_percent",
    "pause_statuses",
)
# What a running clock reads of its policy: a change re-targets the tickets under it (conditions do not: a ticket is
# matched again at its own next event).
CLOCK_POLICY_FIELDS = frozenset(
    {"calendar", "first_response_minutes", "resolution_minutes", "warning_percent", "pause_statuses"}
)
# Statuses a policy may pause in: the clock stops by itself in draft and once the ticket is resolved or closed.
PAUSABLE_STATUSES = frozenset(
    {TicketStatus.WAITING_APPROVAL, TicketStatus.REJECTED, TicketStatus.OPEN, TicketStatus.IN_PROGRESS}
)

type HoursData = Mapping[str, Any]  # {"weekday": 0..6, "start": time, "end": time}
type DayData = Mapping[str, Any]  # {"date": date, "name": str, "start": time | None, "end": time | None}


# --- calendars -------------------------------------------------------------------------------------------------------


def check_zone_and_holidays(*, time_zone: str, country: str, subdivision: str) -> None:
    if time_zone not in available_timezones():
        raise DomainValidationError(f"'{time_zone}' is not an IANA time zone.", field="time_zone", code="invalid_choice")
    supported = holidays.list_supported_countries()
    if country and country not in supported:
        raise DomainValidationError(
            f"'{country}' is not a country the holidays package knows.", field="holiday_country", code="invalid_choice"
        )
    if subdivision and (not country or subdivision not in supported[country]):
        raise DomainValidationError(
            f"'{subdivision}' is not a subdivision of '{country}'.", field="holiday_subdivision", code="invalid_choice"
        )


def _check_hours(hours: Sequence[HoursData]) -> None:
    if not hours:
        raise DomainValidationError("A calendar needs working hours on at least one weekday.", field="hours", code="empty")


def _check_days(days: Sequence[DayData]) -> None:
    for item in days:
        start, end = item.get("start"), item.get("end")
        if (start is None) != (end is None):
            raise DomainValidationError(
                "A date has both a start and an end (other hours that day) or neither (closed).", field="days", code="invalid"
            )


def _replace_hours(calendar: BusinessCalendar, hours: Sequence[HoursData], actor: Actor) -> None:
    for old in calendar.hours.all():
        old.soft_delete(actor=actor)
    rows = [BusinessHours(calendar=calendar, weekday=item["weekday"], start=item["start"], end=item["end"]) for item in hours]
    for row in rows:
        row.stamp(actor, created=True)
    BusinessHours.objects.bulk_create(rows)


def _replace_days(calendar: BusinessCalendar, days: Sequence[DayData], actor: Actor) -> None:
    for old in calendar.days.all():
        old.soft_delete(actor=actor)
    rows = [
        CalendarDay(
            calendar=calendar, date=item["date"], name=item.get("name", ""), start=item.get("start"), end=item.get("end")
        )
        for item in days
    ]
    for row in rows:
        row.stamp(actor, created=True)
    CalendarDay.objects.bulk_create(rows)


def take_default(calendar: BusinessCalendar, actor: Actor) -> None:
    """`calendar` becomes the one default: the previous default gives it up (in the same transaction)."""
    for previous in BusinessCalendar.objects.select_for_update().filter(is_default=True).exclude(pk=calendar.pk):
        model_update(instance=previous, fields=["is_default"], data={"is_default": False}, actor=actor)


@transaction.atomic
def calendar_create(
    *,
    actor: Actor,
    name: str,
    hours: Sequence[HoursData],
    time_zone: str = "UTC",
    holiday_country: str = "",
    holiday_subdivision: str = "",
    is_default: bool = False,
    days: Sequence[DayData] = (),
) -> BusinessCalendar:
    """A new calendar. The first calendar is the default whatever `is_default` says: there is always one."""
    check_zone_and_holidays(time_zone=time_zone, country=holiday_country, subdivision=holiday_subdivision)
    _check_hours(hours)
    _check_days(days)
    is_default = is_default or not BusinessCalendar.objects.filter(is_default=True).exists()
    calendar = BusinessCalendar(
        name=name,
        time_zone=time_zone,
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
        is_default=is_default,
    )
    if is_default:
        take_default(calendar, actor)
    validate_constraints(calendar)
    calendar.stamp(actor, created=True)
    calendar.save()
    _replace_hours(calendar, hours, actor)
    _replace_days(calendar, days, actor)
    if is_default:  # policies without a calendar count in this one now
        recheck_clocks(SlaPolicy.all_objects.filter(calendar__isnull=True))
    return calendar


@transaction.atomic
def calendar_update(*, calendar: BusinessCalendar, actor: Actor, data: Mapping[str, Any]) -> BusinessCalendar:
    """Change the fields given; `hours` and `days`, when given, replace the whole list. The due times of the tickets
    counting in it follow at the next `sla_tick` (docs/service-levels.md)."""
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    check_zone_and_holidays(
        time_zone=data.get("time_zone", calendar.time_zone),
        country=data.get("holiday_country", calendar.holiday_country),
        subdivision=data.get("holiday_subdivision", calendar.holiday_subdivision),
    )
    if data.get("is_default") is False and calendar.is_default:
        raise DomainValidationError(
            "There is always one default calendar: make another calendar the default instead.",
            field="is_default",
            code="invalid",
        )
    if data.get("is_default") and not calendar.is_default:
        take_default(calendar, actor)
    calendar, changed = model_update(instance=calendar, fields=CALENDAR_FIELDS, data=data, actor=actor)
    if "hours" in data:
        _check_hours(data["hours"])
        _replace_hours(calendar, data["hours"], actor)
    if "days" in data:
        _check_days(data["days"])
        _replace_days(calendar, data["days"], actor)
    if not changed and ("hours" in data or "days" in data):
        calendar.save(update_fields=calendar.stamp(actor))
    if changed or "hours" in data or "days" in data:
        # Policies without a calendar count in the default one, which this may have become.
        counting_here = Q(calendar=calendar) | Q(calendar__isnull=True) if calendar.is_default else Q(calendar=calendar)
        recheck_clocks(SlaPolicy.all_objects.filter(counting_here))
    return calendar


@transaction.atomic
def calendar_delete(*, calendar: BusinessCalendar, actor: Actor) -> None:
    """Soft delete; refused (409) for the default calendar and for one a live policy counts in."""
    if calendar.is_default:
        raise DomainConflict("This is the default calendar: make another calendar the default first.", code="in_use")
    policies = SlaPolicy.objects.filter(calendar=calendar).count()
    if policies:
        raise DomainConflict(f"{policies} SLA policy(ies) count in this calendar; change them first.", code="in_use")
    calendar.soft_delete(actor=actor)


# --- policies --------------------------------------------------------------------------------------------------------


def _check_policy(*, priorities: Iterable[str], pause_statuses: Iterable[str], calendar: BusinessCalendar | None) -> None:
    for priority in priorities:
        if priority not in TicketPriority.values:
            raise DomainValidationError(f"'{priority}' is not a priority.", field="priorities", code="invalid_choice")
    for status in pause_statuses:
        if status not in PAUSABLE_STATUSES:
            raise DomainValidationError(f"The clock cannot pause in '{status}'.", field="pause_statuses", code="invalid_choice")
    if calendar is not None and calendar.is_deleted:
        raise DomainValidationError("This calendar does not exist.", field="calendar", code="does_not_exist")


def recheck_clocks(policies: QuerySet[SlaPolicy]) -> int:
    """The clocks of the tickets under way under `policies` are due for `sla_tick` now, which derives their figures
    again from the policy and calendar as they are (one UPDATE, however many tickets)."""
    under_way = Ticket.objects.filter(sla_policy__in=policies).exclude(status__in=STOPPED_STATUSES)
    return TicketClock.objects.filter(ticket__in=under_way).update(next_check_at=timezone.now())


def _alive(rows: Iterable[Category | TicketTemplate], field: str) -> list[Any]:
    rows = list(rows)
    if any(row.is_deleted for row in rows):
        raise DomainValidationError("One of these does not exist.", field=field, code="does_not_exist")
    return rows


@transaction.atomic
def policy_create(
    *,
    actor: Actor,
    name: str,
    resolution_minutes: int,
    first_response_minutes: int | None = None,
    order: int = 100,
    is_active: bool = True,
    calendar: BusinessCalendar | None = None,
    priorities: Sequence[str] = (),
    categories: Iterable[Category] = (),
    templates: Iterable[TicketTemplate] = (),
    warning_percent: int = 80,
    pause_statuses: Sequence[str] | None = None,
) -> SlaPolicy:
    """A new policy. It applies to tickets that leave draft, or whose priority or categories change, from now on."""
    pauses = list(pause_statuses) if pause_statuses is not None else [TicketStatus.WAITING_APPROVAL, TicketStatus.REJECTED]
    _check_policy(priorities=priorities, pause_statuses=pauses, calendar=calendar)
    policy = SlaPolicy(
        name=name,
        order=order,
        is_active=is_active,
        calendar=calendar,
        priorities=sorted(set(priorities)),
        first_response_minutes=first_response_minutes,
        resolution_minutes=resolution_minutes,
        warning_percent=warning_percent,
        pause_statuses=sorted(set(map(str, pauses))),
    )
    validate_constraints(policy)
    policy.stamp(actor, created=True)
    policy.save()
    policy.categories.set(_alive(categories, "categories"))
    policy.templates.set(_alive(templates, "templates"))
    return policy


@transaction.atomic
def policy_update(*, policy: SlaPolicy, actor: Actor, data: Mapping[str, Any]) -> SlaPolicy:
    """Change the fields given. The tickets under way under it are re-targeted by the next `sla_tick` (its targets,
    calendar, pauses); a change of its conditions reaches a ticket at the ticket's next event."""
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    data = dict(data)
    if "priorities" in data:
        data["priorities"] = sorted(set(data["priorities"]))
    if "pause_statuses" in data:
        data["pause_statuses"] = sorted(set(map(str, data["pause_statuses"])))
    _check_policy(
        priorities=data.get("priorities", ()),
        pause_statuses=data.get("pause_statuses", ()),
        calendar=data.get("calendar"),
    )
    for field in ("categories", "templates"):
        if field in data:
            data[field] = _alive(data[field], field)
    policy, changed = model_update(instance=policy, fields=POLICY_FIELDS, data=data, actor=actor)
    if set(changed) & CLOCK_POLICY_FIELDS:
        recheck_clocks(SlaPolicy.all_objects.filter(pk=policy.pk))
    return policy


@transaction.atomic
def policy_delete(*, policy: SlaPolicy, actor: Actor) -> None:
    """Soft delete. Tickets under it keep their clocks until their next event finds them another policy (or none)."""
    policy.soft_delete(actor=actor)
