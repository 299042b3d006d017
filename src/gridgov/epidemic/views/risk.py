"""Risk area pages: the list (anyone with an epidemic capability), adding, changing and
ending one (``epidemic.manage``), and the arrivals from risk areas (``epidemic.view``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
from gridgov.core.paging import paginate
from gridgov.epidemic import forms, rules
from gridgov.epidemic.actions import risk as actions
from gridgov.epidemic.capabilities import MANAGE, VIEW
from gridgov.epidemic.queries import risk as queries
from gridgov.epidemic.views.common import attempt, form_status, page
from gridgov.territory.models import Region

PAGE_SIZE = 30
ARRIVALS_DAYS = 14


def _issuers(user: Any) -> list[tuple[str, str]]:
    """The counties and cities the user may declare risk areas for, with their names."""
    held = [c for c in scope.scope_codes(user, MANAGE) if len(c) in actions.ISSUER_LENGTHS]
    names = dict(Region.objects.filter(code__in=held).values_list("code", "name"))
    return [(code, f"{names.get(code, code)} ({code})") for code in held]


@login_required
@require_GET
@domain_errors
def risk_list(request: HttpRequest) -> HttpResponse:
    filters = forms.RiskFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    areas = queries.search_risk_areas(
        request.user, q=data.get("q") or "", level=data.get("level") or "", on=data.get("on")
    )
    return page(
        request,
        "risk_list.html",
        {
            "filters": filters,
            "page": paginate(
                areas.select_related("created_by"), request.GET.get("page"), PAGE_SIZE
            ),
            "today": rules.today(),
            "can_manage": scope.has_capability(request.user, MANAGE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def risk_create(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, MANAGE)
    issuers = _issuers(request.user)
    form = forms.RiskAreaForm(
        request.POST or None, issuers=issuers, initial={"valid_from": rules.today()}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        area, status = attempt(
            form, lambda: actions.add_risk_area(actor=request.user, **form.changes())
        )
        if area is not None:
            messages.success(
                request, _("%(place)s was added as a risk area.") % {"place": area.name}
            )
            return redirect("epidemic:risk_detail", area.pk)
    return page(
        request, "risk_form.html", {"form": form, "area": None}, status=form_status(form, status)
    )


def _detail(
    request: HttpRequest,
    area: Any,
    *,
    form: forms.RiskAreaForm | None = None,
    end_form: forms.RiskAreaEndForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = scope.has_capability(request.user, MANAGE, area.region_code)
    initial = {f: getattr(area, f) for f in actions.FIELDS} | {"version": area.version}
    return page(
        request,
        "risk_detail.html",
        {
            "area": area,
            "can_manage": can_manage,
            "form": form or forms.RiskAreaForm(initial=initial),
            "end_form": end_form
            or forms.RiskAreaEndForm(initial={"valid_to": rules.today(), "version": area.version}),
            "active_today": area.valid_from <= rules.today()
            and (area.valid_to is None or area.valid_to >= rules.today()),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def risk_detail(request: HttpRequest, area_id: int) -> HttpResponse:
    """The area, and for its managers the form that changes it."""
    area = queries.get_risk_area_for(request.user, area_id)
    if request.method == "GET":
        return _detail(request, area)
    scope.require(request.user, MANAGE)  # no such role: 403; another area's: 404
    scope.require(request.user, MANAGE, area.region_code)
    form = forms.RiskAreaForm(request.POST)
    status = 422
    if form.is_valid():
        changed, status = attempt(
            form,
            lambda: actions.change_risk_area(
                area.pk,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                **form.changes(),
            ),
        )
        if changed is not None:
            messages.success(request, _("Changes saved."))
            return redirect("epidemic:risk_detail", area.pk)
    return _detail(request, area, form=form, status=form_status(form, status))


@login_required
@require_POST
@domain_errors
def risk_end(request: HttpRequest, area_id: int) -> HttpResponse:
    area = queries.get_risk_area_for(request.user, area_id)
    scope.require(request.user, MANAGE)
    scope.require(request.user, MANAGE, area.region_code)
    form = forms.RiskAreaEndForm(request.POST)
    status = 422
    if form.is_valid():
        ended, status = attempt(
            form,
            lambda: actions.end_risk_area(
                area.pk,
                actor=request.user,
                valid_to=form.cleaned_data["valid_to"],
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        if ended is not None:
            messages.success(request, _("The risk area ends on %(day)s.") % {"day": ended.valid_to})
            return redirect("epidemic:risk_detail", area.pk)
    return _detail(request, area, end_form=form, status=form_status(form, status))


@login_required
@require_GET
@domain_errors
def risk_arrivals(request: HttpRequest) -> HttpResponse:
    """People who arrived from a place that was a risk area on the day they arrived."""
    scope.require(request.user, VIEW)
    filters = forms.ArrivalsFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    since = data.get("since") or rules.today() - dt.timedelta(days=ARRIVALS_DAYS)
    rows = queries.risk_arrivals(request.user, since, data.get("code") or "")
    return page(
        request,
        "risk_arrivals.html",
        {
            "filters": filters,
            "since": since,
            "page": paginate(rows, request.GET.get("page"), PAGE_SIZE),
        },
    )


urlpatterns: list[URLPattern] = [
    path("risk-areas/", risk_list, name="risk_list"),
    path("risk-areas/new/", risk_create, name="risk_create"),
    path("risk-areas/<int:area_id>/", risk_detail, name="risk_detail"),
    path("risk-areas/<int:area_id>/end/", risk_end, name="risk_end"),
    path("risk-arrivals/", risk_arrivals, name="risk_arrivals"),
]


def register_web() -> None:
    from gridgov.audit import labels
    from gridgov.epidemic.capabilities import RISK_READERS
    from gridgov.epidemic.sections import register_section
    from gridgov.web.context import NavItem

    register_section(
        NavItem(
            gettext_lazy("Risk areas"),
            "epidemic:risk_list",
            None,
            order=80,
            shown=lambda user: any(scope.has_capability(user, c) for c in RISK_READERS),
        )
    )
    register_section(
        NavItem(gettext_lazy("Arrivals from risk areas"), "epidemic:risk_arrivals", VIEW, order=85)
    )
    labels.register(
        {
            "epidemic.risk_area.add": pgettext_lazy("audit action", "Risk area added"),
            "epidemic.risk_area.change": pgettext_lazy("audit action", "Risk area changed"),
            "epidemic.risk_area.end": pgettext_lazy("audit action", "Risk area ended"),
        }
    )
