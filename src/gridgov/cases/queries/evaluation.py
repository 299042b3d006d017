"""The evaluation of a territory node over a period (domain.md §4), read from roll-ups only.

For any node (city to unit grid) and any period (a day range): closure rate (结案率 =
closed / should-close), on-time closure rate (按期结案率), rework, postponement and
satisfaction rates; composite scores and grades of the node's child regions, of the
departments, supervisors (grid workers) and dispatchers who worked there. Needs
``evaluation.view`` over the node; outside the user's scope the node does not exist.

The roll-ups hold some levels and grains only (``gridgov.cases.evaluation.*_STORAGE``):
each question reads the coarsest level that answers it exactly, and a period is cut into
whole years, whole months and single days where those rows exist — so the city's year is
a few hundred rows, not the year's cases (decision 0008).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.accounts.models import Department, User
from gridgov.cases import evaluation as rollups
from gridgov.cases.models import (
    EvaluationCount,
    EvaluationSettings,
    Grain,
    PersonCount,
    PersonRole,
)
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.core.paging import Page, clamp
from gridgov.territory import codes
from gridgov.territory.models import Region

VIEW = "evaluation.view"
EDIT = "cases.catalogue"  # administrators: the catalogue, the calendar, the weights
CITY_LENGTH = codes.CODE_LENGTH[codes.CITY]
MAX_DAYS = 3660  # a custom period of up to ten years
GRADES = ("A", "B", "C", "D", "E")


# --- settings -----------------------------------------------------------------------------


def current_settings() -> EvaluationSettings:
    """The settings in force (the defaults until an administrator saves them)."""
    return EvaluationSettings.objects.filter(pk=1).first() or EvaluationSettings(pk=1)


def may_edit_settings(user: Any) -> bool:
    """Administrators of the whole city (cases.catalogue over a city) and operators: the
    weights score every county alike."""
    return any(len(prefix) <= CITY_LENGTH for prefix in scope.scope_codes(user, EDIT))


def require_settings_editor(user: Any) -> None:
    if not may_edit_settings(user):
        raise PermissionDenied(
            _("Only an administrator of the whole city may change the evaluation settings.")
        )


def settings_for(user: Any) -> EvaluationSettings:
    """The settings, for those who read scores or may change them."""
    if not (scope.has_capability(user, VIEW) or may_edit_settings(user)):
        raise PermissionDenied()
    return current_settings()


# --- periods ------------------------------------------------------------------------------

PERIOD_KINDS = ("this_month", "last_month", "this_year", "custom")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    kind: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        reason = _("a date as YYYY-MM-DD")
        raise InvalidInput(f"{name}: {reason}", fields={name: reason}) from None


def period_of(
    kind: str = "this_month",
    start: Any = None,
    end: Any = None,
    *,
    today: dt.date | None = None,
) -> Period:
    """A named period (this month, last month, this year, each up to today) or a custom
    one from ``start`` to ``end`` inclusive; InvalidInput naming the field otherwise."""
    today = today or timezone.localdate()
    if kind == "this_month":
        return Period(today.replace(day=1), today, kind)
    if kind == "last_month":
        last_day = today.replace(day=1) - dt.timedelta(days=1)
        return Period(last_day.replace(day=1), last_day, kind)
    if kind == "this_year":
        return Period(today.replace(month=1, day=1), today, kind)
    if kind != "custom":
        reason = _("must be one of: %(choices)s") % {"choices": ", ".join(PERIOD_KINDS)}
        raise InvalidInput(f"{_('Period')}: {reason}", fields={"period": reason})
    if start in (None, "") or end in (None, ""):
        missing = "start" if start in (None, "") else "end"
        raise InvalidInput(
            _("%(field)s: this is required") % {"field": missing}, fields={missing: _("required")}
        )
    first, last = _date(start, "start"), _date(end, "end")
    if last < first:
        reason = _("must not be before the start")
        raise InvalidInput(f"end: {reason}", fields={"end": reason})
    if (last - first).days >= MAX_DAYS:
        reason = _("at most %(n)d days") % {"n": MAX_DAYS}
        raise InvalidInput(f"end: {reason}", fields={"end": reason})
    return Period(first, last, "custom")


def runs(
    period: Period, grains: Sequence[str], today: dt.date | None = None
) -> list[tuple[str, dt.date, dt.date]]:
    """The period as runs of stored rows: (grain, first start, last start), whole years
    and months where ``grains`` has them, single days elsewhere.

    Nothing is counted after today, so a period reaching today may take the whole of its
    last month or year."""
    today = today or timezone.localdate()
    open_end = period.end >= today
    found: list[tuple[str, dt.date, dt.date]] = []

    def add(grain: str, start: dt.date) -> None:
        if found and found[-1][0] == grain:
            found[-1] = (grain, found[-1][1], start)
        else:
            found.append((grain, start, start))

    day = period.start
    while day <= period.end:
        year_end = day.replace(month=12, day=31)
        month_end = _month_end(day)
        if (
            Grain.YEAR in grains
            and day.timetuple().tm_yday == 1
            and (open_end or year_end <= period.end)
        ):
            add(Grain.YEAR, day)
            day = year_end + dt.timedelta(days=1)
        elif Grain.MONTH in grains and day.day == 1 and (open_end or month_end <= period.end):
            add(Grain.MONTH, day)
            day = month_end + dt.timedelta(days=1)
        else:
            add(Grain.DAY, day)
            day += dt.timedelta(days=1)
    return found


def _runs_q(found: Iterable[tuple[str, dt.date, dt.date]], rows: Q) -> Q:
    """``rows`` in any of the runs. Each branch of the OR repeats every condition, so that
    each is one range of the roll-ups' unique index (SQLite unions them; with the
    conditions outside the OR it would only use the index's first column)."""
    q = Q(pk__in=[])
    for grain, first, last in found:
        q |= rows & Q(grain=grain, start__gte=first, start__lte=last)
    return q


