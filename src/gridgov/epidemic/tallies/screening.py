"""Roll-up measures of screening campaigns (what progress pages and the dashboard read).

Current (per grid):

- ``campaign:<id>:tasks``, ``campaign:<id>:done``, ``campaign:<id>:unreachable`` — the
  tasks of a campaign once it has been started (draft lists are not counted), by the
  task's grid: every task, those screened, those where nobody was found at home. They stay
  after the campaign is closed or cancelled, so a finished campaign still shows how far
  it got ("not visited" = tasks − done − unreachable);
- ``screening:tasks``, ``screening:done``, ``screening:unreachable`` — the same summed
  over the campaigns under way only (closing or cancelling a campaign takes its tasks
  out);
- ``screening:unclear`` — people whose latest screening record still has unclear points
  (by the grid of that record).

Daily (per grid, per day in Asia/Shanghai):

- ``screened`` — screening records written that day (by the day of ``screened_at``);
- ``campaign:<id>:done`` — tasks of the campaign screened that day (by the day a task was
  first done: the campaign's progress over time).

The actions add their deltas with ``rollups.add_current`` / ``add_daily`` in the
transaction of the write; ``TALLY`` recounts them from the rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate

from gridgov.epidemic import rollups, rules
from gridgov.epidemic.models import (
    CampaignStatus,
    ScreeningRecord,
    ScreeningTask,
    TaskStatus,
)

SCREENING = "screening:"
TASKS = "screening:tasks"
DONE = "screening:done"
UNREACHABLE = "screening:unreachable"
UNCLEAR = "screening:unclear"
SCREENED = "screened"
CAMPAIGN = "campaign:"
# Task statuses counted as done or unreachable (every task counts in "tasks").
COUNTED = {TaskStatus.DONE: "done", TaskStatus.UNREACHABLE: "unreachable"}
OVERALL = {"tasks": TASKS, "done": DONE, "unreachable": UNREACHABLE}


def campaign_measure(campaign_id: int, what: str) -> str:
    """``campaign:<id>:tasks`` / ``:done`` / ``:unreachable`` (current), ``:done`` (daily)."""
    return f"{CAMPAIGN}{campaign_id}:{what}"


def campaign_measures(campaign_id: int) -> dict[str, str]:
    """{"tasks" | "done" | "unreachable": the campaign's current measure}."""
    return {what: campaign_measure(campaign_id, what) for what in OVERALL}


def status_counts(tasks: QuerySet[ScreeningTask]) -> dict[tuple[int, str], Counter[str]]:
    """{(campaign, grid): Counter(tasks=, done=, unreachable=, open=)} of ``tasks``, in one
    grouped query: what the actions add or take away and what the recount counts."""
    found: dict[tuple[int, str], Counter[str]] = defaultdict(Counter)
    for campaign_id, grid, status, n in (
        tasks.values_list("campaign_id", "grid_code", "status").annotate(n=Count("pk")).order_by()
    ):
        counter = found[(campaign_id, grid)]
        counter["tasks"] += n
        counter[COUNTED.get(status, str(status))] += n
    return found


def deltas(
    counts: dict[tuple[int, str], Counter[str]], *, overall: bool, per_campaign: bool, sign: int
) -> dict[str, Counter[str]]:
    """Current-count deltas {grid: {measure: n}} of ``status_counts``: the overall
    ``screening:*`` and/or the per-campaign measures, added (``sign`` 1) or taken (-1)."""
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for (campaign_id, grid), counter in counts.items():
        for what, measure in OVERALL.items():
            n = sign * counter.get(what, 0)
            if overall:
                found[grid][measure] += n
            if per_campaign:
                found[grid][campaign_measure(campaign_id, what)] += n
    return found


def latest_records() -> QuerySet[ScreeningRecord]:
    """Each person's latest screening record (by ``screened_at``, then id)."""
    later = ScreeningRecord.objects.filter(person_id=OuterRef("person_id")).filter(
        Q(screened_at__gt=OuterRef("screened_at"))
        | Q(screened_at=OuterRef("screened_at"), pk__gt=OuterRef("pk"))
    )
    return ScreeningRecord.objects.exclude(Exists(later))


# --- recount ------------------------------------------------------------------------------


def _add(target: dict[str, Counter[str]], grids: Iterable[tuple[str, str, int]]) -> None:
    for grid, measure, n in grids:
        target[grid][measure] += n


def count_current() -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    started = ScreeningTask.objects.filter(campaign__started_at__isnull=False)
    for grid, counter in deltas(
        status_counts(started), overall=False, per_campaign=True, sign=1
    ).items():
        counts[grid].update(counter)
    active = started.filter(campaign__status=CampaignStatus.ACTIVE)
    for grid, counter in deltas(
        status_counts(active), overall=True, per_campaign=False, sign=1
    ).items():
        counts[grid].update(counter)
    unclear = (
        latest_records()
        .filter(unclear_count__gt=0)
        .values_list("grid_code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    _add(counts, ((grid, UNCLEAR, n) for grid, n in unclear))
    return counts


def count_daily() -> dict[rollups.DayKey, Counter[str]]:
    counts: dict[rollups.DayKey, Counter[str]] = defaultdict(Counter)
    zone = rules.site_zone()
    for grid, day, n in (
        ScreeningRecord.objects.annotate(day=TruncDate("screened_at", tzinfo=zone))
        .values_list("grid_code", "day")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[(grid, day)][SCREENED] += n
    done = ScreeningTask.objects.filter(
        campaign__started_at__isnull=False, status=TaskStatus.DONE, done_at__isnull=False
    )
    for campaign_id, grid, day, n in (
        done.annotate(day=TruncDate("done_at", tzinfo=zone))
        .values_list("campaign_id", "grid_code", "day")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[(grid, day)][campaign_measure(campaign_id, "done")] += n
    return counts


TALLY = rollups.Tally(
    name="screening",
    daily=Q(measure=SCREENED) | Q(measure__startswith=CAMPAIGN),
    current=Q(measure__startswith=SCREENING) | Q(measure__startswith=CAMPAIGN),
    count_daily=count_daily,
    count_current=count_current,
)
