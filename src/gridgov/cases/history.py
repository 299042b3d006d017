"""Historical cases: a year of plausible case histories for the demo and the benchmark.

``generate_history`` writes cases, their events and postponements straight into the
tables with bulk inserts (no actions, no audit events, no inbox messages: this is a past
that happened elsewhere), each case taking the workflow's own path of domain.md §3 —
reported on patrol or by the public, verified, filed or cancelled, dispatched (sometimes
to the wrong department and returned), postponed, disposed on time or late, checked,
reworked when the check fails, closed, rated. Events carry what the live actions write
(``due``/``on_time`` on the steps with a clock), so ``rebuild_evaluation`` counts them
exactly as it would count live ones. Cases whose history runs past ``end`` stop where
they are: the last weeks hold open cases at every stage.

Deadlines are the class's limit read roughly (a working day as 1.4 days, a working hour
as three hours): the on-time flags are drawn, not computed from them.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from gridgov.accounts.models import Department, GridAssignment, RoleAssignment
from gridgov.accounts.roles import Role
from gridgov.cases.models import (
    Case,
    CaseClass,
    CaseEvent,
    CaseNumberCounter,
    Postponement,
    PostponementStatus,
    Source,
    Stage,
    TimeUnit,
)
from gridgov.core.errors import InvalidInput
from gridgov.registry import bulkwrite
from gridgov.territory.models import Region

Progress = Callable[[str, int, int], None]
BATCH = 5000  # cases per insert round

# Shares of the sources (patrol by grid workers dominates, as in real systems).
SOURCES = (
    (Source.PATROL, 0.55),
    (Source.HOTLINE, 0.2),
    (Source.CITIZEN, 0.13),
    (Source.VIDEO, 0.06),
    (Source.OPEN311, 0.03),
    (Source.LEADER, 0.03),
)
PUBLIC = (Source.CITIZEN, Source.HOTLINE, Source.OPEN311)
# Chances of the turns a history takes.
P_NOT_REAL = 0.05  # verified as not real, then cancelled
P_CANCELLED = 0.04  # cancelled as invalid without verification
P_MERGED = 0.02  # merged into an earlier case of the grid
P_RETURNED = 0.04  # dispatched to the wrong department
P_POSTPONED = 0.05
P_CHECK_FAILS = 0.08
P_RATED = 0.45  # of closed public reports
P_LATE_STEP = 0.1  # verification, dispatch or check after its clock ran out
P_LATE_DISPOSAL = 0.2
RATINGS = (("satisfied", 0.7), ("basic", 0.2), ("unsatisfied", 0.1))
PHRASES = ("，影响通行", "，群众反映强烈", "，需尽快处理", "，位于路口附近", "，已持续数日", "")
STEP_CLOCK = dt.timedelta(hours=1)  # the stage clocks' default (1 working hour)


@dataclass
class HistoryWorld:
    """Who and what the histories draw from."""

    grids: list[str]
    classes: list[tuple[int, str, int | None, str]]  # id, name, limit value, limit unit
    departments: list[tuple[int, str]]  # id, region code served
    supervisors: dict[str, int] = field(default_factory=dict)  # grid → its main worker
    dispatchers: dict[str, list[int]] = field(default_factory=dict)  # scope code → users
    supervision: dict[str, list[int]] = field(default_factory=dict)

    def departments_for(self, grid: str) -> list[int]:
        return [pk for pk, code in self.departments if grid.startswith(code)]

    def people_for(self, people: dict[str, list[int]], grid: str) -> list[int]:
        """The users of the most specific scope containing the grid."""
        for length in (12, 9, 6, 4):
            if grid[:length] in people:
                return people[grid[:length]]
        return []


def world_of(city_code: str) -> HistoryWorld:
    """The grids, classes, departments and people of a city, read once."""
    grids = list(
        Region.objects.grids()
        .filter(code__startswith=city_code)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not grids:
        raise InvalidInput(
            f"city_code: no unit grids under {city_code}", fields={"city_code": "no grids"}
        )
    classes = list(
        CaseClass.objects.filter(is_active=True, parent__isnull=False)
        .order_by("kind", "code")
        .values_list("pk", "name", "limit_value", "limit_unit")
    )
    departments = list(
        Department.objects.filter(is_active=True, region_code__startswith=city_code[:4])
        .order_by("pk")
        .values_list("pk", "region_code")
    )
    supervisors = dict(
        GridAssignment.objects.active()
        .filter(is_deputy=False, grid_code__startswith=city_code)
        .values_list("grid_code", "user_id")
    )
    return HistoryWorld(
        grids=grids,
        classes=classes,
        departments=departments,
        supervisors=supervisors,
        dispatchers=_people_by_scope(Role.COMMAND, city_code),
        supervision=_people_by_scope(Role.SUPERVISION, city_code),
    )


def _people_by_scope(role: str, city_code: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    rows = RoleAssignment.objects.active().filter(role=role, scope_code__startswith=city_code[:4])
    for scope_code, user_id in rows.values_list("scope_code", "user_id").order_by("user_id"):
        found.setdefault(scope_code, []).append(user_id)
    return found


def _limit(value: int | None, unit: str) -> dt.timedelta | None:
    if not value:
        return None
    if unit == TimeUnit.URGENT_HOURS:
        return dt.timedelta(hours=value)
    if unit == TimeUnit.WORKING_HOURS:
        return dt.timedelta(hours=3 * value)
    return dt.timedelta(days=1.4 * value)


# --- one history --------------------------------------------------------------------------


@dataclass
class _History:
    """One case being written: its row and its events, cut off at ``end``."""

    case: dict[str, Any]
    end: dt.datetime
    events: list[tuple[Any, ...]] = field(default_factory=list)
    postponements: list[tuple[Any, ...]] = field(default_factory=list)
    stopped: bool = False

    def step(
        self,
        action: str,
        at: dt.datetime,
        to_stage: str,
        actor: int | None = None,
        by: int | None = None,
        **data: Any,
    ) -> bool:
        """Record a move at ``at`` (``by``: the department concerned); False (and the
        history stops) when ``at`` is after the end — the case stays where it was."""
        if self.stopped or at > self.end:
            self.stopped = True
            return False
        self.events.append(
            (self.case["id"], action, self.case["stage"], to_stage, actor, by, data, at)
        )
        if to_stage != self.case["stage"]:
            self.case["stage"] = to_stage
            self.case["stage_started_at"] = at
            self.case["stage_deadline"] = None
        return True

    def clocked(
        self,
        rng: random.Random,
        action: str,
        start: dt.datetime,
        to_stage: str,
        actor: int | None,
        department: int | None = None,
        **data: Any,
    ) -> dt.datetime | None:
        """A step ending the stage clock that started at ``start``, on time or late; the
        clock stays on the case if the history stops before the step."""
        due = start + STEP_CLOCK
        late = rng.random() < P_LATE_STEP
        at = due + _minutes(rng, 5, 240) if late else start + _minutes(rng, 5, 55)
        self.case["stage_deadline"] = due
        verdict = {"due": due.isoformat(), "on_time": not late}
        if not self.step(action, at, to_stage, actor, department, **verdict, **data):
            return None
        return at


def _minutes(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(minutes=rng.uniform(low, high))


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    roll, total = rng.random(), 0.0
    for value, share in weighted:
        total += share
        if roll < total:
            return value
    return weighted[-1][0]


class _Writer:
    """Draws histories and writes them in batches."""

    def __init__(self, world: HistoryWorld, rng: random.Random, end: dt.datetime) -> None:
        self.world = world
        self.rng = rng
        self.end = end
        self.next_id = (Case.objects.aggregate(n=Max("id"))["n"] or 0) + 1
        self.numbers: dict[dt.date, int] = dict(
            CaseNumberCounter.objects.values_list("day", "last")
        )
        self.last_in_grid: dict[str, int] = {}
        self.departments: dict[str, list[int]] = {}

    def _number(self, reported_at: dt.datetime) -> str:
        day = timezone.localdate(reported_at)
        self.numbers[day] = self.numbers.get(day, 0) + 1
        return f"{day:%Y%m%d}{self.numbers[day]:06d}"

    def _departments(self, grid: str) -> list[int]:
        county = grid[:6]
        if county not in self.departments:
            self.departments[county] = self.world.departments_for(grid)
        return self.departments[county]

    def history(self, reported_at: dt.datetime) -> _History:
        rng, world = self.rng, self.world
        grid = rng.choice(world.grids)
        class_id, class_name, limit_value, limit_unit = rng.choice(world.classes)
        source = _pick(rng, SOURCES)
        worker = world.supervisors.get(grid)
        own = source == Source.PATROL and worker is not None
        case_id = self.next_id
        self.next_id += 1
        case: dict[str, Any] = {
            "id": case_id,
            "number": self._number(reported_at),
            "public_token": uuid.UUID(int=rng.getrandbits(128), version=4),
            "source": source,
            "stage": Stage.VERIFIED if own else Stage.REPORTED,
            "case_class_id": class_id,
            "description": class_name + rng.choice(PHRASES),
            "grid_code": grid,
            "reporter_id": worker if own else None,
            "supervisor_id": worker,
            "verified": True if own else None,
            "verified_at": reported_at if own else None,
            "reported_at": reported_at,
            "created_at": reported_at,
            "stage_started_at": reported_at,
            "limit_value": limit_value,
            "limit_unit": limit_unit or "",
        }
        story = _History(case, self.end)
        story.events.append(
            (case_id, "report", "", case["stage"], case["reporter_id"], None, {}, reported_at)
        )
        self._run(story, reported_at, grid, worker, own, limit_value, limit_unit)
        self.last_in_grid[grid] = case_id
        case["updated_at"] = story.events[-1][-1]
        case["version"] = len(story.events)
        return story

    def _run(
        self,
        story: _History,
        at: dt.datetime,
        grid: str,
        worker: int | None,
        own: bool,
        limit_value: int | None,
        limit_unit: str,
    ) -> None:
        rng, case = self.rng, story.case
        centre = self._one(self.world.supervision, grid)
        if not own and (case["source"] in PUBLIC or rng.random() < 0.3):
            at += _minutes(rng, 2, 30)
            if not story.step("request_verification", at, Stage.VERIFYING, centre):
                return
            real = rng.random() >= P_NOT_REAL
            found = story.clocked(
                rng, "record_verification", at, Stage.VERIFIED, worker, is_real=real
            )
            if found is None:
                return
            at = found
            case["verified"], case["verified_at"] = real, at
            if not real:
                self._cancel(story, at + _minutes(rng, 5, 60), centre, "现场核实不存在")
                return
        elif not own:
            roll = rng.random()
            if roll < P_CANCELLED:
                self._cancel(story, at + _minutes(rng, 5, 60), centre, "无效信息")
                return
            earlier = self.last_in_grid.get(grid)
            if roll < P_CANCELLED + P_MERGED and earlier is not None:
                self._cancel(story, at + _minutes(rng, 5, 60), centre, "重复上报", merged=earlier)
                return
        at += _minutes(rng, 3, 40)
        if not story.step("file", at, Stage.FILED, centre):
            return
        case["filed_at"] = at
        # Filing suggests the department the class goes to here (as file_case does).
        departments = self._departments(grid)
        if departments:
            case["suggested_department_id"] = departments[case["case_class_id"] % len(departments)]
        self._dispose(story, at, grid, limit_value, limit_unit)

    def _cancel(
        self, story: _History, at: dt.datetime, actor: int | None, reason: str, merged: int = 0
    ) -> None:
        action = "merge" if merged else "cancel"
        extra = {"into": merged} if merged else {}
        if story.step(action, at, Stage.CANCELLED, actor, **extra):
            story.case.update(cancelled_at=at, cancel_reason=reason, merged_into_id=merged or None)

    def _one(self, people: dict[str, list[int]], grid: str) -> int | None:
        found = self.world.people_for(people, grid)
        return self.rng.choice(found) if found else None

    def _dispatch(
        self, story: _History, filed: dt.datetime, grid: str, limit: dt.timedelta | None
    ) -> dt.datetime | None:
        """One dispatch (returned as wrongly sent sometimes, then sent again)."""
        rng, case = self.rng, story.case
        departments: list[int | None] = [*self._departments(grid)] or [None]
        preferred = case.get("suggested_department_id")
        wrong = rng.random() < P_RETURNED and len(departments) > 1
        department = rng.choice([d for d in departments if d != preferred]) if wrong else preferred
        dispatcher = self._one(self.world.dispatchers, grid)
        at = story.clocked(rng, "dispatch", filed, Stage.DISPATCHED, dispatcher, department)
        if at is None:
            return None
        deadline = at + limit if limit else None
        case.update(
            department_id=department,
            dispatcher_id=dispatcher,
            dispatched_at=at,
            deadline=deadline,
            dispatch_count=case.get("dispatch_count", 0) + 1,
        )
        if not wrong:
            return at
        back = at + _minutes(rng, 30, 300)
        if not story.step("return", back, Stage.FILED, None, department, department=department):
            return None
        case.update(department_id=None, deadline=None, return_count=1)
        return self._dispatch(story, back, grid, limit)

    def _dispose(
        self,
        story: _History,
        filed: dt.datetime,
        grid: str,
        limit_value: int | None,
        limit_unit: str,
    ) -> None:
        rng, case = self.rng, story.case
        limit = _limit(limit_value, limit_unit)
        at = self._dispatch(story, filed, grid, limit)
        if at is None:
            return
        department = case["department_id"]
        centre = self._one(self.world.supervision, grid)
        worker = case["supervisor_id"]
        for attempt in range(3):
            at += _minutes(rng, 10, 120)
            if not story.step("accept", at, Stage.ACCEPTED, None, department):
                return
            case["accepted_at"] = at
            if attempt == 0 and rng.random() < P_POSTPONED and case.get("deadline"):
                at = self._postpone(story, at, department)
                if at is None:
                    return
            deadline = case.get("deadline")
            span = limit or dt.timedelta(hours=8)
            late = rng.random() < P_LATE_DISPOSAL
            fraction = rng.uniform(1.05, 2.5) if late else rng.uniform(0.1, 0.95)
            start = case["dispatched_at"]
            at = max(at + _minutes(rng, 5, 30), start + span * fraction)
            verdict = {"due": deadline.isoformat(), "on_time": at <= deadline} if deadline else {}
            if not story.step("dispose", at, Stage.DISPOSED, None, department, **verdict):
                return
            case.update(disposed_at=at, result="已处置")
            at += _minutes(rng, 5, 30)
            if not story.step("request_check", at, Stage.CHECKING, centre):
                return
            passed = rng.random() >= P_CHECK_FAILS or attempt == 2
            checked = story.clocked(rng, "record_check", at, Stage.CHECKED, worker, passed=passed)
            if checked is None:
                return
            at = checked
            case.update(checked_at=at, check_passed=passed)
            at += _minutes(rng, 10, 90)
            if passed:
                break
            if not story.step(
                "rework", at, Stage.DISPATCHED, centre, department, department=department
            ):
                return
            case.update(rework_count=case.get("rework_count", 0) + 1, check_passed=None)
        on_time = case.get("deadline") is None or case["disposed_at"] <= case["deadline"]
        if not story.step("close", at, Stage.CLOSED, centre, on_time=on_time):
            return
        case.update(closed_at=at, closed_on_time=on_time)
        if case["source"] in PUBLIC and rng.random() < P_RATED:
            rating = _pick(rng, RATINGS)
            rated = at + dt.timedelta(hours=rng.uniform(2, 120))
            if story.step("rate", rated, Stage.CLOSED, None, rating=rating):
                case.update(rating=rating, rated_at=rated)

    def _postpone(
        self, story: _History, at: dt.datetime, department: int | None
    ) -> dt.datetime | None:
        """Asked for and approved a few hours later: one more working day."""
        rng, case = self.rng, story.case
        asked = at + dt.timedelta(hours=rng.uniform(1, 8))
        extra = {"amount": 1, "unit": TimeUnit.WORKING_DAYS}
        if not story.step("request_postponement", asked, case["stage"], None, department, **extra):
            return None
        decided = asked + dt.timedelta(hours=rng.uniform(0.5, 6))
        old, new = case["deadline"], case["deadline"] + dt.timedelta(days=1.4)
        dispatcher = self._one(self.world.dispatchers, case["grid_code"])
        moved = {"from": old.isoformat(), "to": new.isoformat()}
        if not story.step(
            "approve_postponement", decided, case["stage"], dispatcher, department, **moved
        ):
            return None
        story.postponements.append((case["id"], asked, decided, dispatcher))
        case.update(deadline=new, postponement_count=1)
        return decided

    def reported_at(self, days: int) -> dt.datetime:
        """A moment in the ``days`` before the end, in the working part of a day."""
        day = timezone.localdate(self.end) - dt.timedelta(days=self.rng.randrange(days))
        hours = self.rng.triangular(6.5, 21.5, 10)
        moment = timezone.make_aware(
            dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=hours)
        )
        return min(moment, self.end - dt.timedelta(minutes=1))


# --- writing ------------------------------------------------------------------------------


def _sqlite_time(value: dt.datetime) -> str:
    """A time as Django stores it in SQLite: naive UTC text (what
    ``adapt_datetimefield_value`` gives, without its per-call look-ups)."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


