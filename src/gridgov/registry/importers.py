"""Importing people from CSV and XLSX files: every row checked, nothing half-written.

``import_people(path, actor=…, options=…)`` is the import action (architecture rule 1:
the acting user as ``actor=``, one transaction, permission checked, one audit event). It
streams the file in pieces of some thousand rows (``readers``):

1. **prepare** (pure, no database — ``RowPreparer``): every row is checked (required
   fields, the ID number's checksum and date, sex and birth date against it, phone,
   division code, residence type and status labels, the grid code — or the grid located
   from longitude/latitude in one vectorized batch per piece — inside the importer's
   ``registry.import`` scope), then its numbers are sealed (``privacy``: AES-GCM, keyed
   hash, masked form). Pieces are prepared in worker processes when the file is large.
2. **decide** (``_Writer``): duplicates within the file (by keyed hash) and against the
   database (one ``id_number_hash IN (…)`` query per piece; in a bulk load — a file at
   least as large as the table — every stored hash read into memory once) are rejected
   (mode ``create``), update the existing person (``update``) or are skipped and counted
   (``skip``).
3. **write**: new people are inserted with ``bulkwrite.insert_rows`` (COPY or one
   prepared ``executemany``), updates with one prepared ``UPDATE``; roll-ups are added
   per grid, completeness refreshed for the touched grids, one ``registry.import`` audit
   event records the counts.

All of it runs in one transaction. ``all_or_nothing``: any rejected row and the
transaction is rolled back — nothing written, the report lists every problem.
``skip_invalid``: the valid rows are written, the report lists the rejected ones. The
report names each problem by row number as the file shows it (the header is row 1), by
the file's own column header, and by reason.

户号 (household number) groups the new people of one file into households, created with
the import (the member whose relation is 户主 heads it); people already registered keep
their household.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import multiprocessing as mp
import os
import re
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts import scope
from gridgov.audit.actions import record
from gridgov.core import crypto
from gridgov.core.errors import InvalidInput
from gridgov.registry import bulkwrite, completeness, identity, privacy, readers, rollups
from gridgov.registry.bulkwrite import Same
from gridgov.registry.columns import (
    RELATION_VALUES,
    RESIDENCE_VALUES,
    SEX_VALUES,
    STATUS_VALUES,
    ColumnMap,
    resolve_columns,
)
from gridgov.registry.models import CareTag, Household, Person, ResidenceType, Sex
from gridgov.territory import codes

IMPORT = "registry.import"
MODES = ("create", "update", "skip")
POLICIES = ("all_or_nothing", "skip_invalid")
# A load this large, and at least as large as the table, is a bulk load (``_Writer.plan``).
BULK_LOAD_MIN_ROWS = 200_000
# Rejected rows kept in a job's JSON summary; the XLSX report always has all of them.
SUMMARY_ERRORS = 200

# The person columns a prepared row carries, in this order.
VALUE_COLUMNS = (
    "grid_code",
    "lon",
    "lat",
    "relation",
    "name",
    "sex",
    "birth_date",
    "birth_year",
    "id_number_enc",
    "id_number_hash",
    "id_number_masked",
    "phone_enc",
    "phone_hash",
    "phone_masked",
    "key_id",
    "ethnicity",
    "hukou_code",
    "residence_type",
    "address",
    "status",
)
_AT = {name: i for i, name in enumerate(VALUE_COLUMNS)}
GRID, SEX, BIRTH_YEAR, ID_HASH = (
    _AT["grid_code"],
    _AT["sex"],
    _AT["birth_year"],
    _AT["id_number_hash"],
)
RESIDENCE, STATUS, RELATION = _AT["residence_type"], _AT["status"], _AT["relation"]
# The household id comes last: the writer adds it when a file names households (户号).
INSERT_COLUMNS = (
    *VALUE_COLUMNS,
    "status_date",
    "version",
    "created_at",
    "updated_at",
    "household_id",
)
_SEALED_AT = _AT["id_number_enc"]
LIVING = "living"

# Fields an update takes from the file when its cell is not empty.
UPDATABLE = tuple(c for c in VALUE_COLUMNS if c != "relation")


# --- options and report -------------------------------------------------------------------


@dataclass
class ImportOptions:
    mode: str = "create"  # create | update | skip: what a known ID number does
    policy: str = "all_or_nothing"  # or skip_invalid
    mapping: dict[str, str | None] = field(default_factory=dict)  # {file header: field}
    encoding: str = "auto"
    scope_code: str = ""  # only grids under this territory code (and the actor's scope)

    @classmethod
    def parse(cls, data: Mapping[str, Any] | None) -> ImportOptions:
        """Options from user input; InvalidInput names each bad field."""
        data = dict(data or {})
        problems: dict[str, str] = {}
        mode = str(data.get("mode") or "create")
        if mode not in MODES:
            problems["mode"] = _("one of: %(choices)s") % {"choices": ", ".join(MODES)}
        policy = str(data.get("policy") or "all_or_nothing").replace("-", "_")
        if policy not in POLICIES:
            problems["policy"] = _("one of: %(choices)s") % {"choices": ", ".join(POLICIES)}
        mapping = data.get("mapping") or {}
        if not isinstance(mapping, Mapping) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in mapping.items()
        ):
            problems["mapping"] = _("an object of file header → field name")
            mapping = {}
        encoding = str(data.get("encoding") or "auto").lower()
        if encoding not in readers.ENCODINGS:
            problems["encoding"] = _("one of: %(choices)s") % {
                "choices": ", ".join(readers.ENCODINGS)
            }
        scope_code = str(data.get("scope_code") or "").strip()
        if scope_code and (
            not scope_code.isdigit() or len(scope_code) not in codes.LEVEL_BY_LENGTH
        ):
            problems["scope_code"] = _("a territory code of 4, 6, 9, 12 or 15 digits")
        if problems:
            raise InvalidInput(_("The import options are not valid."), fields=problems)
        return cls(mode, policy, dict(mapping), encoding, scope_code)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Timings(dict[str, float]):
    """Seconds spent per phase of an import (for the benchmark and the logs)."""

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self[name] = self.get(name, 0.0) + time.perf_counter() - started


class RowError(NamedTuple):
    row: int  # as the file numbers it: the header is row 1
    column: str  # the file's header text
    reason: str


@dataclass
class ImportReport:
    file_name: str
    mode: str
    policy: str
    encoding: str = ""
    read: int = 0
    valid: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    written: bool = False
    grids: int = 0
    seconds: float = 0.0
    ignored_columns: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)

    COUNTS = ("read", "valid", "created", "updated", "skipped", "rejected")

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.COUNTS}

    def as_dict(self, error_limit: int | None = None) -> dict[str, Any]:
        errors = self.errors if error_limit is None else self.errors[:error_limit]
        return {
            "file_name": self.file_name,
            "mode": self.mode,
            "policy": self.policy,
            "encoding": self.encoding,
            **self.counts(),
            "written": self.written,
            "grids": self.grids,
            "seconds": round(self.seconds, 3),
            "ignored_columns": self.ignored_columns,
            "error_count": len(self.errors),
            "errors": [e._asdict() for e in errors],
        }


# --- preparing rows (no database) ---------------------------------------------------------


@dataclass
class Grids:
    """The unit grids rows may name or be located in, loaded once per import: those in
    the importer's scope (a grid outside it reads as unknown, so existence never leaks)."""

    allowed: frozenset[str]
    index: Any = None  # territory LocateIndex, when the file has coordinates

    @classmethod
    def load(cls, actor: Any, scope_code: str, *, locate: bool) -> Grids:
        from gridgov.territory import locating
        from gridgov.territory.models import Region

        known = frozenset(Region.objects.grids().values_list("code", flat=True).order_by())
        prefixes = tuple(scope.scope_codes(actor, IMPORT))
        allowed = frozenset(g for g in known if g.startswith(prefixes) and g.startswith(scope_code))
        return cls(allowed, locating.current_index() if locate else None)


