"""The daily grid reports' roll-ups: per grid and day, ``report:confirmed`` (1 once the
grid's report of the day is confirmed), ``report:zero`` (1 when it was confirmed as a zero
report) and ``report:late`` (1 when first confirmed after the deadline). Kept by
``actions.reports.confirm_report``; "missing" is not kept but read: the unit grids under a
node (from the territory) minus its confirmed reports."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, Q

from gridgov.epidemic import figures, rollups
from gridgov.epidemic.models import GridDailyReport, ReportStatus


def count_daily() -> dict[rollups.DayKey, Counter[str]]:
    counts: dict[rollups.DayKey, Counter[str]] = defaultdict(Counter)
    rows = (
        GridDailyReport.objects.filter(status=ReportStatus.CONFIRMED)
        .values_list("grid_code", "date")
        .annotate(
            n=Count("pk"),
            zero=Count("pk", filter=Q(is_zero=True)),
            late=Count("pk", filter=Q(late=True)),
        )
        .order_by()
    )
    for grid, day, n, zero, late in rows:
        key = (grid, day)
        counts[key][figures.REPORT_CONFIRMED] += n
        counts[key][figures.REPORT_ZERO] += zero
        counts[key][figures.REPORT_LATE] += late
    return counts


TALLY = rollups.Tally(
    name="reports",
    daily=Q(measure__startswith=figures.REPORT),
    current=rollups.NOTHING,
    count_daily=count_daily,
    count_current=dict,
)