def _converters() -> dict[str, Callable[[Any], Any]]:
    """Per column of Case that needs it, the value as the database takes it in bulk."""
    sqlite = connection.vendor != bulkwrite.POSTGRES
    found: dict[str, Callable[[Any], Any]] = {}
    for f in Case._meta.concrete_fields:
        kind = f.get_internal_type()
        if kind == "DateTimeField" and sqlite:
            found[str(f.column)] = _sqlite_time
        elif kind == "UUIDField" and sqlite:
            found[str(f.column)] = lambda v: v.hex if v is not None else None
        elif kind == "JSONField":
            found[str(f.column)] = json.dumps
    return found


def _template() -> dict[str, Any]:
    """Every Case column with its default (the histories override what they set)."""
    template = {}
    for f in Case._meta.concrete_fields:
        template[str(f.column)] = None if f.null else f.get_default()
    return template


class _Batches:
    """Case, event and postponement rows, converted and inserted a batch at a time."""

    def __init__(self) -> None:
        self.template = _template()
        self.columns = list(self.template)
        self.convert = _converters()
        self.sqlite = connection.vendor != bulkwrite.POSTGRES
        self.cases: list[list[Any]] = []
        self.events: list[tuple[Any, ...]] = []
        self.postponements: list[tuple[Any, ...]] = []

    def _moment(self, value: dt.datetime | None) -> Any:
        return _sqlite_time(value) if self.sqlite and value is not None else value

    def add(self, story: _History) -> None:
        row = {**self.template, **story.case}
        for column, convert in self.convert.items():
            if row[column] is not None:
                row[column] = convert(row[column])
        self.cases.append([row[c] for c in self.columns])
        for case_id, action, before, after, actor, department, data, at in story.events:
            self.events.append(
                (
                    case_id,
                    action,
                    before,
                    after,
                    actor,
                    "",
                    department,
                    "",
                    json.dumps(data),
                    self._moment(at),
                )
            )
        for case_id, asked, decided, decider in story.postponements:
            self.postponements.append(
                (
                    case_id,
                    None,
                    self._moment(asked),
                    "需要协调相关单位",
                    1,
                    TimeUnit.WORKING_DAYS,
                    PostponementStatus.APPROVED,
                    decider,
                    self._moment(decided),
                    "",
                )
            )

    def flush(self) -> None:
        bulkwrite.insert_rows(Case._meta.db_table, self.columns, self.cases)
        bulkwrite.insert_rows(CaseEvent._meta.db_table, EVENT_COLUMNS, self.events)
        bulkwrite.insert_rows(Postponement._meta.db_table, POSTPONEMENT_COLUMNS, self.postponements)
        self.cases, self.events, self.postponements = [], [], []


