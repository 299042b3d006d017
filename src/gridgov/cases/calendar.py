"""The working calendar: which days are working days, when a working day's hours run, and
deadline arithmetic in the three time units of a case class (domain.md §3).

Which days are working days
    A row of the holiday table (``CalendarDay``) decides its date. Other dates follow the
    ``chinese-calendar`` package — statutory holidays and the adjusted working Saturdays
    and Sundays of the years it was released for (1.11.0: 2004–2026; it raises
    NotImplementedError for any other year). A year neither the package nor the table
    knows (the table knows a year once it has any row in it) falls back to weekends
    only, and ``calendar_warning`` says so, to be shown beside any deadline in that year.

When the working clock runs
    Inside the periods of ``WorkSchedule`` (morning and afternoon, local time) of working
    days only; each period is half open, ``[start, end)``. Times are timezone-aware and
    read in ``settings.TIME_ZONE`` (Asia/Shanghai); a naive datetime is taken as local.

The three units (``TimeUnit``)
    * urgent hours — the clock always runs: ``start + amount`` hours of real time.
    * working hours — the earliest moment by which ``amount`` hours of working time have
      passed since ``start``. A limit used up exactly at 12:00 ends at 12:00, not 14:00.
    * working days — the clock starts at ``start``, or at the next working moment when
      ``start`` is outside working hours (a report on Saturday starts on Monday at the
      morning start; one at 12:30 starts at 14:00). The deadline is that same time of
      day on the ``amount``-th working day after that day. So each working day of the
      limit is one full working day's worth of working time, and the deadline moves
      forward with the start (monotonic), which a rule using the raw time of day of a
      start at night would not.
    A limit of 0 ends at ``start`` in every unit.

``used_fraction`` measures the share of the limit used in the unit's own clock: real
time for urgent hours, working time for the two working units (it stands still at night
and on holidays), so the traffic light of domain.md §3 matches how the limit is counted.

Speed: every call reads the working hours row (one query by primary key; at most once
per web request or ``pinned()`` block); the holiday table is read only when the row's
``calendar_stamp`` changed, which every save or delete of a table row does (signals
below), so all processes reload within one call of a change made anywhere.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import chinese_calendar
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.models import CalendarDay, TimeUnit, WorkSchedule
from gridgov.core.errors import InvalidInput

UTC = dt.UTC
ONE_DAY = dt.timedelta(days=1)
# No limit in a case class comes near this; it keeps a bad input from looping for ever.
MAX_DAYS_SCANNED = 366 * 20


class Source:
    """Where a day's ruling comes from."""

    TABLE = "table"  # the administrator's holiday table
    PACKAGE = "package"  # chinese-calendar
    FALLBACK = "fallback"  # a year nobody knows: weekends only


SOURCE_LABELS: dict[str, Promise] = {
    Source.TABLE: gettext_lazy("Holiday table"),
    Source.PACKAGE: gettext_lazy("Statutory calendar"),
    Source.FALLBACK: gettext_lazy("Weekends only"),
}

# The package's holiday names (its English values) in the page's language.
HOLIDAY_NAMES: dict[str, Promise] = {
    chinese_calendar.Holiday.new_years_day.value: gettext_lazy("New Year's Day"),
    chinese_calendar.Holiday.spring_festival.value: gettext_lazy("Spring Festival"),
    chinese_calendar.Holiday.tomb_sweeping_day.value: gettext_lazy("Tomb-sweeping Day"),
    chinese_calendar.Holiday.labour_day.value: gettext_lazy("Labour Day"),
    chinese_calendar.Holiday.dragon_boat_festival.value: gettext_lazy("Dragon Boat Festival"),
    chinese_calendar.Holiday.national_day.value: gettext_lazy("National Day"),
    chinese_calendar.Holiday.mid_autumn_festival.value: gettext_lazy("Mid-autumn Festival"),
    chinese_calendar.Holiday.anti_fascist_70th_day.value: gettext_lazy(
        "Victory Day (70th anniversary)"
    ),
}

# The years the installed package has data for (it refuses every other year).
PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


def local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in the installation's time zone (a naive one is taken as local time)."""
    zone = timezone.get_default_timezone()
    if timezone.is_naive(moment):
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=timezone.get_default_timezone())


