"""Deadline arithmetic of the working calendar against the real 2025/2026 State Council
arrangements that chinese-calendar ships, the default working hours (08:30–12:00,
14:00–17:30), a year the package does not know (2027) and holiday-table overrides.

2025 National Day: 1–8 October off, Sunday 28 September and Saturday 11 October worked.
2025 Spring Festival: 28 January – 4 February off, Sunday 26 January and Saturday
8 February worked. 2026 Spring Festival: 15–23 February off, Saturdays 14 and 28
February worked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from gridgov.cases import calendar
from gridgov.cases.models import CalendarDay, TimeUnit, WorkSchedule
from gridgov.core.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
URGENT, HOURS, DAYS = TimeUnit.URGENT_HOURS, TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS

pytestmark = pytest.mark.django_db


def at(text: str) -> dt.datetime:
    """A Shanghai time from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_the_fixture_dates_are_the_packages_own() -> None:
    """The arrangements this file relies on, read from the package itself."""
    assert chinese_calendar.__version__ >= "1.11"
    for day in ("2025-10-01", "2025-10-08", "2025-01-28", "2025-02-04", "2026-02-15"):
        assert not chinese_calendar.is_workday(dt.date.fromisoformat(day)), day
    for day in ("2025-09-28", "2025-10-11", "2025-01-26", "2025-02-08", "2026-02-14"):
        assert chinese_calendar.is_workday(dt.date.fromisoformat(day)), day
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(2027, 1, 4))


# --- working days -------------------------------------------------------------------------

WORKING_DAYS_CASES = [
    # National Day 2025: the day before the holiday jumps the whole week.
    ("2025-09-30 10:00", 1, "2025-10-09 10:00"),
    # ...and the adjusted working Saturday after it counts.
    ("2025-09-30 10:00", 3, "2025-10-11 10:00"),
    # The adjusted working Sunday before it counts too.
    ("2025-09-26 16:00", 1, "2025-09-28 16:00"),
    # Reported on the holiday: the clock starts on the first working morning (9 October).
    ("2025-10-03 15:00", 1, "2025-10-10 08:30"),
    # Spring Festival 2025: Sunday 26 January is worked, then 28 January – 4 February off.
    ("2025-01-24 11:00", 1, "2025-01-26 11:00"),
    ("2025-01-27 11:00", 1, "2025-02-05 11:00"),
    # Spring Festival 2026: the working Saturday before it, and the one after it.
    ("2026-02-13 09:00", 1, "2026-02-14 09:00"),
    ("2026-02-14 15:00", 1, "2026-02-24 15:00"),
    ("2026-02-26 10:00", 2, "2026-02-28 10:00"),
    # An ordinary weekend.
    ("2026-03-06 10:00", 1, "2026-03-09 10:00"),
    # At night the clock starts next working morning; at lunch, at 14:00.
    ("2026-03-09 20:00", 1, "2026-03-11 08:30"),
    ("2026-03-09 12:30", 1, "2026-03-10 14:00"),
    # A limit ending exactly where the day's hours end stays on that day.
    ("2026-03-09 17:29", 1, "2026-03-10 17:29"),
]


@pytest.mark.parametrize(("start", "amount", "expected"), WORKING_DAYS_CASES)
def test_working_days(start: str, amount: int, expected: str) -> None:
    assert calendar.deadline(at(start), amount, DAYS) == at(expected)


# --- working hours ------------------------------------------------------------------------

WORKING_HOURS_CASES = [
    # Inside the morning.
    ("2026-03-09 09:00", 2, "2026-03-09 11:00"),
    # Used up exactly at noon: the deadline is noon, not 14:00.
    ("2026-03-09 10:00", 2, "2026-03-09 12:00"),
    # Across the lunch break.
    ("2026-03-09 11:30", 1, "2026-03-09 14:30"),
    # Reported during lunch: starts at 14:00.
    ("2026-03-09 12:15", 1, "2026-03-09 15:00"),
    # Across the night.
    ("2026-03-09 17:00", 1, "2026-03-10 09:00"),
    ("2026-03-09 20:00", 1, "2026-03-10 09:30"),
    ("2026-03-10 06:00", 4, "2026-03-10 14:30"),
    # A whole working day is 7 hours.
    ("2026-03-09 08:30", 7, "2026-03-09 17:30"),
    ("2026-03-09 08:30", 8, "2026-03-10 09:30"),
    # Across a weekend.
    ("2026-03-06 17:00", 1, "2026-03-09 09:00"),
    # Across National Day 2025: half an hour on 30 September, the rest on 9 October.
    ("2025-09-30 17:00", 2, "2025-10-09 10:00"),
    # The adjusted working Saturday of Spring Festival 2026, then the holiday.
    ("2026-02-14 17:00", 1, "2026-02-24 09:00"),
    # Spring Festival 2025: the working Sunday before it.
    ("2025-01-24 17:00", 3, "2025-01-26 11:00"),
]


