"""Benchmark: a million daily health declarations through the HTTP API, sent in batches by
grid workers' clients, against one declaration per request — on the real server.

    .venv/bin/python bench/declarations.py [--declarations 1000000] [--sample 5000]
    .venv/bin/python bench/declarations.py --quick            # a smoke run, well under a minute
    .venv/bin/python bench/declarations.py --database-url postgres://USER@HOST:PORT/DB

Uses its own GRIDGOV_HOME (default /tmp/gridgov-bench-declarations): the demo city N市 is
built there the first time (the default detailed townships, 516 unit grids) with
``--residents`` synthetic residents imported through the real import, a few risk areas and
one grid worker per grid (the demo's where it has one). Every run then empties the
declaration tables (declarations, people's days, health codes and their history, the
epidemic roll-ups, the alerts) and starts from a checkpointed database — never point it at
a database you care about.

The load is daily declarations of the residents over the last days (as many days as
``--declarations`` needs, at most seven: a declaration may be a week old), each as a grid
worker's app sends it: the person, a UUID client key, the time measured that day, the
temperature, sometimes symptoms, a trip (some from risk areas) or a contact — about one
person-day in 180 abnormal, so codes turn yellow and red, alerts are sent and the
7/14-day rules count every open code's normal days. The bodies are encoded once, before
anything is timed, and sent by a client in a separate process (``--connections``
keep-alive connections, threads) to ``gridgov serve`` — gunicorn with the operator
guide's workers — started by the script on a random loopback port.

- **Batched** (ours): ``POST /api/v1/epidemic/declarations/batch``, a grid's day in requests
  of at most ``--batch`` (250) declarations with that grid's worker's token; every
  ``--retry-every``-th batch is sent a second time, as a client does after a lost answer
  (its declarations must be answered as duplicates and counted once).
- **Naive** (baseline, in the same run, before ours): ``POST /api/v1/epidemic/declarations``,
  one request per declaration — the real single-declaration endpoint, the same work per
  row — for ``--sample`` declarations of other residents of the same load; its rate is
  per second like ours (a sample's rate, not a million's time).
- **Dashboard**: while the batched load runs, a third process reads ``--dashboard-url``
  every ``--probe-interval`` seconds as a city leader; the same URL read on the idle server
  afterwards (the same data) is its baseline. While the epidemic dashboard does not exist
  the script says so and reads the declarations' figures instead.

It prints the declarations per second, p50/p99/max latency per request, the ratio of ours
to the naive handler, the dashboard's latency under load and idle, the CPU seconds per
declaration of the server (gunicorn workers; with PostgreSQL its backends) and of the
client, what other programs on the machine used meanwhile, the load average, peak memory,
the queries of one batch and one single request, and checks that the database agrees with
what was sent (declarations, days, roll-ups against a recount, health codes, alerts, one
audit event per request). ``--profile FILE`` writes a cProfile (CPU time) of the batch path
in process. Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROFILED = 30  # batches profiled with --profile
WARM_CPU = 0.3  # CPU seconds every worker spends on its first requests before timing
TARGET_RATE = 5000  # declarations per second, batched
TARGET_P99_MS = 300  # per batch request
TARGET_DASHBOARD_MS = 200
DASHBOARD = "/api/v1/epidemic/dashboard?code=4113"
FIGURES = "/api/v1/epidemic/figures/4113"  # the declarations' figures: the fallback
BATCH_PATH = "/api/v1/epidemic/declarations/batch"
SINGLE_PATH = "/api/v1/epidemic/declarations"
CITY = "4113"
TOKEN_NAME = "bench-declarations"
MAX_DAYS = 7  # declarations may be at most a week old (epidemic.actions.common.MAX_AGE)
# Risk areas of the benchmark (declared by the city) and ordinary places people come from.
RISK_AREAS = (
    ("420106", "high", "湖北省武汉市武昌区"),
    ("420100", "medium", "湖北省武汉市"),
    ("310115", "medium", "上海市浦东新区"),
)
ORDINARY_TRIPS = ("110105", "440305", "320102", "410102", "330106", "510107")
SYMPTOMS = ("cough", "sore_throat", "fatigue", "diarrhoea")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--declarations", type=int, default=1_000_000, help="batched load")
    parser.add_argument("--sample", type=int, default=5000, help="declarations sent one by one")
    parser.add_argument("--residents", type=int, default=150_000, help="residents of the city")
    parser.add_argument("--batch", type=int, default=250, help="most declarations per batch")
    parser.add_argument("--connections", type=int, default=2, help="client connections")
    parser.add_argument("--workers", type=int, default=0, help="default: as gridgov serve")
    parser.add_argument("--retry-every", type=int, default=100, help="every n-th batch twice")
    parser.add_argument("--dashboard-url", default=DASHBOARD, help="read during the load")
    parser.add_argument("--probe-interval", type=float, default=0.5, help="seconds")
    parser.add_argument("--home", default="", help="GRIDGOV_HOME (default per mode)")
    parser.add_argument("--database-url", "--postgres", default="", help="postgres://…")
    parser.add_argument("--seed", type=int, default=2020, help="seed of the city and the load")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20,000 residents")
    parser.add_argument(
        "--profile", default="", help="only profile the batch path in process, into this file"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.declarations, args.sample, args.residents = 20_000, 200, 20_000
    args.home = args.home or "/tmp/gridgov-bench-declarations" + ("-quick" if args.quick else "")
    return args


def setup(args: argparse.Namespace) -> None:
    os.environ["GRIDGOV_HOME"] = args.home
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    Path(args.home).mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


# --- the city, its people and its grid workers (once per home) ----------------------------


def ensure_city(args: argparse.Namespace) -> None:
    """The demo city with ``--residents`` residents through the real import, built once."""
    from gridgov.audit import context
    from gridgov.core.cli import migrate
    from gridgov.demo import builder, users
    from gridgov.demo.residents import seed_residents
    from gridgov.registry.models import Person

    migrate()
    ctx = context.RequestContext(request_id=context.new_request_id(), channel="cli")
    with context.bound(ctx):
        if builder.latest_build() is None:
            print(f"Building the demo city N市 in {args.home} (once) …", flush=True)
            builder.build(seed=args.seed)
            users.create_demo_users()
        have = Person.objects.filter(grid_code__startswith=CITY).count()
        if have < args.residents * 0.95:
            print(f"Importing {args.residents:,} residents (once) …", flush=True)
            started = time.perf_counter()
            report = seed_residents(args.residents, seed=args.seed, actor=builder.ACTOR)
            print(f"  {report.created:,} in {time.perf_counter() - started:.1f} s", flush=True)
        ensure_risk_areas()


def ensure_risk_areas() -> None:
    from gridgov.core.system import SYSTEM
    from gridgov.epidemic import rules
    from gridgov.epidemic.actions.risk import add_risk_area
    from gridgov.epidemic.models import RiskArea

    start = rules.today() - dt.timedelta(days=60)
    for code, level, name in RISK_AREAS:
        if not RiskArea.objects.filter(division_code=code).exists():
            add_risk_area(
                actor=SYSTEM,
                region_code=CITY,
                division_code=code,
                name=name,
                level=level,
                valid_from=start,
            )


@dataclass
class World:
    tokens: list[str]  # one per grid worker
    grid_token: dict[str, int]  # grid → index in tokens
    leader: str
    people: dict[str, list[int]]  # grid → living residents


def prepare_world() -> World:
    """A grid worker with a fresh API token for every grid with residents (the grid's
    main worker where it has one, else a benchmark worker), and a city leader's token."""
    from gridgov.accounts.models import ApiToken, GridAssignment, RoleAssignment, User
    from gridgov.accounts.roles import Role
    from gridgov.accounts.tokens import new_token
    from gridgov.registry.models import Person, PersonStatus
    from gridgov.territory.models import Region

    people: dict[str, list[int]] = {}
    rows = Person.objects.filter(grid_code__startswith=CITY, status=PersonStatus.LIVING)
    for grid, pk in rows.order_by("grid_code", "pk").values_list("grid_code", "pk"):
        people.setdefault(grid, []).append(pk)
    grids = {g.code: g for g in Region.objects.grids().filter(code__in=list(people))}
    workers = dict(
        GridAssignment.objects.active()
        .filter(grid_code__in=list(grids), is_deputy=False)
        .values_list("grid_code", "user_id")
    )
    for code, grid in grids.items():
        if code not in workers:
            user = User.objects.create(username=f"bench-gw-{code}", is_active=True)
            user.set_unusable_password()
            user.save(update_fields=["password"])
            RoleAssignment.objects.create(
                user=user, role=Role.GRID_WORKER, region=grid, scope_code=code
            )
            GridAssignment.objects.create(user=user, grid=grid, grid_code=code)
            workers[code] = user.pk
    leader, _ = User.objects.get_or_create(username="bench-leader", defaults={"is_active": True})
    city = Region.objects.get(code=CITY)
    RoleAssignment.objects.get_or_create(
        user=leader, role=Role.LEADER, scope_code=CITY, withdrawn_at=None, defaults={"region": city}
    )
    ApiToken.objects.filter(name=TOKEN_NAME).delete()
    raw_of: dict[int, str] = {}
    tokens: list[ApiToken] = []
    for user_id in sorted({*workers.values(), leader.pk}):
        raw, prefix, digest = new_token()
        raw_of[user_id] = raw
        tokens.append(ApiToken(user_id=user_id, name=TOKEN_NAME, prefix=prefix, token_hash=digest))
    ApiToken.objects.bulk_create(tokens)
    order = sorted(set(workers.values()))
    position = {user_id: i for i, user_id in enumerate(order)}
    return World(
        tokens=[raw_of[u] for u in order],
        grid_token={grid: position[user_id] for grid, user_id in workers.items()},
        leader=raw_of[leader.pk],
        people=people,
    )


