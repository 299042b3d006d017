"""The epidemic dashboard at /api/v1/epidemic/dashboard: a node's figures of a day, their
trend and its children's figures, read only from roll-ups (``epidemic.aggregate`` or
``epidemic.view`` over the node; outside it 404). Without ``code``, the user's own node.

``/dashboard/map.geojson`` gives the children's boundaries, each with a ``score`` (0–100)
for a chosen measure, as the map component colours them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from gridgov.api.schemas import ERRORS, FeatureCollectionOut, FeatureOut, FeaturePropertiesOut
from gridgov.epidemic import rules
from gridgov.epidemic.queries import dashboard as queries
from gridgov.epidemic.queries import reports as report_queries
from gridgov.territory import queries as territory_queries

router = Router(tags=["epidemic: dashboard"])

NODE = Query(
    "",
    pattern=r"^(\d{4}|\d{6}|\d{9}|\d{12}|\d{15})?$",
    description="Territory code (default: your own area)",
)
DAYS = Query(
    queries.DEFAULT_DAYS,
    ge=1,
    le=queries.MAX_DAYS,
    description=f"Days of the trend, up to the date (1–{queries.MAX_DAYS})",
)
MEASURE = Query(
    queries.DEFAULT_MEASURE,
    description="What colours the map: " + ", ".join(queries.MEASURES_BY_KEY),
)


class DashboardFiguresOut(Schema):
    people: int = Field(description="People living here (registry)")
    declared: int = Field(description="People who declared that day")
    declared_share: float | None = Field(None, description="declared ÷ people, per cent")
    declarations: int
    abnormal: int = Field(description="People with an abnormal declaration that day")
    code_yellow: int
    code_red: int
    codes_changed: int = Field(description="Codes turned yellow or red that day")
    isolated_home: int
    isolated_centralised: int
    isolated: int
    isolation_started: int
    isolation_released: int
    follow_ups_due: int
    follow_ups_done: int
    follow_ups_missed: int
    screening_tasks: int = Field(description="Tasks of active screening campaigns")
    screening_done: int
    screening_unreachable: int
    screening_unclear: int
    screening_progress: float | None = Field(None, description="done ÷ tasks, per cent")
    screened: int = Field(description="Screening records written that day")
    cases_new: int = Field(description="Cases reported that day (every kind)")
    cases_open: int
    contacts_1: int
    contacts_2: int
    grids: int = Field(description="Unit grids")
    reports_confirmed: int
    reports_zero: int
    reports_late: int
    reports_missing: int = Field(description="Unit grids without a confirmed report")
    notices_recipients: int
    notices_reached: int
    notice_reach: float | None = Field(None, description="reached ÷ recipients, per cent")


class DashboardTrendPointOut(Schema):
    date: dt.date
    declared: int
    abnormal: int
    codes_changed: int
    cases_new: int
    isolation_started: int
    isolation_released: int
    follow_ups_missed: int
    screened: int
    reports_confirmed: int
    reports_missing: int


class DashboardChildOut(Schema):
    code: str
    name: str
    figures: DashboardFiguresOut
    situations: dict[str, int] = Field(description="Communities per situation that day")


class DashboardOut(Schema):
    code: str
    name: str
    level: int
    date: dt.date
    days: int
    report_deadline: dt.datetime
    overdue: bool = Field(description="The daily report deadline has passed")
    figures: DashboardFiguresOut
    day: dict[str, int] = Field(description="Every daily measure of the day (raw roll-ups)")
    current: dict[str, int] = Field(description="Every standing measure (raw roll-ups)")
    situations: dict[str, int] = Field(
        description="Communities per situation that day (no_case, cluster, transmission)"
    )
    trend: list[DashboardTrendPointOut]
    children: list[DashboardChildOut]


class DashboardMapPropertiesOut(FeaturePropertiesOut):
    score: float | None = Field(None, description="0–100 (≥ 90 green, ≥ 75 amber, else red)")
    value: float | None = None


class DashboardMapFeatureOut(FeatureOut):
    properties: DashboardMapPropertiesOut


class DashboardMapOut(FeatureCollectionOut):
    features: list[DashboardMapFeatureOut]  # type: ignore[assignment]


@router.get(
    "/dashboard",
    response={200: DashboardOut, **ERRORS},
    summary="A node's figures of a day, their trend and its children's, from roll-ups",
    url_name="epidemic_dashboard",
)
def dashboard(
    request: HttpRequest, code: str = NODE, date: dt.date | None = None, days: int = DAYS
) -> Any:
    board = queries.dashboard(
        request.user,
        report_queries.node_or_default(request.user, code),
        date or rules.today(),
        days,
    )
    return {
        "code": board.region.code,
        "name": board.region.name,
        "level": board.region.level,
        "date": board.day,
        "days": board.days,
        "report_deadline": board.deadline,
        "overdue": board.overdue,
        "figures": board.figures,
        "day": board.day_measures,
        "current": board.current_measures,
        "situations": board.situations,
        "trend": board.trend,
        "children": [
            {
                "code": c["code"],
                "name": c["name"],
                "figures": c["figures"],
                "situations": c["situations"],
            }
            for c in board.children
        ],
    }


def board_url(code: str, day: dt.date, measure: str) -> str:
    return f"{reverse('epidemic:dashboard')}?code={code}&date={day.isoformat()}&measure={measure}"


@router.get(
    "/dashboard/map.geojson",
    response={200: DashboardMapOut, **ERRORS},
    summary="The children of a node (a grid: itself) with a score for one measure",
    url_name="epidemic_dashboard_map",
)
def dashboard_map(
    request: HttpRequest,
    code: str = NODE,
    date: dt.date | None = None,
    measure: str = MEASURE,
) -> Any:
    user = request.user
    chosen = queries.map_measure(measure)
    day = date or rules.today()
    region = report_queries.get_node_for(
        user, report_queries.node_or_default(user, code), report_queries.FIGURE_READERS
    )
    rows, _totals = queries.children_figures(region, day)
    return queries.map_collection(
        territory_queries.boundary_geojson(user, region)
        if region.is_grid
        else territory_queries.children_geojson(user, region),
        rows,
        chosen,
        lambda child: board_url(child, day, chosen.key),
    )
