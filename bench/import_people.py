"""Benchmark: import one million synthetic residents of the demo city, end to end.

    .venv/bin/python bench/import_people.py [--rows 1000000] [--home /tmp/gridgov-bench-import]
                                            [--database-url postgres://…] [--sample 10000]

Uses its own GRIDGOV_HOME (default /tmp/gridgov-bench-import) and builds the full demo city
N市 there the first time (like bench/locate.py). It writes ``--rows`` synthetic residents as
a CSV file (Faker zh_CN names, valid ID numbers with the city's real county codes, mobile
numbers, addresses from the division table, points inside grids — half the rows give only
the point, so the importer locates them; about 2 % duplicate ID numbers and 1 % invalid
rows), streamed to disk and reused by later runs with the same size and seed. Then it
measures, in the same run:

- ours: ``registry.importers.import_people`` over the whole file (skip-invalid: every row
  validated, numbers sealed and hashed, duplicates found, grids checked or located, rows
  written, roll-ups and completeness refreshed, one audit event);
- baseline: what most Django apps ship — per row the same validation and sealing, a
  duplicate query, a grid query (or a locate), then ``Person.objects.create`` — on the
  first ``--sample`` rows, inside one transaction that is rolled back afterwards;
- floor: the same file loaded with no validation and no encryption into a scratch table of
  text columns (``executemany`` on SQLite, ``COPY`` on PostgreSQL), then the indexes the
  registry keeps on those columns (name, grid, ID number, phone) built — the least a
  database can do to hold the rows searchable; dropped afterwards;
- table floor (a second reference): the rows our import stored, copied inside the
  database into a bare twin of the registry table and given all of the registry's
  indexes — what the database alone spends on these (sealed, wider, more indexed) rows.

Targets: 50,000 rows/s end to end, within 3× of the floor, peak memory under 2 GB.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

TARGET_ROWS_PER_SECOND = 50_000
TARGET_FLOOR_RATIO = 3.0
TARGET_PEAK_MB = 2048


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000, help="rows for the baseline")
    parser.add_argument("--home", default="/tmp/gridgov-bench-import", help="GRIDGOV_HOME")
    parser.add_argument("--database-url", default="", help="e.g. postgres://user@host:port/db")
    parser.add_argument("--seed", type=int, default=2020, help="seed of the city and the people")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--profile", default="", help="write a cProfile of ours to this file")
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


# --- the synthetic residents --------------------------------------------------------------


def write_people(path: Path, rows: int, seed: int) -> dict[str, int]:
    """The CSV of synthetic residents (``gridgov.demo.residents``, with planted faults)."""
    from gridgov.demo.residents import write_people as write

    started = time.perf_counter()
    planted = write(path, rows, seed, faults=True)
    print(
        f"  wrote {rows:,} rows to {path} in {time.perf_counter() - started:.1f} s "
        f"({path.stat().st_size / 1e6:,.0f} MB; planted {planted})",
        flush=True,
    )
    return planted


# --- the three measurements ---------------------------------------------------------------


def clear_registry() -> None:
    from django.db import connection

    from gridgov.registry.models import (
        Building,
        CareTag,
        GridCompleteness,
        Household,
        ImportJob,
        Movement,
        Person,
        PopulationCount,
    )

    models = (
        Movement,
        CareTag,
        PopulationCount,
        GridCompleteness,
        ImportJob,
        Household,
        Person,
        Building,
    )
    tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
    with connection.cursor() as cursor:
        for model, table in zip(models, tables, strict=True):
            if model is Household:
                cursor.execute(f"UPDATE {table} SET head_id = NULL")
            cursor.execute(f"DELETE FROM {table}")
    if connection.vendor == "postgresql":
        # Every emptied table, not only the people: the roll-up upserts otherwise wade
        # through the previous run's dead rows (a third more server time for the counts).
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
    settle()


def settle() -> None:
    """Start a measurement from a checkpointed database, whatever ran before it: SQLite's
    write-ahead log copied back and truncated, PostgreSQL's dirty buffers written out."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("CHECKPOINT")


