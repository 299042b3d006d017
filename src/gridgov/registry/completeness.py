"""How complete each grid's register is: the gaps a grid worker can fix, and a score.

Checks (``CHECKS``), each over a set of *checked items* of one grid:

====================  ===============================================  ====================
kind                  checked items                                    gap when
====================  ===============================================  ====================
person_no_phone       living people                                    no phone number
person_no_id          living people who are not overseas residents     no ID number
care_no_contact       confirmed care tags of living people             no care contact name
                                                                       or no contact phone
household_no_head     households                                       no head, or a head
                                                                       no longer living here
building_empty        buildings                                        no household in it
person_outside_grid   living people belonging to a household           household is in
                                                                       another grid
====================  ===============================================  ====================

``score = 100 × (1 − gaps ÷ checked items)`` over all checks of the grid (100 when there
is nothing to check). A region's score weights its grids by their checked items, i.e. it
is the same formula over the region's sums. ``GridCompleteness`` keeps one row per grid,
refreshed by every action for the grids it touched (``refresh``). An import adds what its
new people bring to their grids instead of recounting them (``add``, ``new_person_items``);
``gridgov registry recount`` rebuilds every row nightly.
"""

from __future__ import annotations

import json
import operator
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.registry import bulkwrite
from gridgov.registry.models import (
    Building,
    CareTag,
    GridCompleteness,
    Household,
    Person,
    PersonStatus,
    ResidenceType,
    TagStatus,
)
from gridgov.registry.rollups import child_length
from gridgov.territory import codes

LIVING = PersonStatus.LIVING.value


@dataclass(frozen=True)
class Check:
    kind: str
    label: Any
    model: type[models.Model]
    checked: Q  # which rows are checked
    gap: Any  # Q or boolean expression: which checked rows are gaps
    grid_field: str = "grid_code"


def _household_exists() -> Exists:
    return Exists(Household.objects.filter(building_id=OuterRef("pk")))


CHECKS: tuple[Check, ...] = (
    Check(
        "person_no_phone",
        _("Person without a phone number"),
        Person,
        Q(status=LIVING),
        Q(phone_hash=""),
    ),
    Check(
        "person_no_id",
        _("Person without an ID number"),
        Person,
        Q(status=LIVING) & ~Q(residence_type=ResidenceType.OVERSEAS),
        Q(id_number_hash=""),
    ),
    Check(
        "care_no_contact",
        _("Care-group member without a care contact"),
        CareTag,
        Q(status=TagStatus.CONFIRMED, person__status=LIVING),
        Q(care_contact_name="") | Q(care_contact_phone_hash=""),
    ),
    Check(
        "household_no_head",
        _("Household without a head"),
        Household,
        Q(),
        Q(head__isnull=True) | ~Q(head__status=LIVING),
    ),
    Check(
        "building_empty",
        _("Building without households"),
        Building,
        Q(),
        ~Q(_household_exists()),
    ),
    Check(
        "person_outside_grid",
        _("Person at an address outside their grid"),
        Person,
        Q(status=LIVING, household__isnull=False),
        ~Q(household__grid_code=F("grid_code")),
    ),
)
KINDS = tuple(check.kind for check in CHECKS)
LABELS = {check.kind: check.label for check in CHECKS}


def score_of(checked: int, gap_total: int) -> float:
    if checked <= 0:
        return 100.0
    return round(100.0 * (1 - gap_total / checked), 2)


def gaps_for(grid_code: str) -> dict[str, list[int]]:
    """{kind: ids of the rows to fix} in one grid (care_no_contact lists care-tag ids,
    household_no_head households, building_empty buildings, the rest people)."""
    out: dict[str, list[int]] = {}
    for check in CHECKS:
        rows = check.model._default_manager.filter(check.checked, check.gap, grid_code=grid_code)
        out[check.kind] = list(rows.order_by("pk").values_list("pk", flat=True))
    return out


def _measure(grids: list[str] | None) -> dict[str, dict[str, Any]]:
    """{grid: {"checked": n, "gaps": {kind: n}}} — one grouped query per model, its checks
    counted side by side (a million-person import refreshes every grid: one scan of the
    people instead of one per check)."""
    found: dict[str, dict[str, Any]] = defaultdict(lambda: {"checked": 0, "gaps": {}})
    by_model: dict[type[models.Model], list[Check]] = defaultdict(list)
    for check in CHECKS:
        by_model[check.model].append(check)
    for model, checks in by_model.items():
        rows = model._default_manager.filter(reduce(operator.or_, (c.checked for c in checks)))
        if grids is not None:
            rows = rows.filter(grid_code__in=grids)
        counts: dict[str, Any] = {}
        for i, check in enumerate(checks):
            counts[f"checked_{i}"] = Count("pk", filter=check.checked)
            counts[f"gaps_{i}"] = Count("pk", filter=check.checked & Q(check.gap))
        for row in rows.values("grid_code").annotate(**counts).order_by():
            grid = row["grid_code"]
            for i, check in enumerate(checks):
                found[grid]["checked"] += row[f"checked_{i}"]
                if row[f"gaps_{i}"]:
                    found[grid]["gaps"][check.kind] = row[f"gaps_{i}"]
    return found


def _all_grids() -> set[str]:
    grids: set[str] = set(GridCompleteness.objects.values_list("grid_code", flat=True))
    for model in (Person, Household, Building):
        grids.update(model._default_manager.values_list("grid_code", flat=True).distinct())
    return grids