# What creating a household needs of its first member: (户号, grid, lon, lat, address).
HouseholdSeed = tuple[str, str, float | None, float | None, str]


class Prepared(NamedTuple):
    """One piece after checking and sealing, what the writer needs of it: for each valid
    row, in file order, its row number, keyed ID hash ("" without an ID number), hashes
    under retired keys (only while keys are rotated), tally cell (``Tally``), the row encoded
    for the database (``INSERT_COLUMNS``; without the last, household_id, when
    ``households`` is given); the plain ``VALUE_COLUMNS`` in update mode; the problems.
    Plain lists of strings and numbers: cheap to send from a worker process."""

    read: int
    numbers: list[int]
    hashes: list[str]
    older: list[tuple[str, ...]] | None
    cells: np.ndarray  # Tally.cells
    rows: bulkwrite.Encoded
    households: list[HouseholdSeed] | None  # when the piece names households (户号)
    values: list[tuple[Any, ...]] | None  # VALUE_COLUMNS, in update mode
    errors: list[RowError]


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_EXCEL_NUMBER = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")
_GRID_DIGITS = re.compile(r"\d{14,15}")
_SPACES = re.compile(r"\s{2,}|[\t\r\n]")


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)  # 1985-03-12 and 19850312
    except ValueError:
        pass
    match = _DATE.fullmatch(text)
    if match:
        try:
            return dt.date(*map(int, match.groups()))
        except ValueError:
            return None
    return None


