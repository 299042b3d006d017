"""Health code pages: a person's code card for staff, a staff decision, the public
verification page (and the public key for checkpoints), and the rules in force."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import scope
from gridgov.accounts.viewutils import domain_errors
from gridgov.core.errors import PermissionDenied
from gridgov.epidemic import forms, rules, signing
from gridgov.epidemic.actions import health_code as actions
from gridgov.epidemic.capabilities import MANAGE
from gridgov.epidemic.models import EpidemicSettings
from gridgov.epidemic.queries import health_code as queries
from gridgov.epidemic.views.common import attempt, form_status, page


@login_required
@require_GET
@domain_errors
def person_code(request: HttpRequest, person_id: int) -> HttpResponse:
    card = queries.card_for(request.user, person_id)
    return page(request, "code_card.html", {"card": card, "masked_name": card.person.name})


@login_required
@require_POST
@domain_errors
def decide(request: HttpRequest, person_id: int) -> HttpResponse:
    """A manager sets a person's colour with a reason."""
    card = queries.card_for(request.user, person_id)
    scope.require(request.user, MANAGE, card.person.grid_code)
    form = forms.CodeDecisionForm(request.POST)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        done, status = attempt(
            form,
            lambda: (
                actions.set_health_code(
                    card.person.pk,
                    actor=request.user,
                    colour=data["colour"],
                    note=data["note"],
                    hold=data["hold"],
                )
                or True
            ),
        )
        if done is not None:
            messages.success(request, _("The health code was set."))
            return redirect("epidemic:person", card.person.pk)
    return page(
        request,
        "person.html",
        {
            "card": card,
            "person": card.person,
            "history": list(queries.history(card.person)[:30]),
            "declarations": [],
            "can_decide": True,
            "decision_form": form,
        },
        status=form_status(form, status),
    )


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone checks a code token (a checkpoint without its own device): valid or not,
    the colour and the day. The token names nobody, so nothing personal is shown."""
    data = (
        request.POST
        if request.method == "POST"
        else (request.GET if "token" in request.GET else None)
    )
    form = forms.VerifyForm(data)
    result = signing.verify(form.cleaned_data["token"]) if form.is_valid() else None
    return page(
        request,
        "verify.html",
        {
            "form": form,
            "result": result,
            "today": rules.today(),
            "current": result.is_for(rules.today()) if result else False,
            "public_key": signing.public_key_text(),
        },
        status=422 if form.is_bound and not form.is_valid() else 200,
    )


@require_GET
def public_key(request: HttpRequest) -> HttpResponse:
    """The public key for checkpoint devices (text, base64url)."""
    return HttpResponse(signing.public_key_text() + "\n", content_type="text/plain; charset=utf-8")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def rules_page(request: HttpRequest) -> HttpResponse:
    """The thresholds and health-code rules (``epidemic.manage`` over the whole city)."""
    if not actions.may_change_rules(request.user):
        raise PermissionDenied()
    current = EpidemicSettings.current()
    form = forms.SettingsForm(
        request.POST or None, instance=current, initial={"version": current.version}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        saved, status = attempt(
            form,
            lambda: actions.update_settings(
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                **form.changes(),
            ),
        )
        if saved is not None:
            messages.success(request, _("The rules were saved."))
            return redirect("epidemic:settings")
    return page(request, "settings.html", {"form": form}, status=form_status(form, status))


urlpatterns: list[URLPattern] = [
    path("people/<int:person_id>/code/", person_code, name="person_code"),
    path("people/<int:person_id>/code/decide/", decide, name="decide"),
    path("verify/", verify, name="verify"),
    path("verify/public-key.txt", public_key, name="public_key"),
    path("settings/", rules_page, name="settings"),
]


def register_web() -> None:
    from gridgov.audit import labels
    from gridgov.epidemic.actions.health_code import may_change_rules
    from gridgov.epidemic.sections import register_section
    from gridgov.web.context import NavItem

    register_section(NavItem(gettext_lazy("Verify a code"), "epidemic:verify", None, order=90))
    register_section(
        NavItem(gettext_lazy("Rules"), "epidemic:settings", None, order=95, shown=may_change_rules)
    )
    labels.register(
        {
            "epidemic.health_code.decide": pgettext_lazy("audit action", "Health code decided"),
            "epidemic.settings.update": pgettext_lazy("audit action", "Epidemic rules changed"),
        }
    )
