"""locate through the API: agrees with brute force, deterministic on borders, scoped,
and rebuilt when grids change."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Point, shape

from gridgov.core.system import SYSTEM
from gridgov.territory import actions, queries
from gridgov.territory.models import Region
from gridgov.territory.tests.conftest import box, client_for

URL = "/api/v1/territory/locate"


def brute_force(lon: float, lat: float) -> str | None:
    """Every grid tested one by one; on a border the lowest code wins."""
    point = Point(lon, lat)
    hits = [
        code
        for code, boundary in Region.objects.grids().values_list("code", "geometry")
        if boundary and shape(boundary).intersects(point)
    ]
    return min(hits) if hits else None


def random_points(n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # The test city is 112.40–112.60 × 32.90–33.10; a margin puts some points outside.
    return np.column_stack((rng.uniform(112.38, 112.62, n), rng.uniform(32.88, 33.12, n)))


def test_batch_agrees_with_brute_force(territory, city_admin) -> None:
    points = random_points(400)
    # Exact borders and corners too, where the rule matters most.
    points = np.vstack(
        [points, [[112.425, 33.05], [112.45, 33.05], [112.50, 33.00], [112.6, 33.1]]]
    )
    response = client_for(city_admin).post(
        URL, {"points": points.tolist()}, content_type="application/json"
    )
    assert response.status_code == 200
    results = response.json()["results"]
    expected = [brute_force(lon, lat) for lon, lat in points]
    assert results == expected
    assert None in results and len(set(results)) > 10  # inside and outside both covered


def test_single_point_agrees_with_brute_force_and_gives_the_path(territory, city_admin) -> None:
    client = client_for(city_admin)
    for lon, lat in random_points(40, seed=11):
        response = client.get(URL, {"lon": lon, "lat": lat})
        expected = brute_force(lon, lat)
        if expected is None:
            assert response.status_code == 404
        else:
            assert response.status_code == 200
            assert response.json()["grid_code"] == expected
    body = client.get(URL, {"lon": 112.41, "lat": 33.09}).json()
    assert body == {
        "grid_code": "411302001001001",
        "path": [
            {"code": "4113", "name": "南阳市", "level": 2},
            {"code": "411302", "name": "宛城区", "level": 3},
            {"code": "411302001", "name": "东关街道", "level": 4},
            {"code": "411302001001", "name": "河街社区", "level": 5},
            {"code": "411302001001001", "name": "河街社区第1网格", "level": 6},
        ],
    }


def test_a_border_point_always_gets_the_lowest_code(territory, city_admin) -> None:
    client = client_for(city_admin)
    # The corner shared by the four grids of 河街社区, and the border between 001 and 002.
    for lon, lat in [(112.425, 33.05), (112.425, 33.08)]:
        answers = {client.get(URL, {"lon": lon, "lat": lat}).json()["grid_code"] for _ in range(3)}
        assert answers == {"411302001001001"}
    # On the border of two communities (001004 | 002003): still the lowest code.
    assert client.get(URL, {"lon": 112.45, "lat": 33.02}).json()["grid_code"] == "411302001001004"


def test_outside_is_a_404_with_its_own_code(territory, city_admin) -> None:
    client = client_for(city_admin)
    response = client.get(URL, {"lon": 113.5, "lat": 33.0})
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "outside_territory"
    assert "不在您可查看的辖区内" in body["message"]
    assert body["details"] == {}
    english = client.get(URL, {"lon": 113.5, "lat": 33.0}, headers={"accept-language": "en"})
    assert "outside the territory" in english.json()["message"]


def test_points_of_another_township_are_outside_for_its_neighbour(
    territory, township_staff
) -> None:
    client = client_for(township_staff)
    own = client.get(URL, {"lon": 112.41, "lat": 33.09})
    assert own.json()["grid_code"] == "411302001001001"
    other = client.get(URL, {"lon": 112.41, "lat": 32.95})  # 新华街道's grid
    assert other.status_code == 404
    assert other.json()["code"] == "outside_territory"
    batch = client.post(
        URL, {"points": [[112.41, 33.09], [112.41, 32.95]]}, content_type="application/json"
    ).json()
    assert batch["results"] == ["411302001001001", None]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 200, "lat": 33}, "lon"),
        ({"lon": 112, "lat": -91}, "lat"),
        ({"lon": "x", "lat": 1}, "lon"),
    ],
)
def test_bad_coordinates_are_refused(territory, city_admin, params, field) -> None:
    response = client_for(city_admin).get(URL, params)
    assert response.status_code == 422
    assert field in response.json()["details"]["fields"]


def test_batch_limits(territory, city_admin) -> None:
    client = client_for(city_admin)
    too_many = client.post(
        URL, {"points": [[112.41, 33.0]] * 10_001}, content_type="application/json"
    )
    assert too_many.status_code == 422
    bad_point = client.post(URL, {"points": [[112.41]]}, content_type="application/json")
    assert bad_point.status_code == 422
    empty = client.post(URL, {"points": []}, content_type="application/json")
    assert empty.json() == {"results": []}


def test_anonymous_callers_must_authenticate(territory) -> None:
    assert client_for(None).get(URL, {"lon": 112.41, "lat": 33.09}).status_code == 401
    assert (
        client_for(None).post(URL, {"points": []}, content_type="application/json").status_code
        == 401
    )


def test_the_index_is_rebuilt_after_a_grid_moves(territory, city_admin) -> None:
    client = client_for(city_admin)
    lon, lat = 112.415, 33.09  # inside grid 001, west of the 001/002 border at 112.425
    assert client.get(URL, {"lon": lon, "lat": lat}).json()["grid_code"] == "411302001001001"
    # Move the border west: 001 shrinks, 002 grows over the point.
    actions.update_region(
        actor=SYSTEM, code="411302001001001", geometry=box(112.40, 33.05, 112.41, 33.10)
    )
    actions.update_region(
        actor=SYSTEM, code="411302001001002", geometry=box(112.41, 33.05, 112.45, 33.10)
    )
    assert client.get(URL, {"lon": lon, "lat": lat}).json()["grid_code"] == "411302001001002"
    # A new grid appears in the index too; a deleted one disappears.
    actions.delete_region(actor=SYSTEM, code="411303001001004")
    assert client.get(URL, {"lon": 112.59, "lat": 32.91}).status_code == 404


def test_locate_many_for_an_operator_sees_everything(territory) -> None:
    codes = queries.locate_many_for(SYSTEM, [112.41, 112.59, 120.0], [33.09, 32.91, 30.0])
    assert codes == ["411302001001001", "411303001001004", None]


def test_the_unscoped_service(territory) -> None:
    from gridgov.territory import locating

    assert locating.locate(120.0, 30.0) is None
    found = locating.locate(112.59, 32.91)
    assert found is not None and found["grid_code"] == "411303001001004"
    assert [p["level"] for p in found["path"]] == [2, 3, 4, 5, 6]
    assert locating.locate_many([112.41, 0.0], [33.09, 0.0]) == ["411302001001001", None]
