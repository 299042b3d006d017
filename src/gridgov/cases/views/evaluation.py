"""The evaluation pages: a node's rates, scores, grades and rankings over a period, its
XLSX export, the settings page, and the panel on territory region pages.

Everything is read through ``queries.evaluation`` (roll-ups only, ``evaluation.view``
over the node: outside the scope a 404, without the capability a 403); the settings are
changed through ``actions.evaluation`` by administrators of the whole city.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods
from openpyxl import Workbook
from openpyxl.styles import Font

from gridgov.accounts import scope
from gridgov.accounts.viewutils import add_domain_error, domain_errors, run_action
from gridgov.cases.actions import evaluation as actions
from gridgov.cases.forms import evaluation as forms
from gridgov.cases.queries import evaluation as queries
from gridgov.core.errors import Conflict, InvalidInput
from gridgov.territory import codes
from gridgov.territory.models import Region

VIEW = queries.VIEW
SUPERVISORS_PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the node and the period --------------------------------------------------------------


def _nodes(user: Any, code: str) -> list[tuple[str, str]]:
    """The choices of the node selector: the ancestors the user may evaluate, the node,
    its children — one query."""
    above = [c for c in codes.ancestor_codes(code) if scope.has_capability(user, VIEW, c)]
    level = codes.level_of(code)
    wanted = Q(code__in=[*above, code])
    if level < codes.GRID:
        wanted |= Q(level=level + 1, code__startswith=code)
    rows = list(Region.objects.filter(wanted).order_by("code").values_list("code", "name", "level"))
    top = min((row[2] for row in rows), default=level)
    # Indented by depth (an ideographic space reads as one step in a <select>).
    return [(row[0], "\u3000" * (row[2] - top) + row[1]) for row in rows]


def _chosen(request: HttpRequest) -> tuple[str, forms.EvaluationFilterForm, queries.Period, int]:
    """The node, the bound filter form, the period (this month when the form's is
    invalid) and the status to answer with (422 for an invalid period)."""
    code = queries.resolve_node(request.user, request.GET.get("node"))
    queries.node_for(request.user, code)  # 404/403 before anything else is read
    data = request.GET.copy()
    data.setdefault("node", code)
    data.setdefault("period", "this_month")
    form = forms.EvaluationFilterForm(data, nodes=_nodes(request.user, code))
    period = queries.period_of("this_month")
    status = 200
    if form.is_valid():
        ok, found = run_action(
            form,
            lambda: queries.period_of(
                form.cleaned_data["period"] or "this_month",
                form.cleaned_data["start"],
                form.cleaned_data["end"],
            ),
        )
        if ok:
            period = found
        else:
            status = 422
    else:
        status = 422
    return code, form, period, status


# --- pages --------------------------------------------------------------------------------


def _chart_data(result: queries.Evaluation) -> dict[str, Any]:
    """What the page's charts draw (labels in the request's language)."""
    return {
        "unit": result.trend_unit,
        "trend": [
            {
                "start": p.start.isoformat(),
                "filed": p.counts["filed"],
                "closed": p.counts["closed"],
                "closure_rate": p.rates["closure_rate"],
                "on_time_closure_rate": p.rates["on_time_closure_rate"],
            }
            for p in result.trend
        ],
        "regions": [
            {
                "name": r.name,
                "closure_rate": r.rates["closure_rate"],
                "on_time_closure_rate": r.rates["on_time_closure_rate"],
                "score": r.score,
            }
            for r in result.regions
        ],
        "labels": {
            "filed": _("Filed (should close)"),
            "closed": _("Closed"),
            "closure_rate": _("Closure rate"),
            "on_time_closure_rate": _("On-time closure rate"),
            "score": _("Score"),
        },
    }


@login_required
@require_GET
@domain_errors
def evaluation_page(request: HttpRequest) -> HttpResponse:
    code, form, period, status = _chosen(request)
    result = queries.evaluate(
        request.user,
        code,
        period,
        supervisors_page=request.GET.get("page"),
        supervisors_page_size=SUPERVISORS_PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    drill = query.copy()
    drill.pop("node", None)
    return render(
        request,
        "cases/evaluation/page.html",
        {
            "result": result,
            "form": form,
            "charts": _chart_data(result),
            "query": query.urlencode(),
            "drill": drill.urlencode(),
            "region_columns": [c for c in RATE_COLUMNS if c[0] != "postponement_rate"],
            "supervisor_columns": SUPERVISOR_COLUMNS,
            "dispatcher_columns": DISPATCHER_COLUMNS,
            "can_edit_settings": queries.may_edit_settings(request.user),
            "crumbs": [(_("Evaluation"), "")],
        },
        status=status,
    )


# --- the export ---------------------------------------------------------------------------

RATE_COLUMNS = (
    ("closure_rate", gettext_lazy("Closure rate")),
    ("on_time_closure_rate", gettext_lazy("On-time closure rate")),
    ("on_time_disposal_rate", gettext_lazy("On-time disposal rate")),
    ("rework_rate", gettext_lazy("Rework rate")),
    ("postponement_rate", gettext_lazy("Postponement rate")),
    ("satisfaction_rate", gettext_lazy("Satisfaction rate")),
)
SUPERVISOR_COLUMNS = (
    ("valid_report_rate", gettext_lazy("Valid report rate")),
    ("missed_report_score", gettext_lazy("Missed-report score")),
    ("on_time_verification_rate", gettext_lazy("On-time verification rate")),
    ("on_time_check_rate", gettext_lazy("On-time check rate")),
)
DISPATCHER_COLUMNS = (
    ("on_time_dispatch_rate", gettext_lazy("On-time dispatch rate")),
    ("accurate_dispatch_rate", gettext_lazy("Accurate dispatch rate")),
)


def _percent(rate: float | None) -> float | None:
    return round(rate * 100, 2) if rate is not None else None


def _sheet(
    book: Workbook, title: str, first: str, rows: list[queries.Ranked], columns: Any
) -> None:
    sheet = book.create_sheet(title)
    headers = [
        _("Rank"),
        first,
        *[f"{label} (%)" for _key, label in columns],
        _("Score"),
        _("Grade"),
    ]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for item in rows:
        rates = [_percent(item.rates[key]) for key, _label in columns]
        sheet.append([item.rank, item.name, *rates, item.score, item.grade])


def workbook(result: queries.Evaluation) -> bytes:
    """The page's tables as an XLSX workbook, one sheet each, Chinese headers."""
    with translation.override("zh-hans"):
        book = Workbook()
        summary = book.active
        summary.title = _("Summary")
        summary.append([pgettext("region", "Area"), result.name, result.code])
        summary.append([_("Period"), result.period.start, result.period.end])
        summary.append([_("Should close"), result.should_close])
        summary.append([_("Closed"), result.counts["closed"]])
        summary.append([_("Closed on time"), result.counts["closed_on_time"]])
        for key, label in RATE_COLUMNS:
            summary.append([f"{label} (%)", _percent(result.rates[key])])
        summary.append([_("Score"), result.score, result.grade])
        _sheet(book, _("Regions"), pgettext("region", "Area"), result.regions, RATE_COLUMNS)
        _sheet(book, _("Departments"), _("Department"), result.departments, RATE_COLUMNS)
        supervisors = result.supervisors.items
        _sheet(book, _("Supervisors"), _("Supervisor"), supervisors, SUPERVISOR_COLUMNS)
        _sheet(book, _("Dispatchers"), _("Dispatcher"), result.dispatchers, DISPATCHER_COLUMNS)
        out = io.BytesIO()
        book.save(out)
    return out.getvalue()


