"""Community situations (domain.md §5) on their boundaries: the 14th day back counts and
the 15th does not; one case is "cases", not "no case"; two of unknown source are community
transmission, one known and one unknown are not; a small unit is a building (or a
household without one); suspected and excluded cases do not count, recovered ones do; a
case counts in its own community only. Rows are kept per community and day, written with
every case write and by ``compute_situations`` (the nightly command), replaced not
duplicated."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.epidemic import rules
from gridgov.epidemic.actions import contacts as actions
from gridgov.epidemic.models import CommunitySituation, InfectionCase
from gridgov.epidemic.tests.fixtures import Epi
from gridgov.registry import actions as registry_actions
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID, NEIGHBOUR_COMMUNITY

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> dt.date:
    return rules.today() - dt.timedelta(days=n)


def report(
    epi: Epi, person: Any, n: int = 0, *, kind: str = "confirmed", known: bool = False
) -> InfectionCase:
    return actions.record_infection_case(
        actor=epi.county,
        person_id=person.pk,
        kind=kind,
        reported_on=days_ago(n),
        source_known=known,
        source_note="家庭聚集" if known else "",
    )


def situation(code: str = COMMUNITY, n: int = 0) -> CommunitySituation:
    """The situation of ``code`` ``n`` days ago, as computed now (not the stored row)."""
    return actions.situations_of({code}, [days_ago(n)])[0]


def resident(epi: Epi, name: str, **fields: Any) -> Any:
    return registry_actions.create_person(actor=epi.r.worker, name=name, **fields)


# --- the rule alone -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cases", "expected"),
    [
        ([], ("no_case", 0, 0, 0)),
        ([("household:1", True)], ("cluster", 1, 0, 1)),
        ([("household:1", False)], ("cluster", 1, 1, 1)),
        ([("household:1", True), ("household:2", False)], ("cluster", 2, 1, 1)),
        ([("building:1", True), ("building:1", True)], ("cluster", 2, 0, 2)),
        ([("person:1", False), ("person:2", False)], ("transmission", 2, 2, 1)),
    ],
)
def test_judge(cases: list[tuple[str, bool]], expected: tuple[Any, ...]) -> None:
    found = actions.judge(cases)
    assert (found.situation, found.cases, found.unknown_source, found.largest_unit) == expected


def test_the_small_unit_is_the_building_else_the_household_else_the_person() -> None:
    assert actions.small_unit(1, 2, 3) == "building:3"
    assert actions.small_unit(1, 2, None) == "household:2"
    assert actions.small_unit(1, None, None) == "person:1"


# --- on the boundaries, from the rows -------------------------------------------------------


def test_the_fourteenth_day_back_counts_the_fifteenth_does_not(epi: Epi) -> None:
    report(epi, epi.r.person, 13)
    report(epi, epi.r.elder, 14)
    today = situation()
    assert (today.situation, today.cases_14d) == ("cluster", 1)
    yesterday = situation(n=1)
    assert yesterday.cases_14d == 2
    assert situation(n=14).cases_14d == 1  # the 14-day-old case on its own day
    assert situation(n=15).situation == "no_case"  # before either


def test_one_case_is_not_no_case_two_of_unknown_source_are_transmission(epi: Epi) -> None:
    assert situation().situation == "no_case"
    report(epi, epi.r.elder, 2)
    assert (situation().situation, situation().unknown_source_14d) == ("cluster", 1)
    report(epi, epi.r.migrant, 1)
    found = situation()
    assert (found.situation, found.cases_14d, found.unknown_source_14d) == ("transmission", 2, 2)


def test_a_known_source_is_no_transmission(epi: Epi) -> None:
    report(epi, epi.r.elder, 2, known=False)
    report(epi, epi.r.migrant, 1, known=True)
    assert (situation().situation, situation().unknown_source_14d) == ("cluster", 1)


def test_a_cluster_is_two_cases_in_one_building(epi: Epi) -> None:
    report(epi, epi.r.person, 3, known=True)
    report(epi, epi.spouse, 1, known=True)  # the same household, in 3号楼
    assert situation().largest_unit_14d == 2
    upstairs = registry_actions.create_household(
        actor=epi.r.worker, address="河街路12号3号楼1单元201", building_id=epi.r.building.pk
    )
    neighbour = resident(epi, "楼上邻居", sex="F", household_id=upstairs.pk)
    report(epi, neighbour, 0, known=True)  # another household of the same building
    assert (situation().largest_unit_14d, situation().situation) == (3, "cluster")


def test_different_households_are_different_units(epi: Epi) -> None:
    report(epi, epi.r.person, 2, known=True)  # 3号楼
    report(epi, epi.r.elder, 1, known=True)  # 河街路14号, a household without a building
    report(epi, epi.r.migrant, 0, known=True)  # no household
    found = situation()
    assert (found.cases_14d, found.largest_unit_14d, found.situation) == (3, 1, "cluster")


def test_suspected_and_excluded_cases_do_not_count_recovered_ones_do(epi: Epi) -> None:
    report(epi, epi.r.person, 2, kind="suspected")
    assert situation().situation == "no_case"
    elder = report(epi, epi.r.elder, 3, kind="asymptomatic")
    actions.change_infection_case(elder.pk, actor=epi.county, status="recovered")
    assert situation().cases_14d == 1
    suspected = InfectionCase.objects.get(person=epi.r.person)
    actions.change_infection_case(suspected.pk, actor=epi.county, status="excluded")
    assert situation().cases_14d == 1


def test_a_case_counts_in_its_own_community_only(epi: Epi) -> None:
    report(epi, epi.r.neighbour_person, 1)
    assert situation().situation == "no_case"
    assert situation(NEIGHBOUR_COMMUNITY).situation == "cluster"


# --- stored rows ----------------------------------------------------------------------------


def stored(code: str = COMMUNITY) -> dict[dt.date, str]:
    return dict(
        CommunitySituation.objects.filter(community_code=code).values_list("date", "situation")
    )


def test_every_case_write_keeps_the_days_it_counts_in(epi: Epi) -> None:
    first = report(epi, epi.r.elder, 3)
    assert stored() == {days_ago(n): "cluster" for n in range(4)}
    report(epi, epi.r.migrant, 1)
    assert stored()[days_ago(3)] == "cluster"
    assert [stored()[days_ago(n)] for n in (1, 0)] == ["transmission", "transmission"]
    actions.change_infection_case(first.pk, actor=epi.county, reported_on=days_ago(20))
    # Moved back: its old days lose it, the 14 days after its new day gain it.
    assert stored()[days_ago(3)] == "no_case"
    assert stored()[days_ago(20)] == "cluster"
    assert stored()[days_ago(7)] == "cluster"
    assert stored()[days_ago(0)] == "cluster"  # the migrant's case alone now


def test_the_nightly_computation_covers_every_community_and_replaces_its_rows(
    epi: Epi,
) -> None:
    report(epi, epi.r.person, 1)
    assert actions.compute_situations(rules.today()) == 4  # the test city's communities
    rows = CommunitySituation.objects.filter(date=rules.today())
    assert dict(rows.values_list("community_code", "situation")) == {
        COMMUNITY: "cluster",
        NEIGHBOUR_COMMUNITY: "no_case",
        "411302002001": "no_case",
        "411303001001": "no_case",
    }
    assert actions.compute_situations(rules.today(), ["411302001"]) == 2
    assert CommunitySituation.objects.filter(date=rules.today()).count() == 4
    assert actions.compute_situations(days_ago(1), [GRID]) == 1  # a grid's community
    assert set(stored()) == {days_ago(1), rules.today()}
