"""Population roll-ups kept by the actions equal a full recount, at every level."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.registry import actions, rollups
from gridgov.registry.models import PopulationCount
from gridgov.registry.tests.core_fixtures import GRID, GRID_2, People, make_id_number, people_ctx

__all__ = ["people_ctx"]


def stored_counts() -> dict[tuple[str, str], int]:
    return {
        (grid, measure): value
        for grid, measure, value in PopulationCount.objects.values_list(
            "grid_code", "measure", "value"
        )
        if value
    }


def recounted() -> dict[tuple[str, str], int]:
    rollups.recount()
    return stored_counts()


def make(worker: Any, n: int, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "name": f"居民{n}",
        "grid_code": GRID,
        "id_number": make_id_number("411302", dt.date(1940 + n * 7, 2, 3), 100 + n),
    }
    values.update(fields)
    return actions.create_person(actor=worker, **values)


@pytest.mark.django_db
def test_counts_after_a_mix_of_writes_equal_a_recount(people_ctx: People) -> None:
    worker = people_ctx.worker
    a = make(worker, 1)
    b = make(worker, 2, residence_type="migrant")
    c = make(worker, 3, grid_code=GRID_2, residence_type="overseas", id_number=None, sex="F")
    d = make(worker, 4)
    e = make(worker, 5, status="moved_out")  # not counted
    actions.update_person(b.pk, actor=worker, expected_version=1, residence_type="registered")
    actions.update_person(c.pk, actor=worker, expected_version=1, birth_date="2020-05-05")
    actions.update_person(a.pk, actor=worker, expected_version=1, grid_code=GRID_2)
    tag = actions.add_care_tag(d.pk, actor=worker, kind="dibao")
    actions.add_care_tag(c.pk, actor=worker, kind="left_behind_child")
    actions.add_care_tag(e.pk, actor=worker, kind="chronic")  # moved out: not counted
    actions.record_movement(
        d.pk, actor=worker, kind="transfer", date=dt.date.today(), to_grid=GRID_2
    )
    actions.end_care_tag(tag.pk, actor=worker, end_date=dt.date.today())
    actions.record_status(b.pk, actor=worker, status="deceased", date=dt.date.today())
    actions.record_movement(e.pk, actor=worker, kind="arrival", date=dt.date.today())
    actions.propose_elderly_alone(actor=worker)  # proposals are not counted

    kept = stored_counts()
    assert kept == recounted()
    year = dt.date.today().year
    assert kept[(GRID_2, "total")] == 3  # a, c, d
    assert kept[(GRID, "total")] == 1  # e, back
    assert kept[(GRID_2, "residence:overseas")] == 1
    assert kept[(GRID_2, "sex:F")] == 2  # c, and d (even sequence 104)
    assert kept[(GRID_2, f"age:{rollups.band_of_birth_year(2020, year)}")] == 1
    assert kept[(GRID_2, "tag:left_behind_child")] == 1
    assert kept[(GRID, "tag:chronic")] == 1
    assert (GRID_2, "tag:dibao") not in kept


@pytest.mark.django_db
def test_figures_and_children_sum_grids_by_code_prefix(
    people_ctx: People, django_assert_max_num_queries: Any
) -> None:
    worker = people_ctx.worker
    make(worker, 1)
    make(worker, 2, grid_code=GRID_2)
    actions.create_person(
        actor=people_ctx.sibling, name="赵六", sex="M", grid_code="411302002001003"
    )
    with django_assert_max_num_queries(1):
        city = rollups.figures("4113")
    assert (city["total"], city["sex:M"], city["sex:F"]) == (3, 2, 1)
    assert rollups.figures("411302001")["total"] == 2
    with django_assert_max_num_queries(1):
        children = rollups.by_child("411302")
    assert [(code, figures["total"]) for code, figures in children] == [
        ("411302001", 2),
        ("411302002", 1),
    ]
    assert [code for code, _ in rollups.by_child("411302001001")] == [GRID, GRID_2]


def test_measures_of_a_state() -> None:
    state = {
        "status": "living",
        "residence_type": "migrant",
        "sex": "F",
        "birth_year": 1950,
        "tags": ["disabled", "dibao"],
    }
    assert rollups.measures(state, year=2026) == {
        "total": 1,
        "residence:migrant": 1,
        "sex:F": 1,
        "age:70-79": 1,
        "tag:disabled": 1,
        "tag:dibao": 1,
    }
    assert rollups.measures({**state, "status": "deceased"}) == {}
    assert rollups.measures({**state, "birth_year": None}, year=2026)["age:unknown"] == 1
    # Birth-year bands: the band a person is in all year is the age reached that year.
    assert rollups.band_of_birth_year(1966, 2026) == "60-69"
    assert rollups.band_of_birth_year(1966, 2025) == "35-59"


@pytest.mark.django_db
def test_recount_of_some_grids_leaves_the_others(people_ctx: People) -> None:
    make(people_ctx.worker, 1)
    make(people_ctx.worker, 2, grid_code=GRID_2)
    PopulationCount.objects.filter(grid_code=GRID).update(value=99)
    PopulationCount.objects.filter(grid_code=GRID_2).update(value=77)
    rollups.recount([GRID])
    assert rollups.figures(GRID)["total"] == 1
    assert rollups.figures(GRID_2)["total"] == 77


@pytest.mark.django_db(transaction=True)
def test_the_nightly_commands(people_ctx: People, capsys: pytest.CaptureFixture) -> None:
    from gridgov.cli import main
    from gridgov.registry.models import CareTag, GridCompleteness

    worker = people_ctx.worker
    household = actions.create_household(actor=worker, address="河街7号", grid_code=GRID)
    make(worker, 1, household_id=household.pk)  # born 1947: over 60, alone
    PopulationCount.objects.all().update(value=0)
    GridCompleteness.objects.all().delete()
    assert main(["--lang", "en", "registry", "recount"]) == 0
    assert "population counts written" in capsys.readouterr().out
    assert rollups.figures(GRID)["total"] == 1
    assert GridCompleteness.objects.filter(grid_code=GRID).exists()
    assert main(["--lang", "en", "registry", "propose-elderly", GRID]) == 0
    assert "1 'elderly living alone'" in capsys.readouterr().out
    assert CareTag.objects.get().status == "proposed"
    assert main(["registry", "propose-elderly", "41"]) == 1  # not a code of ours