@login_required
@require_GET
@domain_errors
def evaluation_export(request: HttpRequest) -> HttpResponse:
    code, _form, period, status = _chosen(request)
    if status != 200:
        # The page says what is wrong with the period.
        return redirect(f"{reverse('cases:evaluation')}?{request.GET.urlencode()}")
    # The whole supervisors' ranking, not one page of it.
    result = queries.evaluate(request.user, code, period, supervisors_page_size=None)
    name = f"evaluation-{code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    response = HttpResponse(workbook(result), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


# --- settings -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def settings_page(request: HttpRequest) -> HttpResponse:
    row = queries.settings_for(request.user)
    may_edit = queries.may_edit_settings(request.user)
    initial = {**actions.settings_values(row), "version": row.version}
    form = forms.SettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        queries.require_settings_editor(request.user)
        status = 422
        if form.is_valid():
            values = dict(form.cleaned_data)
            version = values.pop("version")
            try:
                actions.update_evaluation_settings(actor=request.user, version=version, **values)
            except (InvalidInput, Conflict) as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The evaluation settings were saved."))
                return redirect("cases:evaluation_settings")
    return render(
        request,
        "cases/evaluation/settings.html",
        {
            "form": form,
            "row": row,
            "may_edit": may_edit,
            "crumbs": [(_("Evaluation"), reverse("cases:evaluation")), (_("Settings"), "")],
        },
        status=status,
    )


# --- the region page's panel --------------------------------------------------------------


def region_panel(user: Any, region: Region) -> dict[str, Any] | None:
    """This year's headline rates of the region, for users who may evaluate it (roll-ups
    only)."""
    if not scope.has_capability(user, VIEW, region.code):
        return None
    period = queries.period_of("this_year", today=timezone.localdate())
    return {
        **queries.headline(user, region.code, period),
        "period": period,
        "url": f"{reverse('cases:evaluation')}?node={region.code}&period=this_year",
    }


def register_web() -> None:
    """Navigation, the region panel and the audit label (CasesConfig.ready)."""
    from gridgov.territory.panels import RegionPanel, register_region_panel
    from gridgov.web.context import NavItem, register_nav_item

    register_nav_item(
        NavItem(
            gettext_lazy("Evaluation"),
            "cases:evaluation",
            VIEW,
            gettext_lazy("Closure, on-time and satisfaction rates; scores and grades."),
            order=36,
        )
    )
    register_region_panel(
        RegionPanel("evaluation", "cases/evaluation/region_panel.html", region_panel, order=45)
    )


urlpatterns: list[URLPattern] = [
    path("evaluation/", evaluation_page, name="evaluation"),
    path("evaluation/export.xlsx", evaluation_export, name="evaluation_export"),
    path("evaluation/settings/", settings_page, name="evaluation_settings"),
]
