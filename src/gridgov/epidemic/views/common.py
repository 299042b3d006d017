"""What the epidemic's page modules share: calling an action from a form, a concern's
pages with their row of tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gridgov.accounts.viewutils import add_domain_error
from gridgov.core.errors import DomainError, NotFound, PermissionDenied
from gridgov.web.tabs import TabRow


def attempt(form: forms.BaseForm, call: Callable[[], Any]) -> tuple[Any, int]:
    """Call an action: (its result, 200), or — refused for its input or a conflict — the
    message put on the form and (None, the refusal's status). NotFound and
    PermissionDenied pass through to ``domain_errors`` (404, 403)."""
    try:
        return call(), 200
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        add_domain_error(cast(forms.Form, form), exc)
        return None, exc.status


def form_status(form: forms.BaseForm, status: int) -> int:
    """A form shown again: the action's refusal status, else 422 for the form's own errors."""
    if status != 200:
        return status
    return 422 if form.is_bound and form.errors else 200


def page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, f"epidemic/{template}", context, status=status)


class ConcernPages:
    """The pages of one concern: templates under ``epidemic/<folder>/``, each with the
    concern's row of tabs in its context as ``tabs``."""

    def __init__(self, folder: str, row: TabRow) -> None:
        self.folder, self.row = folder, row

    def __call__(
        self,
        request: HttpRequest,
        template: str,
        current: str,
        context: dict[str, Any],
        status: int = 200,
    ) -> HttpResponse:
        context = {"tabs": self.row(request.user, current), **context}
        return page(request, f"{self.folder}/{template}", context, status)
