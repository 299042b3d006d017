"""Optimistic locking: a change made from a stale copy of a row is refused, not applied
over someone else's."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from gridgov.core.errors import Conflict, InvalidInput


def check_version(row: Any, expected_version: Any, message: Any = None) -> None:
    """Conflict (with ``message``, else the default) when ``row.version`` is no longer the
    version the caller read. ``None`` — the caller read none — is not checked; anything
    but a whole number is InvalidInput naming ``expected_version``."""
    if expected_version is None:
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        reason = _("not a whole number")
        message_ = _("The version must be a whole number.")
        raise InvalidInput(message_, fields={"expected_version": reason}) from None
    if expected != row.version:
        raise Conflict(message)
