"""Demo components for ``gridgov demo``: manhole covers, street lamps, litter bins, street
trees… placed inside the drawn unit grids of a city, with the IDs, departments, states
and survey dates a real inventory has.

``seed_demo_components(city_code)`` is deterministic for a seed and idempotent: a grid
that already has components gets none, so running the demo again adds nothing. It needs
the component classes (the catalogue's seed migration) and uses the demo departments
when they exist.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from django.db import transaction

from gridgov.accounts.models import Department
from gridgov.audit.actions import record
from gridgov.cases.actions import components as actions
from gridgov.cases.models import CaseClass, CaseKind, Component, ComponentState
from gridgov.core.system import SystemActor
from gridgov.territory import geometry
from gridgov.territory.models import Region

ACTOR = SystemActor(name="gridgov demo")
SOURCE = "2023年城市部件普查（演示数据）"
BATCH = 2000

# (class code, weight, department slug fragment): what a street has most of, and who
# looks after it in the demo city (users.DEPARTMENTS).
MIX: tuple[tuple[str, int, str], ...] = (
    ("0101", 10, "water-supply"),
    ("0102", 9, "urban-management"),
    ("0103", 9, "urban-management"),
    ("0104", 6, "urban-management"),
    ("0105", 5, "power-supply"),
    ("0106", 5, "urban-management"),
    ("0107", 2, "urban-management"),
    ("0109", 3, "urban-management"),
    ("0110", 14, "urban-management"),
    ("0111", 4, "power-supply"),
    ("0113", 2, "power-supply"),
    ("0201", 2, "transport"),
    ("0205", 3, "transport"),
    ("0206", 3, "transport"),
    ("0208", 2, "transport"),
    ("0301", 1, "urban-management"),
    ("0304", 10, "urban-management"),
    ("0305", 4, "urban-management"),
    ("0402", 12, "urban-management"),
    ("0404", 2, "urban-management"),
    ("0407", 2, "urban-management"),
    ("0501", 1, "urban-management"),
)
STATES = (
    (ComponentState.INTACT, 86),
    (ComponentState.DAMAGED, 8),
    (ComponentState.LOST, 3),
    (ComponentState.OCCUPIED, 3),
)
CANDIDATES = 24  # random points tried per grid to find enough inside its polygon


def seed_demo_components(city_code: str, *, count_per_grid: int = 3, seed: int = 0) -> int:
    """Create about ``count_per_grid`` components in each drawn unit grid of the city that
    has none yet; returns how many were created."""
    classes = {
        c.code: c
        for c in CaseClass.objects.filter(
            kind=CaseKind.COMPONENT, parent__isnull=False, is_active=True
        )
    }
    mix = [(classes[code], weight, dept) for code, weight, dept in MIX if code in classes]
    if not mix or count_per_grid < 1:
        return 0
    rng = random.Random(seed)
    departments = list(Department.objects.filter(is_active=True).order_by("-region_code"))
    taken = set(
        Component.objects.filter(grid_code__startswith=city_code)
        .values_list("grid_code", flat=True)
        .distinct()
    )
    grids = (
        Region.objects.grids()
        .filter(code__startswith=city_code)
        .exclude(geometry=None)
        .order_by("code")
        .values_list("code", "geometry")
    )
    planned: list[tuple[str, CaseClass, float, float, Department | None]] = []
    for code, boundary in grids.iterator(chunk_size=500):
        if code in taken or not boundary:
            continue
        for lon, lat in _points(boundary, count_per_grid, rng):
            case_class, _weight, slug = rng.choices(mix, weights=[w for _c, w, _d in mix])[0]
            planned.append((code, case_class, lon, lat, _department(departments, code, slug)))
    return _create(planned, rng)


def _points(boundary: dict[str, Any], count: int, rng: random.Random) -> list[tuple[float, float]]:
    """Up to ``count`` random points inside a grid polygon."""
    shape = geometry.shape_from_geojson(boundary)
    west, south, east, north = shape.bounds
    xs = np.array([rng.uniform(west, east) for _ in range(CANDIDATES)])
    ys = np.array([rng.uniform(south, north) for _ in range(CANDIDATES)])
    inside = shapely.contains_xy(shape, xs, ys)
    return [
        (round(float(x), 7), round(float(y), 7))
        for x, y in zip(xs[inside], ys[inside], strict=True)
    ][:count]


def _department(departments: Sequence[Department], grid: str, slug: str) -> Department | None:
    """The most local demo department of the kind serving the grid (longest code first)."""
    return next((d for d in departments if slug in d.code and grid.startswith(d.region_code)), None)


def _create(
    planned: list[tuple[str, CaseClass, float, float, Department | None]], rng: random.Random
) -> int:
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for i, (grid, case_class, *_rest) in enumerate(planned):
        by_prefix[actions.id_prefix(grid, case_class)].append(i)
    states = [s for s, _w in STATES]
    weights = [w for _s, w in STATES]
    with transaction.atomic():
        ids: dict[int, str] = {}
        for prefix in sorted(by_prefix):
            positions = by_prefix[prefix]
            ids.update(zip(positions, actions.allocate_ids(prefix, len(positions)), strict=True))
        rows = []
        for i, (grid, case_class, lon, lat, department) in enumerate(planned):
            surveyed = dt.date(2023, 3, 1) + dt.timedelta(days=rng.randrange(240))
            state = rng.choices(states, weights=weights)[0]
            changed = surveyed if state == ComponentState.INTACT else _later(surveyed, rng)
            rows.append(
                Component(
                    component_id=ids[i],
                    case_class=case_class,
                    name=case_class.name,
                    competent_department=department,
                    owner=department.name if department else "",
                    maintainer=department.name if department else "",
                    state=state,
                    grid_code=grid,
                    lon=lon,
                    lat=lat,
                    surveyed_on=surveyed,
                    changed_on=changed,
                    data_source=SOURCE,
                )
            )
        Component.objects.bulk_create(rows, batch_size=BATCH)
        actions.add_counts(Counter(key for c in rows if (key := actions.count_key(c.__dict__))))
        if rows:
            record(
                "components.import",
                actor=ACTOR,
                object_type="cases.component",
                object_repr=SOURCE,
                changes={"created": len(rows), "demo": True},
            )
    return len(rows)


def _later(day: dt.date, rng: random.Random) -> dt.date:
    return min(day + dt.timedelta(days=rng.randrange(30, 400)), dt.date.today())
