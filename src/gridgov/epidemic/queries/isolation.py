"""Isolation episodes and follow-ups as the user may see them.

Episodes and missed follow-ups need ``epidemic.view`` over the grid; a day's follow-up
list needs ``epidemic.follow_up``; choosing whom to isolate needs ``epidemic.isolate``.
Outside those grids nothing exists for the user (``NotFound``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.urls import NoReverseMatch, reverse

from gridgov.accounts import scope
from gridgov.core import crypto
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.epidemic import rules
from gridgov.epidemic.capabilities import FOLLOW_UP, ISOLATE, VIEW
from gridgov.epidemic.models import (
    EpidemicSettings,
    FollowUpStatus,
    IsolationEpisode,
    IsolationFollowUp,
    IsolationKind,
    IsolationReason,
    IsolationStatus,
    Symptom,
)
from gridgov.registry import identity
from gridgov.registry.models import Person, PersonStatus
from gridgov.registry.shaping import own_grid_codes

# Release by rule looks at this many latest follow-ups (see actions.isolation).
RULE_FOLLOW_UPS = 3
PICK_LIMIT = 20


def field_label(field: str) -> str:
    """The translated name of an isolation field, for messages."""
    for model in (IsolationEpisode, IsolationFollowUp):
        try:
            return str(getattr(model._meta.get_field(field), "verbose_name", field))
        except FieldDoesNotExist:
            continue
    return {"person_id": str(Person._meta.verbose_name)}.get(field, field)


def _get(rows: QuerySet, pk: Any) -> Any:
    try:
        return rows.get(pk=int(pk))
    except (rows.model.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def _require(user: Any, capability: str, code: str) -> None:
    """Without the capability anywhere: 403; with it, but not over ``code``: 404."""
    scope.require(user, capability)
    if code:
        scope.require(user, capability, code)


def _choice(value: str, choices: Any, field: str) -> str:
    if value and value not in choices.values:
        raise InvalidInput(fields={field: ", ".join(choices.values)})
    return value


# --- episodes -----------------------------------------------------------------------------


def visible_episodes(user: Any) -> QuerySet[IsolationEpisode]:
    return IsolationEpisode.objects.filter(scope.scope_filter(user, capability=VIEW))


def get_episode_for(user: Any, episode_id: Any) -> IsolationEpisode:
    rows = visible_episodes(user).select_related("person", "assignee", "started_by", "released_by")
    return _get(rows, episode_id)


def search_episodes(
    user: Any,
    *,
    q: str = "",
    kind: str = "",
    status: str = "",
    reason: str = "",
    code: str = "",
    due: bool = False,
    person_id: int | None = None,
    day: dt.date | None = None,
) -> QuerySet[IsolationEpisode]:
    """Episodes by part of the person's name (``q``), kind, status, reason, territory
    prefix (``code``), person, and — ``due`` — active ones whose planned end is ``day``
    (default today) or earlier; the active ones first, nearest planned end first."""
    _require(user, VIEW, code)
    rows = visible_episodes(user)
    if q.strip():
        rows = rows.filter(person__name__icontains=q.strip())
    if _choice(kind, IsolationKind, "kind"):
        rows = rows.filter(kind=kind)
    if _choice(status, IsolationStatus, "status"):
        rows = rows.filter(status=status)
    if _choice(reason, IsolationReason, "reason"):
        rows = rows.filter(reason=reason)
    if code:
        rows = rows.filter(grid_code__startswith=code)
    if person_id is not None:
        rows = rows.filter(person_id=person_id)
    if due:
        rows = rows.filter(status=IsolationStatus.ACTIVE, planned_end__lte=day or rules.today())
    return rows.select_related("person", "assignee").order_by(
        "status", "planned_end", "person__name", "pk"
    )


def kind_counts(episodes: QuerySet[IsolationEpisode]) -> dict[str, int]:
    """{kind: active episodes} among ``episodes`` (one grouped query)."""
    counts = dict.fromkeys(IsolationKind.values, 0)
    for kind, n in (
        episodes.filter(status=IsolationStatus.ACTIVE)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    ):
        counts[kind] = n
    return counts


def person_episodes(user: Any, person_id: Any) -> QuerySet[IsolationEpisode]:
    """One person's episodes, newest first (NotFound for a person the user cannot see)."""
    try:
        pk = int(person_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not Person.objects.filter(scope.scope_filter(user, capability=VIEW), pk=pk).exists():
        raise NotFound()
    return visible_episodes(user).filter(person_id=pk).order_by("-start_date", "-pk")


def timeline(episode: IsolationEpisode) -> list[IsolationFollowUp]:
    """The episode's follow-ups, oldest first, with who recorded them."""
    return list(episode.follow_ups.select_related("done_by").order_by("date"))


def is_abnormal(temperature: Decimal | None, symptoms: Iterable[str], threshold: Decimal) -> bool:
    return rules.findings(temperature, symptoms, False, "", threshold).abnormal


def symptom_labels(symptoms: Iterable[str]) -> str:
    return "、".join(str(Symptom(s).label) if s in Symptom.values else s for s in symptoms)


def day_number(episode: IsolationEpisode, on: dt.date) -> int:
    """The day of isolation ``on`` is (1 on the start date); a released episode stops
    counting on its release day."""
    return (min(on, episode.released_on or on) - episode.start_date).days + 1


def ready_among(
    episodes: Iterable[IsolationEpisode], day: dt.date, threshold: Decimal | None = None
) -> set[int]:
    """The ids of ``episodes`` the release rule releases on ``day``: active, planned end
    reached, and ``ready_for_release`` (by ``threshold``, default the rules in force)."""
    due = [e.pk for e in episodes if e.status == IsolationStatus.ACTIVE and e.planned_end <= day]
    if not due:
        return set()
    if threshold is None:
        threshold = EpidemicSettings.current().fever_threshold
    return ready_for_release(due, day, threshold)


def ready_for_release(
    episodes: QuerySet | Iterable[int], day: dt.date, threshold: Decimal
) -> set[int]:
    """Of ``episodes`` (ids, or a query of them), those whose ``RULE_FOLLOW_UPS`` latest
    follow-ups up to ``day`` — leaving out that day's while it is still due — are all done
    and normal (one query). Whether the planned end is reached is the caller's filter."""
    latest = (
        IsolationFollowUp.objects.filter(episode_id__in=episodes, date__lte=day)
        .exclude(date=day, status=FollowUpStatus.DUE)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("episode_id")], order_by=F("date").desc())
        )
        .filter(rank__lte=RULE_FOLLOW_UPS)
        .values_list("episode_id", "status", "temperature", "symptoms")
    )
    normal: dict[int, int] = defaultdict(int)
    spoiled: set[int] = set()
    for episode_id, status, temperature, symptoms in latest:
        if status == FollowUpStatus.DONE and not is_abnormal(temperature, symptoms, threshold):
            normal[episode_id] += 1
        else:
            spoiled.add(episode_id)
    return {pk for pk, n in normal.items() if n >= RULE_FOLLOW_UPS and pk not in spoiled}