@pytest.mark.parametrize(("start", "amount", "expected"), WORKING_HOURS_CASES)
def test_working_hours(start: str, amount: int, expected: str) -> None:
    assert calendar.deadline(at(start), amount, HOURS) == at(expected)


def test_working_hours_follow_the_schedule() -> None:
    WorkSchedule.objects.create(
        pk=1,
        morning_start=dt.time(9, 0),
        morning_end=dt.time(12, 0),
        afternoon_start=dt.time(13, 30),
        afternoon_end=dt.time(18, 0),
    )
    assert calendar.deadline(at("2026-03-09 11:00"), 2, HOURS) == at("2026-03-09 14:30")
    assert calendar.deadline(at("2026-03-09 17:30"), 1, HOURS) == at("2026-03-10 09:30")
    assert calendar.current().day_length == dt.timedelta(hours=7, minutes=30)


# --- urgent hours -------------------------------------------------------------------------

URGENT_CASES = [
    ("2026-03-09 10:00", 2, "2026-03-09 12:00"),
    # The clock runs through midnight and into the National Day holiday.
    ("2025-09-30 23:30", 2, "2025-10-01 01:30"),
    # ...and through a whole holiday week.
    ("2025-09-30 12:00", 48, "2025-10-02 12:00"),
    ("2026-02-16 03:00", 24, "2026-02-17 03:00"),
]


@pytest.mark.parametrize(("start", "amount", "expected"), URGENT_CASES)
def test_urgent_hours(start: str, amount: int, expected: str) -> None:
    assert calendar.deadline(at(start), amount, URGENT) == at(expected)


def test_times_in_other_zones_are_read_in_local_time() -> None:
    """09:00 UTC is 17:00 in Shanghai: one working hour ends next morning at 09:00."""
    start = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)
    found = calendar.deadline(start, 1, HOURS)
    assert found == at("2026-03-10 09:00")
    assert found.tzinfo == SHANGHAI or found.utcoffset() == dt.timedelta(hours=8)


def test_a_zero_limit_ends_at_the_start() -> None:
    start = at("2026-03-07 10:00")  # a Saturday
    for unit in (URGENT, HOURS, DAYS):
        assert calendar.deadline(start, 0, unit) == start


@pytest.mark.parametrize(("amount", "unit", "field"), [(-1, DAYS, "amount"), (2, "weeks", "unit")])
def test_bad_input_names_the_field(amount: int, unit: str, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        calendar.deadline(at("2026-03-09 10:00"), amount, unit)
    assert field in raised.value.details["fields"]


# --- days, warnings and the holiday table -------------------------------------------------


def test_is_workday_knows_adjusted_days() -> None:
    assert calendar.is_workday(dt.date(2026, 2, 14))  # a Saturday worked
    assert not calendar.is_workday(dt.date(2026, 2, 16))  # Spring Festival, a Monday
    assert not calendar.is_workday(dt.date(2026, 3, 7))  # an ordinary Saturday
    assert calendar.is_workday(dt.date(2026, 3, 9))


def test_a_year_beyond_the_package_falls_back_to_weekends_with_a_warning() -> None:
    new_year = dt.date(2027, 1, 1)  # a Friday; really a holiday, unknown here
    assert calendar.calendar_warning(new_year) is not None
    assert "2027" in (calendar.calendar_warning(new_year) or "")
    assert calendar.calendar_warning(dt.date(2026, 12, 31)) is None
    assert calendar.is_workday(new_year)
    assert not calendar.is_workday(dt.date(2027, 1, 2))
    ruling = calendar.current().ruling(new_year)
    assert ruling.source == calendar.Source.FALLBACK
    # A case filed on the last day of 2026 already needs 2027.
    start = at("2026-12-31 10:00")
    end = calendar.deadline(start, 2, DAYS)
    assert end == at("2027-01-04 10:00")
    assert len(calendar.warnings_between(start, end)) == 1
    assert calendar.warnings_between(start, at("2026-12-31 16:00")) == []


def test_the_table_overrides_the_package() -> None:
    # 8 October 2026 is an ordinary Thursday in the package; the city makes it a holiday.
    CalendarDay.objects.create(date=dt.date(2026, 10, 8), is_workday=False, name="本地假日")
    assert not calendar.is_workday(dt.date(2026, 10, 8))
    ruling = calendar.current().ruling(dt.date(2026, 10, 8))
    assert ruling.source == calendar.Source.TABLE
    assert ruling.overrides_package
    assert ruling.name == "本地假日"
    # 30 September + 1 working day: 1–7 October off, 8 October now off too.
    assert calendar.deadline(at("2026-09-30 10:00"), 1, DAYS) == at("2026-10-09 10:00")


def test_the_table_can_make_a_package_holiday_a_working_day() -> None:
    CalendarDay.objects.create(date=dt.date(2025, 10, 8), is_workday=True, name="")
    assert calendar.deadline(at("2025-09-30 10:00"), 1, DAYS) == at("2025-10-08 10:00")


def test_a_table_row_in_an_unknown_year_makes_it_known() -> None:
    assert calendar.calendar_warning(dt.date(2027, 6, 1)) is not None
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, name="元旦")
    assert calendar.calendar_warning(dt.date(2027, 6, 1)) is None
    assert not calendar.is_workday(dt.date(2027, 1, 1))
    assert calendar.deadline(at("2026-12-31 10:00"), 1, DAYS) == at("2027-01-04 10:00")


