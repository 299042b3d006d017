"""Infection cases, close contacts and each community's situation (domain.md §5).

Cases and contacts are recorded by holders of ``epidemic.isolate`` over the person's grid
(community and township staff, the command centre). Every write keeps, in its own
transaction, the roll-ups of ``tallies.contacts`` and the situation of the case's
community (``compute_situations``) for the days the case can change.

Close contacts
    ``link_close_contact`` says a person was exposed to a source person. The degree is
    computed, never typed: 1 when the source is a case (not excluded), 2 when the source
    is a first-degree contact; a source that is neither is refused (third-degree contacts
    are not traced). When a first-degree contact becomes a case, the people exposed to
    them become first-degree contacts (their links are promoted). A person is never their
    own source, a link is listed once, and a link that would close a loop (the source was
    exposed to the person) is refused. The actor needs ``epidemic.isolate`` over the
    exposed person's grid and ``epidemic.view`` over the source's.

Cases
    A person has at most one open case. Kinds move forward only: suspected → confirmed or
    asymptomatic, asymptomatic → confirmed; a new kind is a new report, so ``reported_on``
    becomes the day of the change (today unless given). An open case closes as excluded
    (a suspected case only), recovered or died (a confirmed or asymptomatic one); closing
    is final.

Community situations (``compute_situations``), over the 14 Asia/Shanghai days up to and
including the day, counting confirmed and asymptomatic cases that were not excluded
(recovered and died cases still count; suspected cases do not until confirmed), a case
belonging to the community of the grid it was reported in:

- **community transmission** — two or more of them of unknown source;
- **cases or a cluster** — otherwise, one case or more. A *small unit* is the building of
  the case's household (a household without a building is a unit of its own, so is a
  person without a household); two or more cases in one unit (``largest_unit_14d`` ≥ 2)
  make the cluster;
- **no case** — none.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.audit.actions import diff, record
from gridgov.core import checks
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.core.versions import check_version
from gridgov.epidemic import rollups, rules
from gridgov.epidemic.actions.common import (
    LABELLED_MODELS,
    clean_date,
    clean_text,
    locked,
)
from gridgov.epidemic.capabilities import ISOLATE, VIEW
from gridgov.epidemic.models import (
    CaseKind,
    CaseStatus,
    CloseContact,
    CommunitySituation,
    ContactSetting,
    ContactSource,
    InfectionCase,
    Situation,
)
from gridgov.epidemic.tallies import contacts as tallies
from gridgov.registry.models import Person
from gridgov.territory import codes as territory_codes
from gridgov.territory.models import Region

WINDOW_DAYS = 14
COUNTED_KINDS = (CaseKind.CONFIRMED, CaseKind.ASYMPTOMATIC)
# The kinds a case may become, and the kinds a case may close from in each way.
KIND_CHANGES: dict[str, frozenset[str]] = {
    CaseKind.SUSPECTED: frozenset({CaseKind.CONFIRMED, CaseKind.ASYMPTOMATIC}),
    CaseKind.ASYMPTOMATIC: frozenset({CaseKind.CONFIRMED}),
    CaseKind.CONFIRMED: frozenset(),
}
CLOSES_FROM: dict[str, frozenset[str]] = {
    CaseStatus.EXCLUDED: frozenset({CaseKind.SUSPECTED}),
    CaseStatus.RECOVERED: frozenset(COUNTED_KINDS),
    CaseStatus.DIED: frozenset(COUNTED_KINDS),
}
CASE_FIELDS = ("kind", "status", "reported_on", "source_known", "source_note")
COMMUNITY_LENGTH = 12
UPSERT_BATCH = 500


# --- input --------------------------------------------------------------------------------


def invalid(fields: Mapping[str, Any]) -> InvalidInput:
    """InvalidInput naming every bad field by its label (one field: in the message)."""
    return checks.invalid(fields, models=(InfectionCase, CloseContact, *LABELLED_MODELS))


def _choice(
    value: Any, choices: Any, field: str, errors: dict[str, Any], blank: bool = False
) -> str:
    text = str(value or "").strip()
    if (blank and not text) or text in choices.values:
        return text
    errors[field] = _("must be one of: %(choices)s") % {"choices": ", ".join(choices.values)}
    return text


def _past_day(value: Any, field: str, errors: dict[str, Any], *, required: bool) -> dt.date | None:
    day = clean_date(value, field, errors, required=required)
    if day is not None and day > rules.today():
        errors[field] = _("in the future")
    return day


def _flag(value: Any, field: str, errors: dict[str, Any]) -> bool | None:
    if value is None or value == "":
        return None
    if value in (True, 1, "1", "true", "yes", "on"):
        return True
    if value in (False, 0, "0", "false", "no", "off"):
        return False
    errors[field] = _("yes or no")
    return None


def _person(actor: Any, person_id: Any, capability: str, *, lock: bool = False) -> Person:
    """A person the actor may act on (``capability`` over their grid); NotFound otherwise."""
    if lock:
        person = locked(Person, person_id)
    else:
        try:
            person = Person.objects.get(pk=int(person_id))
        except (Person.DoesNotExist, TypeError, ValueError, OverflowError):
            raise NotFound() from None
    scope.require(actor, capability, person.grid_code)
    return person


# --- roll-ups and situations kept with every write ------------------------------------------


@contextmanager
def contacts_kept(people: Collection[int]) -> Iterator[None]:
    """Keep ``contacts:1``/``contacts:2`` right across a change of these people's cases or
    links: their standing (and that of whoever is exposed to them) before and after."""
    affected = tallies.dependents(people)
    before = tallies.standing(affected)
    yield
    rollups.add_current(tallies.standing_delta(before, tallies.standing(affected)))


def _case_state(case: InfectionCase) -> dict[str, Any]:
    return {"kind": case.kind, "status": case.status, "reported_on": case.reported_on}


def _count_case(case: InfectionCase, before: Mapping[str, Any] | None) -> None:
    daily, current = tallies.case_deltas(case.grid_code, before, _case_state(case))
    rollups.add_daily(daily)
    rollups.add_current(current)


def days_touched(*reported: dt.date) -> list[dt.date]:
    """The days whose situation a case reported on these days counts in: each report day
    and the 13 after it, up to today."""
    today = rules.today()
    days = {
        day + dt.timedelta(days=n)
        for day in reported
        for n in range(WINDOW_DAYS)
        if day + dt.timedelta(days=n) <= today
    }
    return sorted(days)


# --- cases --------------------------------------------------------------------------------


def _source_known(value: Any, person: Person, note: str, errors: dict[str, Any]) -> bool:
    """As given; when not given, known if the person is listed as someone's contact. A
    source said known needs a note saying what it is unless the person is listed so."""
    known = _flag(value, "source_known", errors)
    exposed = CloseContact.objects.filter(person_id=person.pk).exists()
    if known is None:
        return exposed
    if known and not note and not exposed:
        errors["source_note"] = _("say what the source is, or list the case as a contact of it")
    return known


def _case_repr(case: InfectionCase, person: Person) -> str:
    return f"{person.name} · {case.get_kind_display()}"


@transaction.atomic
def record_infection_case(
    *,
    actor: Any,
    person_id: Any,
    kind: Any,
    reported_on: Any = None,
    source_known: Any = None,
    source_note: Any = "",
) -> InfectionCase:
    """Record a person of the registry as a suspected, confirmed or asymptomatic case
    (``reported_on`` defaults to today; ``source_known`` to whether they are listed as
    someone's close contact)."""
    scope.require(actor, ISOLATE)
    person = _person(actor, person_id, ISOLATE, lock=True)
    errors: dict[str, Any] = {}
    kind = _choice(kind, CaseKind, "kind", errors)
    day = _past_day(reported_on, "reported_on", errors, required=False) or rules.today()
    note = clean_text(source_note, "source_note", 200, errors)
    known = _source_known(source_known, person, note, errors)
    if errors:
        raise invalid(errors)
    current = InfectionCase.objects.filter(person_id=person.pk, status=CaseStatus.OPEN).first()
    if current is not None:
        raise invalid(
            {
                "person_id": _("already an open case (reported on %(day)s)")
                % {"day": current.reported_on}
            }
        )
    with contacts_kept({person.pk}):
        case = InfectionCase.objects.create(
            person=person,
            grid_code=person.grid_code,
            lon=person.lon,
            lat=person.lat,
            kind=kind,
            reported_on=day,
            source_known=known,
            source_note=note,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        # The people exposed to a new case are its first-degree contacts now.
        promoted = CloseContact.objects.filter(source_id=person.pk, degree=2).update(degree=1)
    _count_case(case, None)
    refresh_situations(case.grid_code, days_touched(day))
    record(
        "epidemic.case.record",
        actor=actor,
        obj=case,
        object_repr=_case_repr(case, person),
        grid_code=case.grid_code,
        changes={
            "person_id": person.pk,
            **{f: getattr(case, f) for f in CASE_FIELDS},
            "contacts_promoted": promoted,
        },
    )
    return case


def _new_kind(case: InfectionCase, value: Any, errors: dict[str, Any]) -> str:
    kind = _choice(value, CaseKind, "kind", errors)
    if "kind" in errors or kind == case.kind:
        return case.kind
    if case.status != CaseStatus.OPEN:
        errors["kind"] = _("the case is closed")
    elif kind not in KIND_CHANGES[case.kind]:
        errors["kind"] = _("a %(old)s cannot become a %(new)s") % {
            "old": case.get_kind_display(),
            "new": CaseKind(kind).label,
        }
    return kind


def _new_status(case: InfectionCase, kind: str, value: Any, errors: dict[str, Any]) -> str:
    status = _choice(value, CaseStatus, "status", errors)
    if "status" in errors or status == case.status:
        return case.status
    if case.status != CaseStatus.OPEN:
        errors["status"] = _("the case is closed")
    elif status == CaseStatus.OPEN or kind not in CLOSES_FROM[status]:
        errors["status"] = _("a %(kind)s cannot be closed as %(status)s") % {
            "kind": CaseKind(kind).label,
            "status": CaseStatus(status).label,
        }
    return status


def _case_changes(case: InfectionCase, changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(CASE_FIELDS))
    if unknown:
        raise invalid({name: _("cannot be changed here") for name in unknown})
    errors: dict[str, Any] = {}
    values = _case_state(case) | {
        "source_known": case.source_known,
        "source_note": case.source_note,
    }
    if "kind" in changes:
        values["kind"] = _new_kind(case, changes["kind"], errors)
    if "status" in changes:
        values["status"] = _new_status(case, values["kind"], changes["status"], errors)
    if changes.get("reported_on") not in (None, ""):
        values["reported_on"] = _past_day(
            changes["reported_on"], "reported_on", errors, required=True
        )
    elif values["kind"] != case.kind:
        values["reported_on"] = rules.today()  # a new kind is a new report
    if "source_note" in changes:
        values["source_note"] = clean_text(changes["source_note"], "source_note", 200, errors)
    if changes.get("source_known") not in (None, ""):
        values["source_known"] = _flag(changes["source_known"], "source_known", errors)
    if errors:
        raise invalid(errors)
    return values


@transaction.atomic
def change_infection_case(
    case_id: Any, *, actor: Any, expected_version: Any = None, **changes: Any
) -> InfectionCase:
    """Change a case's kind or status (see the module's rules), correct its report day or
    its source. Stale ``expected_version``: Conflict."""
    scope.require(actor, ISOLATE)
    case = locked(InfectionCase, case_id)
    scope.require(actor, ISOLATE, case.grid_code)
    check_version(case, expected_version)
    values = _case_changes(case, changes)
    before = {f: getattr(case, f) for f in CASE_FIELDS}
    if values == before:
        return case
    old_state = _case_state(case)
    reopened_or_closed = values["status"] != case.status
    with contacts_kept({case.person_id}) if reopened_or_closed else nullcontext():
        for field, value in values.items():
            setattr(case, field, value)
        case.version += 1
        case.save()
    _count_case(case, old_state)
    refresh_situations(case.grid_code, days_touched(old_state["reported_on"], case.reported_on))
    record(
        "epidemic.case.change",
        actor=actor,
        obj=case,
        object_repr=_case_repr(case, case.person),
        grid_code=case.grid_code,
        changes=diff(before, {f: getattr(case, f) for f in CASE_FIELDS}),
    )
    return case


# --- close contacts -------------------------------------------------------------------------


def degree_for(source_id: int) -> int:
    """The degree of a contact exposed to ``source_id`` now: 1 when the source is a case
    (not excluded), 2 when they are a first-degree contact, 0 when neither."""
    if (
        InfectionCase.objects.filter(person_id=source_id)
        .exclude(status=CaseStatus.EXCLUDED)
        .exists()
    ):
        return 1
    if CloseContact.objects.filter(person_id=source_id, degree=1).exists():
        return 2
    return 0


@dataclass(frozen=True)
class LinkInput:
    setting: str
    last_contact_date: dt.date | None
    origin: str
    note: str


def clean_link(data: Mapping[str, Any], default_origin: str = ContactSource.TRACING) -> LinkInput:
    errors: dict[str, Any] = {}
    cleaned = LinkInput(
        setting=_choice(data.get("setting"), ContactSetting, "setting", errors, blank=True),
        last_contact_date=_past_day(
            data.get("last_contact_date"), "last_contact_date", errors, required=False
        ),
        origin=_choice(data.get("origin") or default_origin, ContactSource, "origin", errors),
        note=clean_text(data.get("note"), "note", 200, errors),
    )
    if errors:
        raise invalid(errors)
    return cleaned


@dataclass(frozen=True)
class Refusal:
    """Why a link is not written: the field to name, the reason, and whether it is only
    listed already (an import skips those rather than rejecting them)."""

    field: str
    reason: str
    duplicate: bool = False


def _duplicate() -> Refusal:
    return Refusal("source_id", _("already listed as a contact of this person"), duplicate=True)


def link_refusal(person: Person, source: Person) -> Refusal | None:
    """Why ``person`` may not be listed as exposed to ``source``; None when they may."""
    if person.pk == source.pk:
        return Refusal("source_id", _("a person cannot be their own source"))
    for exposed in CloseContact.objects.filter(
        Q(person_id=person.pk, source_id=source.pk) | Q(person_id=source.pk, source_id=person.pk)
    ).values_list("person_id", flat=True):
        if exposed == person.pk:
            return _duplicate()
        return Refusal("source_id", _("this person is listed as exposed to the contact already"))
    if not degree_for(source.pk):
        return Refusal("source_id", _("the source is neither a case nor a first-degree contact"))
    return None


def create_link(
    person: Person, source: Person, data: LinkInput, *, actor: Any
) -> tuple[CloseContact | None, Refusal | None]:
    """Write one link with its degree and roll-ups: (the link, None) or (None, why not).
    Not audited: the callers audit (one link, or one import)."""
    refusal = link_refusal(person, source)
    if refusal is not None:
        return None, refusal
    try:
        with transaction.atomic(), contacts_kept({person.pk}):
            link = CloseContact.objects.create(
                person=person,
                source=source,
                grid_code=person.grid_code,
                degree=degree_for(source.pk),
                setting=data.setting,
                last_contact_date=data.last_contact_date,
                origin=data.origin,
                note=data.note,
                recorded_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:  # the same link written at the same moment by someone else
        return None, _duplicate()
    return link, None


def link_changes(link: CloseContact) -> dict[str, Any]:
    return {
        "person_id": link.person_id,
        "source_id": link.source_id,
        "degree": link.degree,
        "setting": link.setting,
        "last_contact_date": link.last_contact_date,
        "origin": link.origin,
        "note": link.note,
    }


@transaction.atomic
def link_close_contact(
    *,
    actor: Any,
    person_id: Any,
    source_id: Any,
    isolate: str = "",
    isolation_place: str = "",
    **data: Any,
) -> CloseContact:
    """List ``person_id`` as a close contact of ``source_id`` (``setting``,
    ``last_contact_date``, ``origin``, ``note``); the degree is computed. ``isolate``
    ("home" or "centralised", at ``isolation_place``) also starts the person's isolation
    as a close contact, when the isolation module is there and they are not isolated
    already."""
    scope.require(actor, ISOLATE)
    unknown = sorted(set(data) - set(LinkInput.__dataclass_fields__))
    if unknown:
        raise invalid({name: _("unknown field") for name in unknown})
    cleaned = clean_link(data)
    person = _person(actor, person_id, ISOLATE, lock=True)
    source = _person(actor, source_id, VIEW)
    link, refusal = create_link(person, source, cleaned, actor=actor)
    if link is None:
        assert refusal is not None
        raise invalid({refusal.field: refusal.reason})
    isolation = propose_isolation(actor, person, isolate, isolation_place) if isolate else None
    record(
        "epidemic.contact.link",
        actor=actor,
        obj=link,
        object_repr=f"{person.name} ← {source.name}",
        grid_code=link.grid_code,
        changes=link_changes(link) | {"isolation_id": getattr(isolation, "pk", None)},
    )
    return link


def isolation_available() -> bool:
    """Whether isolation can be started from here (the isolation concern is installed)."""
    try:
        from gridgov.epidemic.actions import isolation
    except ImportError:
        return False
    return hasattr(isolation, "start_isolation")


def propose_isolation(actor: Any, person: Person, kind: str, place: str = "") -> Any:
    """Start a close contact's isolation (the user asked for it), unless they are isolated
    already: the isolation module's own action, rules and audit (its refusals named as
    ``isolate`` and ``isolation_place``)."""
    if not isolation_available():
        raise invalid({"isolate": _("isolation cannot be started here")})
    from gridgov.epidemic.actions.isolation import start_isolation
    from gridgov.epidemic.models import IsolationEpisode, IsolationReason, IsolationStatus

    if IsolationEpisode.objects.filter(person_id=person.pk, status=IsolationStatus.ACTIVE).exists():
        return None
    try:
        return start_isolation(
            actor=actor,
            person_id=person.pk,
            kind=kind,
            reason=IsolationReason.CLOSE_CONTACT,
            start_date=rules.today(),
            place=place,
        )
    except InvalidInput as exc:
        names = {"kind": "isolate", "place": "isolation_place"}
        fields = exc.details.get("fields", {})
        renamed = {names.get(k, k): v for k, v in fields.items()}
        raise invalid(renamed or {"isolate": exc.message}) from None


@transaction.atomic
def unlink_close_contact(contact_id: Any, *, actor: Any, note: Any = "") -> None:
    """Remove a link listed by mistake. Refused while people exposed to the contact are
    listed as second-degree contacts through it (remove those first)."""
    scope.require(actor, ISOLATE)
    link = locked(CloseContact, contact_id)
    scope.require(actor, ISOLATE, link.grid_code)
    errors: dict[str, Any] = {}
    reason = clean_text(note, "note", 200, errors)
    if errors:
        raise invalid(errors)
    if (
        link.degree == 1
        and not CloseContact.objects.filter(person_id=link.person_id, degree=1)
        .exclude(pk=link.pk)
        .exists()
    ):
        relying = CloseContact.objects.filter(source_id=link.person_id, degree=2).count()
        if relying:
            raise invalid(
                {
                    "contact": _(
                        "%(n)d second-degree contacts were exposed to this person; remove "
                        "them first"
                    )
                    % {"n": relying}
                }
            )
    changes = link_changes(link) | {"reason": reason}
    pk, grid = link.pk, link.grid_code
    with contacts_kept({link.person_id}):
        link.delete()
    record(
        "epidemic.contact.unlink",
        actor=actor,
        object_type="epidemic.closecontact",
        object_id=pk,
        object_repr=f"{changes['person_id']} ← {changes['source_id']}",
        grid_code=grid,
        changes=changes,
    )


# --- community situations -------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    situation: str
    cases: int
    unknown_source: int
    largest_unit: int


def judge(cases: Sequence[tuple[str, bool]]) -> Judgement:
    """A community's situation from its counted cases of the window, each (small unit,
    source known): the rules of the module's docstring."""
    units = Counter(unit for unit, _known in cases)
    unknown = sum(1 for _unit, known in cases if not known)
    if unknown >= 2:
        situation = Situation.TRANSMISSION
    elif cases:
        situation = Situation.CLUSTER
    else:
        situation = Situation.NO_CASE
    return Judgement(situation, len(cases), unknown, max(units.values(), default=0))


def small_unit(person_id: int, household_id: int | None, building_id: int | None) -> str:
    if building_id is not None:
        return f"building:{building_id}"
    if household_id is not None:
        return f"household:{household_id}"
    return f"person:{person_id}"


def counted_cases() -> Any:
    return InfectionCase.objects.filter(kind__in=COUNTED_KINDS).exclude(status=CaseStatus.EXCLUDED)


def _cases_by_community(
    communities: Collection[str], first: dt.date, last: dt.date
) -> dict[str, list[tuple[dt.date, str, bool]]]:
    """{community: [(report day, small unit, source known)]} of the counted cases reported
    between ``first`` and ``last``, in one query."""
    rows = counted_cases().filter(reported_on__gte=first, reported_on__lte=last)
    if len(communities) <= 50:
        prefixes = Q(pk__in=[])
        for code in communities:
            prefixes |= Q(grid_code__startswith=code)
        rows = rows.filter(prefixes)
    found: dict[str, list[tuple[dt.date, str, bool]]] = {}
    for grid, day, known, person_id, household_id, building_id in rows.values_list(
        "grid_code",
        "reported_on",
        "source_known",
        "person_id",
        "person__household_id",
        "person__household__building_id",
    ):
        community = grid[:COMMUNITY_LENGTH]
        if community in communities:
            unit = small_unit(person_id, household_id, building_id)
            found.setdefault(community, []).append((day, unit, known))
    return found


def situations_of(
    communities: Collection[str], days: Iterable[dt.date]
) -> list[CommunitySituation]:
    """The situation rows of these communities on these days (not saved)."""
    days = sorted(set(days))
    communities = set(communities)
    if not days or not communities:
        return []
    window = dt.timedelta(days=WINDOW_DAYS - 1)
    cases = _cases_by_community(communities, days[0] - window, days[-1])
    now = timezone.now()
    rows = []
    for community in sorted(communities):
        mine = cases.get(community, [])
        for day in days:
            found = judge(
                [(unit, known) for when, unit, known in mine if day - window <= when <= day]
            )
            rows.append(
                CommunitySituation(
                    community_code=community,
                    date=day,
                    situation=found.situation,
                    cases_14d=found.cases,
                    unknown_source_14d=found.unknown_source,
                    largest_unit_14d=found.largest_unit,
                    computed_at=now,
                )
            )
    return rows


def save_situations(rows: Sequence[CommunitySituation]) -> int:
    """Insert or replace the rows (one per community and day)."""
    CommunitySituation.objects.bulk_create(
        rows,
        batch_size=UPSERT_BATCH,
        update_conflicts=True,
        unique_fields=["community_code", "date"],
        update_fields=[
            "situation",
            "cases_14d",
            "unknown_source_14d",
            "largest_unit_14d",
            "computed_at",
        ],
    )
    return len(rows)


def refresh_situations(grid_code: str, days: Sequence[dt.date]) -> int:
    """Recompute the situation of the community of ``grid_code`` on ``days``."""
    community = grid_code[:COMMUNITY_LENGTH]
    return save_situations(situations_of({community}, days))


def communities(codes: Iterable[str] | None = None) -> list[str]:
    """The community codes under ``codes`` (territory codes of any level; all when None)."""
    rows = Region.objects.filter(level=territory_codes.COMMUNITY)
    if codes is not None:
        prefixes = Q(pk__in=[])
        for code in codes:
            prefixes |= Q(code__startswith=code[:COMMUNITY_LENGTH])
        rows = rows.filter(prefixes)
    return list(rows.order_by("code").values_list("code", flat=True))


@transaction.atomic
def compute_situations(day: dt.date | None = None, codes: Iterable[str] | None = None) -> int:
    """Compute and store every community's situation on ``day`` (default today), or only
    those under ``codes``: the day's row of each is written or replaced. Rows written."""
    return save_situations(situations_of(communities(codes), [day or rules.today()]))
