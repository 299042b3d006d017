"""Checks of typed input that every app's actions share. Each ``clean_*`` puts the reason
it refuses a value under the field's name in ``errors``, so one call can report every bad
field at once; ``invalid`` turns the collected reasons into one InvalidInput whose message
names the field when there is only one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from gridgov.core.errors import InvalidInput


def field_label(field: str, models: Iterable[Any]) -> str:
    """The translated name of ``field`` from the first of ``models`` that has it
    ("id_number" → "ID number"; "items.2.id_number" and "person_id" are found too)."""
    name = field.split(".")[0]
    for model in models:
        for candidate in (name, f"{name}_masked", name.removesuffix("_id")):
            try:
                found = model._meta.get_field(candidate)
            except FieldDoesNotExist:
                continue
            if label := getattr(found, "verbose_name", None):
                return str(label)
    return field


def invalid(
    fields: Mapping[str, Any], message: Any = None, *, models: Iterable[Any] = ()
) -> InvalidInput:
    """InvalidInput naming every bad field; with one field the message says which."""
    if message is None and len(fields) == 1:
        field, reason = next(iter(fields.items()))
        message = _("%(field)s: %(reason)s") % {
            "field": field_label(field, models),
            "reason": reason,
        }
    return InvalidInput(message or _("Some fields are not valid."), fields=dict(fields))


def clean_text(value: Any, field: str, max_length: int, errors: dict[str, Any]) -> str:
    """One line of text, its runs of white space made single spaces."""
    text = " ".join(str(value if value is not None else "").split())
    if not text.isprintable():
        errors[field] = _("contains control characters")
    elif len(text) > max_length:
        errors[field] = _("longer than %(n)d characters") % {"n": max_length}
    return text


def clean_date(
    value: Any, field: str, errors: dict[str, Any], *, required: bool = False
) -> dt.date | None:
    """A date, or an ISO ``YYYY-MM-DD`` text; None when empty (refused if ``required``)."""
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
