"""Domain errors raised by actions and queries, mapped to one error shape by the API and pages.

Domain code never imports the HTTP layer; it raises these and the edges translate them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base class: ``code`` is stable for clients, ``message`` is for people."""

    code = "error"
    status = 400
    default_message: Any = _("The request could not be carried out.")

    def __init__(self, message: object = None, *, details: dict[str, Any] | None = None) -> None:
        # Translated when raised, in the language of the request being answered.
        self.message = str(message if message is not None else self.default_message)
        super().__init__(self.message)
        self.details = details or {}


class InvalidInput(DomainError):
    """Input failed validation; ``details['fields']`` maps field names to messages."""

    code = "invalid"
    status = 422
    default_message = _("The request is not valid.")

    def __init__(
        self, message: object = None, *, fields: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        details = dict(kw.pop("details", None) or {})
        if fields:
            details["fields"] = {k: str(v) for k, v in fields.items()}
        super().__init__(message, details=details)


class NotFound(DomainError):
    """Absent or outside the user's scope: the two are indistinguishable on purpose."""

    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    """The user may see the object but not perform this action on it."""

    code = "forbidden"
    status = 403
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    """Someone else changed the object first (version check or lock)."""

    code = "conflict"
    status = 409
    default_message = _("Someone else changed this first; reload it and try again.")