def _plus(moment: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """``moment + delta`` in real elapsed time (aware arithmetic in one zone is wall-clock
    arithmetic in Python; going through UTC stays right in zones with daylight saving)."""
    return local(moment.astimezone(UTC) + delta)


def _elapsed(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    return end.astimezone(UTC) - start.astimezone(UTC)


# --- the rulings of days ------------------------------------------------------------------


@dataclass(frozen=True)
class DayRuling:
    """Whether a date is a working day, who says so, and its holiday name if any."""

    date: dt.date
    is_workday: bool
    source: str
    name_key: str = ""  # the package's holiday name, or the table's own name
    # What chinese-calendar says of the date (None: a year it does not know).
    package_is_workday: bool | None = None
    table_version: int | None = None  # the table row's version, when there is one

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5

    @property
    def kind(self) -> str:
        """How a wall calendar shows it: "workday", "weekend", "holiday" (a named day off,
        or a day off on a weekday) or "adjusted" (a working Saturday or Sunday)."""
        if self.is_workday:
            return "adjusted" if self.is_weekend else "workday"
        return "holiday" if self.name_key or not self.is_weekend else "weekend"

    @property
    def adjusted(self) -> bool:
        """A working Saturday or Sunday (调休上班), or a holiday on a weekday."""
        return self.is_workday == self.is_weekend

    @property
    def overrides_package(self) -> bool:
        """A table row that says otherwise than chinese-calendar."""
        return (
            self.source == Source.TABLE
            and self.package_is_workday is not None
            and self.package_is_workday != self.is_workday
        )

    @property
    def name(self) -> str:
        return str(HOLIDAY_NAMES.get(self.name_key, self.name_key))

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[self.source])


def _package_ruling(day: dt.date) -> tuple[bool, str] | None:
    """(is_workday, holiday name) from chinese-calendar; None for a year it does not know."""
    if day.year not in PACKAGE_YEARS:
        return None
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a release that knows fewer years than its table shows
        return None
    return (not is_holiday), name or ""


@dataclass
class DayBook:
    """The holiday table as one process holds it, and the rulings worked out from it."""

    stamp: str
    table: dict[dt.date, CalendarDay]
    table_years: frozenset[int] = field(init=False)
    _rulings: dict[dt.date, DayRuling] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.table_years = frozenset(day.year for day in self.table)

    def ruling(self, day: dt.date) -> DayRuling:
        found = self._rulings.get(day)
        if found is None:
            found = self._rulings[day] = self._rule(day)
        return found

    def _rule(self, day: dt.date) -> DayRuling:
        package = _package_ruling(day)
        package_is_workday = package[0] if package else None
        row = self.table.get(day)
        if row is not None:
            return DayRuling(
                day, row.is_workday, Source.TABLE, row.name, package_is_workday, row.version
            )
        if package is not None:
            return DayRuling(day, package[0], Source.PACKAGE, package[1], package_is_workday)
        return DayRuling(day, day.weekday() < 5, Source.FALLBACK)

    def knows_year(self, year: int) -> bool:
        return year in PACKAGE_YEARS or year in self.table_years


# --- the calendar -------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The working hours and the day rulings in force: everything a deadline needs."""

    hours: tuple[tuple[dt.time, dt.time], ...]
    days: DayBook
    schedule: WorkSchedule = field(default_factory=lambda: WorkSchedule(pk=1))

    # Days --------------------------------------------------------------------------------

    def ruling(self, day: dt.date) -> DayRuling:
        return self.days.ruling(day)

    def is_workday(self, day: dt.date) -> bool:
        return self.days.ruling(day).is_workday

    def warning(self, day: dt.date) -> str | None:
        if self.days.knows_year(day.year):
            return None
        return _(
            "No holidays are known for %(year)s: only weekends are skipped. An administrator "
            "should enter that year's holidays and adjusted working days in the holiday table."
        ) % {"year": day.year}

    # Working periods ---------------------------------------------------------------------

    @cached_property
    def day_length(self) -> dt.timedelta:
        """The working time of one working day."""
        day = dt.date(2000, 1, 3)
        lengths = (_at(day, end) - _at(day, start) for start, end in self.hours)
        return sum(lengths, dt.timedelta(0))

    def periods(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working periods of ``day`` as aware local datetimes (none on a day off)."""
        if not self.is_workday(day):
            return []
        return [(_at(day, start), _at(day, end)) for start, end in self.hours]

    def _periods_from(self, moment: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working periods (or their remaining part) from ``moment`` on, in order."""
        moment = local(moment)
        day = moment.date()
        for _n in range(MAX_DAYS_SCANNED):
            for start, end in self.periods(day):
                if end > moment:
                    yield max(start, moment), end
            day += ONE_DAY
        raise InvalidInput(
            _("No working time within %(n)d days: check the holiday table.")
            % {"n": MAX_DAYS_SCANNED}
        )

    def next_working_moment(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` itself inside working hours, else the start of the next period."""
        return next(self._periods_from(moment))[0]

    def working_time(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time between two moments (zero when ``end`` is not after ``start``).
        The days in between count whole, so a long span costs one look-up per day."""
        start, end = local(start), local(end)
        if end <= start:
            return dt.timedelta(0)
        if start.date() == end.date():
            return self._working_part(start.date(), start, end)
        total = self._working_part(start.date(), start, None)
        total += self._working_part(end.date(), None, end)
        day = start.date() + ONE_DAY
        while day < end.date():
            if self.is_workday(day):
                total += self.day_length
            day += ONE_DAY
        return total

    def _working_part(
        self, day: dt.date, after: dt.datetime | None, before: dt.datetime | None
    ) -> dt.timedelta:
        """Working time of ``day`` between two moments of it (None: the day's edge)."""
        total = dt.timedelta(0)
        for period_start, period_end in self.periods(day):
            overlap = min(period_end, before or period_end) - max(
                period_start, after or period_start
            )
            if overlap > dt.timedelta(0):
                total += overlap
        return total

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The earliest moment by which ``amount`` of working time has passed."""
        if amount <= dt.timedelta(0):
            return local(start)
        remaining = amount
        for period_start, period_end in self._periods_from(start):
            available = period_end - period_start
            if remaining <= available:
                return period_start + remaining
            remaining -= available
        raise AssertionError("unreachable: _periods_from raises when it runs out")

    def add_working_days(self, start: dt.datetime, amount: int) -> dt.datetime:
        """The same working time of day on the ``amount``-th working day after the day the
        clock starts (see the module's docstring)."""
        if amount <= 0:
            return local(start)
        begin = self.next_working_moment(start)
        day, counted = begin.date(), 0
        for _n in range(MAX_DAYS_SCANNED):
            day += ONE_DAY
            counted += self.is_workday(day)
            if counted == amount:
                return _at(day, begin.time())
        raise InvalidInput(
            _("No working time within %(n)d days: check the holiday table.")
            % {"n": MAX_DAYS_SCANNED}
        )

    # Deadlines ---------------------------------------------------------------------------

    def deadline(self, start: dt.datetime, amount: int, unit: str) -> dt.datetime:
        amount = _check_amount(amount)
        if unit == TimeUnit.URGENT_HOURS:
            return _plus(local(start), dt.timedelta(hours=amount))
        if unit == TimeUnit.WORKING_HOURS:
            return self.add_working_time(start, dt.timedelta(hours=amount))
        if unit == TimeUnit.WORKING_DAYS:
            return self.add_working_days(start, amount)
        raise _bad_unit(unit)

    def used_fraction(
        self, start: dt.datetime, deadline: dt.datetime, now: dt.datetime, unit: str
    ) -> float:
        if unit == TimeUnit.URGENT_HOURS:
            used, limit = _elapsed(start, now), _elapsed(start, deadline)
        elif unit in (TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS):
            used, limit = self.working_time(start, now), self.working_time(start, deadline)
        else:
            raise _bad_unit(unit)
        if limit <= dt.timedelta(0):
            return 1.0 if now >= deadline else 0.0
        return max(0.0, used / limit)


def _check_amount(amount: Any) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidInput(
            _("amount: a whole number, 0 or more"),
            fields={"amount": _("a whole number, 0 or more")},
        )
    return amount


def _bad_unit(unit: str) -> InvalidInput:
    choices = ", ".join(TimeUnit.values)
    return InvalidInput(
        _("unit: must be one of: %(choices)s") % {"choices": choices},
        fields={"unit": _("must be one of: %(choices)s") % {"choices": choices}},
    )


# --- loading and caching ------------------------------------------------------------------

_lock = threading.Lock()
_daybook: DayBook | None = None  # shared by the threads of a process
_local = threading.local()  # per thread: inside a request? the calendar read for it


def working_hours() -> WorkSchedule:
    """The working hours in force; the defaults (unsaved) until an administrator sets them,
    so that reading a deadline never writes."""
    return WorkSchedule.objects.filter(pk=1).first() or WorkSchedule(pk=1)


def _load() -> Calendar:
    global _daybook
    schedule = working_hours()
    book = _daybook
    if book is None or book.stamp != schedule.calendar_stamp:
        table = {row.date: row for row in CalendarDay.objects.order_by("date")}
        book = DayBook(stamp=schedule.calendar_stamp, table=table)
        with _lock:
            _daybook = book
    hours = (
        (schedule.morning_start, schedule.morning_end),
        (schedule.afternoon_start, schedule.afternoon_end),
    )
    return Calendar(hours=hours, days=book, schedule=schedule)


def current() -> Calendar:
    """The calendar in force. Read afresh on every call, except that inside a
    ``pinned()`` block — every web request is one (``gridgov.cases.middleware``) — the
    first reading serves the rest: a list of fifty traffic lights costs one query, not
    fifty. A change made in this process is seen at once (the signals below drop the
    memo)."""
    memo = getattr(_local, "memo", None)
    if memo is not None:
        return memo
    calendar = _load()
    if getattr(_local, "depth", 0):
        _local.memo = calendar
    return calendar


@contextmanager
def pinned() -> Iterator[None]:
    """One reading of the calendar for a whole block: a web request, a batch job's loop
    over cases. The first ``current()`` inside reads it (a block that needs no calendar
    costs nothing); blocks nest; the memo is dropped when the outermost one ends."""
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield
    finally:
        _local.depth = max(0, _local.depth - 1)
        if not _local.depth:
            _local.memo = None


def forget() -> None:
    """Drop this process's copy (after a change made here, so the next call reloads)."""
    global _daybook
    with _lock:
        _daybook = None
    _local.memo = None


def changed() -> None:
    """Record that the holiday table changed: a fresh stamp on the working hours row (in
    the caller's transaction), so every process reloads its copy. Bulk writes, which send
    no signals, must call this themselves."""
    stamp = uuid.uuid4().hex
    if not WorkSchedule.objects.filter(pk=1).update(calendar_stamp=stamp):
        WorkSchedule.objects.get_or_create(pk=1, defaults={"calendar_stamp": stamp})
    forget()


def _on_table_change(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # loading fixtures
        return
    changed()


def _on_hours_change(sender: Any, **kwargs: Any) -> None:
    _local.memo = None


post_save.connect(_on_table_change, sender=CalendarDay, dispatch_uid="cases.calendar.save")
post_delete.connect(_on_table_change, sender=CalendarDay, dispatch_uid="cases.calendar.delete")
post_save.connect(_on_hours_change, sender=WorkSchedule, dispatch_uid="cases.calendar.hours")


# --- the contract -------------------------------------------------------------------------


def deadline(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """When a limit of ``amount`` ``unit`` (a TimeUnit value) starting at ``start`` ends."""
    return current().deadline(start, amount, unit)


def used_fraction(start: dt.datetime, deadline: dt.datetime, now: dt.datetime, unit: str) -> float:
    """The share of the limit from ``start`` to ``deadline`` used by ``now`` (0 before the
    start, 1 at the deadline, above 1 when overdue), in the unit's own clock."""
    return current().used_fraction(start, deadline, now, unit)


def is_workday(day: dt.date) -> bool:
    return current().is_workday(day)


def calendar_warning(day: dt.date) -> str | None:
    """A sentence for users when ``day`` lies in a year with no known holidays."""
    return current().warning(day)


def warnings_between(start: dt.datetime, end: dt.datetime) -> list[str]:
    """The warnings of every year from ``start`` to ``end`` (for a deadline's span)."""
    calendar = current()
    first, last = sorted((local(start).year, local(end).year))
    found = (calendar.warning(dt.date(year, 1, 1)) for year in range(first, last + 1))
    return [text for text in found if text]
