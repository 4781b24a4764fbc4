"""The period a report covers: whole days in the site's time zone, from `start` to `end` inclusive (docs/reports.md).
Without dates, the last twelve ISO weeks up to today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from ticketsite.errors import DomainValidationError

DEFAULT_WEEKS = 12
# Weekly figures over more than three years would be a table of 157 rows nobody reads; a client can ask year by year.
MAX_DAYS = 3 * 366
END_BEFORE_START = "The end date is before the start date."
TOO_LONG = f"A report covers at most {MAX_DAYS} days."


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, the day after end 00:00) in the site's time zone."""
        zone = timezone.get_default_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def weeks(self) -> list[date]:
        """The Mondays of the ISO weeks the period touches, in order."""
        first = monday_of(self.start)
        return [first + timedelta(weeks=n) for n in range((monday_of(self.end) - first).days // 7 + 1)]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_from(*, start: date | None, end: date | None) -> Period:
    """The period asked for; a missing end is today, a missing start the Monday eleven weeks before the end's week
    (twelve ISO weeks in all). An end before the start, or a span over MAX_DAYS, is a 400 naming the field."""
    end = end or timezone.localdate()
    start = start or monday_of(end) - timedelta(weeks=DEFAULT_WEEKS - 1)
    if end < start:
        raise DomainValidationError(END_BEFORE_START, field="end", code="invalid")
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainValidationError(TOO_LONG, field="start", code="invalid")
    return Period(start=start, end=end)
