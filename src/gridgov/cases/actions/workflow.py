"""Every move of a case through the workflow (domain.md §3), one function per transition.

Each action runs in one transaction and, in this order: locks the case row
(select_for_update), checks that the actor may take it (``queries.workflow.require``:
NotFound when the case is not theirs to see, PermissionDenied when it is but the move is
not theirs), checks the version the actor saw (Conflict "someone else changed this case"),
checks the move against the state machine (``workflow.check_transition``: Conflict naming
the stage), changes the case, bumps its version, appends a ``CaseEvent``, writes the audit
event ``cases.<action>``, retires the inbox messages of the case's previous step and
delivers the next owner's, and calls ``evaluation.count_transition(case, event)``.

Clocks. Entering verification, dispatch (FILED) or check starts the stage's clock
(``Case.stage_started_at``/``stage_deadline``, limits from settings); dispatch starts the
disposal clock (``Case.deadline`` from the class's limit through the working calendar).
An event that ends a clock carries ``data["due"]`` (ISO time) and ``data["on_time"]`` —
record_verification, dispatch and record_check for the stage clocks, dispose for the
disposal clock — which is what evaluation counts on-time rates from.

Inbox messages are written in the installation's language (``LANGUAGE_CODE``), since they
are stored once for recipients who may read in either; topic ``case:<id>``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts import scope
from gridgov.accounts.models import Department, GridAssignment, User
from gridgov.accounts.roles import CAPABILITIES, DEPARTMENT_ROLES, Role
from gridgov.audit import labels as audit_labels
from gridgov.audit.actions import record
from gridgov.cases import attachments, calendar, evaluation
from gridgov.cases import privacy as case_privacy
from gridgov.cases import workflow as machine
from gridgov.cases.models import (
    AttachmentPurpose,
    Case,
    CaseClass,
    CaseEvent,
    CaseNumberCounter,
    Component,
    Postponement,
    PostponementStatus,
    Rating,
    Source,
    Stage,
    TimeUnit,
)
from gridgov.cases.queries import catalogue as catalogue_queries
from gridgov.cases.queries import workflow as queries
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.core.system import SystemActor
from gridgov.core.text import has_control_characters
from gridgov.core.versions import check_version
from gridgov.inbox import actions as inbox
from gridgov.inbox.models import MessageKind
from gridgov.registry import identity
from gridgov.territory import codes, locating
from gridgov.territory.models import Region

# Sources anyone may report through, signed in or not; the others need cases.report.
OPEN_SOURCES = frozenset({Source.CITIZEN, Source.OPEN311})
PUBLIC = SystemActor(name="public")  # the audit trail's name for an anonymous reporter
MAX_DESCRIPTION = 2000
MAX_REASON = 500
MAX_POSTPONEMENT = 1000  # hours or days: a sanity bound, not a policy

audit_labels.register({f"cases.{action}": label for action, label in machine.ACTION_LABELS.items()})


# --- input --------------------------------------------------------------------------------


# How a field is named in messages, when the case's own field does not say it.
FIELD_LABELS: dict[str, Promise] = {
    "note": gettext_lazy("note"),
    "reason": gettext_lazy("reason"),
    "comment": gettext_lazy("comment"),
    "result": gettext_lazy("disposal result"),
    "location": gettext_lazy("location"),
    "version": gettext_lazy("version"),
    "into_id": gettext_lazy("merged into"),
    "amount": gettext_lazy("extra time"),
    "unit": gettext_lazy("unit"),
    "reporter_phone": gettext_lazy("reporter's phone"),
    "rating": gettext_lazy("citizen's rating"),
}


def field_label(field: str) -> str:
    """The translated name of an input field ("case_class" → "class")."""
    if field in FIELD_LABELS:
        return str(FIELD_LABELS[field])
    try:
        return str(getattr(Case._meta.get_field(field), "verbose_name", field))
    except FieldDoesNotExist:
        return field


def _fail(field: str, reason: str) -> InvalidInput:
    """InvalidInput naming the field, in the message too ("class: …")."""
    return InvalidInput(
        _("%(field)s: %(reason)s") % {"field": field_label(field), "reason": reason},
        fields={field: reason},
    )


def _one_of(values: Iterable[str]) -> str:
    return _("must be one of: %(choices)s") % {"choices": ", ".join(values)}


def _text(value: Any, field: str, max_length: int, *, required: bool = False) -> str:
    """Free text as typed, trimmed: within ``max_length``, without control characters
    (line breaks and tabs are text; PostgreSQL refuses a NUL outright)."""
    text = str(value if value is not None else "").strip()
    if required and not text:
        raise _fail(field, _("required"))
    if len(text) > max_length:
        raise _fail(field, _("longer than %(n)d characters") % {"n": max_length})
    if has_control_characters(text):
        raise _fail(field, _("contains control characters"))
    return text


def _whole(value: Any, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or (isinstance(value, float | bool) and value != number):
        raise _fail(field, _("not a whole number"))
    return number


def _check_version(case: Case, version: Any) -> None:
    message = _("Someone else changed case %(number)s; reload it and try again.")
    details = {"stage": case.stage}
    check_version(case, version, message % {"number": case.number}, details=details, required=True)


def _class(value: Any) -> CaseClass:
    """An active minor class, given as a CaseClass or its id."""
    pk = getattr(value, "pk", value)
    found = catalogue_queries.active_minor_classes().filter(pk=_whole(pk, "case_class")).first()
    if found is None:
        raise _fail("case_class", _("no active minor class has this id"))
    return found


def _department(value: Any) -> Department:
    pk = getattr(value, "pk", value)
    found = Department.objects.filter(pk=_whole(pk, "department"), is_active=True).first()
    if found is None:
        raise _fail("department", _("no active department has this id"))
    return found


# --- the shared steps of every move -------------------------------------------------------


@contextmanager
def _atomic() -> Iterator[None]:
    """One transaction; files stored inside it are deleted again if it fails."""
    with attachments.discarded_on_error(), transaction.atomic():
        yield


# What a move reads of the case besides its row: its class (filing, the limit, message
# subjects) and the people and departments its answer names. Only the case row is locked.
_LOCKED_WITH = ("case_class", "suggested_department", "department", "supervisor")


def _locked(case_id: Any) -> Case:
    try:
        return (
            Case.objects.select_for_update(of=("self",))
            .select_related(*_LOCKED_WITH)
            .get(pk=int(case_id))
        )
    except (Case.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def _columns(case: Case) -> dict[str, Any]:
    """The case's column values (JSON ones copied, so a change made in place shows)."""
    values = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}
    return {k: copy.deepcopy(v) if isinstance(v, dict | list) else v for k, v in values.items()}


