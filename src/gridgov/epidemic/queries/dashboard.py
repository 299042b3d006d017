"""The epidemic dashboard: a territory node's figures of a day, their trend and its
children's figures — read only from roll-ups (architecture rule 4).

Whatever the level (city → county → township → community → grid) the board costs the
same handful of grouped queries, each a prefix read of a ``(date, grid_code)`` or
``grid_code`` index:

1. the trend: the day's measures under the node per date of the period (``DailyCount``);
2. the day's measures per child node (``DailyCount``, grouped by the child's prefix);
3. the standing measures per child (``CurrentCount``);
4. the people living per child (the registry's ``PopulationCount``);
5. the unit grids per child (the territory, counted once per territory revision);
6. the community situations of the day per child (``CommunitySituation``);
7. the children's names.

The node's own figures are the sums of its children's. Readers need
``epidemic.aggregate`` or ``epidemic.view`` over the node: the board shows figures, never
people (a leader sees exactly what a command centre sees).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.accounts import scope
from gridgov.core.errors import InvalidInput
from gridgov.epidemic import figures as names
from gridgov.epidemic.capabilities import AGGREGATE, VIEW
from gridgov.epidemic.models import (
    CommunitySituation,
    CurrentCount,
    DailyCount,
    EpidemicSettings,
    Situation,
)
from gridgov.epidemic.queries import reports as report_queries
from gridgov.epidemic.queries.reports import FIGURE_READERS, under
from gridgov.registry.models import PopulationCount
from gridgov.territory import codes
from gridgov.territory.models import Region

DEFAULT_DAYS = 14
MAX_DAYS = 60
COMMUNITY_LENGTH = codes.CODE_LENGTH[codes.COMMUNITY]

# The daily measures the trend follows (with every ``cases:<kind>``).
TREND_MEASURES = (
    names.DECLARED,
    names.ABNORMAL,
    names.DECLARATIONS,
    names.CODE_TO + "yellow",
    names.CODE_TO + "red",
    names.ISOLATION_STARTED,
    names.ISOLATION_RELEASED,
    names.FOLLOW_UPS_MISSED,
    names.SCREENED,
    names.REPORT_CONFIRMED,
)
# The trend's series, from a day's summary.
TREND_SERIES = (
    "declared",
    "abnormal",
    "codes_changed",
    "cases_new",
    "isolation_started",
    "isolation_released",
    "follow_ups_missed",
    "screened",
    "reports_confirmed",
    "reports_missing",
)


# --- the map's measures -----------------------------------------------------------------------

# A map colours each child by a score (0–100, as the map component draws it: ≥ 90 green,
# ≥ 75 amber, below red; none grey). Shares are their own score; counts of trouble are
# green at 0, red from half the highest child's count on, amber in between; situations
# green, amber (cases or a cluster) or red (community transmission).
GOOD, FAIR, POOR = 100.0, 80.0, 0.0


@dataclass(frozen=True)
class MapMeasure:
    key: str
    label: Any
    kind: str  # "share" (per cent, higher is better), "count" (lower is better), "situation"
    value: Callable[[Mapping[str, Any]], Any]


SITUATION_RANKS = (Situation.NO_CASE, Situation.CLUSTER, Situation.TRANSMISSION)


def _situation_rank(row: Mapping[str, Any]) -> int | None:
    """The worst situation among the row's communities (0–2); None below communities."""
    if len(row["code"]) > COMMUNITY_LENGTH:
        return None
    found = row.get("situations") or {}
    if found.get(Situation.TRANSMISSION):
        return 2
    return 1 if found.get(Situation.CLUSTER) else 0