class RowPreparer:
    """Checks and seals rows; holds no database connection, so it runs in workers.

    A piece is checked a column at a time (``_quick``): cells that are plainly valid —
    the way nearly every row of a real file is — are taken as they are with C-speed
    tests over whole columns; a row with any other cell goes through ``_check``, the
    reference check that normalizes what it can and names every problem. Both give the
    same values for a row they both accept (tested)."""

    def __init__(
        self,
        columns: ColumnMap,
        grids: Grids,
        *,
        today: dt.date | None = None,
        mode: str = "create",
        now: dt.datetime | None = None,
    ) -> None:
        self.columns = columns
        self.grids = grids
        self.today = today or dt.date.today()
        self.width = max(columns.index.values(), default=-1) + 1
        # A field the file lacks reads the sentinel cell appended after the last column.
        self.at = {f: columns.index.get(f, self.width) for f in _FIELDS}
        self.header = {f: columns.header(f) for f in _FIELDS}
        self.mode = mode
        # Bound here, before any worker process is forked.
        self.people = bulkwrite.BulkTable(Person._meta.db_table)
        self.stamp = connection.ops.adapt_datetimefield_value(now or timezone.now())
        self.seal = privacy.person_column_sealer()
        self.rotating = len(crypto.ring().by_id) > 1
        self.year = rollups.current_year()
        self.tally = Tally(grids.allowed, self.year)
        self.labels = {f: {**values, "": ""} for f, values in _LABELS.items()}

    def prepare(self, rows: Sequence[tuple[int, list[str]]]) -> Prepared:
        """Check, locate and seal rows (a piece of the file)."""
        errors: list[RowError] = []
        numbers = [number for number, _cells in rows]
        width = self.width
        cells = [c if len(c) == width else (c + [""] * width)[:width] for _n, c in rows]
        found, doubtful = self._quick(cells)
        dropped: set[int] = set()
        for i in doubtful:
            out = self._check(numbers[i], list(cells[i]), errors)
            if out is None:
                dropped.add(i)
            else:
                _put(found, i, out)
        grids = found["grid_code"]
        pending = [i for i, grid in enumerate(grids) if grid is None and i not in dropped]
        if pending:
            self._locate(found, pending, numbers, errors, dropped)
        if dropped:
            kept = [i for i in range(len(rows)) if i not in dropped]
            numbers = [numbers[i] for i in kept]
            found = {f: [values[i] for i in kept] for f, values in found.items()}
        return self._sealed(len(rows), numbers, found, errors)

    # --- the quick, column-wise check ---

    def _quick(self, cells: list[list[str]]) -> tuple[dict[str, list[Any]], list[int]]:
        """({field: value per row}, rows to check in full): every cell of the other rows
        is plainly valid and its value final (a grid of None: to be located)."""
        n = len(cells)
        columns = list(zip(*cells, strict=True)) if n else [()] * self.width
        blank = ("",) * n

        def column(name: str) -> Sequence[str]:
            at = self.at[name]
            return columns[at] if at < self.width else blank

        doubtful: set[int] = set()
        found: dict[str, list[Any]] = {}
        for name, limit in _TEXT_LIMITS.items():
            found[name] = _quick_text(column(name), limit, doubtful, required=name == "name")
        for name, lookup in self.labels.items():
            found[name] = _quick_label(column(name), lookup, doubtful)
        self._quick_identity(column("id_number"), column("birth_date"), found, doubtful)
        phones = column("phone")
        plain = identity.plain_phones(phones)
        doubtful.update(
            i for i, (p, ok) in enumerate(zip(phones, plain, strict=True)) if p and not ok
        )
        found["phone"] = list(phones)
        found["hukou_code"] = _quick_hukou(column("hukou_code"), doubtful)
        self._quick_place(column("grid_code"), column("lon"), column("lat"), found, doubtful)
        return found, sorted(doubtful)

    def _quick_identity(
        self,
        id_texts: Sequence[str],
        birth_texts: Sequence[str],
        found: dict[str, list[Any]],
        doubtful: set[int],
    ) -> None:
        """ID numbers that need no clean-up, and the sex and birth date they imply where
        the row gives none or the same (rows without an ID number are checked in full)."""
        plain = identity.plain_id_numbers(id_texts, self.today)
        given_sex = found["sex"]
        sexes: list[Any] = [""] * len(plain)
        births: list[Any] = [None] * len(plain)
        years: list[Any] = [None] * len(plain)
        for i, (implied, birth_text, sex) in enumerate(
            zip(plain, birth_texts, given_sex, strict=True)
        ):
            if implied is None:
                doubtful.add(i)
                continue
            sexes[i], births[i], years[i] = implied
            if (sex and sex != implied[0]) or (birth_text and birth_text != implied[1]):
                doubtful.add(i)
        found["id_number"] = list(id_texts)
        found["sex"], found["birth_date"], found["birth_year"] = sexes, births, years

    def _quick_place(
        self,
        grid_texts: Sequence[str],
        lon_texts: Sequence[str],
        lat_texts: Sequence[str],
        found: dict[str, list[Any]],
        doubtful: set[int],
    ) -> None:
        """A grid code of the importer's area as given, or both coordinates (the grid
        then None: located with the rest of the piece)."""
        lons = _quick_coordinates(lon_texts, 180, doubtful)
        lats = _quick_coordinates(lat_texts, 90, doubtful)
        allowed = self.grids.allowed
        grids: list[Any] = list(grid_texts)
        for i, grid in enumerate(grid_texts):
            if grid in allowed:
                continue
            if grid or lons[i] is None or lats[i] is None:
                doubtful.add(i)  # an unknown or legacy code, or nothing to locate by
            else:
                grids[i] = None
        if None in lons or None in lats:
            doubtful.update(
                i
                for i, (x, y) in enumerate(zip(lons, lats, strict=True))
                if (x is None) != (y is None)
            )
        found["grid_code"], found["lon"], found["lat"] = grids, lons, lats

    # --- the reference check, a row at a time ---

    def _check(
        self, number: int, cells: list[str], errors: list[RowError]
    ) -> dict[str, Any] | None:
        at, width = self.at, self.width
        if len(cells) != width:
            cells = (cells + [""] * width)[:width]
        cells.append("")
        problems: list[tuple[str, str]] = []
        out: dict[str, Any] = {}
        out["name"] = _limited(cells[at["name"]], 60, "name", problems)
        if not out["name"]:
            problems.append(("name", _("required")))
        sex = _label(cells[at["sex"]], SEX_VALUES, "sex", problems, _EXPECTED["sex"])
        birth_text = cells[at["birth_date"]]
        birth = None
        if birth_text:
            birth = _parse_date(birth_text)
            if birth is None:
                problems.append(("birth_date", _("not a date (YYYY-MM-DD)")))
            elif birth > self.today or birth < identity.EARLIEST_BIRTH:
                problems.append(("birth_date", _("must be between 1900 and today")))
                birth = None
        id_text = cells[at["id_number"]]
        number_text = ""
        if id_text:
            id_number = self._id_number(id_text, problems)
            if id_number is not None:
                number_text = id_number.number
                problems.extend(identity.check_consistency(id_number, sex or None, birth))
                sex = sex or id_number.sex
                birth = birth or id_number.birth_date
        elif not sex and at["sex"] < width:
            problems.append(("sex", _("required when there is no ID number")))
        elif not sex:
            problems.append(("id_number", _("required when there is no sex column")))
        out["sex"], out["birth_date"] = sex, birth
        out["id_number"] = number_text
        phone = cells[at["phone"]]
        if phone:
            try:
                phone = identity.normalize_phone(phone)
            except InvalidInput as exc:
                problems.append(("phone", _reason(exc, "phone")))
        out["phone"] = phone
        out["ethnicity"] = _limited(cells[at["ethnicity"]], 20, "ethnicity", problems)
        hukou = cells[at["hukou_code"]]
        if hukou and not identity.valid_division_code(hukou):
            problems.append(("hukou_code", _("a division code of 6, 9 or 12 digits")))
        out["hukou_code"] = hukou
        # Left empty when the cell is: an update keeps the stored value, an insert takes
        # the default (DEFAULTS).
        out["residence_type"] = _label(
            cells[at["residence_type"]],
            RESIDENCE_VALUES,
            "residence_type",
            problems,
            _EXPECTED["residence_type"],
        )
        out["status"] = _label(
            cells[at["status"]], STATUS_VALUES, "status", problems, _EXPECTED["status"]
        )
        out["address"] = _limited(cells[at["address"]], 200, "address", problems)
        out["household_no"] = _limited(cells[at["household_no"]], 40, "household_no", problems)
        out["relation"] = _label(
            cells[at["relation"]], RELATION_VALUES, "relation", problems, _EXPECTED["relation"]
        )
        self._place(cells, out, problems)
        if problems:
            header = self.header
            errors.extend(RowError(number, header[f], reason) for f, reason in problems)
            return None
        return out

    def _id_number(self, text: str, problems: list[tuple[str, str]]) -> identity.IdNumber | None:
        try:
            return identity.parse_id_number(text, today=self.today)
        except InvalidInput as exc:
            if _EXCEL_NUMBER.fullmatch(text):
                reason = _(
                    "Excel turned the ID number into a number (%(text)s) and lost digits; "
                    "format the column as text and enter it again"
                ) % {"text": text}
            else:
                reason = _reason(exc, "id_number")
            problems.append(("id_number", reason))
            return None

    def _place(
        self, cells: list[str], out: dict[str, Any], problems: list[tuple[str, str]]
    ) -> None:
        """The grid code as given (14-digit legacy codes widened), or coordinates to locate."""
        at = self.at
        lon_text, lat_text = cells[at["lon"]], cells[at["lat"]]
        lon = lat = None
        if lon_text or lat_text:
            lon, lat = (
                _coordinate(lon_text, "lon", 180, problems),
                _coordinate(lat_text, "lat", 90, problems),
            )
        out["lon"], out["lat"] = lon, lat
        grid = cells[at["grid_code"]]
        if grid:
            if not _GRID_DIGITS.fullmatch(grid):
                problems.append(("grid_code", _("a unit grid code has 15 digits")))
            else:
                grid = codes.normalize_grid_code(grid)
                if grid not in self.grids.allowed:
                    problems.append(("grid_code", _("no unit grid with this code in your area")))
            out["grid_code"] = grid
        elif lon is not None and lat is not None:
            out["grid_code"] = None  # located with the rest of the chunk
        elif not (lon_text or lat_text):
            problems.append(("grid_code", _("give a grid code or coordinates")))

    def _locate(
        self,
        found: dict[str, list[Any]],
        pending: list[int],
        numbers: list[int],
        errors: list[RowError],
        dropped: set[int],
    ) -> None:
        """The grids of the pending rows from their coordinates, in one vectorized call."""
        index = self.grids.index
        lons, lats, grids = found["lon"], found["lat"], found["grid_code"]
        xs = np.fromiter((lons[i] for i in pending), dtype=float, count=len(pending))
        ys = np.fromiter((lats[i] for i in pending), dtype=float, count=len(pending))
        hits = index.locate_indices(xs, ys).tolist()
        for i, hit in zip(pending, hits, strict=True):
            grid = str(index.codes[hit]) if hit >= 0 else None
            if grid is None or grid not in self.grids.allowed:
                reason = (
                    _("the point lies outside every grid of the city")
                    if grid is None
                    else _("the point lies in a grid outside your area")
                )
                errors.append(RowError(numbers[i], self.header["lon"], reason))
                dropped.add(i)
            else:
                grids[i] = grid

    def _sealed(
        self, read: int, numbers: list[int], found: dict[str, list[Any]], errors: list[RowError]
    ) -> Prepared:
        """The valid rows sealed and encoded for the writer (see ``Prepared``)."""
        ids = found["id_number"]
        sealed = self.seal(ids, found["phone"])
        residence, status = found["residence_type"], found["status"]
        values = [found[f] for f in VALUE_COLUMNS[:_SEALED_AT]]
        values += [*sealed, *(found[f] for f in VALUE_COLUMNS[_SEALED_AT + len(sealed) :])]
        stored_residence = [r or DEFAULTS["residence_type"] for r in residence]
        stored_status = [s or DEFAULTS["status"] for s in status]
        insert: list[Any] = [
            *values[:RESIDENCE],
            stored_residence,
            values[RESIDENCE + 1],
            stored_status,
        ]
        insert += [Same(None), Same(1), Same(self.stamp), Same(self.stamp)]  # status_date …
        households: list[HouseholdSeed] | None = None
        names: tuple[str, ...] = INSERT_COLUMNS
        if any(found["household_no"]):
            households = list(
                zip(
                    found["household_no"],
                    found["grid_code"],
                    found["lon"],
                    found["lat"],
                    found["address"],
                    strict=True,
                )
            )
            names = INSERT_COLUMNS[:-1]  # the writer adds household_id
        else:
            insert.append(Same(None))  # household_id
        cells = self.tally.cells(
            found["grid_code"],
            stored_residence,
            found["sex"],
            found["birth_year"],
            stored_status,
            found["phone"],
            ids,
        )
        return Prepared(
            read=read,
            numbers=numbers,
            hashes=sealed[1],
            older=[tuple(crypto.lookup_hashes(i)[1:]) if i else () for i in ids]
            if self.rotating
            else None,
            cells=cells,
            rows=self.people.encode(names, insert),
            households=households,
            values=list(zip(*values, strict=True)) if self.mode == "update" else None,
            errors=errors,
        )


