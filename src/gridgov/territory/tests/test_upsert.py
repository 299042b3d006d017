"""The bulk path: validate everything first, write in one transaction, one audit event."""

from __future__ import annotations

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.territory import actions
from gridgov.territory.models import Region, TerritoryRevision
from gridgov.territory.tests.conftest import box, snapshot


def community_rows(count: int = 3) -> list[dict]:
    """A new township with a community and ``count`` grids side by side."""
    rows = [
        {"code": "411302003", "name": "仲景街道", "geometry": box(112.40, 32.80, 112.50, 32.90)},
        {
            "code": "411302003001",
            "name": "医圣祠社区",
            "geometry": box(112.40, 32.80, 112.43, 32.83),
        },
    ]
    for serial in range(1, count + 1):
        lon0 = 112.40 + (serial - 1) * 0.01
        rows.append(
            {
                "code": f"411302003001{serial:03d}",
                "name": f"第{serial}网格",
                "geometry": box(lon0, 32.80, lon0 + 0.01, 32.83),
            }
        )
    return rows


def test_parents_may_come_in_the_same_batch_in_any_order(territory, county_admin) -> None:
    rows = list(reversed(community_rows()))
    start = TerritoryRevision.objects.get(pk=1).revision
    events = AuditEvent.objects.count()
    summary = actions.upsert_regions(rows, actor=county_admin, source="survey")
    assert (summary.created, summary.updated, summary.unchanged) == (5, 0, 0)
    assert summary.by_level == {4: 1, 5: 1, 6: 3}
    grid = Region.objects.select_related("parent__parent").get(code="411302003001002")
    assert grid.parent.code == "411302003001"
    assert grid.parent.parent.code == "411302003"
    assert (grid.level, grid.kind, grid.source) == (6, "grid", "survey")
    assert grid.area_m2 == pytest.approx(3_100_000, rel=0.05)
    assert grid.bbox == pytest.approx((112.41, 32.80, 112.42, 32.83))
    assert TerritoryRevision.objects.get(pk=1).revision == start + 1
    # One event for the whole batch, filed under the node covering it.
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "territory.regions.upsert"
    assert event.grid_code == "411302003"
    assert event.changes["created"] == 5
    assert event.changes["source"] == "survey"


def test_rerunning_is_idempotent_and_renames_update(territory, county_admin) -> None:
    actions.upsert_regions(community_rows(), actor=county_admin, source="survey")
    events = AuditEvent.objects.count()
    again = actions.upsert_regions(community_rows(), actor=county_admin, source="survey")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert AuditEvent.objects.count() == events  # nothing changed, nothing to audit
    rows = community_rows()
    rows[1]["name"] = "医圣祠"
    renamed = actions.upsert_regions(rows, actor=county_admin, source="survey")
    assert (renamed.created, renamed.updated) == (0, 1)
    community = Region.objects.get(code="411302003001")
    assert (community.name, community.version) == ("医圣祠", 2)


def test_a_row_without_geometry_keeps_the_stored_boundary(territory, county_admin) -> None:
    area = territory["411302001"].area_m2
    actions.upsert_regions(
        [{"code": "411302001", "name": "东关街道（新）"}], actor=county_admin, source="names"
    )
    township = Region.objects.get(code="411302001")
    assert township.name == "东关街道（新）"
    assert township.area_m2 == area
    # An explicit None clears it.
    actions.upsert_regions(
        [{"code": "411302001", "name": "东关街道", "geometry": None}],
        actor=county_admin,
        source="names",
    )
    assert Region.objects.get(code="411302001").geometry is None


def test_every_error_is_reported_and_nothing_is_written(territory, county_admin) -> None:
    rows = community_rows()
    rows[0]["code"] = "41130200x"  # bad digits: its children lose their parent too
    rows.append({"code": "411302003001001", "name": "重复"})  # duplicate in the batch
    rows.append({"code": "411302001001009", "name": ""})  # no name
    rows.append(
        {
            "code": "411302001001010",
            "name": "线",
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        }
    )
    rows.append("not a row")
    before = snapshot()
    with pytest.raises(InvalidInput) as err:
        actions.upsert_regions(rows, actor=county_admin, source="x")
    errors = err.value.details["errors"]
    by_row = {(e["row"], e["field"]) for e in errors}
    assert (0, "code") in by_row
    assert (1, "code") in by_row  # parent 411302003 missing
    assert (5, "code") in by_row  # duplicate of row 2
    assert (6, "name") in by_row
    assert (7, "geometry") in by_row
    assert (8, "row") in by_row
    assert all(e["reason"] for e in errors)
    assert snapshot() == before


def test_refused_outside_the_scope_or_without_the_right(
    territory, county_admin, township_staff
) -> None:
    rows = [{"code": "411303001001005", "name": "x", "geometry": box(112.5, 32.9, 112.51, 32.91)}]
    before = snapshot()
    with pytest.raises(NotFound):
        actions.upsert_regions(rows, actor=county_admin, source="x")
    with pytest.raises(PermissionDenied):
        actions.upsert_regions(
            [{"code": "411302001001005", "name": "x"}], actor=township_staff, source="x"
        )
    assert snapshot() == before


def test_progress_is_reported(territory, county_admin) -> None:
    seen: list[tuple[int, int]] = []
    actions.upsert_regions(
        community_rows(), actor=county_admin, source="x", progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (5, 5)


def test_repairs_are_warnings(territory, county_admin) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[112.4, 32.8], [112.41, 32.81], [112.41, 32.8], [112.4, 32.81], [112.4, 32.8]]
        ],
    }
    rows = community_rows(1)
    rows[2]["geometry"] = bowtie
    summary = actions.upsert_regions(rows, actor=county_admin, source="x")
    assert [w["row"] for w in summary.warnings] == [2]
    assert "self-intersection" in summary.warnings[0]["reason"]
