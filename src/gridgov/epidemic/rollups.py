"""Epidemic roll-ups (architecture rule 4): ``DailyCount`` and ``CurrentCount`` upkeep.

Daily measures (per grid, per day):

- ``declarations`` — declarations received; ``declarations_abnormal`` — of them abnormal;
- ``declared`` — people who declared that day; ``abnormal`` — people with an abnormal
  declaration that day (both distinct, from ``DeclarationDay``);
- ``by:self``, ``by:household``, ``by:grid_worker`` — declarations by who declared;
- ``code_to:<colour>`` — health codes that changed to the colour that day.

Current measures (per grid): ``code:yellow``, ``code:red`` — people whose code is that
colour now (by the grid of their code row).

Later measures (screening, isolation, follow-ups, reports, notices) add their names here.
Every write adds its deltas in its own transaction with one upsert (``add_daily``,
``add_current``); ``recount`` rebuilds the measures above from the rows, and is what the
tests compare the kept figures with.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from gridgov.epidemic.models import (
    Colour,
    CurrentCount,
    DailyCount,
    DeclarationDay,
    HealthCode,
    HealthCodeChange,
    HealthDeclaration,
)

DECLARATIONS = "declarations"
DECLARATIONS_ABNORMAL = "declarations_abnormal"
DECLARED = "declared"
ABNORMAL = "abnormal"
BY = "by:"
CODE_TO = "code_to:"
CODE = "code:"
# The measures this module rebuilds in ``recount``.
DECLARATION_MEASURES = (DECLARATIONS, DECLARATIONS_ABNORMAL, DECLARED, ABNORMAL)

DayKey = tuple[str, dt.date]


def _upsert(table: str, key_columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Add ``rows`` (key values…, value) to a counts table in one statement per chunk.
    ON CONFLICT … DO UPDATE adds in the database (SQLite 3.24+ and PostgreSQL alike), so
    concurrent writers never lose each other's increments."""
    if not rows:
        return
    quoted = connection.ops.quote_name(table)
    columns = ", ".join([*key_columns, "value"])
    width = len(key_columns) + 1
    per_chunk = max(1, min(500, (connection.features.max_query_params or 999) // width))
    placeholder = "(" + ", ".join(["%s"] * width) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            cursor.execute(
                f"INSERT INTO {quoted} ({columns}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(chunk))
                + f" ON CONFLICT ({', '.join(key_columns)}) DO UPDATE"
                f" SET value = {quoted}.value + excluded.value",
                [value for row in chunk for value in row],
            )


def add_daily(deltas: Mapping[DayKey, Mapping[str, int]]) -> None:
    """Add ``{(grid, day): {measure: n}}`` to the daily counts."""
    rows = [
        (grid, day, measure, n)
        for (grid, day), counter in sorted(deltas.items())
        for measure, n in sorted(counter.items())
        if n
    ]
    _upsert(DailyCount._meta.db_table, ["grid_code", "date", "measure"], rows)


def add_current(deltas: Mapping[str, Mapping[str, int]]) -> None:
    """Add ``{grid: {measure: n}}`` to the current counts."""
    rows = [
        (grid, measure, n)
        for grid, counter in sorted(deltas.items())
        for measure, n in sorted(counter.items())
        if n
    ]
    _upsert(CurrentCount._meta.db_table, ["grid_code", "measure"], rows)


# --- reading ------------------------------------------------------------------------------


def day_figures(code: str, day: dt.date) -> dict[str, int]:
    """{measure: n} of one day under ``code`` (any level: a prefix of the grids)."""
    rows = (
        DailyCount.objects.filter(grid_code__startswith=code, date=day)
        .values_list("measure")
        .annotate(n=Sum("value"))
        .order_by()
    )
    return {measure: int(n or 0) for measure, n in rows}


def current_figures(code: str) -> dict[str, int]:
    rows = (
        CurrentCount.objects.filter(grid_code__startswith=code)
        .values_list("measure")
        .annotate(n=Sum("value"))
        .order_by()
    )
    return {measure: int(n or 0) for measure, n in rows}


# --- rebuilding ---------------------------------------------------------------------------


def count_declarations() -> dict[DayKey, Counter[str]]:
    """The declaration measures recounted from the rows."""
    counts: dict[DayKey, Counter[str]] = defaultdict(Counter)
    declarations = (
        HealthDeclaration.objects.values_list("grid_code", "date", "declared_by")
        .annotate(n=Count("pk"), marked=Count("pk", filter=Q(abnormal=True)))
        .order_by()
    )
    for grid, day, by, n, abnormal in declarations:
        key = (grid, day)
        counts[key][DECLARATIONS] += n
        counts[key][DECLARATIONS_ABNORMAL] += abnormal
        counts[key][BY + by] += n
    days = (
        DeclarationDay.objects.values_list("grid_code", "date")
        .annotate(n=Count("pk"), sick=Count("pk", filter=Q(abnormal_declarations__gt=0)))
        .order_by()
    )
    for grid, day, n, abnormal in days:
        counts[(grid, day)][DECLARED] += n
        counts[(grid, day)][ABNORMAL] += abnormal
    for grid, day, colour, n in (
        HealthCodeChange.objects.values_list("grid_code", "date", "to_colour")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[(grid, day)][CODE_TO + colour] += n
    return counts


def count_codes() -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for grid, colour, n in (
        HealthCode.objects.exclude(colour=Colour.GREEN)
        .values_list("grid_code", "colour")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[grid][CODE + colour] += n
    return counts


def _owned_daily() -> Q:
    return (
        Q(measure__in=DECLARATION_MEASURES)
        | Q(measure__startswith=BY)
        | Q(measure__startswith=CODE_TO)
    )


def kept_declarations() -> dict[DayKey, Counter[str]]:
    """The declaration and code-change measures as kept, in ``count_declarations``' shape."""
    kept: dict[DayKey, Counter[str]] = defaultdict(Counter)
    for grid, day, measure, value in DailyCount.objects.filter(_owned_daily()).values_list(
        "grid_code", "date", "measure", "value"
    ):
        if value:
            kept[(grid, day)][measure] += value
    return kept


def kept_codes() -> dict[str, Counter[str]]:
    kept: dict[str, Counter[str]] = defaultdict(Counter)
    for grid, measure, value in CurrentCount.objects.filter(measure__startswith=CODE).values_list(
        "grid_code", "measure", "value"
    ):
        if value:
            kept[grid][measure] += value
    return kept


@transaction.atomic
def recount() -> dict[str, int]:
    """Rebuild the declaration, code-change and code measures from the rows (for the
    operator after a repair; ``gridgov epidemic recount``)."""
    DailyCount.objects.filter(_owned_daily()).delete()
    CurrentCount.objects.filter(measure__startswith=CODE).delete()
    daily = count_declarations()
    current = count_codes()
    add_daily(daily)
    add_current(current)
    return {"daily_rows": sum(len(c) for c in daily.values()), "grids": len(current)}


def as_plain(counts: Mapping[Any, Counter[str]]) -> dict[Any, dict[str, int]]:
    """Counts without zero entries, for comparing kept figures with a recount."""
    return {
        key: {m: n for m, n in counter.items() if n}
        for key, counter in counts.items()
        if any(counter.values())
    }


def grids_of(codes: Iterable[str]) -> set[str]:
    return {code for code in codes if len(code) == 15}