def _put(found: dict[str, list[Any]], i: int, out: dict[str, Any]) -> None:
    """Row ``i``'s values from the reference check (dates as the writer stores them)."""
    born = out["birth_date"]
    for name in _CHECKED_FIELDS:
        found[name][i] = out[name]
    found["birth_date"][i] = born.isoformat() if born else None
    found["birth_year"][i] = born.year if born else None


def _quick_text(
    texts: Sequence[str], limit: int, doubtful: set[int], *, required: bool = False
) -> list[str]:
    """Text cells ``_limited`` keeps as they are: printable (so the only white space is
    the plain space), no two spaces in a row, not too long (and not empty if required).
    One test over the whole column, cell by cell only when it fails."""
    joined = "|".join(texts)  # cells are stripped: no double space across a "|"
    if not (
        joined.isprintable()
        and "  " not in joined
        and max(map(len, texts), default=0) <= limit
        and (not required or all(texts))
    ):
        doubtful.update(
            i
            for i, t in enumerate(texts)
            if not (t.isprintable() and "  " not in t and len(t) <= limit and (t or not required))
        )
    return list(texts)


def _quick_label(texts: Sequence[str], lookup: Mapping[str, str], doubtful: set[int]) -> list[Any]:
    """Label cells found as typed (empty stays empty); others are checked in full."""
    found = list(map(lookup.get, texts))
    if None in found:
        doubtful.update(i for i, value in enumerate(found) if value is None)
    return found


def _quick_phones(texts: Sequence[str], doubtful: set[int]) -> list[str]:
    """Phone cells that are plain mobile numbers (or empty); others are checked in full."""
    plain = identity.plain_phones(texts)
    if not all(plain):
        doubtful.update(
            i for i, (t, ok) in enumerate(zip(texts, plain, strict=True)) if t and not ok
        )
    return list(texts)


def _quick_hukou(texts: Sequence[str], doubtful: set[int]) -> list[str]:
    """Division codes, each distinct code tested once (a file repeats a few thousand)."""
    valid = {text: not text or identity.valid_division_code(text) for text in set(texts)}
    if not all(valid.values()):
        doubtful.update(i for i, text in enumerate(texts) if not valid[text])
    return list(texts)


