"""The residents' public pages: declare for your household, show your health code.

A resident identifies the household by a member's name and ID number (``queries.public``:
the answer never says whether anyone is registered — every failure renders the same page
with the same message). Identification is limited per address and per ID number in the
shared cache, and lasts ``SESSION_MINUTES`` in the session. No login, CSRF as everywhere.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.viewutils import domain_errors
from gridgov.audit.middleware import client_ip
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.epidemic import forms, rules
from gridgov.epidemic.actions import declarations as actions
from gridgov.epidemic.models import Channel, DeclarationDay
from gridgov.epidemic.queries import health_code as code_queries
from gridgov.epidemic.queries import public as queries
from gridgov.epidemic.views.common import attempt, page

SESSION_KEY = "epidemic_household"
SESSION_MINUTES = 30
WINDOW = 3600  # seconds of the rate-limit window


def per_address_limit() -> int:
    return int(getattr(settings, "GRIDGOV_EPIDEMIC_IDENTIFY_PER_HOUR", 20))


def per_identity_limit() -> int:
    return int(getattr(settings, "GRIDGOV_EPIDEMIC_IDENTIFY_PER_IDENTITY", 5))


def _count(key: str) -> int:
    """One more attempt under ``key`` in a fixed hourly window; the count so far."""
    cache.add(key, 0, timeout=WINDOW)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW)
        return 1


def _allowed(request: HttpRequest, identity_key: str | None) -> bool:
    """Count this attempt from the address and for the ID number (whether or not anyone
    has it); False once either is over its limit."""
    ip = client_ip(request) or "unknown"
    ok = _count(f"gridgov:epidemic-identify:ip:{ip}") <= per_address_limit()
    if identity_key:
        ok = _count(f"gridgov:epidemic-identify:id:{identity_key}") <= per_identity_limit() and ok
    return ok


def _identified(request: HttpRequest) -> queries.Identified | None:
    held = request.session.get(SESSION_KEY)
    if not isinstance(held, dict) or held.get("until", 0) < time.time():
        return None
    return queries.Identified(person_id=held["person"], household_id=held.get("household"))


def _refused(request: HttpRequest, name: str) -> HttpResponse:
    """The one answer to every failed identification: the form again, with the name
    as typed (never the number) and the same message."""
    form = forms.IdentifyForm(initial={"name": name})
    return page(request, "public/identify.html", {"form": form, "refused": True})


@never_cache
@require_http_methods(["GET", "POST"])
def identify(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and _identified(request):
        return redirect("epidemic:public_household")
    form = forms.IdentifyForm(request.POST or None)
    if request.method == "GET" or not form.is_valid():
        return page(
            request,
            "public/identify.html",
            {"form": form},
            status=200 if request.method == "GET" else 422,
        )
    try:
        key = queries.identity_key(form.cleaned_data["id_number"])
    except InvalidInput as exc:
        # Not an ID number at all: arithmetic, not the registry, says so.
        form.add_error("id_number", exc.details.get("fields", {}).get("id_number", exc.message))
        _allowed(request, None)
        return page(request, "public/identify.html", {"form": form}, status=422)
    if not _allowed(request, key):
        form = forms.IdentifyForm()
        return page(request, "public/identify.html", {"form": form, "throttled": True}, status=429)
    found = queries.identify(form.cleaned_data["name"], form.cleaned_data["id_number"])
    if found is None:
        return _refused(request, form.cleaned_data["name"])
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "person": found.person_id,
        "household": found.household_id,
        "until": time.time() + SESSION_MINUTES * 60,
    }
    return redirect("epidemic:public_household")


def _members(found: queries.Identified, forms_by_person: dict[int, Any] | None = None) -> list[Any]:
    members = queries.household_members(found)
    today = rules.today()
    declared = dict(
        DeclarationDay.objects.filter(
            person_id__in=[p.pk for p in members], date=today
        ).values_list("person_id", "abnormal_declarations")
    )
    for person in members:
        person.masked_name = queries.mask_name(person.name)  # type: ignore[attr-defined]
        person.declared_today = person.pk in declared  # type: ignore[attr-defined]
        person.abnormal_today = bool(declared.get(person.pk))  # type: ignore[attr-defined]
        person.form = (forms_by_person or {}).get(person.pk) or forms.PublicDeclarationForm(  # type: ignore[attr-defined]
            prefix=f"p{person.pk}",
            initial={"person_id": person.pk, "client_key": forms.new_client_key()},
        )
    return members


@never_cache
@require_GET
def household(request: HttpRequest) -> HttpResponse:
    found = _identified(request)
    if found is None:
        return redirect("epidemic:public_identify")
    return page(
        request, "public/household.html", {"members": _members(found), "today": rules.today()}
    )


@never_cache
@require_POST
@domain_errors
def declare(request: HttpRequest, person_id: int) -> HttpResponse:
    found = _identified(request)
    if found is None:
        return redirect("epidemic:public_identify")
    form = forms.PublicDeclarationForm(request.POST, prefix=f"p{person_id}")
    status = 422
    members = {p.pk for p in queries.household_members(found)}
    if person_id not in members:
        raise NotFound()
    outcome = None
    if form.is_valid() and form.cleaned_data["person_id"] == person_id:
        outcome, status = attempt(
            form,
            lambda: actions.record_declaration(
                actor=None,
                channel=Channel.PUBLIC,
                household=members,
                declared_by="self" if person_id == found.person_id else "household",
                **form.declaration(),
            ),
        )
        if outcome is not None:
            messages.success(request, _("Thank you: the declaration was recorded."))
            return redirect("epidemic:public_household")
    return page(
        request,
        "public/household.html",
        {"members": _members(found, {person_id: form}), "today": rules.today()},
        status=status,
    )


def _member(request: HttpRequest, person_id: int) -> Any:
    found = _identified(request)
    if found is None:
        return None
    for person in queries.household_members(found):
        if person.pk == person_id:
            return person
    raise NotFound()


@never_cache
@require_GET
@domain_errors
def code(request: HttpRequest, person_id: int) -> HttpResponse:
    """A household member's health code, signed for today, to show at a checkpoint."""
    person = _member(request, person_id)
    if person is None:
        return redirect("epidemic:public_identify")
    card = code_queries.card(person)
    return page(
        request,
        "public/code.html",
        {"card": card, "masked_name": queries.mask_name(person.name)},
    )


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("epidemic:public_identify")


urlpatterns: list[URLPattern] = [
    path("public/", identify, name="public_identify"),
    path("public/household/", household, name="public_household"),
    path("public/household/<int:person_id>/declare/", declare, name="public_declare"),
    path("public/household/<int:person_id>/code/", code, name="public_code"),
    path("public/leave/", leave, name="public_leave"),
]