@dataclass
class Move:
    action: str
    from_stage: str
    target: str | None
    actor: Any
    now: dt.datetime
    # The case's columns when the move began: only those it changed are written back.
    before: dict[str, Any] | None = None

    def changed_columns(self, case: Case) -> list[str] | None:
        """The columns the move changed (None: unknown, write them all)."""
        if self.before is None:
            return None
        now = _columns(case)
        return [name for name, value in now.items() if self.before.get(name) != value]


def _begin(case_id: Any, *, actor: Any, version: Any, action: str) -> tuple[Case, Move]:
    """Lock the case and run the checks every move shares, in the order that tells the
    actor the most useful thing first."""
    case = _locked(case_id)
    transition = machine.TRANSITIONS[action]
    queries.require(actor, transition.capability, case)
    if version is not None or action not in _VERSIONLESS:
        _check_version(case, version)
    machine.check_transition(case, action)
    move = Move(action, case.stage, transition.target, actor, timezone.now(), _columns(case))
    return case, move


# Moves whose callers do not hold the case's version (the contract gives them none).
_VERSIONLESS = frozenset({"approve_postponement", "reject_postponement", "rate", "escalate"})


def _start_stage_clock(case: Case, stage: str, start: dt.datetime) -> None:
    """The stage's clock from ``start``: its deadline and yellow moment (none for a stage
    without a clock)."""
    limit = machine.stage_limit(stage)
    due = calendar.deadline(start, *limit) if limit else None
    case.stage_deadline = due
    case.stage_warn_at = queries.warn_moment(start, due, limit[1]) if due and limit else None


def _set_deadline(case: Case, due: dt.datetime | None) -> None:
    """The disposal deadline and its yellow moment (the clock runs from the dispatch, in
    the class's unit)."""
    case.deadline = due
    start, unit = case.dispatched_at, case.limit_unit
    case.warn_at = queries.warn_moment(start, due, unit) if due and start and unit else None


def _ended_clock(case: Case, move: Move) -> dict[str, Any]:
    """``due``/``on_time`` of the stage clock this move stops (see the module doc)."""
    if move.target in (None, move.from_stage) or move.from_stage not in machine.TIMED_STAGES:
        return {}
    return _on_time(case.stage_deadline, move.now)


def _iso(moment: dt.datetime) -> str:
    """A time in event data: ISO 8601 in UTC, whatever zone it was computed in."""
    return moment.astimezone(dt.UTC).isoformat()


def _on_time(due: dt.datetime | None, at: dt.datetime) -> dict[str, Any]:
    if due is None:
        return {}
    return {"due": _iso(due), "on_time": at <= due}


def _actor_user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def _commit(
    case: Case,
    move: Move,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    department: Department | None = None,
    changes: dict[str, Any] | None = None,
    bump: bool = True,
    save: bool = True,
    notify: bool = True,
) -> CaseEvent:
    """Save the moved case and write everything a move leaves behind (``save`` False:
    the caller has just created the row; ``notify`` False: the caller sends its own)."""
    data = {**_ended_clock(case, move), **(data or {})}
    if move.target is not None and move.target != move.from_stage:
        case.stage = move.target
        case.stage_started_at = move.now
        _start_stage_clock(case, move.target, move.now)
    if bump:
        case.version += 1
    if save:
        changed = move.changed_columns(case)
        case.save(update_fields=None if changed is None else [*changed, "updated_at"])
    event = CaseEvent.objects.create(
        case=case,
        action=move.action,
        from_stage=move.from_stage,
        to_stage=case.stage,
        actor=_actor_user(move.actor),
        actor_label=str(move.actor)[:150] if _actor_user(move.actor) else "",
        department=department,
        note=note,
        data=data,
        at=move.now,
    )
    record(
        f"cases.{move.action}",
        actor=move.actor if move.actor is not None else PUBLIC,
        obj=case,
        grid_code=case.grid_code,
        changes={"stage": [move.from_stage, case.stage], **(changes or {}), **data},
    )
    if notify:
        _notify(case, move.action)
    evaluation.count_transition(case, event)
    return event


