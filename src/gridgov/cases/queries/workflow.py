"""Scoped reads of cases (architecture rule 2), and what may be done to one.

Who sees a case: a territory role with ``cases.view`` whose node is a prefix of the case's
grid code (grid workers, community and township staff, supervision and command centres),
and a department handler when the case is (or was last) dispatched to their department —
never by territory, so a department does not read the cases of the others serving the
same district. Outside that a case does not exist for the user (NotFound).

What a user may do to a case follows the same rule per capability (``may``): the
territory capabilities over the grid, ``cases.dispose`` over their department's cases.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Case as When_
from django.db.models import CharField, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.accounts.models import GridAssignment
from gridgov.accounts.roles import CAPABILITIES, DEPARTMENT_ROLES
from gridgov.cases import calendar
from gridgov.cases import workflow as machine
from gridgov.cases.models import (
    Attachment,
    AttachmentPurpose,
    Case,
    CaseEvent,
    Postponement,
    PostponementStatus,
    Stage,
    TimeUnit,
)
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.core.text import has_control_characters

VIEW = machine.VIEW
_CACHE_ATTR = "_gridgov_case_grants"
# Cases around a case that are compared for duplicates: those of its township (a prefix
# of the grid code, so the (stage, grid_code) index answers), within a bounding box.
DUPLICATE_PREFIX = 9
DUPLICATE_LIMIT = 20
EARTH_RADIUS_M = 6_371_008.8


# --- who may see and do what --------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One active role of a user: over a territory node, or over a department's cases."""

    role: str
    code: str
    department_id: int | None

    @property
    def by_department(self) -> bool:
        return self.role in DEPARTMENT_ROLES

    def gives(self, capability: str) -> bool:
        return capability in CAPABILITIES.get(self.role, frozenset())


