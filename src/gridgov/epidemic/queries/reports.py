"""Daily grid reports (日报) as read: a grid's report of a day, the figures it is assembled
from, the reports of the grids under a node and the counts per child node.

Who reads what:

- a grid's report (its figures, who confirmed it, the note) — ``epidemic.report`` (its
  grid workers) or ``epidemic.view`` (staff over it);
- the counts of confirmed, zero, late and missing reports per node, and the grids with
  their state — also ``epidemic.aggregate`` (leaders see figures, never people);
- who the grid workers are, who confirmed and their notes, and the export —
  ``epidemic.view`` (``may_see_people``).

Outside the user's scope a grid or node does not exist (404).

The deadline: the report of a day is due by ``EpidemicSettings.report_deadline_hour`` of
that same day, site time (Asia/Shanghai). Confirmed after it, a report is *late*; a grid
without a confirmed report once the deadline has passed is *missing*. Before it, an
unconfirmed grid is only *waiting*.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gridgov.accounts import scope
from gridgov.accounts.models import GridAssignment
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic import figures as names
from gridgov.epidemic import rules
from gridgov.epidemic.capabilities import AGGREGATE, REPORT, VIEW
from gridgov.epidemic.models import (
    CurrentCount,
    DailyCount,
    EpidemicSettings,
    GridDailyReport,
    ReportStatus,
)
from gridgov.registry.models import PopulationCount
from gridgov.territory import codes
from gridgov.territory.models import Region, TerritoryRevision

REPORT_READERS = (REPORT, VIEW)
FIGURE_READERS = (AGGREGATE, VIEW)
PEOPLE_READERS = (VIEW,)
# How far back a grid worker may still confirm a forgotten report (late).
CONFIRM_DAYS = 7
# The grids a worker's "today's report" page lists at most.
MAX_OWN_GRIDS = 200
STATUSES = ("confirmed", "zero", "late", "missing")


# --- who may read ---------------------------------------------------------------------------


def may(user: Any, capabilities: Sequence[str], code: str | None = None) -> bool:
    return any(scope.has_capability(user, c, code) for c in capabilities)


def require_one_of(user: Any, capabilities: Sequence[str], code: str | None = None) -> None:
    """Like ``scope.require`` for any of several capabilities: outside the scope (of all of
    them) NotFound, inside it without one of them PermissionDenied."""
    if may(user, capabilities, code):
        return
    if code is not None and not scope.in_scope(user, code):
        raise NotFound()
    raise PermissionDenied()


_NODES_ATTR = "_gridgov_epidemic_nodes"


def get_node_for(user: Any, code: str, capabilities: Sequence[str]) -> Region:
    """The territory node ``code`` (without its geometry) if the user may read it. The
    node is read once per user object (a page asks for it several times)."""
    code = str(code or "")
    if not (code.isascii() and code.isdigit() and len(code) in codes.LEVEL_BY_LENGTH):
        raise NotFound()
    require_one_of(user, capabilities, code)
    known: dict[str, Region] = getattr(user, _NODES_ATTR, None) or {}
    region = known.get(code) or Region.objects.defer("geometry").filter(code=code).first()
    if region is None:
        raise NotFound()
    if getattr(user, "pk", None):
        known[code] = region
        setattr(user, _NODES_ATTR, known)
    return region


def figure_roots(user: Any) -> list[str]:
    """The territory nodes where the user's figures start (their figure scopes; an
    operator's: every city)."""
    found = scope.minimal_prefixes(
        code for capability in FIGURE_READERS for code in scope.scope_codes(user, capability)
    )
    if "" in found:
        return list(
            Region.objects.filter(level=codes.CITY).order_by("code").values_list("code", flat=True)
        )
    return found


def default_code(user: Any) -> str | None:
    """The node shown when none is named: the user's one root, else None (they choose)."""
    found = figure_roots(user)
    return found[0] if len(found) == 1 else None


def node_or_default(user: Any, code: str) -> str:
    """``code``, else the user's own node: PermissionDenied without any figures to read,
    InvalidInput naming ``code`` when they read several areas."""
    found = figure_roots(user)
    if not found:
        raise PermissionDenied()
    if code:
        return code
    if len(found) > 1:
        raise InvalidInput(fields={"code": _("required: you see several areas, name one")})
    return found[0]


def get_grid_for(user: Any, grid_code: str, capabilities: Sequence[str] = REPORT_READERS) -> Region:
    region = get_node_for(user, grid_code, capabilities)
    if not region.is_grid:
        raise NotFound()
    return region


