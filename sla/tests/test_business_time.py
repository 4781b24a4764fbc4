"""Business-time arithmetic (sla.business_time): readable examples with exact expectations, then properties over
generated calendars. No database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.business_time import (
    Calendar,
    add_business_minutes,
    business_minutes_between,
    is_business_time,
    next_business_start,
    working_periods,
)

PARIS = ZoneInfo("Europe/Paris")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
ZONES = ("Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata")

OFFICE_HOURS = {weekday: [(time(9), time(18))] for weekday in range(5)}  # Monday to Friday, 09:00-18:00
NIGHT_SHIFTS = {weekday: [(time(22), time(6))] for weekday in range(5)}  # Monday night to Saturday morning
ROUND_THE_CLOCK = {weekday: [(time(0), time(0))] for weekday in range(7)}
SMALL_HOURS = {weekday: [(time(1), time(4))] for weekday in range(7)}


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, fold: int = 0) -> datetime:
    """A Paris wall time as a UTC instant (aware datetimes in an ambiguous hour never equal one in another zone)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS, fold=fold).astimezone(UTC)


def test_friday_evening_plus_an_hour_is_monday_morning() -> None:
    office = Calendar(PARIS, OFFICE_HOURS)
    friday = paris(2026, 5, 15, 17, 50)

    assert add_business_minutes(office, friday, 60) == paris(2026, 5, 18, 9, 50)
    assert add_business_minutes(office, friday, 60).tzinfo is UTC


def test_a_holiday_monday_is_skipped() -> None:
    office = Calendar(PARIS, OFFICE_HOURS, closed_dates=frozenset({date(2026, 5, 18)}))

    assert add_business_minutes(office, paris(2026, 5, 15, 17, 50), 60) == paris(2026, 5, 19, 9, 50)


def test_public_holidays_from_the_holidays_package() -> None:
    office = Calendar(PARIS, OFFICE_HOURS, closed_dates=holidays.country_holidays("FR"))

    # Whit Monday, 25 May 2026.
    assert add_business_minutes(office, paris(2026, 5, 22, 17, 50), 60) == paris(2026, 5, 26, 9, 50)


def test_a_special_day_replaces_a_holiday() -> None:
    office = Calendar(
        PARIS,
        OFFICE_HOURS,
        closed_dates=frozenset({date(2026, 5, 18)}),
        special_days={date(2026, 5, 18): [(time(10), time(12))]},
    )

    assert add_business_minutes(office, paris(2026, 5, 15, 17, 50), 60) == paris(2026, 5, 18, 10, 50)
    assert business_minutes_between(office, paris(2026, 5, 18), paris(2026, 5, 19)) == 120


def test_a_special_day_without_hours_is_closed() -> None:
    office = Calendar(PARIS, OFFICE_HOURS, special_days={date(2026, 5, 18): ()})

    assert add_business_minutes(office, paris(2026, 5, 15, 17, 50), 60) == paris(2026, 5, 19, 9, 50)


def test_a_special_day_opens_a_weekend() -> None:
    office = Calendar(PARIS, OFFICE_HOURS, special_days={date(2026, 5, 16): [(time(8), time(9))]})

    assert add_business_minutes(office, paris(2026, 5, 15, 17, 50), 60) == paris(2026, 5, 16, 8, 50)


def test_friday_afternoon_to_monday_morning_counts_two_hours() -> None:
    office = Calendar(PARIS, OFFICE_HOURS)

    assert business_minutes_between(office, paris(2026, 5, 15, 17), paris(2026, 5, 18, 10)) == 120
    assert business_minutes_between(office, paris(2026, 5, 18, 10), paris(2026, 5, 15, 17)) == 0


def test_seconds_are_kept_and_partial_minutes_rounded_down() -> None:
    office = Calendar(PARIS, OFFICE_HOURS)
    start = paris(2026, 5, 18, 9, 0, 30)

    assert add_business_minutes(office, start, 1) == paris(2026, 5, 18, 9, 1, 30)
    assert add_business_minutes(office, start, 0) == start
    assert business_minutes_between(office, start, paris(2026, 5, 18, 9, 1, 29)) == 0
    assert business_minutes_between(office, start, paris(2026, 5, 18, 9, 1, 30)) == 1


