"""Input checks shared by the epidemic's actions: each names the field it refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from gridgov.core.errors import Conflict, InvalidInput, NotFound
from gridgov.epidemic.models import EpidemicSettings, HealthDeclaration, RiskArea

LABELLED_MODELS = (HealthDeclaration, RiskArea, EpidemicSettings)


def field_label(field: str) -> str:
    """The translated name of a field for messages ("valid_from" → "valid from")."""
    for model in LABELLED_MODELS:
        try:
            found = model._meta.get_field(field)
        except FieldDoesNotExist:
            continue
        if label := getattr(found, "verbose_name", None):
            return str(label)
    return field


def fail(fields: Mapping[str, Any], message: Any = None) -> InvalidInput:
    """InvalidInput naming every bad field; with one field the message says which."""
    if message is None and len(fields) == 1:
        field, reason = next(iter(fields.items()))
        message = _("%(field)s: %(reason)s") % {"field": field_label(field), "reason": reason}
    return InvalidInput(message or _("Some fields are not valid."), fields=dict(fields))


def clean_text(value: Any, field: str, max_length: int, errors: dict[str, Any]) -> str:
    text = " ".join(str(value if value is not None else "").split())
    if not text.isprintable():
        errors[field] = _("contains control characters")
    elif len(text) > max_length:
        errors[field] = _("longer than %(n)d characters") % {"n": max_length}
    return text


def clean_date(value: Any, field: str, errors: dict[str, Any], *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            errors[field] = _("required")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = _("not a date (YYYY-MM-DD)")
        return None


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


def check_version(row: Any, expected_version: Any) -> None:
    """Conflict when the row changed since the user loaded it (None: no check)."""
    if expected_version is None:
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise fail({"version": _("not a whole number")}) from None
    if expected != row.version:
        raise Conflict()


def locked(model: Any, pk: Any) -> Any:
    try:
        return model._default_manager.select_for_update().get(pk=int(pk))
    except (model.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None