# --- where to read ------------------------------------------------------------------------


def _after(prefix: str) -> str | None:
    """The smallest code above every code starting with ``prefix`` (digits only)."""
    following = str(int(prefix) + 1).zfill(len(prefix))
    return following if len(following) == len(prefix) else None


def _level_for(storage: Mapping[int, Sequence[str]], length: int) -> int:
    """The coarsest stored level whose codes tell apart nodes of ``length`` digits."""
    return min(level for level in storage if level >= length)


def _under(code: str, level: int) -> Q:
    """Rows of ``level`` inside the node ``code`` (index range scans, no LIKE)."""
    if len(code) == level:
        return Q(level=level, code=code)
    q = Q(level=level, code__gte=code)
    upper = _after(code)
    return q & Q(code__lt=upper) if upper else q & Q(code__startswith=code)


def _where(
    storage: Mapping[int, Sequence[str]],
    code: str,
    length: int,
    period: Period,
    today: dt.date,
    grains: Sequence[str] = rollups.ALL_GRAINS,
    **fixed: Any,
) -> tuple[Q, int]:
    """The rows under ``code`` at the level answering ``length``-digit nodes, in the
    period (and matching ``fixed`` column values); and that level."""
    level = _level_for(storage, length)
    allowed = [g for g in storage[level] if g in grains]
    rows = Q(**fixed) & _under(code, level)
    return _runs_q(runs(period, allowed, today), rows), level


def _sums(measures: Sequence[str]) -> dict[str, Sum]:
    return {f"sum_{m}": Sum(m) for m in measures}


def _grouped(
    queryset: Any, group: Sequence[Any], measures: Sequence[str]
) -> list[tuple[Any, dict[str, int]]]:
    """(group value(s), {measure: sum}) per group, in one query."""
    rows = queryset.values_list(*group).annotate(**_sums(measures)).order_by()
    width = len(group)
    return [
        (row[0] if width == 1 else row[:width], dict(zip(measures, row[width:], strict=True)))
        for row in rows
    ]


def _total(parts: Iterable[Mapping[str, int]], measures: Sequence[str]) -> dict[str, int]:
    total = dict.fromkeys(measures, 0)
    for part in parts:
        for name in measures:
            total[name] += part.get(name) or 0
    return total


