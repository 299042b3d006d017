"""Daily grid report pages (日报).

- ``reports_home``: where the navigation leads — a grid worker's grids with today's
  report (straight to it with one grid), staff to the overview;
- ``grid_report`` (mobile-first): a grid's report of a day with its figures, confirmed
  as a zero report or as a report with an optional note (``grid_report_confirm``); the
  worker's first look assembles it when the scheduled job has not;
- ``grid_history``: the grid's reports, newest first;
- ``overview``: a node's reports of a day — per child node confirmed, zero, late and
  missing, drill-down to the grids with their workers (staff), a date picker, and the
  CSV/XLSX export (``overview_export``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
)
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts import scope
from gridgov.accounts.viewutils import domain_errors
from gridgov.core.errors import InvalidInput, PermissionDenied
from gridgov.core.paging import paginate
from gridgov.epidemic import figures as names
from gridgov.epidemic import rules
from gridgov.epidemic.actions import reports as actions
from gridgov.epidemic.capabilities import AGGREGATE, REPORT
from gridgov.epidemic.forms import reports as forms
from gridgov.epidemic.models import ReportStatus
from gridgov.epidemic.queries import reports as queries
from gridgov.epidemic.views.common import attempt, form_status, page
from gridgov.registry.spreadsheets import check_format, csv_lines, write_xlsx
from gridgov.territory import codes
from gridgov.territory import queries as territory_queries
from gridgov.territory.models import Region
from gridgov.web.downloads import file_response
from gridgov.web.tabs import Tab, TabRow, may

PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 30


def _reads_figures(user: Any) -> bool:
    return queries.may(user, queries.FIGURE_READERS)


# The tabs of the report and dashboard pages.
report_tabs = TabRow(
    Tab("mine", gettext_lazy("Today's report"), "epidemic:reports", may(REPORT)),
    Tab("overview", gettext_lazy("Reports overview"), "epidemic:reports_overview", _reads_figures),
    Tab("dashboard", gettext_lazy("Dashboard"), "epidemic:dashboard", _reads_figures),
)


def crumbs(user: Any, region: Region, url_name: str, query: str = "") -> list[Any]:
    """Breadcrumbs up to ``region``: each ancestor the user may read links to its page."""
    found: list[tuple[str, str | None]] = []
    for item in territory_queries.path_for(user, region):
        readable = queries.may(user, queries.FIGURE_READERS, item.code)
        link = f"{reverse(url_name)}?code={item.code}{query}" if readable else None
        found.append((item.name, link))
    found.append((region.name, None))
    return found


# --- the grid worker's pages ----------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def reports_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not scope.has_capability(user, REPORT):
        if queries.may(user, queries.FIGURE_READERS):
            return redirect("epidemic:reports_overview")
        raise PermissionDenied()
    grids = queries.reporting_grids(user)
    if len(grids) == 1:
        return redirect("epidemic:grid_report", grids[0])
    if not grids and queries.may(user, queries.FIGURE_READERS):
        return redirect("epidemic:reports_overview")  # an operator: no grid of their own
    today = rules.today()
    reports = queries.reports_of(grids, today)
    region_names = dict(Region.objects.filter(code__in=grids).values_list("code", "name"))
    overdue = queries.overdue(today)
    rows = [
        {
            "code": grid,
            "name": region_names.get(grid, grid),
            "report": reports.get(grid),
            "state": queries.state_label(reports.get(grid), overdue),
        }
        for grid in grids
    ]
    return page(
        request,
        "reports/home.html",
        {
            "rows": rows,
            "today": today,
            "deadline": queries.deadline(today),
            "overdue": overdue,
            "tabs": report_tabs(user, "mine"),
        },
    )


def _grid_context(
    request: HttpRequest, grid_code: str, day: dt.date, form: forms.ConfirmForm | None = None
) -> dict[str, Any]:
    user = request.user
    region = queries.get_grid_for(user, grid_code)
    can_confirm = queries.may_confirm(user, grid_code, day)
    if can_confirm:
        report = actions.ensure_report(grid_code, day, actor=user)
    else:
        report = queries.report_for(user, grid_code, day)
    if report.status != ReportStatus.CONFIRMED and report.pk is not None:
        # A waiting report is shown as it would be confirmed now: with today's figures.
        live = queries.live_report(grid_code, day)
        report.figures, report.is_zero = live.figures, live.is_zero
    body = report.figures or queries.empty_figures()
    summary = queries.summary_of(report)
    return {
        "region": region,
        "report": report,
        "day": day,
        "is_today": day == rules.today(),
        "summary": summary,
        "groups": figure_groups(summary),
        "others": names.other_lines(body.get("day", {}), body.get("current", {})),
        "alarms": [
            (names.measure_label(m), v) for m, v in names.alarms(body.get("day", {})).items()
        ],
        "deadline": queries.deadline(day),
        "overdue": queries.overdue(day),
        "state": queries.state_label(report, queries.overdue(day)),
        "can_confirm": can_confirm,
        "form": form or forms.ConfirmForm(initial={"note": report.note}),
        "tabs": report_tabs(user, "mine"),
        "crumbs": crumbs(user, region, "epidemic:reports_overview", f"&date={day.isoformat()}"),
    }


def figure_groups(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary's figures in their groups, leaving out groups with nothing in them
    (a concern with no data yet shows nothing rather than a row of zeros)."""
    shown = []
    for label, keys in names.FIGURE_GROUPS:
        items = [(key, names.FIGURE_LABELS[key], summary.get(key) or 0) for key in keys]
        if any(value for _key, _text, value in items):
            shown.append({"label": label, "items": items})
    return shown


