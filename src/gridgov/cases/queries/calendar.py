"""Reading the working calendar: the year view, the holiday table, the working hours and
the deadline calculator.

The calendar is no secret and serves every county alike: anyone who works with cases may
read it. Only administrators bound to the whole city (or operators) change it
(``may_edit_calendar``) — a holiday moves the deadlines of every county's cases.
"""

from __future__ import annotations

import calendar as month_grids
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.cases import calendar
from gridgov.cases.calendar import DayRuling
from gridgov.cases.models import CalendarDay, TimeUnit, WorkSchedule
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.territory import codes

CATALOGUE = "cases.catalogue"
# Whoever reports, verifies, files, dispatches, disposes, reads or scores cases, keeps
# components or keeps the catalogue.
READERS = (
    CATALOGUE,
    "cases.view",
    "cases.report",
    "cases.verify",
    "cases.supervise",
    "cases.dispatch",
    "cases.dispose",
    "components.view",
    "evaluation.view",
)
CITY_CODE_LENGTH = codes.CODE_LENGTH[codes.CITY]
FIRST_YEAR, LAST_YEAR = 2000, 2100  # what the pages and the API accept


# --- who may ------------------------------------------------------------------------------


def may_read_calendar(user: Any) -> bool:
    return any(scope.has_capability(user, capability) for capability in READERS)


def require_reader(user: Any) -> None:
    if not may_read_calendar(user):
        raise PermissionDenied()


def may_edit_calendar(user: Any) -> bool:
    """City-level administrators and operators: the calendar is every county's."""
    return any(len(prefix) <= CITY_CODE_LENGTH for prefix in scope.scope_codes(user, CATALOGUE))


def require_editor(user: Any) -> None:
    if not may_edit_calendar(user):
        raise PermissionDenied(
            _("Only an administrator of the whole city may change the working calendar.")
        )


# --- input --------------------------------------------------------------------------------


def check_year(year: Any) -> int:
    try:
        number = int(year)
    except (TypeError, ValueError):
        number = 0
    if not FIRST_YEAR <= number <= LAST_YEAR:
        message = _("a year from %(first)d to %(last)d") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        raise InvalidInput(_("year: %(reason)s") % {"reason": message}, fields={"year": message})
    return number


def parse_date(value: Any, field_name: str = "date") -> dt.date:
    """A date from a ``date`` or an ISO text (YYYY-MM-DD) in the years the calendar pages
    accept, else InvalidInput on ``field_name``."""
    if isinstance(value, dt.datetime):
        day: dt.date | None = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            day = None
    if day is None:
        reason = _("not a date (YYYY-MM-DD)")
    elif not FIRST_YEAR <= day.year <= LAST_YEAR:
        reason = _("a date from %(first)d to %(last)d") % {"first": FIRST_YEAR, "last": LAST_YEAR}
    else:
        return day
    raise InvalidInput(
        _("%(field)s: %(reason)s") % {"field": field_name, "reason": reason},
        fields={field_name: reason},
    )


# --- the year view ------------------------------------------------------------------------


@dataclass
class MonthView:
    year: int
    month: int
    weeks: list[list[DayRuling | None]]  # Monday first; None pads the first and last week

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)


@dataclass
class Period:
    """Consecutive days with one ruling and one name: a holiday, or a worked weekend day."""

    first: dt.date
    last: dt.date
    name: str
    is_workday: bool
    from_table: bool

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def periods_of(days: list[DayRuling]) -> list[Period]:
    """The year's holidays and adjusted working days, runs of equal days joined."""
    found: list[Period] = []
    for day in days:
        if day.kind not in ("holiday", "adjusted"):
            continue
        last = found[-1] if found else None
        if (
            last is not None
            and last.last + dt.timedelta(days=1) == day.date
            and (last.name, last.is_workday) == (day.name, day.is_workday)
        ):
            last.last = day.date
            last.from_table = last.from_table or day.source == calendar.Source.TABLE
        else:
            found.append(
                Period(
                    day.date,
                    day.date,
                    day.name,
                    day.is_workday,
                    day.source == calendar.Source.TABLE,
                )
            )
    return found


