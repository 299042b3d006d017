"""Epidemic roll-ups (architecture rule 4): ``DailyCount`` and ``CurrentCount`` upkeep.

Daily measures (per grid, per day):

- ``declarations`` — declarations received; ``declarations_abnormal`` — of them abnormal;
- ``declared`` — people who declared that day; ``abnormal`` — people with an abnormal
  declaration that day (both distinct, from ``DeclarationDay``);
- ``by:self``, ``by:household``, ``by:grid_worker`` — declarations by who declared;
- ``code_to:<colour>`` — health codes that changed to the colour that day.

Current measures (per grid): ``code:yellow``, ``code:red`` — people whose code is that
colour now (by the grid of their code row).

Every other concern (screening, isolation, cases, reports, notices) names its measures
and how to recount them in its own module of ``gridgov.epidemic.tallies`` (a ``TALLY``).
Every write adds its deltas in its own transaction with one upsert (``add_daily``,
``add_current``); ``recount`` rebuilds every tally's measures from the rows, and is what
the tests compare the kept figures with (``kept`` against ``Tally.count``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Tally:
    """One concern's roll-up measures: the ``DailyCount`` and ``CurrentCount`` rows it owns
    (a ``Q`` over ``measure``) and how to count them afresh from its own rows."""

    name: str
    daily: Q
    current: Q
    count_daily: Callable[[], Mapping[DayKey, Counter[str]]]
    count_current: Callable[[], Mapping[str, Counter[str]]]

    def kept(self) -> tuple[dict[DayKey, Counter[str]], dict[str, Counter[str]]]:
        """The figures as kept, in the shape of the counts."""
        daily: dict[DayKey, Counter[str]] = defaultdict(Counter)
        for grid, day, measure, value in DailyCount.objects.filter(self.daily).values_list(
            "grid_code", "date", "measure", "value"
        ):
            daily[(grid, day)][measure] += value
        current: dict[str, Counter[str]] = defaultdict(Counter)
        for grid, measure, value in CurrentCount.objects.filter(self.current).values_list(
            "grid_code", "measure", "value"
        ):
            current[grid][measure] += value
        return daily, current

    def matches_recount(self) -> bool:
        """Whether the kept figures equal a recount (zeros ignored): what tests assert."""
        daily, current = self.kept()
        return as_plain(daily) == as_plain(self.count_daily()) and as_plain(current) == as_plain(
            self.count_current()
        )

    def rebuild(self) -> tuple[int, int]:
        """Replace the kept figures by a recount: (daily rows, standing rows) written."""
        DailyCount.objects.filter(self.daily).delete()
        CurrentCount.objects.filter(self.current).delete()
        daily, current = self.count_daily(), self.count_current()
        add_daily(daily)
        add_current(current)
        return sum(len(c) for c in daily.values()), sum(len(c) for c in current.values())


NOTHING = Q(pk__in=[])

DECLARATIONS_TALLY = Tally(
    name="declarations",
    daily=_owned_daily(),
    current=Q(measure__startswith=CODE),
    count_daily=count_declarations,
    count_current=count_codes,
)


def tallies() -> Iterator[Tally]:
    """The declarations' tally, then every ``gridgov.epidemic.tallies`` module's ``TALLY``."""
    from gridgov.epidemic.concerns import modules

    yield DECLARATIONS_TALLY
    for module in modules("tallies"):
        yield module.TALLY


@transaction.atomic
def recount() -> dict[str, int]:
    """Rebuild every tally's measures from the rows (for the operator after a repair;
    ``gridgov epidemic recount``)."""
    daily = standing = 0
    for tally in tallies():
        daily_rows, standing_rows = tally.rebuild()
        daily += daily_rows
        standing += standing_rows
    return {"daily_rows": daily, "standing_rows": standing}


def as_plain(counts: Mapping[Any, Counter[str]]) -> dict[Any, dict[str, int]]:
    """Counts without zero entries, for comparing kept figures with a recount."""
    return {
        key: {m: n for m, n in counter.items() if n}
        for key, counter in counts.items()
        if any(counter.values())
    }


def grids_of(codes: Iterable[str]) -> set[str]:
    return {code for code in codes if len(code) == 15}
