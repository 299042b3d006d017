"""Evaluation roll-ups (domain.md §4), kept current with every case transition.

``count_transition(case, event)`` is called by every workflow action inside its
transaction, after the case and its new event are saved. What a case counts for comes in
two kinds:

- **Facts of the case** — its report (valid or not, missed by the grid's supervisor), and,
  once filed, its outcome: closed, closed on time, disposed on time, reworked, postponed,
  its department, its rating. They can change while the case lives (a returned case moves
  to another department, a closed one is rated), so each case's facts as last counted are
  kept in ``CaseTally`` and a transition adds only the difference.
- **Steps with a clock** — a verification, a dispatch, a check — counted once, on the day
  they are taken, for the person who took them, on time when the event says so
  (``data["on_time"]``, written by the workflow when the step ended a stage clock; a step
  without a clock is on time). A dispatch later returned as wrongly sent is counted
  against that dispatch (its day and its dispatcher).

When things count (decision 0008):

- reports, their decision (valid = filed; invalid = cancelled or merged unfiled) and
  missed reports count on the day of the report;
- a case is *should-close* in the period it was filed in (立案: Tianmen's 972), and its
  outcome — closed, closed on time, disposed on time, rework, postponement — is written to
  that filing day whenever it happens, so the rates of a period are those of the cases
  filed in it (those of a running period rise as its cases are closed);
- ratings count on the day they are given.

Every count goes to the case's unit grid and, through ``STORAGE``, to its township and
county in daily, monthly and yearly rows; ``rebuild_evaluation`` recomputes it all from the
cases and their events.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from gridgov.cases.models import (
    Case,
    CaseEvent,
    CaseTally,
    Decision,
    EvaluationCount,
    Grain,
    PersonCount,
    PersonRole,
    Source,
    Stage,
)
from gridgov.cases.models.workflow import PUBLIC_SOURCES
from gridgov.registry import bulkwrite

# --- what is stored where -----------------------------------------------------------------

REGION_MEASURES = (
    "reported",
    "valid",
    "invalid",
    "missed",
    "filed",
    "closed",
    "closed_on_time",
    "postponed",
    "postponed_closed",
    "postponed_closed_on_time",
    "dispatched",
    "disposed_on_time",
    "reworked",
    "rated_satisfied",
    "rated_basic",
    "rated_unsatisfied",
    "verifications",
    "verified_on_time",
    "dispatches",
    "dispatched_on_time",
    "dispatch_returned",
    "checks",
    "checked_on_time",
)
PERSON_MEASURES = (
    "reported",
    "valid",
    "invalid",
    "missed",
    "verifications",
    "verified_on_time",
    "checks",
    "checked_on_time",
    "dispatches",
    "dispatched_on_time",
    "dispatch_returned",
)
_REGION_INDEX = {name: i for i, name in enumerate(REGION_MEASURES)}
_PERSON_INDEX = {name: i for i, name in enumerate(PERSON_MEASURES)}

ALL_GRAINS = (Grain.DAY, Grain.MONTH, Grain.YEAR)
DAYS_ONLY = (Grain.DAY,)
GRID = 15
# Territory levels (code lengths) and time grains stored, per kind of row (decision 0008).
# Unit grids only by day: below a township a node has few grids, so its days are few rows;
# townships and counties also by month and year, so a city's or county's year is a handful
# of rows. Supervisors work in one community, so their grid rows are as few as any coarser
# ones would be — and they need months and years for the city-wide ranking.
REGION_STORAGE: dict[int, tuple[str, ...]] = {6: ALL_GRAINS, 9: ALL_GRAINS, GRID: DAYS_ONLY}
PERSON_STORAGE: dict[str, dict[int, tuple[str, ...]]] = {
    PersonRole.SUPERVISOR: {GRID: ALL_GRAINS},
    PersonRole.DISPATCHER: {6: ALL_GRAINS, 9: ALL_GRAINS, GRID: DAYS_ONLY},
}
STEP_MEASURES = {
    # action: (count, on time, the role of the person who takes the step)
    "record_verification": ("verifications", "verified_on_time", PersonRole.SUPERVISOR),
    "dispatch": ("dispatches", "dispatched_on_time", PersonRole.DISPATCHER),
    "record_check": ("checks", "checked_on_time", PersonRole.SUPERVISOR),
}
RATING_MEASURES = {
    "satisfied": "rated_satisfied",
    "basic": "rated_basic",
    "unsatisfied": "rated_unsatisfied",
}
# The events a recount reads (the others change nothing counted, or are read from the case).
COUNTED_ACTIONS = (*STEP_MEASURES, "return", "dispose")


def period_start(grain: str, day: dt.date) -> dt.date:
    if grain == Grain.MONTH:
        return day.replace(day=1)
    if grain == Grain.YEAR:
        return day.replace(month=1, day=1)
    return day


def local_day(moment: dt.datetime) -> dt.date:
    """The day of ``moment`` in the installation's time zone (Asia/Shanghai)."""
    # Not timezone.localdate, which looks the active zone up on every call: a recount
    # makes millions (the default zone is cached by Django).
    return moment.astimezone(timezone.get_default_timezone()).date()