def _quick_coordinates(texts: Sequence[str], bound: float, doubtful: set[int]) -> list[Any]:
    """Coordinates as numbers within ±bound, None for an empty cell; others doubtful."""
    try:
        values: list[Any] = list(map(float, texts))
    except ValueError:
        values = [_float_or_nan(t) if t else None for t in texts]
    numbers = np.array([np.nan if v is None else v for v in values], dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~((numbers >= -bound) & (numbers <= bound))
    if bad.any():
        doubtful.update(i for i in np.flatnonzero(bad).tolist() if values[i] is not None)
    return values


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


# Text fields of a row and their length limits; label fields and what they accept.
_TEXT_LIMITS = {"name": 60, "ethnicity": 20, "address": 200, "household_no": 40}
_LABELS = {
    "sex": SEX_VALUES,
    "residence_type": RESIDENCE_VALUES,
    "status": STATUS_VALUES,
    "relation": RELATION_VALUES,
}
# What ``_put`` copies from the reference check as it is.
_CHECKED_FIELDS = (
    "name",
    "sex",
    "id_number",
    "phone",
    "ethnicity",
    "hukou_code",
    "residence_type",
    "status",
    "address",
    "household_no",
    "relation",
    "lon",
    "lat",
    "grid_code",
)

_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "id_number",
    "phone",
    "ethnicity",
    "hukou_code",
    "residence_type",
    "status",
    "address",
    "grid_code",
    "lon",
    "lat",
    "household_no",
    "relation",
)


# What a label column accepts, translated only when a row gets it wrong.
_EXPECTED = {
    "sex": gettext_lazy("男 or 女 (M or F)"),
    "residence_type": gettext_lazy("户籍, 流动 or 境外"),
    "status": gettext_lazy("在住, 迁出 or 死亡"),
    "relation": gettext_lazy("户主, 配偶, 子女 …"),
}


def _reason(exc: InvalidInput, field_name: str) -> str:
    return str(exc.details.get("fields", {}).get(field_name) or exc.message)


def _label(
    text: str, values: Mapping[str, str], field_name: str, problems: list, expected: Any
) -> str:
    if not text:
        return ""
    found = values.get(text) or values.get(text.lower())
    if found is None:
        problems.append(
            (
                field_name,
                _("unknown value %(value)s; expected %(expected)s")
                % {"value": text, "expected": expected},
            )
        )
        return ""
    return found


def _limited(text: str, limit: int, field_name: str, problems: list) -> str:
    """Text with runs of white space (line breaks typed in a cell) made one space, as the
    actions store it; too long or with control characters is a problem."""
    if _SPACES.search(text):
        text = " ".join(text.split())
    if len(text) > limit or (text and not text.isprintable()):
        problems.append((field_name, _("at most %(n)d printable characters") % {"n": limit}))
    return text


def _coordinate(text: str, field_name: str, bound: float, problems: list) -> float | None:
    if not text:
        problems.append((field_name, _("give both longitude and latitude")))
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append((field_name, _("not a number")))
        return None
    if not -bound <= value <= bound:
        problems.append((field_name, _("out of range")))
        return None
    return value


# --- writing ------------------------------------------------------------------------------


class Tally:
    """How many new people of each kind each grid got, in one array: a row falls in the
    cell of its (grid, residence type, sex, age band — or not living —, has a phone, has an
    ID number), the facts the roll-ups and the completeness of new people depend on. The
    worker processes number each row's cell (``cells``), the writer keeps those of the
    rows it wrote (``add``) and the totals are read once at the end (``measures``,
    ``person_items``): nothing per row in the importing process."""

    RESIDENCES = tuple(ResidenceType.values)
    SEXES = tuple(Sex.values)
    BANDS = (*identity.AGE_BAND_NAMES, identity.UNKNOWN_AGE_BAND)
    NOT_LIVING = len(BANDS)  # the band index of people counted nowhere
    FACTS = (len(RESIDENCES), len(SEXES), len(BANDS) + 1, 2, 2)

    def __init__(self, grids: Iterable[str], year: int) -> None:
        self.grids = sorted(grids)
        self.year = year
        self.grid_at = {grid: i for i, grid in enumerate(self.grids)}
        self.residence_at = {value: i for i, value in enumerate(self.RESIDENCES)}
        self.sex_at = {value: i for i, value in enumerate(self.SEXES)}
        self.band_at: dict[int | None, int] = {}
        self.parts: list[np.ndarray] = []
        self._counted: np.ndarray | None = None  # _totals, until more rows are added

    def cells(
        self,
        grids: Sequence[str],
        residences: Sequence[str],
        sexes: Sequence[str],
        birth_years: Sequence[int | None],
        statuses: Sequence[str],
        phones: Sequence[str],
        id_numbers: Sequence[str],
    ) -> np.ndarray:
        """The cell number of each row (stored values: residence and status defaulted)."""
        n = len(grids)
        for year in set(birth_years) - self.band_at.keys():
            self.band_at[year] = self.BANDS.index(rollups.band_of_birth_year(year, self.year))
        grid = np.fromiter(map(self.grid_at.__getitem__, grids), np.int64, n)
        residence = np.fromiter(map(self.residence_at.__getitem__, residences), np.int64, n)
        sex = np.fromiter(map(self.sex_at.__getitem__, sexes), np.int64, n)
        band = np.fromiter(map(self.band_at.__getitem__, birth_years), np.int64, n)
        living = np.fromiter((s == LIVING for s in statuses), bool, n)
        band[~living] = self.NOT_LIVING
        phone = np.fromiter(map(bool, phones), np.int64, n)
        id_number = np.fromiter(map(bool, id_numbers), np.int64, n)
        facts = np.ravel_multi_index((residence, sex, band, phone, id_number), self.FACTS)
        return grid * int(np.prod(self.FACTS)) + facts

    def add(self, cells: np.ndarray) -> None:
        self.parts.append(cells)
        self._counted = None

    def _totals(self) -> np.ndarray:
        """Counts by grid and facts: shape (grids, *FACTS)."""
        if self._counted is None:
            size = len(self.grids) * int(np.prod(self.FACTS))
            cells = np.concatenate(self.parts) if self.parts else np.zeros(0, np.int64)
            counts = np.bincount(cells, minlength=size)
            self._counted = counts.reshape(len(self.grids), *self.FACTS)
        return self._counted

    def touched(self) -> set[str]:
        """Grids given anybody, living or not."""
        totals = self._totals().reshape(len(self.grids), -1)
        return {self.grids[i] for i in np.flatnonzero(totals.any(axis=1)).tolist()}

    def measures(self, skip: set[str]) -> dict[str, Counter[str]]:
        """{grid: {measure: n}} of the new living people (``rollups.measures``, asked once
        per residence, sex and band with a birth year of that band), but for ``skip``."""
        living = self._totals()[:, :, :, : self.NOT_LIVING].sum(axis=(4, 5))
        band_years: dict[str, int | None] = {identity.UNKNOWN_AGE_BAND: None}
        for birth_year in range(self.year, self.year - 150, -1):
            band_years.setdefault(rollups.band_of_birth_year(birth_year, self.year), birth_year)
        by_measure: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(self.grids), int))
        for (r, residence), (s, sex), (b, band) in itertools.product(
            enumerate(self.RESIDENCES), enumerate(self.SEXES), enumerate(self.BANDS)
        ):
            state = {
                "status": LIVING,
                "residence_type": residence,
                "sex": sex,
                "birth_year": band_years[band],
            }
            for measure in rollups.measures(state, self.year).elements():
                by_measure[measure] += living[:, r, s, b]
        return self._by_grid(by_measure, skip)

    def person_items(self, skip: set[str]) -> dict[str, Counter[str]]:
        """{grid: completeness items} the new living people add, but for ``skip``."""
        living = self._totals()[:, :, :, : self.NOT_LIVING].sum(axis=(2, 3))
        by_kind: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(self.grids), int))
        for (r, residence), phone, id_number in itertools.product(
            enumerate(self.RESIDENCES), (0, 1), (0, 1)
        ):
            items = completeness.new_person_items(residence, bool(phone), bool(id_number))
            for kind, k in items.items():
                by_kind[kind] += k * living[:, r, phone, id_number]
        return self._by_grid(by_kind, skip)

    def _by_grid(
        self, columns: Mapping[str, np.ndarray], skip: set[str]
    ) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = defaultdict(Counter)
        for name, values in columns.items():
            for i in np.flatnonzero(values).tolist():
                if self.grids[i] not in skip:
                    out[self.grids[i]][name] = int(values[i])
        return out


