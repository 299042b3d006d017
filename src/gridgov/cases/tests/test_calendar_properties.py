"""Properties of the deadline arithmetic over starts from December 2024 into 2027 (so
both Spring Festivals, National Day, the adjusted working days and the weekends-only
fallback year are crossed), with a few holiday-table rows in the mix."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.cases import calendar
from gridgov.cases.models import CalendarDay, TimeUnit

SHANGHAI = ZoneInfo("Asia/Shanghai")
UNITS = st.sampled_from(list(TimeUnit))
STARTS = st.datetimes(min_value=dt.datetime(2024, 12, 1), max_value=dt.datetime(2027, 2, 1)).map(
    lambda moment: moment.replace(second=0, microsecond=0, tzinfo=SHANGHAI)
)
AMOUNTS = st.integers(min_value=0, max_value=40)
PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def table(db: Any) -> None:
    """The city's own rulings: a local holiday, a worked package holiday, 2027's New Year."""
    CalendarDay.objects.create(date=dt.date(2026, 10, 8), is_workday=False, name="本地假日")
    CalendarDay.objects.create(date=dt.date(2025, 10, 8), is_workday=True)
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, name="元旦")


@PROPERTY
@given(start=STARTS, amounts=st.tuples(AMOUNTS, AMOUNTS), unit=UNITS)
def test_deadline_grows_with_the_amount(
    table: None, start: dt.datetime, amounts: tuple[int, int], unit: str
) -> None:
    small, large = sorted(amounts)
    assert calendar.deadline(start, small, unit) <= calendar.deadline(start, large, unit)


@PROPERTY
@given(starts=st.tuples(STARTS, STARTS), amount=AMOUNTS, unit=UNITS)
def test_deadline_moves_with_the_start(
    table: None, starts: tuple[dt.datetime, dt.datetime], amount: int, unit: str
) -> None:
    early, late = sorted(starts)
    assert calendar.deadline(early, amount, unit) <= calendar.deadline(late, amount, unit)


@PROPERTY
@given(start=STARTS, amount=AMOUNTS, unit=UNITS)
def test_the_whole_limit_is_used_at_the_deadline(
    table: None, start: dt.datetime, amount: int, unit: str
) -> None:
    end = calendar.deadline(start, amount, unit)
    assert end >= start
    assert calendar.used_fraction(start, end, end, unit) == 1


@PROPERTY
@given(start=STARTS, amount=AMOUNTS)
def test_the_working_clock_agrees_with_the_limit(
    table: None, start: dt.datetime, amount: int
) -> None:
    """n working hours are n hours of working time; n working days are n working days'
    worth of it (which is what makes the traffic light fair in both units)."""
    current = calendar.current()
    hours_end = calendar.deadline(start, amount, TimeUnit.WORKING_HOURS)
    assert current.working_time(start, hours_end) == dt.timedelta(hours=amount)
    days_end = calendar.deadline(start, amount, TimeUnit.WORKING_DAYS)
    assert current.working_time(start, days_end) == amount * current.day_length
    if amount:
        assert current.is_workday(days_end.date())


@PROPERTY
@given(
    start=STARTS, amount=st.integers(min_value=1, max_value=40), unit=UNITS, share=st.floats(0, 1)
)
def test_the_used_share_grows_with_time(
    table: None, start: dt.datetime, amount: int, unit: str, share: float
) -> None:
    end = calendar.deadline(start, amount, unit)
    middle = start + (end - start) * share
    used = calendar.used_fraction(start, end, middle, unit)
    assert 0 <= used <= 1
    assert used <= calendar.used_fraction(start, end, end + dt.timedelta(days=3), unit)