# --- prefix reads -----------------------------------------------------------------------------


def _after(prefix: str) -> str | None:
    """The smallest code above every code starting with ``prefix`` (digits only)."""
    following = str(int(prefix) + 1).zfill(len(prefix))
    return following if len(following) == len(prefix) else None


def under(field: str, code: str) -> Q:
    """Rows whose ``field`` (a territory code) lies under ``code``, as index range scans on
    both databases: ``LIKE 'code%'`` (PostgreSQL's varchar_pattern_ops indexes) and the
    same range as ``code <= field < next code`` (SQLite's and default-collation indexes;
    SQLite never reads a LIKE as a range)."""
    if not code:
        return Q()
    found = Q(**{f"{field}__startswith": code, f"{field}__gte": code})
    upper = _after(code)
    return found & Q(**{f"{field}__lt": upper}) if upper else found


# --- the deadline ---------------------------------------------------------------------------


def deadline(day: dt.date, settings: EpidemicSettings | None = None) -> dt.datetime:
    """When the report of ``day`` is due: the deadline hour of that day, site time."""
    hour = (settings or EpidemicSettings.current()).report_deadline_hour
    return dt.datetime.combine(day, dt.time(hour), tzinfo=rules.site_zone())


def overdue(
    day: dt.date, now: dt.datetime | None = None, settings: EpidemicSettings | None = None
) -> bool:
    """Whether the deadline of ``day`` has passed: unconfirmed grids are now missing."""
    return (now or timezone.now()) > deadline(day, settings)


# --- assembling figures from the roll-ups ---------------------------------------------------


def _where(grids: str | Collection[str]) -> Q:
    """Rows of one prefix (a node's grids) or of a list of grids."""
    if isinstance(grids, str):
        return under("grid_code", grids)
    return Q(grid_code__in=list(grids))


def assemble_figures(day: dt.date, grids: str | Collection[str]) -> dict[str, dict[str, Any]]:
    """``{grid: figures}`` of ``day`` for the grids under a prefix (or listed), from the
    roll-ups only — three queries whatever their number: the day's measures
    (``DailyCount``), the standing ones (``CurrentCount``) and the people living there
    (the registry's ``PopulationCount``). Only grids with some figure are keys; see
    ``empty_figures`` for the others. A report does not count reports (``report:*``)."""
    found: dict[str, dict[str, Any]] = defaultdict(empty_figures)
    where = _where(grids)
    for grid, measure, value in DailyCount.objects.filter(where, date=day).values_list(
        "grid_code", "measure", "value"
    ):
        if value and not measure.startswith(names.REPORT):
            found[grid]["day"][measure] = value
    for grid, measure, value in CurrentCount.objects.filter(where).values_list(
        "grid_code", "measure", "value"
    ):
        if value:
            found[grid]["current"][measure] = value
    for grid, value in PopulationCount.objects.filter(where, measure="total").values_list(
        "grid_code", "value"
    ):
        if value:
            found[grid]["people"] = value
    return dict(found)


def empty_figures() -> dict[str, Any]:
    """A grid's figures: people living there, the day's measures, the standing ones."""
    return {"people": 0, "day": {}, "current": {}}


def summary_of(report: GridDailyReport) -> dict[str, Any]:
    figures = report.figures or empty_figures()
    return names.summarise(
        figures.get("day", {}), figures.get("current", {}), people=figures.get("people", 0)
    )


# --- one grid's report ----------------------------------------------------------------------


def stored_report(grid_code: str, day: dt.date) -> GridDailyReport | None:
    return (
        GridDailyReport.objects.filter(grid_code=grid_code, date=day)
        .select_related("confirmed_by")
        .first()
    )


def live_report(grid_code: str, day: dt.date) -> GridDailyReport:
    """An unsaved report of the grid with figures assembled now (what a reader without
    ``epidemic.report`` sees of a grid nobody assembled yet)."""
    figures = assemble_figures(day, [grid_code]).get(grid_code, empty_figures())
    return GridDailyReport(
        grid_code=grid_code,
        date=day,
        figures=figures,
        is_zero=names.is_zero(figures["day"]),
        version=0,
    )


def report_for(user: Any, grid_code: str, day: dt.date) -> GridDailyReport:
    """The grid's report of the day as stored, else assembled now without storing it."""
    get_grid_for(user, grid_code)
    return stored_report(grid_code, day) or live_report(grid_code, day)