# --- follow-ups ---------------------------------------------------------------------------


def get_follow_up_for(user: Any, follow_up_id: Any) -> IsolationFollowUp:
    """One follow-up for anyone who sees its grid (recording it needs more: the action)."""
    rows = IsolationFollowUp.objects.filter(scope.scope_filter(user, capability=VIEW))
    return _get(rows.select_related("person", "episode"), follow_up_id)


def follow_up_list(
    user: Any,
    day: dt.date,
    *,
    code: str = "",
    mine: bool = False,
    own_grids: Iterable[str] | None = None,
    status: str = "",
    q: str = "",
) -> QuerySet[IsolationFollowUp]:
    """The day's follow-ups where the user follows up (under ``code``; ``mine``: those on
    the user's own list — assigned to them or in their own grids, ``own_grids`` when the
    caller has read them already), in the order of a round on foot: by address, then name."""
    _require(user, FOLLOW_UP, code)
    rows = IsolationFollowUp.objects.filter(
        scope.scope_filter(user, capability=FOLLOW_UP), date=day
    )
    if code:
        rows = rows.filter(grid_code__startswith=code)
    if mine:
        grids = list(own_grids) if own_grids is not None else own_grid_codes(user)
        rows = rows.filter(Q(assignee_id=user.pk) | Q(grid_code__in=grids))
    if _choice(status, FollowUpStatus, "status"):
        rows = rows.filter(status=status)
    if q.strip():
        rows = rows.filter(person__name__icontains=q.strip())
    return rows.select_related("person", "episode").order_by(
        "person__address", "person__name", "pk"
    )