class CpuClock:
    """CPU seconds spent by this process, its finished children (the import's worker
    processes) and, on PostgreSQL, the server process of this connection — a measure that
    other programs on the machine change far less than the wall clock."""

    def __init__(self) -> None:
        self.start = self.read()

    @staticmethod
    def read() -> tuple[float, float, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (
            own.ru_utime + own.ru_stime,
            children.ru_utime + children.ru_stime,
            _server_cpu(),
        )

    def spent(self) -> tuple[float, float, float]:
        return tuple(b - a for a, b in zip(self.start, self.read(), strict=True))  # type: ignore[return-value]


def _server_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL server process (0 elsewhere)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # another machine, or no /proc
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_ours(path: Path, profile: str) -> tuple[Any, float, tuple[float, float, float]]:
    from gridgov.core.system import SYSTEM
    from gridgov.registry import importers
    from gridgov.territory import locating

    options = importers.ImportOptions(policy="skip_invalid")
    # Every real import runs in a fresh process (the CLI, or the job a web upload
    # launches), which builds the grids' locate index first: so does ours here, whatever
    # the baseline left in this process (about 1 s of CPU for the full city).
    locating.forget()
    clock = CpuClock()
    started = time.perf_counter()
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU time: steady on a busy machine
        report = profiler.runcall(importers.import_people, path, actor=SYSTEM, options=options)
        profiler.dump_stats(profile)
    else:
        report = importers.import_people(path, actor=SYSTEM, options=options)
    return report, time.perf_counter() - started, clock.spent()


class _Rollback(Exception):
    pass


def run_baseline(path: Path, sample: int) -> tuple[int, float]:
    """Per row: validate, seal, look for a duplicate, check or locate the grid, create."""
    import datetime as dt

    from django.db import transaction

    from gridgov.core.errors import InvalidInput
    from gridgov.registry import identity, privacy
    from gridgov.registry.models import Person
    from gridgov.territory import locating
    from gridgov.territory.models import Region

    locating.current_index()  # built before the clock starts (ours builds it in its time)
    created = 0
    started = time.perf_counter()
    try:
        with transaction.atomic():
            with path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.reader(fh)
                next(reader)
                for i, row in enumerate(reader):
                    if i >= sample:
                        break
                    name, sex, born, number, phone, nation, hukou, res, address, grid, x, y = row
                    try:
                        id_number = identity.parse_id_number(number)
                        birth = dt.date.fromisoformat(born)
                        given_sex = "M" if sex == "男" else "F"
                        if identity.check_consistency(id_number, given_sex, birth):
                            continue
                        phone = identity.normalize_phone(phone)
                    except InvalidInput:
                        continue
                    if grid:
                        if not Region.objects.filter(code=grid, level=6).exists():
                            continue
                    else:
                        grid = locating.locate_code(float(x), float(y))
                        if grid is None:
                            continue
                    sealed = privacy.seal_person_numbers(id_number.number, phone)
                    if Person.objects.filter(id_number_hash=sealed["id_number_hash"]).exists():
                        continue
                    Person.objects.create(
                        name=name,
                        sex=id_number.sex,
                        birth_date=id_number.birth_date,
                        birth_year=id_number.birth_date.year,
                        ethnicity=nation,
                        hukou_code=hukou,
                        residence_type={"户籍": "registered", "流动": "migrant"}.get(
                            res, "overseas"
                        ),
                        address=address,
                        grid_code=grid,
                        lon=float(x),
                        lat=float(y),
                        **sealed,
                    )
                    created += 1
            raise _Rollback
    except _Rollback:
        pass
    return min(sample, created), time.perf_counter() - started


FLOOR_TABLE = "bench_import_floor"
FLOOR_INDEXED = ("c0", "c3", "c4", "c9")  # name, ID number, phone, grid code


def run_floor(path: Path) -> tuple[int, float, float]:
    """(rows, seconds to load, seconds to build the indexes) into a scratch table."""
    from django.db import connection, transaction

    from gridgov.demo.residents import HEADERS

    columns = [f"c{i}" for i in range(len(HEADERS))]
    table = connection.ops.quote_name(FLOOR_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TABLE {table} ({', '.join(c + ' text' for c in columns)})")
    rows = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with (
                path.open("rb") as fh,
                cursor.cursor.copy(
                    f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy,
            ):
                while block := fh.read(1 << 20):
                    copy.write(block)
            cursor.execute(f"SELECT count(*) FROM {table}")
            rows = cursor.fetchone()[0]
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} VALUES ({marks})"
            with path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.reader(fh)
                next(reader)
                batch: list[list[str]] = []
                for row in reader:
                    batch.append(row)
                    if len(batch) == 10_000:
                        cursor.executemany(sql, batch)
                        rows += len(batch)
                        batch = []
                cursor.executemany(sql, batch)
                rows += len(batch)
        loaded = time.perf_counter()
        for column in FLOOR_INDEXED:
            cursor.execute(f"CREATE INDEX {FLOOR_TABLE}_{column} ON {table} ({column})")
    indexed = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
    return rows, loaded - started, indexed - loaded


TABLE_FLOOR = "bench_person_floor"


def run_table_floor() -> tuple[int, float, float]:
    """(rows, seconds to copy, seconds to index): the people our import stored, copied
    inside the database into a bare twin of the registry table, then given the same
    indexes — what storing these sealed rows costs the database alone, with no Python."""
    from django.db import connection, transaction

    from gridgov.registry.bulkwrite import _secondary_indexes
    from gridgov.registry.models import Person

    source = Person._meta.db_table
    quoted, twin = connection.ops.quote_name(source), connection.ops.quote_name(TABLE_FLOOR)
    indexes = _secondary_indexes(source)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {twin}")
        cursor.execute(f"CREATE TABLE {twin} AS SELECT * FROM {quoted} WHERE 1 = 0")
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(f"INSERT INTO {twin} SELECT * FROM {quoted}")
        rows = cursor.rowcount
        copied = time.perf_counter()
        for name, sql in indexes:
            sql = sql.replace(f'"{name}"', f'"{name}_f"').replace(f" {name} ", f" {name}_f ")
            sql = sql.replace(quoted, twin).replace(f".{source} ", f".{TABLE_FLOOR} ")
            cursor.execute(sql)
        indexed = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {twin}")
    return rows, copied - started, indexed - copied


def _indexes() -> list[tuple[str, str]]:
    from gridgov.registry.bulkwrite import _secondary_indexes
    from gridgov.registry.models import Person

    return _secondary_indexes(Person._meta.db_table)


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> int:
    args = parse_args()
    setup(args)
    ensure_city(args.seed)
    from django.db import connection

    from gridgov.registry.models import Person

    path = Path(args.home) / f"people-{args.rows}-{args.seed}.csv"
    if not path.exists():
        print(f"Generating {args.rows:,} residents …", flush=True)
        partial = path.with_suffix(".partial")
        write_people(partial, args.rows, args.seed)
        partial.replace(path)
    size_mb = path.stat().st_size / 1e6
    clear_registry()

    baseline_rate = None
    if not args.skip_baseline:
        print(f"Baseline: per-row create on {args.sample:,} rows …", flush=True)
        done, seconds = run_baseline(path, args.sample)
        baseline_rate = done / seconds
    floor_rate = None
    if not args.skip_floor:
        print("Floor: raw load of the file, then its indexes …", flush=True)
        settle()
        floor_rows, load_s, index_s = run_floor(path)
        floor_rate = floor_rows / (load_s + index_s)

    print("Ours: importing the whole file …", flush=True)
    settle()
    report, ours_s, cpu = run_ours(path, args.profile)
    ours_rate = report.read / ours_s
    stored = Person.objects.count()
    own_mb, child_mb = peak_mb()
    table_floor = None if args.skip_floor else run_table_floor()

    def line(label: str, value: str) -> None:
        print(f"  {label:<22} {value}")

    print()
    print(f"import benchmark ({connection.vendor}, {os.cpu_count()} cores)")
    line("file", f"{path.name} ({size_mb:,.0f} MB, {report.encoding})")
    line("rows read", f"{report.read:,}")
    line(
        "created/skipped/rej.",
        f"{report.created:,} / {report.skipped:,} / {report.rejected:,} "
        f"(stored: {stored:,}, grids touched: {report.grids:,})",
    )
    line("ours: seconds", f"{ours_s:.2f}")
    line("ours: phases (s)", ", ".join(f"{k} {v:.1f}" for k, v in report.timings.items()))
    line("ours: rows/s", f"{ours_rate:,.0f}")
    per_row = [f"{seconds / report.read * 1e6:.1f}" for seconds in cpu]
    line(
        "ours: CPU",
        f"importing process {cpu[0]:.1f} s, workers {cpu[1]:.1f} s"
        + (f", database server {cpu[2]:.1f} s" if cpu[2] else "")
        + f" ({' / '.join(per_row[: 3 if cpu[2] else 2])} µs a row)",
    )
    if baseline_rate:
        line("baseline: rows/s", f"{baseline_rate:,.0f} (per-row create, {args.sample:,} rows)")
        line("ratio ours/baseline", f"{ours_rate / baseline_rate:,.1f}×")
    if floor_rate:
        line(
            "floor: rows/s",
            f"{floor_rate:,.0f} (load {load_s:.2f} s + indexes {index_s:.2f} s, "
            "no validation or encryption)",
        )
        line("ratio floor/ours", f"{floor_rate / ours_rate:,.2f}× (target ≤ {TARGET_FLOOR_RATIO}×)")
    if table_floor:
        rows, copy_s, index_s = table_floor
        rate = rows / (copy_s + index_s)
        line(
            "table floor: rows/s",
            f"{rate:,.0f} (our stored rows copied in the database {copy_s:.2f} s + the "
            f"registry's {len(_indexes())} indexes {index_s:.2f} s)",
        )
        line("ratio table floor/ours", f"{rate / ours_rate:,.2f}×")
    line("peak memory", f"{own_mb:,.0f} MB (each worker process: at most {child_mb:,.0f} MB)")
    met = [ours_rate >= TARGET_ROWS_PER_SECOND, max(own_mb, child_mb) < TARGET_PEAK_MB]
    if floor_rate:
        met.append(floor_rate / ours_rate <= TARGET_FLOOR_RATIO)
    line(
        "targets",
        f"{TARGET_ROWS_PER_SECOND:,} rows/s, ≤ {TARGET_FLOOR_RATIO}× floor, "
        f"< {TARGET_PEAK_MB} MB: {'met' if all(met) else 'NOT met'}",
    )
    return 0 if report.written and stored == report.created else 1


if __name__ == "__main__":
    sys.exit(main())