# --- counts in memory ---------------------------------------------------------------------

RegionKey = tuple[str, dt.date, int]  # grid, day, department (0: none)
PersonKey = tuple[str, int, str, dt.date]  # role, person, grid, day


@dataclass
class Counts:
    """Measures to add (or, negative, to take away) per grid and day."""

    regions: dict[RegionKey, Counter[str]] = field(default_factory=dict)
    people: dict[PersonKey, Counter[str]] = field(default_factory=dict)

    sign: int = 1  # -1: what is added is taken away (a case's facts as counted before)

    def region(self, grid: str, day: dt.date, department: int | None, **measures: int) -> None:
        counter = self.regions.setdefault((grid, day, department or 0), Counter())
        for name, n in measures.items():
            counter[name] += self.sign * n

    def person(
        self, role: str, person: int | None, grid: str, day: dt.date, **measures: int
    ) -> None:
        if person is not None:
            counter = self.people.setdefault((role, person, grid, day), Counter())
            for name, n in measures.items():
                counter[name] += self.sign * n

    def add(self, other: Counts, sign: int = 1) -> None:
        _merge(self.regions, other.regions, sign)
        _merge(self.people, other.people, sign)

    def __bool__(self) -> bool:
        return any(any(c.values()) for c in self.regions.values()) or any(
            any(c.values()) for c in self.people.values()
        )


def _merge(ours: dict[Any, Counter[str]], theirs: Mapping[Any, Counter[str]], sign: int) -> None:
    for key, measures in theirs.items():
        counter = ours.setdefault(key, Counter())
        for name, n in measures.items():
            counter[name] += sign * n


# --- the facts of a case ------------------------------------------------------------------


class Facts(NamedTuple):
    """What one case counts for; the columns of ``CaseTally`` (its counting state)."""

    grid_code: str
    reported_on: dt.date
    reporter_id: int | None
    decision: str
    missed_by_id: int | None
    filed_on: dt.date | None
    department_id: int | None
    dispatched: bool
    disposed_on_time: bool
    closed: bool
    closed_on_time: bool
    reworked: bool
    postponed: bool
    rating: str
    rated_on: dt.date | None


FACT_FIELDS = Facts._fields
# The case fields the facts are read from (a recount loads only these).
CASE_FIELDS = (
    "id",
    "grid_code",
    "source",
    "stage",
    "reporter_id",
    "supervisor_id",
    "verified",
    "reported_at",
    "filed_at",
    "department_id",
    "dispatched_at",
    "disposed_at",
    "closed_on_time",
    "dispatch_count",
    "rework_count",
    "postponement_count",
    "rating",
    "rated_at",
)