def status_counts(rows: QuerySet[IsolationFollowUp]) -> dict[str, int]:
    counts = dict.fromkeys(FollowUpStatus.values, 0)
    for status, n in rows.order_by().values_list("status").annotate(n=Count("pk")):
        counts[status] = n
    return counts


def missed_follow_ups(
    user: Any,
    *,
    code: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    q: str = "",
) -> QuerySet[IsolationFollowUp]:
    """Missed follow-ups under ``code`` between two days (inclusive), newest day first,
    then by address — for community and township staff to chase."""
    _require(user, VIEW, code)
    rows = IsolationFollowUp.objects.filter(
        scope.scope_filter(user, capability=VIEW), status=FollowUpStatus.MISSED
    )
    if code:
        rows = rows.filter(grid_code__startswith=code)
    if since is not None:
        rows = rows.filter(date__gte=since)
    if until is not None:
        rows = rows.filter(date__lte=until)
    if q.strip():
        rows = rows.filter(person__name__icontains=q.strip())
    return rows.select_related("person", "episode", "assignee").order_by(
        "-date", "person__address", "pk"
    )


# --- choosing a person --------------------------------------------------------------------


def _number_hashes(term: str) -> list[str] | None:
    """The keyed hashes to look an ID or phone number up by (as the registry's search
    does), or None when ``term`` is not a number."""
    compact = term.replace(" ", "").replace("-", "")
    if len(compact) in (15, 18) and compact[:15].isdigit():
        try:
            return crypto.lookup_hashes(identity.parse_id_number(compact).number)
        except InvalidInput:
            return []
    if compact.isdigit() and len(compact) >= 7:
        try:
            return crypto.lookup_hashes(identity.normalize_phone(compact))
        except InvalidInput:
            return []
    return None


def isolation_candidates(user: Any, term: str) -> QuerySet[Person]:
    """Living people the user may isolate matching a name part or an exact ID or phone
    number (at most ``PICK_LIMIT``), each with ``isolated`` (in an active episode now)."""
    scope.require(user, ISOLATE)
    term = " ".join(str(term or "").split())[:60]
    people = Person.objects.filter(
        scope.scope_filter(user, capability=ISOLATE), status=PersonStatus.LIVING
    )
    if not term:
        return people.none()
    hashes = _number_hashes(term)
    if hashes is None:
        people = people.filter(name__icontains=term)
    else:
        people = people.filter(Q(id_number_hash__in=hashes) | Q(phone_hash__in=hashes))
    active = IsolationEpisode.objects.filter(
        person_id=OuterRef("pk"), status=IsolationStatus.ACTIVE
    )
    return people.annotate(isolated=Exists(active)).order_by("name", "pk")[:PICK_LIMIT]


def get_candidate_for(user: Any, person_id: Any) -> Person:
    scope.require(user, ISOLATE)
    return _get(Person.objects.filter(scope.scope_filter(user, capability=ISOLATE)), person_id)


# --- links (inbox messages are written outside a request) ---------------------------------


def episode_link(episode_id: int) -> str:
    try:
        return reverse("epidemic:isolation_detail", args=[episode_id])
    except NoReverseMatch:  # pages not mounted (an API-only installation)
        return f"/epidemic/isolation/{episode_id}/"


def missed_link(day: dt.date) -> str:
    try:
        base = reverse("epidemic:isolation_missed")
    except NoReverseMatch:
        base = "/epidemic/isolation/missed/"
    return f"{base}?since={day.isoformat()}&until={day.isoformat()}"
