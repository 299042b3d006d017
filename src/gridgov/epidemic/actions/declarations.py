"""Recording daily health declarations: one, or a batch, idempotent by a client key.

A declaration is recorded by the grid worker (or another holder of ``epidemic.declare``
over the person's grid) for people without phones, by an API client, or by a resident for
their own household on the public page (``household=``: the ids of the people the page
identified the resident for; ``actor`` is then nobody). A batch is one transaction with a handful of
set-based statements whatever its size:

1. the declarations, inserted with ON CONFLICT (client_key) DO NOTHING RETURNING — a key
   seen before is a retry, answered with its first copy and counted once;
2. the people's days (``DeclarationDay``), upserted, which tells the people new to the day
   and newly abnormal;
3. the roll-ups of the day per grid (``rollups``), one upsert;
4. health codes, touched only for people yellow or red or raised by what they declared;
5. an inbox alert per newly abnormal person-day to the grid's workers and community staff;
6. one audit event for the call.

An invalid item refuses the whole batch (nothing is written) with the item's index and
field in ``details["items"]``; a person outside the caller's scope is not found, like one
that does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.audit.actions import record
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.epidemic import alerts, bulk, codes, rollups, rules
from gridgov.epidemic.actions.common import (
    clean_client_key,
    clean_decimal,
    clean_moment,
    clean_text,
    fail,
)
from gridgov.epidemic.capabilities import DECLARE
from gridgov.epidemic.models import (
    Channel,
    Colour,
    DeclarationDay,
    DeclaredBy,
    EpidemicSettings,
    HealthDeclaration,
    Symptom,
)
from gridgov.epidemic.queries import risk as risk_queries
from gridgov.registry.models import Person, PersonStatus

MAX_BATCH = 1000
TEMPERATURE_RANGE = (Decimal("34.0"), Decimal("43.0"))
# How far back a declaration may be dated (a phone that was offline), and how far a
# clock may run ahead.
# Choices' ``values`` are rebuilt (labels and all) at every access: looked up once here.
SYMPTOMS = frozenset(Symptom.values)
DECLARED_BY = frozenset(DeclaredBy.values)
ITEM_FIELDS = frozenset(
    {
        "person_id",
        "client_key",
        "declared_at",
        "temperature",
        "symptoms",
        "travel_code",
        "contact",
        "declared_by",
        "note",
    }
)


@dataclass
class Item:
    """One cleaned declaration of a call."""

    index: int
    person_id: int
    client_key: str
    declared_at: dt.datetime
    date: dt.date
    temperature: Decimal | None
    symptoms: list[str]
    travel_code: str
    contact: bool
    declared_by: str
    note: str
    grid_code: str = ""
    travel_risk: str = ""
    abnormal: bool = False
    found: rules.Findings | None = None


@dataclass(frozen=True)
class Outcome:
    client_key: str
    declaration_id: int
    person_id: int
    created: bool


@dataclass(frozen=True)
class BatchResult:
    outcomes: list[Outcome]

    @property
    def created(self) -> int:
        return sum(1 for o in self.outcomes if o.created)

    @property
    def duplicates(self) -> int:
        return len(self.outcomes) - self.created


# --- cleaning -----------------------------------------------------------------------------


def _person_id(value: Any, errors: dict[str, Any]) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 0 < number < 2**63:
        errors["person_id"] = _("required: the id of a person of the registry")
        return 0
    return number


def _symptoms(value: Any, errors: dict[str, Any]) -> list[str]:
    if value in (None, ""):
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple | set):
        errors["symptoms"] = _("a list of symptoms")
        return []
    found = sorted({str(s).strip() for s in items if str(s).strip()})
    unknown = [s for s in found if s not in SYMPTOMS]
    if unknown:
        errors["symptoms"] = _("unknown: %(list)s (known: %(known)s)") % {
            "list": ", ".join(unknown),
            "known": ", ".join(Symptom.values),
        }
    return found


def _flag(value: Any, field: str, errors: dict[str, Any]) -> bool:
    if value in (None, "", False, 0, "0", "false", "no", "off"):
        return False
    if value in (True, 1, "1", "true", "yes", "on"):
        return True
    errors[field] = _("yes or no")
    return False


def clean_item(data: Mapping[str, Any], index: int, now: dt.datetime, default_by: str) -> Item:
    """One declaration as sent; InvalidInput naming its fields."""
    errors: dict[str, Any] = {}
    unknown = sorted(set(data) - ITEM_FIELDS)
    for name in unknown:
        errors[name] = _("unknown field")
    key = clean_client_key(data.get("client_key"), errors, required=True)
    moment = clean_moment(data.get("declared_at"), "declared_at", now, errors)
    travel = str(data.get("travel_code") or "").strip()
    if travel and not rules.valid_division(travel):
        errors["travel_code"] = _("a division code of 2, 4, 6, 9 or 12 digits")
    by = str(data.get("declared_by") or default_by)
    if by not in DECLARED_BY:
        errors["declared_by"] = _("must be one of: %(choices)s") % {
            "choices": ", ".join(DeclaredBy.values)
        }
    item = Item(
        index=index,
        person_id=_person_id(data.get("person_id"), errors),
        client_key=key,
        declared_at=moment,
        date=rules.day_of(moment),
        temperature=clean_decimal(
            data.get("temperature"), "temperature", errors, *TEMPERATURE_RANGE
        ),
        symptoms=_symptoms(data.get("symptoms"), errors),
        travel_code=travel,
        contact=_flag(data.get("contact"), "contact", errors),
        declared_by=by,
        note=clean_text(data.get("note"), "note", 200, errors),
    )
    if errors:
        raise fail(errors)
    return item


def _items_error(errors: dict[int, Any], message: Any = None) -> InvalidInput:
    return InvalidInput(
        message or _("Some declarations are not valid."),
        details={"items": {str(i): e for i, e in sorted(errors.items())}},
    )


def _clean_all(rows: Sequence[Mapping[str, Any]], default_by: str) -> list[Item]:
    if not isinstance(rows, list | tuple) or not rows:
        raise fail({"items": _("at least one declaration")})
    if len(rows) > MAX_BATCH:
        raise fail({"items": _("at most %(n)d declarations at once") % {"n": MAX_BATCH}})
    now = timezone.now()
    items: list[Item] = []
    errors: dict[int, Any] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            errors[index] = {"item": _("an object")}
            continue
        try:
            items.append(clean_item(row, index, now, default_by))
        except InvalidInput as exc:
            errors[index] = exc.details.get("fields", {})
    keys: dict[str, int] = {}
    for item in items:
        if keys.setdefault(item.client_key, item.person_id) != item.person_id:
            errors[item.index] = {"client_key": _("already used for another person's declaration")}
    if errors:
        raise _items_error(errors)
    return items


# --- who may declare for whom ---------------------------------------------------------------


class Resident(NamedTuple):
    """What a batch needs of a person it declares for, read in one query."""

    grid_code: str
    lon: float | None
    lat: float | None
    name: str
    status: str
    colour: str | None  # of their health code; None: green without a code row


def _people(
    items: Sequence[Item], actor: Any, household: Collection[int] | None
) -> dict[int, Resident]:
    """The people the caller may declare for, with their code's colour (whose codes the
    batch must recount), by id."""
    ids = {item.person_id for item in items}
    people = Person.objects.filter(pk__in=ids)
    if household is None:
        people = people.filter(scope.scope_filter(actor, capability=DECLARE))
    else:
        people = people.filter(pk__in=list(household))
    columns = ("pk", "grid_code", "lon", "lat", "name", "status", "health_code__colour")
    found = {pk: Resident(*row) for pk, *row in people.values_list(*columns)}
    missing = {
        item.index: {"person_id": _("not found")} for item in items if item.person_id not in found
    }
    if missing:
        raise NotFound(details={"items": {str(i): e for i, e in sorted(missing.items())}})
    gone = {
        item.index: {"person_id": _("no longer lives here")}
        for item in items
        if found[item.person_id].status != PersonStatus.LIVING
    }
    if gone:
        raise _items_error(gone)
    return found


def _assess(
    items: Sequence[Item], people: Mapping[int, Resident], settings: EpidemicSettings
) -> None:
    levels = risk_queries.levels_of({(i.travel_code, i.date) for i in items if i.travel_code})
    for item in items:
        item.grid_code = people[item.person_id].grid_code
        item.travel_risk = levels.get((item.travel_code, item.date), "")
        item.found = rules.findings(
            item.temperature,
            item.symptoms,
            item.contact,
            item.travel_risk,
            settings.fever_threshold,
        )
        item.abnormal = item.found.abnormal


# --- writing ------------------------------------------------------------------------------


def _insert(
    items: Sequence[Item], people: Mapping[int, Resident], actor: Any, channel: str
) -> dict[str, int]:
    """Insert the new declarations; {client key: id} of those that were new."""
    recorder = actor if getattr(actor, "pk", None) else None
    now = timezone.now()
    rows = [
        {
            "person": item.person_id,
            "grid_code": item.grid_code,
            "lon": people[item.person_id].lon,
            "lat": people[item.person_id].lat,
            "created_at": now,
            "date": item.date,
            "declared_at": item.declared_at,
            "temperature": item.temperature,
            "symptoms": item.symptoms,
            "travel_code": item.travel_code,
            "travel_risk": item.travel_risk,
            "contact": item.contact,
            "abnormal": item.abnormal,
            "declared_by": item.declared_by,
            "channel": channel,
            "recorded_by": recorder.pk if recorder else None,
            "client_key": item.client_key,
            "note": item.note,
        }
        for item in items
    ]
    inserted = bulk.insert_returning(
        HealthDeclaration, rows, conflict=["client_key"], returning=["client_key", "id"]
    )
    return {key: pk for key, pk in inserted}


def _existing(items: Sequence[Item], new: Mapping[str, int]) -> dict[str, int]:
    """{client key: id} of the retries; a key already used for someone else is refused."""
    keys = [item.client_key for item in items if item.client_key not in new]
    if not keys:
        return {}
    found = {
        key: (pk, person_id)
        for key, pk, person_id in HealthDeclaration.objects.filter(client_key__in=keys).values_list(
            "client_key", "pk", "person_id"
        )
    }
    clashes = {
        item.index: {"client_key": _("already used for another person's declaration")}
        for item in items
        if item.client_key in found and found[item.client_key][1] != item.person_id
    }
    if clashes:
        raise _items_error(clashes)
    return {key: pk for key, (pk, _person) in found.items()}


@dataclass
class _Day:
    person_id: int
    date: dt.date
    grid_code: str
    declarations: int = 0
    abnormal: int = 0
    max_temperature: Decimal | None = None
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    first_abnormal: Item | None = None


_DAY_UPSERT = (
    "DO UPDATE SET "
    "declarations = {table}.declarations + excluded.declarations, "
    "abnormal_declarations = {table}.abnormal_declarations + excluded.abnormal_declarations, "
    "max_temperature = CASE WHEN {table}.max_temperature IS NULL "
    "OR excluded.max_temperature > {table}.max_temperature "
    "THEN excluded.max_temperature ELSE {table}.max_temperature END, "
    "first_at = CASE WHEN excluded.first_at < {table}.first_at "
    "THEN excluded.first_at ELSE {table}.first_at END, "
    "last_at = CASE WHEN excluded.last_at > {table}.last_at "
    "THEN excluded.last_at ELSE {table}.last_at END"
)


def _days(new_items: Sequence[Item]) -> dict[tuple[int, dt.date], _Day]:
    days: dict[tuple[int, dt.date], _Day] = {}
    for item in sorted(new_items, key=lambda i: i.declared_at):
        day = days.setdefault(
            (item.person_id, item.date), _Day(item.person_id, item.date, item.grid_code)
        )
        day.declarations += 1
        if item.abnormal:
            day.abnormal += 1
            day.first_abnormal = day.first_abnormal or item
        if item.temperature is not None and (
            day.max_temperature is None or item.temperature > day.max_temperature
        ):
            day.max_temperature = item.temperature
        day.first_at = day.first_at or item.declared_at
        day.last_at = item.declared_at
    return days


def _upsert_days(
    days: Mapping[tuple[int, dt.date], _Day],
) -> tuple[dict[rollups.DayKey, Counter[str]], list[_Day]]:
    """Add the batch to the people's days: (per-day roll-up deltas of people declared and
    abnormal, the days newly abnormal). Under concurrency the returned totals tell exactly:
    a day is new when its total is this batch's, newly abnormal when its abnormal count is."""
    rows = [
        {
            "person": d.person_id,
            "date": d.date,
            "grid_code": d.grid_code,
            "declarations": d.declarations,
            "abnormal_declarations": d.abnormal,
            "max_temperature": d.max_temperature,
            "first_at": d.first_at,
            "last_at": d.last_at,
        }
        for d in days.values()
    ]
    returned = bulk.insert_returning(
        DeclarationDay,
        rows,
        conflict=["person", "date"],
        returning=["person", "date", "grid_code", "declarations", "abnormal_declarations"],
        on_conflict=_DAY_UPSERT,
    )
    deltas: dict[rollups.DayKey, Counter[str]] = defaultdict(Counter)
    newly_abnormal: list[_Day] = []
    for person_id, day_value, grid, total, abnormal in returned:
        day = days[(person_id, bulk.as_date(day_value))]
        if total == day.declarations:
            deltas[(grid, day.date)][rollups.DECLARED] += 1
        if day.abnormal and abnormal == day.abnormal:
            deltas[(grid, day.date)][rollups.ABNORMAL] += 1
            newly_abnormal.append(day)
    return deltas, newly_abnormal


