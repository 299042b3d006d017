"""Daily grid reports: figures assembled from the roll-ups only, zero reports said
explicitly, the late flag on the deadline hour of the Asia/Shanghai day, amendments with a
version check, missing reports counted per level and listed with the grid workers, the
missing-report messages sent once, the bulk assembly and its command, and the reports'
roll-ups equal to a recount after mixed traffic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic import figures, rollups
from gridgov.epidemic.actions import reports as actions
from gridgov.epidemic.models import DailyCount, EpidemicSettings, GridDailyReport, ReportStatus
from gridgov.epidemic.queries import reports as queries
from gridgov.epidemic.tallies.reports import TALLY
from gridgov.epidemic.tests.fixtures import Epi, epidemic_state
from gridgov.epidemic.tests.reports_fixtures import (
    Clock,
    _fresh_trend,
    add_day,
    add_now,
    at,
    clock,
    declare,
    today,
)
from gridgov.inbox.models import Message
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID, GRID_2, SIBLING_GRID

__all__ = ["_fresh_trend", "clock"]

pytestmark = pytest.mark.django_db

CITY, COUNTY, TOWNSHIP = "4113", "411302", "411302001"


def confirm(user: Any, grid: str = GRID, day: dt.date | None = None, **kw: Any) -> GridDailyReport:
    return actions.confirm_report(grid, day or today(), actor=user, **({"zero": True} | kw))


# --- assembling ---------------------------------------------------------------------------


def test_figures_are_assembled_from_the_roll_ups_of_the_grid_and_day(epi: Epi) -> None:
    day = today()
    declare(epi, epi.r.person, temperature="38.2")
    declare(epi, epi.spouse)
    add_day(GRID, day, isolation__started=1, cases__confirmed=1, screened=3)
    add_now(GRID, isolated__home=2, **{"campaign__7__tasks": 5})
    add_day(GRID, day - dt.timedelta(days=1), abnormal=4)  # another day: not counted
    add_day(GRID_2, day, abnormal=9)  # another grid: not counted
    add_day(GRID, day, **{"newthing__x": 2})  # a measure added by a later concern
    found = queries.assemble_figures(day, [GRID])[GRID]
    assert found["day"] == {
        "declarations": 2,
        "declarations_abnormal": 1,
        "declared": 2,
        "abnormal": 1,
        "by:grid_worker": 2,
        "code_to:yellow": 1,
        "isolation:started": 1,
        "cases:confirmed": 1,
        "screened": 3,
        "newthing:x": 2,
    }
    assert found["current"] == {"code:yellow": 1, "isolated:home": 2, "campaign:7:tasks": 5}
    assert found["people"] == 3  # the person, the spouse and the elder live in GRID
    summary = figures.summarise(found["day"], found["current"], people=found["people"])
    assert (summary["declared"], summary["declared_share"], summary["cases_new"]) == (2, 66.7, 1)
    assert "newthing:x" in [line.measure for line in figures.other_lines(found["day"])]


def test_a_report_does_not_count_reports_and_the_prefix_read_equals_the_list_read(
    epi: Epi,
) -> None:
    day = today()
    declare(epi, epi.r.person)
    confirm(epi.r.worker)
    by_prefix = queries.assemble_figures(day, COMMUNITY)
    assert by_prefix[GRID] == queries.assemble_figures(day, [GRID])[GRID]
    assert not any(m.startswith("report:") for m in by_prefix[GRID]["day"])


def test_zero_means_no_alarm_of_the_day() -> None:
    assert figures.is_zero({"declared": 30, "declarations": 31, "screened": 2})
    for alarm in (
        "abnormal",
        "declarations_abnormal",
        "code_to:yellow",
        "code_to:red",
        "isolation:started",
        "follow_ups:missed",
        "cases:suspected",
        "cases:asymptomatic",
    ):
        assert not figures.is_zero({"declared": 30, alarm: 1}), alarm
    # Standing figures and other days' events are not today's news.
    assert figures.is_zero({"code_to:green": 1, "isolation:released": 1, "follow_ups:done": 4})


def test_bulk_assembly_stores_every_grid_and_leaves_confirmed_reports_alone(epi: Epi) -> None:
    day = today()
    first = confirm(epi.r.worker)
    declare(epi, epi.r.person, temperature="38.5")  # after the confirmation
    done = actions.assemble_reports(day, actor=epi.command, code=CITY)
    assert (done.grids, done.written) == (16, 15)
    reports = {r.grid_code: r for r in GridDailyReport.objects.filter(date=day)}
    assert len(reports) == 16
    kept = reports[GRID]
    assert (kept.status, kept.figures, kept.version) == (
        ReportStatus.CONFIRMED,
        first.figures,
        first.version,
    )
    assert all(r.status == ReportStatus.PENDING for g, r in reports.items() if g != GRID)
    assert reports[GRID_2].is_zero
    # Again: the same rows, refreshed.
    actions.assemble_reports(day, actor=epi.command, code=CITY)
    assert GridDailyReport.objects.filter(date=day).count() == 16


def test_assembly_is_for_report_holders_in_their_scope(epi: Epi) -> None:
    day = today()
    before = epidemic_state()
    with pytest.raises(PermissionDenied):
        actions.assemble_reports(day, actor=epi.r.leader, code=CITY)
    with pytest.raises(NotFound):
        actions.assemble_reports(day, actor=epi.r.worker, code=SIBLING_GRID)
    with pytest.raises(InvalidInput) as refused:
        actions.assemble_reports(day + dt.timedelta(days=1), actor=epi.command, code=CITY)
    assert "date" in refused.value.details["fields"]
    assert epidemic_state() == before


# --- confirming ---------------------------------------------------------------------------


def test_a_quiet_day_is_confirmed_explicitly_as_a_zero_report(epi: Epi, clock: Clock) -> None:
    clock(at(today(), 8, 30))
    declare(epi, epi.r.person)
    with pytest.raises(InvalidInput) as refused:
        confirm(epi.r.worker, zero=False)
    assert "zero" in refused.value.details["fields"]
    report = confirm(epi.r.worker, zero=True, note="  全员  正常 ")
    assert (report.status, report.is_zero, report.note) == ("confirmed", True, "全员 正常")
    assert report.confirmed_by == epi.r.worker and report.version == 2
    assert report.figures["day"]["declared"] == 1
    assert rollups.day_figures(GRID, today()) == {
        "declarations": 1,
        "declared": 1,
        "by:grid_worker": 1,
        "report:confirmed": 1,
        "report:zero": 1,
    }


def test_a_day_with_an_abnormal_declaration_is_not_a_zero_report(epi: Epi) -> None:
    declare(epi, epi.r.person, temperature="38.4")
    before = epidemic_state()
    with pytest.raises(InvalidInput) as refused:
        confirm(epi.r.worker, zero=True)
    assert "abnormal" in refused.value.details["fields"]["zero"]
    assert epidemic_state() == before  # the refusal stored nothing, not even the assembly
    report = confirm(epi.r.worker, zero=False, note="已复测")
    assert not report.is_zero and report.figures["day"]["abnormal"] == 1


def test_the_late_flag_follows_the_deadline_hour_of_the_shanghai_day(
    epi: Epi, clock: Clock
) -> None:
    day = today()
    clock(at(day, 9, 59))
    assert not confirm(epi.r.worker, GRID).late
    # 10:01 in Shanghai is 02:01 UTC: late, though a UTC clock would say "early morning".
    clock(at(day, 10, 1))
    assert confirm(epi.r.worker, GRID_2).late
    assert queries.overdue(day)
    # The deadline is the city's setting.
    EpidemicSettings.objects.update_or_create(pk=1, defaults={"report_deadline_hour": 11})
    assert not confirm(epi.r.worker, "411302001001003").late
    # Past midnight in Shanghai (still the same day in UTC) yesterday's report is late and
    # today's is a new day.
    clock(at(day + dt.timedelta(days=1), 0, 30))
    assert today() == day + dt.timedelta(days=1)
    assert confirm(epi.r.worker, "411302001001004", day).late
    counts = rollups.day_figures(COMMUNITY, day)
    assert (counts["report:confirmed"], counts["report:late"], counts["report:zero"]) == (4, 2, 4)


def test_amending_needs_the_current_version_and_keeps_the_first_lateness(
    epi: Epi, clock: Clock
) -> None:
    day = today()
    clock(at(day, 9, 0))
    first = confirm(epi.r.worker)
    with pytest.raises(Conflict):
        confirm(epi.r.community)  # without the version: already confirmed
    with pytest.raises(Conflict):
        confirm(epi.r.community, expected_version=first.version - 1)
    clock(at(day, 15, 0))
    declare(epi, epi.r.person, temperature="38.0")  # the afternoon brings a fever
    amended = confirm(
        epi.r.community, zero=False, note="发热已上报", expected_version=first.version
    )
    assert (amended.is_zero, amended.late, amended.version) == (False, False, first.version + 1)
    assert amended.confirmed_by == epi.r.community
    counts = rollups.day_figures(GRID, day)
    assert counts["report:confirmed"] == 1 and counts.get("report:zero", 0) == 0
    assert TALLY.matches_recount()


def test_confirming_is_for_the_grids_report_holders_and_recent_days(epi: Epi) -> None:
    before = epidemic_state()
    with pytest.raises(PermissionDenied):
        confirm(epi.r.township)  # reads reports, does not confirm them
    with pytest.raises(PermissionDenied):
        confirm(epi.r.leader)
    with pytest.raises(NotFound):
        confirm(epi.r.neighbour)  # another community's grid worker
    with pytest.raises(NotFound):
        confirm(epi.r.worker, "411302001001999")  # no such grid
    with pytest.raises(InvalidInput):
        confirm(epi.r.worker, day=today() + dt.timedelta(days=1))
    with pytest.raises(InvalidInput):
        confirm(epi.r.worker, day=today() - dt.timedelta(days=8))
    with pytest.raises(InvalidInput):
        confirm(epi.r.worker, note="x" * 301)
    assert epidemic_state() == before
    assert confirm(epi.r.worker, day=today() - dt.timedelta(days=7)).late


# --- missing reports ----------------------------------------------------------------------


def test_missing_reports_are_counted_per_child_node_at_every_level(epi: Epi, clock: Clock) -> None:
    day = today()
    clock(at(day, 8, 0))
    confirm(epi.r.worker, GRID)
    confirm(epi.r.worker, GRID_2)
    confirm(epi.r.neighbour, "411302001002001")
    before = queries.overview(epi.command, CITY, day)
    assert not before.overdue and before.missing == 0 and before.total.unconfirmed == 13
    clock(at(day, 10, 30))
    city = queries.overview(epi.command, CITY, day)
    assert city.overdue and (city.total.grids, city.total.confirmed, city.missing) == (16, 3, 13)
    assert [(c.code, c.grids, c.confirmed, c.unconfirmed) for c in city.children] == [
        ("411302", 12, 3, 9),
        ("411303", 4, 0, 4),
    ]
    township = queries.overview(epi.r.township, TOWNSHIP, day)
    assert [(c.code, c.confirmed, c.unconfirmed) for c in township.children] == [
        ("411302001001", 2, 2),
        ("411302001002", 1, 3),
    ]
    community = queries.overview(epi.r.community, COMMUNITY, day)
    assert [(c.code, c.confirmed) for c in community.children] == [
        (GRID, 1),
        (GRID_2, 1),
        ("411302001001003", 0),
        ("411302001001004", 0),
    ]
    grid = queries.overview(epi.r.worker, GRID, day)
    assert grid.children == [] and (grid.total.grids, grid.total.confirmed) == (1, 1)
    # The leader reads the same counts; outside one's scope there is nothing.
    assert queries.overview(epi.r.leader, TOWNSHIP, day).total.confirmed == 3
    with pytest.raises(NotFound):
        queries.overview(epi.r.sibling, TOWNSHIP, day)


def test_the_missing_grids_are_listed_with_their_grid_workers(epi: Epi, clock: Clock) -> None:
    day = today()
    clock(at(day, 8, 0))
    confirm(epi.r.worker, GRID_2)
    clock(at(day, 11, 0))
    rows = queries.grid_rows(epi.r.township, TOWNSHIP, day, "missing")
    listed = queries.with_reports(rows, day)
    assert [r.code for r in listed] == [
        GRID,
        "411302001001003",
        "411302001001004",
        *(f"411302001002{n:03d}" for n in range(1, 5)),
    ]
    assert listed[0].worker == "张网格" and listed[0].state == "Missing"
    confirmed = queries.with_reports(queries.grid_rows(epi.r.township, TOWNSHIP, day, "zero"), day)
    assert [(r.code, r.state) for r in confirmed] == [(GRID_2, "Zero report")]
    # Figures only for a leader: the grids and their state, not who works there.
    assert queries.with_reports(rows, day, people=False)[0].worker == ""


def test_missing_reports_are_flagged_to_community_staff_once(
    epi: Epi, clock: Clock, make_user: Any
) -> None:
    day = today()
    clock(at(day, 9, 0))
    confirm(epi.r.worker, GRID)
    early = actions.flag_missing_reports(day, actor=epi.command)
    assert not early.overdue and Message.objects.count() == 0  # not missing yet
    clock(at(day, 10, 5))
    flagged = actions.flag_missing_reports(day, actor=epi.command)
    assert (flagged.missing_grids, flagged.communities, flagged.messages) == (15, 4, 1)
    message = Message.objects.get()
    assert message.recipient == epi.r.community  # the only community with staff
    assert "411302001001003" in message.body and GRID not in message.body
    assert "3" in message.subject and f"code={COMMUNITY}" in message.link
    again = actions.flag_missing_reports(day, actor=epi.command)
    assert again.messages == 0 and Message.objects.count() == 1
    newcomer = make_user("community_staff", COMMUNITY, username="new-staff")
    assert actions.flag_missing_reports(day, actor=epi.command).messages == 1
    assert Message.objects.filter(recipient=newcomer).count() == 1


def test_flagging_is_for_managers_of_the_area(epi: Epi, clock: Clock) -> None:
    day = today()
    clock(at(day, 12, 0))
    before = epidemic_state()
    with pytest.raises(PermissionDenied):
        actions.flag_missing_reports(day, actor=epi.r.community)
    with pytest.raises(NotFound):
        actions.flag_missing_reports(day, actor=epi.county, code="411303")
    assert epidemic_state() == before
    # A county's command centre flags its own communities only.
    assert actions.flag_missing_reports(day, actor=epi.county).communities == 3


# --- roll-ups and the commands ------------------------------------------------------------


def test_the_reports_roll_ups_equal_a_recount_after_mixed_traffic(epi: Epi, clock: Clock) -> None:
    day = today()
    yesterday = day - dt.timedelta(days=1)
    clock(at(day, 9, 0))
    declare(epi, epi.r.person, temperature="38.1")
    confirm(epi.r.worker, GRID, zero=False)
    confirm(epi.r.worker, GRID_2)
    confirm(epi.r.worker, GRID, yesterday)  # late
    report = confirm(epi.r.worker, "411302001001003")
    actions.assemble_reports(day, actor=epi.command, code=CITY)
    add_day("411302001001003", day, cases__suspected=1)
    confirm(epi.r.community, "411302001001003", zero=False, expected_version=report.version)
    assert TALLY.matches_recount()
    DailyCount.objects.filter(measure="report:zero").delete()
    assert not TALLY.matches_recount()
    TALLY.rebuild()
    assert TALLY.matches_recount()
    assert rollups.day_figures(COMMUNITY, day)["report:zero"] == 1


def test_the_commands_assemble_and_flag(
    epi: Epi, clock: Clock, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridgov import cli

    monkeypatch.setenv("LANGUAGE", "en")  # the command line speaks $LANGUAGE
    day = today()
    clock(at(day, 10, 30))
    assert cli.main(["epidemic", "assemble-reports", "--date", day.isoformat()]) == 0
    assert GridDailyReport.objects.filter(date=day).count() == 16
    assert cli.main(["epidemic", "flag-missing-reports"]) == 0
    assert cli.main(["epidemic", "flag-missing-reports"]) == 0
    assert Message.objects.count() == 1
    out = capsys.readouterr().out
    assert "16" in out and "4 communities" in out
    assert cli.main(["epidemic", "assemble-reports", "--date", "2099-01-01"]) == 1
