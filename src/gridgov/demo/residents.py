"""Synthetic residents of the demo city N市, written as the people file a grid office
would import, and imported through the real import (``registry.importers``).

``write_people`` writes the file: Faker zh_CN names (pools of a few thousand surnames and
given names combined), valid ID numbers with the city's real county codes, birth dates
1930–2023 and sex-consistent sequence numbers, mobile numbers, addresses from the division
table (county + township + community + street + number), a point inside a random unit
grid (rejection sampling in the grid's box) and, for half of the rows, its grid code — the
other half is located by the importer. With ``faults`` (the benchmark's file) about 2 % of
the rows repeat an earlier ID number and about 1 % have one planted fault (checksum, sex,
phone or unknown grid); without (the demo's), a share of the people have no phone, so the
completeness pages have gaps to show. Deterministic from the seed and the city.

``seed_residents`` is the demo builder's hook: it writes such a file under GRIDGOV_HOME and
imports it (skip mode: running it again with the same seed adds nobody twice).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from gridgov.registry.importers import ImportReport

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
BLOCK_ROWS = 100_000  # rows drawn and written at a time
DEMO_NO_PHONE = 0.03  # share of the demo's residents without a phone number
_FIRST_BIRTH, _LAST_BIRTH = dt.date(1930, 1, 1), dt.date(2023, 12, 31)


class Pools:
    """Everything rows are drawn from, loaded or generated once (Faker is slow per call)."""

    def __init__(self, seed: int) -> None:
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
        if not grids:
            raise ValueError("the city has no unit grids with boundaries: build it first")
        self.grid_codes = [code for code, _ in grids]
        shapes = [shape_from_geojson(boundary) for _, boundary in grids if boundary is not None]
        self.geoms: Any = np.array(shapes, dtype=object)
        shapely.prepare(self.geoms)
        self.bounds = shapely.bounds(self.geoms)
        # An address per grid's community: county + township + community names, a street.
        self.places = [names[c[:6]] + names[c[:9]] + names[c[:12]] for c in self.grid_codes]
        self.streets = streets


def points_in_grids(pools: Pools, picks: Any) -> tuple[Any, Any]:
    """A uniform point inside each picked grid (rejection sampling in its bounding box)."""
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


def write_people(path: Path, rows: int, seed: int, *, faults: bool = True) -> dict[str, int]:
    """Write ``rows`` synthetic residents to a CSV file (UTF-8, the template's Chinese
    headers) in blocks of BLOCK_ROWS; returns how many duplicates and faulty rows were
    planted (none without ``faults``)."""
    from gridgov.registry.identity import check_char

    pools = Pools(seed)
    rng = pools.rng
    planted = {"duplicates": 0, "invalid": 0}
    first_ids: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for start in range(0, rows, BLOCK_ROWS):
            n = min(BLOCK_ROWS, rows - start)
            picks = rng.integers(len(pools.grid_codes), size=n)
            lons, lats = points_in_grids(pools, picks)
            days = rng.integers(0, (_LAST_BIRTH - _FIRST_BIRTH).days, size=n)
            male = rng.random(n) < 0.51
            seqs = rng.integers(0, 500, size=n) * 2 + male
            counties = rng.integers(len(pools.counties), size=n)
            kinds = rng.random(n)
            residence = np.where(kinds < 0.80, "户籍", np.where(kinds < 0.98, "流动", "境外"))
            with_code = rng.random(n) < 0.5
            flaw = rng.random(n)
            for i in range(n):
                born = _FIRST_BIRTH + dt.timedelta(days=int(days[i]))
                first17 = f"{pools.counties[counties[i]]}{born:%Y%m%d}{seqs[i]:03d}"
                id_number = first17 + check_char(first17)
                grid = pools.grid_codes[picks[i]]
                sex = "男" if male[i] else "女"
                phone = f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}"
                if not faults:
                    if flaw[i] > 1 - DEMO_NO_PHONE:
                        phone = ""
                elif flaw[i] < 0.02 and first_ids:  # the same person twice
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
    return planted


Progress = Callable[[int, int, str], None]  # (done, total, unit), as the import reports it


def seed_residents(
    count: int,
    *,
    seed: int,
    actor: Any,
    progress: Progress | None = None,
) -> ImportReport:
    """Give the demo city ``count`` synthetic residents through the real import: the file
    is written under GRIDGOV_HOME (removed afterwards) and imported in skip mode with
    skip-invalid, so every row is checked, sealed, de-duplicated and located as a grid
    office's file would be, and a second run with the same seed adds nobody twice.
    ``actor`` needs registry.import over the city (the demo's system actor has it).
    Returns the import's ``ImportReport``; ValueError when the city has no grids yet."""
    from django.conf import settings

    from gridgov.registry.importers import ImportOptions, import_people

    folder = Path(settings.GRIDGOV_HOME)
    with tempfile.TemporaryDirectory(prefix="residents-", dir=folder) as scratch:
        path = Path(scratch) / f"residents-{count}-{seed}.csv"
        write_people(path, count, seed, faults=False)
        return import_people(
            path,
            actor=actor,
            options=ImportOptions(mode="skip", policy="skip_invalid"),
            file_name=f"demo residents ({count:,}, seed {seed})",
            progress=progress,
        )
