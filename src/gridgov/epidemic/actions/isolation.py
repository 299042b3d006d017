"""Isolation (隔离): starting an episode, its daily follow-ups, missed follow-ups, release
by rule or by decision, and changing the planned end.

Who: ``epidemic.isolate`` over the person's grid starts, releases and changes an episode
(community and township staff, the command centre); ``epidemic.follow_up`` over the grid
records a follow-up (the grid worker, community staff). The scheduled jobs run as the
system operator.

The rules (the user guide §3.12 says the same):

- At most one active episode per person (a second start is a 409).
- The start date is today or up to ``MAX_BACKDATE`` days back. The default length is the
  red-code days of the rules in force (``EpidemicSettings.red_normal_days``, 14) for a
  close contact or a decision of the health authority, the yellow-code days (7) for an
  arrival from a risk area or abnormal health — the red-code days whenever the person's
  health code is red now. ``planned_end = start + length``: the first day the person may
  be released, so a 14-day isolation starting on the 1st may end on the 15th.
- Every day from the start until the release the episode has one follow-up, on the list of
  the grid's main worker (its deputy when there is none). The first is created with the
  episode; the others by ``generate_follow_ups`` (cron, and the grid worker's list on its
  first view of the day), idempotent.
- A follow-up is abnormal when its temperature reaches the fever threshold or it names a
  symptom (``rules.findings``); the grid's workers and the community's staff get an inbox
  alert at once.
- A follow-up still due when the day's ``follow_up_deadline_hour`` (site time, Asia/Shanghai)
  has passed is missed (``flag_missed_follow_ups``); it can still be recorded late.
- Release by rule (``release_by_rule``): the planned end is today or earlier, and the
  ``RULE_FOLLOW_UPS`` (3) latest follow-ups — leaving out today's while it is still due —
  are done and normal. Release by decision needs a note. Either removes the follow-ups
  still due from the release day on.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.accounts.models import GridAssignment
from gridgov.audit.actions import record
from gridgov.core.errors import Conflict, InvalidInput, PermissionDenied
from gridgov.core.versions import check_version
from gridgov.epidemic import alerts, bulk, rollups, rules
from gridgov.epidemic.actions.common import (
    clean_date,
    clean_decimal,
    clean_text,
    fail,
    locked,
)
from gridgov.epidemic.actions.declarations import TEMPERATURE_RANGE
from gridgov.epidemic.actions.declarations import _symptoms as clean_symptoms
from gridgov.epidemic.capabilities import FOLLOW_UP, ISOLATE
from gridgov.epidemic.models import (
    EpidemicSettings,
    FollowUpStatus,
    HealthCode,
    IsolationEpisode,
    IsolationFollowUp,
    IsolationKind,
    IsolationReason,
    IsolationStatus,
    ReleaseMode,
)
from gridgov.epidemic.queries import isolation as queries
from gridgov.epidemic.tallies import isolation as tally
from gridgov.inbox import actions as inbox
from gridgov.inbox.models import MessageKind
from gridgov.registry.models import Person, PersonStatus

# How far back an isolation may be registered (it began before anyone recorded it).
MAX_BACKDATE = dt.timedelta(days=14)
# The longest planned isolation, counted from its start.
MAX_LENGTH = dt.timedelta(days=60)
RULE_FOLLOW_UPS = queries.RULE_FOLLOW_UPS
# Reasons whose default length is the red-code days; the others take the yellow-code days.
RED_REASONS = frozenset({IsolationReason.CLOSE_CONTACT, IsolationReason.DECISION})
# Follow-ups marked missed per UPDATE statement (bounded parameter lists).
CHUNK = 500


def _invalid(errors: Mapping[str, Any]) -> InvalidInput:
    """``fail`` with the fields named by the isolation models' own labels."""
    if len(errors) == 1:
        field, reason = next(iter(errors.items()))
        label = queries.field_label(field)
        return InvalidInput(
            _("%(field)s: %(reason)s") % {"field": label, "reason": reason}, fields=dict(errors)
        )
    return fail(errors)


def _choice(value: Any, choices: Any, field: str, errors: dict[str, Any]) -> str:
    text = str(value or "").strip()
    if text not in choices.values:
        errors[field] = _("must be one of: %(choices)s") % {"choices": ", ".join(choices.values)}
    return text


def default_length(reason: str, colour: str, rules_in_force: EpidemicSettings) -> int:
    """Days of isolation when no planned end is given (see the module's rules)."""
    by_reason = (
        rules_in_force.red_normal_days
        if reason in RED_REASONS
        else rules_in_force.yellow_normal_days
    )
    return max(by_reason, rules_in_force.required_days(colour))