@dataclass
class YearView:
    year: int
    days: list[DayRuling]
    months: list[MonthView]
    warning: str | None
    package_knows: bool
    table_rows: list[CalendarDay] = field(default_factory=list)

    @property
    def holidays(self) -> list[DayRuling]:
        """Days off that are not plain weekends: statutory holidays and the table's."""
        return [d for d in self.days if not d.is_workday and not d.is_weekend]

    @property
    def adjusted_workdays(self) -> list[DayRuling]:
        return [d for d in self.days if d.is_workday and d.is_weekend]

    @property
    def workday_count(self) -> int:
        return sum(d.is_workday for d in self.days)

    @property
    def periods(self) -> list[Period]:
        return periods_of(self.days)

    @property
    def overrides(self) -> list[DayRuling]:
        return [d for d in self.days if d.source == calendar.Source.TABLE]


def calendar_year(user: Any, year: Any) -> YearView:
    """Every date of ``year`` with its ruling and where the ruling comes from."""
    require_reader(user)
    number = check_year(year)
    current = calendar.current()
    grid = month_grids.Calendar(firstweekday=0)
    months = [
        MonthView(
            number,
            month,
            [
                [current.ruling(day) if day.month == month else None for day in week]
                for week in grid.monthdatescalendar(number, month)
            ],
        )
        for month in range(1, 13)
    ]
    days = [
        ruling for month in months for week in month.weeks for ruling in week if ruling is not None
    ]
    return YearView(
        year=number,
        days=days,
        months=months,
        warning=current.warning(dt.date(number, 1, 1)),
        package_knows=number in calendar.PACKAGE_YEARS,
        table_rows=[current.days.table[d.date] for d in days if d.source == calendar.Source.TABLE],
    )


# --- the holiday table and the hours ------------------------------------------------------


def calendar_days_for(user: Any, year: int | None = None) -> QuerySet[CalendarDay]:
    """The holiday table (of one year, when given), by date."""
    require_reader(user)
    rows = CalendarDay.objects.select_related("updated_by").order_by("date")
    if year is not None:
        rows = rows.filter(date__year=check_year(year))
    return rows


def calendar_day_or_none(user: Any, day: Any) -> CalendarDay | None:
    require_reader(user)
    return CalendarDay.objects.filter(date=parse_date(day)).first()


def get_calendar_day_for(user: Any, day: Any) -> CalendarDay:
    found = calendar_day_or_none(user, day)
    if found is None:
        raise NotFound()
    return found


def working_hours_for(user: Any) -> WorkSchedule:
    """The working hours in force (the defaults, unsaved, until an administrator sets them)."""
    require_reader(user)
    return calendar.current().schedule


# --- the deadline calculator --------------------------------------------------------------


@dataclass
class DeadlinePreview:
    start: dt.datetime
    amount: int
    unit: str
    deadline: dt.datetime
    clock_starts: dt.datetime  # when working time first runs (the start itself if urgent)
    warnings: list[str]

    @property
    def unit_label(self) -> str:
        return str(TimeUnit(self.unit).label)


def deadline_preview(user: Any, start: dt.datetime, amount: int, unit: str) -> DeadlinePreview:
    require_reader(user)
    start = calendar.local(start)
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        reason = _("a time from %(first)d to %(last)d") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        raise InvalidInput(_("start: %(reason)s") % {"reason": reason}, fields={"start": reason})
    current = calendar.current()
    end = current.deadline(start, amount, unit)
    starts = (
        calendar.local(start)
        if unit == TimeUnit.URGENT_HOURS or amount == 0
        else current.next_working_moment(start)
    )
    return DeadlinePreview(
        start=calendar.local(start),
        amount=amount,
        unit=unit,
        deadline=end,
        clock_starts=starts,
        warnings=calendar.warnings_between(start, end),
    )
