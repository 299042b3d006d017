"""Health-code decisions and the rules in force (``epidemic.manage``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.audit.actions import diff, record
from gridgov.core.errors import PermissionDenied
from gridgov.core.versions import check_version
from gridgov.epidemic import codes
from gridgov.epidemic.actions.common import clean_text, fail, locked
from gridgov.epidemic.capabilities import MANAGE
from gridgov.epidemic.models import CodeReason, Colour, EpidemicSettings
from gridgov.registry.models import Person

SETTINGS_FIELDS = (
    "fever_threshold",
    "symptom_colour",
    "contact_colour",
    "medium_risk_colour",
    "high_risk_colour",
    "yellow_normal_days",
    "red_normal_days",
    "report_deadline_hour",
    "follow_up_deadline_hour",
)


@transaction.atomic
def set_health_code(
    person_id: int, *, actor: Any, colour: str, note: str, hold: bool = False
) -> Any:
    """Decide a person's colour (e.g. red for a confirmed case's contact). The count of
    normal days restarts today; with ``hold`` only another decision turns it green."""
    scope.require(actor, MANAGE)
    person = locked(Person, person_id)
    scope.require(actor, MANAGE, person.grid_code)
    errors: dict[str, Any] = {}
    if colour not in Colour.values:
        errors["colour"] = _("must be one of: %(choices)s") % {"choices": ", ".join(Colour.values)}
    text = clean_text(note, "note", 200, errors)
    if not text and "note" not in errors:
        errors["note"] = _("say why")
    if errors:
        raise fail(errors)
    change = codes.change(
        person, colour, CodeReason.DECISION, EpidemicSettings.current(), note=text, hold=hold
    )
    record(
        "epidemic.health_code.decide",
        actor=actor,
        obj=person,
        grid_code=person.grid_code,
        changes={
            "colour": [change.before if change else colour, colour],
            "note": text,
            "hold": hold,
        },
    )
    return change


def may_change_rules(user: Any) -> bool:
    """The rules are the city's: ``epidemic.manage`` over a whole city (or an operator)."""
    if scope.is_operator(user):
        return True
    return any(len(code) <= 4 for code in scope.scope_codes(user, MANAGE))


def settings_values(row: EpidemicSettings) -> dict[str, Any]:
    return {name: getattr(row, name) for name in SETTINGS_FIELDS}


@transaction.atomic
def update_settings(
    *, actor: Any, expected_version: Any = None, **changes: Any
) -> EpidemicSettings:
    """Change the thresholds and rules; applies to declarations received from now on."""
    if not may_change_rules(actor):
        raise PermissionDenied()
    unknown = sorted(set(changes) - set(SETTINGS_FIELDS))
    if unknown:
        raise fail({name: _("cannot be changed here") for name in unknown})
    row, _created = EpidemicSettings.objects.select_for_update().get_or_create(pk=1)
    check_version(row, expected_version)
    before = settings_values(row)
    for name, value in changes.items():
        setattr(row, name, value)
    try:
        row.full_clean(exclude=["updated_by"])
    except ValidationError as exc:
        raise fail({k: " ".join(v) for k, v in exc.message_dict.items()}) from None
    row.version += 1
    row.updated_by = actor if getattr(actor, "pk", None) else None
    row.save()
    record(
        "epidemic.settings.update",
        actor=actor,
        obj=row,
        changes=diff(before, settings_values(row)),
    )
    return row
