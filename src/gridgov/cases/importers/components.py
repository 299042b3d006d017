"""Importing components from CSV (UTF-8, GBK, GB18030), XLSX and GeoJSON files.

``import_components(path, actor=…, options=…)`` is the import action: one transaction,
``components.edit`` over every row's grid, one audit event with the counts. It follows the
people import's rules (``gridgov.registry.importers``) and reuses its options, report and
readers:

- Columns are matched by their Chinese headers and the aliases of real files
  (``COLUMNS``); an explicit ``{file header: field}`` mapping covers the rest. A GeoJSON
  file's features are its rows (numbered from 1) and their properties its columns, the
  Point geometry giving 经度/纬度.
- Every row is checked with the rules of ``actions.components`` (class, ID, department,
  state, dates, the grid — or the grid holding the point — inside the importer's scope).
- A row whose ID is already registered is refused (mode ``create``), updates that
  component from its non-empty cells (``update``; an unknown ID creates one) or is
  skipped (``skip``). A row without an ID gets the next serial of its county and class.
- ``all_or_nothing``: any rejected row and nothing is written; ``skip_invalid``: the valid
  rows are written. The report names each problem by row, the file's column and reason.
"""

from __future__ import annotations

import codecs
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts import scope
from gridgov.audit.actions import record
from gridgov.cases.actions import components as actions
from gridgov.cases.models import Component, ComponentState
from gridgov.core.errors import InvalidInput
from gridgov.registry import readers
from gridgov.registry.columns import Column, ColumnMap, ColumnTable, resolve_columns
from gridgov.registry.importers import ImportOptions, ImportReport, RowError
from gridgov.territory import codes, locating
from gridgov.territory.models import Region

EDIT = actions.EDIT
JOB_KIND = "components"
BATCH = 1000
MAX_GEOJSON_BYTES = 200 << 20

COLUMNS: tuple[Column, ...] = (
    Column(
        "component_id",
        "部件编码",
        gettext_lazy("component ID"),
        ("id", "部件标识码", "部件编号", "部件代码", "标识码", "编码", "bjbm"),
        "4113020101000001",
        "16位；新部件可空，自动编号",
    ),
    Column(
        "case_class",
        "小类代码",
        gettext_lazy("class"),
        ("class", "class_code", "部件小类", "小类", "小类编码", "部件小类代码", "部件类型", "类别"),
        "0101",
        "4位小类代码或小类名称；有部件编码时可空",
    ),
    Column("name", "部件名称", gettext_lazy("name"), ("名称", "部件名"), "上水井盖", "必填"),
    Column(
        "competent_department",
        "主管部门",
        gettext_lazy("competent department"),
        ("department", "主管单位", "主管部门名称"),
        "南阳市供水总公司",
        "部门名称或代码",
    ),
    Column(
        "owner",
        "权属单位",
        gettext_lazy("owner"),
        ("权属部门", "产权单位", "所有者"),
        "南阳市供水总公司",
    ),
    Column(
        "maintainer",
        "养护单位",
        gettext_lazy("maintainer"),
        ("维护单位", "养护部门", "管理单位"),
        "宛城区城市管理局",
    ),
    Column(
        "state",
        "部件状态",
        gettext_lazy("state"),
        ("status", "状态", "现状"),
        "完好",
        "完好/破损/丢失/占用；空为完好",
    ),
    Column(
        "grid_code",
        "网格编码",
        gettext_lazy("grid code"),
        ("grid", "所属网格", "单元网格", "网格代码", "单元网格编码", "网格"),
        "411302001001001",
        "15位；可空，由经纬度定位",
    ),
    Column("lon", "经度", gettext_lazy("longitude"), ("lng", "longitude", "x"), "112.5431"),
    Column("lat", "纬度", gettext_lazy("latitude"), ("latitude", "y"), "33.0012"),
    Column(
        "surveyed_on",
        "普查日期",
        gettext_lazy("surveyed on"),
        ("调查日期", "采集日期", "初始日期"),
        "2024-05-20",
        "YYYY-MM-DD",
    ),
    Column(
        "changed_on",
        "变更日期",
        gettext_lazy("last changed on"),
        ("最后变更日期", "更新日期"),
        "2024-06-01",
        "YYYY-MM-DD",
    ),
    Column(
        "data_source",
        "数据来源",
        gettext_lazy("data source"),
        ("source", "来源"),
        "2024年部件普查",
    ),
    Column("note", "备注", gettext_lazy("note"), ("remark", "说明"), ""),
)
FIELDS = tuple(c.field for c in COLUMNS)
BY_FIELD = {c.field: c for c in COLUMNS}
# Cells copied into an update when not empty (the ID and the class are fixed).
UPDATED_BY_FILE = (
    "name",
    "competent_department",
    "owner",
    "maintainer",
    "state",
    "surveyed_on",
    "changed_on",
    "data_source",
    "note",
)