# --- rates, scores, grades ----------------------------------------------------------------


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def rates_of(m: Mapping[str, int], settings: EvaluationSettings) -> dict[str, float | None]:
    """Every rate (0–1, None when there is nothing to divide by) of a set of counts."""

    def n(name: str) -> int:
        return m.get(name) or 0

    excluded = settings.exclude_postponed
    should_close = n("filed") - (n("postponed") if excluded else 0)
    closed = n("closed") - (n("postponed_closed") if excluded else 0)
    closed_on_time = n("closed_on_time") - (n("postponed_closed_on_time") if excluded else 0)
    rated = n("rated_satisfied") + n("rated_basic") + n("rated_unsatisfied")
    basic = float(Decimal(settings.basic_satisfaction_weight))
    missed = ratio(n("missed"), n("valid") + n("missed"))
    returned = ratio(n("dispatch_returned"), n("dispatches"))
    return {
        "closure_rate": ratio(closed, should_close),
        "on_time_closure_rate": ratio(closed_on_time, should_close),
        "rework_rate": ratio(n("reworked"), n("dispatched")),
        "postponement_rate": ratio(n("postponed"), n("filed")),
        "satisfaction_rate": ratio(n("rated_satisfied") + basic * n("rated_basic"), rated),
        "on_time_disposal_rate": ratio(n("disposed_on_time"), n("dispatched")),
        "valid_report_rate": ratio(n("valid"), n("valid") + n("invalid")),
        "missed_report_score": None if missed is None else 1 - missed,
        "on_time_verification_rate": ratio(n("verified_on_time"), n("verifications")),
        "on_time_check_rate": ratio(n("checked_on_time"), n("checks")),
        "on_time_dispatch_rate": ratio(n("dispatched_on_time"), n("dispatches")),
        "accurate_dispatch_rate": None if returned is None else 1 - returned,
    }


def should_close(m: Mapping[str, int], settings: EvaluationSettings) -> int:
    return (m.get("filed") or 0) - ((m.get("postponed") or 0) if settings.exclude_postponed else 0)


def weighted(parts: Iterable[tuple[float | None, int]]) -> float | None:
    """Points out of 100: each rate times its weight; a rate with nothing to measure
    (None) leaves the score, and the other weights are scaled to fill its place."""
    present = [(rate, weight) for rate, weight in parts if rate is not None and weight > 0]
    total = sum(weight for _, weight in present)
    if not total:
        return None
    return round(100 * sum(rate * weight for rate, weight in present) / total, 2)


def disposal_score(rates: Mapping[str, float | None], s: EvaluationSettings) -> float | None:
    """Departments and regions: on-time disposal ×60 + closure ×30 + (1 − rework) ×10
    (+ satisfaction, with its weight)."""
    rework = rates["rework_rate"]
    return weighted(
        [
            (rates["on_time_disposal_rate"], s.disposal_on_time_weight),
            (rates["closure_rate"], s.closure_weight),
            (None if rework is None else 1 - rework, s.no_rework_weight),
            (rates["satisfaction_rate"], s.satisfaction_weight),
        ]
    )


def supervisor_score(rates: Mapping[str, float | None], s: EvaluationSettings) -> float | None:
    """Valid reports ×40 + missed-report score ×20 + on-time verification ×20 + on-time
    check ×20."""
    return weighted(
        [
            (rates["valid_report_rate"], s.valid_report_weight),
            (rates["missed_report_score"], s.missed_report_weight),
            (rates["on_time_verification_rate"], s.verify_on_time_weight),
            (rates["on_time_check_rate"], s.check_on_time_weight),
        ]
    )


def dispatcher_score(rates: Mapping[str, float | None], s: EvaluationSettings) -> float | None:
    return weighted(
        [
            (rates["on_time_dispatch_rate"], s.dispatch_on_time_weight),
            (rates["accurate_dispatch_rate"], s.dispatch_accurate_weight),
        ]
    )


def grade(score: float | None, s: EvaluationSettings) -> str:
    """A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, else E (boundaries from the settings)."""
    if score is None:
        return ""
    for letter, bound in zip(GRADES, (s.grade_a, s.grade_b, s.grade_c, s.grade_d), strict=False):
        if score >= bound:
            return letter
    return GRADES[-1]


# --- results ------------------------------------------------------------------------------


@dataclass
class Ranked:
    """One evaluated region, department or person."""

    key: str  # region code, or the department's or user's id
    name: str
    counts: dict[str, int]
    rates: dict[str, float | None]
    score: float | None
    grade: str
    rank: int | None = None