def may_confirm(user: Any, grid_code: str, day: dt.date) -> bool:
    return scope.has_capability(user, REPORT, grid_code) and confirmable(day)


def confirmable(day: dt.date) -> bool:
    """Whether a report of ``day`` may still be confirmed (not future, not too old)."""
    today = rules.today()
    return today - dt.timedelta(days=CONFIRM_DAYS) <= day <= today


def history(user: Any, grid_code: str, status: str = "") -> QuerySet[GridDailyReport]:
    """The grid's stored reports, newest first (``status``: one of ``STATUSES``)."""
    get_grid_for(user, grid_code)
    rows = GridDailyReport.objects.filter(grid_code=grid_code).select_related("confirmed_by")
    if status:
        rows = rows.filter(_report_status(status))
    return rows.order_by("-date")


def _report_status(status: str) -> Q:
    confirmed = Q(status=ReportStatus.CONFIRMED)
    return {
        "confirmed": confirmed,
        "zero": confirmed & Q(is_zero=True),
        "late": confirmed & Q(late=True),
        "missing": ~confirmed,
    }[status]


# --- the grid worker's grids ----------------------------------------------------------------


def reporting_grids(user: Any) -> list[str]:
    """The grids whose report the user confirms: their own (as grid worker) first, then
    the others of their ``epidemic.report`` scope, at most ``MAX_OWN_GRIDS``."""
    from gridgov.registry.shaping import own_grid_codes

    own = [g for g in own_grid_codes(user) if scope.has_capability(user, REPORT, g)]
    prefixes = scope.scope_codes(user, REPORT)
    rest: list[str] = []
    if prefixes and "" not in prefixes:
        rest = list(
            Region.objects.filter(level=codes.GRID)
            .filter(scope.scope_filter(user, field="code", capability=REPORT))
            .order_by("code")
            .values_list("code", flat=True)[:MAX_OWN_GRIDS]
        )
    return list(dict.fromkeys(own + rest))[:MAX_OWN_GRIDS]


def reports_of(grids: Collection[str], day: dt.date) -> dict[str, GridDailyReport]:
    return {
        r.grid_code: r for r in GridDailyReport.objects.filter(grid_code__in=list(grids), date=day)
    }


# --- counts per node ------------------------------------------------------------------------


def child_length(code: str) -> int | None:
    """The code length of the node's children (None for a unit grid)."""
    level = codes.level_of(code)
    return codes.CODE_LENGTH[level + 1] if level < codes.GRID else None


# Unit grids per child node, per territory revision: the tree changes rarely, and a city's
# count groups some 25,000 grids.
_grid_count_cache: dict[tuple[Any, ...], dict[str, int]] = {}


def territory_version() -> tuple[Any, ...]:
    """The territory revision's number and time (as the locate index keys its cache): what
    a cache of territory counts is valid for."""
    found = TerritoryRevision.objects.filter(pk=1).values_list("revision", "updated_at").first()
    return tuple(found or (0, None))


def grid_counts(code: str, version: tuple[Any, ...] | None = None) -> dict[str, int]:
    """``{child code: unit grids under it}`` (for a grid: ``{grid: 1}``). Kept per
    territory version (``territory_version``, read here unless given), so the cost is one
    primary-key read once the tree was counted."""
    key = (*(version if version is not None else territory_version()), code)
    if key not in _grid_count_cache:
        if len(_grid_count_cache) > 2000:
            _grid_count_cache.clear()
        _grid_count_cache[key] = _count_grids(code)
    return dict(_grid_count_cache[key])


