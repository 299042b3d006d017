"""Small helpers that turn domain errors into HTTP answers for pages (shared with audit)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponseBase

from gridgov.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied

Response = TypeVar("Response", bound=HttpResponseBase)  # a page, or a streamed file


def domain_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """Outside the user's scope → 404; inside it but not allowed → 403."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            raise HttpForbidden(exc.message) from exc

    return wrapped


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a refused action's message on the form, on the fields it names."""
    fields = exc.details.get("fields", {}) if isinstance(exc, InvalidInput) else {}
    placed = False
    for name, message in fields.items():
        if name in form.fields:
            form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def run_action(form: forms.Form, action: Callable[[], Any]) -> tuple[bool, Any]:
    """Call an action; on a field error or a conflict put the message on the form.
    NotFound and PermissionDenied pass through to ``domain_errors``."""
    try:
        return True, action()
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        add_domain_error(form, exc)
        return False, None


def act(form: forms.Form, action: Callable[[], Any]) -> tuple[bool, Any, int]:
    """``run_action`` that also answers the status to show the form again with: the
    refusal's (409 for a conflict, 422 for invalid input), else 200."""
    try:
        return True, action(), 200
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        add_domain_error(form, exc)
        return False, None, exc.status


def form_status(form: forms.Form, status: int = 200) -> int:
    """The status of a page showing ``form``: an action's refusal (409, 422), else 422
    when the form found errors itself, else 200."""
    if status != 200:
        return status
    return 422 if form.errors else 200


def flag(value: str | None) -> bool | None:
    """'1' → True, '0' → False, anything else → None (a filter not applied)."""
    return {"1": True, "0": False}.get(value or "")
