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
HEADERS = [
    "姓名",
    "性别",
    "出生日期",
    "公民身份号码",
    "联系电话",
    "民族",
    "户籍地代码",
    "居住类型",
    "现住址",
    "网格编码",
    "经度",
    "纬度",
]


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


class Pools:
    """Everything rows are drawn from, loaded or generated once (Faker is slow per call)."""

    def __init__(self, seed: int) -> None:
        import numpy as np
        import shapely
        from faker import Faker

        from gridgov.territory.geometry import shape_from_geojson
        from gridgov.territory.models import Region

        self.rng = np.random.default_rng(seed)
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.surnames = sorted({fake.last_name() for _ in range(3000)})
        self.given = sorted({fake.first_name() for _ in range(6000)})
        names = dict(Region.objects.filter(level__lte=5).values_list("code", "name"))
        self.counties = sorted(c for c in names if len(c) == 6)
        streets = sorted({fake.street_name() for _ in range(3000)})
        grids = list(Region.objects.grids().exclude(geometry=None).values_list("code", "geometry"))
        self.grid_codes = [code for code, _ in grids]
        self.geoms = np.array([shape_from_geojson(g) for _, g in grids], dtype=object)
        shapely.prepare(self.geoms)
        self.bounds = shapely.bounds(self.geoms)
        # An address per grid's community: county + township + community names, a street.
        self.places = [names[c[:6]] + names[c[:9]] + names[c[:12]] for c in self.grid_codes]
        self.streets = streets


def points_in_grids(pools: Pools, picks: Any) -> tuple[Any, Any]:
    """A uniform point inside each picked grid (rejection sampling in its bounding box)."""
    import numpy as np
    import shapely

    lons = np.empty(len(picks))
    lats = np.empty(len(picks))
    todo = np.arange(len(picks))
    while len(todo):
        box = pools.bounds[picks[todo]]
        x = pools.rng.uniform(box[:, 0], box[:, 2])
        y = pools.rng.uniform(box[:, 1], box[:, 3])
        inside = shapely.contains_xy(pools.geoms[picks[todo]], x, y)
        lons[todo[inside]], lats[todo[inside]] = x[inside], y[inside]
        todo = todo[~inside]
    return lons, lats


def write_people(path: Path, rows: int, seed: int) -> dict[str, int]:
    """The CSV of synthetic residents, written in blocks of 100,000 rows."""
    import datetime as dt

    import numpy as np

    from gridgov.registry.identity import check_char

    pools = Pools(seed)
    rng = pools.rng
    planted = {"duplicates": 0, "invalid": 0}
    first_ids: list[str] = []
    started = time.perf_counter()
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            picks = rng.integers(len(pools.grid_codes), size=n)
            lons, lats = points_in_grids(pools, picks)
            days = rng.integers(0, (dt.date(2023, 12, 31) - dt.date(1930, 1, 1)).days, size=n)
            male = rng.random(n) < 0.51
            seqs = rng.integers(0, 500, size=n) * 2 + male
            counties = rng.integers(len(pools.counties), size=n)
            kinds = rng.random(n)
            residence = np.where(kinds < 0.80, "户籍", np.where(kinds < 0.98, "流动", "境外"))
            with_code = rng.random(n) < 0.5
            flaw = rng.random(n)
            for i in range(n):
                born = dt.date(1930, 1, 1) + dt.timedelta(days=int(days[i]))
                first17 = f"{pools.counties[counties[i]]}{born:%Y%m%d}{seqs[i]:03d}"
                id_number = first17 + check_char(first17)
                grid = pools.grid_codes[picks[i]]
                sex = "男" if male[i] else "女"
                phone = f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}"
                if flaw[i] < 0.02 and first_ids:  # the same person twice
                    id_number = first_ids[rng.integers(len(first_ids))]
                    planted["duplicates"] += 1
                elif flaw[i] < 0.03:  # one problem: checksum, sex, phone or grid
                    planted["invalid"] += 1
                    problem = int(flaw[i] * 10_000) % 4
                    if problem == 0:
                        id_number = first17 + ("0" if id_number[-1] != "0" else "1")
                    elif problem == 1:
                        sex = "女" if male[i] else "男"
                    elif problem == 2:
                        phone = phone[:7]
                    else:
                        grid, with_code[i] = grid[:12] + "999", True
                elif len(first_ids) < 50_000:
                    first_ids.append(id_number)
                name = (
                    pools.surnames[rng.integers(len(pools.surnames))]
                    + pools.given[rng.integers(len(pools.given))]
                )
                street = pools.streets[rng.integers(len(pools.streets))]
                writer.writerow(
                    [
                        name,
                        sex,
                        born.isoformat(),
                        id_number,
                        phone,
                        "汉族" if flaw[i] > 0.05 else "回族",
                        id_number[:6],
                        residence[i],
                        f"{pools.places[picks[i]]}{street}{rng.integers(1, 300)}号",
                        grid if with_code[i] else "",
                        f"{lons[i]:.6f}",
                        f"{lats[i]:.6f}",
                    ]
                )
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

    with connection.cursor() as cursor:
        for model in (
            Movement,
            CareTag,
            PopulationCount,
            GridCompleteness,
            ImportJob,
            Household,
            Person,
            Building,
        ):
            table = connection.ops.quote_name(model._meta.db_table)
            if model is Household:
                cursor.execute(f"UPDATE {table} SET head_id = NULL")
            cursor.execute(f"DELETE FROM {table}")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Person._meta.db_table)}")


def run_ours(path: Path, profile: str) -> tuple[Any, float]:
    from gridgov.core.system import SYSTEM
    from gridgov.registry import importers

    options = importers.ImportOptions(policy="skip_invalid")
    started = time.perf_counter()
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        report = profiler.runcall(importers.import_people, path, actor=SYSTEM, options=options)
        profiler.dump_stats(profile)
    else:
        report = importers.import_people(path, actor=SYSTEM, options=options)
    return report, time.perf_counter() - started


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

    locating.current_index()  # built before the clock starts, as ours does in Grids.load
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
        floor_rows, load_s, index_s = run_floor(path)
        floor_rate = floor_rows / (load_s + index_s)

    print("Ours: importing the whole file …", flush=True)
    report, ours_s = run_ours(path, args.profile)
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