def _colour_of(person_id: int) -> str:
    found = HealthCode.objects.filter(person_id=person_id).values_list("colour", flat=True).first()
    return found or "green"


def grid_workers(grids: Iterable[str]) -> dict[str, int]:
    """{grid: the user id of its main worker, else its deputy} — who follows up there."""
    found: dict[str, int] = {}
    rows = (
        GridAssignment.objects.active()
        .filter(grid_code__in=set(grids))
        .order_by("grid_code", "-is_deputy")  # the main worker last: it wins below
        .values_list("grid_code", "user_id")
    )
    for grid, user_id in rows:
        found[grid] = user_id
    return found


def _check_end(
    start: dt.date, end: dt.date, errors: dict[str, Any], *, not_before: dt.date | None = None
) -> None:
    """A planned end after the start (a backdated start may already be due) and not
    before ``not_before`` (a change cannot end an isolation in the past: release it)."""
    if end < start:
        errors["planned_end"] = _("before the start")
    elif not_before is not None and end < not_before:
        errors["planned_end"] = _("in the past: release the person instead")
    elif end > start + MAX_LENGTH:
        errors["planned_end"] = _("more than %(days)d days after the start") % {
            "days": MAX_LENGTH.days
        }


# --- follow-up rows -------------------------------------------------------------------------


def _add_follow_ups(episodes: Sequence[tuple[int, int, str]], day: dt.date) -> int:
    """Insert the day's follow-up of each (episode, person, grid) that has none yet and
    count them as due; how many were new (an existing row is left as it is)."""
    if not episodes:
        return 0
    workers = grid_workers(grid for _e, _p, grid in episodes)
    now = timezone.now()
    rows: list[dict[str, Any]] = [
        {
            "episode": episode_id,
            "person": person_id,
            "grid_code": grid,
            "date": day,
            "assignee": workers.get(grid),
            "status": FollowUpStatus.DUE,
            "symptoms": [],
            "note": "",
            "created_at": now,
            "version": 1,
        }
        for episode_id, person_id, grid in episodes
    ]
    inserted = bulk.insert_returning(
        IsolationFollowUp, rows, conflict=["episode", "date"], returning=["grid_code"]
    )
    deltas: dict[rollups.DayKey, Counter[str]] = defaultdict(Counter)
    for (grid,) in inserted:
        deltas[(grid, day)][tally.FOLLOW_UPS_DUE] += 1
    rollups.add_daily(deltas)
    return len(inserted)


def _working_scope(actor: Any) -> Q:
    """The grids where the actor follows up or isolates: what a job run by them covers."""
    return scope.scope_filter(actor, capability=FOLLOW_UP) | scope.scope_filter(
        actor, capability=ISOLATE
    )


def _require_working(actor: Any) -> None:
    if not (scope.has_capability(actor, FOLLOW_UP) or scope.has_capability(actor, ISOLATE)):
        raise PermissionDenied()


def _not_after_today(day: Any, errors: dict[str, Any]) -> dt.date:
    found = clean_date(day, "date", errors, required=False) or rules.today()
    if found > rules.today():
        errors["date"] = _("in the future")
    return found


# --- starting -----------------------------------------------------------------------------


