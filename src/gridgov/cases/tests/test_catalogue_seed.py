"""The seed catalogue: loaded into every database by migration, complete, idempotent, and
never overwriting what an administrator changed."""

from __future__ import annotations

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.cases import seed
from gridgov.cases.actions import catalogue as actions
from gridgov.cases.models import CaseClass, TimeUnit
from gridgov.cases.queries import catalogue as queries
from gridgov.cases.tests.catalogue_fixtures import Catalogue, cat, english, minor, state
from gridgov.core.errors import PermissionDenied
from gridgov.core.system import SYSTEM

__all__ = ["cat", "english"]

pytestmark = pytest.mark.django_db


def test_every_database_has_the_catalogue_from_the_migration() -> None:
    majors = CaseClass.objects.filter(parent__isnull=True)
    assert sorted(majors.filter(kind="component").values_list("code", flat=True)) == [
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
    ]
    assert majors.get(kind="event", code="06").name == "社会治理"
    minors = CaseClass.objects.filter(parent__isnull=False)
    assert minors.count() == len(seed.COMPONENT_MINORS) + len(seed.EVENT_MINORS) > 80


def test_every_minor_class_is_complete_and_well_coded() -> None:
    for cls in CaseClass.objects.filter(parent__isnull=False).select_related("parent"):
        assert cls.code.startswith(cls.parent.code) and len(cls.code) == 4, cls
        assert cls.kind == cls.parent.kind
        assert cls.filing_condition and cls.closing_condition, cls
        assert cls.limit_value and cls.limit_value > 0, cls
        assert cls.limit_unit in TimeUnit.values, cls
        assert actions.clean_attributes(cls.attributes) == cls.attributes, cls


def test_the_typical_classes_of_domain_md_are_there() -> None:
    names = set(CaseClass.objects.values_list("name", flat=True))
    for name in (
        "污水井盖",
        "上水井盖",
        "电力井盖",
        "通信井盖",
        "燃气井盖",
        "路灯",
        "公交候车亭",
        "路名牌",
        "交通护栏",
        "公共厕所",
        "垃圾箱",
        "古树名木",
        "行道树",
        "私搭乱建",
        "暴露垃圾",
        "违章张贴小广告",
        "施工扰民",
        "施工扬尘",
        "路面塌陷",
        "道路积水",
        "无照经营游商",
        "店外经营",
        "邻里纠纷",
        "疫情防控事项",
    ):
        assert name in names, name


def test_a_sewer_cover_has_the_limits_of_domain_md() -> None:
    cover = minor("C0102")
    assert (cover.limit_value, cover.limit_unit) == (2, "urgent_hours")
    assert queries.time_limit(cover, {"situation": "missing"}) == (2, "urgent_hours")
    assert queries.time_limit(cover, {"situation": "broken"}) == (4, "working_hours")
    assert queries.time_limit(cover, {"situation": "rocking"}) == (2, "working_days")
    # No answer, or one the class does not know: the class's own (strictest) limit.
    assert queries.time_limit(cover, {}) == (2, "urgent_hours")
    assert queries.time_limit(cover, {"situation": "other"}) == (2, "urgent_hours")


def test_loading_again_adds_nothing() -> None:
    before = state()
    assert seed.load(CaseClass) == []
    assert state() == before


def test_seeding_adds_what_is_missing_and_leaves_edits_alone(cat: Catalogue) -> None:
    edited = minor("E0101")
    actions.update_class(
        edited.pk, actor=cat.city_admin, version=edited.version, name="违法建设", limit_value=10
    )
    CaseClass.objects.filter(kind="event", code="0609").delete()

    assert actions.seed_catalogue(actor=cat.city_admin) == 1

    restored = minor("E0609")
    assert restored.name == "重点人员异常" and restored.parent.code == "06"
    edited.refresh_from_db()
    assert (edited.name, edited.limit_value, edited.version) == ("违法建设", 10, 2)
    event = AuditEvent.objects.filter(action="cases.catalogue.seed").get()
    assert event.changes == {"added": ["event:0609"]}
    assert actions.seed_catalogue(actor=SYSTEM) == 0


def test_only_the_city_may_seed(cat: Catalogue) -> None:
    CaseClass.objects.filter(kind="event", code="0609").delete()
    before = state()
    for user in (cat.county_admin, cat.command, None):
        with pytest.raises(PermissionDenied):
            actions.seed_catalogue(actor=user)
    assert state() == before