EVENT_COLUMNS = (
    "case_id",
    "action",
    "from_stage",
    "to_stage",
    "actor_id",
    "actor_label",
    "department_id",
    "note",
    "data",
    "at",
)
POSTPONEMENT_COLUMNS = (
    "case_id",
    "requested_by_id",
    "requested_at",
    "reason",
    "amount",
    "unit",
    "status",
    "decided_by_id",
    "decided_at",
    "decision_note",
)


def _save_numbers(numbers: dict[dt.date, int]) -> None:
    for day, last in numbers.items():
        CaseNumberCounter.objects.update_or_create(day=day, defaults={"last": last})


def _reset_sequences() -> None:
    """PostgreSQL: the id sequence past the ids written explicitly."""
    if connection.vendor != bulkwrite.POSTGRES:
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Case]):
            cursor.execute(sql)


@transaction.atomic
def generate_history(
    world: HistoryWorld,
    *,
    cases: int,
    seed: int = 0,
    days: int = 365,
    end: dt.datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Write ``cases`` case histories reported over the ``days`` before ``end`` (default:
    now). Deterministic for a seed and a world. Returns the number of cases written. The
    roll-ups are not touched: run ``rebuild_evaluation`` afterwards."""
    if cases < 0 or days < 1:
        raise InvalidInput("cases: 0 or more; days: 1 or more", fields={"cases": "out of range"})
    if not world.classes:
        raise InvalidInput("no active minor case classes", fields={"classes": "none"})
    rng = random.Random(seed)
    writer = _Writer(world, rng, end or timezone.now())
    batches = _Batches()
    moments = sorted(writer.reported_at(days) for _ in range(cases))
    for done, moment in enumerate(moments, start=1):
        batches.add(writer.history(moment))
        if done % BATCH == 0 or done == cases:
            batches.flush()
            if progress:
                progress("Historical cases", done, cases)
    _save_numbers(writer.numbers)
    _reset_sequences()
    return cases


def seed_demo_history(city_code: str, *, cases: int, seed: int = 0) -> int:
    """Historical cases of the demo city over the past year, counted into the evaluation
    roll-ups; returns how many were written. For ``gridgov demo``: run it once, after the
    city, its departments and its users exist (and only if the city has no cases yet —
    histories are added, never replaced)."""
    from gridgov.cases.evaluation import rebuild_evaluation

    written = generate_history(world_of(city_code), cases=cases, seed=seed)
    rebuild_evaluation()
    return written