def _count_grids(code: str) -> dict[str, int]:
    length = child_length(code)
    if length is None:
        return {code: 1} if Region.objects.filter(code=code, level=codes.GRID).exists() else {}
    rows = (
        Region.objects.filter(under("code", code), level=codes.GRID)
        .annotate(child=Substr("code", 1, length))
        .values_list("child")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {child: n for child, n in rows}


def report_counts(code: str, day: dt.date) -> dict[str, Counter[str]]:
    """``{child: {report:confirmed, report:zero, report:late}}`` of ``day`` under ``code``,
    from the roll-ups: one grouped query."""
    length = child_length(code) or len(code)
    rows = (
        DailyCount.objects.filter(
            under("grid_code", code),
            date=day,
            measure__in=[names.REPORT_CONFIRMED, names.REPORT_ZERO, names.REPORT_LATE],
        )
        .annotate(child=Substr("grid_code", 1, length))
        .values_list("child", "measure")
        .annotate(n=Sum("value"))
        .order_by()
    )
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for child, measure, n in rows:
        found[child][measure] += int(n or 0)
    return found


@dataclass
class Counts:
    """Reports of a node (or of one child) on a day."""

    code: str
    name: str
    grids: int = 0
    confirmed: int = 0
    zero: int = 0
    late: int = 0

    @property
    def unconfirmed(self) -> int:
        return max(0, self.grids - self.confirmed)

    @property
    def share(self) -> float | None:
        return names.percent(self.confirmed, self.grids)


@dataclass
class Overview:
    region: Region
    day: dt.date
    deadline: dt.datetime
    overdue: bool
    total: Counts
    children: list[Counts] = field(default_factory=list)

    @property
    def missing(self) -> int:
        """Grids missing their report: unconfirmed once the deadline has passed."""
        return self.total.unconfirmed if self.overdue else 0


def overview(user: Any, code: str, day: dt.date) -> Overview:
    """The reports of a day under a node, per child node (for a community: per grid)."""
    region = get_node_for(user, code, FIGURE_READERS)
    counts = report_counts(code, day)
    grids = grid_counts(code)
    children: list[Counts] = []
    if not region.is_grid:
        names_of = dict(
            Region.objects.filter(parent_id=region.pk).order_by().values_list("code", "name")
        )
        children = [
            _tally(child, names_of.get(child, child), grids.get(child, 0), counts.get(child))
            for child in sorted(set(names_of) | set(grids))
        ]
    total = Counts(code=region.code, name=region.name)
    for child in children or [_tally(code, region.name, grids.get(code, 0), counts.get(code))]:
        total.grids += child.grids
        total.confirmed += child.confirmed
        total.zero += child.zero
        total.late += child.late
    settings = EpidemicSettings.current()
    return Overview(
        region=region,
        day=day,
        deadline=deadline(day, settings),
        overdue=overdue(day, settings=settings),
        total=total,
        children=children,
    )


def _tally(code: str, name: str, grids: int, counts: Counter[str] | None) -> Counts:
    counts = counts or Counter()
    return Counts(
        code=code,
        name=name,
        grids=grids,
        confirmed=counts[names.REPORT_CONFIRMED],
        zero=counts[names.REPORT_ZERO],
        late=counts[names.REPORT_LATE],
    )


# --- the grids under a node, with their report ------------------------------------------------


def may_see_people(user: Any, code: str) -> bool:
    """Whether the user may see who works, confirmed and wrote what (staff, not leaders)."""
    return may(user, PEOPLE_READERS, code)


def grid_rows(user: Any, code: str, day: dt.date, status: str = "") -> QuerySet[Region]:
    """The unit grids under ``code``, by code, optionally only those
    whose report of ``day`` is ``status`` (one of ``STATUSES``; "missing": not confirmed).
    Attach each page's reports and workers with ``with_reports``."""
    get_node_for(user, code, FIGURE_READERS)
    rows = Region.objects.filter(under("code", code), level=codes.GRID).only(
        "code", "name", "parent_id"
    )
    if status:
        reports = GridDailyReport.objects.filter(grid_code=OuterRef("code"), date=day)
        if status == "missing":
            rows = rows.filter(~Exists(reports.filter(status=ReportStatus.CONFIRMED)))
        else:
            rows = rows.filter(Exists(reports.filter(_report_status(status))))
    return rows.order_by("code")


@dataclass
class GridRow:
    code: str
    name: str
    report: GridDailyReport | None
    worker: str
    state: str  # as ``state_label`` says it

    @property
    def confirmed(self) -> bool:
        return self.report is not None and self.report.status == ReportStatus.CONFIRMED


def with_reports(
    grids: Iterable[Region], day: dt.date, *, people: bool = True, late: bool | None = None
) -> list[GridRow]:
    """Each grid with its report of ``day`` (or None), state and — with ``people`` — its
    grid workers: a query or two for any number of grids (and the deadline's unless
    ``late`` says whether it has passed)."""
    grids = list(grids)
    codes_ = [g.code for g in grids]
    reports = {
        r.grid_code: r
        for r in GridDailyReport.objects.filter(grid_code__in=codes_, date=day).select_related(
            "confirmed_by"
        )
    }
    workers = grid_workers(codes_) if people else {}
    if late is None:
        late = overdue(day)
    return [
        GridRow(
            g.code,
            g.name,
            reports.get(g.code),
            workers.get(g.code, ""),
            state_label(reports.get(g.code), late),
        )
        for g in grids
    ]


def grid_workers(grids: str | Collection[str]) -> dict[str, str]:
    """``{grid: "main worker, deputy (deputy)"}`` of the active workers of the grids under
    a prefix (or listed): one query."""
    found: dict[str, list[str]] = defaultdict(list)
    for grid, display, username, deputy in (
        GridAssignment.objects.active()
        .filter(_where(grids))
        .order_by("grid_code", "is_deputy", "pk")
        .values_list("grid_code", "user__display_name", "user__username", "is_deputy")
    ):
        name = display or username
        found[grid].append(_("%(name)s (deputy)") % {"name": name} if deputy else name)
    return {grid: pgettext("list separator", ", ").join(people) for grid, people in found.items()}


def state_label(report: GridDailyReport | None, overdue: bool) -> str:
    """Confirmed, zero report, late — or missing (past the deadline) / waiting."""
    if report is None or report.status != ReportStatus.CONFIRMED:
        return str(_("Missing") if overdue else _("Waiting"))
    if report.is_zero:
        return str(_("Zero report (late)") if report.late else _("Zero report"))
    return str(_("Confirmed (late)") if report.late else _("Confirmed"))


def _confirmation(report: GridDailyReport | None) -> tuple[str, str, str]:
    """When (site time), by whom and with what note a report was confirmed ("" if not)."""
    if report is None or report.status != ReportStatus.CONFIRMED:
        return "", "", report.note if report is not None else ""
    when = report.confirmed_at.astimezone(rules.site_zone()) if report.confirmed_at else None
    return (
        when.strftime("%Y-%m-%d %H:%M") if when else "",
        str(report.confirmed_by) if report.confirmed_by_id else "",
        report.note,
    )


EXPORT_FIGURES = (
    "people",
    "declared",
    "abnormal",
    "code_yellow",
    "code_red",
    "isolated",
    "follow_ups_missed",
    "cases_new",
    "cases_open",
)


def export_table(user: Any, code: str, day: dt.date) -> tuple[list[str], Iterator[list[Any]]]:
    """The headers and rows (one per unit grid under ``code``) of the reports of ``day``:
    grid, worker, state, confirmation, note and the main figures (``epidemic.view``).
    Three queries, whatever the number of grids."""
    get_node_for(user, code, PEOPLE_READERS)
    headers = [
        str(_("Grid code")),
        str(_("Grid")),
        str(_("Grid worker")),
        str(_("State")),
        str(_("Confirmed at")),
        str(_("Confirmed by")),
        str(_("Note")),
        *[str(names.FIGURE_LABELS[key]) for key in EXPORT_FIGURES],
    ]
    late = overdue(day)
    reports = {
        r.grid_code: r
        for r in GridDailyReport.objects.filter(under("grid_code", code), date=day).select_related(
            "confirmed_by"
        )
    }
    workers = grid_workers(code)
    grids = (
        Region.objects.filter(under("code", code), level=codes.GRID)
        .order_by("code")
        .values_list("code", "name")
    )

    def rows() -> Iterator[list[Any]]:
        for grid, name in grids.iterator():
            report = reports.get(grid)
            summary = summary_of(report) if report is not None else {}
            yield [
                grid,
                name,
                workers.get(grid, ""),
                state_label(report, late),
                *_confirmation(report),
                *[summary.get(key, "") for key in EXPORT_FIGURES],
            ]

    return headers, rows()


def missing_by_community(code: str, day: dt.date, within: Q | None = None) -> dict[str, list[str]]:
    """``{community: [grids without a confirmed report of day]}`` under ``code`` (and
    ``within``, a filter on ``Region.code``): two queries."""
    grids = Region.objects.filter(under("code", code), level=codes.GRID)
    if within is not None:
        grids = grids.filter(within)
    confirmed = set(
        GridDailyReport.objects.filter(
            under("grid_code", code), date=day, status=ReportStatus.CONFIRMED
        ).values_list("grid_code", flat=True)
    )
    found: dict[str, list[str]] = defaultdict(list)
    for grid in grids.order_by("code").values_list("code", flat=True).iterator():
        if grid not in confirmed:
            found[grid[:12]].append(grid)
    return dict(found)