def _store(prepared: list[attachments.Prepared], case: Case, purpose: str, actor: Any) -> list[int]:
    return [attachments.save(p, case=case, purpose=purpose, actor=actor).pk for p in prepared]


# --- who hears about it -------------------------------------------------------------------


def _roles_with(capability: str) -> list[str]:
    return [role for role, caps in CAPABILITIES.items() if capability in caps]


def _assigned_users(**assignment: Any) -> list[User]:
    """Active users with an active role assignment matching ``assignment`` (role,
    scope_code, department lookups). Only their ids are read: a message needs no more."""
    lookups = {f"role_assignments__{name}": value for name, value in assignment.items()}
    rows = User.objects.filter(
        is_active=True, role_assignments__withdrawn_at__isnull=True, **lookups
    )
    return list(rows.only("pk").distinct())


def _territory_users(grid_code: str, roles: Iterable[str]) -> list[User]:
    """Active users holding one of ``roles`` over a node containing the grid."""
    return _assigned_users(
        role__in=[r for r in roles if r not in DEPARTMENT_ROLES],
        scope_code__in=catalogue_queries.territory_prefixes(grid_code),
    )


def _department_users(department_id: int | None) -> list[User]:
    if department_id is None:
        return []
    return _assigned_users(role__in=DEPARTMENT_ROLES, department_id=department_id)


def _grid_workers(case: Case) -> list[User]:
    """The grid's supervisor and the grid's other assigned workers (a deputy)."""
    assigned = GridAssignment.objects.active().filter(grid_code=case.grid_code)
    rows = User.objects.filter(
        Q(pk=case.supervisor_id) | Q(pk__in=assigned.values("user_id")), is_active=True
    )
    return list(rows.only("pk"))


SUPERVISION, COMMAND, DEPARTMENT, GRID, LEADERS = (
    "supervision",
    "command",
    "department",
    "grid",
    "leaders",
)


def _audience(case: Case, who: str) -> list[User]:
    if who == GRID:
        return _grid_workers(case)
    if who == DEPARTMENT:
        return _department_users(case.department_id)
    if who == LEADERS:
        return _territory_users(case.grid_code, [Role.LEADER])
    capability = machine.SUPERVISE if who == SUPERVISION else machine.DISPATCH
    return _territory_users(case.grid_code, _roles_with(capability))


# action → [(who, kind, subject)]; the subject takes %(number)s and %(summary)s.
_T, _N = MessageKind.TASK, MessageKind.NOTICE
NEXT_OWNERS: dict[str, list[tuple[str, str, Promise]]] = {
    "report": [(SUPERVISION, _T, gettext_lazy("New case %(number)s to file: %(summary)s"))],
    "request_verification": [
        (GRID, _T, gettext_lazy("Verify case %(number)s on site: %(summary)s"))
    ],
    "record_verification": [
        (SUPERVISION, _T, gettext_lazy("Case %(number)s verified; file or cancel it"))
    ],
    "file": [(COMMAND, _T, gettext_lazy("Case %(number)s to dispatch: %(summary)s"))],
    "return": [
        (COMMAND, _T, gettext_lazy("Case %(number)s returned as wrongly sent; dispatch it again"))
    ],
    "dispatch": [(DEPARTMENT, _T, gettext_lazy("Case %(number)s dispatched to you: %(summary)s"))],
    "dispose": [
        (COMMAND, _N, gettext_lazy("Case %(number)s disposed by the department")),
        (SUPERVISION, _T, gettext_lazy("Case %(number)s disposed; request an on-site check")),
    ],
    "request_check": [(GRID, _T, gettext_lazy("Check case %(number)s on site: %(summary)s"))],
    "record_check": [
        (SUPERVISION, _T, gettext_lazy("Case %(number)s checked; close it or send it back"))
    ],
    "rework": [(DEPARTMENT, _T, gettext_lazy("Case %(number)s sent back for rework"))],
    "request_postponement": [
        (COMMAND, _T, gettext_lazy("Case %(number)s: the department asks for more time"))
    ],
    "approve_postponement": [
        (DEPARTMENT, _N, gettext_lazy("Case %(number)s: postponement approved"))
    ],
    "reject_postponement": [
        (DEPARTMENT, _N, gettext_lazy("Case %(number)s: postponement refused"))
    ],
}


def topic(case: Case) -> str:
    return f"case:{case.pk}"


def case_link(case: Case) -> str:
    try:
        return reverse("cases:case_detail", args=[case.pk])
    except NoReverseMatch:  # the pages are not mounted (an API-only installation)
        return f"/cases/{case.pk}/"


def _summary(case: Case) -> str:
    what = case.case_class.name if case.case_class_id and case.case_class else ""
    text = " ".join(case.description.split())
    return " · ".join(part for part in (what, text[:60], case.address[:60]) if part)


def _deliver(case: Case, who: str, kind: str, subject: Promise, body: str = "") -> int:
    with translation.override(settings.LANGUAGE_CODE):
        text = str(subject) % {"number": case.number, "summary": _summary(case)}
        return inbox.deliver(
            _audience(case, who),
            kind=kind,
            subject=text,
            body=body,
            link=case_link(case),
            topic=topic(case),
            grid_code=case.grid_code,
        )