def test_a_night_shift_spans_midnight_and_belongs_to_the_day_it_starts() -> None:
    nights = Calendar(PARIS, NIGHT_SHIFTS)

    assert add_business_minutes(nights, paris(2026, 5, 12, 5, 30), 60) == paris(2026, 5, 12, 22, 30)
    assert is_business_time(nights, paris(2026, 5, 16, 5, 59))  # Saturday morning: Friday's shift
    assert not is_business_time(nights, paris(2026, 5, 16, 6))
    assert not is_business_time(nights, paris(2026, 5, 18, 5))  # Monday morning: Sunday has no shift


def test_a_night_shift_across_the_weekend() -> None:
    nights = Calendar(PARIS, NIGHT_SHIFTS)

    assert add_business_minutes(nights, paris(2026, 5, 16, 5), 120) == paris(2026, 5, 18, 23)
    assert business_minutes_between(nights, paris(2026, 5, 15, 21), paris(2026, 5, 18, 23)) == 9 * 60


def test_a_holiday_cancels_the_night_shift_starting_on_it() -> None:
    nights = Calendar(PARIS, NIGHT_SHIFTS, closed_dates=frozenset({date(2026, 5, 15)}))

    assert business_minutes_between(nights, paris(2026, 5, 15), paris(2026, 5, 17)) == 60 * 6  # Friday 00:00-06:00
    assert add_business_minutes(nights, paris(2026, 5, 15, 5), 120) == paris(2026, 5, 18, 23)


def test_overlapping_and_adjacent_intervals_count_once_and_merge() -> None:
    split = Calendar(ZoneInfo("UTC"), {0: [(time(11), time(14)), (time(9), time(12)), (time(14), time(15))]})
    monday = datetime(2026, 5, 18, tzinfo=UTC)

    assert list(working_periods(split, monday, monday + timedelta(days=1))) == [
        (monday + timedelta(hours=9), monday + timedelta(hours=15))
    ]
    assert business_minutes_between(split, monday, monday + timedelta(days=7)) == 6 * 60


def test_working_periods_are_clipped_to_the_span_and_in_utc() -> None:
    always = Calendar(PARIS, ROUND_THE_CLOCK)
    start, end = paris(2026, 5, 18, 12), paris(2026, 5, 21, 12)

    assert list(working_periods(always, start, end)) == [(start, end)]
    assert [bound.tzinfo for bound in next(working_periods(always, start, end))] == [UTC, UTC]
    assert list(working_periods(always, end, start)) == []


def test_next_business_start() -> None:
    office = Calendar(PARIS, OFFICE_HOURS)

    assert next_business_start(office, paris(2026, 5, 15, 18)) == paris(2026, 5, 18, 9)
    assert next_business_start(office, paris(2026, 5, 15, 17, 59)) == paris(2026, 5, 15, 17, 59)
    assert is_business_time(office, paris(2026, 5, 15, 9))
    assert not is_business_time(office, paris(2026, 5, 15, 18))


def test_spring_forward_day_is_23_hours_round_the_clock() -> None:
    always = Calendar(PARIS, ROUND_THE_CLOCK)

    assert business_minutes_between(always, paris(2026, 3, 29), paris(2026, 3, 30)) == 23 * 60
    # 01:30 CET + 1 h = 03:30 CEST, the clock having jumped from 02:00 to 03:00.
    assert add_business_minutes(always, paris(2026, 3, 29, 1, 30), 60) == paris(2026, 3, 29, 3, 30)
    assert add_business_minutes(always, paris(2026, 3, 28, 12), 24 * 60) == paris(2026, 3, 29, 13)


