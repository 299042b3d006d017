"""The isolation roll-ups, kept by ``actions.isolation`` in the transaction of each write.

Current (per grid of the episode): ``isolated:home``, ``isolated:centralised`` — people in
an active episode of that kind.

Daily (per grid and day): ``isolation:started`` (episodes by start date),
``isolation:released`` (by release day), ``follow_ups:due`` (follow-ups on that day's
lists, whatever became of them), ``follow_ups:done`` and ``follow_ups:missed`` (of them,
recorded and missed). Still to do on a day = due − done − missed.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, Q

from gridgov.epidemic import rollups
from gridgov.epidemic.models import (
    FollowUpStatus,
    IsolationEpisode,
    IsolationFollowUp,
    IsolationStatus,
)

ISOLATED = "isolated:"
STARTED = "isolation:started"
RELEASED = "isolation:released"
FOLLOW_UPS_DUE = "follow_ups:due"
FOLLOW_UPS_DONE = "follow_ups:done"
FOLLOW_UPS_MISSED = "follow_ups:missed"
DAILY = (STARTED, RELEASED, FOLLOW_UPS_DUE, FOLLOW_UPS_DONE, FOLLOW_UPS_MISSED)


def isolated(kind: str) -> str:
    """The standing measure of a kind of isolation: ``isolated:home``…"""
    return ISOLATED + kind


def count_daily() -> dict[rollups.DayKey, Counter[str]]:
    counts: dict[rollups.DayKey, Counter[str]] = defaultdict(Counter)
    episodes = IsolationEpisode.objects.order_by()
    for grid, day, n in episodes.values_list("grid_code", "start_date").annotate(n=Count("pk")):
        counts[(grid, day)][STARTED] += n
    for grid, day, n in (
        episodes.filter(status=IsolationStatus.RELEASED)
        .values_list("grid_code", "released_on")
        .annotate(n=Count("pk"))
    ):
        counts[(grid, day)][RELEASED] += n
    for grid, day, due, done, missed in (
        IsolationFollowUp.objects.order_by()
        .values_list("grid_code", "date")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(status=FollowUpStatus.DONE)),
            missed=Count("pk", filter=Q(status=FollowUpStatus.MISSED)),
        )
    ):
        counter = counts[(grid, day)]
        counter[FOLLOW_UPS_DUE] += due
        counter[FOLLOW_UPS_DONE] += done
        counter[FOLLOW_UPS_MISSED] += missed
    return counts


def count_current() -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for grid, kind, n in (
        IsolationEpisode.objects.filter(status=IsolationStatus.ACTIVE)
        .order_by()
        .values_list("grid_code", "kind")
        .annotate(n=Count("pk"))
    ):
        counts[grid][isolated(kind)] += n
    return counts


TALLY = rollups.Tally(
    name="isolation",
    daily=Q(measure__in=DAILY),
    current=Q(measure__startswith=ISOLATED),
    count_daily=count_daily,
    count_current=count_current,
)