def _get(key: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda row: row["figures"].get(key)


MAP_MEASURES: tuple[MapMeasure, ...] = (
    MapMeasure("declared_share", _("People declared (%)"), "share", _get("declared_share")),
    MapMeasure("abnormal", _("Abnormal declarations"), "count", _get("abnormal")),
    MapMeasure(
        "codes",
        _("Yellow and red codes"),
        "count",
        lambda row: row["figures"]["code_yellow"] + row["figures"]["code_red"],
    ),
    MapMeasure("isolated", _("People in isolation"), "count", _get("isolated")),
    MapMeasure("follow_ups_missed", _("Follow-ups missed"), "count", _get("follow_ups_missed")),
    MapMeasure("screening_progress", _("Screening done (%)"), "share", _get("screening_progress")),
    MapMeasure("cases_open", pgettext_lazy("epidemic", "Open cases"), "count", _get("cases_open")),
    MapMeasure(
        "reports",
        _("Daily reports confirmed (%)"),
        "share",
        lambda row: names.percent(row["figures"]["reports_confirmed"], row["figures"]["grids"]),
    ),
    MapMeasure("notice_reach", _("Notices reached (%)"), "share", _get("notice_reach")),
    MapMeasure("situation", _("Community situation"), "situation", _situation_rank),
)
MEASURES_BY_KEY = {m.key: m for m in MAP_MEASURES}
DEFAULT_MEASURE = "declared_share"


def map_measure(key: str | None) -> MapMeasure:
    if not key:
        return MEASURES_BY_KEY[DEFAULT_MEASURE]
    try:
        return MEASURES_BY_KEY[key]
    except KeyError:
        raise InvalidInput(
            fields={"measure": _("one of: %(keys)s") % {"keys": ", ".join(MEASURES_BY_KEY)}}
        ) from None


def scores(measure: MapMeasure, rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """{child code: score 0–100 or None} of ``rows`` (the children) for ``measure``."""
    values = {row["code"]: measure.value(row) for row in rows}
    if measure.kind == "share":
        return {code: (None if v is None else float(v)) for code, v in values.items()}
    if measure.kind == "situation":
        return {code: None if v is None else (GOOD, FAIR, POOR)[v] for code, v in values.items()}
    highest = max((v for v in values.values() if v), default=0)
    return {
        code: GOOD if not v else (POOR if 2 * v >= highest else FAIR) for code, v in values.items()
    }


def value_text(measure: MapMeasure, value: Any) -> str:
    """A child's value as its map label shows it."""
    if value is None:
        return ""
    if measure.kind == "situation":
        return str(SITUATION_RANKS[value].label)
    if measure.kind == "share":
        return f"{value:.0f}%"
    return str(value)


def map_collection(
    collection: dict[str, Any],
    rows: list[dict[str, Any]],
    measure: MapMeasure,
    url_of: Callable[[str], str],
) -> dict[str, Any]:
    """The children's boundaries (``collection``, from the territory) with each child's
    ``score`` and ``value`` of ``measure``, its value in its label and a link to its board."""
    by_code = {row["code"]: row for row in rows}
    scored = scores(measure, rows)
    for feature in collection["features"]:
        props = feature["properties"]
        row = by_code.get(props["code"])
        value = measure.value(row) if row is not None else None
        props["score"] = scored.get(props["code"])
        props["value"] = value
        props["url"] = url_of(props["code"])
        if value is not None:
            props["label"] = f"{props['label']} {value_text(measure, value)}"
    return collection


# --- whose board --------------------------------------------------------------------------

roots = report_queries.figure_roots
default_code = report_queries.default_code


def days_of(value: Any) -> int:
    """The trend's length in days (1–``MAX_DAYS``; default ``DEFAULT_DAYS``)."""
    if value in (None, ""):
        return DEFAULT_DAYS
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(fields={"days": _("between 1 and %(n)d") % {"n": MAX_DAYS}})
    return days


# --- reading the roll-ups -----------------------------------------------------------------


def _group_length(code: str) -> int:
    """Figures are grouped per child (per the grid itself on a grid's board)."""
    return report_queries.child_length(code) or len(code)


def _sums(qs: Any, code: str, field_name: str = "grid_code") -> dict[str, Counter[str]]:
    length = _group_length(code)
    rows = (
        qs.annotate(child=Substr(field_name, 1, length))
        .values_list("child", "measure")
        .annotate(n=Sum("value"))
        .order_by()
    )
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for child, measure, n in rows:
        found[child][measure] += int(n or 0)
    return found


def day_by_child(code: str, day: dt.date) -> dict[str, Counter[str]]:
    return _sums(DailyCount.objects.filter(under("grid_code", code), date=day), code)


def current_by_child(code: str) -> dict[str, Counter[str]]:
    return _sums(CurrentCount.objects.filter(under("grid_code", code)), code)


def people_by_child(code: str) -> dict[str, int]:
    rows = (
        PopulationCount.objects.filter(under("grid_code", code), measure="total")
        .annotate(child=Substr("grid_code", 1, _group_length(code)))
        .values_list("child")
        .annotate(n=Sum("value"))
        .order_by()
    )
    return {child: int(n or 0) for child, n in rows}


def situations_by_child(code: str, day: dt.date) -> dict[str, Counter[str]]:
    """{child: {situation: communities}} of the day. Children below communities (grids)
    have none: a community's or grid's board has its community's under the community's
    code."""
    length = min(_group_length(code), COMMUNITY_LENGTH)
    rows = (
        CommunitySituation.objects.filter(
            under("community_code", code[:COMMUNITY_LENGTH]), date=day
        )
        .annotate(child=Substr("community_code", 1, length))
        .values_list("child", "situation")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for child, situation, n in rows:
        found[child][situation] += n
    return found


# The trend's past days, per process, for a minute: the days before the board's own change
# only by late confirmations and declarations dated back, and at a city's level they are
# most of the board's cost (grids × days × measures). The board's own day is always read.
TREND_CACHE_SECONDS = 60.0
_trend_cache: dict[tuple[Any, ...], tuple[float, dict[dt.date, Counter[str]]]] = {}


def forget() -> None:
    """Drop the cached trend days (after a repair, in tests)."""
    _trend_cache.clear()


def _past_days(
    code: str, dates: list[dt.date], version: tuple[Any, ...]
) -> dict[dt.date, Counter[str]]:
    """The trend measures summed per date under ``code`` (one query; cached a minute). The
    dates are listed, not a range: each is then an equality on the index's first column
    with the node's code range on its second (a range of dates would read every grid's
    rows of those days and filter them)."""
    key = (*version, code, tuple(dates))
    now = time.monotonic()
    cached = _trend_cache.get(key)
    if cached is not None and now - cached[0] < TREND_CACHE_SECONDS:
        return cached[1]
    wanted = Q(measure__in=TREND_MEASURES) | Q(measure__startswith=names.CASES)
    per_day: dict[dt.date, Counter[str]] = defaultdict(Counter)
    for date, measure, n in (
        DailyCount.objects.filter(wanted, under("grid_code", code), date__in=dates)
        .values_list("date", "measure")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        per_day[date][measure] += int(n or 0)
    if len(_trend_cache) > 500:
        _trend_cache.clear()
    _trend_cache[key] = (now, per_day)
    return per_day


def trend(
    code: str,
    day: dt.date,
    days: int,
    *,
    grids: int,
    day_sums: Mapping[str, int],
    version: tuple[Any, ...],
) -> list[dict[str, Any]]:
    """The node's trend series for the ``days`` up to ``day``: ``day`` from its sums as the
    board read them (``day_sums``), the days before from ``_past_days``."""
    dates = [day - dt.timedelta(days=days - 1 - n) for n in range(days)]
    per_day = _past_days(code, dates[:-1], version) if days > 1 else {}
    points = []
    for date in dates:
        sums = day_sums if date == day else per_day.get(date, Counter())
        summary = names.summarise(sums, {}, grids=grids)
        points.append({"date": date, **{key: summary[key] for key in TREND_SERIES}})
    return points


# --- the board ------------------------------------------------------------------------------


@dataclass
class Board:
    region: Region
    day: dt.date
    days: int
    deadline: dt.datetime
    overdue: bool
    figures: dict[str, Any]
    day_measures: dict[str, int]
    current_measures: dict[str, int]
    situations: dict[str, int]
    trend: list[dict[str, Any]]
    children: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_grid(self) -> bool:
        return self.region.is_grid


def _add(total: Counter[str], part: Mapping[str, int]) -> None:
    for key, value in part.items():
        total[key] += value


def children_figures(region: Region, day: dt.date) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The children's rows (code, name, figures, situations, the raw measures) and the
    node's own totals, from five grouped reads."""
    code = region.code
    day_counts = day_by_child(code, day)
    current = current_by_child(code)
    people = people_by_child(code)
    version = report_queries.territory_version()
    grids = report_queries.grid_counts(code, version)
    situations = situations_by_child(code, day)
    if region.is_grid:
        child_names = {code: region.name}
    else:
        child_names = dict(
            Region.objects.filter(parent_id=region.pk).order_by().values_list("code", "name")
        )
    rows = []
    totals: dict[str, Any] = {
        "day": Counter(),
        "current": Counter(),
        "people": 0,
        "grids": 0,
        "situations": Counter(),
        "version": version,
    }
    for child in sorted(set(child_names) | set(grids)):
        row_day, row_current = day_counts.get(child, Counter()), current.get(child, Counter())
        row = {
            "code": child,
            "name": child_names.get(child, child),
            "figures": names.summarise(
                row_day, row_current, people=people.get(child, 0), grids=grids.get(child, 0)
            ),
            "situations": dict(situations.get(child, Counter())),
            "day": dict(row_day),
            "current": dict(row_current),
        }
        rows.append(row)
        _add(totals["day"], row_day)
        _add(totals["current"], row_current)
        totals["people"] += people.get(child, 0)
        totals["grids"] += grids.get(child, 0)
    for counted in situations.values():
        _add(totals["situations"], counted)
    return rows, totals


def dashboard(user: Any, code: str, day: dt.date, days: int = DEFAULT_DAYS) -> Board:
    """The board of ``code`` on ``day`` with a trend of ``days`` days."""
    region = report_queries.get_node_for(user, code, FIGURE_READERS)
    rows, totals = children_figures(region, day)
    settings = EpidemicSettings.current()
    return Board(
        region=region,
        day=day,
        days=days,
        deadline=report_queries.deadline(day, settings),
        overdue=report_queries.overdue(day, settings=settings),
        figures=names.summarise(
            totals["day"], totals["current"], people=totals["people"], grids=totals["grids"]
        ),
        day_measures=dict(totals["day"]),
        current_measures=dict(totals["current"]),
        situations=dict(totals["situations"]),
        trend=trend(
            region.code,
            day,
            days,
            grids=totals["grids"],
            day_sums=totals["day"],
            version=totals["version"],
        ),
        children=[] if region.is_grid else rows,
    )


def may_open_people(user: Any, code: str) -> bool:
    """Whether the board may link to pages of people (staff, not leaders)."""
    return scope.has_capability(user, VIEW, code)


def may_read(user: Any) -> bool:
    return any(scope.has_capability(user, c) for c in (AGGREGATE, VIEW))
