"""GeoJSON import (all or nothing, with a report) and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridgov.cli import main
from gridgov.core.system import SYSTEM
from gridgov.territory import importers
from gridgov.territory.models import Region
from gridgov.territory.tests.conftest import box, client_for, snapshot

COMMUNITY = "411302001001"  # 河街社区: 112.40–112.45 × 33.00–33.10


def feature(code: str, name: str, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry}


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def test_valid_features_are_written_with_warnings_for_repairs(territory) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[112.40, 33.00], [112.45, 33.10], [112.45, 33.00], [112.40, 33.10], [112.40, 33.00]]
        ],
    }
    data = collection(
        feature("411302001003", "新社区", box(112.40, 33.00, 112.41, 33.01)),
        feature("411302001003001", "第1网格", bowtie),
    )
    report = importers.import_feature_collection(data, actor=SYSTEM)
    assert report.ok and report.written
    assert report.summary.created == 2
    repaired = [w for w in report.warnings if w["kind"] == "repaired"]
    assert [w["feature"] for w in repaired] == [1]
    assert "self-intersection" in repaired[0]["reason"]
    assert Region.objects.get(code="411302001003001").area_m2 > 0


def test_an_empty_polygon_is_rejected_and_nothing_is_written(territory) -> None:
    degenerate = {
        "type": "Polygon",
        "coordinates": [[[112.40, 33.0], [112.41, 33.0], [112.42, 33.0], [112.40, 33.0]]],
    }
    data = collection(
        feature("411302001003", "新社区", box(112.40, 33.00, 112.41, 33.01)),
        feature("411302001003001", "零面积", degenerate),
        feature("411302001003002", "空", {"type": "Polygon", "coordinates": []}),
    )
    before = snapshot()
    report = importers.import_feature_collection(data, actor=SYSTEM)
    assert not report.ok and not report.written
    assert [(e["feature"], e["field"]) for e in report.errors] == [
        (1, "geometry"),
        (2, "geometry"),
    ]
    assert all(e["code"] and e["reason"] for e in report.errors)
    assert snapshot() == before


def test_bad_codes_are_rejected_with_the_reason(territory) -> None:
    data = collection(
        feature("41130200100x", "字母", None),
        feature("411302001", "重名", None),
        feature("411302009001", "无上级", None),
        {"type": "Point"},
    )
    report = importers.import_feature_collection(data, actor=SYSTEM)
    errors = {e["feature"]: e for e in report.errors}
    assert "digits" in errors[0]["reason"]
    assert 1 not in errors  # an existing code is an update, not an error
    assert "parent 411302009 does not exist" in errors[2]["reason"]
    assert errors[3]["field"] == "feature"
    assert Region.objects.get(code="411302001").name == "东关街道"


def test_overlaps_gaps_and_outside_parts_are_warnings(territory) -> None:
    # Replace grid 001 of 河街社区 by one overlapping its neighbour 002 and poking out west.
    data = collection(feature(f"{COMMUNITY}001", "第1网格", box(112.39, 33.05, 112.43, 33.10)))
    report = importers.import_feature_collection(data, actor=SYSTEM, dry_run=True)
    assert report.ok and not report.written
    kinds = {w["kind"] for w in report.warnings}
    assert {"overlap", "outside"} <= kinds
    overlap = next(w for w in report.warnings if w["kind"] == "overlap")
    assert overlap["code"] == f"{COMMUNITY}001,{COMMUNITY}002"
    assert overlap["feature"] == 0
    # Shrinking it instead leaves a gap in the community.
    shrunk = collection(feature(f"{COMMUNITY}001", "第1网格", box(112.40, 33.06, 112.42, 33.10)))
    report = importers.import_feature_collection(shrunk, actor=SYSTEM, dry_run=True)
    assert [w["kind"] for w in report.warnings] == ["gap"]
    assert Region.objects.get(code=f"{COMMUNITY}001").max_lon == pytest.approx(112.425)


def test_legacy_14_digit_grid_codes_are_converted(territory) -> None:
    data = collection(feature("41130200100105", "旧编码网格", box(112.40, 33.00, 112.41, 33.01)))
    report = importers.import_feature_collection(data, actor=SYSTEM)
    assert report.ok
    assert Region.objects.get(code="411302001001005").name == "旧编码网格"
    assert any(w["kind"] == "converted" for w in report.warnings)


def test_a_names_only_file_renames_and_keeps_the_boundaries(territory) -> None:
    before = Region.objects.get(code="411302001002").geometry
    data = collection(feature("411302001002", "市场街社区", None))
    report = importers.import_feature_collection(data, actor=SYSTEM)
    assert report.ok
    region = Region.objects.get(code="411302001002")
    assert region.name == "市场街社区"
    assert region.geometry == before


def test_not_a_feature_collection(territory) -> None:
    from gridgov.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        importers.import_feature_collection({"type": "Feature"}, actor=SYSTEM)


def test_export_round_trip(territory) -> None:
    exported = importers.export_feature_collection(SYSTEM, "411302001")
    codes = [f["properties"]["code"] for f in exported["features"]]
    assert codes[0] == "411302001"
    assert len(codes) == 1 + 2 + 8
    grids_only = importers.export_feature_collection(SYSTEM, "411302001", level=6)
    assert len(grids_only["features"]) == 8
    # The test tree was written without rounding; the first import normalises it.
    first = importers.import_feature_collection(exported, actor=SYSTEM)
    assert first.ok and first.summary.created == 0
    again = importers.export_feature_collection(SYSTEM, "411302001")
    for old, new in zip(exported["features"], again["features"], strict=True):
        assert new["properties"]["code"] == old["properties"]["code"]
        assert new["properties"]["name"] == old["properties"]["name"]
        assert new["properties"]["area_m2"] == pytest.approx(old["properties"]["area_m2"])
    before = snapshot()
    report = importers.import_feature_collection(again, actor=SYSTEM)
    assert (report.summary.created, report.summary.updated, report.summary.unchanged) == (0, 0, 11)
    assert snapshot() == before


def test_export_is_scoped(territory, township_staff) -> None:
    from gridgov.core.errors import NotFound

    with pytest.raises(NotFound):
        importers.export_feature_collection(township_staff, "411302002")


def test_cli_import_dry_run_and_errors(territory, tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.geojson"
    good.write_text(
        json.dumps(collection(feature("411302001003", "新社区", box(112.40, 33.0, 112.41, 33.01))))
    )
    assert main(["--lang", "en", "territory", "import", str(good), "--dry-run"]) == 0
    assert not Region.objects.filter(code="411302001003").exists()
    assert main(["--lang", "en", "territory", "import", str(good)]) == 0
    assert Region.objects.filter(code="411302001003").exists()
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(collection(feature("4113020010x4", "坏", None))))
    before = snapshot()
    assert main(["--lang", "en", "territory", "import", str(bad)]) == 1
    assert "nothing was written" in capsys.readouterr().out
    assert snapshot() == before


def test_cli_export_writes_a_file(territory, tmp_path: Path) -> None:
    out = tmp_path / "out.geojson"
    assert (
        main(["--lang", "en", "territory", "export", "411302002", "--level", "6", "-o", str(out)])
        == 0
    )
    data = json.loads(out.read_text())
    assert [f["id"] for f in data["features"]][:2] == ["411302002001001", "411302002001002"]


# --- the same import through the API (administrators only) --------------------------------

URL = "/api/v1/territory/import"


def test_api_import_reports_and_writes(territory, county_admin) -> None:
    client = client_for(county_admin)
    body = collection(feature("411302001003", "新社区", box(112.40, 33.0, 112.41, 33.01)))
    dry = client.post(f"{URL}?dry_run=true", body, content_type="application/json")
    assert dry.status_code == 200
    assert dry.json()["ok"] and not dry.json()["written"]
    assert not Region.objects.filter(code="411302001003").exists()
    done = client.post(URL, body, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["summary"]["created"] == 1
    bad = collection(feature("411302001003", "", None))
    refused = client.post(URL, bad, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["details"]["errors"][0]["field"] == "name"


def test_api_import_is_refused_outside_scope_or_role(
    territory, county_admin, township_staff
) -> None:
    before = snapshot()
    body = collection(feature("411303001002", "别区", None))
    assert (
        client_for(county_admin).post(URL, body, content_type="application/json").status_code == 404
    )
    body = collection(feature("411302001003", "x", None))
    assert (
        client_for(township_staff).post(URL, body, content_type="application/json").status_code
        == 403
    )
    assert client_for(None).post(URL, body, content_type="application/json").status_code == 401
    assert snapshot() == before
