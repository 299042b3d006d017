"""The epidemic dashboard page (疫情看板): a node's figures of a day, a 14- or 30-day
trend, a map of its children coloured by a chosen measure and the children's table —
all from roll-ups (``queries.dashboard``). Clicking a child on the map or in the table
opens its board, down to a unit grid. Leaders see the same figures as staff and no
people; staff also get links to the grid's report and declarations."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from gridgov.accounts import scope
from gridgov.accounts.viewutils import domain_errors
from gridgov.epidemic import figures as names
from gridgov.epidemic import rules
from gridgov.epidemic.capabilities import AGGREGATE, DECLARE, REPORT
from gridgov.epidemic.forms.dashboard import DashboardForm
from gridgov.epidemic.forms.reports import bound
from gridgov.epidemic.models import Situation
from gridgov.epidemic.queries import dashboard as queries
from gridgov.epidemic.views.common import page
from gridgov.epidemic.views.reports import choose_node, crumbs, figure_groups, report_tabs
from gridgov.territory import codes
from gridgov.web.context import url_or_none

# The key figures at the top of the board: (key, label, the figure it is "of", alarm?).
KEY_FIGURES: tuple[tuple[str, Any, str, bool], ...] = (
    ("declared", gettext_lazy("Declared today"), "people", False),
    ("abnormal", gettext_lazy("Abnormal"), "", True),
    ("code_yellow", gettext_lazy("Yellow codes"), "", True),
    ("code_red", gettext_lazy("Red codes"), "", True),
    ("isolated", gettext_lazy("In isolation"), "", False),
    ("follow_ups_missed", gettext_lazy("Follow-ups missed"), "", True),
    ("screening_done", gettext_lazy("Screened"), "screening_tasks", False),
    ("cases_open", pgettext_lazy("epidemic", "Open cases"), "", True),
    ("reports_missing", gettext_lazy("Reports missing"), "grids", True),
    ("notices_reached", gettext_lazy("Notices reached"), "notices_recipients", False),
)


def _chart_data(board: queries.Board) -> dict[str, Any]:
    labels = {
        "declared": _("People declared"),
        "abnormal": _("Abnormal"),
        "codes_changed": _("Codes turned yellow or red"),
        "cases_new": _("New cases"),
        "isolation_started": _("Isolations started"),
        "follow_ups_missed": _("Follow-ups missed"),
        "reports_missing": _("Reports missing"),
    }
    return {
        "labels": labels,
        "points": [
            {"date": p["date"].isoformat(), **{key: p[key] for key in labels}} for p in board.trend
        ],
    }


def _key_figures(figures: dict[str, Any], overdue: bool) -> list[dict[str, Any]]:
    """The key figures; before the report deadline unconfirmed reports are only waiting."""
    shown = []
    for key, label, of, alarm in KEY_FIGURES:
        waiting = key == "reports_missing" and not overdue
        shown.append(
            {
                "key": key,
                "label": gettext_lazy("Reports waiting") if waiting else label,
                "value": figures.get(key) or 0,
                "of": figures.get(of) if of else None,
                "alarm": alarm and not waiting and bool(figures.get(key)),
            }
        )
    return shown


def _grid_links(user: Any, code: str) -> list[tuple[str, str]]:
    """Staff's ways from a grid's board to its people: the report and the declarations."""
    links = []
    if scope.has_capability(user, REPORT, code) or queries.may_open_people(user, code):
        links.append((_("The grid's daily report"), reverse("epidemic:grid_report", args=[code])))
    sheet = url_or_none("epidemic:sheet", code)
    if sheet and scope.has_capability(user, DECLARE, code):
        links.append((_("Declarations of the grid"), sheet))
    return links


@login_required
@require_GET
@domain_errors
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = bound(
        DashboardForm,
        request.GET,
        date=rules.today().isoformat(),
        days=str(queries.DEFAULT_DAYS),
        measure=queries.DEFAULT_MEASURE,
    )
    if form.bad_code():
        raise Http404()
    chosen = form.choices()
    code = chosen["code"] or queries.default_code(user)
    if code is None:
        return choose_node(request, "epidemic:dashboard", "dashboard")
    board = queries.dashboard(user, code, chosen["day"], chosen["days"])
    measure = chosen["measure"]
    day = chosen["day"].isoformat()
    map_url = reverse("api:epidemic_dashboard_map")
    return page(
        request,
        "dashboard/board.html",
        {
            "board": board,
            "region": board.region,
            "form": form,
            "measure": measure,
            "measures": queries.MAP_MEASURES,
            "key_figures": _key_figures(board.figures, board.overdue),
            "groups": figure_groups(board.figures),
            "situations": [(s.value, s.label, board.situations.get(s.value, 0)) for s in Situation],
            "chart": _chart_data(board),
            "map_url": f"{map_url}?code={board.region.code}&date={day}&measure={measure.key}",
            "child_level": codes.LEVEL_LABELS.get(board.region.level + 1, ""),
            "board_query": f"&date={day}&days={board.days}&measure={measure.key}",
            "grid_links": _grid_links(user, board.region.code) if board.is_grid else [],
            "reports_url": f"{reverse('epidemic:reports_overview')}?code={board.region.code}"
            f"&date={day}",
            "tabs": report_tabs(user, "dashboard"),
            "crumbs": crumbs(user, board.region, "epidemic:dashboard", f"&date={day}"),
            "others": names.other_lines(board.day_measures, board.current_measures),
        },
    )


urlpatterns: list[URLPattern] = [path("dashboard/", dashboard, name="dashboard")]


def register_web() -> None:
    from gridgov.epidemic.sections import register_section
    from gridgov.web.context import NavItem

    register_section(
        NavItem(
            gettext_lazy("Epidemic dashboard"),
            "epidemic:dashboard",
            AGGREGATE,
            gettext_lazy("Declarations, codes, isolation, screening and reports at every level."),
            order=10,
        )
    )