def test_fall_back_day_is_25_hours_round_the_clock() -> None:
    always = Calendar(PARIS, ROUND_THE_CLOCK)

    assert business_minutes_between(always, paris(2026, 10, 25), paris(2026, 10, 26)) == 25 * 60
    # The first 02:30 (CEST) + 1 h = the second 02:30 (CET).
    assert add_business_minutes(always, paris(2026, 10, 25, 2, 30), 60) == paris(2026, 10, 25, 2, 30, fold=1)
    assert add_business_minutes(always, paris(2026, 10, 24, 12), 24 * 60) == paris(2026, 10, 25, 11)


def test_an_interval_across_the_spring_forward_gap_is_an_hour_shorter() -> None:
    nights = Calendar(PARIS, SMALL_HOURS)

    assert business_minutes_between(nights, paris(2026, 3, 29), paris(2026, 3, 30)) == 120
    assert add_business_minutes(nights, paris(2026, 3, 29, 1), 90) == paris(2026, 3, 29, 3, 30)
    assert add_business_minutes(nights, paris(2026, 3, 29, 1), 120) == paris(2026, 3, 29, 4)
    assert add_business_minutes(nights, paris(2026, 3, 29, 1), 121) == paris(2026, 3, 30, 1, 1)
    assert add_business_minutes(nights, paris(2026, 3, 28, 3), 150) == paris(2026, 3, 29, 3, 30)


def test_an_interval_across_the_fall_back_overlap_is_an_hour_longer() -> None:
    nights = Calendar(PARIS, SMALL_HOURS)

    assert business_minutes_between(nights, paris(2026, 10, 25), paris(2026, 10, 26)) == 240
    assert add_business_minutes(nights, paris(2026, 10, 25, 1), 90) == paris(2026, 10, 25, 2, 30)
    assert add_business_minutes(nights, paris(2026, 10, 25, 1), 150) == paris(2026, 10, 25, 2, 30, fold=1)
    assert add_business_minutes(nights, paris(2026, 10, 25, 1), 240) == paris(2026, 10, 25, 4)
    assert add_business_minutes(nights, paris(2026, 10, 24, 3), 240) == paris(2026, 10, 25, 3)


def test_bounds_in_the_gap_take_the_moment_the_clock_jumps() -> None:
    late = Calendar(PARIS, {6: [(time(2, 30), time(5))]})
    vanishing = Calendar(PARIS, {6: [(time(2), time(2, 30))]})

    assert next_business_start(late, paris(2026, 3, 29)) == paris(2026, 3, 29, 3)
    assert business_minutes_between(late, paris(2026, 3, 29), paris(2026, 3, 30)) == 120
    assert business_minutes_between(vanishing, paris(2026, 3, 29), paris(2026, 3, 30)) == 0
    assert business_minutes_between(vanishing, paris(2026, 4, 5), paris(2026, 4, 6)) == 30


def test_bounds_in_the_overlap_take_the_first_occurrence() -> None:
    ends_in_overlap = Calendar(PARIS, {6: [(time(1), time(2, 30))]})
    starts_in_overlap = Calendar(PARIS, {6: [(time(2, 30), time(4))]})

    assert business_minutes_between(ends_in_overlap, paris(2026, 10, 25), paris(2026, 10, 26)) == 90
    assert business_minutes_between(starts_in_overlap, paris(2026, 10, 25), paris(2026, 10, 26)) == 150


