"""Benchmark: cases filed per second through the HTTP API on the full demo city.

    .venv/bin/python bench/filing.py [--cases 1000] [--sample 100] [--home DIR]
    .venv/bin/python bench/filing.py --mode report   # reports only (a hotline or an app)
    .venv/bin/python bench/filing.py --database-url postgres://USER@HOST:PORT/DB

One filed case is what a hotline system does for a call: ``POST /api/v1/cases/`` (a report
with a point — the grid located, the grid's supervisor and the suggested department found
through the responsibility list, the reporter's phone sealed), then ``POST …/file`` (the
class's time limit, the dispatch clock through the working calendar) and ``POST
…/dispatch`` (the disposal deadline in working days), each a real request through Django's
full stack (middleware, bearer-token auth, the API's validation and its JSON answer, the
audit chain, inbox messages, evaluation roll-ups), in process with Django's test client.

- **Ours**: ``--cases`` filings, random classes at random points inside random grids.
- **Baseline**, measured in the same run on ``--sample`` filings: the same requests with
  the two look-ups done the naive way — the grid found by testing every grid polygon in
  code order (``LocateIndex.brute_force_locate``), the department by loading the whole
  responsibility list and scanning it in Python for the longest matching prefix.
- **Floor**: a bare ``Case.objects.create`` per case with everything precomputed (no
  checks, no events, no audit, no HTTP): what the database alone costs.

``--mode``: ``filing`` (the three requests), ``report`` (the report alone: what a hotline
system or a citizens' app sends most), or ``both`` (the default). Before timing, the
queries of each kind of request are counted over a few filings (``queries per request``).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REQUESTS = ("report", "file", "dispatch")
MODES = ("both", "filing", "report")
COUNTED = 20  # filings whose queries are counted (not timed)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="filings through our path")
    parser.add_argument("--sample", type=int, default=100, help="filings for the baseline")
    parser.add_argument("--home", default="/tmp/gridgov-bench-filing", help="GRIDGOV_HOME")
    parser.add_argument("--database-url", default="", help="e.g. postgres://user@host:port/db")
    parser.add_argument("--seed", type=int, default=2020, help="seed of the city and the cases")
    parser.add_argument("--mode", choices=MODES, default="both", help="what to time (see above)")
    return parser.parse_args()


def setup(args: argparse.Namespace) -> None:
    os.environ["GRIDGOV_HOME"] = args.home
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


def ensure_city(seed: int) -> None:
    """bench/locate.py's builder step: the full demo city, built once per home."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from locate import ensure_full_city  # type: ignore[import-not-found]

    ensure_full_city(seed)


def prepare_world() -> tuple[str, list[int], int]:
    """The demo responsibility list, a hotline user of the city's supervision and command
    centres with an API token; returns (token, minor class ids, a city department)."""
    from gridgov.accounts.models import ApiToken, Department, RoleAssignment, User
    from gridgov.accounts.tokens import new_token
    from gridgov.cases.catalogue_demo import seed_demo_responsibilities
    from gridgov.cases.queries.catalogue import active_minor_classes
    from gridgov.core.system import SYSTEM
    from gridgov.territory.models import Region

    seed_demo_responsibilities("4113", actor=SYSTEM)
    user, _ = User.objects.get_or_create(username="bench-hotline", defaults={"is_active": True})
    city = Region.objects.get(code="4113")
    for role in ("supervision", "command"):
        RoleAssignment.objects.get_or_create(
            user=user, role=role, scope_code="4113", withdrawn_at=None, defaults={"region": city}
        )
    raw, prefix, digest = new_token()
    ApiToken.objects.create(user=user, name="bench", prefix=prefix, token_hash=digest)
    classes = [
        c.pk
        for c in active_minor_classes()
        if not any(a.get("required") for a in c.attributes or [])
    ]
    fallback = Department.objects.filter(region_code="4113", is_active=True).order_by("pk")[0]
    return raw, classes, fallback.pk


