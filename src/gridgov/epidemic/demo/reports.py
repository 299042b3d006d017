"""Daily grid reports of the last 14 days in the demo city, assembled from the demo's
roll-ups (``queries.reports.assemble_figures``, as the scheduled job does).

A past that happened elsewhere (like the case history): the reports are written straight
into the table with their confirmation times, and their roll-ups added in the same
transaction — no audit events, no inbox messages. Most grids confirmed on time (a day
with nothing abnormal as a zero report), a few late, a few never (missing). Today only
what was confirmed before now, and never the demo grid worker's own grids, so the
``gridworker`` login has today's reports to confirm.

Deterministic from ``seed``; a day that has reports already is left alone (a demo started
again days later gets the days in between).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import GridAssignment
from gridgov.epidemic import figures as names
from gridgov.epidemic import rollups, rules
from gridgov.epidemic.models import EpidemicSettings, GridDailyReport, ReportStatus
from gridgov.epidemic.queries import reports as queries
from gridgov.territory import codes
from gridgov.territory.models import Region

ORDER = 60
DAYS = 14
MISSING, LATE = 0.05, 0.04  # shares of grids per past day
DEMO_WORKER = "gridworker"
NOTES = (
    "已电话随访异常人员，复测体温正常。",
    "异常人员已通知社区卫生服务站上门复核。",
    "新增居家隔离人员已落实每日随访。",
    "",
)


def _workers() -> dict[str, tuple[int, bool]]:
    """{grid: (main worker's user id, whether it is the demo grid worker)}."""
    return {
        grid: (user_id, username == DEMO_WORKER)
        for grid, user_id, username in GridAssignment.objects.active()
        .filter(is_deputy=False)
        .values_list("grid_code", "user_id", "user__username")
    }


def _moment(rng: random.Random, day: dt.date, hour: int, late: bool) -> dt.datetime:
    """A confirmation time: before the deadline hour, or (late) after it."""
    start = dt.datetime.combine(day, dt.time(7, 30), tzinfo=rules.site_zone())
    due = dt.datetime.combine(day, dt.time(hour), tzinfo=rules.site_zone())
    if late:
        return due + dt.timedelta(minutes=rng.randint(10, 9 * 60))
    span = max(60, int((due - start).total_seconds()) - 60)
    return start + dt.timedelta(seconds=rng.randrange(span))


def _day(city: str, day: dt.date, seed: int, workers: dict[str, tuple[int, bool]]) -> int:
    rng = random.Random(f"reports-{seed}-{day.isoformat()}")
    hour = EpidemicSettings.current().report_deadline_hour
    now = timezone.now()
    found = queries.assemble_figures(day, city)
    grids = Region.objects.filter(level=codes.GRID, code__startswith=city).order_by("code")
    rows: list[GridDailyReport] = []
    deltas: dict[rollups.DayKey, Counter[str]] = {}
    for grid in grids.values_list("code", flat=True):
        figures = found.get(grid) or queries.empty_figures()
        zero = names.is_zero(figures["day"])
        report = GridDailyReport(grid_code=grid, date=day, figures=figures, is_zero=zero)
        worker, demo_own = workers.get(grid, (None, False))
        draw = rng.random()
        late = MISSING <= draw < MISSING + LATE
        moment = _moment(rng, day, hour, late)
        if draw >= MISSING and moment <= now and not (demo_own and day == rules.today()):
            report.status = ReportStatus.CONFIRMED
            report.late = late
            report.confirmed_at = moment
            report.confirmed_by_id = worker
            report.note = "" if zero else rng.choice(NOTES)
            report.version = 2
            deltas[(grid, day)] = Counter(
                {
                    names.REPORT_CONFIRMED: 1,
                    names.REPORT_ZERO: int(zero),
                    names.REPORT_LATE: int(late),
                }
            )
        rows.append(report)
    GridDailyReport.objects.bulk_create(rows, batch_size=500)
    rollups.add_daily(deltas)
    return len(rows)


def seed(city: str, *, seed: int) -> int:
    today = rules.today()
    done = set(
        GridDailyReport.objects.filter(
            grid_code__startswith=city, date__gte=today - dt.timedelta(days=DAYS - 1)
        )
        .order_by()
        .values_list("date", flat=True)
        .distinct()
    )
    workers = _workers()
    written = 0
    for back in range(DAYS - 1, -1, -1):
        day = today - dt.timedelta(days=back)
        if day in done:
            continue
        with transaction.atomic():
            written += _day(city, day, seed, workers)
    return written