# --- a clean start ------------------------------------------------------------------------


def clear_declarations() -> None:
    """Empty what the load writes: declarations, people's days, codes, their history, the
    epidemic roll-ups and the abnormal-declaration alerts (audit events stay: append-only)."""
    from django.db import connection

    from gridgov.epidemic.models import (
        CurrentCount,
        DailyCount,
        DeclarationDay,
        HealthCode,
        HealthCodeChange,
        HealthDeclaration,
    )
    from gridgov.inbox.models import Message

    Message.objects.filter(topic__startswith="epidemic:abnormal:").delete()
    models = (HealthCodeChange, HealthCode, DeclarationDay, HealthDeclaration, DailyCount)
    tables = [connection.ops.quote_name(m._meta.db_table) for m in (*models, CurrentCount)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
            cursor.execute("VACUUM ANALYZE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("VACUUM")
    settle()


def settle() -> None:
    """Start a measurement from a checkpointed database (as bench/import_people.py)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("CHECKPOINT")


# --- the load -----------------------------------------------------------------------------


@dataclass
class Load:
    """Request bodies, encoded once: ``index`` rows are (token, offset, length, items)."""

    path: Path
    index: list[tuple[int, int, int, int]] = field(default_factory=list)
    declarations: int = 0  # distinct declarations
    batches: int = 0  # distinct batches (without the retries)
    retried: int = 0  # declarations sent a second time (in retried batches)
    days: int = 0
    person_days: set[tuple[int, str]] = field(default_factory=set)
    abnormal: int = 0  # declarations with fever, a symptom or contact
    raising: set[int] = field(default_factory=set)  # people whose code a declaration raises

    @property
    def requests(self) -> int:
        return len(self.index)


class Declarations:
    """Draws one declaration a person-day, deterministic from the seed."""

    def __init__(self, seed: int, now: dt.datetime, zone: Any) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.zone = zone

    def moment(self, day: dt.date) -> str:
        """A time of the day (07:00–21:00 local), never later than a minute ago."""
        start = dt.datetime.combine(day, dt.time(7), self.zone)
        latest = min(start + dt.timedelta(hours=14), self.now - dt.timedelta(minutes=1))
        if latest <= start:  # before 07:00 today: since midnight
            start = dt.datetime.combine(day, dt.time(0), self.zone)
            latest = max(start, self.now - dt.timedelta(minutes=1))
        seconds = self.rng.randrange(int((latest - start).total_seconds()) + 1)
        return (start + dt.timedelta(seconds=seconds)).isoformat(timespec="seconds")

    def item(self, person: int, day: dt.date) -> tuple[dict[str, Any], bool, bool]:
        """(declaration, abnormal, raises the code)."""
        rng = self.rng
        roll = rng.random()
        temperature = round(min(37.2, max(35.8, rng.gauss(36.5, 0.3))), 1)
        row: dict[str, Any] = {
            "person_id": person,
            "client_key": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "declared_at": self.moment(day),
            "temperature": temperature,
        }
        abnormal = raises = False
        if roll < 0.003:  # fever
            row["temperature"] = round(rng.uniform(37.3, 39.5), 1)
            abnormal = raises = True
        elif roll < 0.0045:  # a symptom without fever
            row["symptoms"] = [rng.choice(SYMPTOMS)]
            abnormal = raises = True
        elif roll < 0.005:  # contact with a case
            row["contact"] = True
            abnormal = raises = True
        elif roll < 0.007:  # came from a risk area
            row["travel_code"] = rng.choice(RISK_AREAS)[0]
            raises = True
        elif roll < 0.015:  # came from an ordinary place
            row["travel_code"] = rng.choice(ORDINARY_TRIPS)
        return row, abnormal, raises


def build_loads(
    world: World, args: argparse.Namespace, folder: Path
) -> tuple[Load, Load, list[dt.date]]:
    """(batched load, naive sample, days): every resident declares once a day over the
    last ``days`` days; the sample's residents (drawn at random) are left out of the
    batches, so the two loads are the same kind of declarations of different people."""
    from django.utils import timezone

    from gridgov.epidemic import rules

    living = sum(len(p) for p in world.people.values())
    rng = random.Random(args.seed)
    days_needed = -(-(args.declarations + args.sample) // living)
    if days_needed > MAX_DAYS:
        raise SystemExit(
            f"{args.declarations + args.sample:,} declarations need {days_needed} days of "
            f"{living:,} residents; at most {MAX_DAYS} are accepted — raise --residents"
        )
    today = rules.today()
    days = [today - dt.timedelta(days=n) for n in range(days_needed - 1, -1, -1)]
    sample_people = -(-args.sample // len(days))
    everyone = [p for grid in sorted(world.people) for p in world.people[grid]]
    naive_people = set(rng.sample(everyone, sample_people))
    draw = Declarations(args.seed, timezone.now(), rules.site_zone())
    batched, naive = Load(folder / "batched.bin", days=len(days)), Load(folder / "naive.bin")
    naive.days = len(days)
    with batched.path.open("wb") as out_b, naive.path.open("wb") as out_n:
        for day in days:
            for grid in sorted(world.people):
                token = world.grid_token[grid]
                rows: list[dict[str, Any]] = []
                for person in world.people[grid]:
                    if person in naive_people:
                        if naive.declarations < args.sample:
                            _add_single(naive, out_n, token, draw, person, day)
                        continue
                    if batched.declarations + len(rows) >= args.declarations:
                        continue  # the load is complete; the sample may still need people
                    row, abnormal, raises = draw.item(person, day)
                    rows.append(row)
                    batched.abnormal += abnormal
                    if raises:
                        batched.raising.add(person)
                    batched.person_days.add((person, day.isoformat()))
                for start in range(0, len(rows), args.batch):
                    _add_batch(batched, out_b, token, rows[start : start + args.batch], args)
    return batched, naive, days


def _append(load: Load, out: Any, token: int, body: bytes, items: int) -> tuple[int, int, int, int]:
    entry = (token, out.tell(), len(body), items)
    out.write(body)
    load.index.append(entry)
    return entry


def _add_batch(
    load: Load, out: Any, token: int, rows: list[dict[str, Any]], args: argparse.Namespace
) -> None:
    if not rows:
        return
    body = json.dumps({"items": rows}, separators=(",", ":")).encode()
    entry = _append(load, out, token, body, len(rows))
    load.declarations += len(rows)
    load.batches += 1
    if args.retry_every and load.batches % args.retry_every == 0:
        load.index.append(entry)  # the same body again: a client's retry
        load.retried += len(rows)


def _add_single(
    load: Load, out: Any, token: int, draw: Declarations, person: int, day: dt.date
) -> None:
    row, abnormal, raises = draw.item(person, day)
    _append(load, out, token, json.dumps(row, separators=(",", ":")).encode(), 1)
    load.declarations += 1
    load.abnormal += abnormal
    if raises:
        load.raising.add(person)
    load.person_days.add((person, day.isoformat()))


# --- the server and what it spends --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``gridgov serve`` (gunicorn, the operator guide's workers) on a random loopback port;
    its log goes to ``server.log`` in the load's folder."""

    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.port = free_port()
        self.log = folder / "server.log"
        command = [str(Path(sys.executable).with_name("gridgov")), "serve", "--no-migrate"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        if args.workers:
            command += ["--workers", str(args.workers)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, token: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped:\n{self.log.read_text()[-3000:]}")
            try:
                status, _body, _ms = get(self.port, FIGURES, token)
                if status == 200 and len(self.workers()) >= 1:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"the server did not answer in {timeout:.0f} s: see {self.log}")

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def peak_mb(self) -> float:
        """The largest peak resident memory of a worker."""
        return max([peak_mb(pid) for pid in self.workers()], default=0.0)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def peak_mb(pid: int) -> float:
    """Peak resident memory of a process (VmHWM: unlike getrusage's, not inherited from
    the process that started it), in MB; 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else 0.0


def get(port: int, path: str, token: str) -> tuple[int, bytes, float]:
    """(status, body, milliseconds) of one GET on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        answer = connection.getresponse()
        body = answer.read()
        return answer.status, body, (time.perf_counter() - started) * 1000
    finally:
        connection.close()


TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float | None:
    """CPU seconds (user + system) of a process, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy() -> float:
    """CPU seconds all cores spent on anything but idling since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICK


def database_pids() -> list[int]:
    """PostgreSQL backends of the benchmark's database other than this process's own."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


class Meter(threading.Thread):
    """Samples, twice a second, the CPU of the server's workers, of the database's backends
    (they come and go: connections are renewed every minute) and of the whole machine, so a
    window's spending can be read afterwards between any two moments."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.samples: list[tuple[float, float, dict[tuple[str, int], float]]] = []
        self.halt = threading.Event()
        self.sample()

    def sample(self) -> None:
        from django.db import connection

        seen: dict[tuple[str, int], float] = {}
        for kind, pids in (("server", self.server.workers()), ("db", database_pids())):
            for pid in pids:
                spent = cpu_of(pid)
                if spent is not None:
                    seen[(kind, pid)] = spent
        self.samples.append((time.perf_counter(), machine_busy(), seen))
        connection.close()  # a thread's own connection: not one of the counted backends

    def run(self) -> None:
        while not self.halt.wait(0.5):
            self.sample()
        self.sample()

    def stop(self) -> None:
        self.halt.set()
        self.join()

    def spent(self, start: float, end: float) -> dict[str, float]:
        """CPU seconds of the server, the database and the machine between two moments."""
        before = max((s for s in self.samples if s[0] <= start), key=lambda s: s[0])
        after = min((s for s in self.samples if s[0] >= end), key=lambda s: s[0])
        last: dict[tuple[str, int], float] = {}
        for moment, _busy, seen in self.samples:
            if before[0] <= moment <= after[0]:
                last.update(seen)
        totals = {"server": 0.0, "db": 0.0, "machine": after[1] - before[1]}
        for key, value in last.items():
            totals[key[0]] += value - before[2].get(key, 0.0)
        return totals


# --- the client and the dashboard reader (separate processes) ----------------------------


def run_client(spec_path: str) -> int:
    """Send every request of the load over ``connections`` keep-alive connections; write
    each one's start, end, status and how many declarations it created."""
    spec = json.loads(Path(spec_path).read_text())
    data = memoryview(Path(spec["bodies"]).read_bytes())
    index = spec["index"]
    headers = [
        {"Authorization": f"Bearer {t}", "Content-Type": "application/json"} for t in spec["tokens"]
    ]
    results: list[Any] = [None] * len(index)
    errors: list[str] = []
    turn = itertools.count()  # next() is atomic under the GIL: each request sent once
    created_field = re.compile(rb'"created":\s*(\d+)')

    def send() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", spec["port"], timeout=300)
        while (i := next(turn)) < len(index):
            token, offset, length, _items = index[i]
            started = time.perf_counter()
            connection.request("POST", spec["path"], data[offset : offset + length], headers[token])
            answer = connection.getresponse()
            body = answer.read()
            ended = time.perf_counter()
            if spec["single"]:
                created = 1 if answer.status == 201 else 0
            else:
                found = created_field.search(body[:200])
                created = int(found.group(1)) if found else 0
            if answer.status not in (200, 201) and len(errors) < 5:
                errors.append(f"{answer.status} {body[:300]!r}")
            results[i] = (started, ended, answer.status, created)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(spec["connections"])]
    cpu_start = _own_cpu()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu = _own_cpu() - cpu_start
    answer = {"results": results, "errors": errors, "cpu": cpu, "peak_mb": peak_mb(os.getpid())}
    Path(spec["out"]).write_text(json.dumps(answer))
    return 0


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_probe(spec_path: str) -> int:
    """Read the dashboard every ``interval`` seconds until the stop file appears."""
    spec = json.loads(Path(spec_path).read_text())
    stop = Path(spec["stop"])
    readings: list[tuple[float, float, int]] = []
    cpu_start = _own_cpu()
    while not stop.exists():
        started = time.perf_counter()
        status, _body, ms = get(spec["port"], spec["path"], spec["token"])
        readings.append((started, ms, status))
        time.sleep(max(0.0, spec["interval"] - (time.perf_counter() - started)))
    answer = {"readings": readings, "cpu": _own_cpu() - cpu_start}
    Path(spec["out"]).write_text(json.dumps(answer))
    return 0


def _spawn(role: str, spec: dict[str, Any], folder: Path) -> tuple[subprocess.Popen[bytes], Path]:
    path = folder / f"{role}-{time.monotonic_ns()}.json"
    spec["out"] = str(path.with_suffix(".out"))
    path.write_text(json.dumps(spec))
    process = subprocess.Popen([sys.executable, __file__, f"_{role}", str(path)])
    return process, Path(spec["out"])


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    declarations: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    created: int
    statuses: Counter[int]
    errors: list[str]
    cpu: dict[str, float]  # server, db, machine, client, probe
    load_average: tuple[float, float, float]
    client_peak_mb: float
    dashboard_ms: list[float] = field(default_factory=list)
    dashboard_statuses: Counter[int] = field(default_factory=Counter)
    tenths: list[tuple[float, float, float]] = field(default_factory=list)  # see tenths()

    @property
    def rate(self) -> float:
        return self.declarations / self.seconds

    def others(self) -> float:
        """Cores other programs kept busy on average during the phase."""
        ours = sum(self.cpu[k] for k in ("server", "db", "client", "probe"))
        return max(0.0, self.cpu["machine"] - ours) / self.seconds


def spread(milliseconds: list[float]) -> str:
    top = max(milliseconds, default=float("nan"))
    return (
        f"p50 {percentile(milliseconds, 0.5):.1f} ms, p99 {percentile(milliseconds, 0.99):.1f} ms, "
        f"max {top:.1f} ms"
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_phase(
    name: str,
    server: Server,
    load: Load,
    world: World,
    args: argparse.Namespace,
    folder: Path,
    *,
    single: bool,
    dashboard: str = "",
) -> Phase:
    """Send the load through the client process (and read the dashboard meanwhile)."""
    settle()
    print(f"{name}: {load.requests:,} requests …", flush=True)
    meter = Meter(server)
    meter.start()
    spec = {
        "port": server.port,
        "path": SINGLE_PATH if single else BATCH_PATH,
        "bodies": str(load.path),
        "index": load.index,
        "tokens": world.tokens,
        "connections": args.connections,
        "single": single,
    }
    probe = None
    stop = folder / f"stop-{name}"
    if dashboard:
        probe_spec = {
            "port": server.port,
            "path": dashboard,
            "token": world.leader,
            "interval": args.probe_interval,
            "stop": str(stop),
        }
        probe = _spawn("probe", probe_spec, folder)
    client, client_out = _spawn("client", spec, folder)
    if client.wait() != 0:
        raise SystemExit(f"the client failed (server log: {server.log})")
    stop.touch()
    probe_answer: dict[str, Any] = {"readings": [], "cpu": 0.0}
    if probe is not None:
        probe[0].wait()
        probe_answer = json.loads(probe[1].read_text())
    meter.stop()
    answer = json.loads(client_out.read_text())
    results = answer["results"]
    start, end = min(r[0] for r in results), max(r[1] for r in results)
    cpu = meter.spent(start, end)
    cpu["client"] = answer["cpu"]
    readings = [r for r in probe_answer["readings"] if start <= r[0] <= end]
    cpu["probe"] = probe_answer["cpu"]
    return Phase(
        name=name,
        declarations=load.declarations,
        requests=len(results),
        seconds=end - start,
        latencies_ms=[(r[1] - r[0]) * 1000 for r in results],
        created=sum(r[3] for r in results),
        statuses=Counter(r[2] for r in results),
        errors=answer["errors"],
        cpu=cpu,
        load_average=os.getloadavg(),
        client_peak_mb=answer["peak_mb"],
        dashboard_ms=[r[1] for r in readings],
        dashboard_statuses=Counter(r[2] for r in readings),
        tenths=tenths(results, start, meter),
    )


def tenths(results: list[Any], start: float, meter: Meter) -> list[tuple[float, float, float]]:
    """For each tenth of the requests, by when they ended: declarations created per second
    and the CPU seconds of the server and of the database a declaration — whether the rate
    and the cost hold as the tables grow."""
    ended = sorted((r[1], r[3]) for r in results)
    found = []
    since = start
    for part in range(10):
        chunk = ended[len(ended) * part // 10 : len(ended) * (part + 1) // 10]
        created = sum(n for _t, n in chunk)
        if chunk and created:
            cpu = meter.spent(since, chunk[-1][0])
            rate = created / max(1e-9, chunk[-1][0] - since)
            found.append((rate, cpu["server"] / created, cpu["db"] / created))
            since = chunk[-1][0]
    return found


def workers_cpu(server: Server) -> float:
    return sum(cpu_of(pid) or 0.0 for pid in server.workers())


def idle_dashboard(
    server: Server, path: str, token: str, reads: int, interval: float
) -> tuple[list[float], float]:
    """The dashboard read on the idle server (its baseline: the same data as at the end of
    the load): (milliseconds of each read, server CPU seconds a read)."""
    found: list[float] = []
    cpu = workers_cpu(server)
    for _ in range(reads):
        status, body, ms = get(server.port, path, token)
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
        found.append(ms)
        time.sleep(interval)
    return found, (workers_cpu(server) - cpu) / reads


def warm_up(server: Server, world: World, dashboard: str) -> int:
    """Let every worker serve its first requests (URL conf, API schemas, catalogues: about
    a second of CPU each) before anything is timed: rounds of concurrent connections that
    each read the dashboard and post an empty batch and an empty declaration (refused,
    nothing written), until each worker has spent CPU on them; the requests sent."""
    before = {pid: cpu_of(pid) or 0.0 for pid in server.workers()}
    worker = {"Authorization": f"Bearer {world.tokens[0]}", "Content-Type": "application/json"}
    sent = itertools.count()

    def connection() -> None:
        link = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        requests = (
            ("GET", dashboard, None, {"Authorization": f"Bearer {world.leader}"}),
            ("POST", BATCH_PATH, b'{"items": []}', worker),
            ("POST", SINGLE_PATH, b"{}", worker),
        )
        for method, path, body, headers in requests:
            link.request(method, path, body, headers)
            link.getresponse().read()
            next(sent)
        link.close()

    for _round in range(20):
        threads = [threading.Thread(target=connection) for _ in range(4 * len(before))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if all((cpu_of(pid) or 0.0) - cpu > WARM_CPU for pid, cpu in before.items()):
            break
    return next(sent)


def choose_dashboard(server: Server, args: argparse.Namespace, token: str) -> tuple[str, str]:
    """(URL to read, note): the dashboard, or the declarations' figures until it exists."""
    status, body, _ms = get(server.port, args.dashboard_url, token)
    if status == 200:
        return args.dashboard_url, ""
    if status == 404 and args.dashboard_url == DASHBOARD:
        return FIGURES, f"{DASHBOARD} answered 404 (not built yet): timing {FIGURES} instead"
    raise SystemExit(f"{args.dashboard_url} answered {status}: {body[:300]!r}")


class _Rollback(Exception):
    pass


@dataclass
class InProcess:
    queries: list[int]  # of each counted request
    cpu: float  # CPU seconds of the timed requests
    declarations: int  # in the timed requests


def in_process(
    world: World, load: Load, *, single: bool, counted: int = 3, timed: int = 20, profile: str = ""
) -> InProcess:
    """The first requests of a load sent in process with Django's test client through the
    whole stack but the server, then rolled back: the queries of the first ``counted``,
    the CPU time of the next ``timed`` (cProfiled when ``profile`` names a file)."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    data = load.path.read_bytes()
    path = SINGLE_PATH if single else BATCH_PATH
    found = InProcess([], 0.0, 0)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
    client = Client()  # one handler, as a server process has

    def send(token: int, body: bytes) -> None:
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[token]}"
        answer = client.post(path, body, content_type="application/json")
        if answer.status_code not in (200, 201):
            raise SystemExit(f"{path} answered {answer.status_code}: {answer.content[:300]!r}")

    try:
        with transaction.atomic():
            for i, (token, offset, length, items) in enumerate(load.index[: counted + timed]):
                body = data[offset : offset + length]
                if i < counted:
                    with CaptureQueriesContext(connection) as captured:
                        send(token, body)
                    found.queries.append(len(captured))
                    continue
                cpu = time.process_time()
                if profiler:
                    profiler.runcall(send, token, body)
                else:
                    send(token, body)
                found.cpu += time.process_time() - cpu
                found.declarations += items
            raise _Rollback
    except _Rollback:
        pass
    if profiler:
        import pstats

        profiler.dump_stats(profile)
        print(f"profile of {timed} requests (CPU time) written to {profile}; the top:")
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    return found


# --- checking what was stored -------------------------------------------------------------


def audit_head() -> int:
    from gridgov.audit.models import AuditEvent

    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def verify(
    batched: Load, naive: Load, phases: list[Phase], audit_from: int
) -> list[tuple[str, bool, str]]:
    """What the database holds against what was sent."""
    from django.db.models import Sum

    from gridgov.audit.models import AuditEvent
    from gridgov.epidemic import rollups
    from gridgov.epidemic.models import (
        Colour,
        DailyCount,
        DeclarationDay,
        HealthCodeChange,
        HealthDeclaration,
    )
    from gridgov.inbox.models import Message

    sent = batched.declarations + naive.declarations
    created = sum(p.created for p in phases)
    person_days = len(batched.person_days | naive.person_days)
    stored = HealthDeclaration.objects.count()
    days = DeclarationDay.objects.count()
    abnormal_days = DeclarationDay.objects.filter(abnormal_declarations__gt=0).count()
    counted = DailyCount.objects.filter(measure=rollups.DECLARATIONS).aggregate(n=Sum("value"))["n"]
    raised = set(
        HealthCodeChange.objects.exclude(to_colour=Colour.GREEN).values_list("person_id", flat=True)
    )
    alerted = (
        Message.objects.filter(topic__startswith="epidemic:abnormal:")
        .values("topic")
        .distinct()
        .count()
    )
    answered = sum(n for p in phases for status, n in p.statuses.items() if status in (200, 201))
    audited = AuditEvent.objects.filter(
        seq__gt=audit_from, action="epidemic.declaration.record"
    ).count()
    ok = all(p.statuses.keys() <= {200, 201} for p in phases)
    return [
        (
            "every request answered 200/201",
            ok,
            " ".join(f"{p.name} {dict(p.statuses)}" for p in phases),
        ),
        ("declarations stored = sent", stored == sent, f"{stored:,} of {sent:,}"),
        (
            "created in answers = sent",
            created == sent,
            f"{created:,} (retries answered as duplicates)",
        ),
        ("people's days = person-days sent", days == person_days, f"{days:,} of {person_days:,}"),
        ("roll-up 'declarations' = sent", counted == sent, f"{counted or 0:,}"),
        ("roll-ups = a recount from the rows", rollups.DECLARATIONS_TALLY.matches_recount(), ""),
        (
            "codes raised = people whose declaration raises one",
            raised == batched.raising | naive.raising,
            f"{len(raised):,} of {len(batched.raising | naive.raising):,}",
        ),
        (
            "one alert topic per abnormal person-day",
            alerted == abnormal_days,
            f"{alerted:,} of {abnormal_days:,}",
        ),
        ("one audit event per request", audited == answered, f"{audited:,} of {answered:,}"),
    ]


# --- the report ---------------------------------------------------------------------------


def code_figures() -> str:
    from django.db.models import Count

    from gridgov.epidemic.models import Colour, HealthCode, HealthCodeChange

    colours = dict(HealthCode.objects.values_list("colour").annotate(n=Count("pk")))
    back = HealthCodeChange.objects.filter(to_colour=Colour.GREEN).count()
    return (
        f"yellow {colours.get('yellow', 0):,}, red {colours.get('red', 0):,}, "
        f"back to green {back:,}"
    )


def print_phase(phase: Phase) -> None:
    lat = phase.latencies_ms
    load = " / ".join(f"{v:.2f}" for v in phase.load_average)
    per = phase.declarations
    print(
        f"{phase.name + ':':<10} {phase.declarations:,} declarations in {phase.requests:,} "
        f"requests, {phase.seconds:.1f} s = {phase.rate:,.0f} declarations/s"
    )
    print(f"  latency per request  {spread(lat)}")
    if phase.seconds >= 50:  # tenths of 5 s or more: the CPU sampled twice a second
        rates = " ".join(f"{rate:,.0f}" for rate, _server, _db in phase.tenths)
        servers = " ".join(f"{server * 1e6:,.0f}" for _rate, server, _db in phase.tenths)
        print(f"  by tenth of the load {rates} declarations/s")
        print(f"                       {servers} µs server CPU a declaration")
        if phase.cpu["db"]:
            dbs = " ".join(f"{db * 1e6:,.0f}" for _rate, _server, db in phase.tenths)
            print(f"                       {dbs} µs database CPU a declaration")
    db = f" + database {phase.cpu['db'] / per * 1e6:.0f} µs" if phase.cpu["db"] else ""
    # The dashboard's reads are served by the same workers: their CPU (at its idle cost a
    # read) is left out of the declarations'.
    reads = phase.cpu.get("dashboard", 0.0)
    server = (phase.cpu["server"] - reads) / per * 1e6
    besides = f" (the dashboard's reads besides: {reads / per * 1e6:.0f} µs)" if reads else ""
    print(
        f"  CPU per declaration  server {server:.0f} µs{db}, "
        f"client {phase.cpu['client'] / per * 1e6:.0f} µs{besides}"
    )
    print(
        f"  machine              others kept {phase.others():.2f} cores busy; "
        f"load average {load} (1/5/15 min, at the end)"
    )


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] in ("_client", "_probe"):
        return run_client(sys.argv[2]) if sys.argv[1] == "_client" else run_probe(sys.argv[2])
    args = parse_args()
    before = os.getloadavg()
    setup(args)
    ensure_city(args)
    world = prepare_world()
    clear_declarations()
    folder = Path(tempfile.mkdtemp(prefix="run-", dir=args.home))
    try:
        status = measure(args, world, folder, before)
    except BaseException:
        print(f"the run's files (bodies, server log) are kept in {folder}", file=sys.stderr)
        raise
    shutil.rmtree(folder)
    return status


def measure(
    args: argparse.Namespace, world: World, folder: Path, before: tuple[float, float, float]
) -> int:
    """Everything timed, printed and checked (the loads are encoded into ``folder``);
    ``before``: the load average when the benchmark started."""
    from django.db import connection

    started = time.perf_counter()
    batched, naive, days = build_loads(world, args, folder)
    residents = sum(len(p) for p in world.people.values())
    print(f"database             {connection.vendor}")
    print(f"city                 {len(world.people):,} grids, {residents:,} living residents")
    print(f"days                 {days[0]} – {days[-1]} ({len(days)}, Asia/Shanghai)")
    print(
        f"load                 {batched.declarations:,} declarations in {batched.batches:,} "
        f"batches (mean {batched.declarations / batched.batches:.0f}, at most {args.batch}) "
        f"+ {batched.requests - batched.batches} retried; naive sample {naive.declarations:,}; "
        f"encoded in {time.perf_counter() - started:.1f} s"
    )
    print(f"load average before  {' / '.join(f'{v:.2f}' for v in before)}")
    if args.profile:
        in_process(world, batched, single=False, timed=PROFILED, profile=args.profile)
        return 0
    batch_run = in_process(world, batched, single=False)
    single_run = in_process(world, naive, single=True)
    print(
        f"queries per request  batch of {batched.index[2][3]}: {batch_run.queries[-1]}, "
        f"single: {single_run.queries[-1]}"
    )
    print(
        f"in process           CPU per declaration: batched "
        f"{batch_run.cpu / batch_run.declarations * 1e6:.0f} µs, single "
        f"{single_run.cpu / single_run.declarations * 1e6:.0f} µs (no server, rolled back)"
    )
    server = Server(args, folder)
    try:
        server.wait_ready(world.leader)
        workers = len(server.workers())
        print(f"server               gridgov serve, {workers} workers, port {server.port}")
        dashboard, note = choose_dashboard(server, args, world.leader)
        if note:
            print(f"dashboard            {note}")
        print(f"warm-up              {warm_up(server, world, dashboard)} requests (refused ones)")
        audit_from = audit_head()
        naive_phase = run_phase("naive", server, naive, world, args, folder, single=True)
        ours = run_phase(
            "batched", server, batched, world, args, folder, single=False, dashboard=dashboard
        )
        reads = 10 if args.quick else 40
        idle, idle_cpu = idle_dashboard(server, dashboard, world.leader, reads, args.probe_interval)
        ours.cpu["dashboard"] = idle_cpu * len(ours.dashboard_ms)
        server_peak = server.peak_mb()
    finally:
        server.stop()
    print()
    print_phase(naive_phase)
    print_phase(ours)
    print(f"ratio batched/naive  {ours.rate / naive_phase.rate:.1f}× declarations per second")
    under = ours.dashboard_ms
    print(f"dashboard under load {dashboard}: {len(under)} reads, {spread(under)}")
    slower = percentile(under, 0.5) / percentile(idle, 0.5)
    print(
        f"dashboard idle       {len(idle)} reads after the load, {spread(idle)}, "
        f"server CPU {idle_cpu * 1000:.1f} ms a read"
    )
    print(f"ratio load/idle      dashboard p50 ×{slower:.1f} under load")
    print(f"health codes         {code_figures()}")
    print(
        f"peak memory          server worker {server_peak:,.0f} MB, client "
        f"{ours.client_peak_mb:,.0f} MB, this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"
    )
    checks = verify(batched, naive, [naive_phase, ours], audit_from)
    for label, ok, detail in checks:
        print(f"check                {'ok ' if ok else 'FAILED'} {label} {detail}")
    p99 = percentile(ours.latencies_ms, 0.99)
    targets = [
        (f"{TARGET_RATE:,} declarations/s batched", ours.rate >= TARGET_RATE),
        (f"p99 under {TARGET_P99_MS} ms", p99 < TARGET_P99_MS),
        (
            f"dashboard under {TARGET_DASHBOARD_MS} ms during the load (p99)",
            percentile(under, 0.99) < TARGET_DASHBOARD_MS,
        ),
    ]
    # A smoke run's batches are a seventh of the real ones (40 residents a grid): its
    # figures say that everything works, not how fast.
    aside = " (smoke run: the targets are for the full load)" if args.quick else ""
    for label, met in targets:
        print(f"target               {label}: {'met' if met else 'NOT met'}{aside}")
    return 0 if all(ok for _label, ok, _detail in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