def grants(user: Any) -> list[Grant]:
    """The user's active roles, read once per user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if getattr(user, "pk", None) is None:  # the system actor has no roles, it is an operator
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        rows = user.role_assignments.active().values_list("role", "scope_code", "department_id")
        cached = [Grant(*row) for row in rows.order_by()]
        setattr(user, _CACHE_ATTR, cached)
        scope.remember(user, [(g.role, g.code) for g in cached])  # the same rows
    return cached


def forget(user: Any) -> None:
    """Drop the cached roles after they changed (tests, role edits in one request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    scope.forget(user)


def may(user: Any, capability: str, case: Case) -> bool:
    """Whether the user holds ``capability`` over this case."""
    if scope.is_operator(user):
        return True
    for grant in grants(user):
        if not grant.gives(capability):
            continue
        if grant.by_department:
            if case.department_id is not None and grant.department_id == case.department_id:
                return True
        elif case.grid_code.startswith(grant.code):
            return True
    return False


def can_see(user: Any, case: Case) -> bool:
    return may(user, VIEW, case)


def require(user: Any, capability: str | None, case: Case) -> None:
    """Refuse unless the user may do ``capability`` to the case: NotFound when they may
    not even see it (its existence never leaks), PermissionDenied when they may see it."""
    if capability is None or may(user, capability, case):
        return
    if not can_see(user, case):
        raise NotFound()
    raise PermissionDenied()


def has_any(user: Any, capability: str) -> bool:
    """Whether the user holds ``capability`` anywhere."""
    return scope.is_operator(user) or any(g.gives(capability) for g in grants(user))


def scope_q(user: Any, capability: str = VIEW) -> Q:
    """A filter keeping the cases over which the user holds ``capability``."""
    if scope.is_operator(user):
        return Q()
    mine = [g for g in grants(user) if g.gives(capability)]
    prefixes = scope.minimal_prefixes(g.code for g in mine if not g.by_department)
    departments = sorted({g.department_id for g in mine if g.by_department and g.department_id})
    parts = [Q(grid_code__startswith=p) for p in prefixes]
    if departments:
        parts.append(Q(department_id__in=departments))
    return any_of(parts)


def any_of(parts: list[Q]) -> Q:
    """Rows matching any of the filters; none at all for no filters."""
    if not parts:
        return Q(pk__in=[])
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return q


# --- lists and single cases ---------------------------------------------------------------

_RELATED = ("case_class", "department", "suggested_department", "supervisor")


def visible_cases(user: Any) -> QuerySet[Case]:
    return Case.objects.filter(scope_q(user, VIEW))


def _get(queryset: QuerySet, pk: Any) -> Any:
    try:
        return queryset.get(pk=int(pk))
    except (queryset.model.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def get_case_for(user: Any, case_id: Any) -> Case:
    return _get(
        visible_cases(user).select_related(*_RELATED, "component", "dispatcher", "merged_into"),
        case_id,
    )


def get_case_by_number_for(user: Any, number: str) -> Case:
    case = visible_cases(user).filter(number=str(number).strip()).first()
    if case is None:
        raise NotFound()
    return case


def with_due(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate ``due``: when the current stage's clock runs out — the stage deadline
    (verification, dispatch, check) or, while the department holds it, the deadline."""
    return cases.annotate(
        due=Coalesce(
            "stage_deadline",
            When_(When(stage__in=machine.DISPOSAL_STAGES, then=F("deadline")), default=None),
        )
    )


def urgent_first(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Overdue first, then least time left (the earliest ``due``), cases without a clock
    last, oldest report first among equals."""
    return with_due(cases).order_by(F("due").asc(nulls_last=True), "reported_at", "pk")


def search_cases(
    user: Any,
    *,
    q: str = "",
    stage: str = "",
    case_class: Any = None,
    source: str = "",
    grid: str = "",
    department: Any = None,
    overdue: bool | None = None,
    open_only: bool = False,
    now: dt.datetime | None = None,
) -> QuerySet[Case]:
    """Visible cases matching every filter given: ``q`` the case number (or its start) or
    words of the description or address; ``stage`` a Stage value or "open"; ``grid`` a
    territory code prefix; ``overdue`` past the current stage's clock."""
    cases = with_due(visible_cases(user))
    text = str(q or "").strip()
    if has_control_characters(text):
        raise InvalidInput(
            _("The search is not valid."), fields={"q": _("contains control characters")}
        )
    if text:
        if text.isdigit():
            cases = cases.filter(number__startswith=text)
        else:
            cases = cases.filter(Q(description__icontains=text) | Q(address__icontains=text))
    if stage == "open" or open_only:
        cases = cases.filter(stage__in=machine.OPEN)
    elif stage:
        if stage not in Stage.values:
            raise InvalidInput(
                _("Unknown stage."), fields={"stage": ", ".join(["open", *Stage.values])}
            )
        cases = cases.filter(stage=stage)
    if case_class not in (None, ""):
        cases = cases.filter(case_class_id=_int(case_class, "case_class"))
    if source:
        cases = cases.filter(source=source)
    if grid:
        cases = cases.filter(grid_code__startswith=str(grid).strip())
    if department not in (None, ""):
        cases = cases.filter(department_id=_int(department, "department"))
    if overdue is not None:
        moment = now or timezone.now()
        late = Q(due__lt=moment, stage__in=machine.OPEN)
        cases = cases.filter(late) if overdue else cases.exclude(late)
    return cases.select_related(*_RELATED)


def _int(value: Any, name: str) -> int:
    try:
        return int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        raise InvalidInput(_("Not a number."), fields={name: _("not a number")}) from None


# --- work queues --------------------------------------------------------------------------

GRID_WORK = frozenset({Stage.VERIFYING, Stage.CHECKING})
SUPERVISION_WORK = frozenset({Stage.REPORTED, Stage.VERIFIED, Stage.DISPOSED, Stage.CHECKED})


def _pending_postponement_cases() -> QuerySet[Any]:
    return Postponement.objects.filter(status=PostponementStatus.PENDING).values("case_id")


def _queue_filter(user: Any) -> Q:
    """Cases waiting for this user's action, over every role they hold."""
    parts: list[Q] = []
    if has_any(user, machine.VERIFY):
        grids = GridAssignment.objects.active().filter(user_id=user.pk).values("grid_code")
        mine = Q(supervisor_id=user.pk) | Q(grid_code__in=grids)
        parts.append(Q(stage__in=GRID_WORK) & mine & scope_q(user, machine.VERIFY))
    if has_any(user, machine.SUPERVISE):
        parts.append(Q(stage__in=SUPERVISION_WORK) & scope_q(user, machine.SUPERVISE))
    if has_any(user, machine.DISPATCH):
        waiting = Q(stage=Stage.FILED) | Q(
            stage__in=machine.DISPOSAL_STAGES, pk__in=_pending_postponement_cases()
        )
        parts.append(waiting & scope_q(user, machine.DISPATCH))
    if has_any(user, machine.DISPOSE):
        parts.append(Q(stage__in=machine.DISPOSAL_STAGES) & scope_q(user, machine.DISPOSE))
    return any_of(parts)


def work_queue(user: Any) -> QuerySet[Case]:
    """The cases waiting for the user, most urgent first: a grid worker's verifications
    and checks in their grids; the supervision centre's new, verified, disposed and
    checked cases; the command centre's filed (including returned and unassigned) cases
    and pending postponements; a department's dispatched and accepted cases."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    return urgent_first(Case.objects.filter(_queue_filter(user))).select_related(*_RELATED)


def unassigned_cases(user: Any) -> QuerySet[Case]:
    """Filed cases no responsibility row names a department for: the command centre's
    unassigned queue (it picks the department by hand)."""
    return urgent_first(
        Case.objects.filter(
            scope_q(user, machine.DISPATCH), stage=Stage.FILED, suggested_department__isnull=True
        )
    ).select_related(*_RELATED)


def visible_postponements(user: Any) -> QuerySet[Postponement]:
    return Postponement.objects.filter(case__in=visible_cases(user).values("pk")).select_related(
        "case", "requested_by", "decided_by"
    )


def pending_postponements(user: Any) -> QuerySet[Postponement]:
    """Requests the user may decide (command centre over the case's grid)."""
    return (
        Postponement.objects.filter(
            status=PostponementStatus.PENDING,
            case__in=Case.objects.filter(scope_q(user, machine.DISPATCH)).values("pk"),
        )
        .select_related("case", "requested_by")
        .order_by("requested_at", "pk")
    )


def get_postponement_for(user: Any, postponement_id: Any) -> Postponement:
    return _get(visible_postponements(user), postponement_id)


def pending_postponement(case: Case) -> Postponement | None:
    """The request waiting for a decision (only while the department holds the case)."""
    if case.stage not in machine.DISPOSAL_STAGES:
        return None
    return case.postponements.filter(status=PostponementStatus.PENDING).first()


_UNSET: Any = object()


def allowed_actions(user: Any, case: Case, *, pending: Any = _UNSET) -> list[str]:
    """The actions the user may take on the case now (for buttons and API clients).
    ``approve_postponement``/``reject_postponement`` appear only while one is pending,
    ``request_postponement`` only while none is; pass ``pending`` (the pending request
    or None) when it is already at hand, to save its query."""
    actions = [
        action
        for action in machine.moves_from(case.stage)
        if machine.TRANSITIONS[action].capability is not None
        and may(user, machine.TRANSITIONS[action].capability or "", case)
        and _sensible(case, action)
    ]
    if {"request_postponement", "approve_postponement"} & set(actions):
        waiting = (pending_postponement(case) if pending is _UNSET else pending) is not None
        hidden = {"request_postponement"} if waiting else {"approve_postponement"}
        if not waiting:
            hidden.add("reject_postponement")
        actions = [a for a in actions if a not in hidden]
    return actions


def _sensible(case: Case, action: str) -> bool:
    """Moves the table allows but the case's record rules out (see ``workflow``)."""
    if action == "file":
        return case.verified is not False
    if action == "close":
        return case.check_passed is True
    if action == "rework":
        return case.check_passed is not True
    return True


# --- clocks: the traffic light ------------------------------------------------------------


def clock(case: Case) -> tuple[dt.datetime, dt.datetime, str] | None:
    """(start, due, unit) of the clock running on the case now, None when none runs."""
    if case.stage in machine.TIMED_STAGES and case.stage_deadline and case.stage_started_at:
        limit = machine.stage_limit(case.stage)
        if limit is not None:
            return case.stage_started_at, case.stage_deadline, limit[1]
    if (
        case.stage in machine.DISPOSAL_STAGES
        and case.deadline
        and case.dispatched_at
        and case.limit_unit
    ):
        return case.dispatched_at, case.deadline, case.limit_unit
    return None


YELLOW = 0.8  # share of a limit used from which its light is yellow
LIGHTS = ("red", "yellow", "green")


def warn_moment(start: dt.datetime, due: dt.datetime, unit: str) -> dt.datetime:
    """When a clock running from ``start`` to ``due`` turns yellow: ``YELLOW`` of its
    limit used, in the unit's own clock (working time for working hours and days). A
    clock without any working time in it is yellow only at its deadline, as
    ``calendar.used_fraction`` has it."""
    if unit == TimeUnit.URGENT_HOURS:
        return start + (due - start) * YELLOW
    working = calendar.current()
    limit = working.working_time(start, due)
    if limit <= dt.timedelta(0):
        return due
    return working.add_working_time(start, limit * YELLOW)


def _stored_warn(case: Case) -> dt.datetime | None:
    """The yellow moment stored with the running clock (see ``clock``)."""
    if case.stage in machine.TIMED_STAGES and case.stage_deadline and case.stage_started_at:
        return case.stage_warn_at
    return case.warn_at


def traffic_light(case: Case, now: dt.datetime | None = None) -> str:
    """domain.md §3: "green" under 80 % of the running limit used, "yellow" from 80 %
    until the deadline, "red" once it has passed; "" for a closed or cancelled case or a
    stage without a clock. The yellow moment is the one stored with the deadline (what
    the lists count in the database), else computed with the working calendar."""
    running = clock(case) if case.stage in machine.OPEN else None
    if running is None:
        return ""
    start, due, unit = running
    now = now or timezone.now()
    if now > due:
        return "red"
    warn = _stored_warn(case)
    if warn is not None:
        return "yellow" if now >= warn else "green"
    return "yellow" if calendar.used_fraction(start, due, now, unit) >= YELLOW else "green"


def with_lights(cases: QuerySet[Case], now: dt.datetime) -> QuerySet[Case]:
    """Annotate ``light`` in the database, as ``traffic_light`` gives it; "?" for a case
    whose clock has no stored yellow moment (see ``lights_of``). Needs ``with_due``."""
    return cases.annotate(
        light=When_(
            When(~Q(stage__in=machine.OPEN) | Q(due__isnull=True), then=Value("")),
            When(due__lt=now, then=Value("red")),
            When(Q(stage_deadline__isnull=False, stage_warn_at__isnull=True), then=Value("?")),
            When(Q(stage_deadline__isnull=True, warn_at__isnull=True), then=Value("?")),
            When(Q(stage_deadline__isnull=False, stage_warn_at__lte=now), then=Value("yellow")),
            When(Q(stage_deadline__isnull=True, warn_at__lte=now), then=Value("yellow")),
            default=Value("green"),
            output_field=CharField(),
        )
    )


def lights_of(
    cases: QuerySet[Case], now: dt.datetime
) -> tuple[dict[str, int], dict[str, list[int]]]:
    """How many of ``cases`` (with ``with_lights``) show each light ("" no clock), in one
    grouped query; and the ids per light of those without a stored yellow moment
    (written before it was stored, or by bulk loaders), whose lights are computed here —
    one more query only when there are such cases."""
    counts = dict.fromkeys(["", *LIGHTS], 0)
    grouped = cases.order_by().values_list("light").annotate(n=Count("pk"))  # type: ignore[misc]
    for light, number in grouped:
        counts[light] = counts.get(light, 0) + number
    unknown: dict[str, list[int]] = {light: [] for light in LIGHTS}
    if counts.pop("?", 0):
        for case in cases.filter(light="?"):  # type: ignore[misc]  # with_lights
            light = traffic_light(case, now) or "green"
            unknown[light].append(case.pk)
            counts[light] += 1
    return counts, unknown


def of_light(cases: QuerySet[Case], light: str, unknown: dict[str, list[int]]) -> QuerySet[Case]:
    """The cases (with ``with_lights``) showing ``light``, in the database."""
    wanted = Q(light=light) | Q(pk__in=unknown.get(light, []))
    return cases.filter(wanted)


# --- the timeline -------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    event: CaseEvent
    action: str
    label: str
    from_stage: str
    to_stage: str
    actor: str
    department: str
    note: str
    at: dt.datetime
    # Time the case spent in ``from_stage`` before this event moved it on (None for an
    # event that does not change the stage, and for the report).
    stage_took: dt.timedelta | None
    photos: list[Attachment] = field(default_factory=list)

    @property
    def from_label(self) -> str:
        return machine.stage_label(self.from_stage) if self.from_stage else ""

    @property
    def to_label(self) -> str:
        return machine.stage_label(self.to_stage)


# A case an action has just created carries its events and photos (all it has), so that
# the answer showing it reads nothing more.
_KNOWN_ATTR = "_gridgov_known_relations"


def known_relations(case: Case, *, events: list[CaseEvent], attachments: list[Attachment]) -> None:
    """Keep on a case just created every event and attachment it has (for the answer)."""
    setattr(case, _KNOWN_ATTR, (events, attachments))


def case_attachments(case: Case) -> list[Attachment]:
    """The case's photos and documents: as an action just stored them, as prefetched, or
    read now."""
    known = getattr(case, _KNOWN_ATTR, None)
    return list(known[1]) if known else list(case.attachments.all())


def _events(case: Case) -> list[CaseEvent]:
    known = getattr(case, _KNOWN_ATTR, None)
    if known:
        return list(known[0])
    return list(case.events.select_related("actor", "department").order_by("at", "pk"))


def timeline(case: Case, attachments: list[Attachment] | None = None) -> list[TimelineEntry]:
    """Every event of the case in order: who did what, when, and how long the stage it
    ended had lasted. One query for the events, and one for their photos unless the
    case's ``attachments`` are given (none for a case an action has just created)."""
    events = _events(case)
    photo_ids = [pk for e in events for pk in (e.data or {}).get("photos", [])]
    if attachments is None and photo_ids:
        attachments = list(Attachment.objects.filter(pk__in=photo_ids))
    photos = {a.pk: a for a in attachments or []}
    entries: list[TimelineEntry] = []
    entered: dt.datetime | None = None
    for event in events:
        moved = event.to_stage != event.from_stage
        took = event.at - entered if moved and entered is not None and event.from_stage else None
        if moved:
            entered = event.at
        entries.append(
            TimelineEntry(
                event=event,
                action=event.action,
                label=machine.action_label(event.action),
                from_stage=event.from_stage,
                to_stage=event.to_stage,
                actor=event.actor_label or (str(event.actor) if event.actor else ""),
                department=str(event.department) if event.department else "",
                note=event.note,
                at=event.at,
                stage_took=took,
                photos=[photos[pk] for pk in (event.data or {}).get("photos", []) if pk in photos],
            )
        )
    return entries


# --- likely duplicates --------------------------------------------------------------------


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine; plenty for a few hundred metres)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def likely_duplicates(
    case: Case, distance_m: float | None = None, *, user: Any = None
) -> list[Case]:
    """Open cases of the same class within ``distance_m`` metres (default
    ``GRIDGOV_CASE_DUPLICATE_METRES``), nearest first, each with ``distance_m`` set.

    Candidates come from the case's township (grid code prefix, an index range) and a
    bounding box; a case without coordinates is compared by grid only. With ``user``,
    only cases that user may see.
    """
    if case.case_class_id is None:
        return []
    metres = float(distance_m if distance_m is not None else _duplicate_metres())
    candidates = (
        Case.objects.filter(
            stage__in=machine.OPEN,
            grid_code__startswith=case.grid_code[:DUPLICATE_PREFIX],
            case_class_id=case.case_class_id,
        )
        .exclude(pk=case.pk)
        .select_related(*_RELATED)
    )
    if user is not None:
        candidates = candidates.filter(scope_q(user, VIEW))
    same_grid_unplaced = Q(grid_code=case.grid_code, lon__isnull=True)
    if case.lon is None or case.lat is None:
        same_grid = candidates.filter(grid_code=case.grid_code).order_by("reported_at", "pk")
        nearby = list(same_grid[:DUPLICATE_LIMIT])
        for other in nearby:
            other.distance_m = None  # type: ignore[attr-defined]
        return nearby
    dlat = metres / 111_320
    dlon = metres / (111_320 * max(math.cos(math.radians(case.lat)), 0.01))
    box = Q(
        lat__range=(case.lat - dlat, case.lat + dlat),
        lon__range=(case.lon - dlon, case.lon + dlon),
    )
    found: list[tuple[float, Case]] = []
    for other in candidates.filter(box | same_grid_unplaced)[: DUPLICATE_LIMIT * 5]:
        if other.lon is None or other.lat is None:
            other.distance_m = None  # type: ignore[attr-defined]
            found.append((math.inf, other))
            continue
        metres_away = metres_between(case.lon, case.lat, other.lon, other.lat)
        if metres_away <= metres:
            other.distance_m = round(metres_away, 1)  # type: ignore[attr-defined]
            found.append((metres_away, other))
    found.sort(key=lambda pair: (pair[0], pair[1].reported_at))
    return [other for _d, other in found[:DUPLICATE_LIMIT]]


def _duplicate_metres() -> float:
    return float(getattr(settings, "GRIDGOV_CASE_DUPLICATE_METRES", 100))


# --- the public's view of its report ------------------------------------------------------


@dataclass(frozen=True)
class PublicStep:
    label: str
    at: dt.datetime


@dataclass(frozen=True)
class PublicCase:
    """What anyone holding a case's tracking token may read: no names, no phone numbers,
    nobody's account, no internal notes — the stage, the class, what was reported and
    where, the dates, the result once closed, and the reporter's own photos."""

    number: str
    public_token: uuid.UUID
    stage: str
    class_name: str
    description: str
    address: str
    grid_code: str
    reported_at: dt.datetime
    closed_at: dt.datetime | None
    result: str
    rating: str
    rating_comment: str
    steps: list[PublicStep]
    photos: list[Attachment]

    @property
    def stage_label(self) -> str:
        return machine.stage_label(self.stage)

    def get_stage_display(self) -> str:
        return self.stage_label

    @property
    def is_open(self) -> bool:
        return self.stage in machine.OPEN

    @property
    def can_rate(self) -> bool:
        return self.stage == Stage.CLOSED and not self.rating


# The steps the public sees: movements between stages, not internal back-and-forth.
_PUBLIC_ACTIONS = ("report", "file", "dispatch", "dispose", "close", "cancel", "merge")


def parse_token(token: Any) -> uuid.UUID:
    """A tracking token as a UUID; NotFound for anything that is not one."""
    try:
        return token if isinstance(token, uuid.UUID) else uuid.UUID(str(token))
    except (TypeError, ValueError):
        raise NotFound() from None


def get_case_by_token(token: Any) -> PublicCase:
    """The public tracking view of a case (NotFound for an unknown token)."""
    case = (
        Case.objects.select_related("case_class")
        .filter(public_token=parse_token(token))
        .only(
            "number",
            "public_token",
            "stage",
            "case_class__name",
            "description",
            "address",
            "grid_code",
            "reported_at",
            "closed_at",
            "result",
            "rating",
            "rating_comment",
        )
        .first()
    )
    if case is None:
        raise NotFound()
    steps = [
        PublicStep(machine.action_label(action), at)
        for action, at in case.events.filter(action__in=_PUBLIC_ACTIONS)
        .order_by("at", "pk")
        .values_list("action", "at")
    ]
    return PublicCase(
        number=case.number,
        public_token=case.public_token,
        stage=case.stage,
        class_name=case.case_class.name if case.case_class else "",
        description=case.description,
        address=case.address,
        grid_code=case.grid_code,
        reported_at=case.reported_at,
        closed_at=case.closed_at,
        result=case.result if case.stage == Stage.CLOSED else "",
        rating=case.rating,
        rating_comment=case.rating_comment,
        steps=steps,
        photos=list(public_photos(case)),
    )


def public_photos(case: Case) -> QuerySet[Attachment]:
    """The reporter's photos (images only, stored without their metadata)."""
    return Attachment.objects.filter(
        case=case, purpose=AttachmentPurpose.REPORT, content_type__startswith="image/"
    )


# --- attachments --------------------------------------------------------------------------


def get_attachment_for(user: Any, attachment_id: Any) -> Attachment:
    """An attachment of a case the user may see, or of a component in their
    ``components.view`` scope; NotFound otherwise."""
    attachment = _get(Attachment.objects.select_related("case", "component"), attachment_id)
    if attachment.case is not None and can_see(user, attachment.case):
        return attachment
    if attachment.component is not None and scope.has_capability(
        user, "components.view", attachment.component.grid_code
    ):
        return attachment
    raise NotFound()


def get_public_photo(token: Any, attachment_id: Any) -> Attachment:
    """One of the reporter's photos of the case with this tracking token."""
    case = Case.objects.filter(public_token=parse_token(token)).only("pk").first()
    if case is None:
        raise NotFound()
    return _get(public_photos(case), attachment_id)