def facts_of(case: Any, *, disposed_on_time: bool, dispatched_twice: bool) -> Facts:
    """The facts of ``case`` (a Case or a row with ``CASE_FIELDS``); the two that need its
    events are passed in: whether its last disposal was on time, and whether it was
    dispatched to one department twice or more."""
    if case.filed_at is not None:
        decision = Decision.VALID
    elif case.stage == Stage.CANCELLED:
        decision = Decision.INVALID  # cancelled as not real, or merged as a duplicate
    else:
        decision = Decision.UNDECIDED
    # A problem the public reported and that proved real was missed by the grid's
    # supervisor: filed, or verified real and not (yet) thrown out.
    established = decision == Decision.VALID or (
        decision == Decision.UNDECIDED and case.verified is True
    )
    missed = case.source in PUBLIC_SOURCES and established
    closed = case.stage == Stage.CLOSED
    return Facts(
        grid_code=case.grid_code,
        reported_on=local_day(case.reported_at),
        reporter_id=case.reporter_id if case.source == Source.PATROL else None,
        decision=decision,
        missed_by_id=case.supervisor_id if missed else None,
        filed_on=local_day(case.filed_at) if case.filed_at is not None else None,
        department_id=case.department_id,
        dispatched=case.dispatched_at is not None and case.department_id is not None,
        disposed_on_time=case.disposed_at is not None and disposed_on_time,
        closed=closed,
        closed_on_time=closed and case.closed_on_time is not False,
        reworked=case.rework_count > 0 or dispatched_twice,
        postponed=case.postponement_count > 0,
        rating=case.rating or "",
        rated_on=local_day(case.rated_at) if case.rating and case.rated_at else None,
    )


def facts_counts(facts: Facts | None, counts: Counts | None = None) -> Counts:
    """The counts a case with these facts adds to the roll-ups (added to ``counts``)."""
    counts = counts if counts is not None else Counts()
    if facts is None:
        return counts
    grid = facts.grid_code
    report = {
        "reported": 1,
        "valid": int(facts.decision == Decision.VALID),
        "invalid": int(facts.decision == Decision.INVALID),
    }
    missed = int(facts.missed_by_id is not None)
    counts.region(grid, facts.reported_on, 0, **report, missed=missed)
    counts.person(PersonRole.SUPERVISOR, facts.reporter_id, grid, facts.reported_on, **report)
    counts.person(PersonRole.SUPERVISOR, facts.missed_by_id, grid, facts.reported_on, missed=1)
    if facts.filed_on is not None:
        postponed = int(facts.postponed)
        closed, on_time = int(facts.closed), int(facts.closed_on_time)
        counts.region(
            grid,
            facts.filed_on,
            facts.department_id,
            filed=1,
            closed=closed,
            closed_on_time=on_time,
            postponed=postponed,
            postponed_closed=postponed * closed,
            postponed_closed_on_time=postponed * on_time,
            dispatched=int(facts.dispatched),
            disposed_on_time=int(facts.disposed_on_time),
            reworked=int(facts.reworked),
        )
    if facts.rating in RATING_MEASURES and facts.rated_on is not None:
        counts.region(
            grid, facts.rated_on, facts.department_id, **{RATING_MEASURES[facts.rating]: 1}
        )
    return counts


# --- steps --------------------------------------------------------------------------------


class Step(NamedTuple):
    """A counted event: what the recount needs of a CaseEvent."""

    action: str
    at: dt.datetime
    actor_id: int | None
    department_id: int | None
    data: Mapping[str, Any]


def on_time(step: Step) -> bool:
    """Whether the step ended its stage within the stage's clock (no clock: on time)."""
    return step.data.get("on_time") is not False


def step_counts(
    grid: str, step: Step, dispatch: Step | None = None, counts: Counts | None = None
) -> Counts:
    """Counts of one step (added to ``counts``); for a return, ``dispatch`` is the
    dispatch it sends back."""
    counts = counts if counts is not None else Counts()
    if step.action in STEP_MEASURES:
        total, timely, role = STEP_MEASURES[step.action]
        day = local_day(step.at)
        measures = {total: 1, timely: int(on_time(step))}
        counts.region(grid, day, 0, **measures)
        counts.person(role, step.actor_id, grid, day, **measures)
    elif step.action == "return" and dispatch is not None:
        day = local_day(dispatch.at)
        counts.region(grid, day, 0, dispatch_returned=1)
        counts.person(PersonRole.DISPATCHER, dispatch.actor_id, grid, day, dispatch_returned=1)
    return counts


def dispatched_twice(steps: Iterable[Step]) -> bool:
    departments = Counter(s.department_id for s in steps if s.action == "dispatch")
    return any(n >= 2 for department, n in departments.items() if department is not None)


