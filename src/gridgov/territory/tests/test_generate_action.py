"""Replacing a community's grids with generated ones (the action around generate.py)."""

from __future__ import annotations

import pytest

from gridgov.accounts.models import GridAssignment
from gridgov.audit.models import AuditEvent
from gridgov.cli import main
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.core.system import SYSTEM
from gridgov.territory import actions, queries
from gridgov.territory.models import Region, TerritoryRevision
from gridgov.territory.tests.conftest import snapshot

COMMUNITY = "411302001001"  # 0.05° × 0.10° ≈ 52 km²


def test_grids_replace_the_old_ones_and_cover_the_community(territory, county_admin) -> None:
    start = TerritoryRevision.objects.get(pk=1).revision
    grids = actions.generate_grids_for(COMMUNITY, actor=county_admin, cell_area_m2=2_000_000)
    community = territory[COMMUNITY]
    assert 20 <= len(grids) <= 32
    assert [g.code for g in grids] == [f"{COMMUNITY}{n:03d}" for n in range(1, len(grids) + 1)]
    assert sum(g.area_m2 for g in grids) == pytest.approx(community.area_m2, rel=1e-3)
    assert all(g.parent_id == community.pk and g.kind == "grid" for g in grids)
    assert Region.objects.filter(parent=community).count() == len(grids)
    assert grids[0].source == "generated"
    # Numbered west→east, then north→south: the first grid is in the north-west.
    assert grids[0].centroid_lat > grids[-1].centroid_lat
    assert TerritoryRevision.objects.get(pk=1).revision > start
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.grid_code) == ("territory.grids.generate", COMMUNITY)
    assert event.changes["grids"] == len(grids)
    # And locate sees the new grids at once.
    found = queries.locate_for(SYSTEM, grids[-1].centroid_lon, grids[-1].centroid_lat)
    assert found is not None and found.grid_code == grids[-1].code


def test_refused_while_grid_workers_are_assigned_unless_forced(
    territory, county_admin, make_user
) -> None:
    worker = make_user("grid_worker", f"{COMMUNITY}004")
    grid = territory[f"{COMMUNITY}004"]
    GridAssignment.objects.create(user=worker, grid=grid, grid_code=grid.code)
    before = snapshot()
    with pytest.raises(Conflict):
        actions.generate_grids_for(COMMUNITY, actor=county_admin, cell_area_m2=20_000_000)
    assert snapshot() == before
    # Forced with fewer, bigger cells: grid 004 disappears, keeps its history, loses its shape.
    grids = actions.generate_grids_for(
        COMMUNITY, actor=county_admin, cell_area_m2=20_000_000, force=True
    )
    assert len(grids) <= 3
    retired = Region.objects.get(code=f"{COMMUNITY}004")
    assert retired.geometry is None
    assert GridAssignment.objects.get(grid=retired).withdrawn_at is not None
    assert sorted(Region.objects.filter(parent__code=COMMUNITY).values_list("code", flat=True)) == [
        *(g.code for g in grids),
        f"{COMMUNITY}004",
    ]


def test_refusals(territory, county_admin, township_staff) -> None:
    before = snapshot()
    with pytest.raises(InvalidInput):  # not a community
        actions.generate_grids_for("411302001", actor=county_admin)
    with pytest.raises(InvalidInput):
        actions.generate_grids_for(COMMUNITY, actor=county_admin, cell_area_m2=1)
    with pytest.raises(PermissionDenied):
        actions.generate_grids_for(COMMUNITY, actor=township_staff)
    with pytest.raises(NotFound):
        actions.generate_grids_for("411303001001", actor=county_admin)
    assert snapshot() == before


def test_cli_generate_and_locate(territory, capsys) -> None:
    assert (
        main(["--lang", "en", "territory", "generate-grids", COMMUNITY, "--cell-area", "5000000"])
        == 0
    )
    assert "grids in 411302001001" in capsys.readouterr().out
    assert main(["--lang", "en", "territory", "locate", "112.41", "33.09"]) == 0
    assert "411302001001" in capsys.readouterr().out
    assert main(["--lang", "en", "territory", "locate", "120", "30"]) == 1
