"""Daily grid reports (日报) at /api/v1/epidemic/reports.

- ``GET /reports?code=&date=&status=`` — the unit grids under a node with their report of
  the day, paged (``epidemic.aggregate``; grid workers, who confirmed and notes only with
  ``epidemic.view``);
- ``GET /reports/summary?code=&date=`` — confirmed, zero, late and missing reports of the
  node and of each child node (``epidemic.aggregate`` or ``epidemic.view``);
- ``GET /reports/{grid}/{date}`` — one grid's report (its worker's first look assembles
  it, like the page);
- ``POST /reports/{grid}/{date}/confirm`` — the grid worker confirms it (``zero``
  explicitly, an optional ``note``; ``version`` to amend a confirmed one: 409 when stale).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from gridgov.api.schemas import ERRORS, PAGE, PAGE_SIZE, list_endpoint, page_payload
from gridgov.core.paging import paginate
from gridgov.epidemic import figures, rules
from gridgov.epidemic.actions import reports as actions
from gridgov.epidemic.models import GridDailyReport
from gridgov.epidemic.queries import reports as queries

router = Router(tags=["epidemic: daily reports"])

NODE = Query("", pattern=r"^(\d{4}|\d{6}|\d{9}|\d{12}|\d{15})?$", description="Territory code")
GRID = Path(..., pattern=r"^\d{15}$", description="A unit grid's 15-digit code")
Status = Literal["confirmed", "zero", "late", "missing"]
ReportState = Literal["confirmed", "pending", "none"]


class DailyReportFiguresOut(Schema):
    people: int = Field(description="People living in the grid (registry)")
    day: dict[str, int] = Field(description="The day's roll-up measures (declared, …)")
    current: dict[str, int] = Field(description="Standing measures (code:red, …)")


class GridReportOut(Schema):
    grid_code: str
    date: dt.date
    status: ReportState = Field(
        description="confirmed; pending (assembled, waiting); none (not assembled yet)"
    )
    is_zero: bool = Field(description="Nothing abnormal that day (a zero report)")
    alarms: dict[str, int] = Field(description="What the day has to report (empty: zero)")
    late: bool = Field(description="Confirmed after the deadline")
    note: str
    figures: DailyReportFiguresOut
    summary: dict[str, float | int | None] = Field(description="The named figures")
    confirmed_by: str | None = None
    confirmed_at: dt.datetime | None = None
    deadline: dt.datetime
    version: int = Field(description="Send it back to amend a confirmed report")
    can_confirm: bool


class GridReportRowOut(Schema):
    grid_code: str
    grid_name: str
    worker: str = Field(description="The grid's workers (epidemic.view; else empty)")
    status: ReportState
    is_zero: bool
    late: bool
    confirmed_by: str | None = None
    confirmed_at: dt.datetime | None = None
    note: str


class ConfirmIn(Schema):
    zero: bool = Field(..., description="True: a zero report (nothing abnormal that day)")
    note: str = Field("", max_length=actions.NOTE_LENGTH)
    version: int | None = Field(None, ge=0, description="Required to amend a confirmed report")


class ReportCountsOut(Schema):
    code: str
    name: str
    grids: int
    confirmed: int
    zero: int
    late: int
    unconfirmed: int = Field(description="Grids without a confirmed report")
    missing: int = Field(description="Unconfirmed once the deadline has passed (else 0)")


class ReportSummaryOut(ReportCountsOut):
    date: dt.date
    deadline: dt.datetime
    overdue: bool = Field(description="The deadline has passed: unconfirmed grids are missing")
    children: list[ReportCountsOut]


def _state(report: GridDailyReport | None) -> str:
    if report is None or report.pk is None:
        return "none"
    return str(report.status)


def report_out(user: Any, report: GridDailyReport) -> dict[str, Any]:
    body = report.figures or queries.empty_figures()
    return {
        "grid_code": report.grid_code,
        "date": report.date,
        "status": _state(report),
        "is_zero": report.is_zero,
        "alarms": figures.alarms(body.get("day", {})),
        "late": report.late,
        "note": report.note,
        "figures": {
            "people": body.get("people", 0),
            "day": body.get("day", {}),
            "current": body.get("current", {}),
        },
        "summary": queries.summary_of(report),
        "confirmed_by": str(report.confirmed_by) if report.confirmed_by_id else None,
        "confirmed_at": report.confirmed_at,
        "deadline": queries.deadline(report.date),
        "version": report.version,
        "can_confirm": queries.may_confirm(user, report.grid_code, report.date),
    }


def _counts(counts: queries.Counts, overdue: bool) -> dict[str, Any]:
    return {
        "code": counts.code,
        "name": counts.name,
        "grids": counts.grids,
        "confirmed": counts.confirmed,
        "zero": counts.zero,
        "late": counts.late,
        "unconfirmed": counts.unconfirmed,
        "missing": counts.unconfirmed if overdue else 0,
    }


def row_out(row: queries.GridRow, people: bool) -> dict[str, Any]:
    """A grid's row; who confirmed it and the note only for ``people`` (staff)."""
    report = row.report
    confirmed_by = str(report.confirmed_by) if report and report.confirmed_by_id else None
    return {
        "grid_code": row.code,
        "grid_name": row.name,
        "worker": row.worker,
        "status": _state(report),
        "is_zero": bool(report and report.is_zero),
        "late": bool(report and report.late),
        "confirmed_by": confirmed_by if people else None,
        "confirmed_at": report.confirmed_at if report else None,
        "note": report.note if report and people else "",
    }