def replay(case: Any, steps: Sequence[Step], counts: Counts) -> Facts:
    """A case's facts, and everything it counts for added to ``counts``, from the case and
    its counted events in time order (what ``count_transition`` added, one transition at
    a time)."""
    disposals = [s for s in steps if s.action == "dispose"]
    facts = facts_of(
        case,
        disposed_on_time=bool(disposals) and on_time(disposals[-1]),
        dispatched_twice=dispatched_twice(steps),
    )
    facts_counts(facts, counts)
    last_dispatch: Step | None = None
    for step in steps:
        step_counts(case.grid_code, step, last_dispatch, counts)
        if step.action == "dispatch":
            last_dispatch = step
    return facts


# --- counting a transition ----------------------------------------------------------------


def _as_step(event: CaseEvent) -> Step:
    return Step(event.action, event.at, event.actor_id, event.department_id, event.data or {})


def _tally_facts(tally: CaseTally | None) -> Facts | None:
    if tally is None:
        return None
    return Facts(*(getattr(tally, name) for name in FACT_FIELDS))


def _previous_dispatch(event: CaseEvent) -> Step | None:
    found = (
        CaseEvent.objects.filter(case_id=event.case_id, action="dispatch", at__lte=event.at)
        .exclude(pk=event.pk)
        .order_by("-at", "-pk")
        .first()
    )
    return _as_step(found) if found is not None else None


def _dispatched_twice_now(case: Case) -> bool:
    if case.dispatch_count < 2:
        return False
    departments = CaseEvent.objects.filter(case_id=case.pk, action="dispatch").values_list(
        "department_id", flat=True
    )
    return dispatched_twice(Step("dispatch", case.reported_at, None, d, {}) for d in departments)


def count_transition(case: Case, event: CaseEvent) -> None:
    """Add what this transition changes to the evaluation roll-ups (in the caller's
    transaction, which holds the case's row lock). A case written without the workflow
    (an import, ``cases.history``) has no tally until ``rebuild_evaluation`` counts it;
    its first transition then counts its facts, not its earlier steps."""
    tally = CaseTally.objects.filter(case_id=case.pk).first()
    before = _tally_facts(tally)
    step = _as_step(event)
    if step.action == "dispose":
        disposed_on_time = on_time(step)
    else:
        disposed_on_time = bool(before and before.disposed_on_time)
    after = facts_of(
        case,
        disposed_on_time=disposed_on_time,
        dispatched_twice=bool(before and before.reworked) or _dispatched_twice_now(case),
    )
    counts = facts_counts(after)
    undo = Counts(sign=-1)
    facts_counts(before, undo)
    counts.add(undo)
    dispatch = _previous_dispatch(event) if step.action == "return" else None
    step_counts(case.grid_code, step, dispatch, counts)
    write_counts(counts)
    if after != before:
        CaseTally.objects.update_or_create(case_id=case.pk, defaults=after._asdict())


# --- writing counts -----------------------------------------------------------------------

RowKey = tuple[Any, ...]


def _expand(
    counts: Mapping[tuple[Any, ...], Counter[str]],
    key_of: Callable[[tuple[Any, ...], int, str], RowKey],
    storage: Callable[[tuple[Any, ...]], Mapping[int, tuple[str, ...]]],
    day_of: Callable[[tuple[Any, ...]], dt.date],
    index: Mapping[str, int],
) -> dict[RowKey, list[int]]:
    """Rows per stored (level, grain) of each grid-and-day count: key → measure values."""
    rows: dict[RowKey, list[int]] = {}
    for key, measures in counts.items():
        if not any(measures.values()):
            continue
        day = day_of(key)
        for level, grains in storage(key).items():
            for grain in grains:
                row_key = (grain, period_start(grain, day), level, *key_of(key, level, grain))
                values = rows.setdefault(row_key, [0] * len(index))
                for name, n in measures.items():
                    values[index[name]] += n
    return rows


BASE_STORAGE = {GRID: DAYS_ONLY}  # what the others are summed from


def region_rows(counts: Counts, *, base: bool = False) -> dict[RowKey, list[int]]:
    """(grain, start, level, code, department) → values of REGION_MEASURES, at every
    stored level and grain (``base``: grid-and-day rows only)."""
    return _expand(
        counts.regions,
        lambda key, level, _grain: (key[0][:level], key[2]),
        lambda _key: BASE_STORAGE if base else REGION_STORAGE,
        lambda key: key[1],
        _REGION_INDEX,
    )


