"""Optimistic locking: a change made from a stale copy of a row is refused, not applied
over someone else's."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from gridgov.core.errors import Conflict, InvalidInput


def whole_version(value: Any, field: str = "version") -> int:
    """The version a caller sent as a whole number; InvalidInput naming ``field`` otherwise
    (1.5, "x" and None are refused; 2.0 and "2" are 2)."""
    if value is None or value == "":
        raise InvalidInput(_("The version you read is required."), fields={field: _("required")})
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or (isinstance(value, float) and value != number):
        reason = _("not a whole number")
        message = _("The version must be a whole number.")
        raise InvalidInput(message, fields={field: reason}) from None
    return number


def check_version(
    row: Any,
    expected_version: Any,
    message: Any = None,
    *,
    required: bool = False,
    field: str = "version",
    details: dict[str, Any] | None = None,
) -> None:
    """Conflict (with ``message``, else the default) when ``row.version`` is no longer the
    version the caller read; the answer carries the current version so a client can reload.
    ``None`` — the caller read none — is not checked unless ``required``; anything but a
    whole number is InvalidInput naming ``field``."""
    if expected_version is None and not required:
        return
    if whole_version(expected_version, field) != row.version:
        raise Conflict(message, details={"version": row.version, **(details or {})})