def _notify(case: Case, action: str) -> None:
    """The previous step's messages are done with (a new case has none); the next
    owner's arrive."""
    if action != "report":
        inbox.retire(topic(case))
    for who, kind, subject in NEXT_OWNERS.get(action, ()):
        _deliver(case, who, kind, subject)


# --- case numbers -------------------------------------------------------------------------


def next_case_number(day: dt.date) -> str:
    """``YYYYMMDD`` + 6 digits, from the day's counter row. The UPDATE locks the row until
    the reporting transaction ends, so concurrent reports get consecutive numbers; the
    first report of a day creates the row, and a concurrent second one that loses that
    race falls back to the update (on both SQLite and PostgreSQL)."""
    last = _bump_counter(day)
    if last is None:
        try:
            with transaction.atomic():
                CaseNumberCounter.objects.create(day=day, last=1)
            last = 1
        except IntegrityError:
            last = _bump_counter(day)
    return f"{day:%Y%m%d}{last:06d}"


def _bump_counter(day: dt.date) -> int | None:
    """The day's counter plus one, in one statement (UPDATE … RETURNING: SQLite 3.35+
    and PostgreSQL); None when the day has no row yet."""
    table = connection.ops.quote_name(CaseNumberCounter._meta.db_table)
    last, day_column = (connection.ops.quote_name(n) for n in ("last", "day"))
    # Only names from the model's metadata, quoted, go into the text; the day is a parameter.
    sql = f"UPDATE {table} SET {last} = {last} + 1 WHERE {day_column} = %s RETURNING {last}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [connection.ops.adapt_datefield_value(day)],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


# --- report -------------------------------------------------------------------------------


def _grid_code(grid_code: Any, lon: float | None, lat: float | None) -> str:
    """The unit grid of a report: the code given (it must exist), else the grid holding
    the point; InvalidInput naming the location when it lies outside every grid."""
    if grid_code:
        code = str(grid_code).strip()
        if not (code.isdigit() and len(code) == codes.CODE_LENGTH[codes.GRID]) or not (
            Region.objects.filter(code=code, level=codes.GRID).exists()
        ):
            raise _fail("grid_code", _("no unit grid has this code"))
        return code
    if lon is None or lat is None:
        raise _fail("location", _("give the grid or the location (longitude and latitude)"))
    found = locating.locate_code(lon, lat)
    if found is None:
        reason = _("%(lon).6f, %(lat).6f lies outside every grid of the city") % {
            "lon": lon,
            "lat": lat,
        }
        raise InvalidInput(
            _("The location %(where)s.") % {"where": reason},
            fields={"location": reason, "lon": reason, "lat": reason},
        )
    return found