def random_points(count: int, seed: int) -> list[tuple[float, float, str]]:
    """Points inside random unit grids (rejection sampling in each grid's box)."""
    import shapely
    from shapely.geometry import Point

    from gridgov.territory.geometry import shape_from_geojson
    from gridgov.territory.models import Region

    rng = random.Random(seed)
    grids = list(Region.objects.grids().exclude(geometry=None).values_list("code", "geometry"))
    points: list[tuple[float, float, str]] = []
    while len(points) < count:
        code, boundary = rng.choice(grids)
        shape = shape_from_geojson(boundary)
        shapely.prepare(shape)
        west, south, east, north = shape.bounds
        for _ in range(50):
            lon, lat = rng.uniform(west, east), rng.uniform(south, north)
            if shape.contains(Point(lon, lat)):
                points.append((lon, lat, code))
                break
    return points


def filing_bodies(count: int, seed: int, classes: list[int]) -> list[dict[str, Any]]:
    rng = random.Random(seed + 1)
    return [
        {
            "source": "hotline",
            "description": f"市民来电反映问题（压测 {i}）",
            "lon": lon,
            "lat": lat,
            "case_class": rng.choice(classes),
            "reporter_phone": f"139{rng.randrange(10**8):08d}",
        }
        for i, (lon, lat, _grid) in enumerate(random_points(count, seed))
    ]


def file_all(
    client: Any,
    bodies: list[dict[str, Any]],
    fallback: int,
    steps: tuple[str, ...] = REQUESTS,
    measure: Any = None,
) -> tuple[float, dict[str, float]]:
    """Report each body, then file and dispatch it (to ``fallback`` when no department is
    responsible: the unassigned queue's hand choice) unless ``steps`` stop at the report;
    (seconds, seconds per request). ``measure(step)`` wraps each request when given."""
    import json

    spent = dict.fromkeys(steps, 0.0)
    started = time.perf_counter()

    def request(step: str, path: str, body: dict[str, Any], status: int) -> dict[str, Any]:
        tick = time.perf_counter()
        with measure(step) if measure else _nothing():
            answer = client.post(path, json.dumps(body), content_type="application/json")
        spent[step] += time.perf_counter() - tick
        return _ok(answer, status)

    for body in bodies:
        case = request("report", "/api/v1/cases/", body, 201)
        for step in steps[1:]:
            move = {"version": case["version"]}
            if step == "dispatch" and case["suggested_department"] is None:
                move["department"] = fallback
            case = request(step, f"/api/v1/cases/{case['id']}/{step}", move, 200)
    return time.perf_counter() - started, spent


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def queries_per_request(client: Any, bodies: list[dict[str, Any]], fallback: int) -> str:
    """The mean number of queries of each kind of request, over ``bodies`` filed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counted = dict.fromkeys(REQUESTS, 0)

    @contextmanager
    def count(step: str) -> Iterator[None]:
        with CaptureQueriesContext(connection) as captured:
            yield
        counted[step] += len(captured)

    file_all(client, bodies, fallback, measure=count)
    return " · ".join(f"{step} {counted[step] / len(bodies):.1f}" for step in REQUESTS)


def _ok(answer: Any, status: int) -> dict[str, Any]:
    if answer.status_code != status:
        raise SystemExit(f"unexpected answer {answer.status_code}: {answer.content[:400]!r}")
    return answer.json()


@contextmanager
def naive_lookups() -> Iterator[None]:
    """The baseline's look-ups in place of the index and the indexed query."""
    from gridgov.cases.models import CaseClass, Responsibility
    from gridgov.cases.queries import catalogue
    from gridgov.territory import locating

    index = locating.current_index()
    fast_locate, fast_match = locating.locate_code, catalogue.responsible_department

    def brute_force(lon: float, lat: float) -> str | None:
        return index.brute_force_locate(lon, lat)

    def scan(case_class: Any, grid_code: str) -> Any:
        class_id = getattr(case_class, "pk", case_class)
        best = None
        for row in Responsibility.objects.filter(is_active=True).select_related("department"):
            if row.case_class_id != class_id or not grid_code.startswith(row.region_code):
                continue
            if row.department.is_active and (
                best is None or len(row.region_code) > len(best.region_code)
            ):
                best = row
        if best is not None:
            return best.department
        default = (
            CaseClass.objects.select_related("default_department")
            .get(pk=class_id)
            .default_department
        )
        if default is not None and default.is_active and grid_code.startswith(default.region_code):
            return default
        return None

    locating.locate_code, catalogue.responsible_department = brute_force, scan  # type: ignore[assignment]
    try:
        yield
    finally:
        locating.locate_code, catalogue.responsible_department = fast_locate, fast_match  # type: ignore[assignment]


