"""Keeping health codes current inside the actions' transactions (rules in ``rules``).

``apply_declarations`` runs for every batch of new declarations: most people are green
and declare normally, and for them it reads one small query and writes nothing. Only
people whose code is yellow or red, or whose declaration raises it, are locked, re-read
and recounted from their ``DeclarationDay`` rows — so declarations arriving late or out
of order give the same code as in order. ``change`` is the one writer of code rows, their
history and their roll-ups, shared with staff decisions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone

from gridgov.epidemic import rollups, rules
from gridgov.epidemic.models import (
    Colour,
    DeclarationDay,
    EpidemicSettings,
    HealthCode,
    HealthCodeChange,
)
from gridgov.registry.models import Person


@dataclass(frozen=True)
class Declared:
    """What the code rules need of one new declaration."""

    declaration_id: int
    person_id: int
    grid_code: str
    declared_at: dt.datetime
    found: rules.Findings


@dataclass
class Change:
    person_id: int
    grid_code: str
    before: str
    after: str
    reason: str
    at: dt.datetime
    declaration_id: int | None = None
    note: str = ""


def raises(found: rules.Findings, settings: EpidemicSettings) -> bool:
    """Whether a declaration calls for a colour at all (most say nothing: no rule to run)."""
    if not (found.fever or found.symptoms or found.contact or found.travel_risk):
        return False
    return rules.trigger(found, settings)[0] != Colour.GREEN


def state_of(row: HealthCode | None) -> rules.CodeState:
    if row is None:
        return rules.CodeState()
    return rules.CodeState(
        colour=row.colour,
        reason=row.reason,
        since=row.since,
        count_from=row.count_from,
        normal_days=row.normal_days,
        required_days=row.required_days,
    )


def lock_codes(person_ids: Iterable[int]) -> dict[int, HealthCode]:
    """The code rows of these people, locked for the transaction. The person rows are
    locked first (in key order, so two writers never wait for each other in a circle):
    that also serialises the first code of someone who has none yet."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    list(Person.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
    return {row.person_id: row for row in HealthCode.objects.filter(person_id__in=ids)}


def declaration_days(states: dict[int, rules.CodeState]) -> dict[int, dict[dt.date, bool]]:
    """{person: {day: abnormal}} after each open code's ``count_from``."""
    waiting = {p: s.count_from for p, s in states.items() if not s.green and s.count_from}
    if not waiting:
        return {}
    days: dict[int, dict[dt.date, bool]] = defaultdict(dict)
    rows = DeclarationDay.objects.filter(
        person_id__in=list(waiting), date__gt=min(waiting.values())
    ).values_list("person_id", "date", "abnormal_declarations")
    for person_id, day, abnormal in rows:
        days[person_id][day] = abnormal > 0
    return days


def apply_declarations(
    declared: Sequence[Declared],
    settings: EpidemicSettings,
    open_codes: Collection[int] | None = None,
) -> list[Change]:
    """Raise, restart or settle the codes of the people who declared; the changes.
    ``open_codes``: those of them whose code is yellow or red, when the caller read them
    already (with the people, in the same transaction); else they are read here."""
    people = {d.person_id for d in declared}
    raising = {d.person_id for d in declared if raises(d.found, settings)}
    if open_codes is None:
        open_codes = set(
            HealthCode.objects.filter(person_id__in=people)
            .exclude(colour=Colour.GREEN)
            .values_list("person_id", flat=True)
        )
    relevant = raising | (set(open_codes) & people)
    if not relevant:
        return []
    rows = lock_codes(relevant)
    states = {p: state_of(rows.get(p)) for p in relevant}
    grids: dict[int, str] = {}
    changes: list[Change] = []
    for item in sorted(declared, key=lambda d: (d.declared_at, d.declaration_id)):
        if item.person_id not in states:
            continue
        state = states[item.person_id]
        grids[item.person_id] = item.grid_code
        before = state.colour
        if rules.escalate(state, item.found, item.declared_at, settings):
            changes.append(
                Change(
                    item.person_id,
                    item.grid_code,
                    before,
                    state.colour,
                    state.reason,
                    item.declared_at,
                    item.declaration_id,
                )
            )
    now = timezone.now()
    last = {d.person_id: d.declaration_id for d in declared}
    for person_id, days in declaration_days(states).items():
        state = states[person_id]
        before = state.colour
        if rules.settle(state, days):
            state.since = now
            changes.append(
                Change(
                    person_id,
                    grids[person_id],
                    before,
                    state.colour,
                    state.reason,
                    now,
                    last.get(person_id),
                )
            )
    write(rows, states, grids)
    record_changes(rows, changes)
    return changes