def _coordinates(lon: Any, lat: Any) -> tuple[float | None, float | None]:
    if lon in (None, "") and lat in (None, ""):
        return None, None
    fields: dict[str, str] = {}
    values: list[float | None] = []
    for name, value, limit in (("lon", lon, 180), ("lat", lat, 90)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not -limit <= number <= limit:
            fields[name] = _("a number of degrees between -%(n)d and %(n)d") % {"n": limit}
        values.append(number)
    if fields:
        raise InvalidInput(_("The location is not valid."), fields=fields)
    return values[0], values[1]


def _component(value: Any) -> Component | None:
    if value in (None, ""):
        return None
    if isinstance(value, Component):
        return value
    text = str(value).strip()
    # A row id, or the 16-digit component ID.
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise _fail("component", _("no component has this ID"))
    rows = Component.objects.select_related("case_class")
    found = (
        rows.filter(component_id=text).first()
        if len(text) == 16
        else rows.filter(pk=int(text)).first()
    )
    if found is None:
        raise _fail("component", _("no component has this ID"))
    if getattr(found, "retired_at", None) is not None:
        raise _fail("component", _("this component has been retired"))
    return found


MAX_ANSWER = 2000  # a text answer may be as long as a description
_PLAIN = str | int | float | bool


def _attributes(value: Any, case_class: CaseClass | None) -> dict[str, Any]:
    """Answers to the class's report attributes ({code: answer}), each checked against
    its question (``_answer``); the class's required questions answered. Errors name
    ``attributes.<code>``."""
    answers = value or {}
    if not isinstance(answers, dict):
        raise _fail("attributes", _("give answers as names and values"))
    asked = (case_class.attributes if case_class else None) or []
    questions = {str(q.get("code", "")): q for q in asked}
    kept: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in answers.items():
        code = str(key)[:50]
        try:
            answer = _answer(raw, questions.get(code))
        except ValueError as exc:
            errors[f"attributes.{code}"] = str(exc)
            continue
        if answer is not None:
            kept[code] = answer
    for code, question in questions.items():
        if question.get("required") and code not in kept:
            errors.setdefault(f"attributes.{code}", _("required"))
    if errors:
        raise InvalidInput(_("Some answers about the problem are missing or wrong."), fields=errors)
    return kept


def _answer(raw: Any, question: dict[str, Any] | None) -> Any:
    """One answer as the case keeps it, None when there is none: a plain value, or for a
    multiple-choice question ("multivaluelist") a list of its keys, each given once and
    in the order chosen. ValueError (the reason) when it is not a fitting answer."""
    spec = question or {}
    multiple = spec.get("datatype") == "multivaluelist"
    values = list(raw) if isinstance(raw, list | tuple) else [raw]
    values = [v for v in values if v not in (None, "")]
    if not values:
        return None
    if not all(isinstance(v, _PLAIN) for v in values):
        raise ValueError(_("give a plain value"))
    if len(values) > 1 and not multiple:
        raise ValueError(_("give one value"))
    for text in (v for v in values if isinstance(v, str)):
        if len(text) > MAX_ANSWER:
            raise ValueError(_("longer than %(n)d characters") % {"n": MAX_ANSWER})
        if has_control_characters(text):
            raise ValueError(_("contains control characters"))
    keys = [str(v.get("key")) for v in spec.get("values") or []]
    if keys and any(str(v) not in keys for v in values):
        raise ValueError(_one_of(keys))
    if multiple and isinstance(raw, list | tuple):
        return list(dict.fromkeys(values))
    return values[0]


def _reporter_phone(raw: Any) -> str:
    if not str(raw or "").strip():
        return ""
    try:
        return identity.normalize_phone(str(raw))
    except InvalidInput as exc:
        reason = exc.details.get("fields", {}).get("phone", exc.message)
        raise _fail("reporter_phone", reason) from None


def _may_report(actor: Any, source: str, grid_code: str) -> None:
    if source in OPEN_SOURCES:
        return
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Only the public sources are open without logging in."))
    queries.grants(actor)  # one read of the roles serves this check and the answer
    scope.require(actor, machine.REPORT, grid_code)


def _grid_assignments(grid_code: str) -> list[GridAssignment]:
    """The grid's active assignments with their workers, main workers first."""
    rows = GridAssignment.objects.active().filter(grid_code=grid_code).select_related("user")
    return list(rows.order_by("is_deputy", "pk"))


def _grid_supervisor(assignments: list[GridAssignment]) -> User | None:
    """The grid's main worker (its deputy when it has no main one)."""
    return next((a.user for a in assignments if a.user.is_active), None)


def _verifies_own_grid(actor: Any, source: str, assignments: list[GridAssignment]) -> bool:
    """A patrol report by one of the grid's own workers is its own verification."""
    user = _actor_user(actor)
    return (
        source == Source.PATROL
        and user is not None
        and any(a.user_id == user.pk for a in assignments)
    )


def report_case(
    *,
    actor: Any,
    source: str,
    description: str,
    grid_code: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    address: str = "",
    case_class: Any = None,
    component: Any = None,
    attributes: dict[str, Any] | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: Iterable[Any] = (),
) -> Case:
    """A problem reported: a new case in REPORTED (VERIFIED when the grid's own worker
    reports it on patrol), with its grid (located from the point when no grid is given),
    the grid's supervisor, the department the responsibility list suggests, and the
    reporter's photos. ``actor`` None is an anonymous member of the public, allowed on
    the citizen and Open311 sources only; other sources need ``cases.report`` over the
    grid."""
    if source not in Source.values:
        raise _fail("source", _one_of(Source.values))
    description = _text(description, "description", MAX_DESCRIPTION, required=True)
    address = _text(address, "address", 200)
    reporter_name = _text(reporter_name, "reporter_name", 50)
    phone = _reporter_phone(reporter_phone)
    found_component = _component(component)
    chosen_class = _class(case_class) if case_class not in (None, "") else None
    if chosen_class is None and found_component is not None:
        chosen_class = found_component.case_class
    answers = _attributes(attributes, chosen_class)
    lon_f, lat_f = _coordinates(lon, lat)
    if found_component is not None and not grid_code and lon_f is None:
        grid_code = found_component.grid_code
        lon_f, lat_f = found_component.lon, found_component.lat
    grid = _grid_code(grid_code, lon_f, lat_f)
    _may_report(actor, source, grid)
    prepared = attachments.prepare_all(photos)
    with _atomic():
        now = timezone.now()
        assigned = _grid_assignments(grid)
        self_verified = _verifies_own_grid(actor, source, assigned)
        stage = Stage.VERIFIED if self_verified else Stage.REPORTED
        case = Case.objects.create(
            number=next_case_number(timezone.localdate(now)),
            source=source,
            stage=stage,
            stage_started_at=now,
            case_class=chosen_class,
            component=found_component,
            description=description,
            address=address,
            grid_code=grid,
            lon=lon_f,
            lat=lat_f,
            attributes=answers,
            reporter=_actor_user(actor),
            reporter_name=reporter_name,
            supervisor=_grid_supervisor(assigned),
            suggested_department=catalogue_queries.responsible_department(chosen_class, grid)
            if chosen_class
            else None,
            verified=True if self_verified else None,
            verified_at=now if self_verified else None,
            reported_at=now,
            created_at=now,
            **case_privacy.seal_reporter_phone(phone),
        )
        photos = [
            attachments.save(p, case=case, purpose=AttachmentPurpose.REPORT, actor=actor)
            for p in prepared
        ]
        move = Move("report", "", stage, actor, now)
        data: dict[str, Any] = {"photos": [a.pk for a in photos]} if photos else {}
        if self_verified:
            data["verified_on_report"] = True
        event = _commit(
            case,
            move,
            data=data,
            bump=False,
            save=False,
            changes={
                "number": case.number,
                "source": source,
                "case_class": chosen_class.code if chosen_class else "",
                "reporter_phone": case.reporter_phone_masked,
            },
        )
    queries.known_relations(case, events=[event], attachments=photos)
    return case


# --- supervision centre: verification, filing, cancelling, merging ------------------------


def _noted(case_id: Any, *, actor: Any, version: Any, action: str, note: str) -> Case:
    """A move that carries nothing but a note."""
    note = _text(note, "note", MAX_REASON)
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action=action)
        _commit(case, move, note=note)
    return case


