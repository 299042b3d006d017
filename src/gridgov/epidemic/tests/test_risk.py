"""Risk areas: adding, changing and ending them (audited, county and city command only),
which are in force on a day, prefix matching, and the arrivals from them."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic import rules
from gridgov.epidemic.actions import risk as actions
from gridgov.epidemic.queries import risk as queries
from gridgov.epidemic.tests.fixtures import Epi, epidemic_state
from gridgov.registry import actions as registry_actions

pytestmark = pytest.mark.django_db


def test_add_change_and_end_are_audited(epi: Epi) -> None:
    start = rules.today() - dt.timedelta(days=10)
    area = actions.add_risk_area(
        actor=epi.county, division_code="420102", level="high", valid_from=start
    )
    assert area.name == "湖北省武汉市江岸区"  # from the national table
    assert area.region_code == "411302"  # the county's own code by default
    changed = actions.change_risk_area(
        area.pk, actor=epi.county, expected_version=1, level="medium", note="降级"
    )
    assert (changed.level, changed.version) == ("medium", 2)
    ended = actions.end_risk_area(
        area.pk, actor=epi.county, valid_to=rules.today(), expected_version=2
    )
    assert ended.valid_to == rules.today()
    events = list(AuditEvent.objects.filter(object_type="epidemic.riskarea").order_by("seq"))
    assert [e.action for e in events] == [
        "epidemic.risk_area.add",
        "epidemic.risk_area.change",
        "epidemic.risk_area.end",
    ]
    assert events[1].changes["level"] == ["high", "medium"]


def test_refusals_name_the_field_and_change_nothing(epi: Epi) -> None:
    area = actions.add_risk_area(
        actor=epi.command, division_code="4201", level="high", valid_from=rules.today()
    )
    before = epidemic_state()
    with pytest.raises(InvalidInput) as caught:
        actions.add_risk_area(
            actor=epi.command, division_code="42A", level="severe", valid_from="x"
        )
    assert set(caught.value.details["fields"]) == {"division_code", "level", "valid_from"}
    with pytest.raises(InvalidInput) as caught:
        actions.add_risk_area(
            actor=epi.command, division_code="420102001001", level="low", valid_from=rules.today()
        )
    assert set(caught.value.details["fields"]) == {"name"}  # a village the table does not name
    with pytest.raises(Conflict):
        actions.change_risk_area(area.pk, actor=epi.command, expected_version=7, level="low")
    with pytest.raises(InvalidInput):
        actions.end_risk_area(
            area.pk, actor=epi.command, valid_to=rules.today() - dt.timedelta(days=3)
        )
    with pytest.raises(PermissionDenied):  # a grid worker manages no risk area
        actions.add_risk_area(
            actor=epi.r.worker, division_code="4201", level="low", valid_from=rules.today()
        )
    with pytest.raises(NotFound):  # the city's area is outside a county's scope
        actions.change_risk_area(area.pk, actor=epi.county, level="low")
    with pytest.raises(NotFound):  # a county declares only for itself
        actions.add_risk_area(
            actor=epi.county,
            region_code="411303",
            division_code="4201",
            level="low",
            valid_from=rules.today(),
        )
    assert epidemic_state() == before


def test_in_force_on_a_day_and_prefix_matching(epi: Epi) -> None:
    today = rules.today()
    yesterday = today - dt.timedelta(days=1)
    actions.add_risk_area(actor=epi.command, division_code="42", level="low", valid_from=yesterday)
    actions.add_risk_area(
        actor=epi.command,
        division_code="420102",
        level="high",
        valid_from=yesterday,
        valid_to=yesterday,
    )
    actions.add_risk_area(actor=epi.command, division_code="4201", level="medium", valid_from=today)
    assert queries.level_of("420102003", yesterday) == "high"
    assert queries.level_of("420102003", today) == "medium"  # the district's period ended
    assert queries.level_of("4202", today) == "low"  # only the province's
    assert queries.level_of("43", today) == ""
    assert [a.division_code for a in queries.matching("420102003", today)] == ["4201", "42"]
    on_yesterday = queries.search_risk_areas(epi.r.worker, on=yesterday)
    assert sorted(on_yesterday.values_list("division_code", flat=True)) == ["42", "420102"]
    assert queries.levels_of({("420102", yesterday), ("420102", today), ("11", today)}) == {
        ("420102", yesterday): "high",
        ("420102", today): "medium",
        ("11", today): "",
    }


def test_arrivals_from_risk_areas_are_found_from_the_movement_register_and_scoped(
    epi: Epi,
) -> None:
    today = rules.today()
    # The register's migrant arrived 3 days ago from 330102 (杭州上城区).
    arrived = today - dt.timedelta(days=3)
    actions.add_risk_area(
        actor=epi.command, division_code="3301", level="medium", valid_from=arrived
    )
    # Someone else arrived from there before it was a risk area: not listed.
    registry_actions.record_movement(
        epi.r.elder.pk,
        actor=epi.r.worker,
        kind="arrival",
        date=arrived - dt.timedelta(days=2),
        from_code="330106",
    )
    found = list(queries.risk_arrivals(epi.r.worker, today - dt.timedelta(days=14)))
    assert [(m.person_id, m.risk_level) for m in found] == [(epi.r.migrant.pk, "medium")]
    assert list(queries.risk_arrivals(epi.r.neighbour, today - dt.timedelta(days=14))) == []
    assert list(queries.risk_arrivals(epi.r.worker, today)) == []  # since today: nobody
    with pytest.raises(NotFound):
        queries.risk_arrivals(epi.r.neighbour, today, "411302001001")
    with pytest.raises(PermissionDenied):
        queries.risk_arrivals(epi.r.leader, today)
