"""Demo isolation in the detailed townships, through the real actions (audited as the demo's
actor, follow-ups of the demo grid worker's grids recorded by that worker):

- about a dozen people of the demo users' own community (the grid worker's grids first)
  and two dozen elsewhere, at home or in one of the city's isolation hotels, for arrivals
  from risk areas, close contacts, abnormal health and decisions, begun up to two weeks ago;
- every past day's follow-up: most done and normal, a few with a fever or a cough, some
  missed (flagged after the day's deadline), today's round partly done;
- a couple released by decision, and everyone the release rule releases today released.

Deterministic from ``seed``; adds nothing when the city has isolation history already.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from gridgov.accounts.models import GridAssignment
from gridgov.demo.builder import ACTOR
from gridgov.epidemic import rules
from gridgov.epidemic.actions import isolation as actions
from gridgov.epidemic.models import (
    FollowUpStatus,
    IsolationEpisode,
    IsolationFollowUp,
    IsolationKind,
    IsolationReason,
    IsolationStatus,
)
from gridgov.registry.models import Person, PersonStatus

ORDER = 40
HOME_COMMUNITY = "411302001001"  # the demo users' community (gridgov.demo.users)
AT_HOME = 12
ELSEWHERE = 24
HOTELS = (
    "卧龙宾馆集中隔离点",
    "白河宾馆集中隔离点",
    "宛城区疾控中心集中医学观察点",
)
REASONS = (
    (IsolationReason.RISK_ARRIVAL, 5, "自外地中风险地区返宛"),
    (IsolationReason.CLOSE_CONTACT, 3, "确诊病例密切接触者"),
    (IsolationReason.ABNORMAL, 1, "发热，核酸结果待出"),
    (IsolationReason.DECISION, 1, "区疫情防控指挥部决定"),
)
MISSED_SHARE = 0.08
ABNORMAL_SHARE = 0.05
TODAY_DONE_SHARE = 0.4


def _has_history(city: str) -> bool:
    return IsolationFollowUp.objects.filter(
        grid_code__startswith=city, date__lt=rules.today() - dt.timedelta(days=1)
    ).exists()


def _people(city: str, rng: random.Random) -> list[Person]:
    """The demo community's people first (the worker's grids), then others of the city."""
    living = Person.objects.filter(status=PersonStatus.LIVING).exclude(
        isolation_episodes__status=IsolationStatus.ACTIVE
    )
    home = list(living.filter(grid_code__startswith=HOME_COMMUNITY).order_by("grid_code", "pk"))
    rest = list(
        living.filter(grid_code__startswith=city)
        .exclude(grid_code__startswith=HOME_COMMUNITY)
        .order_by("pk")[:5000]
    )
    return rng.sample(home, min(AT_HOME, len(home))) + rng.sample(rest, min(ELSEWHERE, len(rest)))


def _start(person: Person, rng: random.Random) -> IsolationEpisode:
    reason, _weight, note = rng.choices(REASONS, weights=[r[1] for r in REASONS])[0]
    centralised = reason != IsolationReason.ABNORMAL and rng.random() < 0.3
    return actions.start_isolation(
        actor=ACTOR,
        person_id=person.pk,
        kind=IsolationKind.CENTRALISED if centralised else IsolationKind.HOME,
        reason=reason,
        start_date=rules.today() - dt.timedelta(days=rng.randint(0, 13)),
        place=f"{rng.choice(HOTELS)} {rng.randint(2, 6)}{rng.randint(1, 30):02d}室"
        if centralised
        else "",
        note=note,
    )


def _workers() -> dict[str, Any]:
    """{grid: its main worker}: they record their own grids' follow-ups."""
    return {
        a.grid_code: a.user
        for a in GridAssignment.objects.active().filter(is_deputy=False).select_related("user")
    }


def _visit(follow_up: IsolationFollowUp, rng: random.Random, workers: dict[str, Any]) -> None:
    sick = rng.random() < ABNORMAL_SHARE
    temperature = Decimal(
        str(round(rng.uniform(37.4, 38.6) if sick else rng.uniform(36.1, 36.9), 1))
    )
    actions.record_follow_up(
        follow_up.pk,
        actor=workers.get(follow_up.grid_code, ACTOR),
        temperature=temperature,
        symptoms=["cough"] if sick and rng.random() < 0.5 else [],
        note="电话随访" if rng.random() < 0.3 else "",
    )


def seed(city: str, *, seed: int) -> int:
    if _has_history(city):
        return 0
    rng = random.Random(f"isolation-{seed}")
    today = rules.today()
    episodes = [_start(person, rng) for person in _people(city, rng)]
    if not episodes:
        return 0
    workers = _workers()
    first = min(e.start_date for e in episodes)
    for offset in range((today - first).days):
        day = first + dt.timedelta(days=offset)
        actions.generate_follow_ups(day, actor=ACTOR)
        for follow_up in IsolationFollowUp.objects.filter(
            grid_code__startswith=city, date=day, status=FollowUpStatus.DUE
        ).order_by("pk"):
            if rng.random() >= MISSED_SHARE:
                _visit(follow_up, rng, workers)
        actions.flag_missed_follow_ups(day, actor=ACTOR)
    for follow_up in IsolationFollowUp.objects.filter(
        grid_code__startswith=city, date=today, status=FollowUpStatus.DUE
    ).order_by("pk"):
        if rng.random() < TODAY_DONE_SHARE:
            _visit(follow_up, rng, workers)
    for episode in rng.sample(episodes, 2):
        if episode.start_date < today - dt.timedelta(days=5):
            actions.release_isolation(episode.pk, actor=ACTOR, note="核酸检测阴性，经评估解除隔离")
    actions.release_by_rule(actor=ACTOR, code=city)
    return len(episodes) + IsolationFollowUp.objects.filter(grid_code__startswith=city).count()