class OnSite(NamedTuple):
    """A grid worker's yes-or-no finding on site: the move, the case's fields for the
    answer and its time, the event's data key, and what the photos are of."""

    action: str
    field: str
    moment: str
    key: str
    purpose: str


_VERIFIED_ON_SITE = OnSite(
    "record_verification", "verified", "verified_at", "is_real", AttachmentPurpose.REPORT
)
_CHECKED_ON_SITE = OnSite(
    "record_check", "check_passed", "checked_at", "passed", AttachmentPurpose.CHECK
)


def _found_on_site(
    finding: OnSite, case_id: Any, actor: Any, version: Any, answer: bool, note: str, photos: Any
) -> Case:
    """A finding on site recorded, with a note and photos."""
    note = _text(note, "note", MAX_REASON)
    prepared = attachments.prepare_all(photos)
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action=finding.action)
        setattr(case, finding.field, bool(answer))
        setattr(case, finding.moment, move.now)
        photo_ids = _store(prepared, case, finding.purpose, actor)
        _commit(case, move, note=note, data={finding.key: bool(answer), "photos": photo_ids})
    return case


def request_verification(case_id: Any, *, actor: Any, version: Any, note: str = "") -> Case:
    """Ask the grid's supervisor to verify the report on site (the verification clock
    starts)."""
    return _noted(case_id, actor=actor, version=version, action="request_verification", note=note)


def record_verification(
    case_id: Any,
    *,
    actor: Any,
    version: Any,
    is_real: bool,
    note: str = "",
    photos: Iterable[Any] = (),
) -> Case:
    """The supervisor's finding on site: the problem is real (the case can be filed) or
    not (it can only be cancelled)."""
    return _found_on_site(_VERIFIED_ON_SITE, case_id, actor, version, is_real, note, photos)


def file_case(
    case_id: Any, *, actor: Any, version: Any, case_class: Any = None, note: str = ""
) -> Case:
    """立案: the supervision centre accepts the case under a minor class (given here or
    at the report), which fixes its disposal time limit and suggests its department; the
    dispatch clock starts."""
    note = _text(note, "note", MAX_REASON)
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action="file")
        if case.verified is False:
            raise Conflict(
                _("Case %(number)s was verified as not real; cancel it instead of filing it.")
                % {"number": case.number}
            )
        if case_class not in (None, ""):
            case.case_class = _class(case_class)
        elif case.case_class_id is None:
            raise _fail("case_class", _("choose the class to file the case under"))
        assert case.case_class is not None
        amount, unit = catalogue_queries.time_limit(case.case_class, case.attributes)
        case.limit_value, case.limit_unit = (amount, unit) if amount and unit else (None, "")
        case.suggested_department = catalogue_queries.responsible_department(
            case.case_class, case.grid_code
        )
        case.filed_at = move.now
        _commit(
            case,
            move,
            note=note,
            changes={
                "case_class": case.case_class.code,
                "limit": f"{amount} {unit}" if amount else "",
                "suggested_department": case.suggested_department_id,
            },
        )
    return case


def _cancel(case: Case, move: Move, reason: str, **fields: Any) -> None:
    case.cancel_reason = reason[:200]
    case.cancelled_at = move.now
    for name, value in fields.items():
        setattr(case, name, value)


def cancel_case(case_id: Any, *, actor: Any, version: Any, reason: str) -> Case:
    """作废: an invalid report is cancelled with a reason."""
    reason = _text(reason, "reason", 200, required=True)
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action="cancel")
        _cancel(case, move, reason)
        _commit(case, move, note=reason)
    return case


def merge_case(case_id: Any, *, actor: Any, version: Any, into_id: Any) -> Case:
    """A duplicate of an open case the actor may see is cancelled as merged into it."""
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action="merge")
        try:
            into = queries.get_case_for(actor, into_id)
        except NotFound:
            raise _fail("into_id", _("no open case you may see has this id")) from None
        if into.pk == case.pk or not into.is_open:
            raise _fail("into_id", _("choose another case that is still open"))
        reason_text = _("Duplicate of case %(number)s") % {"number": into.number}
        _cancel(case, move, reason_text, merged_into=into)
        _commit(case, move, note=reason_text, data={"into": into.pk, "into_number": into.number})
    return case


# --- command centre: dispatch and postponements -------------------------------------------


