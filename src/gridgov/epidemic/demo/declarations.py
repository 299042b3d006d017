"""A week of daily health declarations in the demo city, through the real batch action —
so declaration days, roll-ups, health codes (yellow after a fever, red after a declared
contact, green again after 7 normal days) and the inbox alerts of abnormal declarations
are exactly what the product keeps.

Seven days, today included (the action accepts declarations up to seven days old; today's
only up to now). Each grid declares at its own rate: nearly everyone in the demo users'
own community (东关街道 河街社区), one in thirteen or so elsewhere (about 13,000 declarations for
the 20,000 demo residents, a few seconds). About one declaration in 200 is abnormal.
Most come from residents' phones (the API), some are recorded by grid workers.

Deterministic from ``seed``; adds nothing when the city has declarations already.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils import timezone

from gridgov.demo.builder import ACTOR
from gridgov.epidemic import rules
from gridgov.epidemic.actions.declarations import MAX_BATCH, record_declarations
from gridgov.epidemic.models import Channel, DeclaredBy, HealthDeclaration
from gridgov.registry.models import Person, PersonStatus

ORDER = 10
DAYS = 7
HOME_COMMUNITY = "411302001001"  # the demo users' community: nearly everyone declares
HOME_RATE = (0.88, 0.97)
OTHER_RATE = (0.03, 0.12)
FEVER, SYMPTOMS, CONTACT = 0.003, 0.0015, 0.0005


def _rate(rng: random.Random, grid: str) -> float:
    low, high = HOME_RATE if grid.startswith(HOME_COMMUNITY) else OTHER_RATE
    return rng.uniform(low, high)


def _moment(rng: random.Random, day: dt.date) -> dt.datetime:
    """Mostly the morning round, some in the evening."""
    hour = rng.choice((7, 7, 8, 8, 8, 9, 9, 10, 12, 18, 20, 21))
    local = dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)))
    return local.replace(tzinfo=rules.site_zone())


def _health(rng: random.Random) -> dict[str, Any]:
    draw = rng.random()
    if draw < FEVER:
        return {"temperature": Decimal(f"{rng.uniform(37.4, 38.8):.1f}"), "symptoms": ["fever"]}
    if draw < FEVER + SYMPTOMS:
        return {
            "temperature": Decimal(f"{rng.uniform(36.3, 37.1):.1f}"),
            "symptoms": [rng.choice(["cough", "sore_throat", "fatigue"])],
        }
    if draw < FEVER + SYMPTOMS + CONTACT:
        return {"temperature": Decimal(f"{rng.uniform(36.2, 36.9):.1f}"), "contact": True}
    return {"temperature": Decimal(f"{rng.uniform(36.0, 37.1):.1f}")}


def _by(rng: random.Random) -> tuple[str, str]:
    """(channel, declared by): mostly the person's own phone."""
    draw = rng.random()
    if draw < 0.08:
        return Channel.STAFF, DeclaredBy.GRID_WORKER
    if draw < 0.2:
        return Channel.API, DeclaredBy.HOUSEHOLD
    return Channel.API, DeclaredBy.SELF


def seed(city: str, *, seed: int) -> int:
    if HealthDeclaration.objects.filter(grid_code__startswith=city).exists():
        return 0
    people = list(
        Person.objects.filter(grid_code__startswith=city, status=PersonStatus.LIVING)
        .exclude(grid_code="")
        .order_by("pk")
        .values_list("pk", "grid_code")
    )
    rng = random.Random(f"declarations-{seed}")
    rates = {grid: _rate(rng, grid) for grid in sorted({grid for _pk, grid in people})}
    now = timezone.now()
    today = rules.today()
    written = 0
    for back in range(DAYS - 1, -1, -1):
        day = today - dt.timedelta(days=back)
        batches: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for pk, grid in people:
            if rng.random() >= rates[grid]:
                continue
            moment = _moment(rng, day)
            channel, by = _by(rng)
            if moment > now:
                continue  # today: not declared yet
            batches[channel].append(
                {
                    "person_id": pk,
                    "client_key": f"demo-{seed}-{pk}-{day:%Y%m%d}",
                    "declared_at": moment,
                    "declared_by": by,
                    **_health(rng),
                }
            )
        for channel, rows in sorted(batches.items()):
            rows.sort(key=lambda row: row["declared_at"])
            for start in range(0, len(rows), MAX_BATCH):
                result = record_declarations(
                    rows[start : start + MAX_BATCH], actor=ACTOR, channel=channel
                )
                written += result.created
    return written