def person_rows(counts: Counts, *, base: bool = False) -> dict[RowKey, list[int]]:
    """(grain, start, level, code, role, person) → values of PERSON_MEASURES."""
    return _expand(
        counts.people,
        lambda key, level, _grain: (key[2][:level], key[0], key[1]),
        lambda key: BASE_STORAGE if base else PERSON_STORAGE[key[0]],
        lambda key: key[3],
        _PERSON_INDEX,
    )


REGION_KEY = ("grain", "start", "level", "code", "department_id")
PERSON_KEY = ("grain", "start", "level", "code", "role", "person_id")
_REGION_CONFLICT = ("grain", "level", "code", "start", "department_id")
_PERSON_CONFLICT = ("role", "grain", "level", "code", "start", "person_id")


def _upsert(
    model: Any,
    keys: Sequence[str],
    conflict: Sequence[str],
    measures: Sequence[str],
    rows: Mapping[RowKey, list[int]],
) -> None:
    """Add the rows' values to the stored ones (insert when absent), in the database, so
    concurrent transitions of different cases never lose each other's increments."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [*keys, *measures]
    additions = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names are ours
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {additions}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*key, *values) for key, values in sorted(rows.items())])


def write_counts(counts: Counts) -> None:
    """Add ``counts`` to the roll-ups at every stored level and grain."""
    if not counts:
        return
    _upsert(EvaluationCount, REGION_KEY, _REGION_CONFLICT, REGION_MEASURES, region_rows(counts))
    _upsert(PersonCount, PERSON_KEY, _PERSON_CONFLICT, PERSON_MEASURES, person_rows(counts))


# --- recount ------------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]
CHUNK = 4000
INSERT_BATCH = 20_000


class CaseRow(NamedTuple):
    id: int
    grid_code: str
    source: str
    stage: str
    reporter_id: int | None
    supervisor_id: int | None
    verified: bool | None
    reported_at: dt.datetime
    filed_at: dt.datetime | None
    department_id: int | None
    dispatched_at: dt.datetime | None
    disposed_at: dt.datetime | None
    closed_on_time: bool | None
    dispatch_count: int
    rework_count: int
    postponement_count: int
    rating: str
    rated_at: dt.datetime | None


assert CaseRow._fields == CASE_FIELDS


@dataclass
class RebuildSummary:
    cases: int = 0
    region_rows: int = 0
    person_rows: int = 0
    seconds: float = 0.0


def _silent(_step: str, _done: int, _total: int) -> None:
    return None


def _cases_to_count(since: dt.date | None) -> Any:
    cases = Case.objects.all()
    if since is not None:
        start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
        later = CaseEvent.objects.filter(case_id=OuterRef("pk"), at__gte=start)
        cases = cases.filter(Q(reported_at__gte=start) | Exists(later))
    return cases


def _utc(value: Any) -> dt.datetime:
    """A stored time read as UTC (SQLite gives its text; PostgreSQL an aware datetime)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _raw_rows(queryset: Any, model: Any, fields: Sequence[str]) -> list[tuple[Any, ...]]:
    """``queryset.values_list(*fields)`` read with the cursor and converted here: Django's
    per-value converters cost more than the recount itself. On SQLite, times are read as
    their stored text (``fromisoformat`` is many times faster than the driver's parser)."""
    kinds = [model._meta.get_field(name).get_internal_type() for name in fields]
    selected: list[Any] = list(fields)
    if connection.vendor != "postgresql":
        selected = [
            Cast(name, TextField()) if kind == "DateTimeField" else name
            for name, kind in zip(fields, kinds, strict=True)
        ]
    sql, params = queryset.values_list(*selected).query.sql_with_params()
    convert = {"DateTimeField": _utc, "JSONField": _json}
    converters = [(i, convert[kind]) for i, kind in enumerate(kinds) if kind in convert]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converted = []
    for row in rows:
        values = list(row)
        for i, change in converters:
            if values[i] is not None:
                values[i] = change(values[i])
        converted.append(tuple(values))
    return converted