def test_deleting_a_row_is_seen_at_once() -> None:
    row = CalendarDay.objects.create(date=dt.date(2026, 3, 9), is_workday=False)
    assert not calendar.is_workday(dt.date(2026, 3, 9))
    row.delete()
    assert calendar.is_workday(dt.date(2026, 3, 9))


def test_another_process_change_is_seen_through_the_stamp() -> None:
    """A process holding an old copy reloads when the stamp on the hours row moved."""
    WorkSchedule.objects.create(pk=1)
    assert calendar.is_workday(dt.date(2026, 3, 10))
    # Written behind this process's back (no signal): only the stamp tells.
    CalendarDay.objects.bulk_create([CalendarDay(date=dt.date(2026, 3, 10), is_workday=False)])
    assert calendar.is_workday(dt.date(2026, 3, 10))  # still the old copy
    WorkSchedule.objects.filter(pk=1).update(calendar_stamp="elsewhere")
    assert not calendar.is_workday(dt.date(2026, 3, 10))


def test_outside_a_pinned_block_every_call_reads_afresh(
    django_assert_num_queries: Any,
) -> None:
    calendar.current()
    with django_assert_num_queries(2):
        calendar.is_workday(dt.date(2026, 3, 9))
        calendar.is_workday(dt.date(2026, 3, 10))


def test_a_pinned_block_reads_the_calendar_once(django_assert_num_queries: Any) -> None:
    calendar.current()  # the holiday table loaded
    with django_assert_num_queries(1), calendar.pinned():
        for day in range(1, 29):
            calendar.deadline(at(f"2026-02-{day:02d} 10:00"), 3, DAYS)
            calendar.used_fraction(
                at(f"2026-02-{day:02d} 10:00"),
                at("2026-03-31 10:00"),
                at("2026-03-01 10:00"),
                HOURS,
            )


# --- used fraction ------------------------------------------------------------------------


def test_used_fraction_counts_in_the_units_own_clock() -> None:
    start = at("2026-03-09 10:00")  # Monday
    end = calendar.deadline(start, 1, DAYS)  # Tuesday 10:00: 7 working hours
    # Monday 17:30: 5.5 of 7 working hours used; the night adds nothing.
    assert calendar.used_fraction(start, end, at("2026-03-09 17:30"), DAYS) == pytest.approx(
        5.5 / 7
    )
    assert calendar.used_fraction(start, end, at("2026-03-10 08:00"), DAYS) == pytest.approx(
        5.5 / 7
    )
    assert calendar.used_fraction(start, end, end, DAYS) == 1.0
    assert calendar.used_fraction(start, end, at("2026-03-10 17:30"), DAYS) > 1
    assert calendar.used_fraction(start, end, at("2026-03-08 10:00"), DAYS) == 0.0
    # Urgent hours: real time.
    urgent_end = calendar.deadline(start, 4, URGENT)
    assert calendar.used_fraction(start, urgent_end, at("2026-03-09 13:00"), URGENT) == 0.75


def test_used_fraction_of_an_empty_limit() -> None:
    start = at("2026-03-09 10:00")
    assert calendar.used_fraction(start, start, start, HOURS) == 1.0
    assert calendar.used_fraction(start, start, at("2026-03-09 09:00"), HOURS) == 0.0
