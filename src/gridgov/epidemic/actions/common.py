"""Input checks shared by the epidemic's actions: each names the field it refuses."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from gridgov.core import checks
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.epidemic import rules
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

CLIENT_KEY = re.compile(r"[A-Za-z0-9._:-]{8,64}")
MAX_AGE = dt.timedelta(days=7)  # how far back a phone may date what it sends (offline)
CLOCK_SKEW = dt.timedelta(minutes=10)  # how far ahead a phone's clock may run


def clean_moment(value: Any, field: str, now: dt.datetime, errors: dict[str, Any]) -> dt.datetime:
    """When a declaration or a visit happened, as the phone says (ISO 8601, Asia/Shanghai
    when naive): ``now`` when not given; refused in the future or more than MAX_AGE ago."""
    if value in (None, ""):
        return now
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            errors[field] = _("not a date and time (YYYY-MM-DDTHH:MM)")
            return now
    moment = rules.aware(moment)
    if moment > now + CLOCK_SKEW:
        errors[field] = _("in the future")
    elif moment < now - MAX_AGE:
        errors[field] = _("more than %(days)d days ago") % {"days": MAX_AGE.days}
    return moment


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


def clean_client_key(value: Any, errors: dict[str, Any], *, required: bool) -> str:
    """The key a sender chose so that sending again finds what the first call made."""
    key = str(value or "").strip()
    if (key or required) and not CLIENT_KEY.fullmatch(key):
        errors["client_key"] = _("8 to 64 letters, digits or . _ : - (a UUID is best)")
    return key