@login_required
@require_GET
@domain_errors
def grid_report(request: HttpRequest, grid_code: str) -> HttpResponse:
    day = forms.DayForm(request.GET or None).day()
    return page(request, "reports/grid.html", _grid_context(request, grid_code, day))


@login_required
@require_POST
@domain_errors
def grid_report_confirm(request: HttpRequest, grid_code: str) -> HttpResponse:
    user = request.user
    queries.get_grid_for(user, grid_code)
    scope.require(user, REPORT, grid_code)
    form = forms.ConfirmForm(request.POST)
    status = 422
    day = rules.today()
    if form.is_valid():
        day = form.cleaned_data["date"]
        confirmed, status = attempt(
            form,
            lambda: actions.confirm_report(
                grid_code,
                day,
                actor=user,
                zero=form.cleaned_data["zero"],
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        if confirmed is not None:
            done = _("Zero report confirmed.") if confirmed.is_zero else _("Report confirmed.")
            if confirmed.late:
                done += " " + _("It is marked late: the deadline had passed.")
            messages.success(request, done)
            url = reverse("epidemic:grid_report", args=[grid_code])
            return redirect(f"{url}?date={day.isoformat()}")
    elif form.cleaned_data.get("date"):
        day = form.cleaned_data["date"]
    if not queries.confirmable(day):
        day = rules.today()
    context = _grid_context(request, grid_code, day, form)
    return page(request, "reports/grid.html", context, status=form_status(form, status))


@login_required
@require_GET
@domain_errors
def grid_history(request: HttpRequest, grid_code: str) -> HttpResponse:
    user = request.user
    region = queries.get_grid_for(user, grid_code)
    filters = forms.HistoryFilterForm(request.GET or None)
    status = forms.valid_data(filters).get("status") or ""
    rows = queries.history(user, grid_code, status)
    return page(
        request,
        "reports/history.html",
        {
            "region": region,
            "filters": filters,
            "page": paginate(rows, request.GET.get("page"), HISTORY_PAGE_SIZE),
            "tabs": report_tabs(user, "mine"),
            "crumbs": crumbs(user, region, "epidemic:reports_overview"),
        },
    )


# --- the overview ---------------------------------------------------------------------------


def _node(request: HttpRequest, form: forms.NodeForm) -> str | None:
    """The node a page is about: the one asked for, else the user's own (None: they
    must choose among several)."""
    if form.bad_code():
        raise Http404()
    return forms.valid_data(form).get("code") or queries.default_code(request.user)


def choose_node(request: HttpRequest, url_name: str, current: str) -> HttpResponse:
    """A user with figures over several areas picks one."""
    roots = queries.figure_roots(request.user)
    if not roots:
        raise PermissionDenied()
    regions = Region.objects.filter(code__in=roots).order_by("code").only("code", "name", "level")
    return page(
        request,
        "reports/choose.html",
        {"regions": regions, "url_name": url_name, "tabs": report_tabs(request.user, current)},
    )


@login_required
@require_GET
@domain_errors
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = forms.bound(forms.OverviewFilterForm, request.GET, date=rules.today().isoformat())
    code = _node(request, filters)
    if code is None:
        return choose_node(request, "epidemic:reports_overview", "overview")
    day = filters.day()
    found = queries.overview(user, code, day)
    # Below a community the children are grids: list them all; above, the missing ones.
    chosen = filters.value("status") or ("" if found.region.level >= codes.COMMUNITY else "missing")
    result = paginate(
        queries.grid_rows(user, code, day, chosen), request.GET.get("page"), PAGE_SIZE
    )
    people = queries.may_see_people(user, code)
    result.items = queries.with_reports(result.items, day, people=people, late=found.overdue)
    query = f"&date={day.isoformat()}"
    return page(
        request,
        "reports/overview.html",
        {
            "found": found,
            "region": found.region,
            "day": day,
            "filters": filters,
            "grids": {"page": result, "status": chosen},
            "people": people,
            "child_level": codes.LEVEL_LABELS.get(found.region.level + 1, ""),
            "show_children": found.region.level < codes.COMMUNITY,
            "export_query": f"code={code}{query}",
            "tabs": report_tabs(user, "overview"),
            "crumbs": crumbs(user, found.region, "epidemic:reports_overview", query),
        },
    )


@login_required
@require_GET
@domain_errors
def overview_export(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    filters = forms.OverviewFilterForm(request.GET or None)
    code = _node(request, filters)
    if code is None:
        raise Http404()
    try:
        fmt = check_format(request.GET.get("format") or "xlsx")
    except InvalidInput as exc:
        return HttpResponseBadRequest(exc.message)
    day = filters.day()
    headers, rows = queries.export_table(user, code, day)
    filename = f"daily-reports-{code}-{day.isoformat()}.{fmt}"
    if fmt == "csv":
        return file_response(csv_lines(headers, rows), filename, fmt)
    sheet = _("Daily reports %(day)s") % {"day": day.isoformat()}
    return file_response(write_xlsx([(sheet[:31], headers, rows)]), filename, fmt)


urlpatterns: list[URLPattern] = [
    path("reports/", reports_home, name="reports"),
    path("reports/overview/", overview, name="reports_overview"),
    path("reports/overview/export/", overview_export, name="reports_export"),
    path("reports/grids/<str:grid_code>/", grid_report, name="grid_report"),
    path("reports/grids/<str:grid_code>/confirm/", grid_report_confirm, name="grid_report_confirm"),
    path("reports/grids/<str:grid_code>/history/", grid_history, name="grid_report_history"),
]


def register_web() -> None:
    from gridgov.audit import labels
    from gridgov.epidemic.sections import register_section
    from gridgov.web.context import NavItem

    register_section(
        NavItem(
            gettext_lazy("Daily reports"),
            "epidemic:reports",
            AGGREGATE,
            gettext_lazy(
                "Each grid's daily report, zero reports and the grids that did not report."
            ),
            order=60,
        )
    )
    labels.register(
        {
            "epidemic.report.assemble": pgettext_lazy("audit action", "Daily reports assembled"),
            "epidemic.report.confirm": pgettext_lazy("audit action", "Daily report confirmed"),
            "epidemic.report.amend": pgettext_lazy("audit action", "Daily report amended"),
            "epidemic.report.flag_missing": pgettext_lazy(
                "audit action", "Missing daily reports flagged"
            ),
        }
    )
