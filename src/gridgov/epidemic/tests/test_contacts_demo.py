"""The demo's cases and contacts, seeded into the test city: a cluster in the home
community, community transmission in the next, today's situations everywhere; a second
run adds nothing."""

from __future__ import annotations

import pytest

from gridgov.demo.builder import ACTOR
from gridgov.epidemic import rules
from gridgov.epidemic.demo import contacts as demo
from gridgov.epidemic.models import CloseContact, CommunitySituation, InfectionCase
from gridgov.epidemic.tallies.contacts import TALLY
from gridgov.epidemic.tests.fixtures import Epi
from gridgov.registry import actions as registry_actions

pytestmark = pytest.mark.django_db


def residents(epi: Epi, grid: str, n: int) -> None:
    for i in range(n):
        registry_actions.create_person(
            actor=ACTOR,
            name=f"居民{grid[-4:]}{i}",
            sex="MF"[i % 2],
            grid_code=grid,
            address=f"演示路{i}号",
        )


def test_the_demo_seeds_a_cluster_and_community_transmission(epi: Epi) -> None:
    residents(epi, "411302001001004", 14)
    residents(epi, "411302001002001", 10)
    added = demo.seed("4113", seed=7)
    assert added > 0
    today = dict(
        CommunitySituation.objects.filter(date=rules.today()).values_list(
            "community_code", "situation"
        )
    )
    assert today == {
        "411302001001": "cluster",
        "411302001002": "transmission",
        "411302002001": "no_case",
        "411303001001": "no_case",
    }
    home = CommunitySituation.objects.get(community_code="411302001001", date=rules.today())
    assert (home.cases_14d, home.largest_unit_14d) == (2, 2)  # one family, one building
    assert CloseContact.objects.filter(degree=2).exists()
    assert InfectionCase.objects.filter(status="excluded").count() == 1
    assert TALLY.matches_recount()
    cases, links = InfectionCase.objects.count(), CloseContact.objects.count()
    assert demo.seed("4113", seed=7) == 0
    assert (InfectionCase.objects.count(), CloseContact.objects.count()) == (cases, links)
