"""Changing the evaluation settings: weights, grade boundaries and counting choices.

Only an administrator of the whole city (``cases.catalogue`` over the city) or an operator
may change them — the scores of every county move with them. Versioned (a stale form is a
Conflict) and audited (``cases.evaluation_settings`` with the changed values).
"""

from __future__ import annotations

import itertools
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from gridgov.audit import labels as audit_labels
from gridgov.audit.actions import diff, record
from gridgov.cases.models import EvaluationSettings
from gridgov.cases.queries import evaluation as queries
from gridgov.core.errors import Conflict, InvalidInput

AUDIT_ACTION = "cases.evaluation_settings"
audit_labels.register({AUDIT_ACTION: pgettext_lazy("audit action", "Evaluation settings changed")})

# Each score's weights, which must add up to 100.
WEIGHT_GROUPS: dict[str, tuple[str, ...]] = {
    "disposal": (
        "disposal_on_time_weight",
        "closure_weight",
        "no_rework_weight",
        "satisfaction_weight",
    ),
    "supervisor": (
        "valid_report_weight",
        "missed_report_weight",
        "verify_on_time_weight",
        "check_on_time_weight",
    ),
    "dispatcher": ("dispatch_on_time_weight", "dispatch_accurate_weight"),
}
GRADE_FIELDS = ("grade_a", "grade_b", "grade_c", "grade_d")
WHOLE_FIELDS = (*(f for group in WEIGHT_GROUPS.values() for f in group), *GRADE_FIELDS)
SETTINGS_FIELDS = (*WHOLE_FIELDS, "exclude_postponed", "basic_satisfaction_weight")


def settings_values(row: EvaluationSettings) -> dict[str, Any]:
    return {name: getattr(row, name) for name in SETTINGS_FIELDS}


def _whole(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        value = None
    try:
        number = int(value) if value is not None else None
    except ValueError:
        number = None
    if number is None or not 0 <= number <= 100:
        reason = _("a whole number from 0 to 100")
        raise InvalidInput(f"{name}: {reason}", fields={name: reason})
    return number


def _fraction(name: str, value: Any) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not Decimal(0) <= number <= Decimal(1):
        reason = _("a number from 0 to 1, two decimals")
        raise InvalidInput(f"{name}: {reason}", fields={name: reason})
    return number


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """The new settings, every rule checked, each refusal naming its field."""
    unknown = sorted(set(values) - set(SETTINGS_FIELDS))
    if unknown:
        raise InvalidInput(
            _("Unknown settings: %(names)s") % {"names": ", ".join(unknown)},
            fields={name: _("unknown") for name in unknown},
        )
    clean: dict[str, Any] = {name: _whole(name, values[name]) for name in WHOLE_FIELDS}
    clean["exclude_postponed"] = bool(values["exclude_postponed"])
    clean["basic_satisfaction_weight"] = _fraction(
        "basic_satisfaction_weight", values["basic_satisfaction_weight"]
    )
    for group in WEIGHT_GROUPS.values():
        total = sum(clean[name] for name in group)
        if total != 100:
            reason = _("the weights of this score add up to %(n)d, not 100") % {"n": total}
            raise InvalidInput(reason, fields={name: reason for name in group})
    grades = [clean[name] for name in GRADE_FIELDS]
    if any(higher <= lower for higher, lower in itertools.pairwise(grades)):
        reason = _("each grade must start above the next one (A > B > C > D)")
        raise InvalidInput(reason, fields={name: reason for name in GRADE_FIELDS})
    return clean


def update_evaluation_settings(*, actor: Any, version: Any, **changes: Any) -> EvaluationSettings:
    """Save new settings (any subset of ``SETTINGS_FIELDS``; the rest stay) over
    ``version``, the one the actor saw (the defaults are version 1)."""
    queries.require_settings_editor(actor)
    with transaction.atomic():
        row, _created = EvaluationSettings.objects.select_for_update().get_or_create(pk=1)
        try:
            seen = int(version)
        except (TypeError, ValueError):
            reason = _("not a whole number")
            raise InvalidInput(f"version: {reason}", fields={"version": reason}) from None
        if seen != row.version:
            raise Conflict(
                _("Someone else changed the evaluation settings; reload them and try again."),
                details={"version": row.version},
            )
        before = settings_values(row)
        after = _clean({**before, **changes})
        for name, value in after.items():
            setattr(row, name, value)
        row.version += 1
        row.updated_by = actor if getattr(actor, "pk", None) else None
        row.save()
        record(AUDIT_ACTION, actor=actor, obj=row, changes=diff(before, after))
    return row
