"""Component imports (CSV UTF-8 and GBK, XLSX, GeoJSON) and exports, round trips."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gridgov.audit.models import AuditEvent
from gridgov.cases.exports import components as exports
from gridgov.cases.importers.components import import_components
from gridgov.cases.models import Component, ComponentState
from gridgov.cases.tests.component_fixtures import (
    COUNTY,
    GRID,
    GRID_2,
    POINT_IN_GRID,
    POINT_IN_SIBLING,
    SIBLING_GRID,
    TOWNSHIP,
    Ctx,
    _english,
    _fresh_locate_index,
    ctx,
    row,
    write_csv,
    write_xlsx,
)
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.registry import spreadsheets

__all__ = ["_english", "_fresh_locate_index", "ctx"]


def bad_and_good_rows(ctx: Ctx) -> list[list[object]]:
    return [
        row("上水井盖1"),  # row 2: good, ID generated
        row("路灯1", class_code="0110", lon=POINT_IN_GRID[0], lat=POINT_IN_GRID[1], grid=""),
        row("", class_code="0101"),  # row 4: no name
        row("井盖", class_code="9999"),  # row 5: unknown class
        row("井盖", grid=SIBLING_GRID),  # row 6: a grid outside the importer's area
        row("井盖", component_id="4113030101000001"),  # row 7: ID of another county
        row("上水井盖2", component_id=f"{COUNTY}0101000007", department=ctx.department.name),
        row("井盖", grid="", lon=POINT_IN_SIBLING[0], lat=POINT_IN_SIBLING[1]),  # row 9
        row("井盖", state="坏了"),  # row 10: unknown state
    ]


GOOD_ROWS = 3


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_all_or_nothing_writes_nothing_and_reports_every_bad_row(
    ctx: Ctx, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "bad.csv", bad_and_good_rows(ctx), encoding=encoding)
    report = import_components(path, actor=ctx.township)
    assert not report.written
    assert not Component.objects.exists()
    assert not AuditEvent.objects.filter(action="components.import").exists()
    assert report.encoding == ("utf-8" if encoding == "utf-8-sig" else "gb18030")
    by_row = {(e.row, e.column) for e in report.errors}
    assert by_row == {
        (4, "部件名称"),
        (5, "小类代码"),
        (6, "网格编码"),
        (7, "部件编码"),
        (9, "经度"),
        (10, "部件状态"),
    }
    assert (report.read, report.rejected) == (9, 6)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_skip_invalid_writes_exactly_the_good_rows(ctx: Ctx, tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "bad.csv", bad_and_good_rows(ctx), encoding=encoding)
    report = import_components(path, actor=ctx.township, options={"policy": "skip_invalid"})
    assert report.written and report.created == GOOD_ROWS and report.rejected == 6
    stored = {c.name: c for c in Component.objects.select_related("competent_department")}
    assert set(stored) == {"上水井盖1", "路灯1", "上水井盖2"}
    assert stored["上水井盖1"].component_id == f"{COUNTY}0101000008"  # above the given 000007
    assert stored["路灯1"].grid_code == GRID and stored["路灯1"].lon == POINT_IN_GRID[0]
    assert stored["上水井盖2"].competent_department == ctx.department
    event = AuditEvent.objects.get(action="components.import")
    assert event.changes["created"] == GOOD_ROWS


def test_report_downloads_as_xlsx(ctx: Ctx, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", bad_and_good_rows(ctx))
    report = import_components(path, actor=ctx.township)
    book = load_workbook(io.BytesIO(spreadsheets.report_xlsx(report)), read_only=True)
    rejected = list(book.worksheets[1].iter_rows(values_only=True))
    assert rejected[0] == ("row", "column", "reason")
    assert (4, "部件名称", "required") in rejected


def test_modes_for_registered_ids(ctx: Ctx, tmp_path: Path) -> None:
    existing = ctx.make(name="旧名")
    cid = existing.component_id
    rows = [row("新名", component_id=cid, state="破损"), row("新井盖")]
    path = write_csv(tmp_path / "m.csv", rows)

    refused = import_components(path, actor=ctx.township)
    assert not refused.written and refused.errors[0].reason == "already registered"

    skipped = import_components(path, actor=ctx.township, options={"mode": "skip"})
    assert (skipped.skipped, skipped.created) == (1, 1)
    assert Component.objects.get(pk=existing.pk).name == "旧名"

    path = write_csv(tmp_path / "u.csv", [row("新名", component_id=cid, state="破损")])
    updated = import_components(path, actor=ctx.township, options={"mode": "update"})
    assert (updated.updated, updated.created) == (1, 0)
    existing.refresh_from_db()
    assert (existing.name, existing.state, existing.version) == ("新名", "damaged", 2)


def test_update_refuses_a_class_change_and_other_areas(ctx: Ctx, tmp_path: Path) -> None:
    mine = ctx.make()
    path = write_csv(
        tmp_path / "u.csv", [row("灯", component_id=mine.component_id, class_code="0110")]
    )
    report = import_components(path, actor=ctx.township, options={"mode": "update"})
    assert [e.column for e in report.errors] == ["小类代码"]
    report = import_components(path, actor=ctx.sibling, options={"mode": "update"})
    assert report.errors[0].reason == "no component with this ID in your area"
    mine.refresh_from_db()
    assert mine.version == 1


def test_duplicates_within_a_file(ctx: Ctx, tmp_path: Path) -> None:
    cid = f"{COUNTY}0101000004"
    path = write_csv(tmp_path / "d.csv", [row("a", component_id=cid), row("b", component_id=cid)])
    report = import_components(path, actor=ctx.township, options={"policy": "skip_invalid"})
    assert report.created == 1
    assert report.errors[0].row == 3 and "row 2" in report.errors[0].reason


def test_chinese_headers_need_no_mapping_and_others_can_be_mapped(ctx: Ctx, tmp_path: Path) -> None:
    headers = ["设施名称", "小类", "所属网格"]
    path = write_csv(tmp_path / "h.csv", [["井盖", "0101", GRID]], headers=headers)
    with pytest.raises(InvalidInput) as caught:
        import_components(path, actor=ctx.township)
    assert "部件名称" in caught.value.details["fields"]
    report = import_components(path, actor=ctx.township, options={"mapping": {"设施名称": "name"}})
    assert report.created == 1


def test_xlsx_import(ctx: Ctx, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "c.xlsx", [row("井盖"), row("垃圾箱", class_code="0304")])
    report = import_components(path, actor=ctx.township)
    assert report.created == 2
    assert Component.objects.filter(component_id=f"{COUNTY}0304000001").exists()


def test_import_needs_components_edit(ctx: Ctx, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [row("井盖")])
    with pytest.raises(PermissionDenied):
        import_components(path, actor=ctx.worker)
    with pytest.raises(NotFound):
        import_components(path, actor=ctx.sibling, options={"scope_code": TOWNSHIP})
    assert not Component.objects.exists()


def _export(ctx: Ctx, fmt: str, code: str = TOWNSHIP) -> bytes:
    content = exports.export_components(ctx.township, code, fmt)
    return content if isinstance(content, bytes) else b"".join(list(content))


def _inventory() -> dict[str, tuple[object, ...]]:
    """What a round trip must keep of each component, by its ID."""
    kept = (
        "name",
        "case_class_id",
        "grid_code",
        "lon",
        "lat",
        "state",
        "owner",
        "competent_department_id",
    )
    return {c.component_id: tuple(getattr(c, f) for f in kept) for c in Component.objects.all()}


def test_geojson_round_trip(ctx: Ctx, tmp_path: Path) -> None:
    ctx.make(name="甲", lon=POINT_IN_GRID[0], lat=POINT_IN_GRID[1], grid_code=None, owner="供水")
    ctx.make(name="乙", case_class="0110", grid_code=GRID_2, competent_department=ctx.department)
    damaged = ctx.make(name="丙", case_class="0304")
    from gridgov.cases.actions import components as actions

    actions.change_component_state(damaged.pk, actor=ctx.township, state="lost")
    before = _inventory()
    data = _export(ctx, "geojson")
    collection = json.loads(data)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 3
    first = collection["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": list(POINT_IN_GRID)}
    assert first["properties"]["component_id"] == f"{COUNTY}0101000001"

    Component.objects.all().delete()  # an empty inventory takes the file back
    path = tmp_path / "c.geojson"
    path.write_bytes(data)
    report = import_components(path, actor=ctx.township)
    assert report.created == 3 and not report.errors
    assert _inventory() == before
    # And again in update mode: the same file changes nothing but the versions.
    report = import_components(path, actor=ctx.township, options={"mode": "update"})
    assert report.updated == 3 and not report.errors


def test_geojson_features_other_than_points_are_refused(ctx: Ctx, tmp_path: Path) -> None:
    line = {"type": "LineString", "coordinates": [[112.41, 33.09], [112.42, 33.09]]}
    path = tmp_path / "l.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": line,
                        "properties": {"name": "x", "case_class": "0101"},
                    },
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": list(POINT_IN_GRID)},
                        "properties": {"name": "y", "case_class": "0101"},
                    },
                ],
            }
        )
    )
    report = import_components(path, actor=ctx.township, options={"policy": "skip_invalid"})
    assert report.created == 1
    assert [(e.row, e.column) for e in report.errors] == [(1, "lon")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spreadsheet_export_imports_again(ctx: Ctx, tmp_path: Path, fmt: str) -> None:
    ctx.make(name="甲", lon=POINT_IN_GRID[0], lat=POINT_IN_GRID[1], grid_code=None)
    ctx.make(name="乙", case_class="0110", competent_department=ctx.department)
    path = tmp_path / f"c.{fmt}"
    path.write_bytes(_export(ctx, fmt))
    report = import_components(path, actor=ctx.township, options={"mode": "update"})
    assert (report.updated, report.rejected) == (2, 0)
    assert report.ignored_columns == [exports.CLASS_NAME_HEADER]
    assert AuditEvent.objects.filter(action="components.export").count() == 1


def test_export_is_scoped(ctx: Ctx) -> None:
    ctx.make()
    with pytest.raises(NotFound):
        exports.export_components(ctx.sibling, TOWNSHIP, "csv")
    with pytest.raises(InvalidInput):
        exports.export_components(ctx.township, TOWNSHIP, "pdf")
    exported = exports.export_components(ctx.supervision, COUNTY, "csv")
    assert not isinstance(exported, bytes)  # CSV streams
    rows = b"".join(exported).decode("utf-8-sig")
    assert rows.count("\n") == 2


def test_states_export_as_chinese_words(ctx: Ctx) -> None:
    ctx.make(state=ComponentState.OCCUPIED)
    text = _export(ctx, "csv").decode("utf-8-sig")
    assert "占用" in text


def _rollup() -> dict[tuple[str, str, str], int]:
    from gridgov.cases.models import ComponentCount

    return {(r.grid_code, r.class_code, r.state): r.n for r in ComponentCount.objects.exclude(n=0)}


def test_the_roll_up_follows_every_write(ctx: Ctx, tmp_path: Path) -> None:
    from gridgov.cases.actions import components as actions
    from gridgov.cases.queries.components import component_counts

    a = ctx.make()
    b = ctx.make(case_class="0110", name="路灯")
    c = ctx.make(case_class="0304", name="垃圾箱", grid_code=GRID_2)
    actions.update_component(a.pk, actor=ctx.township, grid_code=GRID_2)
    actions.change_component_state(b.pk, actor=ctx.township, state="damaged")
    actions.retire_component(c.pk, actor=ctx.township, reason="拆除")
    path = write_csv(
        tmp_path / "u.csv",
        [row("井盖", component_id=a.component_id, state="丢失", grid=GRID), row("新井盖")],
    )
    assert import_components(path, actor=ctx.township, options={"mode": "update"}).written
    kept = _rollup()
    assert kept == {
        (GRID, "0101", "lost"): 1,
        (GRID, "0101", "intact"): 1,
        (GRID, "0110", "damaged"): 1,
    }
    assert actions.recount_components() == 3
    assert _rollup() == kept
    counts = component_counts(ctx.township, TOWNSHIP)
    assert counts["total"] == 3 and counts["by_state"]["lost"] == 1
    assert [(k["code"], k["total"]) for k in counts["by_class"]] == [("0101", 2), ("0110", 1)]
    actions.restore_component(c.pk, actor=ctx.township)
    assert _rollup()[(GRID_2, "0304", "intact")] == 1
