"""Demo screening: in the demo users' township (东关街道), a finished campaign of one
community (河街社区, closed two weeks ago: nearly everyone screened, a few never found at
home) and a township-wide campaign under way for three days, about two in five people
screened so far — so the grid worker's list, the progress pages and the charts all have
something to show.

The campaigns are created, started and closed through the actions (audited, roll-ups
kept); the visits are a past that happened elsewhere, written straight into the tables in
bulk (no audit events, like the demo's case history), and the screening roll-ups are then
recounted from the rows. Deterministic from the seed; a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from gridgov.epidemic import rules
from gridgov.epidemic.actions import screening as actions
from gridgov.epidemic.models import (
    CampaignTarget,
    ScreeningCampaign,
    ScreeningRecord,
    ScreeningTask,
    TaskStatus,
)
from gridgov.epidemic.tallies.screening import TALLY
from gridgov.registry.models import Person

ORDER = 20

# Where a real city would have run its ten-points screening in 2020, places in Hubei.
ORIGINS = ("420100", "420102", "420106", "420500", "420600", "421000", "421100", "421300")
TRANSPORTS = ("train", "car", "coach", "flight")


@dataclass(frozen=True)
class Plan:
    name: str
    region: str
    description: str
    started_days_ago: int
    closed_days_ago: int | None  # None: still under way
    done: float  # share screened
    unreachable: float  # share nobody was found at home
    due_in_days: int


def plans(city: str) -> list[Plan]:
    from gridgov.demo.users import HOME_COMMUNITY

    township = HOME_COMMUNITY[:9]
    if not HOME_COMMUNITY.startswith(city):
        return []
    return [
        Plan(
            "河街社区全员排查（第一轮）",
            HOME_COMMUNITY,
            "逐户逐人核实“十个清楚”，外地返回人员同步登记行程。",
            started_days_ago=20,
            closed_days_ago=13,
            done=0.95,
            unreachable=0.03,
            due_in_days=-14,
        ),
        Plan(
            "东关街道全员入户排查",
            township,
            "全街道逐户排查，发热、咳嗽人员立即上报社区；三次上门未见到人的标记为无法联系。",
            started_days_ago=2,
            closed_days_ago=None,
            done=0.4,
            unreachable=0.04,
            due_in_days=4,
        ),
    ]


def seed(city: str, *, seed: int) -> int:
    """Rows added: campaigns, tasks and records (0 when they are there already)."""
    added = 0
    for number, plan in enumerate(plans(city)):
        if ScreeningCampaign.objects.filter(name=plan.name, region_code=plan.region).exists():
            continue
        if not Person.objects.filter(grid_code__startswith=plan.region).exists():
            continue
        added += _run(plan, random.Random(f"{seed}:screening:{number}"))
    if added:
        with transaction.atomic():
            TALLY.rebuild()
    return added


def _run(plan: Plan, rng: random.Random) -> int:
    from gridgov.demo.builder import ACTOR

    today = rules.today()
    started = timezone.now() - dt.timedelta(days=plan.started_days_ago, hours=2)
    campaign = actions.create_campaign(
        actor=ACTOR,
        name=plan.name,
        description=plan.description,
        region_code=plan.region,
        target=CampaignTarget.EVERYONE,
        starts_on=today - dt.timedelta(days=plan.started_days_ago),
        due_on=today + dt.timedelta(days=plan.due_in_days),
    )
    campaign = actions.start_campaign(campaign.pk, actor=ACTOR)
    ScreeningCampaign.objects.filter(pk=campaign.pk).update(
        created_at=started - dt.timedelta(hours=3), started_at=started
    )
    tasks = list(ScreeningTask.objects.filter(campaign=campaign).select_related("person"))
    end = (
        timezone.now()
        if plan.closed_days_ago is None
        else timezone.now() - dt.timedelta(days=plan.closed_days_ago)
    )
    records, unreachable = _visits(campaign, tasks, plan, rng, started, end)
    with transaction.atomic():
        ScreeningRecord.objects.bulk_create(records, batch_size=2000)
        _mark(campaign, unreachable)
        TALLY.rebuild()
    if plan.closed_days_ago is not None:
        campaign.refresh_from_db()
        actions.close_campaign(campaign.pk, actor=ACTOR)
        ScreeningCampaign.objects.filter(pk=campaign.pk).update(closed_at=end)
    return 1 + len(tasks) + len(records)


def _visits(
    campaign: ScreeningCampaign,
    tasks: list[ScreeningTask],
    plan: Plan,
    rng: random.Random,
    start: dt.datetime,
    end: dt.datetime,
) -> tuple[list[ScreeningRecord], dict[int, list[int]]]:
    """Each task drawn screened, not found at home or not visited yet: a record for each
    one screened, at a moment of the campaign's days between 8:00 and 20:00, and the
    tasks nobody was found for by their number of visits."""
    span = max(1, int((end - start).total_seconds()))
    records = []
    unreachable: dict[int, list[int]] = defaultdict(list)
    for task in tasks:
        draw = rng.random()
        if draw < plan.done:
            at = _daytime(start + dt.timedelta(seconds=rng.randrange(span)), rng, end)
            records.append(_record(campaign, task, at, rng))
        elif draw < plan.done + plan.unreachable:
            unreachable[rng.randint(1, 3)].append(task.pk)
    return records, unreachable


def _mark(campaign: ScreeningCampaign, unreachable: dict[int, list[int]]) -> None:
    """The tasks' states after the visits, in a few set-wise UPDATEs: screened when a
    record names the task (done when that record was made), else nobody at home."""
    records = ScreeningRecord.objects.filter(task_id=OuterRef("pk"))
    ScreeningTask.objects.filter(Exists(records), campaign=campaign).update(
        status=TaskStatus.DONE,
        done_at=Subquery(records.order_by("screened_at").values("screened_at")[:1]),
    )
    for attempts, ids in unreachable.items():
        for start in range(0, len(ids), 500):
            ScreeningTask.objects.filter(pk__in=ids[start : start + 500]).update(
                status=TaskStatus.UNREACHABLE, attempts=attempts
            )


def _daytime(moment: dt.datetime, rng: random.Random, end: dt.datetime) -> dt.datetime:
    local = moment.astimezone(rules.site_zone())
    hour = 8 + rng.randrange(12)
    placed = local.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
    if placed > end:  # today, later than now: earlier this morning instead
        placed = end - dt.timedelta(minutes=rng.randrange(5, 240))
    return placed


def _record(
    campaign: ScreeningCampaign, task: ScreeningTask, at: dt.datetime, rng: random.Random
) -> ScreeningRecord:
    person = task.person
    answers: dict[str, Any] = {
        "origin_code": "",
        "places_passed": "",
        "arrival_date": None,
        "transport": "",
        "transport_number": "",
        "companions": "",
        "health": "normal",
        "temperature": Decimal(f"36.{rng.randint(1, 9)}"),
        "measures": ["none"],
    }
    if rng.random() < 0.06:  # came back from elsewhere
        transport = rng.choice(TRANSPORTS)
        answers |= {
            "origin_code": rng.choice(ORIGINS),
            "arrival_date": rules.day_of(at) - dt.timedelta(days=rng.randint(1, 12)),
            "transport": transport,
            "transport_number": _number(transport, rng),
            "measures": ["health_watch"],
        }
    if rng.random() < 0.012:
        answers |= {
            "health": "fever_or_cough",
            "temperature": Decimal(f"{rng.choice((37, 38))}.{rng.randint(3, 9)}"),
            "measures": ["home_isolation"],
        }
    ticked = ["family"] if rng.random() < 0.04 else []
    if rng.random() < 0.02:
        ticked.append("close_contacts")
    points = actions.unclear_points(answers, ticked, bool(person.id_number_hash))
    return ScreeningRecord(
        person=person,
        campaign=campaign,
        task=task,
        grid_code=task.grid_code,
        lon=person.lon,
        lat=person.lat,
        created_at=at,
        screened_at=at,
        screened_by_id=task.assignee_id,
        unclear_points=points,
        unclear_count=len(points),
        **answers,
    )


def _number(transport: str, rng: random.Random) -> str:
    if transport == "train":
        return f"{rng.choice('GDK')}{rng.randint(100, 9999)}"
    if transport == "flight":
        return f"{rng.choice(('CZ', 'MU', 'CA', 'HU'))}{rng.randint(1000, 9999)}"
    if transport == "car":
        return f"豫R{rng.choice('ABCDEFGH')}{rng.randint(10000, 99999)}"
    return ""