def bare_inserts(bodies: list[dict[str, Any]], grids: list[str]) -> float:
    """The floor: one Case row per body, everything precomputed, autocommit."""
    import uuid

    from django.utils import timezone

    from gridgov.cases.models import Case

    now = timezone.now()
    stamp = uuid.uuid4().hex[:6]
    started = time.perf_counter()
    for i, (body, grid) in enumerate(zip(bodies, grids, strict=True)):
        Case.objects.create(
            number=f"F{stamp}{i:07d}",
            source="hotline",
            stage="dispatched",
            description=body["description"],
            grid_code=grid,
            lon=body["lon"],
            lat=body["lat"],
            case_class_id=body["case_class"],
            reported_at=now,
        )
    return time.perf_counter() - started


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.1f}" if seconds else "∞"


def timed(
    label: str, client: Any, bodies: list[dict[str, Any]], fallback: int, steps: tuple[str, ...]
) -> float:
    """File (or only report) the bodies and print the rate and the time per request;
    returns the rate."""
    seconds, spent = file_all(client, bodies, fallback, steps)
    what = "filings" if len(steps) > 1 else "reports"
    per_second = rate(len(bodies), seconds)
    print(f"{label + ': ' + what:<20} {len(bodies):,} in {seconds:.2f} s = {per_second}/s")
    for step in steps:
        print(f"  {step:<9} per case  {spent[step] / len(bodies) * 1000:.1f} ms")
    return len(bodies) / seconds


def main() -> int:
    args = parse_args()
    setup(args)
    ensure_city(args.seed)
    from django.db import connection
    from django.test import Client

    from gridgov.cases.models import Responsibility
    from gridgov.territory import locating
    from gridgov.territory.models import Region

    token, classes, fallback = prepare_world()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    grids = Region.objects.grids().count()
    rows = Responsibility.objects.filter(is_active=True).count()
    print(f"database             {connection.vendor}")
    print(f"grids                {grids:,}")
    print(f"responsibility rows  {rows:,} over {len(classes)} classes")
    bodies = filing_bodies(args.cases + args.sample + COUNTED, args.seed, classes)
    ours, baseline = bodies[: args.cases], bodies[args.cases : args.cases + args.sample]

    locating.current_index()  # built once per process, as in a running server
    file_all(client, ours[:5], fallback)  # warm: the calendar, the token, the first pages of caches
    counted = queries_per_request(client, bodies[-COUNTED:], fallback)
    print(f"queries per request  {counted} (mean of {COUNTED} filings)")
    modes = [("filing", REQUESTS), ("report", REQUESTS[:1])]
    chosen = [(mode, steps) for mode, steps in modes if args.mode in ("both", mode)]
    ratios = []
    for mode, steps in chosen:
        ours_rate = timed("ours", client, ours, fallback, steps)
        with naive_lookups():
            base_rate = timed("baseline", client, baseline, fallback, steps)
        ratios.append((mode, ours_rate, base_rate))

    located = [locating.locate_code(b["lon"], b["lat"]) or "" for b in ours]
    floor_seconds = bare_inserts(ours, located)
    floor_rate = len(ours) / floor_seconds
    per_second = rate(len(ours), floor_seconds)
    print(f"floor: bare inserts  {len(ours):,} in {floor_seconds:.2f} s = {per_second} rows/s")
    for mode, ours_rate, base_rate in ratios:
        print(f"ratio ours/baseline  {ours_rate / base_rate:.1f}× ({mode})")
        print(f"ratio ours/floor     {ours_rate / floor_rate:.3f} ({mode}: ours per bare insert)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
