"""Business-time arithmetic for service levels (SPEC §15): pure Python, no Django.

A `Calendar` names a time zone, weekly working intervals in local wall-clock time, closed dates (holidays) and
special days. The functions below measure working time between two instants and add working time to an instant.
Every datetime they take must be aware (any zone); every datetime they return is in UTC.

Semantics:
- An interval `(start, end)` listed for a date is worked from `start` on that date to `end` on the same date, or
  on the next date when `end <= start` (`22:00-06:00` on Friday ends Saturday 06:00; `end == time(0)` is the
  midnight ending the day; `00:00-00:00` is the whole day). Intervals may overlap: working time is their union.
- A closed date (holiday) cancels the intervals that START on it; a special day's intervals replace the weekly
  ones for that date and win over a holiday (an empty sequence closes the day).
- Local bounds become instants by one rule, used for starts and ends alike: a bound is the first instant at
  which the local clock shows that wall time or a later one. For an ordinary wall time this is the instant
  itself. For an ambiguous one (clocks set back) it is the first occurrence (fold=0): an interval ending in the
  repeated hour ends the first time the clock reaches its end, and `02:30-04:00` on the night clocks go back
  from 03:00 to 02:00 lasts 2 h 30. For a nonexistent one (clocks jump forward) it is the transition
  itself, the moment the clock jumps past it: `01:00-04:00` across a 02:00->03:00 jump lasts 2 h, and an interval
  lying entirely in the gap is empty. So a whole day is 23 or 25 hours long on the days clocks change.
- Working time is counted exactly (to the microsecond); `business_minutes_between` floors it to whole minutes and
  `add_business_minutes` returns the earliest instant at which exactly that many minutes have been worked, so
  `business_minutes_between(c, s, add_business_minutes(c, s, m)) == m` for every `m >= 0`.
- The walk goes interval by interval, a day at a time. A search that finds no working time for `MAX_IDLE_DAYS`
  days in a row raises `ValueError("calendar has no working hours")` instead of looping for ever.
"""

from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[time, time]

# Three years: long enough for any real closure (a fortnight's holiday, a season), short enough to fail fast.
MAX_IDLE_DAYS = 3 * 366

_ONE_DAY = timedelta(days=1)
_ONE_MINUTE = timedelta(minutes=1)
_ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Calendar:
    time_zone: ZoneInfo
    # weekday (0 = Monday .. 6 = Sunday) -> working intervals in local wall-clock time (see the module docstring).
    weekly: Mapping[int, Sequence[Interval]]
    # Local dates whose own intervals do not apply: a frozenset, or a `holidays.HolidayBase` (expands years lazily).
    closed_dates: Container[date] = frozenset()
    # Dates whose intervals replace the weekly ones, holiday or not; an empty sequence closes the date.
    special_days: Mapping[date, Sequence[Interval]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if any(weekday not in range(7) for weekday in self.weekly):
            raise ValueError("weekly hours are keyed by weekday, 0 (Monday) to 6 (Sunday)")
        bounds = [
            bound for intervals in (*self.weekly.values(), *self.special_days.values()) for pair in intervals for bound in pair
        ]
        if any(bound.tzinfo is not None for bound in bounds):
            raise ValueError("working intervals are local wall-clock times, without a time zone")

    def intervals_on(self, day: date) -> Sequence[Interval]:
        """The intervals starting on a local date, after special days and holidays."""
        if day in self.special_days:
            return self.special_days[day]
        if day in self.closed_dates:
            return ()
        return self.weekly.get(day.weekday(), ())


def working_periods(calendar: Calendar, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The working periods within [start, end), in order, in UTC; adjacent or overlapping ones merged."""
    start, end = _utc(start), _utc(end)
    current: tuple[datetime, datetime] | None = None
    for piece_start, piece_end in _pieces(calendar, start, until=end):
        if piece_start >= end:
            break
        piece = (max(piece_start, start), min(piece_end, end))
        if current is not None and piece[0] <= current[1]:
            current = (current[0], piece[1])
            continue
        if current is not None:
            yield current
        current = piece
    if current is not None:
        yield current


def business_minutes_between(calendar: Calendar, start: datetime, end: datetime) -> int:
    """Whole minutes of working time in [start, end), rounded down; 0 when end <= start."""
    worked = sum((period_end - period_start for period_start, period_end in working_periods(calendar, start, end)), timedelta())
    return worked // _ONE_MINUTE


def add_business_minutes(calendar: Calendar, start: datetime, minutes: int) -> datetime:
    """The earliest instant t >= start with exactly `minutes` of working time in [start, t), in UTC."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    start = _utc(start)
    remaining = timedelta(minutes=minutes)
    if not remaining:
        return start
    for piece_start, piece_end in _pieces(calendar, start):
        length = piece_end - piece_start
        if length >= remaining:
            return piece_start + remaining
        remaining -= length
    raise AssertionError("unreachable: _pieces without a bound ends only by raising")


def is_business_time(calendar: Calendar, at: datetime) -> bool:
    """Whether the instant lies inside a working period (a period includes its start, not its end)."""
    at = _utc(at)
    return next(working_periods(calendar, at, at + _ONE_MICROSECOND), None) is not None


def next_business_start(calendar: Calendar, at: datetime) -> datetime:
    """The first working instant at or after `at` (`at` itself when it is working time), in UTC."""
    at = _utc(at)
    piece_start, _ = next(_pieces(calendar, at))
    return piece_start


def _pieces(calendar: Calendar, start: datetime, until: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
    """Disjoint working periods (UTC) ending after `start`, in order, each clipped to begin at `start` or later.

    Not merged: on a calendar worked round the clock the merged period would never end. Without `until`, raises
    ValueError after MAX_IDLE_DAYS days without any working time; with it, stops at the first day after `until`."""
    zone = calendar.time_zone
    # The day before: its intervals spanning midnight may still be running at `start`.
    day = start.astimezone(zone).date() - _ONE_DAY
    last_day = None if until is None else until.astimezone(zone).date()
    covered_until = start
    idle_days = 0
    while last_day is None or day <= last_day:
        found = False
        for period_start, period_end in sorted(_day_periods(calendar, day)):
            period_start = max(period_start, covered_until)
            if period_end > period_start:
                found = True
                covered_until = period_end
                yield period_start, period_end
        idle_days = 0 if found else idle_days + 1
        if last_day is None and idle_days > MAX_IDLE_DAYS:
            raise ValueError("calendar has no working hours")
        day += _ONE_DAY


def _day_periods(calendar: Calendar, day: date) -> Iterator[tuple[datetime, datetime]]:
    for opens, closes in calendar.intervals_on(day):
        closing_day = day if closes > opens else day + _ONE_DAY
        yield _instant(day, opens, calendar.time_zone), _instant(closing_day, closes, calendar.time_zone)


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the local clock shows `wall` on `day` or a later time (module docstring)."""
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the first occurrence of an ambiguous time
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # Nonexistent (in a gap): fold=0 maps it with the offset before the jump (an instant after the jump), fold=1
    # with the offset after it (an instant before). The jump lies between: find it.
    before = local.replace(fold=1).astimezone(UTC)
    after = instant
    offset_after = after.astimezone(zone).utcoffset()
    while after - before > _ONE_MICROSECOND:
        middle = before + (after - before) // 2
        if middle.astimezone(zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business time needs aware datetimes")
    return moment.astimezone(UTC)