def write(
    rows: dict[int, HealthCode], states: dict[int, rules.CodeState], grids: dict[int, str]
) -> None:
    """Store the states that differ from their rows (new rows for first codes)."""
    fields = ("colour", "reason", "since", "count_from", "normal_days", "required_days")
    created: list[HealthCode] = []
    updated: list[HealthCode] = []
    for person_id, state in states.items():
        row = rows.get(person_id)
        grid = grids.get(person_id) or (row.grid_code if row else "")
        values = {
            "colour": state.colour,
            "reason": state.reason,
            "since": state.since or timezone.now(),
            "count_from": state.count_from or rules.today(),
            "normal_days": state.normal_days,
            "required_days": state.required_days,
        }
        if row is None:
            if state.green:
                continue  # green without a row stays without one
            created.append(HealthCode(person_id=person_id, grid_code=grid, **values))
            continue
        if all(getattr(row, f) == values[f] for f in fields) and row.grid_code == grid:
            continue
        row.grid_code_before = row.grid_code  # type: ignore[attr-defined]
        for f in fields:
            setattr(row, f, values[f])
        row.grid_code = grid
        row.version += 1
        row.updated_at = timezone.now()  # bulk_update does not touch auto_now fields
        updated.append(row)
    HealthCode.objects.bulk_create(created)
    if updated:
        HealthCode.objects.bulk_update(updated, [*fields, "grid_code", "version", "updated_at"])
    for row in created:
        rows[row.person_id] = row


def record_changes(rows: dict[int, HealthCode], changes: Sequence[Change]) -> None:
    """History rows and roll-ups of colour changes (several changes of one person in one
    batch are each recorded; the standing count moves once from first to last colour)."""
    if not changes:
        return
    HealthCodeChange.objects.bulk_create(
        HealthCodeChange(
            person_id=c.person_id,
            grid_code=c.grid_code,
            date=rules.day_of(c.at),
            at=c.at,
            from_colour=c.before,
            to_colour=c.after,
            reason=c.reason,
            note=c.note,
            declaration_id=c.declaration_id,
        )
        for c in changes
    )
    daily: dict[rollups.DayKey, Counter[str]] = defaultdict(Counter)
    current: dict[str, Counter[str]] = defaultdict(Counter)
    first: dict[int, Change] = {}
    final: dict[int, Change] = {}
    for c in changes:
        daily[(c.grid_code, rules.day_of(c.at))][rollups.CODE_TO + c.after] += 1
        first.setdefault(c.person_id, c)
        final[c.person_id] = c
    for person_id, c in first.items():
        row = rows.get(person_id)
        old_grid = getattr(row, "grid_code_before", None) or c.grid_code
        end = final[person_id]
        if c.before != Colour.GREEN:
            current[old_grid][rollups.CODE + c.before] -= 1
        if end.after != Colour.GREEN:
            current[end.grid_code][rollups.CODE + end.after] += 1
    rollups.add_daily(daily)
    rollups.add_current(current)


def change(
    person: Person,
    colour: str,
    reason: str,
    settings: EpidemicSettings,
    *,
    note: str = "",
    hold: bool = False,
) -> Change | None:
    """Set a person's colour (a decision, an isolation): the count restarts today; with
    ``hold`` only another decision returns the code to green. None when unchanged."""
    rows = lock_codes([person.pk])
    state = state_of(rows.get(person.pk))
    now = timezone.now()
    before = state.colour
    state.colour, state.reason, state.since = colour, reason, now
    state.count_from, state.normal_days = rules.day_of(now), 0
    state.required_days = 0 if hold else settings.required_days(colour)
    write(rows, {person.pk: state}, {person.pk: person.grid_code})
    if before == colour:
        return None
    found = Change(person.pk, person.grid_code, before, colour, reason, now, note=note)
    record_changes(rows, [found])
    return found