@list_endpoint(
    router,
    "/reports",
    GridReportRowOut,
    summary="The unit grids under a node with their daily report of a day",
    url_name="epidemic_reports",
)
def list_reports(
    request: HttpRequest,
    code: str = NODE,
    date: dt.date | None = None,
    status: Status | None = None,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    day = date or rules.today()
    node = queries.node_or_default(request.user, code)
    rows = queries.grid_rows(request.user, node, day, status or "")
    result = paginate(rows, page, page_size)
    people = queries.may_see_people(request.user, node)
    found = queries.with_reports(result.items, day, people=people)
    return page_payload(result, [row_out(r, people) for r in found])


@router.get(
    "/reports/summary",
    response={200: ReportSummaryOut, **ERRORS},
    summary="Confirmed, zero, late and missing reports of a node and of each child node",
    url_name="epidemic_reports_summary",
)
def summary(request: HttpRequest, code: str = NODE, date: dt.date | None = None) -> Any:
    found = queries.overview(
        request.user, queries.node_or_default(request.user, code), date or rules.today()
    )
    return {
        **_counts(found.total, found.overdue),
        "date": found.day,
        "deadline": found.deadline,
        "overdue": found.overdue,
        "children": [_counts(child, found.overdue) for child in found.children],
    }


@router.get(
    "/reports/{grid_code}/{date}",
    response={200: GridReportOut, **ERRORS},
    summary="A grid's report of a day (assembled on its worker's first look)",
    url_name="epidemic_report",
)
def get_report(request: HttpRequest, date: dt.date, grid_code: str = GRID) -> Any:
    user = request.user
    queries.get_grid_for(user, grid_code)
    if queries.may_confirm(user, grid_code, date):
        report = actions.ensure_report(grid_code, date, actor=user)
    else:
        report = queries.report_for(user, grid_code, date)
    return report_out(user, report)


@router.post(
    "/reports/{grid_code}/{date}/confirm",
    response={200: GridReportOut, **ERRORS},
    summary="Confirm (or amend) a grid's report of a day (epidemic.report)",
    url_name="epidemic_report_confirm",
)
def confirm(request: HttpRequest, payload: ConfirmIn, date: dt.date, grid_code: str = GRID) -> Any:
    report = actions.confirm_report(
        grid_code,
        date,
        actor=request.user,
        zero=payload.zero,
        note=payload.note,
        expected_version=payload.version,
    )
    return report_out(request.user, report)
