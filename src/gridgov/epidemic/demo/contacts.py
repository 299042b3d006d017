"""Demo cases and close contacts in the detailed townships, and every community's situation.

What a first start shows, through the real actions (audited as the demo's actor):

- a family cluster in the demo users' own community (东关街道's first): a confirmed case
  back from another province, then a family member (in the same building) confirmed as
  asymptomatic three days later; the family and two neighbours as first-degree contacts,
  a neighbour's family as second-degree ones;
- community transmission in the next community of the township: two confirmed cases of
  unknown source in different homes, each with household contacts;
- a suspected case excluded in the neighbouring street, and a case recovered a month ago
  in the rural town (outside the 14 days: its village has no case now);
- every other community: no case, with the 14 days of history computed.

Deterministic from ``seed``; adds nothing when the city has cases already (today's
situations are computed again, so a demo started days later is current).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from gridgov.demo.builder import ACTOR
from gridgov.epidemic import rules
from gridgov.epidemic.actions import contacts as actions
from gridgov.epidemic.models import CaseStatus, CloseContact, InfectionCase
from gridgov.registry import actions as registry
from gridgov.registry.models import Person, PersonStatus

ORDER = 30
HOME_TOWNSHIP = "411302001"
NEIGHBOUR_TOWNSHIP = "411302002"
RURAL_TOWN = "411302102"


def _people(prefix: str) -> list[Person]:
    return list(
        Person.objects.filter(grid_code__startswith=prefix, status=PersonStatus.LIVING).order_by(
            "grid_code", "pk"
        )
    )


def _communities(township: str) -> list[str]:
    return actions.communities([township])


def _family(rng: random.Random, grid_people: Sequence[Person], size: int) -> list[Person]:
    """``size`` people of one grid moved into one household of a new building."""
    members = rng.sample(list(grid_people), size)
    grid = members[0].grid_code
    number = rng.randint(1, 40)
    building = registry.create_building(
        actor=ACTOR,
        grid_code=grid,
        name=f"{number}号楼",
        address=f"{members[0].address}{number}号楼",
    )
    household = registry.create_household(
        actor=ACTOR,
        address=f"{building.address}1单元{rng.randint(1, 6)}0{rng.randint(1, 4)}",
        building_id=building.pk,
        unit="1单元",
    )
    moved = []
    for position, person in enumerate(members):
        moved.append(
            registry.update_person(
                person.pk,
                actor=ACTOR,
                expected_version=None,
                household_id=household.pk,
                relation="head" if position == 0 else "other",
                address=household.address,
            )
        )
    return moved


def _case(person: Person, kind: str, days_ago: int, known: bool, note: str = "") -> Any:
    return actions.record_infection_case(
        actor=ACTOR,
        person_id=person.pk,
        kind=kind,
        reported_on=rules.today() - dt.timedelta(days=days_ago),
        source_known=known,
        source_note=note,
    )


def _link(person: Person, source: Person, setting: str, days_ago: int) -> None:
    actions.link_close_contact(
        actor=ACTOR,
        person_id=person.pk,
        source_id=source.pk,
        setting=setting,
        last_contact_date=rules.today() - dt.timedelta(days=days_ago),
        origin="tracing",
    )


def _by_grid(people: Sequence[Person]) -> dict[str, list[Person]]:
    grids: dict[str, list[Person]] = {}
    for person in people:
        grids.setdefault(person.grid_code, []).append(person)
    return grids


def _cluster(rng: random.Random, community: str) -> None:
    grids = [g for g in _by_grid(_people(community)).values() if len(g) >= 12]
    if not grids:
        return
    grid_people = grids[0]
    family = _family(rng, grid_people, 4)
    index, partner, *others = family
    neighbours = [p for p in grid_people if p.pk not in {f.pk for f in family}]
    first, second = rng.sample(neighbours, 2), rng.sample(neighbours, 2)
    _case(index, "confirmed", 6, True, "外省返乡，途经中风险地区")
    for member in (partner, *others):
        _link(member, index, "household", 6)
    for neighbour in first:
        _link(neighbour, index, "gathering", 7)
    for relative in second:
        if relative.pk not in {n.pk for n in first}:
            _link(relative, first[0], "household", 5)
    _case(partner, "asymptomatic", 3, True)


def _transmission(rng: random.Random, community: str) -> None:
    people = _people(community)
    if len(people) < 10:
        return
    first, second, *rest = rng.sample(people, 8)
    _case(first, "confirmed", 4, False)
    _case(second, "confirmed", 2, False)
    for contact in rest[:3]:
        _link(contact, first, "work", 5)
    for contact in rest[3:]:
        _link(contact, second, "transport", 3)


def _closed(rng: random.Random, prefix: str, kind: str, days_ago: int, status: str) -> None:
    people = _people(prefix)
    if people:
        case = _case(rng.choice(people), kind, days_ago, True, "外省输入")
        actions.change_infection_case(case.pk, actor=ACTOR, status=status)


def seed(city: str, *, seed: int) -> int:
    """Seed the demo's cases and contacts (see the module); rows added."""
    if InfectionCase.objects.filter(grid_code__startswith=city).exists():
        actions.compute_situations(rules.today(), [city])
        return 0
    rng = random.Random(f"contacts-{seed}")
    home = _communities(HOME_TOWNSHIP)
    if home:
        _cluster(rng, home[0])
    if len(home) > 1:
        _transmission(rng, home[1])
    _closed(rng, NEIGHBOUR_TOWNSHIP, "suspected", 8, CaseStatus.EXCLUDED)
    _closed(rng, RURAL_TOWN, "confirmed", 30, CaseStatus.RECOVERED)
    today = rules.today()
    days = [today - dt.timedelta(days=n) for n in range(actions.WINDOW_DAYS)]
    situations = actions.save_situations(actions.situations_of(actions.communities([city]), days))
    cases = InfectionCase.objects.filter(grid_code__startswith=city).count()
    links = CloseContact.objects.filter(grid_code__startswith=city).count()
    return cases + links + situations