@transaction.atomic
def start_isolation(
    *,
    actor: Any,
    person_id: Any,
    kind: Any,
    reason: Any,
    start_date: Any,
    planned_end: Any = None,
    place: Any = "",
    note: Any = "",
) -> IsolationEpisode:
    """Put a person in home or centralised isolation from ``start_date``; without
    ``planned_end`` the rules decide its length. Today's follow-up is created at once."""
    scope.require(actor, ISOLATE)
    person = locked(Person, person_id)
    scope.require(actor, ISOLATE, person.grid_code)
    today = rules.today()
    errors: dict[str, Any] = {}
    kind = _choice(kind, IsolationKind, "kind", errors)
    reason = _choice(reason, IsolationReason, "reason", errors)
    start = clean_date(start_date, "start_date", errors, required=True)
    end = clean_date(planned_end, "planned_end", errors, required=False)
    where = clean_text(place, "place", 200, errors)
    remark = clean_text(note, "note", 200, errors)
    if start is not None and start > today:
        errors["start_date"] = _("in the future")
    elif start is not None and start < today - MAX_BACKDATE:
        errors["start_date"] = _("more than %(days)d days ago") % {"days": MAX_BACKDATE.days}
    if kind == IsolationKind.CENTRALISED and not where and "place" not in errors:
        errors["place"] = _("required for centralised isolation: the isolation site")
    if person.status != PersonStatus.LIVING:
        errors["person_id"] = _("no longer lives here")
    if errors or start is None:
        raise _invalid(errors)
    if end is None:
        length = default_length(reason, _colour_of(person.pk), EpidemicSettings.current())
        end = start + dt.timedelta(days=length)
    _check_end(start, end, errors)
    if errors:
        raise _invalid(errors)
    _refuse_second(person)
    try:
        with transaction.atomic():
            episode = IsolationEpisode.objects.create(
                person=person,
                grid_code=person.grid_code,
                lon=person.lon,
                lat=person.lat,
                kind=kind,
                reason=reason,
                place=where or (person.address if kind == IsolationKind.HOME else ""),
                start_date=start,
                planned_end=end,
                assignee_id=grid_workers([person.grid_code]).get(person.grid_code),
                started_by=actor if getattr(actor, "pk", None) else None,
                note=remark,
            )
    except IntegrityError:  # another start won the race despite the lock (no lock on SQLite)
        _refuse_second(person)
        raise
    rollups.add_current({episode.grid_code: {tally.isolated(kind): 1}})
    rollups.add_daily({(episode.grid_code, start): {tally.STARTED: 1}})
    _add_follow_ups([(episode.pk, person.pk, episode.grid_code)], today)
    record(
        "epidemic.isolation.start",
        actor=actor,
        obj=episode,
        object_repr=person.name,
        grid_code=episode.grid_code,
        changes={
            "person": person.pk,
            "kind": kind,
            "reason": reason,
            "place": episode.place,
            "start_date": start,
            "planned_end": end,
            "note": remark,
        },
    )
    return episode


def _refuse_second(person: Person) -> None:
    current = (
        IsolationEpisode.objects.filter(person=person, status=IsolationStatus.ACTIVE)
        .only("pk", "start_date")
        .first()
    )
    if current is not None:
        raise Conflict(
            _("%(name)s is already in isolation since %(day)s (isolation no. %(id)d).")
            % {"name": person.name, "day": current.start_date, "id": current.pk},
            details={"episode_id": current.pk},
        )


# --- daily follow-ups ----------------------------------------------------------------------


def _lacking(day: dt.date) -> QuerySet[IsolationEpisode]:
    """Active episodes begun by ``day`` without a follow-up of that day."""
    return IsolationEpisode.objects.filter(
        status=IsolationStatus.ACTIVE, start_date__lte=day
    ).filter(~Exists(IsolationFollowUp.objects.filter(episode_id=OuterRef("pk"), date=day)))


def needs_follow_ups(actor: Any, day: dt.date) -> bool:
    """Whether some active episode the actor works on still lacks the day's follow-up:
    one cheap query, so a list generates only when cron did not."""
    return _lacking(day).filter(_working_scope(actor)).exists()


@transaction.atomic
def generate_follow_ups(day: Any = None, *, actor: Any, code: str = "") -> int:
    """Create the day's follow-up (default today) of every active episode in the actor's
    area (under ``code`` when given) that has none yet; how many were created. Running it
    again creates nothing; each new row is counted as due in the same transaction."""
    _require_working(actor)
    errors: dict[str, Any] = {}
    found = _not_after_today(day, errors)
    if errors:
        raise _invalid(errors)
    episodes = _lacking(found).filter(_working_scope(actor))
    if code:
        episodes = episodes.filter(grid_code__startswith=code)
    # Locked, so that a release cannot slip between this read and the insert.
    rows = list(
        episodes.select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", "person_id", "grid_code")
    )
    created = _add_follow_ups(rows, found)
    if created:
        grids = sorted({grid for _e, _p, grid in rows})
        record(
            "epidemic.isolation.follow_ups.generate",
            actor=actor,
            object_type=IsolationFollowUp._meta.label_lower,
            object_repr=_("%(n)d follow-ups of %(day)s") % {"n": created, "day": found},
            grid_code=grids[0] if len(grids) == 1 else "",
            changes={"date": found, "created": created, "code": code},
        )
    return created


def ensure_todays_follow_ups(*, actor: Any, day: dt.date) -> int:
    """What a follow-up list does before it reads: when ``day`` is today and cron has not
    made every row of it in the actor's area yet, make them now (no lost day)."""
    if day != rules.today() or not scope.has_capability(actor, FOLLOW_UP):
        return 0
    if not needs_follow_ups(actor, day):
        return 0
    return generate_follow_ups(day, actor=actor)


