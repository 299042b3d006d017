"""The grid worker's declaration round (mobile-first) and a person's epidemic page.

``sheet_home`` lists the grids the user declares in with today's figures (roll-ups only);
``sheet`` lists a grid's living people with their day and a quick form each, which posts
to ``sheet_declare`` (htmx swaps the person's row; without JavaScript the page reloads).
Each form carries a fresh client key, so a double tap or a resent form records once.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts import scope
from gridgov.accounts.viewutils import domain_errors
from gridgov.core.errors import NotFound
from gridgov.core.paging import paginate
from gridgov.epidemic import forms, rollups, rules
from gridgov.epidemic.actions import declarations as actions
from gridgov.epidemic.capabilities import AGGREGATE, DECLARE, MANAGE
from gridgov.epidemic.models import Channel, DailyCount
from gridgov.epidemic.queries import declarations as queries
from gridgov.epidemic.queries import health_code as code_queries
from gridgov.epidemic.views.common import attempt, page
from gridgov.registry.models import PopulationCount
from gridgov.registry.shaping import own_grid_codes
from gridgov.territory import codes as territory_codes
from gridgov.territory.models import Region

PAGE_SIZE = 30
MAX_GRIDS = 200


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Where the navigation entry leads: the round for those who declare, else the
    dashboard (every epidemic role reads it)."""
    if scope.has_capability(request.user, DECLARE):
        return redirect("epidemic:sheet_home")
    return redirect("epidemic:dashboard")


def _declare_grids(user: Any) -> list[str]:
    """The grids the user may declare in, their own first (at most ``MAX_GRIDS``)."""
    own = [g for g in own_grid_codes(user) if scope.has_capability(user, DECLARE, g)]
    prefixes = scope.scope_codes(user, DECLARE)
    under = Region.objects.filter(level=territory_codes.GRID).filter(
        scope.scope_filter(user, field="code", capability=DECLARE)
    )
    rest = [] if "" in prefixes else list(under.order_by("code").values_list("code", flat=True))
    return list(dict.fromkeys(own + rest))[:MAX_GRIDS]


