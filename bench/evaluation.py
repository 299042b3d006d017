"""Benchmark: the evaluation page's data over 500,000 historical cases of the demo city.

    .venv/bin/python bench/evaluation.py [--cases 500000] [--home /tmp/gridgov-bench-evaluation]
                                         [--database-url postgres://…] [--repeat 5]

Uses its own GRIDGOV_HOME (default /tmp/gridgov-bench-evaluation) and builds the full demo
city N市 there the first time (like bench/locate.py), with the demo's departments and, for
the benchmark, three more departments per county, one grid worker per unit grid (the
grid's supervisor), two dispatchers and a supervision centre per county and at the city.
Then, once per home, size and seed:

- ``cases.history.generate_history`` writes ``--cases`` case histories reported over the
  past year (bulk inserts: cases, events, postponements);
- ``cases.evaluation.rebuild_evaluation`` builds the roll-ups from them (timed).

Each run then times, for the whole city and for one county, over this month, last month,
this year and the last twelve months:

- ours: ``cases.queries.evaluation.evaluate`` — everything the evaluation page and the API
  show (headline rates, departments, child regions, dispatchers, the supervisors' ranking
  with one page of names, the trend), read from the roll-ups;
- baseline: the same numbers computed from the raw cases and events with grouped SQL
  (what the page would run without roll-ups), in the same run;

and checks that the two agree on every count. Target: ours under 200 ms per page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_MS = 200.0
COUNTY = "411302"  # 宛城区
MARKER = "evaluation-history.txt"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=500_000)
    parser.add_argument("--home", default="/tmp/gridgov-bench-evaluation", help="GRIDGOV_HOME")
    parser.add_argument("--database-url", default="", help="e.g. postgres://user@host:port/db")
    parser.add_argument("--seed", type=int, default=2020, help="seed of the city and the cases")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each page (median)")
    parser.add_argument("--regenerate", action="store_true", help="write the history again")
    return parser.parse_args()


def setup(args: argparse.Namespace) -> None:
    os.environ["GRIDGOV_HOME"] = args.home
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


def ensure_city(seed: int) -> None:
    """The full demo city, built once per home (as bench/locate.py does)."""
    from django.core.management import call_command

    from gridgov.audit import context
    from gridgov.demo import builder

    call_command("migrate", verbosity=0)
    previous = builder.latest_build()
    if previous and previous.get("full") and int(previous["seed"]) == seed:
        return
    print("Building the full demo city N市 (once) …", flush=True)
    started = time.perf_counter()
    with context.bound(context.RequestContext(request_id=context.new_request_id(), channel="cli")):
        rebuild = previous is not None and int(previous["seed"]) != seed
        summary = builder.build(seed=seed, full=True, rebuild=rebuild)
    print(f"  built in {time.perf_counter() - started:.1f} s: {summary.counts}", flush=True)


# --- the people of the benchmark ----------------------------------------------------------

TITLES = {"command": "派遣员", "supervision": "值班长"}
EXTRA_DEPARTMENTS = (("urban", "城市管理局"), ("housing", "住房和城乡建设局"), ("water", "水利局"))


def ensure_people() -> None:
    """Departments, grid workers, dispatchers and supervision centres (once per home)."""
    from django.db import transaction

    from gridgov.accounts.models import Department, GridAssignment, RoleAssignment, User
    from gridgov.accounts.roles import Role
    from gridgov.demo import users
    from gridgov.territory.models import Region

    if User.objects.filter(username__startswith="bench-gw-").exists():
        return
    print("Creating departments, grid workers and dispatchers (once) …", flush=True)
    with transaction.atomic():
        users.create_departments()
        counties = list(Region.objects.filter(level=3, code__startswith="4113"))
        for county in counties:
            for slug, name in EXTRA_DEPARTMENTS:
                if not Department.objects.filter(code=f"bench-{county.code}-{slug}").exists():
                    Department.objects.create(
                        code=f"bench-{county.code}-{slug}", name=county.name + name, region=county
                    )
        grids = list(Region.objects.grids().filter(code__startswith="4113").only("pk", "code"))
        workers = User.objects.bulk_create(
            [
                User(
                    username=f"bench-gw-{g.code}", display_name=f"网格员{g.code[-6:]}", password="!"
                )
                for g in grids
            ],
            batch_size=5000,
        )
        GridAssignment.objects.bulk_create(
            [
                GridAssignment(user=u, grid=g, grid_code=g.code)
                for u, g in zip(workers, grids, strict=True)
            ],
            batch_size=5000,
        )
        city = Region.objects.get(code="4113")
        for place in [city, *counties]:
            for role, count in ((Role.COMMAND, 2), (Role.SUPERVISION, 1)):
                for i in range(count):
                    user = User.objects.create(
                        username=f"bench-{role}-{place.code}-{i}",
                        display_name=f"{place.name}{TITLES[role]}{i + 1}",
                        password="!",
                    )
                    RoleAssignment.objects.create(
                        user=user, role=role, region=place, scope_code=place.code
                    )


def ensure_history(cases: int, seed: int, regenerate: bool) -> None:
    from django.db import connection, transaction

    from gridgov.cases import history
    from gridgov.cases.evaluation import rebuild_evaluation
    from gridgov.cases.models import Case

    marker = Path(os.environ["GRIDGOV_HOME"]) / (
        MARKER if not os.environ.get("DATABASE_URL") else f"pg-{MARKER}"
    )
    wanted = f"{cases} {seed}"
    if not regenerate and marker.exists() and marker.read_text() == wanted:
        print(f"cases: {Case.objects.count():,} (kept from an earlier run)")
        return
    print(f"Writing {cases:,} historical cases (once) …", flush=True)
    tables = [
        "cases_casetally",
        "cases_postponement",
        "cases_caseevent",
        "cases_case",
        "cases_evaluationcount",
        "cases_personcount",
        "cases_casenumbercounter",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
    started = time.perf_counter()
    history.generate_history(history.world_of("4113"), cases=cases, seed=seed, progress=_progress())
    print(f"  written in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    summary = rebuild_evaluation(progress=_progress())
    print(
        f"rebuild_evaluation: {summary.cases:,} cases → {summary.region_rows:,} region rows, "
        f"{summary.person_rows:,} person rows in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    marker.write_text(wanted)


def _progress() -> Callable[[str, int, int], None]:
    last = [0.0]

    def report(step: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 5 or done == total:
            print(f"  {step}: {done:,}/{total:,}", flush=True)
            last[0] = now

    return report


# --- the baseline: the same numbers from the raw cases and events -------------------------


def raw_evaluation(code: str, period: Any) -> dict[str, Any]:
    """The counts the evaluation page shows, computed from cases and events with grouped
    SQL; same shape as ``counts_of(evaluate(...))``."""
    from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
    from django.db.models.fields.json import KT
    from django.db.models.functions import Coalesce, Substr, TruncDate
    from django.utils import timezone

    from gridgov.cases.models import Case, CaseEvent, Source, Stage
    from gridgov.cases.models.workflow import PUBLIC_SOURCES
    from gridgov.territory import codes

    tz = timezone.get_current_timezone()
    since = timezone.make_aware(dt.datetime.combine(period.start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min))
    child_length = codes.CODE_LENGTH[codes.LEVEL_BY_LENGTH[len(code)] + 1]
    cases = Case.objects.filter(grid_code__startswith=code)

    def one(condition: Q) -> Sum:
        return Sum(Value(1), filter=condition, output_field=IntegerField())

    valid = Q(filed_at__isnull=False)
    invalid = Q(filed_at__isnull=True, stage=Stage.CANCELLED)
    established = valid | Q(filed_at__isnull=True, verified=True) & ~Q(stage=Stage.CANCELLED)
    missed = Q(source__in=list(PUBLIC_SOURCES), supervisor__isnull=False) & established
    report_measures = {
        "reported": Count("id"),
        "valid": one(valid),
        "invalid": one(invalid),
        "missed": one(missed),
    }
    last_dispose = CaseEvent.objects.filter(case_id=OuterRef("pk"), action="dispose").order_by(
        "-at", "-id"
    )
    again = (
        CaseEvent.objects.filter(case_id=OuterRef("pk"), action="dispatch")
        .values("department_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
    )
    closed = Q(stage=Stage.CLOSED)
    on_time = closed & ~Q(closed_on_time=False)
    postponed = Q(postponement_count__gt=0)
    outcome_measures = {
        "filed": Count("id"),
        "closed": one(closed),
        "closed_on_time": one(on_time),
        "postponed": one(postponed),
        "postponed_closed": one(postponed & closed),
        "postponed_closed_on_time": one(postponed & on_time),
        "dispatched": one(Q(dispatched_at__isnull=False, department__isnull=False)),
        "disposed_on_time": one(Q(disposed_at__isnull=False) & ~Q(last_on_time="false")),
        "reworked": one(Q(rework_count__gt=0) | Q(again=True)),
    }
    filed = cases.filter(filed_at__gte=since, filed_at__lt=until).annotate(
        last_on_time=Subquery(last_dispose.annotate(v=KT("data__on_time")).values("v")[:1]),
        again=Exists(again),
    )
    reported = cases.filter(reported_at__gte=since, reported_at__lt=until)
    rated = cases.filter(rated_at__gte=since, rated_at__lt=until).exclude(rating="")
    rating_measures = {
        f"rated_{r}": one(Q(rating=r)) for r in ("satisfied", "basic", "unsatisfied")
    }
    events = CaseEvent.objects.filter(case__grid_code__startswith=code, at__gte=since, at__lt=until)
    late = Q(on_time="false")
    step_measures: dict[str, Any] = {}
    for action, total, timely in (
        ("record_verification", "verifications", "verified_on_time"),
        ("dispatch", "dispatches", "dispatched_on_time"),
        ("record_check", "checks", "checked_on_time"),
    ):
        step_measures[total] = one(Q(action=action))
        step_measures[timely] = one(Q(action=action) & ~late)
    # A dispatch was returned when a return follows it before any other dispatch.
    later_dispatch = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"), action="dispatch", at__gt=OuterRef("at")
    )
    returned = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"), action="return", at__gte=OuterRef("at")
    ).exclude(Exists(later_dispatch.filter(at__lte=OuterRef(OuterRef("at")))))
    steps = events.filter(action__in=["record_verification", "dispatch", "record_check"]).annotate(
        on_time=KT("data__on_time")
    )
    dispatches = events.filter(action="dispatch").annotate(returned=Exists(returned))

    def grouped(qs: Any, key: Any, measures: dict[str, Any]) -> dict[Any, dict[str, int]]:
        # Aggregates named apart from the model's fields (closed_on_time is both).
        named = {f"m_{name}": aggregate for name, aggregate in measures.items()}
        if key is None:
            row = qs.aggregate(**named)
            return {None: {k[2:]: v or 0 for k, v in row.items()}}
        rows = qs.annotate(k=key).values("k").annotate(**named).order_by()
        return {r.pop("k"): {k[2:]: v or 0 for k, v in r.items()} for r in rows}

    def merged(key: Any, department: Any = None) -> dict[Any, dict[str, int]]:
        out: dict[Any, dict[str, int]] = {}
        # Reports and steps belong to no department.
        parts = [
            (filed, department or key, outcome_measures),
            (rated, department or key, rating_measures),
        ]
        if department is None:
            parts += [
                (reported, key, report_measures),
                (steps, _event_key(key), step_measures),
                (dispatches, _event_key(key), {"dispatch_returned": one(Q(returned=True))}),
            ]
        for qs, k, measures in parts:
            for group, values in grouped(qs, k, measures).items():
                target = out.setdefault(group, {})
                for name, n in values.items():
                    target[name] = target.get(name, 0) + n
        return out

    def _event_key(key: Any) -> Any:
        if key is None:
            return None
        return Substr("case__grid_code", 1, child_length)

    headline = merged(None)[None]
    by_child = merged(Substr("grid_code", 1, child_length))
    by_department = {
        k: v
        for k, v in merged(
            Coalesce("department_id", Value(0)), Coalesce("department_id", Value(0))
        ).items()
        if k
    }
    supervisors: dict[int, dict[str, int]] = {}
    patrol = reported.filter(source=Source.PATROL, reporter__isnull=False)
    for person, values in grouped(
        patrol,
        F("reporter_id"),
        {"reported": Count("id"), "valid": one(valid), "invalid": one(invalid)},
    ).items():
        supervisors.setdefault(person, {}).update(values)
    for person, values in grouped(
        reported.filter(missed), F("supervisor_id"), {"missed": Count("id")}
    ).items():
        supervisors.setdefault(person, {}).update(values)
    for action, total, timely in (
        ("record_verification", "verifications", "verified_on_time"),
        ("record_check", "checks", "checked_on_time"),
    ):
        qs = steps.filter(action=action, actor__isnull=False)
        for person, values in grouped(
            qs, F("actor_id"), {total: Count("id"), timely: one(~late)}
        ).items():
            supervisors.setdefault(person, {}).update(values)
    dispatchers = grouped(
        dispatches.filter(actor__isnull=False).annotate(on_time=KT("data__on_time")),
        F("actor_id"),
        {
            "dispatches": Count("id"),
            "dispatched_on_time": one(~late),
            "dispatch_returned": one(Q(returned=True)),
        },
    )
    trend = grouped(
        cases.filter(filed_at__gte=since, filed_at__lt=until),
        TruncDate("filed_at", tzinfo=tz),
        {"filed": Count("id"), "closed": one(closed)},
    )
    return {
        "headline": headline,
        "by_child": by_child,
        "by_department": by_department,
        "supervisors": supervisors,
        "dispatchers": dispatchers,
        "trend_filed": sum(v["filed"] for v in trend.values()),
    }


def counts_of(result: Any, supervisor_counts: dict[int, dict[str, int]]) -> dict[str, Any]:
    """What ``evaluate`` found, in the baseline's shape."""
    return {
        "headline": result.counts,
        "by_child": {r.key: r.counts for r in result.regions if any(r.counts.values())},
        "by_department": {int(r.key): r.counts for r in result.departments},
        "supervisors": supervisor_counts,
        "dispatchers": {int(r.key): r.counts for r in result.dispatchers},
        "trend_filed": sum(p.counts["filed"] for p in result.trend),
    }


