"""An import adds its new people to the stored completeness and roll-ups instead of
recounting the grids: the result must equal a full recount, over grids that already hold
people, households and gaps, with people of every kind (no phone, no ID, overseas, moved
out) — and on grids an update touched or households were formed in."""

from __future__ import annotations

import pytest

from gridgov.core.system import SYSTEM
from gridgov.registry import completeness, importers, rollups
from gridgov.registry.importers import ImportOptions
from gridgov.registry.models import GridCompleteness, PopulationCount
from gridgov.registry.tests.core_fixtures import (  # noqa: F401 - fixtures
    GRID,
    GRID_2,
    NEIGHBOUR_GRID,
    keyring,
    make_id_number,
)
from gridgov.registry.tests.import_helpers import HEADERS, good_rows, person_row, write_csv

pytestmark = pytest.mark.django_db


def run(path, **options) -> importers.ImportReport:
    return importers.import_people(path, actor=SYSTEM, options=ImportOptions.parse(options))


def stored() -> tuple[list, list]:
    rows = GridCompleteness.objects.order_by("grid_code")
    return (
        [(r.grid_code, r.checked, r.gaps, r.gap_total, r.score) for r in rows],
        sorted(PopulationCount.objects.values_list("grid_code", "measure", "value")),
    )


def recounted() -> tuple[list, list]:
    completeness.refresh()
    rollups.recount()
    return stored()


def test_added_items_equal_a_recount(territory, keyring):  # noqa: F811
    headers = [*HEADERS, "户号", "与户主关系"]
    first = [
        [*person_row("户主", seq=11), "A", "户主"],
        [*person_row("无户主家", seq=13, grid=GRID_2), "B", "配偶"],
        ["无证件", "女", "2001-01-01", "", "", GRID, "户籍", "", ""],
    ]
    run(write_csv(keyring / "first.csv", first, headers=headers))
    second = [
        *good_rows(6, start=20),
        person_row("无电话", seq=81, phone=""),
        ["外籍", "男", "1990-01-01", "", "", GRID_2, "境外"],
        ["无证件", "男", "1990-01-01", "", "13838001234", NEIGHBOUR_GRID, "户籍"],
        person_row("重复", seq=41),  # the same ID number as 居民20: rejected, not counted
    ]
    rows = [[*r, ""] for r in second] + [[*person_row("迁出", seq=53), "迁出"]]
    report = run(
        write_csv(keyring / "second.csv", rows, headers=[*HEADERS, "人员状态"]),
        policy="skip_invalid",
    )
    assert [e.reason for e in report.errors] == ["the same ID number as row 2"]
    assert report.created == 10
    assert GridCompleteness.objects.get(grid_code=GRID).gaps == {
        "person_no_phone": 2,
        "person_no_id": 1,
    }
    assert stored() == recounted()


def test_an_update_and_a_new_household_are_recounted(territory, keyring):  # noqa: F811
    run(write_csv(keyring / "first.csv", good_rows(4)))
    rows = good_rows(4)
    rows[0][4] = ""  # an update drops nothing: an empty cell keeps the phone
    rows[1][5] = GRID if rows[1][5] == GRID_2 else GRID_2  # moves
    headers = [*HEADERS, "户号", "与户主关系"]
    rows = [[*r, "", ""] for r in rows]
    rows.append([*person_row("新户主", seq=61), "H", "户主"])
    report = run(write_csv(keyring / "second.csv", rows, headers=headers), mode="update")
    assert (report.updated, report.created) == (4, 1)
    assert stored() == recounted()


def test_status_column_people_not_living_count_nowhere(territory, keyring):  # noqa: F811
    headers = [*HEADERS, "人员状态"]
    rows = [[*person_row("甲", seq=71), "迁出"], [*person_row("乙", seq=73), "在住"]]
    run(write_csv(keyring / "p.csv", rows, headers=headers))
    assert stored() == recounted()
    assert rollups.figures(GRID[:12])["total"] == 1
    assert make_id_number(seq=71)  # the moved-out person is stored all the same