def _required(columns: ColumnMap) -> dict[str, str]:
    """A name, a class (or an ID, whose digits 7–10 are the class) and a place — or, for
    updates of registered components, the ID alone."""
    missing: dict[str, str] = {}
    if not columns.has("name"):
        missing[BY_FIELD["name"].header] = _("a name column is required")
    if not (columns.has("case_class") or columns.has("component_id")):
        missing[BY_FIELD["case_class"].header] = _("a class or a component ID column is required")
    if not (columns.has("grid_code") or (columns.has("lon") and columns.has("lat"))):
        missing[BY_FIELD["grid_code"].header] = _(
            "a grid code column, or longitude and latitude columns, is required"
        )
    return missing


def _required_for_update(columns: ColumnMap) -> dict[str, str]:
    if columns.has("component_id"):
        return {}
    return _required(columns)


TABLE = ColumnTable(
    COLUMNS,
    _required,
    gettext_lazy("The file's columns do not fit a component import: %(problems)s"),
)
UPDATE_TABLE = ColumnTable(COLUMNS, _required_for_update, TABLE.mismatch)


# --- reading files ------------------------------------------------------------------------


@dataclass
class Source:
    """An open file: kind, encoding, headers and its rows as (row number, cells)."""

    kind: str  # csv, xlsx or geojson
    encoding: str
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    size: int
    unit: str
    progress: Callable[[], int]