def _count(new_items: Sequence[Item], deltas: dict[rollups.DayKey, Counter[str]]) -> None:
    for item in new_items:
        counter = deltas[(item.grid_code, item.date)]
        counter[rollups.DECLARATIONS] += 1
        counter[rollups.BY + item.declared_by] += 1
        if item.abnormal:
            counter[rollups.DECLARATIONS_ABNORMAL] += 1
    rollups.add_daily(deltas)


def _alert(newly_abnormal: Sequence[_Day], people: Mapping[int, Resident]) -> None:
    alerts.alert(
        [
            alerts.Abnormal(
                person_id=day.person_id,
                name=people[day.person_id].name,
                grid_code=day.grid_code,
                date=day.date,
                temperature=day.first_abnormal.temperature,
                symptoms=tuple(day.first_abnormal.symptoms),
                contact=day.first_abnormal.contact,
            )
            for day in newly_abnormal
            if day.first_abnormal is not None
        ]
    )


def _record(
    items: Sequence[Item],
    *,
    actor: Any,
    channel: str,
    household: Collection[int] | None,
) -> BatchResult:
    people = _people(items, actor, household)
    settings = EpidemicSettings.current()
    _assess(items, people, settings)
    new = _insert(items, people, actor, channel)
    ids = {**_existing(items, new), **new}
    # A key repeated inside the batch is inserted once: the later copies are retries.
    first_index: dict[str, int] = {}
    fresh: list[Item] = []
    for item in items:
        if (
            item.client_key in new
            and first_index.setdefault(item.client_key, item.index) == item.index
        ):
            fresh.append(item)
    deltas, newly_abnormal = _upsert_days(_days(fresh))
    _count(fresh, deltas)
    codes.apply_declarations(
        [
            codes.Declared(new[i.client_key], i.person_id, i.grid_code, i.declared_at, i.found)
            for i in fresh
            if i.found is not None
        ],
        settings,
        open_codes={pk for pk, p in people.items() if p.colour not in (None, Colour.GREEN)},
    )
    _alert(newly_abnormal, people)
    fresh_indexes = {item.index for item in fresh}
    outcomes = [
        Outcome(item.client_key, ids[item.client_key], item.person_id, item.index in fresh_indexes)
        for item in items
    ]
    grids = sorted({item.grid_code for item in items})
    record(
        "epidemic.declaration.record",
        actor=actor,
        object_type="epidemic.healthdeclaration",
        object_id=outcomes[0].declaration_id if len(outcomes) == 1 else "",
        object_repr=_("%(n)d declarations") % {"n": len(outcomes)},
        grid_code=grids[0] if len(grids) == 1 else "",
        changes={
            "channel": channel,
            "received": len(outcomes),
            "created": len(fresh),
            "abnormal": sum(1 for item in fresh if item.abnormal),
            "household": sorted(household) if household is not None else None,
            "grids": grids[:20],
        },
    )
    return BatchResult(outcomes)


