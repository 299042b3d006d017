"""Screening campaigns, their tasks and records, and their progress — scoped to the user.

- Campaigns are read by anyone holding ``epidemic.view``, ``epidemic.aggregate`` or
  ``epidemic.campaign`` over a place the campaign concerns: its region is inside the
  user's scope (a community's own campaign) or above it (the city's campaign, seen by a
  grid worker). A campaign says nothing about people.
- Tasks and records are people: ``epidemic.view`` over their grid; outside it they do
  not exist for the user (NotFound).
- Progress comes from the roll-ups only (``tallies.screening``) and needs
  ``epidemic.aggregate`` over the node shown — leaders see figures, never people.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, NullIf, Substr

from gridgov.accounts import scope
from gridgov.accounts.models import GridAssignment, RoleAssignment
from gridgov.accounts.roles import Role
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic import rules
from gridgov.epidemic.capabilities import AGGREGATE, CAMPAIGN, SCREEN, VIEW
from gridgov.epidemic.models import (
    CampaignStatus,
    CampaignTarget,
    CurrentCount,
    DailyCount,
    Health,
    ScreeningCampaign,
    ScreeningRecord,
    ScreeningTask,
    TaskStatus,
)
from gridgov.epidemic.queries import risk as risk_queries
from gridgov.epidemic.tallies import screening as tally
from gridgov.registry.models import CareTag, Person, PersonStatus, TagStatus
from gridgov.registry.shaping import clean_text, own_grid_codes
from gridgov.territory import codes
from gridgov.territory.models import Region

# A task where nobody was found at home stays on the walk list until this many visits.
MAX_ATTEMPTS = 3
CAMPAIGN_READERS = (VIEW, AGGREGATE, CAMPAIGN)
TASK_FILTERS = ("todo", "open", "done", "unreachable", "cancelled", "all")


def _prefixes(user: Any, capabilities: Iterable[str]) -> list[str]:
    return scope.minimal_prefixes(
        code for capability in capabilities for code in scope.scope_codes(user, capability)
    )


def _get(queryset: QuerySet, pk: Any) -> Any:
    try:
        return queryset.get(pk=int(pk))
    except (queryset.model.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


# --- campaigns ----------------------------------------------------------------------------


def concerning(prefixes: Sequence[str], field_name: str = "region_code") -> Q:
    """Rows whose territory code lies inside one of ``prefixes`` or above it."""
    if "" in prefixes:
        return Q()
    q = Q(pk__in=[])
    for prefix in prefixes:
        above = [prefix[:n] for n in codes.CODE_LENGTH.values() if n < len(prefix)]
        q |= Q(**{f"{field_name}__startswith": prefix}) | Q(**{f"{field_name}__in": above})
    return q


def visible_campaigns(user: Any) -> QuerySet[ScreeningCampaign]:
    prefixes = _prefixes(user, CAMPAIGN_READERS)
    if not prefixes:
        raise PermissionDenied()
    return ScreeningCampaign.objects.filter(concerning(prefixes))


def get_campaign_for(user: Any, campaign_id: Any) -> ScreeningCampaign:
    return _get(visible_campaigns(user).select_related("created_by"), campaign_id)


def search_campaigns(
    user: Any, *, q: str = "", status: str = "", code: str = ""
) -> QuerySet[ScreeningCampaign]:
    """Campaigns by a part of their name, status, and the place they concern (``code``:
    campaigns at, under or above it); newest first."""
    campaigns = visible_campaigns(user)
    text = clean_text(q)
    if text:
        campaigns = campaigns.filter(name__icontains=text)
    if status:
        if status not in CampaignStatus.values:
            raise InvalidInput(fields={"status": ", ".join(CampaignStatus.values)})
        campaigns = campaigns.filter(status=status)
    code = clean_text(code, 15)
    if code:
        campaigns = campaigns.filter(concerning([code]))
    return campaigns.select_related("created_by").order_by("-created_at", "-pk")


def campaign_targets(campaign: ScreeningCampaign, actor: Any) -> QuerySet[Person]:
    """The living people under the campaign's region its target names: everyone; those
    who arrived from a place that was a risk area on the day (since ``arrivals_since``,
    from the movement register, as ``risk.risk_arrivals`` finds them for ``actor``); the
    members of a care group; or the people of its imported list."""
    people = Person.objects.filter(
        status=PersonStatus.LIVING, grid_code__startswith=campaign.region_code
    )
    if campaign.target == CampaignTarget.RISK_ARRIVALS:
        since = campaign.arrivals_since or rules.today()
        arrivals = risk_queries.risk_arrivals(actor, since).order_by()
        return people.filter(pk__in=arrivals.values("person_id"))
    if campaign.target == CampaignTarget.CARE_GROUP:
        members = CareTag.objects.filter(kind=campaign.care_kind).exclude(status=TagStatus.ENDED)
        return people.filter(pk__in=members.values("person_id"))
    if campaign.target == CampaignTarget.IMPORTED:
        return people.filter(pk__in=campaign.tasks.values("person_id"))
    return people


def grid_workers(code: str) -> dict[str, int]:
    """{grid under ``code``: the user its tasks go to}: the grid's main worker, else its
    deputy, else a grid worker whose role is bound to that very grid (two queries)."""
    found: dict[str, int] = {}
    for grid, user_id in (
        RoleAssignment.objects.active()
        .filter(role=Role.GRID_WORKER, scope_code__startswith=code, user__is_active=True)
        .order_by("scope_code", "pk")
        .values_list("scope_code", "user_id")
    ):
        if len(grid) == codes.CODE_LENGTH[codes.GRID]:
            found.setdefault(grid, user_id)
    # Deputies first, so that the main worker (written last) wins.
    for grid, user_id in (
        GridAssignment.objects.active()
        .filter(grid_code__startswith=code, user__is_active=True)
        .order_by("grid_code", "-is_deputy", "-pk")
        .values_list("grid_code", "user_id")
    ):
        found[grid] = user_id
    return found


# --- progress (roll-ups only) -------------------------------------------------------------


@dataclass
class Figures:
    """A campaign's figures under one territory node."""

    code: str
    name: str = ""
    tasks: int = 0
    done: int = 0
    unreachable: int = 0

    @property
    def not_visited(self) -> int:
        return max(0, self.tasks - self.done - self.unreachable)

    def share(self, n: int) -> float:
        return round(100 * n / self.tasks, 1) if self.tasks else 0.0

    @property
    def done_percent(self) -> float:
        return self.share(self.done)

    @property
    def unreachable_percent(self) -> float:
        return self.share(self.unreachable)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "tasks": self.tasks,
            "done": self.done,
            "unreachable": self.unreachable,
            "not_visited": self.not_visited,
            "done_percent": self.done_percent,
        }