def _is_geojson(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(64).removeprefix(codecs.BOM_UTF8).lstrip()
    return head.startswith(b"{")


@contextmanager
def open_source(path: str | Path, *, encoding: str = "auto") -> Iterator[Source]:
    """A CSV or XLSX file (through the registry's readers) or a GeoJSON FeatureCollection,
    told apart by content."""
    path = Path(path)
    if _is_geojson(path):
        yield _geojson_source(path)
        return
    with readers.open_table(path, encoding=encoding) as table:
        yield Source(
            table.kind,
            table.encoding,
            table.headers,
            table.rows(),
            table.size,
            table.unit,
            table.progress,
        )


def _geojson_source(path: Path) -> Source:
    if path.stat().st_size > MAX_GEOJSON_BYTES:
        raise InvalidInput(
            _("The GeoJSON file is larger than %(n)d MB; split it.")
            % {"n": MAX_GEOJSON_BYTES >> 20},
            fields={"file": _("too large")},
        )
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(
            _("The file is not valid GeoJSON: %(reason)s") % {"reason": exc},
            fields={"file": _("not GeoJSON")},
        ) from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise InvalidInput(
            _("The GeoJSON file has no FeatureCollection."), fields={"file": _("not GeoJSON")}
        )
    headers = ["lon", "lat", "__geometry__"]
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        for key in properties or {}:
            if str(key) not in headers:
                headers.append(str(key))
    done = [0]

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, feature in enumerate(features, start=1):
            done[0] = number
            yield number, _feature_cells(feature, headers)

    return Source("geojson", "utf-8", headers, rows(), len(features), "rows", lambda: done[0])


def _feature_cells(feature: Any, headers: list[str]) -> list[str]:
    """A feature as cells under ``headers``: lon, lat, a geometry problem, properties."""
    if not isinstance(feature, dict):
        return ["", "", "not a feature", *[""] * (len(headers) - 3)]
    properties = feature.get("properties") or {}
    geometry = feature.get("geometry")
    lon = lat = problem = ""
    if isinstance(geometry, dict):
        coordinates = geometry.get("coordinates")
        if (
            geometry.get("type") == "Point"
            and isinstance(coordinates, list)
            and len(coordinates) >= 2
        ):
            lon, lat = (readers.cell_text(v) for v in coordinates[:2])
        else:
            problem = "point"
    cells = [lon, lat, problem]
    for key in headers[3:]:
        value = properties.get(key)
        cells.append(value if isinstance(value, str) else readers.cell_text(value))
    return cells


# --- checking rows ------------------------------------------------------------------------


@dataclass
class Row:
    number: int
    values: dict[str, Any]  # cleaned fields present in the file
    component_id: str  # as given ("" when to be allocated)
    grid_code: str | None  # None: to be located from lon/lat
    existing: Component | None = None


class _Checker:
    """Checks rows against the actions' rules; collects problems as RowErrors."""

    def __init__(self, columns: ColumnMap, options: ImportOptions, actor: Any) -> None:
        self.columns = columns
        self.options = options
        self.refs = actions.References()
        self.width = max(columns.index.values(), default=-1) + 1
        prefixes = tuple(scope.scope_codes(actor, EDIT))
        self.allowed = lambda grid: (
            grid.startswith(prefixes) and grid.startswith(options.scope_code)
        )
        self.grids: set[str] = set(
            Region.objects.filter(level=codes.GRID).values_list("code", flat=True)
        )

    def cells(self, cells: list[str]) -> dict[str, str]:
        return {f: cells[i] if i < len(cells) else "" for f, i in self.columns.index.items()}

    def check(
        self, number: int, cells: dict[str, str], existing: Component | None
    ) -> tuple[Row | None, list[tuple[str, str]]]:
        problems: list[tuple[str, str]] = []
        if cells.pop("__geometry__", ""):
            problems.append(("lon", _("only Point features are imported")))
        if existing is not None:
            return self._update(number, cells, existing, problems)
        data: dict[str, Any] = {f: cells[f] for f in actions.TEXT_LIMITS if f in cells}
        data["name"] = cells.get("name", "")
        for field in ("competent_department", "state", "surveyed_on", "changed_on", "note"):
            if field in cells:
                data[field] = cells[field]
        given_id = cells.get("component_id", "")
        class_text = cells.get("case_class", "") or (given_id[6:10] if len(given_id) == 16 else "")
        data["case_class"] = class_text
        values = actions.clean_fields(data, self.refs, problems)
        grid = self._place(cells, values, problems)
        if given_id:
            _id, id_problems = actions.check_component_id(
                given_id, values.get("case_class"), grid, self.refs
            )
            problems.extend(id_problems)
        return Row(number, values, given_id, grid), problems

    def _update(
        self,
        number: int,
        cells: dict[str, str],
        existing: Component,
        problems: list[tuple[str, str]],
    ) -> tuple[Row | None, list[tuple[str, str]]]:
        if not self.allowed(existing.grid_code):
            problems.append(("component_id", _("no component with this ID in your area")))
            return None, problems
        data = {f: cells[f] for f in UPDATED_BY_FILE if cells.get(f)}
        values = actions.clean_fields(data, self.refs, problems)
        class_text = cells.get("case_class", "")
        if class_text:
            found = self.refs.case_class(class_text, problems)
            if found is not None and found.pk != existing.case_class_id:
                problems.append(
                    ("case_class", _("the class is part of the component ID and cannot change"))
                )
        grid: str | None = existing.grid_code
        if cells.get("grid_code") or cells.get("lon") or cells.get("lat"):
            grid = self._place(cells, values, problems)
        if values.get("lon") is None:  # no new point: the stored one stays
            values.pop("lon", None)
            values.pop("lat", None)
        return Row(number, values, existing.component_id, grid, existing), problems

    def _place(
        self, cells: dict[str, str], values: dict[str, Any], problems: list[tuple[str, str]]
    ) -> str | None:
        """The grid as given (14-digit legacy codes widened), or None to locate the point."""
        lon = actions.parse_coordinate(cells.get("lon", ""), "lon", problems)
        lat = actions.parse_coordinate(cells.get("lat", ""), "lat", problems)
        if (lon is None) != (lat is None):
            problems.append(
                ("lat" if lat is None else "lon", _("give both longitude and latitude"))
            )
        values["lon"], values["lat"] = lon, lat
        grid = cells.get("grid_code", "")
        if grid:
            if grid.isdigit() and len(grid) == codes.LEGACY_GRID_LENGTH:
                grid = codes.normalize_grid_code(grid)
            if not (grid.isdigit() and len(grid) == 15):
                problems.append(("grid_code", _("a unit grid code has 15 digits")))
            elif grid not in self.grids or not self.allowed(grid):
                problems.append(("grid_code", _("no unit grid with this code in your area")))
            return grid
        if lon is None or lat is None:
            if not any(f in ("lon", "lat") for f, _r in problems):
                problems.append(("grid_code", _("give a grid code or coordinates")))
            return ""
        return None


# --- the import ---------------------------------------------------------------------------


def import_components(
    path: str | Path,
    *,
    actor: Any,
    options: ImportOptions | dict[str, Any] | None = None,
    file_name: str = "",
    progress: Callable[..., None] | None = None,
) -> ImportReport:
    """Import a component file (see the module doc); the report says what happened."""
    opts = options if isinstance(options, ImportOptions) else ImportOptions.parse(options)
    scope.require(actor, EDIT, opts.scope_code or None)
    started = time.perf_counter()
    name = file_name or Path(path).name
    report = ImportReport(file_name=name, mode=opts.mode, policy=opts.policy)
    with open_source(path, encoding=opts.encoding) as source:
        report.encoding = source.encoding
        table = UPDATE_TABLE if opts.mode == "update" else TABLE
        columns = resolve_columns(source.headers, opts.mapping, table=table)
        if source.kind == "geojson":
            columns.index["__geometry__"] = source.headers.index("__geometry__")
            columns.ignored = [h for h in columns.ignored if h != "__geometry__"]
        report.ignored_columns = columns.ignored
        checker = _Checker(columns, opts, actor)
        with transaction.atomic():
            rows = _checked(source, checker, report, progress)
            if report.errors and opts.policy == "all_or_nothing":
                report.created = report.updated = 0
            else:
                _write(rows, actor, report)
                report.written = True
                record(
                    "components.import",
                    actor=actor,
                    object_type="cases.component",
                    object_repr=name,
                    grid_code=opts.scope_code,
                    changes={
                        **report.counts(),
                        "file": name,
                        "mode": opts.mode,
                        "policy": opts.policy,
                    },
                )
        if progress:
            progress(source.progress(), source.size, source.unit)
    report.grids = len({r.grid_code for r in rows if r.grid_code}) if report.written else 0
    report.seconds = time.perf_counter() - started
    return report


def _checked(
    source: Source,
    checker: _Checker,
    report: ImportReport,
    progress: Callable[..., None] | None,
) -> list[Row]:
    """Every row checked, existing IDs looked up, points located: the rows to write."""
    header = checker.columns.header
    batch: list[tuple[int, dict[str, str]]] = []
    good: list[Row] = []
    seen: dict[str, int] = {}

    def flush() -> None:
        given = [cells.get("component_id", "") for _n, cells in batch]
        existing = {
            c.component_id: c
            for c in Component.objects.filter(component_id__in=[g for g in given if g])
        }
        for number, cells in batch:
            report.read += 1
            given_id = cells.get("component_id", "")
            if given_id and given_id in seen:
                reason = _("the same component ID as row %(row)d") % {"row": seen[given_id]}
                _reject(report, number, header("component_id"), reason)
                continue
            if given_id:
                seen[given_id] = number
            found = existing.get(given_id)
            if found is not None and checker.options.mode == "skip":
                report.skipped += 1
                continue
            if found is not None and checker.options.mode == "create":
                _reject(report, number, header("component_id"), _("already registered"))
                continue
            row, problems = checker.check(number, cells, found)
            if problems or row is None:
                for field, reason in problems:
                    _reject(report, number, header(field), reason, count=False)
                report.rejected += 1
                continue
            good.append(row)
        batch.clear()
        if progress:
            progress(source.progress(), source.size, source.unit)

    for number, cells in source.rows:
        batch.append((number, checker.cells(cells)))
        if len(batch) >= BATCH:
            flush()
    flush()
    _locate(good, checker, report)
    report.valid = len(good) + report.skipped
    return good


def _reject(
    report: ImportReport, number: int, column: str, reason: str, *, count: bool = True
) -> None:
    report.errors.append(RowError(number, column, str(reason)))
    if count:
        report.rejected += 1


def _locate(rows: list[Row], checker: _Checker, report: ImportReport) -> None:
    """Grids of the rows given by coordinates only, located in batches."""
    pending = [r for r in rows if r.grid_code is None]
    header = checker.columns.header
    for start in range(0, len(pending), locating.MAX_BATCH):
        chunk = pending[start : start + locating.MAX_BATCH]
        found = locating.locate_many(
            [r.values["lon"] for r in chunk], [r.values["lat"] for r in chunk]
        )
        for row, grid in zip(chunk, found, strict=True):
            if grid is None or not checker.allowed(grid):
                reason = (
                    _("the point lies outside every grid of the city")
                    if grid is None
                    else _("the point lies in a grid outside your area")
                )
                _reject(report, row.number, header("lon"), reason)
                row.grid_code = ""
                continue
            row.grid_code = grid
            if row.component_id and not row.component_id.startswith(grid[:6]):
                _reject(
                    report,
                    row.number,
                    header("component_id"),
                    _("digits 1–6 (%(code)s) are not the county of the grid %(grid)s")
                    % {"code": row.component_id[:6], "grid": grid},
                )
                row.grid_code = ""
    rows[:] = [r for r in rows if r.grid_code]


def _write(rows: list[Row], actor: Any, report: ImportReport) -> None:
    today = timezone.localdate()
    creates = [r for r in rows if r.existing is None]
    updates = [r for r in rows if r.existing is not None]
    _allocate(creates)
    new = [
        Component(
            component_id=r.component_id,
            grid_code=r.grid_code or "",
            changed_on=r.values.pop("changed_on", None) or today,
            **{"state": ComponentState.INTACT, **r.values},
        )
        for r in creates
    ]
    Component.objects.bulk_create(new, batch_size=BATCH)
    report.created = len(new)
    deltas: Counter[actions.CountKey] = Counter(
        found for c in new if (found := actions.count_key(c.__dict__))
    )
    fields = {"version", "changed_on", "updated_at", "grid_code"}
    now = timezone.now()
    for r in updates:
        component = r.existing
        assert component is not None
        before = actions.count_key(component.__dict__)
        for key, value in r.values.items():
            setattr(component, key, value)
        fields.update(r.values)
        component.grid_code = r.grid_code or component.grid_code
        component.changed_on = r.values.get("changed_on") or today
        component.version += 1
        component.updated_at = now
        deltas.update(actions.moved(before, actions.count_key(component.__dict__)))
    if updates:
        Component.objects.bulk_update(
            [r.existing for r in updates if r.existing is not None],
            sorted(fields),
            batch_size=BATCH,
        )
    report.updated = len(updates)
    actions.add_counts(deltas)


def _allocate(rows: Sequence[Row]) -> None:
    """IDs for the new rows without one: the next serials of each county and class."""
    waiting: dict[str, list[Row]] = defaultdict(list)
    given: dict[str, str] = {}  # prefix → the highest ID the file itself gives
    for row in rows:
        if row.component_id:
            prefix = row.component_id[:10]
            given[prefix] = max(given.get(prefix, ""), row.component_id)
        else:
            waiting[actions.id_prefix(row.grid_code or "", row.values["case_class"])].append(row)
    for prefix in sorted(waiting):  # one lock order for every import: no deadlocks
        allocated = actions.allocate_ids(prefix, len(waiting[prefix]), after=given.get(prefix, ""))
        for row, component_id in zip(waiting[prefix], allocated, strict=True):
            row.component_id = component_id