def _chunks(cases: Any) -> Iterator[list[CaseRow]]:
    """Cases in (grid, id) order, a chunk at a time (keyset paging: no growing OFFSET)."""
    ordered = cases.order_by("grid_code", "id")
    last: tuple[str, int] | None = None
    while True:
        page = ordered
        if last is not None:
            page = page.filter(Q(grid_code__gt=last[0]) | Q(grid_code=last[0], id__gt=last[1]))
        rows = [CaseRow(*row) for row in _raw_rows(page[:CHUNK], Case, CASE_FIELDS)]
        if not rows:
            return
        yield rows
        last = (rows[-1].grid_code, rows[-1].id)


STEP_FIELDS = ("case_id", "action", "at", "actor_id", "department_id", "data")


def _steps_of(case_ids: Sequence[int]) -> dict[int, list[Step]]:
    steps: dict[int, list[Step]] = {case_id: [] for case_id in case_ids}
    events = CaseEvent.objects.filter(case_id__in=case_ids, action__in=COUNTED_ACTIONS)
    for case_id, *rest in _raw_rows(events.order_by("case_id", "at", "id"), CaseEvent, STEP_FIELDS):
        steps[case_id].append(Step(*rest))
    return steps


class _RowWriter:
    """Buffers grid-and-day rows of the recount and inserts them in large batches."""

    def __init__(self) -> None:
        self.regions: list[tuple[Any, ...]] = []
        self.people: list[tuple[Any, ...]] = []
        self.written = [0, 0]
        self.text = _dates_as_text()

    def add(self, counts: Counts, since: dt.date | None) -> None:
        for rows, found in (
            (self.regions, region_rows(counts, base=True)),
            (self.people, person_rows(counts, base=True)),
        ):
            for (grain, start, *key), values in found.items():
                if since is None or start >= since:
                    rows.append((grain, _db_date(start, self.text), *key, *values))
        if len(self.regions) + len(self.people) >= INSERT_BATCH:
            self.flush()

    def flush(self) -> None:
        for i, (model, keys, measures, rows) in enumerate(
            (
                (EvaluationCount, REGION_KEY, REGION_MEASURES, self.regions),
                (PersonCount, PERSON_KEY, PERSON_MEASURES, self.people),
            )
        ):
            if rows:
                _insert(model, [*keys, *measures], rows)
                self.written[i] += len(rows)
        self.regions, self.people = [], []


def _db_date(day: dt.date | None, text: bool = True) -> Any:
    """A date as written in bulk: ISO text for SQLite, itself for PostgreSQL's COPY
    (``text``: whether the connection is SQLite — asked once by the caller, not per row)."""
    return day.isoformat() if text and day is not None else day


def _dates_as_text() -> bool:
    return connection.vendor != "postgresql"