@transaction.atomic
def record_follow_up(
    follow_up_id: Any,
    *,
    actor: Any,
    temperature: Any = None,
    symptoms: Any = None,
    note: Any = "",
    expected_version: Any = None,
) -> IsolationFollowUp:
    """The grid worker records a follow-up: nothing but the call means "normal"; a
    temperature at or above the fever threshold or any symptom is abnormal and alerts the
    grid's workers and community staff. A missed follow-up may still be recorded (late);
    one already done may not (409)."""
    scope.require(actor, FOLLOW_UP)
    follow_up = locked(IsolationFollowUp, follow_up_id)
    scope.require(actor, FOLLOW_UP, follow_up.grid_code)
    check_version(follow_up, expected_version)
    errors: dict[str, Any] = {}
    measured = clean_decimal(temperature, "temperature", errors, *TEMPERATURE_RANGE)
    named = clean_symptoms(symptoms, errors)
    remark = clean_text(note, "note", 200, errors)
    if errors:
        raise _invalid(errors)
    if follow_up.status == FollowUpStatus.DONE:
        raise Conflict(_("This follow-up was already recorded."))
    episode = IsolationEpisode.objects.select_related("person").get(pk=follow_up.episode_id)
    if episode.status != IsolationStatus.ACTIVE:
        raise Conflict(_("This isolation was released; its follow-ups are closed."))
    late = follow_up.status == FollowUpStatus.MISSED
    follow_up.status = FollowUpStatus.DONE
    follow_up.temperature = measured
    follow_up.symptoms = named
    follow_up.note = remark
    follow_up.done_by = actor if getattr(actor, "pk", None) else None
    follow_up.done_at = timezone.now()
    follow_up.version += 1
    follow_up.save(
        update_fields=["status", "temperature", "symptoms", "note", "done_by", "done_at", "version"]
    )
    deltas = {tally.FOLLOW_UPS_DONE: 1, tally.FOLLOW_UPS_MISSED: -1 if late else 0}
    rollups.add_daily({(follow_up.grid_code, follow_up.date): deltas})
    threshold = EpidemicSettings.current().fever_threshold
    abnormal = queries.is_abnormal(measured, named, threshold)
    if abnormal:
        _alert_abnormal(episode, follow_up, actor)
    record(
        "epidemic.isolation.follow_up",
        actor=actor,
        obj=follow_up,
        object_repr=episode.person.name,
        grid_code=follow_up.grid_code,
        changes={
            "episode": episode.pk,
            "date": follow_up.date,
            "temperature": measured,
            "symptoms": named,
            "note": remark,
            "abnormal": abnormal,
            "late": late,
        },
    )
    return follow_up


def _alert_abnormal(episode: IsolationEpisode, follow_up: IsolationFollowUp, actor: Any) -> int:
    """One inbox alert to the grid's workers and the community's staff (not the one who
    recorded it: they know)."""
    audience = [
        user
        for user in alerts.recipients({follow_up.grid_code}).get(follow_up.grid_code, [])
        if user.pk != getattr(actor, "pk", None)
    ]
    # In the site's language: the message is stored once and read later by anyone.
    with translation.override(django_settings.LANGUAGE_CODE):
        lines = []
        if follow_up.temperature is not None:
            lines.append(_("Temperature %(t)s °C") % {"t": follow_up.temperature})
        if follow_up.symptoms:
            lines.append(
                _("Symptoms: %(list)s") % {"list": queries.symptom_labels(follow_up.symptoms)}
            )
        if follow_up.note:
            lines.append(follow_up.note)
        lines.append(
            _("%(kind)s, day %(n)d, grid %(grid)s")
            % {
                "kind": episode.get_kind_display(),
                "n": (follow_up.date - episode.start_date).days + 1,
                "grid": follow_up.grid_code,
            }
        )
        return inbox.deliver(
            audience,
            kind=MessageKind.ALERT,
            subject=_("Abnormal isolation follow-up: %(name)s") % {"name": episode.person.name},
            body="\n".join(lines),
            link=queries.episode_link(episode.pk),
            topic=f"epidemic:isolation:{episode.pk}:{follow_up.date.isoformat()}",
            grid_code=follow_up.grid_code,
        )


@dataclass(frozen=True)
class MissedRun:
    day: dt.date
    generated: int  # follow-ups of the day that did not exist yet (then missed at once)
    flagged: int


