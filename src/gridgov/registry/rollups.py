"""Population roll-ups (architecture rule 4): ``PopulationCount`` rows per grid and measure.

Measures of the *living* people of a grid:

- ``total``
- ``residence:<registered|migrant|overseas>``
- ``sex:<M|F>``
- ``age:<band>`` — the band of the age a person reaches this calendar year
  (current year − birth year; ``age:unknown`` without a birth year). Birth-year based, so
  a person's band only changes at New Year: ``recount`` (``gridgov registry recount``),
  run nightly by the operator's scheduler, moves everyone to the new year's bands; deltas
  written in between are consistent with it.
- ``tag:<kind>`` — confirmed care tags.

Every action that changes one of these facts calls ``apply_delta`` with the person's state
before and after, in its own transaction; bulk paths add whole ``Counter``s per grid with
``add_counts``. Any level's figure is a sum over a prefix of ``grid_code``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Substr

from gridgov.registry import bulkwrite, identity
from gridgov.registry.models import CareTag, Person, PersonStatus, PopulationCount, TagStatus
from gridgov.territory import codes

TOTAL = "total"
LIVING = PersonStatus.LIVING.value
State = Mapping[str, Any]


def current_year() -> int:
    return dt.date.today().year


def band_of_birth_year(birth_year: int | None, year: int | None = None) -> str:
    if not birth_year:
        return identity.UNKNOWN_AGE_BAND
    return identity.age_band((year or current_year()) - birth_year)


def measures(state: State | None, year: int | None = None) -> Counter[str]:
    """The measures one person counts towards (empty unless living).

    ``state`` has ``status``, ``residence_type``, ``sex``, ``birth_year`` and ``tags``
    (kinds of the person's confirmed tags)."""
    if not state or state.get("status", LIVING) != LIVING:
        return Counter()
    found = Counter(
        {
            TOTAL: 1,
            f"residence:{state.get('residence_type') or 'registered'}": 1,
            f"sex:{state.get('sex') or 'unknown'}": 1,
            f"age:{band_of_birth_year(state.get('birth_year'), year)}": 1,
        }
    )
    for kind in state.get("tags") or ():
        found[f"tag:{kind}"] += 1
    return found


def state_of(person: Person, tags: Iterable[str] | None = None) -> dict[str, Any]:
    """A person's roll-up facts; ``tags`` defaults to a query of their confirmed tags."""
    if tags is None:
        tags = (
            CareTag.objects.filter(person_id=person.pk, status=TagStatus.CONFIRMED)
            .values_list("kind", flat=True)
            .order_by()
            if person.pk
            else []
        )
    return {
        "status": person.status,
        "residence_type": person.residence_type,
        "sex": person.sex,
        "birth_year": person.birth_year,
        "tags": sorted(tags),
    }


def apply_delta(grid_code: str, before: State | None, after: State | None) -> None:
    """Move the grid's counts from a person's ``before`` state to ``after`` (None = absent).

    A person who moves grid is two calls: (old grid, state, None), (new grid, None, state).
    """
    delta = measures(after)
    delta.subtract(measures(before))
    add_counts({grid_code: delta})


def add_counts(deltas: Mapping[str, Mapping[str, int]]) -> None:
    """Add ``{grid_code: {measure: n}}`` to the counts: one upsert statement for all."""
    rows = [
        (grid, measure, n)
        for grid, counter in deltas.items()
        for measure, n in counter.items()
        if n
    ]
    if not rows:
        return
    table = connection.ops.quote_name(PopulationCount._meta.db_table)
    # ON CONFLICT … DO UPDATE is the same on SQLite (3.24+) and PostgreSQL, and adds in the
    # database, so concurrent writers of one grid never lose each other's increments.
    upsert = (
        f"ON CONFLICT (grid_code, measure) DO UPDATE SET value = {table}.value + excluded.value"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement over three arrays: an import adds ~350,000 counts, which
            # executemany sends as as many statements (7 s against 0.5 s).
            array = bulkwrite.ARRAY_PARAM
            cursor.execute(
                f"INSERT INTO {table} (grid_code, measure, value) "  # noqa: S608
                f"SELECT * FROM unnest({array}, {array}, {array}::int[]) {upsert}",
                [bulkwrite.array_param(column) for column in zip(*rows, strict=True)],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} (grid_code, measure, value) VALUES (%s, %s, %s) {upsert}",  # noqa: S608
                rows,
            )


def counts_for_rows(rows: Iterable[State], year: int | None = None) -> dict[str, Counter[str]]:
    """{grid_code: measures} of rows carrying ``grid_code`` and a person's state fields."""
    year = year or current_year()
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        out[row["grid_code"]].update(measures(row, year))
    return out


def _tag_kinds(person_ids_filter: dict[str, Any]) -> dict[int, list[str]]:
    kinds: dict[int, list[str]] = defaultdict(list)
    tags = CareTag.objects.filter(status=TagStatus.CONFIRMED, **person_ids_filter).values_list(
        "person_id", "kind"
    )
    for person_id, kind in tags.order_by().iterator(chunk_size=5000):
        kinds[person_id].append(kind)
    return kinds


@transaction.atomic
def recount(grid_codes: Iterable[str] | None = None) -> int:
    """Rebuild the counts of some grids (all when None) from the people themselves.

    Grouped in the database: one query for people by (grid, residence, sex, birth year)
    and one for confirmed tags by (grid, kind). Returns the number of count rows written.
    """
    year = current_year()
    grids = sorted(set(grid_codes)) if grid_codes is not None else None
    people = Person.objects.filter(status=LIVING)
    tags = CareTag.objects.filter(status=TagStatus.CONFIRMED, person__status=LIVING)
    existing = PopulationCount.objects.all()
    if grids is not None:
        people = people.filter(grid_code__in=grids)
        # A tag's grid follows its person's; the person's grid is what counts.
        tags = tags.filter(person__grid_code__in=grids)
        existing = existing.filter(grid_code__in=grids)
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    grouped = people.values_list("grid_code", "residence_type", "sex", "birth_year").annotate(
        n=Count("id")
    )
    for grid, residence, sex, birth_year, n in grouped.order_by():
        counter = totals[grid]
        counter[TOTAL] += n
        counter[f"residence:{residence}"] += n
        counter[f"sex:{sex}"] += n
        counter[f"age:{band_of_birth_year(birth_year, year)}"] += n
    for grid, kind, n in (
        tags.values_list("person__grid_code", "kind").annotate(n=Count("id")).order_by()
    ):
        totals[grid][f"tag:{kind}"] += n
    existing.delete()
    PopulationCount.objects.bulk_create(
        [
            PopulationCount(grid_code=grid, measure=measure, value=n)
            for grid, counter in totals.items()
            for measure, n in counter.items()
            if n
        ],
        batch_size=2000,
    )
    return sum(len(c) for c in totals.values())


def figures(prefix: str) -> dict[str, int]:
    """{measure: n} summed over every grid under ``prefix`` (one GROUP BY query)."""
    rows = (
        PopulationCount.objects.filter(grid_code__startswith=prefix)
        .values_list("measure")
        .annotate(n=Sum("value"))
        .order_by()
    )
    return {measure: n for measure, n in rows if n}


def child_length(region_code: str) -> int:
    """Length of the codes of a region's children (a community's children are grids)."""
    level = codes.level_of(region_code)
    return codes.CODE_LENGTH[level + 1]


def by_child(region: Any) -> list[tuple[str, dict[str, int]]]:
    """Per child of ``region`` (a Region or a code): {measure: n}, in code order — one
    query grouping by the code prefix of the child's length."""
    code = getattr(region, "code", region)
    length = child_length(code)
    rows = (
        PopulationCount.objects.filter(grid_code__startswith=code)
        .annotate(child=Substr("grid_code", 1, length))
        .values_list("child", "measure")
        .annotate(n=Sum("value"))
        .order_by()
    )
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for child, measure, n in rows:
        if n:
            out[child][measure] = n
    return sorted(out.items())