class _Refused(Exception):
    """All-or-nothing import with rejected rows: roll the transaction back."""


class _Writer:
    """Decides what each prepared row does and writes it, inside the import transaction."""

    def __init__(
        self,
        actor: Any,
        options: ImportOptions,
        report: ImportReport,
        columns: ColumnMap,
        grids: Grids,
        now: dt.datetime,
        people: bulkwrite.BulkTable,
    ) -> None:
        self.actor = actor
        self.options = options
        self.report = report
        self.columns = columns
        self.grids = grids
        self.people = people  # the rows the workers encoded are written through it
        self.id_header = columns.header("id_number")
        self.seen: dict[str, int] = {}  # keyed hash → first row with it
        self.households: dict[str, int] = {}  # 户号 → household id
        self.new_households: list[int] = []
        self.touched: set[str] = set()
        self.recount: set[str] = set()  # grids whose counts an update changed
        self.tally = Tally(grids.allowed, rollups.current_year())
        self.household_grids: set[str] = set()  # grids of people given a household
        self.now = now
        self.stamp = connection.ops.adapt_datetimefield_value(now)
        self.params = bulkwrite.max_params()
        # New people's households are new households (ids that only grow) or none.
        self.deferred = bulkwrite.DeferredIndexes(Person._meta.db_table, keep=["household_id"])
        self.known: dict[str, int] | None = None  # every stored ID hash, in a bulk load
        self.failed = False

    def plan(self, expected_rows: int) -> None:
        """Called once the first piece is read. A load of at least BULK_LOAD_MIN_ROWS rows
        that is at least as large as the table is a bulk load: the stored ID hashes are
        read into memory (no look-ups needed) and the table's indexes are built once at
        the end instead of row by row (``bulkwrite.DeferredIndexes``)."""
        if expected_rows < BULK_LOAD_MIN_ROWS or expected_rows < Person.objects.count():
            return
        stored = Person.objects.exclude(id_number_hash="").values_list("id_number_hash", "pk")
        self.known = dict(stored.order_by().iterator(chunk_size=20_000))
        self.deferred.drop()

    def take(self, prepared: Prepared) -> None:
        report = self.report
        report.read += prepared.read
        rejected = {e.row for e in prepared.errors}
        report.errors.extend(prepared.errors)
        passed, updates = self._decide(prepared, rejected)
        report.rejected += len(rejected)
        if rejected and self.options.policy == "all_or_nothing":
            self.failed = True
        if self.failed:
            return  # keep checking the rest of the file for the report
        self._insert(prepared, passed)
        self._update(updates)

    def _decide(
        self, prepared: Prepared, rejected: set[int]
    ) -> tuple[set[int], list[tuple[tuple[Any, ...], dict[str, Any]]]]:
        """(positions of the rows not to create, updates as (values, stored person)).

        Only rows whose ID number is *doubtful* — seen before, registered, or twice in the
        piece — are decided one by one, in file order; the others (nearly all) are new,
        found by set operations and remembered at once."""
        existing = self._existing(prepared)
        hashes, numbers = prepared.hashes, prepared.numbers
        doubtful = self._doubtful(prepared, existing)
        first_seen = {key: self.seen[key] for key in doubtful if key in self.seen}
        self.seen.update(zip(hashes, numbers, strict=True))
        for key in ("", *doubtful):
            self.seen.pop(key, None)
        self.seen.update(first_seen)
        positions = [i for i, key in enumerate(hashes) if key in doubtful] if doubtful else []
        self.report.valid += len(hashes) - len(positions)
        passed: set[int] = set()
        updates: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        mode = self.options.mode
        for i in positions:
            number, key = numbers[i], hashes[i]
            first = self.seen.get(key)
            if first is not None:
                if mode == "skip":
                    self._skip()
                else:
                    self._reject(
                        number, _("the same ID number as row %(row)d") % {"row": first}, rejected
                    )
                passed.add(i)
                continue
            self.seen[key] = number
            older = prepared.older[i] if prepared.older else ()
            match = existing.get(key) or next((existing[h] for h in older if h in existing), None)
            if match is None:
                self.report.valid += 1
                continue
            passed.add(i)
            if mode == "skip":
                self._skip()
            elif mode == "create":
                self._reject(number, _("already registered"), rejected)
            elif match["grid_code"] not in self.grids.allowed:
                self._reject(number, _("already registered in a grid you may not change"), rejected)
            else:
                assert prepared.values is not None  # prepared in update mode
                updates.append((prepared.values[i], match))
                self.report.valid += 1
        return passed, updates

    def _doubtful(self, prepared: Prepared, existing: Mapping[str, Any]) -> set[str]:
        """The piece's ID hashes seen before in the file, registered, or there twice
        (every one while keys are rotated: a row may match by a retired key's hash)."""
        keys = set(prepared.hashes)
        keys.discard("")
        if prepared.older:
            return keys
        doubtful = (keys & self.seen.keys()) | (keys & existing.keys())
        if len(keys) != len(prepared.hashes) - prepared.hashes.count(""):
            doubtful.update(key for key, n in Counter(prepared.hashes).items() if n > 1 and key)
        return doubtful

    def _skip(self) -> None:
        self.report.skipped += 1
        self.report.valid += 1

    def _reject(self, number: int, reason: str, rejected: set[int]) -> None:
        self.report.errors.append(RowError(number, self.id_header, reason))
        rejected.add(number)

    def _existing(self, prepared: Prepared) -> dict[str, dict[str, Any]]:
        """People already registered under the piece's ID numbers, by keyed hash (with
        what an update needs to know of them in update mode)."""
        hashes = set(prepared.hashes)
        for older in prepared.older or ():
            hashes.update(older)
        hashes.discard("")
        if self.known is not None:
            pks = [self.known[h] for h in self.known.keys() & hashes]
            return self._fetch("pk__in", pks) if pks else {}
        return self._fetch("id_number_hash__in", sorted(hashes))

    def _fetch(self, lookup: str, keys: list[Any]) -> dict[str, dict[str, Any]]:
        update = self.options.mode == "update"
        fields = ("pk", *UPDATABLE, "status_date") if update else ("id_number_hash",)
        found: dict[str, dict[str, Any]] = {}
        for batch in bulkwrite.chunks(keys, self.params):
            # The explicit non-empty test lets the partial unique index serve the look-up.
            rows = Person.objects.filter(**{lookup: batch}).exclude(id_number_hash="")
            for row in rows.values(*fields).order_by():
                if update:
                    for blob in ("id_number_enc", "phone_enc"):
                        row[blob] = bytes(row[blob]) if row[blob] is not None else None
                found[row["id_number_hash"]] = row
        return found

    def _insert(self, prepared: Prepared, passed: set[int]) -> None:
        """Write the piece's new people (all its rows but ``passed``) and count them."""
        households, cells, keep = prepared.households, prepared.cells, None
        if passed:
            keep = [i for i in range(prepared.rows.size) if i not in passed]
            cells = cells[keep]
            households = [households[i] for i in keep] if households is not None else None
        extra = None
        if households is not None:
            self.household_grids.update(seed[1] for seed in households if seed[0])
            extra = ("household_id", self._household_ids(households))
        self.report.created += self.people.write(prepared.rows, keep=keep, extra=extra)
        self.tally.add(cells)

    def _household_ids(self, seeds: list[HouseholdSeed]) -> list[int | None]:
        """The household id of each new person: the households their 户号 stand for,
        created (one statement) where a number first appears, at its first member's
        address and grid."""
        new: dict[str, Household] = {}
        for household_no, grid, lon, lat, address in seeds:
            if household_no and household_no not in self.households and household_no not in new:
                new[household_no] = Household(
                    grid_code=grid,
                    lon=lon,
                    lat=lat,
                    address=address or household_no,
                    created_at=self.now,
                )
        Household.objects.bulk_create(new.values(), batch_size=500)
        for household_no, household in new.items():
            self.households[household_no] = household.pk
            self.new_households.append(household.pk)
        return [self.households[seed[0]] if seed[0] else None for seed in seeds]

    def _update(self, updates: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> None:
        if not updates:
            return
        present = {f for f in self.columns.index} | {"grid_code"}
        rows = []
        for values, old in updates:
            merged = {}
            for name in UPDATABLE:
                new = values[_AT[name]]
                field_name = _SOURCE_FIELD.get(name, name)
                keep = field_name not in present or new in ("", None)
                merged[name] = old[name] if keep else new
            self._reseal_kept_phone(merged, old, values)
            status_date = old["status_date"]
            if merged["status"] != old["status"]:
                status_date = self.now.date().isoformat()
            rows.append((*(merged[n] for n in UPDATABLE), status_date, self.stamp, old["pk"]))
            self.touched.update((old["grid_code"], merged["grid_code"]))
            self.recount.update((old["grid_code"], merged["grid_code"]))
            if old["grid_code"] != merged["grid_code"]:
                CareTag.objects.filter(person_id=old["pk"]).update(grid_code=merged["grid_code"])
        table = bulkwrite.quote(Person._meta.db_table)
        assignments = ", ".join(
            f"{bulkwrite.quote(n)} = %s" for n in (*UPDATABLE, "status_date", "updated_at")
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {assignments}, version = version + 1 WHERE id = %s",  # noqa: S608
                rows,
            )
        self.report.updated += len(rows)

    def _reseal_kept_phone(
        self, merged: dict[str, Any], old: dict[str, Any], values: tuple
    ) -> None:
        """A row never mixes keys: an old phone kept beside a newly sealed ID number is
        sealed again under the current key."""
        if merged["key_id"] == old["key_id"] or merged["phone_hash"] != old["phone_hash"]:
            return
        if not old["phone_enc"]:
            return
        phone = crypto.decrypt(bytes(old["phone_enc"]), old["key_id"])
        id_number = (
            crypto.decrypt(bytes(merged["id_number_enc"]), merged["key_id"])
            if merged["id_number_enc"]
            else ""
        )
        merged.update(privacy.seal_person_numbers(id_number, phone))

    def finish(self) -> None:
        """Indexes back, household heads, roll-ups, completeness, the audit event."""
        timings = self.report.timings
        with timings.phase("indexes"):
            if self.deferred.active:
                self.deferred.restore()
        self.touched |= self.tally.touched()
        with timings.phase("rollups"):
            self._set_heads()
            self._apply_counts()
        with timings.phase("completeness"):
            self._apply_completeness()
        self.report.grids = len(self.touched)
        self.report.written = True
        record(
            "registry.import",
            actor=self.actor,
            object_type="registry.person",
            object_repr=self.report.file_name[:200],
            grid_code=codes.covering_code(self.touched),
            changes={
                "file": self.report.file_name,
                "mode": self.options.mode,
                "policy": self.options.policy,
                **self.report.counts(),
                "grids": len(self.touched),
            },
        )

    def _set_heads(self) -> None:
        """Each new household's head is its (first) member whose relation is 户主."""
        heads: dict[int, int] = {}
        for batch in bulkwrite.chunks(self.new_households, self.params):
            members = Person.objects.filter(household_id__in=batch, relation="head")
            for household_id, pk in members.values_list("household_id", "pk").order_by("pk"):
                heads.setdefault(household_id, pk)
        table = bulkwrite.quote(Household._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET head_id = %s WHERE id = %s",  # noqa: S608
                [(pk, household_id) for household_id, pk in heads.items()],
            )

    def _apply_counts(self) -> None:
        """Created people add to their grids' counts; grids an update touched are
        recounted from the people themselves (a person may have moved, or carry tags)."""
        if self.recount:
            rollups.recount(self.recount)
        rollups.add_counts(self.tally.measures(skip=self.recount))

    def _apply_completeness(self) -> None:
        """New people without a household add their items to their grids' completeness;
        grids where an update changed people or new households were formed are measured
        again in full."""
        exact = self.recount | self.household_grids
        completeness.refresh(exact)
        completeness.add(self.tally.person_items(skip=exact))


# File column ("field" of columns.py) each stored column comes from, where they differ.
_SOURCE_FIELD = {
    "birth_year": "birth_date",
    "id_number_enc": "id_number",
    "id_number_hash": "id_number",
    "id_number_masked": "id_number",
    "key_id": "id_number",
    "phone_enc": "phone",
    "phone_hash": "phone",
    "phone_masked": "phone",
}
DEFAULTS = {"residence_type": "registered", "status": LIVING}


# --- the action ---------------------------------------------------------------------------

Progress = Callable[[int, int, str], None]  # (done, total, unit)


def import_people(
    path: str | os.PathLike[str],
    *,
    actor: Any,
    options: ImportOptions | None = None,
    file_name: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the people of a CSV or XLSX file (see the module docstring). Raises
    InvalidInput before reading any row when the file or its columns cannot be used;
    otherwise returns the report, with ``written`` telling whether anything was stored."""
    options = options or ImportOptions()
    scope.require(actor, IMPORT, options.scope_code or None)
    started = time.perf_counter()
    path = Path(path)
    report = ImportReport(file_name or path.name, options.mode, options.policy)
    with readers.open_table(path, encoding=options.encoding) as table, _gc_paused():
        columns = resolve_columns(table.headers, options.mapping)
        report.encoding = table.encoding
        report.ignored_columns = columns.ignored
        grids = Grids.load(actor, options.scope_code, locate=columns.has("lon"))
        now = timezone.now()
        preparer = RowPreparer(columns, grids, mode=options.mode, now=now)
        with _prepared(preparer, table) as pieces, bulkwrite.import_pragmas():
            try:
                with transaction.atomic():
                    writer = _Writer(actor, options, report, columns, grids, now, preparer.people)
                    for prepared in _waited(pieces, report.timings):
                        if report.read == 0:
                            with report.timings.phase("plan"):
                                writer.plan(_expected_rows(table, prepared.read))
                        with report.timings.phase("write"):
                            writer.take(prepared)
                        if progress:
                            progress(table.progress(), table.size, table.unit)
                    if writer.failed:
                        raise _Refused
                    writer.finish()
            except _Refused:
                report.created = report.updated = 0
                report.written = False
    report.errors.sort(key=lambda e: e.row)
    report.seconds = time.perf_counter() - started
    return report


def _waited(pieces: Iterator[Prepared], timings: Timings) -> Iterator[Prepared]:
    """The pieces, timing how long the writer waits for each ("prepare")."""
    while True:
        with timings.phase("prepare"):
            prepared = next(pieces, None)
        if prepared is None:
            return
        yield prepared


def _expected_rows(table: readers.Table, first_piece_rows: int) -> int:
    """Rows the whole file seems to hold, judged from how far the first piece got."""
    done = table.progress()
    if table.unit == "rows" or not done:
        return table.size
    return int(first_piece_rows * table.size / done)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while millions of tuples are made: the collector
    would walk them again and again (it costs a third of the run) and they hold no
    cycles; one collection afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()


# --- preparing in worker processes --------------------------------------------------------

PARALLEL_MIN_ROWS = 50_000  # smaller files are prepared in the importing process
MAX_WORKERS = 4
_BYTES_PER_ROW = 120  # a people CSV row, for guessing a file's size in rows
_worker_preparer: RowPreparer | None = None  # set before the workers are forked


def _workers_for(table: readers.Table) -> int:
    rows = table.size if table.unit == "rows" else table.size // _BYTES_PER_ROW
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if rows < PARALLEL_MIN_ROWS or (cores or 1) < 2 or "fork" not in mp.get_all_start_methods():
        return 0
    return min(cores or 1, MAX_WORKERS)


def _prepare_piece(piece: readers.Piece) -> Prepared | tuple[str, dict[str, Any]]:
    """In a worker: parse, check and seal one piece (an unusable piece comes back as a
    message and details, which pickle better than the exception)."""
    assert _worker_preparer is not None
    try:
        return _worker_preparer.prepare(readers.rows_of(piece))
    except InvalidInput as exc:
        return (exc.message, exc.details)


@contextmanager
def _prepared(preparer: RowPreparer, table: readers.Table) -> Iterator[Iterator[Prepared]]:
    """The file's pieces, prepared — in worker processes when the file is large, so
    checking and sealing run on every core while this process writes. Workers are
    forked: they inherit the loaded grids, locate index and key ring, and never touch
    the database."""
    global _worker_preparer
    workers = _workers_for(table)
    if not workers:
        yield (preparer.prepare(readers.rows_of(piece)) for piece in table.pieces)
        return
    _worker_preparer = preparer
    pool = mp.get_context("fork").Pool(workers)
    try:
        yield _in_order(pool, table.pieces, depth=2 * workers)
    finally:
        pool.terminate()
        pool.join()
        _worker_preparer = None


def _in_order(pool: Any, pieces: Iterator[readers.Piece], depth: int) -> Iterator[Prepared]:
    """Results in file order, with at most ``depth`` pieces in flight (memory stays
    bounded however far the reader could run ahead)."""
    pending: deque[Any] = deque()
    for piece in pieces:
        pending.append(pool.apply_async(_prepare_piece, (piece,)))
        if len(pending) >= depth:
            yield _unpacked(pending.popleft().get())
    while pending:
        yield _unpacked(pending.popleft().get())


def _unpacked(result: Prepared | tuple[str, dict[str, Any]]) -> Prepared:
    if isinstance(result, Prepared):
        return result
    message, details = result
    raise InvalidInput(message, details=details)
