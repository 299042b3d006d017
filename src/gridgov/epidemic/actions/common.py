"""Input checks shared by the epidemic's actions: each names the field it refuses."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from gridgov.core import checks
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.epidemic.models import EpidemicSettings, HealthDeclaration, RiskArea

LABELLED_MODELS = (HealthDeclaration, RiskArea, EpidemicSettings)


def field_label(field: str) -> str:
    """The translated name of a field for messages ("valid_from" → "valid from")."""
    return checks.field_label(field, LABELLED_MODELS)


def fail(fields: Mapping[str, Any], message: Any = None) -> InvalidInput:
    """InvalidInput naming every bad field; with one field the message says which."""
    return checks.invalid(fields, message, models=LABELLED_MODELS)


clean_text = checks.clean_text
clean_date = checks.clean_date


def clean_decimal(
    value: Any, field: str, errors: dict[str, Any], low: Decimal, high: Decimal
) -> Decimal | None:
    """A number with one decimal between ``low`` and ``high``; None when empty."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        errors[field] = _("not a number")
        return None
    if not number.is_finite() or not low <= number <= high:
        errors[field] = _("between %(low)s and %(high)s") % {"low": low, "high": high}
        return None
    return number.quantize(Decimal("0.1"))


def locked(model: Any, pk: Any) -> Any:
    try:
        return model._default_manager.select_for_update().get(pk=int(pk))
    except (model.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None