@dataclass
class TrendPoint:
    start: dt.date
    counts: dict[str, int]
    rates: dict[str, float | None]


@dataclass
class Evaluation:
    code: str
    name: str
    level: int
    period: Period
    counts: dict[str, int]
    rates: dict[str, float | None]
    should_close: int
    score: float | None
    grade: str
    regions: list[Ranked]
    departments: list[Ranked]
    dispatchers: list[Ranked]
    supervisors: Page
    supervisor_grades: dict[str, int]
    trend_unit: str
    trend: list[TrendPoint]
    settings: EvaluationSettings
    notes: list[str] = field(default_factory=list)


def _rank(items: list[Ranked], tiebreak: Any = None) -> list[Ranked]:
    """Best score first (no score last), then by ``tiebreak`` (default: the name); equal
    scores share a rank."""
    tiebreak = tiebreak or (lambda r: r.name)
    items.sort(key=lambda r: (r.score is None, -(r.score or 0), tiebreak(r)))
    previous: Ranked | None = None
    for position, item in enumerate(items, start=1):
        if item.score is None:
            break
        same = previous is not None and previous.score == item.score
        item.rank = previous.rank if same and previous is not None else position
        previous = item
    return items


Scorer = Any  # a function (rates, settings) -> score


def _ranked(
    key: str, name: str, counts: dict[str, int], scorer: Scorer, s: EvaluationSettings
) -> Ranked:
    rates = rates_of(counts, s)
    score = scorer(rates, s)
    return Ranked(key, name, counts, rates, score, grade(score, s))


# --- the reads ----------------------------------------------------------------------------


def node_for(user: Any, code: str) -> tuple[str, str, int]:
    """(code, name, level) of the node if the user may evaluate it; NotFound otherwise
    (absent, malformed or outside the scope look the same)."""
    code = str(code or "")
    if not code.isascii() or not code.isdigit() or len(code) not in codes.LEVEL_BY_LENGTH:
        raise NotFound()
    scope.require(user, VIEW, code)
    name = Region.objects.filter(code=code).values_list("name", flat=True).first()
    if name is None:
        raise NotFound()
    return code, name, codes.LEVEL_BY_LENGTH[len(code)]


def resolve_node(user: Any, code: str | None) -> str:
    """The node asked for, or the user's home node; PermissionDenied for a user who may
    evaluate nothing."""
    if code:
        return str(code)
    home = home_node(user)
    if home is None:
        raise PermissionDenied()
    return home


def home_node(user: Any) -> str | None:
    """Where the user's evaluation page starts: the broadest node they may evaluate."""
    prefixes = [p for p in scope.scope_codes(user, VIEW) if p]
    if prefixes:
        return min(prefixes, key=lambda p: (len(p), p))
    if scope.is_operator(user):
        return Region.objects.filter(level=codes.CITY).values_list("code", flat=True).first()
    return None


def _by_department(code: str, period: Period, today: dt.date) -> dict[int, dict[str, int]]:
    where, _level = _where(rollups.REGION_STORAGE, code, len(code), period, today)
    rows = EvaluationCount.objects.filter(where)
    return dict(_grouped(rows, ["department_id"], rollups.REGION_MEASURES))


def _by_child(code: str, period: Period, today: dt.date) -> dict[str, dict[str, int]]:
    length = codes.CODE_LENGTH[codes.LEVEL_BY_LENGTH[len(code)] + 1]
    where, level = _where(rollups.REGION_STORAGE, code, length, period, today)
    rows = EvaluationCount.objects.filter(where)
    if level == length:
        return dict(_grouped(rows, ["code"], rollups.REGION_MEASURES))
    rows = rows.annotate(child=Substr("code", 1, length))
    return dict(_grouped(rows, ["child"], rollups.REGION_MEASURES))


def _by_person(
    role: str, code: str, period: Period, today: dt.date, measures: Sequence[str]
) -> dict[int, dict[str, int]]:
    storage = rollups.PERSON_STORAGE[role]
    where, _level = _where(storage, code, len(code), period, today, role=role)
    rows = PersonCount.objects.filter(where)
    return dict(_grouped(rows, ["person_id"], measures))