@transaction.atomic
def refresh(grid_codes: Iterable[str] | None = None) -> int:
    """Recompute the ``GridCompleteness`` rows of some grids (all when None); returns how
    many rows were written."""
    grids = sorted(set(grid_codes) if grid_codes is not None else _all_grids())
    if not grids:
        return 0
    measured = _measure(grids if grid_codes is not None else None)
    empty: dict[str, Any] = {"checked": 0, "gaps": {}}
    return _write({grid: measured.get(grid, empty) for grid in grids})


# Items = {"checked": n, <kind>: gaps of that kind, …}: what rows add to a grid.
Items = Mapping[str, int]


def new_person_items(residence_type: str, has_phone: bool, has_id: bool) -> dict[str, int]:
    """What one new living person without a household adds to their grid (the people
    checks of CHECKS: every living person is checked for a phone, all but overseas
    residents for an ID number)."""
    items = {"checked": 1, "person_no_phone": 0 if has_phone else 1}
    if residence_type != ResidenceType.OVERSEAS:
        items["checked"] += 1
        items["person_no_id"] = 0 if has_id else 1
    return items


@transaction.atomic
def add(items: Mapping[str, Items]) -> int:
    """Add ``{grid: items}`` of newly created rows to the grids' stored rows (a grid
    without one starts from nothing): for bulk creations that change nothing else in the
    grids — exact while the stored rows are (every action keeps them; ``refresh``
    rebuilds them). Returns how many rows were written."""
    stored: dict[str, tuple[int, dict[str, int]]] = {}
    grids = sorted(items)
    # One read of the rows under the grids' common region: a large import touches most
    # grids, and a list of 25,000 codes cost more to build and send than the rows it spared.
    rows = GridCompleteness.objects.filter(grid_code__startswith=codes.covering_code(grids))
    for grid, checked, gaps in rows.values_list("grid_code", "checked", "gaps").order_by():
        if grid in items:
            stored[grid] = (checked, gaps)
    totals: dict[str, dict[str, Any]] = {}
    for grid in grids:
        checked, gaps = stored.get(grid, (0, {}))
        added = Counter(gaps)
        added.update({kind: n for kind, n in items[grid].items() if kind != "checked"})
        totals[grid] = {
            "checked": checked + items[grid].get("checked", 0),
            "gaps": {kind: n for kind, n in added.items() if n},
        }
    return _write(totals)


def _write(measured: Mapping[str, Mapping[str, Any]]) -> int:
    """Store ``{grid: {"checked", "gaps"}}`` with their totals and scores: one upsert
    (PostgreSQL: over arrays; SQLite: one prepared statement), so two writers of a new
    grid cannot collide."""
    if not measured:
        return 0
    rows = []
    for grid, m in measured.items():
        gap_total = sum(m["gaps"].values())
        rows.append(
            (
                grid,
                m["checked"],
                json.dumps(m["gaps"]),
                gap_total,
                score_of(m["checked"], gap_total),
            )
        )
    table = connection.ops.quote_name(GridCompleteness._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    columns = "grid_code, checked, gaps, gap_total, score, updated_at"
    upsert = (
        "ON CONFLICT (grid_code) DO UPDATE SET checked = excluded.checked, "
        "gaps = excluded.gaps, gap_total = excluded.gap_total, score = excluded.score, "
        "updated_at = excluded.updated_at"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            array = bulkwrite.ARRAY_PARAM
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT g, c, j::jsonb, t, s, %s "  # noqa: S608
                f"FROM unnest({array}, {array}::int[], {array}, {array}::int[], "
                f"{array}::float8[]) AS v(g, c, j, t, s) {upsert}",
                [now, *(bulkwrite.array_param(column) for column in zip(*rows, strict=True))],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s) {upsert}",  # noqa: S608
                [(*row, now) for row in rows],
            )
    return len(rows)


def _summary(rows: Iterable[tuple[int, dict[str, int]]]) -> dict[str, Any]:
    checked, grids = 0, 0
    gaps: dict[str, int] = dict.fromkeys(KINDS, 0)
    for row_checked, row_gaps in rows:
        grids += 1
        checked += row_checked
        for kind, n in row_gaps.items():
            gaps[kind] = gaps.get(kind, 0) + n
    gap_total = sum(gaps.values())
    return {
        "grids": grids,
        "checked": checked,
        "gaps": gaps,
        "gap_total": gap_total,
        "score": score_of(checked, gap_total),
    }


def scores(prefix: str) -> dict[str, Any]:
    """{"grids", "checked", "gaps": {kind: n}, "gap_total", "score"} for every grid under
    ``prefix`` (a grid code gives that grid alone)."""
    rows = GridCompleteness.objects.filter(grid_code__startswith=prefix).values_list(
        "checked", "gaps"
    )
    return _summary(rows.order_by())


def by_child(region: Any) -> list[tuple[str, dict[str, Any]]]:
    """Per child code of ``region`` (a Region or a code): its ``scores`` summary."""
    code = getattr(region, "code", region)
    length = child_length(code)
    grouped: dict[str, list[tuple[int, dict[str, int]]]] = defaultdict(list)
    rows = GridCompleteness.objects.filter(grid_code__startswith=code).values_list(
        "grid_code", "checked", "gaps"
    )
    for grid, checked, gaps in rows.order_by():
        grouped[grid[:length]].append((checked, gaps))
    return [(child, _summary(items)) for child, items in sorted(grouped.items())]