def disagreements(ours: dict[str, Any], raw: dict[str, Any]) -> list[str]:
    """Every count where the two differ (zero and absent are the same)."""
    found = []

    def compare(path: str, a: dict[str, int], b: dict[str, int]) -> None:
        for name in sorted(set(a) | set(b)):
            if (a.get(name) or 0) != (b.get(name) or 0):
                found.append(f"{path}.{name}: ours {a.get(name)} raw {b.get(name)}")

    compare("headline", ours["headline"], raw["headline"])
    for section in ("by_child", "by_department", "supervisors", "dispatchers"):
        for key in set(ours[section]) | set(raw[section]):
            compare(f"{section}[{key}]", ours[section].get(key, {}), raw[section].get(key, {}))
    if ours["trend_filed"] != raw["trend_filed"]:
        found.append(f"trend filed: ours {ours['trend_filed']} raw {raw['trend_filed']}")
    return found


# --- timing -------------------------------------------------------------------------------


def timed(call: Callable[[], Any], repeat: int, warm_up: bool = True) -> tuple[float, Any]:
    """Median milliseconds of ``repeat`` calls (after one warm-up call), and a result."""
    result = call() if warm_up else None
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> int:
    args = parse_args()
    setup(args)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from gridgov.cases.queries import evaluation as queries
    from gridgov.core.system import SYSTEM

    ensure_city(args.seed)
    ensure_people()
    ensure_history(args.cases, args.seed, args.regenerate)
    print(f"database: {connection.vendor}")
    today = timezone.localdate()
    periods = [
        queries.period_of("this_month", today=today),
        queries.period_of("last_month", today=today),
        queries.period_of("this_year", today=today),
        queries.period_of("custom", today - dt.timedelta(days=364), today, today=today),
    ]
    labels = ["this month", "last month", "this year", "last 12 months"]
    failures = 0
    worst = 0.0
    print(
        f"{'node':<8} {'period':<15} {'ours ms':>9} {'queries':>8} {'baseline ms':>12} "
        f"{'ratio':>7}  agree"
    )
    for code in ("4113", COUNTY):
        for label, period in zip(labels, periods, strict=True):

            def page(code: str = code, period: Any = period) -> Any:
                return queries.evaluate(SYSTEM, code, period)

            ours_ms, result = timed(page, args.repeat)
            with CaptureQueriesContext(connection) as captured:
                page()
            # The baseline takes seconds: timed once, after ours warmed the caches.
            raw_ms, raw = timed(
                lambda code=code, period=period: raw_evaluation(code, period), 1, warm_up=False
            )
            supervisor_counts = queries._by_person(
                "s", code, period, today, queries.SUPERVISOR_MEASURES
            )
            differences = disagreements(counts_of(result, supervisor_counts), raw)
            failures += bool(differences)
            worst = max(worst, ours_ms)
            print(
                f"{code:<8} {label:<15} {ours_ms:>9.1f} {len(captured):>8} {raw_ms:>12.1f} "
                f"{raw_ms / ours_ms:>6.0f}×  {'yes' if not differences else 'NO'}",
                flush=True,
            )
            for line in differences[:10]:
                print("    ", line)
    print(
        f"target: every page under {TARGET_MS:.0f} ms — "
        f"{'met' if worst < TARGET_MS else 'NOT met'} (slowest {worst:.1f} ms)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
