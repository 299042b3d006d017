"""Changing the working calendar: who may, what is refused (and then nothing changed),
versions, the CSV import and the audit trail — and that deadlines follow at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from gridgov import cli
from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.cases import calendar
from gridgov.cases.actions import calendar as actions
from gridgov.cases.models import CalendarDay, TimeUnit, WorkSchedule
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.core.system import SYSTEM

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YEAR_2027 = dt.date(2027, 1, 1)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def admin(territory: Any, make_user: Callable[..., User]) -> User:
    return make_user("admin", "4113", username="city-admin")


@pytest.fixture
def county_admin(territory: Any, make_user: Callable[..., User]) -> User:
    return make_user("admin", "411302", username="county-admin")


def state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    """Everything a calendar action may change: the table, the hours, the audit trail."""
    return (
        list(CalendarDay.objects.values_list("date", "is_workday", "name", "version")),
        list(WorkSchedule.objects.values_list("morning_start", "afternoon_end", "version")),
        AuditEvent.objects.count(),
    )


HOURS = {
    "morning_start": "09:00",
    "morning_end": "12:00",
    "afternoon_start": "13:30",
    "afternoon_end": "18:00",
}


# --- working hours ------------------------------------------------------------------------


def test_set_working_hours_moves_deadlines_and_is_audited(admin: User) -> None:
    start = dt.datetime(2026, 3, 9, 11, 0, tzinfo=SHANGHAI)
    assert calendar.deadline(start, 2, TimeUnit.WORKING_HOURS).hour == 15  # 11–12, 14–15
    schedule = actions.set_working_hours(actor=admin, version=None, **HOURS)
    assert schedule.version == 2 and schedule.updated_by == admin
    assert calendar.deadline(start, 2, TimeUnit.WORKING_HOURS) == start.replace(hour=14, minute=30)
    event = AuditEvent.objects.get(action="cases.calendar.hours")
    assert event.actor == admin
    assert event.changes["morning_start"] == ["08:30:00", "09:00:00"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"morning_end": "08:00"}, "morning_end"),
        ({"afternoon_start": "11:00"}, "afternoon_start"),
        ({"afternoon_end": "13:00"}, "afternoon_end"),
        ({"morning_start": "nine"}, "morning_start"),
    ],
)
def test_bad_hours_name_the_field_and_change_nothing(
    admin: User, change: dict[str, str], field: str
) -> None:
    before = state()
    with pytest.raises(InvalidInput) as raised:
        actions.set_working_hours(actor=admin, **{**HOURS, **change})
    assert field in raised.value.details["fields"]
    assert state() == before


def test_stale_hours_are_refused(admin: User) -> None:
    actions.set_working_hours(actor=admin, version=1, **HOURS)
    before = state()
    with pytest.raises(Conflict):
        actions.set_working_hours(actor=admin, version=1, **{**HOURS, "morning_start": "08:00"})
    assert state() == before


# --- days ---------------------------------------------------------------------------------


def test_add_change_and_remove_a_day(admin: User) -> None:
    row = actions.set_calendar_day(
        NEW_YEAR_2027, actor=admin, is_workday=False, name="元旦", version=0
    )
    assert (row.version, row.updated_by) == (1, admin)
    assert not calendar.is_workday(NEW_YEAR_2027)
    assert calendar.calendar_warning(NEW_YEAR_2027) is None
    # Adding it again as new is a conflict, not a silent overwrite.
    with pytest.raises(Conflict):
        actions.set_calendar_day("2027-01-01", actor=admin, is_workday=True, version=0)
    row = actions.set_calendar_day("2027-01-01", actor=admin, is_workday=True, version=1)
    assert row.version == 2 and calendar.is_workday(NEW_YEAR_2027)
    with pytest.raises(Conflict):
        actions.remove_calendar_day(NEW_YEAR_2027, actor=admin, version=1)
    actions.remove_calendar_day(NEW_YEAR_2027, actor=admin, version=2)
    assert not CalendarDay.objects.exists()
    assert calendar.calendar_warning(NEW_YEAR_2027) is not None
    actions_seen = list(
        AuditEvent.objects.filter(action__startswith="cases.calendar.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions_seen == [
        "cases.calendar.day_set",
        "cases.calendar.day_set",
        "cases.calendar.day_remove",
    ]
    first = AuditEvent.objects.filter(action="cases.calendar.day_set").order_by("seq").first()
    assert first is not None and first.changes["is_workday"] == [None, False]


def test_saving_the_same_ruling_writes_nothing(admin: User) -> None:
    actions.set_calendar_day(NEW_YEAR_2027, actor=admin, is_workday=False, name="元旦")
    before = state()
    actions.set_calendar_day(NEW_YEAR_2027, actor=admin, is_workday=False, name="元旦")
    assert state() == before


@pytest.mark.parametrize(
    ("day", "fields", "field"),
    [
        ("2027-02-30", {"is_workday": False}, "date"),
        ("1999-01-01", {"is_workday": False}, "date"),
        ("2027-02-01", {"is_workday": "maybe"}, "is_workday"),
        ("2027-02-01", {"is_workday": False, "name": "x" * 41}, "name"),
        ("2027-02-01", {"is_workday": False, "note": "bad\x00"}, "note"),
    ],
)
def test_bad_days_name_the_field_and_change_nothing(
    admin: User, day: str, fields: dict[str, Any], field: str
) -> None:
    before = state()
    with pytest.raises(InvalidInput) as raised:
        actions.set_calendar_day(day, actor=admin, **fields)
    assert field in raised.value.details["fields"]
    assert state() == before


def test_removing_a_day_not_in_the_table(admin: User) -> None:
    with pytest.raises(NotFound):
        actions.remove_calendar_day(NEW_YEAR_2027, actor=admin)


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["county_admin", "worker", "command", "nobody"])
def test_only_city_administrators_change_the_calendar(
    role: str, admin: User, county_admin: User, make_user: Callable[..., User]
) -> None:
    actor: Any = {
        "county_admin": county_admin,
        "worker": make_user("grid_worker", "411302001001"),
        "command": make_user("command", "4113"),
        "nobody": None,
    }[role]
    actions.set_calendar_day(NEW_YEAR_2027, actor=admin, is_workday=False, name="元旦")
    before = state()
    refusals: list[Callable[[], Any]] = [
        lambda: actions.set_working_hours(actor=actor, **HOURS),
        lambda: actions.set_calendar_day("2027-02-01", actor=actor, is_workday=False),
        lambda: actions.remove_calendar_day(NEW_YEAR_2027, actor=actor),
        lambda: actions.import_calendar_days("2027-02-01,0,春节\n", actor=actor),
    ]
    for refused in refusals:
        with pytest.raises(PermissionDenied):
            refused()
    assert state() == before


def test_the_system_actor_may(db: Any) -> None:
    actions.set_calendar_day(NEW_YEAR_2027, actor=SYSTEM, is_workday=False)
    assert AuditEvent.objects.get(action="cases.calendar.day_set").actor_name == "system"


# --- import -------------------------------------------------------------------------------

NOTICE_2027 = """date,is_workday,name
2027-01-01,0,元旦
2027-02-06,休,春节
2027-02-07,否,春节
2027-02-14,班,春节调休上班
2027-10-09,1,国庆节调休上班
"""


def test_import_adds_and_replaces_all_at_once(admin: User) -> None:
    actions.set_calendar_day(NEW_YEAR_2027, actor=admin, is_workday=True)
    actions.set_calendar_day("2027-02-07", actor=admin, is_workday=False, name="春节")
    result = actions.import_calendar_days(
        NOTICE_2027.encode("gb18030"), actor=admin, note="国办发明电"
    )
    assert (result.created, result.updated, result.unchanged) == (3, 1, 1)
    assert (result.first, result.last) == (NEW_YEAR_2027, dt.date(2027, 10, 9))
    rows = {row.date: row for row in CalendarDay.objects.all()}
    assert not rows[NEW_YEAR_2027].is_workday and rows[NEW_YEAR_2027].version == 2
    assert rows[dt.date(2027, 2, 14)].is_workday
    assert rows[dt.date(2027, 2, 6)].note == "国办发明电"
    # The deadlines follow at once: 5 February 2027 (Friday) + 1 working day.
    start = dt.datetime(2027, 2, 5, 10, 0, tzinfo=SHANGHAI)
    assert calendar.deadline(start, 1, TimeUnit.WORKING_DAYS).date() == dt.date(2027, 2, 8)
    event = AuditEvent.objects.get(action="cases.calendar.import")
    assert event.changes["created"] == 3 and event.object_repr == "2027"


def test_import_with_a_bad_row_changes_nothing_and_lists_every_bad_row(admin: User) -> None:
    before = state()
    text = "2027-01-01,0,元旦\n2027-13-01,0,\n2027-02-06,maybe,春节\n2027-01-01,1,\n"
    with pytest.raises(InvalidInput) as raised:
        actions.import_calendar_days(text, actor=admin)
    errors = raised.value.details["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (2, "date"),
        (3, "is_workday"),
        (4, "date"),
    ]
    assert state() == before


def test_an_empty_import_is_refused(admin: User) -> None:
    with pytest.raises(InvalidInput) as raised:
        actions.import_calendar_days("date,is_workday,name\n\n", actor=admin)
    assert "file" in raised.value.details["fields"]


# --- command line -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")  # the command line speaks $LANGUAGE


def run(capsys: Any, *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().out


def test_cli_set_show_deadline_unset(capsys: Any, db: Any) -> None:
    code, out = run(capsys, "calendar", "set", "2027-01-01", "--holiday", "--name", "元旦")
    assert code == 0 and "2027-01-01" in out
    assert AuditEvent.objects.get(action="cases.calendar.day_set").channel == "cli"
    code, out = run(capsys, "calendar", "show", "2027")
    assert code == 0 and "元旦" in out and "weekends" not in out
    code, out = run(capsys, "calendar", "deadline", "2026-12-31 10:00", "1", "working_days")
    assert code == 0 and "2027-01-04 10:00" in out and "Deadline" in out
    code, out = run(capsys, "calendar", "unset", "2027-01-01")
    assert code == 0 and not CalendarDay.objects.exists()
    code, out = run(capsys, "calendar", "show", "2027")
    assert code == 0 and "weekends" in out
    code, out = run(capsys, "calendar", "unset", "2027-01-01")
    assert code == 1


def test_cli_import_reports_bad_rows(capsys: Any, db: Any, tmp_path: Any) -> None:
    good = tmp_path / "good.csv"
    good.write_text(NOTICE_2027, encoding="utf-8")
    code, out = run(capsys, "calendar", "import", str(good))
    assert code == 0 and "5 days added" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("2027-03-01,x,\n", encoding="utf-8")
    code, out = run(capsys, "calendar", "import", str(bad))
    assert code == 1 and "Row 1, is_workday" in out
    assert CalendarDay.objects.count() == 5