@login_required
@require_GET
@domain_errors
def sheet_home(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, DECLARE)
    grids = _declare_grids(request.user)
    if len(grids) == 1:
        return redirect("epidemic:sheet", grids[0])
    today = rules.today()
    names = dict(Region.objects.filter(code__in=grids).values_list("code", "name"))
    figures: dict[str, dict[str, int]] = {g: {} for g in grids}
    for grid, measure, value in (
        DailyCount.objects.filter(
            grid_code__in=grids, date=today, measure__in=[rollups.DECLARED, rollups.ABNORMAL]
        )
        .values_list("grid_code", "measure")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        figures[grid][measure] = value
    living = dict(
        PopulationCount.objects.filter(grid_code__in=grids, measure="total").values_list(
            "grid_code", "value"
        )
    )
    rows = [
        {
            "code": g,
            "name": names.get(g, g),
            "declared": figures[g].get(rollups.DECLARED, 0),
            "abnormal": figures[g].get(rollups.ABNORMAL, 0),
            "living": living.get(g, 0),
        }
        for g in grids
    ]
    return page(request, "sheet_home.html", {"rows": rows, "today": today})


def _sheet_context(request: HttpRequest, grid_code: str) -> dict[str, Any]:
    filters = forms.SheetFilterForm(request.GET or None)
    day = filters.chosen_day()
    q = filters.cleaned_data.get("q", "") if filters.is_valid() else ""
    people = queries.declaration_sheet(request.user, grid_code, day, q)
    result = paginate(people, request.GET.get("page"), PAGE_SIZE)
    for person in result.items:
        person.form = _person_form(person)
    region = Region.objects.filter(code=grid_code).only("code", "name").first()
    return {
        "grid_code": grid_code,
        "region": region,
        "day": day,
        "is_today": day == rules.today(),
        "filters": filters,
        "page": result,
        "figures": rollups.day_figures(grid_code, day),
    }


def _person_form(person: Any, data: Any = None) -> forms.StaffDeclarationForm:
    return forms.StaffDeclarationForm(
        data,
        prefix=f"p{person.pk}",
        initial={"person_id": person.pk, "client_key": forms.new_client_key()},
    )


@login_required
@require_GET
@domain_errors
def sheet(request: HttpRequest, grid_code: str) -> HttpResponse:
    return page(request, "sheet.html", _sheet_context(request, grid_code))


def _row(
    request: HttpRequest, grid_code: str, person_id: int, form: Any, status: int
) -> HttpResponse:
    """One person's row again (htmx), with the day as it is now."""
    day = rules.today()
    person = queries.declaration_sheet(request.user, grid_code, day).filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    person.form = form if form is not None else _person_form(person)  # type: ignore[attr-defined]
    return page(
        request,
        "includes/sheet_row.html",
        {"person": person, "grid_code": grid_code, "is_today": True, "day": day},
        status=status,
    )


@login_required
@require_POST
@domain_errors
def sheet_declare(request: HttpRequest, grid_code: str, person_id: int) -> HttpResponse:
    """The grid worker declares for one person of the grid (today)."""
    person = queries.get_person_for(request.user, person_id, DECLARE)
    if person.grid_code != grid_code:
        raise NotFound()
    form = forms.StaffDeclarationForm(request.POST, prefix=f"p{person.pk}")
    status = 422
    if form.is_valid() and form.cleaned_data["person_id"] == person.pk:
        outcome, status = attempt(
            form,
            lambda: actions.record_declaration(
                actor=request.user, channel=Channel.STAFF, **form.declaration()
            ),
        )
        if outcome is not None:
            if request.headers.get("HX-Request"):
                return _row(request, grid_code, person.pk, None, 200)
            messages.success(
                request, _("Declaration recorded for %(name)s.") % {"name": person.name}
            )
            return redirect(reverse("epidemic:sheet", args=[grid_code]) + f"#person-{person.pk}")
    if request.headers.get("HX-Request"):
        return _row(request, grid_code, person.pk, form, status)
    context = _sheet_context(request, grid_code)
    for row in context["page"].items:
        if row.pk == person.pk:
            row.form = form
    return page(request, "sheet.html", context, status=status)


@login_required
@require_GET
@domain_errors
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's code, its history and their recent declarations (``epidemic.view``)."""
    card = code_queries.card_for(request.user, person_id)
    declarations = queries.search_declarations(request.user, person_id=card.person.pk)[:30]
    return page(
        request,
        "person.html",
        {
            "card": card,
            "person": card.person,
            "history": list(code_queries.history(card.person)[:30]),
            "declarations": list(declarations),
            "can_decide": scope.has_capability(request.user, MANAGE, card.person.grid_code),
            "decision_form": forms.CodeDecisionForm(),
        },
    )


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("declarations/", sheet_home, name="sheet_home"),
    path("declarations/<str:grid_code>/", sheet, name="sheet"),
    path(
        "declarations/<str:grid_code>/people/<int:person_id>/", sheet_declare, name="sheet_declare"
    ),
    path("people/<int:person_id>/", person, name="person"),
]


def register_web() -> None:
    from gridgov.audit import labels
    from gridgov.epidemic.sections import register_section
    from gridgov.web.context import NavItem, register_nav_item

    # One entry in the main navigation; the concerns are tabs inside (sections.py).
    register_nav_item(
        NavItem(
            gettext_lazy("Epidemic response"),
            "epidemic:home",
            AGGREGATE,
            gettext_lazy(
                "Declarations and health codes, screening, isolation, cases and contacts, "
                "daily reports and notices, with the dashboard of every level."
            ),
            order=40,
        )
    )
    register_section(
        NavItem(gettext_lazy("Daily declarations"), "epidemic:sheet_home", DECLARE, order=20)
    )
    labels.register(
        {
            "epidemic.declaration.record": pgettext_lazy(
                "audit action", "Health declarations recorded"
            )
        }
    )