SUPERVISOR_MEASURES = (
    "reported",
    "valid",
    "invalid",
    "missed",
    "verifications",
    "verified_on_time",
    "checks",
    "checked_on_time",
)
DISPATCHER_MEASURES = ("dispatches", "dispatched_on_time", "dispatch_returned")


def trend_unit(period: Period) -> str:
    if period.days <= 31:
        return "day"
    if period.days <= 92:
        return "week"
    return "month"


# Days from a bucket's start to somewhere in the next bucket.
_STEP_DAYS = {"day": 1, "week": 7, "month": 32}


def _bucket(unit: str, day: dt.date) -> dt.date:
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _trend(
    code: str, period: Period, today: dt.date, s: EvaluationSettings
) -> tuple[str, list[TrendPoint]]:
    """Counts and rates per day, week or month of the period (a month is never read from
    a year row, which cannot be split)."""
    unit = trend_unit(period)
    grains = (Grain.DAY, Grain.MONTH) if unit == "month" else (Grain.DAY,)
    where, _level = _where(rollups.REGION_STORAGE, code, len(code), period, today, grains)
    grouped = _grouped(EvaluationCount.objects.filter(where), ["start"], rollups.REGION_MEASURES)
    buckets: dict[dt.date, list[dict[str, int]]] = {}
    last = min(period.end, today)
    day = _bucket(unit, period.start)
    while day <= last:
        buckets[day] = []
        day = _bucket(unit, day + dt.timedelta(days=_STEP_DAYS[unit]))
    for start, counts in grouped:
        buckets.setdefault(_bucket(unit, start), []).append(counts)
    points = []
    for start in sorted(buckets):
        counts = _total(buckets[start], rollups.REGION_MEASURES)
        points.append(TrendPoint(start, counts, rates_of(counts, s)))
    return unit, points


def _names(model: Any, ids: Iterable[int], *fields: str) -> dict[int, Any]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    return {
        row[0]: row[1:] for row in model.objects.filter(pk__in=wanted).values_list("pk", *fields)
    }


def _user_label(values: Sequence[str]) -> str:
    display_name, username = values
    return display_name or username


def _supervisor_sums(code: str, period: Period, today: dt.date) -> np.ndarray:
    """One row per supervisor: person id, then SUPERVISOR_MEASURES (read with the cursor,
    straight into an array: a city has tens of thousands of grid workers)."""
    storage = rollups.PERSON_STORAGE[PersonRole.SUPERVISOR]
    where, _level = _where(storage, code, len(code), period, today, role=PersonRole.SUPERVISOR)
    rows = PersonCount.objects.filter(where)
    grouped = rows.values_list("person_id").annotate(**_sums(SUPERVISOR_MEASURES)).order_by()
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return np.array(found, dtype=np.int64).reshape(-1, 1 + len(SUPERVISOR_MEASURES))


def _array_rate(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, part / np.maximum(whole, 1), np.nan)