def record_declarations(
    rows: Sequence[Mapping[str, Any]],
    *,
    actor: Any,
    channel: str = Channel.API,
    household: Collection[int] | None = None,
) -> BatchResult:
    """Record a batch of declarations (at most ``MAX_BATCH``); each row has ``person_id``,
    ``client_key`` and optionally ``declared_at``, ``temperature``, ``symptoms``,
    ``travel_code``, ``contact``, ``declared_by`` and ``note``."""
    if household is None:
        scope.require(actor, DECLARE)
    default_by = DeclaredBy.HOUSEHOLD if household is not None else DeclaredBy.GRID_WORKER
    # The input is checked before the transaction: it reads nothing, and on SQLite the
    # transaction holds the database's one writer's lock, which other batches wait for.
    items = _clean_all(rows, default_by)
    with transaction.atomic():
        return _record(items, actor=actor, channel=channel, household=household)


def record_declaration(
    *,
    actor: Any,
    channel: str = Channel.API,
    household: Collection[int] | None = None,
    **row: Any,
) -> Outcome:
    """Record one declaration; errors name its fields as for a form."""
    try:
        result = record_declarations([row], actor=actor, channel=channel, household=household)
    except InvalidInput as exc:
        fields = exc.details.get("items", {}).get("0")
        if fields is None:
            raise
        raise fail(fields) from None
    except NotFound:
        raise NotFound() from None
    return result.outcomes[0]