def _insert(model: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Plain rows into a table with one prepared statement (COPY on PostgreSQL)."""
    bulkwrite.insert_rows(model._meta.db_table, columns, rows)


def _truncate(grain: str) -> str:
    """SQL for the start of the ``grain`` period of the ``start`` column."""
    if grain == Grain.DAY:
        return "start"
    if connection.vendor == "postgresql":
        unit = "month" if grain == Grain.MONTH else "year"
        return f"CAST(date_trunc('{unit}', start) AS date)"
    return f"date(start, 'start of {'month' if grain == Grain.MONTH else 'year'}')"


def _derive(
    model: Any,
    subject: Sequence[str],
    measures: Sequence[str],
    target: tuple[int, str],
    source: tuple[int, str],
    since: dt.date | None,
    where: str = "",
) -> None:
    """Write the ``target`` (level, grain) rows of ``model`` as sums of its finer
    ``source`` rows (from the period holding ``since`` on, when given)."""
    (level, grain), (from_level, from_grain) = target, source
    table = connection.ops.quote_name(model._meta.db_table)
    period = _truncate(grain)
    code = f"SUBSTR(code, 1, {int(level)})"
    keys = ", ".join(subject)
    sums = ", ".join(f"SUM({m})" for m in measures)
    since_clause = "AND start >= %s" if since is not None else ""
    sql = (
        f"INSERT INTO {table} (grain, start, level, code, {keys}, {', '.join(measures)}) "  # noqa: S608
        f"SELECT '{grain}', {period}, {int(level)}, {code}, {keys}, {sums} FROM {table} "
        f"WHERE grain = '{from_grain}' AND level = {int(from_level)} {where} {since_clause} "
        f"GROUP BY {period}, {code}, {keys}"
    )
    with connection.cursor() as cursor:
        start = _db_date(period_start(grain, since), _dates_as_text()) if since else None
        cursor.execute(sql, [start] if start else [])


Level = tuple[int, str]  # (code length, grain)


def derivation(storage: Mapping[int, Sequence[str]]) -> list[tuple[Level, Level]]:
    """(target, source) pairs in the order to write them: each stored (level, grain) from
    the same level's next finer grain where stored, else from the next finer level's rows
    of the same grain — always the fewest rows that add up to it."""
    pairs: list[tuple[Level, Level]] = []
    levels = sorted(storage, reverse=True)
    for level in levels:
        for grain in ALL_GRAINS:
            if grain not in storage[level] or (level, grain) == (GRID, Grain.DAY):
                continue
            finer_grain = ALL_GRAINS[ALL_GRAINS.index(grain) - 1] if grain != Grain.DAY else None
            if finer_grain is not None and finer_grain in storage[level]:
                pairs.append(((level, grain), (level, finer_grain)))
            else:
                finer = min(lv for lv in levels if lv > level and grain in storage[lv])
                pairs.append(((level, grain), (finer, grain)))
    return pairs


def _clear(since: dt.date | None) -> None:
    for model in (EvaluationCount, PersonCount):
        if since is None:
            model.objects.all().delete()
            continue
        for grain in ALL_GRAINS:
            model.objects.filter(grain=grain, start__gte=period_start(grain, since)).delete()


def _derive_all(since: dt.date | None) -> None:
    for target, source in derivation(REGION_STORAGE):
        _derive(EvaluationCount, ["department_id"], REGION_MEASURES, target, source, since)
    for role, storage in PERSON_STORAGE.items():
        for target, source in derivation(storage):
            _derive(
                PersonCount,
                ["role", "person_id"],
                PERSON_MEASURES,
                target,
                source,
                since,
                where=f"AND role = '{role}'",
            )


_DATE_FACTS = [i for i, name in enumerate(FACT_FIELDS) if name.endswith("_on")]


def _save_tallies(found: list[tuple[int, Facts]], since: dt.date | None) -> None:
    if since is not None:
        CaseTally.objects.filter(case_id__in=[case_id for case_id, _ in found]).delete()
    rows = []
    text = _dates_as_text()
    for case_id, facts in found:
        values: list[Any] = list(facts)
        for i in _DATE_FACTS:
            values[i] = _db_date(values[i], text)
        rows.append((case_id, *values))
    _insert(CaseTally, ["case_id", *FACT_FIELDS], rows)


@transaction.atomic
def rebuild_evaluation(
    *, since: dt.date | None = None, progress: Progress | None = None
) -> RebuildSummary:
    """Recompute the roll-ups (and every case's tally) from the cases and their events.

    ``since`` limits it to the days from that date on (and the months and years holding
    them): the cases with a report or an event since then are replayed and their counts of
    earlier days left as stored. One transaction: the roll-ups never show a half-made
    recount.
    """
    started = timezone.now()
    report = progress or _silent
    cases = _cases_to_count(since)
    total = cases.count()
    _clear(since)
    if since is None:
        CaseTally.objects.all().delete()
    writer = _RowWriter()
    done = 0
    pending: Counts = Counts()
    pending_grid = ""
    for chunk in _chunks(cases):
        steps = _steps_of([row.id for row in chunk])
        found: list[tuple[int, Facts]] = []
        for row in chunk:
            if row.grid_code != pending_grid:
                # Every count of a case goes to its grid: a grid's rows are complete once
                # the (grid, id) order moves past it, so memory stays one grid's worth.
                writer.add(pending, since)
                pending, pending_grid = Counts(), row.grid_code
            found.append((row.id, replay(row, steps[row.id], pending)))
        _save_tallies(found, since)
        done += len(chunk)
        report("Counting cases", done, total)
    writer.add(pending, since)
    writer.flush()
    report("Rolling up", 0, 1)
    _derive_all(since)
    report("Rolling up", 1, 1)
    return RebuildSummary(
        cases=done,
        region_rows=EvaluationCount.objects.count(),
        person_rows=PersonCount.objects.count(),
        seconds=(timezone.now() - started).total_seconds(),
    )