def deadline_of(day: dt.date, rules_in_force: EpidemicSettings) -> dt.datetime:
    """When the day's follow-ups are due: the deadline hour of that day, site time."""
    return dt.datetime(
        day.year,
        day.month,
        day.day,
        rules_in_force.follow_up_deadline_hour,
        tzinfo=rules.site_zone(),
    )


@transaction.atomic
def flag_missed_follow_ups(day: Any, *, actor: Any, now: dt.datetime | None = None) -> MissedRun:
    """Mark the day's follow-ups still due as missed, once the day's deadline has passed
    (``now``: the moment to judge by, default now). Episodes without a follow-up of the
    day get one first — so a day nobody followed up is missed, never lost. The grid's
    workers and the community's staff get one message with the count."""
    _require_working(actor)
    errors: dict[str, Any] = {}
    found = clean_date(day, "date", errors, required=True)
    if found is None:
        raise _invalid(errors)
    settings = EpidemicSettings.current()
    deadline = deadline_of(found, settings)
    if (now or timezone.now()) < deadline:
        raise _invalid(
            {
                "date": _("its follow-ups are due until %(at)s")
                % {"at": deadline.strftime("%Y-%m-%d %H:%M")}
            }
        )
    generated = generate_follow_ups(found, actor=actor)
    due = IsolationFollowUp.objects.filter(
        _working_scope(actor),
        date=found,
        status=FollowUpStatus.DUE,
        episode__status=IsolationStatus.ACTIVE,
    )
    rows = list(due.select_for_update(of=("self",)).order_by("pk").values_list("pk", "grid_code"))
    for start in range(0, len(rows), CHUNK):
        IsolationFollowUp.objects.filter(
            pk__in=[pk for pk, _g in rows[start : start + CHUNK]]
        ).update(status=FollowUpStatus.MISSED, version=F("version") + 1)
    per_grid = Counter(grid for _pk, grid in rows)
    rollups.add_daily({(grid, found): {tally.FOLLOW_UPS_MISSED: n} for grid, n in per_grid.items()})
    if rows:
        _tell_missed(per_grid, found)
        record(
            "epidemic.isolation.follow_ups.missed",
            actor=actor,
            object_type=IsolationFollowUp._meta.label_lower,
            object_repr=_("%(n)d follow-ups of %(day)s") % {"n": len(rows), "day": found},
            grid_code=next(iter(per_grid)) if len(per_grid) == 1 else "",
            changes={"date": found, "flagged": len(rows), "generated": generated},
        )
    return MissedRun(day=found, generated=generated, flagged=len(rows))


def _tell_missed(per_grid: Mapping[str, int], day: dt.date) -> int:
    """One message per person concerned (the grids' workers, the communities' staff) with
    how many of their follow-ups of the day were missed."""
    audience = alerts.recipients(set(per_grid))
    counts: Counter[int] = Counter()
    users: dict[int, Any] = {}
    for grid, people in audience.items():
        for user in people:
            counts[user.pk] += per_grid[grid]
            users[user.pk] = user
    sent = 0
    with translation.override(django_settings.LANGUAGE_CODE):
        for pk, n in sorted(counts.items()):
            sent += inbox.deliver(
                [users[pk]],
                kind=MessageKind.ALERT,
                subject=_("%(n)d isolation follow-ups missed on %(day)s") % {"n": n, "day": day},
                body=_("Call or visit these people today and record what you find."),
                link=queries.missed_link(day),
                topic=f"epidemic:isolation:missed:{day.isoformat()}",
            )
    return sent


# --- release and planned end ----------------------------------------------------------------


def _release(
    episode: IsolationEpisode, *, actor: Any, mode: str, note: str, day: dt.date
) -> IsolationEpisode:
    """Release one locked active episode on ``day``: its follow-ups still due from that day
    on go (they are no longer owed), the roll-ups move, the release is audited."""
    episode.status = IsolationStatus.RELEASED
    episode.released_on = day
    episode.release_mode = mode
    episode.release_note = note
    episode.released_by = actor if getattr(actor, "pk", None) else None
    episode.version += 1
    episode.save(
        update_fields=[
            "status",
            "released_on",
            "release_mode",
            "release_note",
            "released_by",
            "version",
        ]
    )
    owed = IsolationFollowUp.objects.filter(
        episode_id=episode.pk, date__gte=day, status=FollowUpStatus.DUE
    )
    dropped = Counter(owed.values_list("date", flat=True))
    owed.delete()
    daily: dict[rollups.DayKey, Counter[str]] = defaultdict(Counter)
    daily[(episode.grid_code, day)][tally.RELEASED] += 1
    for date, n in dropped.items():
        daily[(episode.grid_code, date)][tally.FOLLOW_UPS_DUE] -= n
    rollups.add_daily(daily)
    rollups.add_current({episode.grid_code: {tally.isolated(episode.kind): -1}})
    record(
        "epidemic.isolation.release",
        actor=actor,
        obj=episode,
        object_repr=episode.person.name,
        grid_code=episode.grid_code,
        changes={
            "person": episode.person_id,
            "mode": mode,
            "released_on": day,
            "planned_end": episode.planned_end,
            "note": note,
        },
    )
    return episode


