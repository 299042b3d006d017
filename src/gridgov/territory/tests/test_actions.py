"""Creating, changing and deleting regions: audited, permission-checked, all or nothing."""

from __future__ import annotations

import pytest

from gridgov.accounts.models import GridAssignment
from gridgov.audit.models import AuditEvent
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.territory import actions
from gridgov.territory.models import Region, TerritoryRevision
from gridgov.territory.tests.conftest import box, snapshot

BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[112.40, 33.0], [112.42, 33.02], [112.42, 33.0], [112.40, 33.02], [112.40, 33.0]]
    ],
}


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()  # type: ignore[return-value]


def revision() -> int:
    return TerritoryRevision.objects.get(pk=1).revision


def test_create_region_derives_fields_and_audits(territory, county_admin) -> None:
    region = actions.create_region(
        actor=county_admin,
        code="411302003",
        name=" 仲景街道 ",
        geometry=box(112.41, 32.95, 112.43, 32.97),
        source="survey",
    )
    assert (region.level, region.kind, region.parent.code) == (4, "street", "411302")
    assert region.name == "仲景街道"
    assert region.geometry["type"] == "MultiPolygon"
    assert 4_000_000 < region.area_m2 < 4_600_000  # ~2.2 km × ~1.9 km
    assert region.centroid_lon == pytest.approx(112.42)
    assert region.bbox == pytest.approx((112.41, 32.95, 112.43, 32.97))
    event = last_event()
    assert (event.action, event.grid_code, event.actor_id) == (
        "territory.region.create",
        "411302003",
        county_admin.pk,
    )
    assert event.changes["name"] == [None, "仲景街道"]


def test_create_region_repairs_a_bowtie_and_says_so(territory, county_admin) -> None:
    region = actions.create_region(
        actor=county_admin, code="411302001003", name="新社区", geometry=BOWTIE
    )
    assert region.area_m2 > 0
    assert "self-intersection" in last_event().changes["repaired"]


@pytest.mark.parametrize(
    ("code", "field"),
    [
        ("411302x03", "code"),
        ("41130200", "code"),
        ("411309001", "code"),  # parent county 411309 does not exist
        ("411302001", "code"),  # exists already
    ],
)
def test_create_region_refuses_bad_codes(territory, city_admin, code, field) -> None:
    before = snapshot()
    with pytest.raises(InvalidInput) as err:
        actions.create_region(actor=city_admin, code=code, name="x")
    assert field in err.value.details["fields"]
    assert snapshot() == before


def test_create_region_refuses_a_degenerate_boundary(territory, county_admin) -> None:
    line_like = {
        "type": "Polygon",
        "coordinates": [[[112.41, 32.95], [112.42, 32.95], [112.43, 32.95], [112.41, 32.95]]],
    }
    before = snapshot()
    with pytest.raises(InvalidInput) as err:
        actions.create_region(actor=county_admin, code="411302003", name="x", geometry=line_like)
    assert "geometry" in err.value.details["fields"]
    with pytest.raises(InvalidInput):
        actions.create_region(
            actor=county_admin, code="411302003", name="x", geometry={"type": "Point"}
        )
    assert snapshot() == before


def test_create_region_needs_a_name(territory, county_admin) -> None:
    with pytest.raises(InvalidInput) as err:
        actions.create_region(actor=county_admin, code="411302003", name="  ")
    assert "name" in err.value.details["fields"]


def test_refusals_by_role_and_scope_change_nothing(
    territory, township_staff, sibling_staff, county_admin
) -> None:
    before = snapshot()
    # Inside the scope but without territory.edit: forbidden.
    with pytest.raises(PermissionDenied):
        actions.create_region(actor=township_staff, code="411302001003", name="x")
    with pytest.raises(PermissionDenied):
        actions.update_region(actor=township_staff, code="411302001", name="y")
    # Outside the scope: not found, as if it did not exist.
    with pytest.raises(NotFound):
        actions.update_region(actor=sibling_staff, code="411302001", name="y")
    with pytest.raises(NotFound):
        actions.create_region(actor=county_admin, code="411303002", name="x")
    with pytest.raises(NotFound):
        actions.delete_region(actor=county_admin, code="411303001001001")
    with pytest.raises(NotFound):
        actions.create_region(actor=None, code="411302003", name="x")
    assert snapshot() == before


def test_update_region_renames_with_a_version_check(territory, county_admin) -> None:
    region = actions.update_region(
        actor=county_admin, code="411302001", name="东关街道办事处", expected_version=1
    )
    assert (region.name, region.version) == ("东关街道办事处", 2)
    event = last_event()
    assert event.action == "territory.region.update"
    assert event.changes == {"name": ["东关街道", "东关街道办事处"]}
    before = snapshot()
    with pytest.raises(Conflict):
        actions.update_region(actor=county_admin, code="411302001", name="z", expected_version=1)
    assert snapshot() == before


def test_update_without_changes_writes_nothing(territory, county_admin) -> None:
    before = snapshot()
    region = actions.update_region(actor=county_admin, code="411302001", name="东关街道")
    assert region.version == 1
    assert snapshot() == before


def test_moving_a_grid_bumps_the_revision(territory, county_admin) -> None:
    start = revision()
    actions.update_region(actor=county_admin, code="411302001", name="东关")
    assert revision() == start  # a township's name is not grid geometry
    actions.update_region(
        actor=county_admin,
        code="411302001001001",
        geometry=box(112.40, 33.05, 112.43, 33.10),
    )
    assert revision() == start + 1
    grid = Region.objects.get(code="411302001001001")
    assert grid.max_lon == pytest.approx(112.43)
    assert (
        last_event().changes["geometry"][0]["area_m2"]
        != last_event().changes["geometry"][1]["area_m2"]
    )


def test_delete_only_leaves_without_dependants(territory, county_admin, make_user) -> None:
    with pytest.raises(Conflict, match="subordinate"):
        actions.delete_region(actor=county_admin, code="411302001001")
    worker = make_user("grid_worker", "411302001001002")
    GridAssignment.objects.create(
        user=worker, grid=territory["411302001001002"], grid_code="411302001001002"
    )
    before = snapshot()
    with pytest.raises(Conflict, match="referred"):
        actions.delete_region(actor=county_admin, code="411302001001002")
    assert snapshot() == before
    start = revision()
    actions.delete_region(actor=county_admin, code="411302001001003", expected_version=1)
    assert not Region.objects.filter(code="411302001001003").exists()
    assert revision() == start + 1
    event = last_event()
    assert (event.action, event.object_id) == ("territory.region.delete", "411302001001003")