def dispatch_case(
    case_id: Any, *, actor: Any, version: Any, department: Any = None, note: str = ""
) -> Case:
    """派遣: the case goes to a department (default: the suggested one) and the disposal
    clock starts — the deadline is the class's limit from now in the working calendar."""
    note = _text(note, "note", MAX_REASON)
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action="dispatch")
        if department not in (None, ""):
            chosen = _department(department)
        elif case.suggested_department is not None:  # read with the locked case
            chosen = case.suggested_department
            if not chosen.is_active:
                raise _fail("department", _("no active department has this id"))
        else:
            reason = _("no department is responsible for this class here; choose one")
            raise _fail("department", reason)
        case.department = chosen
        case.dispatcher = _actor_user(actor)
        case.dispatched_at = move.now
        case.dispatch_count += 1
        _set_deadline(
            case,
            calendar.deadline(move.now, case.limit_value, case.limit_unit)
            if case.limit_value and case.limit_unit
            else None,
        )
        _commit(
            case,
            move,
            note=note,
            department=chosen,
            data={
                "department": chosen.pk,
                "suggested": case.suggested_department_id,
                "deadline": _iso(case.deadline) if case.deadline else None,
            },
            changes={"department": chosen.code},
        )
    return case


def _postponement_amount(amount: Any, unit: Any) -> tuple[int, str]:
    number = _whole(amount, "amount")
    if not 1 <= number <= MAX_POSTPONEMENT:
        raise _fail("amount", _("between 1 and %(n)d") % {"n": MAX_POSTPONEMENT})
    if unit not in TimeUnit.values:
        raise _fail("unit", _one_of(TimeUnit.values))
    return number, str(unit)


def request_postponement(
    case_id: Any, *, actor: Any, version: Any, amount: int, unit: str, reason: str
) -> Postponement:
    """延期: the department asks the command centre for more time (one request pending
    at a time)."""
    number, unit = _postponement_amount(amount, unit)
    reason = _text(reason, "reason", MAX_REASON, required=True)
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action="request_postponement")
        if queries.pending_postponement(case) is not None:
            raise Conflict(
                _("Case %(number)s already has a postponement waiting for a decision.")
                % {"number": case.number}
            )
        postponement = Postponement.objects.create(
            case=case,
            requested_by=_actor_user(actor),
            requested_at=move.now,
            reason=reason,
            amount=number,
            unit=unit,
        )
        _commit(
            case,
            move,
            note=reason,
            department=case.department,
            data={"postponement": postponement.pk, "amount": number, "unit": unit},
        )
    return postponement


def decide_postponement(
    postponement_id: Any,
    *,
    actor: Any,
    approve: bool,
    note: str = "",
    version: Any = None,
) -> Postponement:
    """The command centre approves (the deadline moves by the time asked for, in the
    working calendar) or refuses a pending postponement. ``version``, when given, is the
    case's."""
    note = _text(note, "note", MAX_REASON)
    try:
        case_id = Postponement.objects.values_list("case_id", flat=True).get(
            pk=int(postponement_id)
        )
    except (Postponement.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None
    action = "approve_postponement" if approve else "reject_postponement"
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action=action)
        postponement = Postponement.objects.select_for_update().get(pk=int(postponement_id))
        if postponement.status != PostponementStatus.PENDING:
            raise Conflict(_("This postponement has already been decided; reload the case."))
        postponement.status = (
            PostponementStatus.APPROVED if approve else PostponementStatus.REJECTED
        )
        postponement.decided_by = _actor_user(actor)
        postponement.decided_at = move.now
        postponement.decision_note = note
        postponement.save()
        data: dict[str, Any] = {"postponement": postponement.pk}
        if approve:
            case.postponement_count += 1
            if case.deadline is not None:
                data["from"] = _iso(case.deadline)
                _set_deadline(
                    case, calendar.deadline(case.deadline, postponement.amount, postponement.unit)
                )
                data["to"] = _iso(case.deadline)
        _commit(case, move, note=note, department=case.department, data=data)
    return postponement


# --- department: accept, return, dispose --------------------------------------------------


def accept_case(case_id: Any, *, actor: Any, version: Any) -> Case:
    """The department takes the case on."""
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action="accept")
        case.accepted_at = move.now
        _commit(case, move, department=case.department)
    return case


def return_case(case_id: Any, *, actor: Any, version: Any, reason: str) -> Case:
    """退回: not this department's case; back to the command centre to dispatch again
    (the disposal clock stops and restarts with the next dispatch)."""
    reason = _text(reason, "reason", MAX_REASON, required=True)
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action="return")
        returned_by = case.department
        case.department = None
        _set_deadline(case, None)
        case.return_count += 1
        _commit(
            case,
            move,
            note=reason,
            department=returned_by,
            data={"department": returned_by.pk if returned_by else None},
        )
    return case


def dispose_case(
    case_id: Any, *, actor: Any, version: Any, result: str, photos: Iterable[Any] = ()
) -> Case:
    """处置反馈: the department reports what it did, with photos; the disposal clock stops."""
    result = _text(result, "result", MAX_DESCRIPTION, required=True)
    prepared = attachments.prepare_all(photos)
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action="dispose")
        case.result = result
        case.disposed_at = move.now
        photo_ids = _store(prepared, case, AttachmentPurpose.DISPOSAL, actor)
        _commit(
            case,
            move,
            note=result,
            department=case.department,
            data={**_on_time(case.deadline, move.now), "photos": photo_ids},
        )
    return case


# --- check and close ----------------------------------------------------------------------


def request_check(case_id: Any, *, actor: Any, version: Any, note: str = "") -> Case:
    """Ask the grid's supervisor to check the disposal on site (the check clock starts)."""
    return _noted(case_id, actor=actor, version=version, action="request_check", note=note)