def _locked_active(episode_id: Any, actor: Any, expected_version: Any) -> IsolationEpisode:
    scope.require(actor, ISOLATE)
    episode = locked(IsolationEpisode, episode_id)
    scope.require(actor, ISOLATE, episode.grid_code)
    check_version(episode, expected_version)
    if episode.status != IsolationStatus.ACTIVE:
        raise Conflict(_("This isolation was already released."))
    return episode


def _required_note(note: Any, errors: dict[str, Any]) -> str:
    text = clean_text(note, "note", 200, errors)
    if not text and "note" not in errors:
        errors["note"] = _("say why")
    return text


@transaction.atomic
def release_isolation(
    episode_id: Any, *, actor: Any, note: Any, expected_version: Any = None
) -> IsolationEpisode:
    """Release a person today by decision (before or after the planned end), with a note."""
    episode = _locked_active(episode_id, actor, expected_version)
    errors: dict[str, Any] = {}
    text = _required_note(note, errors)
    if errors:
        raise _invalid(errors)
    episode.person = Person.objects.only("pk", "name").get(pk=episode.person_id)
    return _release(episode, actor=actor, mode=ReleaseMode.DECISION, note=text, day=rules.today())


@transaction.atomic
def release_by_rule(*, actor: Any, code: str = "", day: Any = None) -> list[IsolationEpisode]:
    """Release every active episode in the actor's area (under ``code``) that the rule
    releases on ``day`` (default today): planned end reached and the latest follow-ups
    done and normal. Returns the episodes released."""
    scope.require(actor, ISOLATE, code or None)
    errors: dict[str, Any] = {}
    found = _not_after_today(day, errors)
    if errors:
        raise _invalid(errors)
    candidates = IsolationEpisode.objects.filter(
        scope.scope_filter(actor, capability=ISOLATE),
        status=IsolationStatus.ACTIVE,
        planned_end__lte=found,
    )
    if code:
        candidates = candidates.filter(grid_code__startswith=code)
    threshold = EpidemicSettings.current().fever_threshold
    ready = queries.ready_for_release(candidates.values("pk"), found, threshold)
    episodes = list(
        IsolationEpisode.objects.select_for_update(of=("self",))
        .select_related("person")
        .filter(pk__in=sorted(ready), status=IsolationStatus.ACTIVE)
        .order_by("pk")
    )
    note = _("Planned end reached; the last %(n)d follow-ups were normal.") % {"n": RULE_FOLLOW_UPS}
    return [
        _release(episode, actor=actor, mode=ReleaseMode.RULE, note=note, day=found)
        for episode in episodes
    ]


@transaction.atomic
def extend_isolation(
    episode_id: Any, *, actor: Any, planned_end: Any, note: Any, expected_version: Any = None
) -> IsolationEpisode:
    """Move the planned end of an active episode — later (an extension) or earlier — with
    a note saying why."""
    episode = _locked_active(episode_id, actor, expected_version)
    errors: dict[str, Any] = {}
    end = clean_date(planned_end, "planned_end", errors, required=True)
    text = _required_note(note, errors)
    if end is not None:
        _check_end(episode.start_date, end, errors, not_before=rules.today())
        if end == episode.planned_end and "planned_end" not in errors:
            errors["planned_end"] = _("the same as now")
    if errors or end is None:
        raise _invalid(errors)
    before = episode.planned_end
    episode.planned_end = end
    episode.version += 1
    episode.save(update_fields=["planned_end", "version"])
    record(
        "epidemic.isolation.extend",
        actor=actor,
        obj=episode,
        object_repr=Person.objects.only("name").get(pk=episode.person_id).name,
        grid_code=episode.grid_code,
        changes={"planned_end": [before, end], "note": text},
    )
    return episode
