"""Changing the working calendar: the working hours and the holiday table.

Every function takes the acting user as ``actor=``, runs in one transaction, lets only
an administrator of the whole city (``cases.catalogue`` at city level) or an operator
change the calendar (it moves the deadlines of every county), and writes one audit
event. Changes of an existing row carry the ``version`` the user saw and fail with
Conflict when someone saved first; ``version=0`` on a day means "a new row" and fails
when the date already has one.

Saving or deleting a table row changes the calendar stamp (``gridgov.cases.calendar``),
so every process reloads its copy of the calendar; the import, which writes in bulk,
changes it once itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from gridgov.audit import labels as audit_labels
from gridgov.audit.actions import diff, record
from gridgov.cases import calendar
from gridgov.cases.models import CalendarDay, WorkSchedule
from gridgov.cases.queries import calendar as queries
from gridgov.core.errors import Conflict, InvalidInput, NotFound
from gridgov.core.versions import whole_version

HOURS_FIELDS = ("morning_start", "morning_end", "afternoon_start", "afternoon_end")
DAY_FIELDS = ("is_workday", "name", "note")
MAX_IMPORT_ROWS = 5_000
MAX_IMPORT_BYTES = 1_000_000
# What a CSV may say in the is_workday column (English, Chinese, numbers).
WORKDAY_WORDS = {
    "1": True,
    "true": True,
    "yes": True,
    "y": True,
    "workday": True,
    "work": True,
    "是": True,
    "班": True,
    "上班": True,
    "工作日": True,
    "0": False,
    "false": False,
    "no": False,
    "n": False,
    "holiday": False,
    "off": False,
    "rest": False,
    "否": False,
    "休": False,
    "休息": False,
    "假日": False,
    "节假日": False,
}


# --- helpers ------------------------------------------------------------------------------


def _fail(field: str, reason: str) -> InvalidInput:
    label = _field_label(field)
    return InvalidInput(
        _("%(field)s: %(reason)s") % {"field": label, "reason": reason}, fields={field: reason}
    )


def _field_label(field: str) -> str:
    for model in (WorkSchedule, CalendarDay):
        try:
            return str(getattr(model._meta.get_field(field), "verbose_name", field))
        except FieldDoesNotExist:
            continue
    return field


def _check_version(row: Any, version: Any) -> None:
    if version is None:
        return
    expected = whole_version(version)
    if row is None and expected:
        raise Conflict(_("Someone else removed this day after you opened it."))
    if row is not None and expected != row.version:
        if expected == 0:
            raise Conflict(
                _("This date is already in the holiday table; edit it there."),
                details={"version": row.version},
            )
        raise Conflict(
            _("Someone else changed this after you opened it. Reload it and try again."),
            details={"version": row.version},
        )


def _text(value: Any, field: str) -> str:
    text = " ".join(str(value if value is not None else "").split())
    limit = getattr(CalendarDay._meta.get_field(field), "max_length", None) or 0
    if not text.isprintable():
        raise _fail(field, _("contains control characters"))
    if len(text) > limit:
        raise _fail(field, _("longer than %(n)d characters") % {"n": limit})
    return text


def _time(value: Any, field: str) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return dt.time.fromisoformat(str(value).strip()).replace(second=0, microsecond=0)
    except ValueError:
        raise _fail(field, _("not a time of day (HH:MM)")) from None


def _flag(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    found = WORKDAY_WORDS.get(str(value if value is not None else "").strip().lower())
    if found is None:
        raise _fail(field, _("say 1 (a working day) or 0 (a day off)"))
    return found


def _day_state(row: CalendarDay | None) -> dict[str, Any]:
    return {name: getattr(row, name) for name in DAY_FIELDS} if row is not None else {}


# --- working hours ------------------------------------------------------------------------


@transaction.atomic
def set_working_hours(
    *,
    actor: Any,
    morning_start: Any,
    morning_end: Any,
    afternoon_start: Any,
    afternoon_end: Any,
    version: Any = None,
) -> WorkSchedule:
    """Set the morning and afternoon working periods of every working day."""
    queries.require_editor(actor)
    values = {
        "morning_start": _time(morning_start, "morning_start"),
        "morning_end": _time(morning_end, "morning_end"),
        "afternoon_start": _time(afternoon_start, "afternoon_start"),
        "afternoon_end": _time(afternoon_end, "afternoon_end"),
    }
    if not values["morning_start"] < values["morning_end"]:
        raise _fail("morning_end", _("must be after the morning's start"))
    if not values["morning_end"] <= values["afternoon_start"]:
        raise _fail("afternoon_start", _("must not be before the morning's end"))
    if not values["afternoon_start"] < values["afternoon_end"]:
        raise _fail("afternoon_end", _("must be after the afternoon's start"))
    schedule, _created = WorkSchedule.objects.select_for_update().get_or_create(pk=1)
    _check_version(schedule, version)
    before = {name: getattr(schedule, name) for name in HOURS_FIELDS}
    changes = diff(before, values)
    if changes:
        for name, value in values.items():
            setattr(schedule, name, value)
        schedule.version += 1
        schedule.updated_by = actor if getattr(actor, "pk", None) else None
        schedule.save()
        record("cases.calendar.hours", actor=actor, obj=schedule, changes=changes)
    return schedule


# --- the holiday table --------------------------------------------------------------------


@transaction.atomic
def set_calendar_day(
    day: Any,
    *,
    actor: Any,
    is_workday: Any,
    name: Any = "",
    note: Any = "",
    version: Any = None,
) -> CalendarDay:
    """Rule one date a working day or a day off, overriding chinese-calendar.

    ``version``: None replaces whatever is there; 0 adds a new row (Conflict if the date
    has one); otherwise the version of the row the user saw.
    """
    queries.require_editor(actor)
    date = queries.parse_date(day)
    values = {
        "is_workday": _flag(is_workday, "is_workday"),
        "name": _text(name, "name"),
        "note": _text(note, "note"),
    }
    row = CalendarDay.objects.select_for_update().filter(date=date).first()
    _check_version(row, version)
    before = _day_state(row)
    changes = diff(before, values)
    if row is not None and not changes:
        return row
    if row is None:
        row = CalendarDay(date=date)
    else:
        row.version += 1
    for field, value in values.items():
        setattr(row, field, value)
    row.updated_by = actor if getattr(actor, "pk", None) else None
    row.save()
    record(
        "cases.calendar.day_set",
        actor=actor,
        obj=row,
        changes={"date": date.isoformat(), **changes},
    )
    return row


@transaction.atomic
def remove_calendar_day(day: Any, *, actor: Any, version: Any = None) -> None:
    """Take a date out of the holiday table: chinese-calendar rules it again."""
    queries.require_editor(actor)
    date = queries.parse_date(day)
    row = CalendarDay.objects.select_for_update().filter(date=date).first()
    if row is None:
        raise NotFound()
    _check_version(row, version)
    record(
        "cases.calendar.day_remove",
        actor=actor,
        obj=row,
        changes={"date": date.isoformat(), **diff(_day_state(row), {})},
    )
    row.delete()


# --- import -------------------------------------------------------------------------------


@dataclass
class CalendarImport:
    first: dt.date
    last: dt.date
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def first_year(self) -> int:
        return self.first.year


def _csv_text(source: str | bytes | Iterable[str]) -> str:
    if isinstance(source, bytes):
        if len(source) > MAX_IMPORT_BYTES:
            raise _fail("file", _("larger than %(n)d bytes") % {"n": MAX_IMPORT_BYTES})
        for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves GB18030
            try:
                return source.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise _fail("file", _("not UTF-8 or GB18030 text"))
    return source if isinstance(source, str) else "".join(source)


def _row_error(errors: list[dict[str, Any]], row: int, column: str, reason: Any) -> None:
    errors.append({"row": row, "column": column, "reason": str(reason)})


def parse_calendar_csv(source: str | bytes | Iterable[str]) -> dict[dt.date, dict[str, Any]]:
    """The rows of a ``date,is_workday,name`` CSV (a header line is optional), or
    InvalidInput listing every bad row with its number and column."""
    reader = csv.reader(io.StringIO(_csv_text(source)))
    parsed: dict[dt.date, dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    for number, cells in enumerate(reader, start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells) or (number == 1 and cells[0].lower() in ("date", "日期")):
            continue
        if len(parsed) + len(errors) >= MAX_IMPORT_ROWS:
            _row_error(errors, number, "", _("more than %(n)d rows") % {"n": MAX_IMPORT_ROWS})
            break
        _parse_row(number, [*cells, "", ""][:3], parsed, errors)
    if errors:
        bad_rows = len({error["row"] for error in errors})
        raise InvalidInput(
            _("%(n)d rows of the file are not valid; nothing was imported.") % {"n": bad_rows},
            details={"errors": errors},
        )
    if not parsed:
        raise _fail("file", _("no rows"))
    return parsed


def _parse_row(
    number: int,
    cells: list[str],
    parsed: dict[dt.date, dict[str, Any]],
    errors: list[dict[str, Any]],
) -> None:
    date_text, flag_text, name = cells
    found = len(errors)
    try:
        date = queries.parse_date(date_text)
    except InvalidInput as exc:
        _row_error(errors, number, "date", exc.details["fields"]["date"])
    try:
        is_workday = _flag(flag_text, "is_workday")
    except InvalidInput as exc:
        _row_error(errors, number, "is_workday", exc.details["fields"]["is_workday"])
    try:
        name = _text(name, "name")
    except InvalidInput as exc:
        _row_error(errors, number, "name", exc.details["fields"]["name"])
    if len(errors) > found:
        return
    if date in parsed:
        _row_error(errors, number, "date", _("the date is already in an earlier row"))
        return
    parsed[date] = {"is_workday": is_workday, "name": name}


@transaction.atomic
def import_calendar_days(
    source: str | bytes | Iterable[str], *, actor: Any, note: str = ""
) -> CalendarImport:
    """Add or replace the days of a ``date,is_workday,name`` CSV — typically a year's
    State Council notice before chinese-calendar knows the year. All or nothing."""
    queries.require_editor(actor)
    rows = parse_calendar_csv(source)
    note = _text(note, "note")
    locked = CalendarDay.objects.select_for_update().filter(date__in=list(rows))
    existing = {row.date: row for row in locked}
    result = CalendarImport(first=min(rows), last=max(rows))
    new: list[CalendarDay] = []
    changed: list[CalendarDay] = []
    editor = actor if getattr(actor, "pk", None) else None
    for date, values in sorted(rows.items()):
        row = existing.get(date)
        if row is None:
            new.append(CalendarDay(date=date, note=note, updated_by=editor, **values))
        elif diff(_day_state(row), {**_day_state(row), **values}):
            row.is_workday, row.name = values["is_workday"], values["name"]
            row.version += 1
            row.updated_by = editor
            changed.append(row)
        else:
            result.unchanged += 1
    CalendarDay.objects.bulk_create(new)
    # bulk_update does not touch auto_now fields; name updated_at explicitly.
    for row in changed:
        row.save(update_fields=["is_workday", "name", "version", "updated_by", "updated_at"])
    result.created, result.updated = len(new), len(changed)
    calendar.changed()
    years = sorted({date.year for date in rows})
    record(
        "cases.calendar.import",
        actor=actor,
        object_type="cases.calendarday",
        object_repr=", ".join(str(year) for year in years),
        changes={
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "first": result.first.isoformat(),
            "last": result.last.isoformat(),
        },
    )
    return result


AUDIT_LABELS: dict[str, str | Promise] = {
    "cases.calendar.hours": pgettext_lazy("audit action", "Working hours changed"),
    "cases.calendar.day_set": pgettext_lazy("audit action", "Holiday table day set"),
    "cases.calendar.day_remove": pgettext_lazy("audit action", "Holiday table day removed"),
    "cases.calendar.import": pgettext_lazy("audit action", "Holiday table imported"),
}
audit_labels.register(AUDIT_LABELS)