def supervisor_scores(sums: np.ndarray, s: EvaluationSettings) -> np.ndarray:
    """``supervisor_score`` of every row of ``_supervisor_sums`` at once (NaN: no score)."""
    m = {name: sums[:, i + 1].astype(float) for i, name in enumerate(SUPERVISOR_MEASURES)}
    parts = [
        (_array_rate(m["valid"], m["valid"] + m["invalid"]), s.valid_report_weight),
        (1 - _array_rate(m["missed"], m["valid"] + m["missed"]), s.missed_report_weight),
        (_array_rate(m["verified_on_time"], m["verifications"]), s.verify_on_time_weight),
        (_array_rate(m["checked_on_time"], m["checks"]), s.check_on_time_weight),
    ]
    points = np.zeros(len(sums))
    weights = np.zeros(len(sums))
    for rate, weight in parts:
        if weight > 0:
            present = ~np.isnan(rate)
            points += np.where(present, rate * weight, 0)
            weights += np.where(present, weight, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(weights > 0, np.round(100 * points / weights, 2), np.nan)


def _supervisor_page(
    sums: np.ndarray, s: EvaluationSettings, page: Any, page_size: Any
) -> tuple[Page, dict[str, int]]:
    """Every supervisor ranked (scores computed on arrays), and one page of the ranking
    with names, rates and scores as ``supervisor_score`` gives them."""
    scores = supervisor_scores(sums, s)
    scored = ~np.isnan(scores)
    ids = sums[:, 0]
    # Best score first, no score last, ties by id (names are read for the page only).
    order = np.lexsort((ids, -np.where(scored, scores, 0), ~scored))
    bounds = (s.grade_a, s.grade_b, s.grade_c, s.grade_d)
    letters = np.select([scores >= b for b in bounds], list(GRADES[:4]), GRADES[4])
    grades = {g: int(np.sum((letters == g) & scored)) for g in GRADES}
    # page_size None: the whole ranking (the spreadsheet export).
    number, size = clamp(page, page_size) if page_size is not None else (1, max(1, len(sums)))
    shown = order[(number - 1) * size : number * size]
    names = _names(User, [int(ids[i]) for i in shown], "display_name", "username")
    valid_scores = scores[scored]
    items = []
    for i in shown:
        person_id = int(ids[i])
        measures = dict(zip(SUPERVISOR_MEASURES, map(int, sums[i, 1:]), strict=True))
        item = _ranked(
            str(person_id),
            _user_label(names.get(person_id, ("", str(person_id)))),
            measures,
            supervisor_score,
            s,
        )
        if scored[i]:
            item.rank = 1 + int(np.sum(valid_scores > scores[i]))
        items.append(item)
    return Page(items=items, count=len(sums), page=number, page_size=size), grades


def evaluate(
    user: Any,
    code: str,
    period: Period,
    *,
    supervisors_page: Any = 1,
    supervisors_page_size: Any = 20,
    today: dt.date | None = None,
) -> Evaluation:
    """Everything the evaluation page and API show of node ``code`` over ``period``."""
    code, name, level = node_for(user, code)
    today = today or timezone.localdate()
    s = current_settings()
    measures = rollups.REGION_MEASURES
    by_department = _by_department(code, period, today)
    counts = _total(by_department.values(), measures)
    rates = rates_of(counts, s)
    score = disposal_score(rates, s)

    departments_named = _names(Department, by_department, "name")
    departments = _rank(
        [
            _ranked(str(pk), departments_named[pk][0], dept_counts, disposal_score, s)
            for pk, dept_counts in by_department.items()
            if pk in departments_named
        ]
    )
    regions: list[Ranked] = []
    if level < codes.GRID:
        child_counts = _by_child(code, period, today)
        children = Region.objects.filter(level=level + 1, code__startswith=code).values_list(
            "code", "name"
        )
        regions = _rank(
            [
                _ranked(child, child_name, child_counts.get(child) or {}, disposal_score, s)
                for child, child_name in children.order_by("code")
            ]
        )
    by_dispatcher = _by_person(PersonRole.DISPATCHER, code, period, today, DISPATCHER_MEASURES)
    dispatcher_names = _names(User, by_dispatcher, "display_name", "username")
    dispatchers = _rank(
        [
            _ranked(
                str(pk),
                _user_label(dispatcher_names.get(pk, ("", str(pk)))),
                person_counts,
                dispatcher_score,
                s,
            )
            for pk, person_counts in by_dispatcher.items()
        ]
    )
    supervisors, supervisor_grades = _supervisor_page(
        _supervisor_sums(code, period, today), s, supervisors_page, supervisors_page_size
    )
    unit, trend = _trend(code, period, today, s)
    return Evaluation(
        code=code,
        name=name,
        level=level,
        period=period,
        counts=counts,
        rates=rates,
        should_close=should_close(counts, s),
        score=score,
        grade=grade(score, s),
        regions=regions,
        departments=departments,
        dispatchers=dispatchers,
        supervisors=supervisors,
        supervisor_grades=supervisor_grades,
        trend_unit=unit,
        trend=trend,
        settings=s,
    )


def headline(user: Any, code: str, period: Period, today: dt.date | None = None) -> dict[str, Any]:
    """The node's counts, rates, score and grade only (the region page's panel)."""
    code, _name, _level = node_for(user, code)
    today = today or timezone.localdate()
    s = current_settings()
    counts = _total(_by_department(code, period, today).values(), rollups.REGION_MEASURES)
    rates = rates_of(counts, s)
    score = disposal_score(rates, s)
    return {
        "counts": counts,
        "rates": rates,
        "should_close": should_close(counts, s),
        "score": score,
        "grade": grade(score, s),
    }