def test_half_hour_daylight_saving_on_lord_howe_island() -> None:
    always = Calendar(LORD_HOWE, ROUND_THE_CLOCK)

    def lord_howe(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
        return datetime(year, month, day, hour, minute, tzinfo=LORD_HOWE)

    assert business_minutes_between(always, lord_howe(2026, 4, 5), lord_howe(2026, 4, 6)) == 24 * 60 + 30
    assert business_minutes_between(always, lord_howe(2026, 10, 4), lord_howe(2026, 10, 5)) == 24 * 60 - 30
    assert add_business_minutes(always, lord_howe(2026, 10, 4, 1, 30), 60) == lord_howe(2026, 10, 4, 3)


def test_a_calendar_without_working_hours_raises() -> None:
    closed = Calendar(PARIS, {})
    start = paris(2026, 5, 15, 12)

    with pytest.raises(ValueError, match="calendar has no working hours"):
        add_business_minutes(closed, start, 1)
    with pytest.raises(ValueError, match="calendar has no working hours"):
        next_business_start(closed, start)
    assert business_minutes_between(closed, start, start + timedelta(days=5000)) == 0
    assert not is_business_time(closed, start)


def test_working_time_a_year_away_is_still_found() -> None:
    once = Calendar(ZoneInfo("UTC"), {}, special_days={date(2028, 1, 3): [(time(9), time(10))]})

    assert add_business_minutes(once, datetime(2026, 5, 15, tzinfo=UTC), 30) == datetime(2028, 1, 3, 9, 30, tzinfo=UTC)


def test_naive_datetimes_and_negative_minutes_are_refused() -> None:
    office = Calendar(ZoneInfo("UTC"), OFFICE_HOURS)

    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(office, datetime(2026, 5, 15, 12), 5)
    with pytest.raises(ValueError, match="negative"):
        add_business_minutes(office, datetime(2026, 5, 15, 12, tzinfo=UTC), -1)


# Properties over generated calendars.

FIRST_DAY = datetime(2020, 1, 1)
LAST_DAY = datetime(2030, 12, 31)


def as_interval(opens: int, length: int) -> tuple[time, time]:
    closes = (opens + length) % (24 * 60)
    return time(opens // 60, opens % 60), time(closes // 60, closes % 60)


# An interval of one to 24 hours, starting on any minute of the day; about half of them span midnight.
INTERVALS = st.builds(as_interval, st.integers(0, 24 * 60 - 1), st.integers(60, 24 * 60))
WEEKLY_HOURS = st.dictionaries(st.integers(0, 6), st.lists(INTERVALS, min_size=1, max_size=2), min_size=1, max_size=7)
DAYS_NEAR = st.integers(-3, 90)  # days after the start's local date
CLOSED_DAYS = st.frozensets(DAYS_NEAR, max_size=20)
SPECIAL_DAYS = st.dictionaries(DAYS_NEAR, st.lists(INTERVALS, max_size=2), max_size=5)
# Clock changes in 2026: Paris, New York, Lord Howe Island (30 minutes), each way.
CLOCK_CHANGES = [datetime(2026, month, day, tzinfo=UTC) for month, day in ((3, 29), (10, 25), (3, 8), (11, 1), (4, 4), (10, 3))]
STARTS = st.one_of(
    st.datetimes(FIRST_DAY, LAST_DAY).map(lambda moment: moment.replace(microsecond=0, tzinfo=UTC)),
    st.builds(
        lambda change, seconds: change + timedelta(seconds=seconds),
        st.sampled_from(CLOCK_CHANGES),
        st.integers(-3 * 86400, 86400),
    ),
)


@st.composite
def calendars_and_starts(draw: st.DrawFn, zones: tuple[str, ...] = ZONES) -> tuple[Calendar, datetime]:
    """A calendar with holidays and special days near the start instant (which has seconds, and is in UTC)."""
    start = draw(STARTS)
    zone = ZoneInfo(draw(st.sampled_from(zones)))
    first = start.astimezone(zone).date()
    closed = frozenset(first + timedelta(days=days) for days in draw(CLOSED_DAYS))
    special = {first + timedelta(days=days): hours for days, hours in draw(SPECIAL_DAYS).items()}
    return Calendar(zone, draw(WEEKLY_HOURS), closed_dates=closed, special_days=special), start


def worked_by_the_wall_clock(calendar: Calendar, moment: datetime) -> bool:
    """Whether the local wall clock shows working time, read straight from the calendar's tables (true to the module
    away from clock changes)."""
    local = moment.astimezone(calendar.time_zone)
    today, now = local.date(), local.time().replace(tzinfo=None)
    yesterday = today - timedelta(days=1)
    return any(opens <= now < closes or (closes <= opens <= now) for opens, closes in calendar.intervals_on(today)) or any(
        now < closes <= opens for opens, closes in calendar.intervals_on(yesterday)
    )


@settings(max_examples=200, deadline=None, database=None)
@given(calendars_and_starts(), st.integers(0, 20_000))
def test_adding_then_measuring_gives_the_minutes_back(calendar_and_start: tuple[Calendar, datetime], minutes: int) -> None:
    calendar, start = calendar_and_start

    assert business_minutes_between(calendar, start, add_business_minutes(calendar, start, minutes)) == minutes


@settings(max_examples=150, deadline=None, database=None)
@given(calendars_and_starts(), st.integers(1, 20_000))
def test_a_deadline_ends_working_time(calendar_and_start: tuple[Calendar, datetime], minutes: int) -> None:
    calendar, start = calendar_and_start
    deadline = add_business_minutes(calendar, start, minutes)
    last_second = deadline - timedelta(seconds=1)
    zone = calendar.time_zone
    clock_steady = last_second.astimezone(zone).utcoffset() == (last_second - timedelta(hours=3)).astimezone(zone).utcoffset()

    assert deadline.tzinfo is UTC
    assert deadline > start
    assert is_business_time(calendar, last_second)
    assert list(working_periods(calendar, last_second, deadline))[-1] == (last_second, deadline)
    # Read from the tables, not the module: never a closed date's hours, never outside hours.
    assert worked_by_the_wall_clock(calendar, last_second) or not clock_steady


@settings(max_examples=100, deadline=None, database=None)
@given(calendars_and_starts(zones=("UTC", "Asia/Kolkata")), st.integers(0, 3 * 24 * 60))
def test_measuring_agrees_with_counting_minutes_on_the_wall_clock(
    calendar_and_start: tuple[Calendar, datetime], span: int
) -> None:
    calendar, start = calendar_and_start
    start = start.replace(second=0)
    counted = sum(worked_by_the_wall_clock(calendar, start + timedelta(minutes=minute)) for minute in range(span))

    assert business_minutes_between(calendar, start, start + timedelta(minutes=span)) == counted


@settings(max_examples=150, deadline=None, database=None)
@given(calendars_and_starts(), st.lists(st.integers(0, 14 * 24 * 3600), min_size=2, max_size=2))
def test_measuring_is_additive(calendar_and_start: tuple[Calendar, datetime], offsets: list[int]) -> None:
    calendar, start = calendar_and_start
    middle, end = (start + timedelta(seconds=offset) for offset in sorted(offsets))
    on_the_minute = [moment.replace(second=0) for moment in (start, middle, end)]

    def exact(first: datetime, last: datetime) -> timedelta:
        return sum(
            (period_end - period_start for period_start, period_end in working_periods(calendar, first, last)), timedelta()
        )

    assert exact(start, end) == exact(start, middle) + exact(middle, end)
    assert business_minutes_between(calendar, on_the_minute[0], on_the_minute[2]) == business_minutes_between(
        calendar, on_the_minute[0], on_the_minute[1]
    ) + business_minutes_between(calendar, on_the_minute[1], on_the_minute[2])


@settings(max_examples=150, deadline=None, database=None)
@given(calendars_and_starts(), st.integers(0, 10_000), st.integers(1, 10_000))
def test_more_minutes_give_a_later_deadline(calendar_and_start: tuple[Calendar, datetime], minutes: int, more: int) -> None:
    calendar, start = calendar_and_start

    assert add_business_minutes(calendar, start, minutes) < add_business_minutes(calendar, start, minutes + more)


@settings(max_examples=150, deadline=None, database=None)
@given(calendars_and_starts())
def test_the_next_business_start_is_the_first_working_moment(calendar_and_start: tuple[Calendar, datetime]) -> None:
    calendar, start = calendar_and_start
    opening = next_business_start(calendar, start)

    assert opening >= start
    assert is_business_time(calendar, opening)
    assert list(working_periods(calendar, start, opening)) == []
    assert add_business_minutes(calendar, start, 1) == add_business_minutes(calendar, opening, 1)