def record_check(
    case_id: Any,
    *,
    actor: Any,
    version: Any,
    passed: bool,
    note: str = "",
    photos: Iterable[Any] = (),
) -> Case:
    """The supervisor's finding on site: the problem is solved (passed) or not."""
    return _found_on_site(_CHECKED_ON_SITE, case_id, actor, version, passed, note, photos)


def close_case(case_id: Any, *, actor: Any, version: Any, note: str = "") -> Case:
    """结案, after an on-site check that passed. ``closed_on_time``: the last disposal was
    within the deadline (a case without a time limit is on time)."""
    note = _text(note, "note", MAX_REASON)
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action="close")
        if case.check_passed is not True:
            raise Conflict(
                _("Case %(number)s did not pass its on-site check; send it back for rework.")
                % {"number": case.number}
            )
        case.closed_at = move.now
        case.closed_on_time = (
            case.deadline is None or case.disposed_at is None or case.disposed_at <= case.deadline
        )
        _commit(case, move, note=note, data={"on_time": case.closed_on_time})
    return case


def rework_case(case_id: Any, *, actor: Any, version: Any, reason: str) -> Case:
    """返工: the disposal did not solve the problem; back to the same department, under
    the same deadline."""
    reason = _text(reason, "reason", MAX_REASON, required=True)
    with _atomic():
        case, move = _begin(case_id, actor=actor, version=version, action="rework")
        if case.check_passed is True:
            raise Conflict(
                _("Case %(number)s passed its on-site check; close it instead.")
                % {"number": case.number}
            )
        case.rework_count += 1
        case.check_passed = None
        _commit(
            case,
            move,
            note=reason,
            department=case.department,
            data={"department": case.department_id},
        )
    return case


# --- the public ---------------------------------------------------------------------------


def rate_case(public_token: Any, *, rating: str, comment: str = "") -> Case:
    """The reporter rates the handling of their closed case, once."""
    if rating not in Rating.values:
        raise _fail("rating", _one_of(Rating.values))
    comment = _text(comment, "comment", 500)
    token = queries.parse_token(public_token)
    with _atomic():
        case = Case.objects.select_for_update().filter(public_token=token).first()
        if case is None:
            raise NotFound()
        machine.check_transition(case, "rate")
        if case.rating:
            raise Conflict(_("This case has already been rated."))
        case.rating = rating
        case.rating_comment = comment
        case.rated_at = timezone.now()
        move = Move("rate", case.stage, None, None, case.rated_at)
        _commit(case, move, note=comment, data={"rating": rating})
    return case


# --- escalation ---------------------------------------------------------------------------

# Whose supervisor hears of an overdue stage: the owner of each timed stage, and above it.
ESCALATE_TO: dict[str, str] = {
    Stage.VERIFYING: SUPERVISION,  # the grid worker is late verifying
    Stage.CHECKING: SUPERVISION,  # ... or checking
    Stage.FILED: LEADERS,  # the command centre is late dispatching
    Stage.DISPATCHED: COMMAND,  # the department is late
    Stage.ACCEPTED: COMMAND,
}
_ESCALATION_SUBJECT = gettext_lazy("Overdue: case %(number)s (%(summary)s)")


def overdue_cases(now: dt.datetime) -> Any:
    """Open cases whose current clock ran out before ``now`` and that were not escalated
    since it did (a postponed deadline or a new stage is a new overdue period)."""
    escalated = CaseEvent.objects.filter(
        case_id=OuterRef("pk"), action="escalate", at__gte=OuterRef("due")
    )
    return (
        queries.with_due(Case.objects.filter(stage__in=machine.OPEN))
        .filter(due__lt=now)  # type: ignore[misc]  # "due" is annotated by with_due
        .exclude(Exists(escalated))
        .order_by("due", "pk")
    )


def escalate_overdue(*, actor: Any, now: dt.datetime | None = None) -> int:
    """Escalate every overdue open case once per overdue period: a CaseEvent
    "escalate" and an alert to the supervisor of the case's owner — the command centre
    over the grid for a department's case, the supervision centre for a late
    verification or check, the leaders (else the supervision centre) for a late
    dispatch. For the operator's scheduled job (``gridgov cases escalate``). Returns how
    many cases were escalated."""
    if not scope.is_operator(actor):
        raise PermissionDenied()
    now = now or timezone.now()
    escalated = 0
    for case_id in list(overdue_cases(now).values_list("pk", flat=True)):
        with _atomic():
            # Again under the row lock: another run may have escalated it meanwhile.
            case = overdue_cases(now).select_for_update(of=("self",)).filter(pk=case_id).first()
            if case is None:
                continue
            _escalate(case, actor, now)
            escalated += 1
    return escalated


def _escalate(case: Case, actor: Any, now: dt.datetime) -> None:
    due = case.due  # type: ignore[attr-defined]
    who = ESCALATE_TO.get(case.stage, SUPERVISION)
    move = Move("escalate", case.stage, None, actor, now)
    _commit(
        case,
        move,
        bump=False,
        notify=False,
        department=case.department if case.stage in machine.DISPOSAL_STAGES else None,
        data={"due": _iso(due), "to": who, "overdue_s": int((now - due).total_seconds())},
    )
    recipients = who if who != LEADERS or _audience(case, LEADERS) else SUPERVISION
    _deliver(case, recipients, MessageKind.ALERT, _ESCALATION_SUBJECT)
