"""Loading the real divisions of a city from the published data packages."""

from __future__ import annotations

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.core.system import SYSTEM
from gridgov.territory import actions, divisions, queries
from gridgov.territory.models import Region


@pytest.mark.django_db
def test_nanyang_loads_its_real_counties_and_townships() -> None:
    summary = actions.load_divisions("4113", actor=SYSTEM)
    assert (summary.city_name, summary.counties, summary.townships) == ("南阳市", 13, 246)
    assert summary.missing_boundaries == []
    city = Region.objects.get(code="4113")
    assert (city.name, city.level, city.kind) == ("南阳市", 2, "city")
    assert 25_000e6 < city.area_m2 < 28_000e6  # Nanyang is about 26,600 km²
    counties = Region.objects.filter(level=3, code__startswith="4113")
    assert counties.count() == 13
    assert not counties.filter(geometry=None).exists()
    assert Region.objects.get(code="411381").name == "邓州市"
    assert Region.objects.get(code="411381").kind == "county_city"
    township = Region.objects.select_related("parent").get(code="411302001")
    assert (township.name, township.kind, township.parent.code) == ("东关街道", "street", "411302")
    assert Region.objects.filter(level=4, code__startswith="4113").count() == 246
    assert queries.child_counts(city) == {3: 13, 4: 246, 5: 0, 6: 0}
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.grid_code, event.changes["created"]) == (
        "territory.regions.upsert",
        "4113",
        260,
    )


@pytest.mark.django_db
def test_reloading_is_idempotent_and_keeps_drawn_township_boundaries() -> None:
    actions.load_divisions("4113", actor=SYSTEM)
    drawn = {
        "type": "Polygon",
        "coordinates": [[[112.5, 33.0], [112.6, 33.0], [112.6, 33.1], [112.5, 33.0]]],
    }
    actions.update_region(actor=SYSTEM, code="411302001", name="旧名", geometry=drawn)
    again = actions.load_divisions("4113", actor=SYSTEM)
    assert (again.upsert.created, again.upsert.updated, again.upsert.unchanged) == (0, 1, 259)
    township = Region.objects.get(code="411302001")
    assert township.name == "东关街道"  # the real name comes back
    assert township.geometry is not None  # the drawn boundary stays


@pytest.mark.django_db
def test_a_city_without_counties_gets_itself_as_county() -> None:
    summary = actions.load_divisions("4419", actor=SYSTEM)
    assert (summary.city_name, summary.counties, summary.townships) == ("东莞市", 1, 32)
    county = Region.objects.get(code="441900")
    assert (county.name, county.kind, county.parent.code) == ("东莞市", "undivided_city", "4419")
    assert county.geometry is not None
    assert Region.objects.get(code="441900003").name == "东城街道"
    assert Region.objects.filter(parent=county).count() == 32


@pytest.mark.django_db
def test_jiyuan_under_the_province() -> None:
    summary = actions.load_divisions("4190", actor=SYSTEM)
    assert (summary.city_name, summary.counties, summary.townships) == ("济源市", 1, 16)
    assert Region.objects.get(code="4190").kind == "city_direct"
    county = Region.objects.get(code="419001")
    assert (county.name, county.kind) == ("济源市", "county_city")
    assert county.geometry is not None
    assert Region.objects.get(code="419001001").name == "沁园街道"


@pytest.mark.django_db
def test_beijing_municipality() -> None:
    summary = actions.load_divisions("1101", actor=SYSTEM)
    assert (summary.city_name, summary.counties) == ("北京市", 16)
    assert summary.townships > 300
    assert Region.objects.get(code="110101").name == "东城区"
    assert Region.objects.get(code="1101").geometry is not None


def test_counties_missing_from_the_boundary_file_are_reported() -> None:
    chongqing = divisions.city_divisions("5001")
    assert ("500157", "两江新区") in chongqing.missing_boundaries
    row = next(r for r in chongqing.rows if r["code"] == "500157")
    assert "geometry" not in row  # loads without a boundary, keeps any drawn later


@pytest.mark.parametrize("code", ["9999", "41", "41a3", ""])
def test_unknown_or_malformed_city_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        divisions.city_divisions(code)
    assert "city" in err.value.details["fields"]


def test_a_province_code_points_to_its_cities() -> None:
    with pytest.raises(InvalidInput) as err:
        divisions.city_divisions("1100")
    assert "1101" in err.value.message


def test_only_an_editor_of_the_city_may_load_it(territory, county_admin, make_user) -> None:
    before = Region.objects.count()
    with pytest.raises(NotFound):  # a county's administrator: the city is outside the scope
        actions.load_divisions("4113", actor=county_admin)
    with pytest.raises(PermissionDenied):  # a leader of the city may look, not edit
        actions.load_divisions("4113", actor=make_user("leader", "4113"))
    assert Region.objects.count() == before