@dataclass
class Progress:
    node: Figures
    children: list[Figures] = field(default_factory=list)
    trail: list[tuple[str, str]] = field(default_factory=list)  # (code, name) down to node
    trend: list[dict[str, Any]] = field(default_factory=list)


def progress_node(user: Any, campaign: ScreeningCampaign, code: str = "") -> str:
    """The node whose figures the user reads: ``code`` (inside the campaign's region),
    else the campaign's region, else the part of it the user may aggregate."""
    code = clean_text(code, 15)
    if code:
        valid = code.isdigit() and len(code) in codes.LEVEL_BY_LENGTH
        if not (valid and code.startswith(campaign.region_code)):
            raise NotFound()
        scope.require(user, AGGREGATE, code)
        return code
    if scope.has_capability(user, AGGREGATE, campaign.region_code):
        return campaign.region_code
    mine = [p for p in scope.scope_codes(user, AGGREGATE) if p.startswith(campaign.region_code)]
    if not mine:
        scope.require(user, AGGREGATE, campaign.region_code)
    return mine[0]


def _child_length(code: str) -> int | None:
    lengths = sorted(codes.CODE_LENGTH.values())
    later = [n for n in lengths if n > len(code)]
    return later[0] if later else None


def progress(user: Any, campaign: ScreeningCampaign, code: str = "") -> Progress:
    """The campaign's figures under a node and each of its children — every child of the
    node with one grouped query over the roll-ups, the names with one more."""
    node_code = progress_node(user, campaign, code)
    measures = tally.campaign_measures(campaign.pk)
    what_of = {measure: what for what, measure in measures.items()}
    child_length = _child_length(node_code)
    part = Substr("grid_code", 1, child_length) if child_length else Value(node_code)
    sums: dict[str, dict[str, int]] = defaultdict(dict)
    for child, measure, n in (
        CurrentCount.objects.filter(
            grid_code__startswith=node_code, measure__in=list(measures.values())
        )
        .annotate(part=part)
        .values_list("part", "measure")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        sums[child][what_of[measure]] = int(n or 0)
    lengths = [n for n in codes.CODE_LENGTH.values() if len(campaign.region_code) <= n]
    trail_codes = [node_code[:n] for n in lengths if n <= len(node_code)]
    wanted = Q(code__in=trail_codes)
    if child_length:
        wanted |= Q(code__startswith=node_code, level=codes.LEVEL_BY_LENGTH[child_length])
    names = dict(Region.objects.filter(wanted).values_list("code", "name"))
    child_codes = {c for c in names if len(c) == child_length} | (set(sums) - {node_code})
    children = [Figures(c, names.get(c, c), **sums.get(c, {})) for c in sorted(child_codes)]
    node = Figures(node_code, names.get(node_code, node_code))
    for found in sums.values():
        for what, n in found.items():
            setattr(node, what, getattr(node, what) + n)
    trail = [(c, names.get(c, c)) for c in trail_codes if scope.has_capability(user, AGGREGATE, c)]
    return Progress(node=node, children=children, trail=trail)


def trend(campaign: ScreeningCampaign, node_code: str) -> list[dict[str, Any]]:
    """Tasks screened per day under the node since the campaign started, with the running
    total: its progress over time (one grouped query over the daily roll-ups)."""
    if campaign.started_at is None:
        return []
    first = rules.day_of(campaign.started_at)
    last = rules.day_of(campaign.closed_at) if campaign.closed_at else rules.today()
    per_day = dict(
        DailyCount.objects.filter(
            grid_code__startswith=node_code,
            measure=tally.campaign_measure(campaign.pk, "done"),
            date__gte=first,
            date__lte=last,
        )
        .values_list("date")
        .annotate(n=Sum("value"))
        .order_by()
    )
    days, total, day = [], 0, first
    while day <= last:
        total += int(per_day.get(day, 0) or 0)
        days.append({"date": day, "done": int(per_day.get(day, 0) or 0), "total": total})
        day += dt.timedelta(days=1)
    return days


def list_figures(user: Any, campaigns: Sequence[ScreeningCampaign]) -> dict[int, Figures]:
    """Each campaign's figures within the user's aggregate scope (one query for a page)."""
    started = [c for c in campaigns if c.started_at is not None]
    if not started or not scope.has_capability(user, AGGREGATE):
        return {}
    measures = {
        measure: (c.pk, what)
        for c in started
        for what, measure in tally.campaign_measures(c.pk).items()
    }
    found = {c.pk: Figures(c.region_code) for c in started}
    rows = (
        CurrentCount.objects.filter(
            scope.scope_filter(user, capability=AGGREGATE), measure__in=list(measures)
        )
        .values_list("measure")
        .annotate(n=Sum("value"))
        .order_by()
    )
    for measure, n in rows:
        campaign_id, what = measures[measure]
        setattr(found[campaign_id], what, int(n or 0))
    return found


def figures_for(
    user: Any,
    *,
    grids: Sequence[str] | None = None,
    prefix: str = "",
    campaign_id: int | None = None,
) -> Figures:
    """Tasks, screened and not found at home over some grids or under a node — of one
    campaign, else of every campaign under way — from the roll-ups (one query)."""
    scope.require(user, AGGREGATE, prefix or None)
    if campaign_id is not None:
        measures = tally.campaign_measures(campaign_id)
    else:
        measures = dict(tally.OVERALL)
    what_of = {measure: what for what, measure in measures.items()}
    rows = CurrentCount.objects.filter(
        scope.scope_filter(user, capability=AGGREGATE), measure__in=list(measures.values())
    )
    if grids is not None:
        rows = rows.filter(grid_code__in=list(grids))
    if prefix:
        rows = rows.filter(grid_code__startswith=prefix)
    found = Figures(prefix)
    for measure, n in rows.values_list("measure").annotate(n=Sum("value")).order_by():
        setattr(found, what_of[measure], int(n or 0))
    return found


# --- tasks --------------------------------------------------------------------------------


def visible_tasks(user: Any, capability: str = VIEW) -> QuerySet[ScreeningTask]:
    return ScreeningTask.objects.filter(scope.scope_filter(user, capability=capability))


def get_task_for(user: Any, task_id: Any, capability: str = VIEW) -> ScreeningTask:
    tasks = visible_tasks(user, capability).select_related(
        "campaign", "person", "person__household", "person__household__building", "assignee"
    )
    return _get(tasks, task_id)


def to_visit() -> Q:
    """Tasks still to visit: open, or nobody at home fewer than ``MAX_ATTEMPTS`` times."""
    return Q(status=TaskStatus.OPEN) | Q(status=TaskStatus.UNREACHABLE, attempts__lt=MAX_ATTEMPTS)


def _status_filter(status: str) -> Q:
    if status == "todo":
        return to_visit()
    if status in ("", "all"):
        return Q()
    if status not in TaskStatus.values:
        raise InvalidInput(fields={"status": ", ".join(TASK_FILTERS)})
    return Q(status=status)


# The order of a door-to-door walk: building, unit, room, household, then the person.
WALK = (
    Coalesce(
        NullIf(F("person__household__building__address"), Value("")),
        NullIf(F("person__household__address"), Value("")),
        F("person__address"),
        Value(""),
    ),
    Coalesce(F("person__household__unit"), Value("")),
    Coalesce(F("person__household__room"), Value("")),
)


def task_list(
    user: Any,
    *,
    mine: bool = False,
    grid: str = "",
    campaign_id: int | None = None,
    status: str = "todo",
    q: str = "",
) -> QuerySet[ScreeningTask]:
    """Tasks in walking order. ``mine``: the user's own door-to-door list (tasks of
    campaigns under way assigned to them or in the grids they cover); ``grid``: a grid or
    any node (``epidemic.view`` over it), unassigned tasks included. ``status``: "todo"
    (default: still to visit), a task status, or "all"; ``q``: part of a name or address."""
    scope.require(user, SCREEN if mine else VIEW)
    tasks = visible_tasks(user).filter(campaign__status=CampaignStatus.ACTIVE)
    grid = clean_text(grid, 15)
    if grid:
        scope.require(user, VIEW, grid)
        tasks = tasks.filter(grid_code__startswith=grid)
    if mine:
        tasks = tasks.filter(Q(assignee_id=user.pk) | Q(grid_code__in=own_grid_codes(user)))
    if campaign_id is not None:
        tasks = tasks.filter(campaign_id=campaign_id)
    tasks = tasks.filter(_status_filter(status))
    text = clean_text(q)
    if text:
        tasks = tasks.filter(
            Q(person__name__icontains=text)
            | Q(person__address__icontains=text)
            | Q(person__household__address__icontains=text)
        )
    return tasks.select_related(
        "campaign", "person", "person__household", "person__household__building"
    ).order_by(*WALK, F("person__household_id").asc(nulls_last=True), "person__name", "pk")


def open_task_for(user: Any, person_id: int) -> ScreeningTask | None:
    """The person's task still to visit in a campaign under way, if the user may see it."""
    return (
        visible_tasks(user)
        .filter(to_visit(), person_id=person_id, campaign__status=CampaignStatus.ACTIVE)
        .order_by("-campaign__started_at", "-pk")
        .first()
    )


# --- records ------------------------------------------------------------------------------


def visible_records(user: Any) -> QuerySet[ScreeningRecord]:
    return ScreeningRecord.objects.filter(scope.scope_filter(user, capability=VIEW))


def get_record_for(user: Any, record_id: Any) -> ScreeningRecord:
    records = visible_records(user).select_related("person", "campaign", "task", "screened_by")
    return _get(records, record_id)


def day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first moment of a site day and of the next."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=rules.site_zone())
    return start, start + dt.timedelta(days=1)


def search_records(
    user: Any,
    *,
    campaign_id: int | None = None,
    code: str = "",
    health: str = "",
    unclear: bool | None = None,
    day: dt.date | None = None,
    q: str = "",
    person_id: int | None = None,
) -> QuerySet[ScreeningRecord]:
    """Screening records under ``code`` (a territory prefix), of a campaign, by health
    answer, with unclear points or not, of a day, of a person or by a part of the name;
    newest first."""
    scope.require(user, VIEW, clean_text(code, 15) or None)
    records = visible_records(user)
    code = clean_text(code, 15)
    if code:
        records = records.filter(grid_code__startswith=code)
    if campaign_id is not None:
        records = records.filter(campaign_id=campaign_id)
    if health:
        if health not in Health.values:
            raise InvalidInput(fields={"health": ", ".join(Health.values)})
        records = records.filter(health=health)
    if unclear is not None:
        records = (
            records.filter(unclear_count__gt=0) if unclear else records.filter(unclear_count=0)
        )
    if day is not None:
        start, end = day_range(day)
        records = records.filter(screened_at__gte=start, screened_at__lt=end)
    if person_id is not None:
        records = records.filter(person_id=person_id)
    text = clean_text(q)
    if text:
        records = records.filter(person__name__icontains=text)
    return records.select_related("person", "campaign", "screened_by").order_by(
        "-screened_at", "-pk"
    )
