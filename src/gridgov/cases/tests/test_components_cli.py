"""``gridgov components import/export`` and the demo components."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import shapely

from gridgov.audit.models import AuditEvent
from gridgov.cases.components_cli import register_components
from gridgov.cases.components_demo import seed_demo_components
from gridgov.cases.models import Component
from gridgov.cases.tests.component_fixtures import (
    GRID,
    SIBLING_GRID,
    TOWNSHIP,
    Ctx,
    _english,
    _fresh_locate_index,
    ctx,
    row,
    write_csv,
)
from gridgov.territory import geometry
from gridgov.territory.models import Region

__all__ = ["_english", "_fresh_locate_index", "ctx"]


def run(argv: list[str]) -> int:
    """The commands as ``gridgov`` parses them (cases/cli.py calls register_components)."""
    parser = argparse.ArgumentParser(prog="gridgov")
    register_components(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_import_command(ctx: Ctx, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "c.csv", [row("井盖"), row("", class_code="0110")], encoding="gbk")
    assert run(["components", "import", str(path)]) == 1  # all or nothing: a bad row
    assert not Component.objects.exists()
    assert "row 3 · 部件名称" in capsys.readouterr().err
    report = tmp_path / "report.xlsx"
    argv = ["components", "import", str(path), "--skip-invalid", "--report", str(report)]
    assert run(argv) == 0
    assert Component.objects.count() == 1 and report.exists()


def test_import_command_as_a_user_keeps_their_scope(ctx: Ctx, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [row("井盖"), row("井盖", grid=SIBLING_GRID)])
    argv = ["components", "import", str(path), "--skip-invalid", "--user", ctx.township.username]
    assert run(argv) == 0
    assert list(Component.objects.values_list("grid_code", flat=True)) == [GRID]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_export_command(ctx: Ctx, tmp_path: Path, fmt: str) -> None:
    ctx.make(lon=112.41, lat=33.09, grid_code=None)
    out = tmp_path / f"out.{fmt}"
    assert run(["components", "export", "--scope", TOWNSHIP, "--format", fmt, "-o", str(out)]) == 0
    assert out.stat().st_size > 0
    if fmt == "geojson":
        assert len(json.loads(out.read_text())["features"]) == 1


def test_demo_components_lie_inside_their_grids(ctx: Ctx) -> None:
    created = seed_demo_components("4113", count_per_grid=3, seed=7)
    grids = Region.objects.grids().filter(code__startswith="4113")
    assert created > 2 * grids.count()  # most grids get three (a few random points miss)
    shapes = {r.code: geometry.shape_from_geojson(r.geometry or {}) for r in grids}
    for c in Component.objects.all():
        assert shapely.contains_xy(shapes[c.grid_code], c.lon, c.lat), c.component_id
        assert c.component_id.startswith(c.grid_code[:6] + c.case_class.code)
    assert {c.state for c in Component.objects.all()} >= {"intact"}
    # Idempotent: a second run adds nothing; the same seed places the same components.
    assert seed_demo_components("4113", seed=7) == 0
    assert AuditEvent.objects.filter(action="components.import").count() == 1


def test_recount_command(ctx: Ctx) -> None:
    from gridgov.cases.models import ComponentCount

    ctx.make()
    ComponentCount.objects.all().delete()
    assert run(["components", "recount"]) == 0
    assert list(ComponentCount.objects.values_list("grid_code", "class_code", "state", "n")) == [
        (GRID, "0101", "intact", 1)
    ]
