"""REST endpoints of the working calendar, mounted at /api/v1/cases/calendar.

Reading (the year, the holiday table, the working hours, a deadline preview) is open to
everyone who works with cases; changing needs a city administrator (``cases.catalogue``
at city level), exactly as on the page. Changes carry the ``version`` read (a day:
``0`` for a new row) and answer 409 when someone saved first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from gridgov.api.schemas import ERRORS, PageOut, paged
from gridgov.cases import calendar
from gridgov.cases.actions import calendar as actions
from gridgov.cases.calendar import DayRuling
from gridgov.cases.models import CalendarDay, TimeUnit, WorkSchedule
from gridgov.cases.queries import calendar as queries
from gridgov.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE

router = Router(tags=["cases: calendar"])

PAGE = Query(1, ge=1, le=MAX_PAGE)
PAGE_SIZE = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
Source = Literal["table", "package", "fallback"]
Kind = Literal["workday", "weekend", "holiday", "adjusted"]
Unit = Literal["urgent_hours", "working_hours", "working_days"]


# --- schemas ------------------------------------------------------------------------------


class DayOut(Schema):
    date: dt.date
    weekday: int = Field(description="1 = Monday … 7 = Sunday")
    is_workday: bool
    kind: Kind = Field(description="workday, weekend, holiday or adjusted (a worked weekend day)")
    source: Source = Field(
        description="table (holiday table), package (chinese-calendar), fallback"
    )
    name: str = Field(description="The holiday's name, in the request's language")
    overrides_package: bool = Field(description="A table row that says otherwise than the package")
    version: int | None = Field(None, description="The table row's version, when there is one")


class YearOut(Schema):
    year: int
    warning: str | None = Field(description="Set when no holidays are known for the year")
    package_knows: bool = Field(description="chinese-calendar has this year's holidays")
    workdays: int
    days: list[DayOut]


# Times of day as "HH:MM" (local time): JSON Schema's "time" format wants an offset.
TIME = Field(..., pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:30"])


class HoursOut(Schema):
    morning_start: str = TIME
    morning_end: str = TIME
    afternoon_start: str = TIME
    afternoon_end: str = TIME
    day_hours: float = Field(description="Working hours in one working day")
    version: int
    updated_at: dt.datetime | None = None


class HoursIn(Schema):
    morning_start: str = TIME
    morning_end: str = TIME
    afternoon_start: str = TIME
    afternoon_end: str = TIME
    version: int | None = Field(None, description="The version read; omit to overwrite")


class CalendarDayOut(Schema):
    date: dt.date
    is_workday: bool
    name: str
    note: str
    version: int
    updated_at: dt.datetime
    updated_by: str | None = None


class CalendarDayIn(Schema):
    date: dt.date
    is_workday: bool
    name: str = Field("", max_length=40)
    note: str = Field("", max_length=200)
    version: int | None = Field(
        None, ge=0, description="0: a new row (409 if the date has one); else the version read"
    )


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    first: dt.date
    last: dt.date


class DeadlineOut(Schema):
    start: dt.datetime
    amount: int
    unit: Unit
    deadline: dt.datetime
    clock_starts: dt.datetime = Field(description="When the limit's clock first runs")
    warnings: list[str] = Field(description="Years of the span with no known holidays")


# --- shaping ------------------------------------------------------------------------------


def day_out(day: DayRuling) -> dict[str, Any]:
    return {
        "date": day.date,
        "weekday": day.date.isoweekday(),
        "is_workday": day.is_workday,
        "kind": day.kind,
        "source": day.source,
        "name": day.name,
        "overrides_package": day.overrides_package,
        "version": day.table_version,
    }


def hours_out(schedule: WorkSchedule) -> dict[str, Any]:
    return {
        **{name: f"{getattr(schedule, name):%H:%M}" for name in actions.HOURS_FIELDS},
        "day_hours": calendar.current().day_length.total_seconds() / 3600,
        "version": schedule.version,
        "updated_at": schedule.updated_at,
    }


def calendar_day_out(row: CalendarDay) -> dict[str, Any]:
    return {
        "date": row.date,
        "is_workday": row.is_workday,
        "name": row.name,
        "note": row.note,
        "version": row.version,
        "updated_at": row.updated_at,
        "updated_by": str(row.updated_by) if row.updated_by_id else None,
    }


# --- endpoints ----------------------------------------------------------------------------


@router.get(
    "/calendar/hours",
    response={200: HoursOut, **ERRORS},
    summary="The working hours of a working day",
    url_name="cases_calendar_hours",
)
def get_hours(request: HttpRequest) -> Any:
    return hours_out(queries.working_hours_for(request.user))


@router.put(
    "/calendar/hours",
    response={200: HoursOut, **ERRORS},
    summary="Set the working hours (city administrators)",
    url_name="cases_calendar_hours_set",
)
def set_hours(request: HttpRequest, payload: HoursIn) -> Any:
    return hours_out(actions.set_working_hours(actor=request.user, **payload.dict()))


@router.get(
    "/calendar/days",
    response={200: PageOut[CalendarDayOut], **ERRORS},
    summary="The holiday table (of one year), by date",
    url_name="cases_calendar_days",
)
def list_days(
    request: HttpRequest,
    year: int | None = Query(None, ge=queries.FIRST_YEAR, le=queries.LAST_YEAR),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    rows = queries.calendar_days_for(request.user, year)
    return paged(rows, page, page_size, calendar_day_out)


@router.post(
    "/calendar/days",
    response={200: CalendarDayOut, **ERRORS},
    summary="Add a date to the holiday table or change its row (city administrators)",
    url_name="cases_calendar_day_set",
)
def set_day(request: HttpRequest, payload: CalendarDayIn) -> Any:
    data = payload.dict()
    row = actions.set_calendar_day(data.pop("date"), actor=request.user, **data)
    return calendar_day_out(row)


@router.post(
    "/calendar/days/import",
    response={200: ImportOut, **ERRORS},
    summary="Add or replace days from a CSV of date,is_workday,name (all or nothing)",
    url_name="cases_calendar_import",
)
def import_days(
    request: HttpRequest,
    file: UploadedFile = File(..., description="CSV, UTF-8 or GB18030"),  # noqa: B008
    note: str = Form("", max_length=200),
) -> Any:
    result = actions.import_calendar_days(
        file.read(actions.MAX_IMPORT_BYTES + 1), actor=request.user, note=note
    )
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "first": result.first,
        "last": result.last,
    }


@router.delete(
    "/calendar/days/{day}",
    response={204: None, **ERRORS},
    summary="Remove a date from the holiday table (city administrators)",
    url_name="cases_calendar_day_remove",
)
def remove_day(request: HttpRequest, day: dt.date, version: int | None = None) -> Any:
    actions.remove_calendar_day(day, actor=request.user, version=version)
    return Status(204, None)


@router.get(
    "/calendar/deadline",
    response={200: DeadlineOut, **ERRORS},
    summary="When a time limit starting at a moment ends (the deadline calculator)",
    url_name="cases_calendar_deadline",
)
def preview_deadline(
    request: HttpRequest,
    start: dt.datetime,
    amount: int = Query(..., ge=0, le=9999),
    unit: Unit = Query(..., description="urgent_hours, working_hours or working_days"),  # noqa: B008
) -> Any:
    preview = queries.deadline_preview(request.user, start, amount, TimeUnit(unit))
    return {
        "start": preview.start,
        "amount": preview.amount,
        "unit": preview.unit,
        "deadline": preview.deadline,
        "clock_starts": preview.clock_starts,
        "warnings": preview.warnings,
    }


@router.get(
    "/calendar/{year}",
    response={200: YearOut, **ERRORS},
    summary="Every date of a year with its ruling and where it comes from",
    url_name="cases_calendar_year",
)
def get_year(request: HttpRequest, year: int) -> Any:
    view = queries.calendar_year(request.user, year)
    return {
        "year": view.year,
        "warning": view.warning,
        "package_knows": view.package_knows,
        "workdays": view.workday_count,
        "days": [day_out(day) for day in view.days],
    }
