"""Screening pages (排查): campaigns (list, new, change while draft, progress per child
region down to grids with a chart, start / close / cancel, the imported list), the grid
worker's door-to-door list and the record form (mobile first), screening without a
campaign from a person, and the records (list, one record, XLSX export).

Each page parses a form, calls one query or action and renders; scope and permission are
decided there (outside the scope 404, inside without the capability 403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import scope
from gridgov.accounts.viewutils import domain_errors
from gridgov.core.errors import DomainError, NotFound, PermissionDenied
from gridgov.core.paging import paginate
from gridgov.epidemic import places, rules
from gridgov.epidemic.actions import screening as actions
from gridgov.epidemic.capabilities import AGGREGATE, CAMPAIGN, EXPORT, SCREEN, VIEW
from gridgov.epidemic.forms import screening as forms
from gridgov.epidemic.models import CampaignStatus, CampaignTarget, Measure, TaskStatus
from gridgov.epidemic.queries import declarations as people_queries
from gridgov.epidemic.queries import screening as queries
from gridgov.epidemic.views.common import ConcernPages, attempt, form_status
from gridgov.registry.models import CareKind
from gridgov.registry.shaping import own_grid_codes
from gridgov.territory.models import Region
from gridgov.web.downloads import file_response
from gridgov.web.tabs import Tab, TabRow, may

PAGE_SIZE = 30
TASK_PAGE_SIZE = 40
HISTORY = 5  # earlier screenings shown beside the form


_page = ConcernPages(
    "screening",
    TabRow(
        Tab(
            "tasks",
            pgettext_lazy("screening", "Door to door"),
            "epidemic:screening_tasks",
            may(SCREEN, VIEW),
        ),
        Tab("campaigns", gettext_lazy("Campaigns"), "epidemic:screening_campaigns"),
        Tab("records", gettext_lazy("Records"), "epidemic:screening_records", may(VIEW)),
    ),
)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The navigation entry: a grid worker's door-to-door list, everyone else's campaigns."""
    if own_grid_codes(request.user) and scope.has_capability(request.user, SCREEN):
        return redirect("epidemic:screening_tasks")
    return redirect("epidemic:screening_campaigns")


# --- campaigns ----------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def campaign_list(request: HttpRequest) -> HttpResponse:
    filters = forms.CampaignFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    campaigns = queries.search_campaigns(
        request.user,
        q=data.get("q") or "",
        status=data.get("status") or "",
        code=data.get("code") or "",
    )
    result = paginate(campaigns, request.GET.get("page"), PAGE_SIZE)
    figures = queries.list_figures(request.user, result.items)
    for campaign in result.items:
        actions.labelled(campaign).figures = figures.get(campaign.pk)
    return _page(
        request,
        "campaign_list.html",
        "campaigns",
        {
            "filters": filters,
            "page": result,
            "can_create": scope.has_capability(request.user, CAMPAIGN),
        },
    )


def _regions(user: Any) -> list[tuple[str, str]]:
    """The nodes the user runs campaigns over, with their names (the form's choices)."""
    held = [c for c in scope.scope_codes(user, CAMPAIGN) if c]
    names = dict(Region.objects.filter(code__in=held).values_list("code", "name"))
    return [(code, f"{names.get(code, code)} ({code})") for code in held]


def _form_page(
    request: HttpRequest, form: forms.CampaignForm, campaign: Any, status: int
) -> HttpResponse:
    return _page(
        request,
        "campaign_form.html",
        "campaigns",
        {"form": form, "campaign": campaign},
        status=form_status(form, status),
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def campaign_create(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, CAMPAIGN)
    regions = _regions(request.user)
    initial = {"starts_on": rules.today(), "target": CampaignTarget.EVERYONE}
    if regions:
        initial["region_code"] = regions[0][0]
    form = forms.CampaignForm(request.POST or None, regions=regions, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        campaign, status = attempt(
            form, lambda: actions.create_campaign(actor=request.user, **form.changes())
        )
        if campaign is not None:
            messages.success(request, _("The campaign was created as a draft."))
            return redirect("epidemic:screening_campaign", campaign.pk)
    return _form_page(request, form, None, status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = queries.get_campaign_for(request.user, campaign_id)
    _require_manager(request.user, campaign)
    initial = {f: getattr(campaign, f) for f in actions.CAMPAIGN_FIELDS}
    form = forms.CampaignForm(
        request.POST or None,
        regions=_regions(request.user),
        initial={**initial, "version": campaign.version},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        changed, status = attempt(
            form,
            lambda: actions.update_campaign(
                campaign.pk,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                **form.changes(),
            ),
        )
        if changed is not None:
            messages.success(request, _("Changes saved."))
            return redirect("epidemic:screening_campaign", campaign.pk)
    return _form_page(request, form, campaign, status)


def _require_manager(user: Any, campaign: Any) -> None:
    scope.require(user, CAMPAIGN)
    if not scope.has_capability(user, CAMPAIGN, campaign.region_code):
        raise PermissionDenied()


def _charts(progress: queries.Progress, trend: list[dict[str, Any]]) -> dict[str, Any]:
    """What the charts draw (static/epidemic/screening.js), from the page's own figures."""
    return {
        "labels": {
            "done": _("Screened"),
            "unreachable": _("Not found at home"),
            "not_visited": _("Not visited yet"),
            "total": _("Screened in all"),
            "day": _("Screened that day"),
            "tasks": _("People to screen"),
        },
        "tasks": progress.node.tasks,
        "trend": [{**day, "date": day["date"].isoformat()} for day in trend],
        "children": [child.as_dict() for child in progress.children],
    }


def _detail(
    request: HttpRequest,
    campaign: Any,
    *,
    upload: forms.ListUploadForm | None = None,
    report: Any = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    can_manage = scope.has_capability(user, CAMPAIGN, campaign.region_code)
    context: dict[str, Any] = {
        "campaign": actions.labelled(campaign),
        "can_manage": can_manage,
        "can_view": scope.has_capability(user, VIEW),
        "region": Region.objects.filter(code=campaign.region_code).only("code", "name").first(),
        "report": report,
        "care_label": CareKind(campaign.care_kind).label
        if campaign.care_kind in CareKind.values
        else campaign.care_kind,
    }
    if campaign.status == CampaignStatus.DRAFT:
        if campaign.target == CampaignTarget.IMPORTED:
            context["listed"] = campaign.tasks.count()
            context["upload"] = upload or forms.ListUploadForm(
                initial={"version": campaign.version}
            )
        if can_manage:
            context["targeted"] = queries.campaign_targets(campaign, user).count()
    elif scope.has_capability(user, AGGREGATE):
        found = queries.progress(user, campaign, request.GET.get("code", ""))
        trend = queries.trend(campaign, found.node.code)
        context |= {"progress": found, "charts": _charts(found, trend)}
    return _page(request, "campaign_detail.html", "campaigns", context, status=status)


@login_required
@require_GET
@domain_errors
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _detail(request, queries.get_campaign_for(request.user, campaign_id))


def _move(action: Callable[..., Any], done: Any) -> Callable[..., HttpResponse]:
    """A POST that starts, closes or cancels a campaign at the version the page showed."""

    @login_required
    @require_POST
    @domain_errors
    def move(request: HttpRequest, campaign_id: int) -> HttpResponse:
        campaign = queries.get_campaign_for(request.user, campaign_id)
        _require_manager(request.user, campaign)
        try:
            action(campaign.pk, actor=request.user, expected_version=request.POST.get("version"))
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:  # a stale page, or nobody to screen: said on the page
            messages.error(request, exc.message)
            fresh = queries.get_campaign_for(request.user, campaign.pk)
            return _detail(request, fresh, status=exc.status)
        messages.success(request, str(done))
        return redirect("epidemic:screening_campaign", campaign.pk)

    return move


campaign_start = _move(actions.start_campaign, gettext_lazy("The campaign has started."))
campaign_close = _move(actions.close_campaign, gettext_lazy("The campaign was closed."))
campaign_cancel = _move(actions.cancel_campaign, gettext_lazy("The campaign was cancelled."))


@login_required
@require_POST
@domain_errors
def campaign_upload(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Add the people of a file to a draft's list; the report is shown on the page."""
    campaign = queries.get_campaign_for(request.user, campaign_id)
    _require_manager(request.user, campaign)
    form = forms.ListUploadForm(request.POST, request.FILES)
    status = 422
    report = None
    if form.is_valid():
        data = form.cleaned_data
        report, status = attempt(
            form,
            lambda: actions.import_campaign_list_upload(
                campaign.pk,
                data["file"],
                actor=request.user,
                expected_version=data.get("version"),
                policy="all_or_nothing" if data.get("all_or_nothing") else "skip_invalid",
            ),
        )
        if report is not None:
            campaign = queries.get_campaign_for(request.user, campaign.pk)
            form = forms.ListUploadForm(initial={"version": campaign.version})
    return _detail(request, campaign, upload=form, report=report, status=status)


# --- the door-to-door list ----------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def task_list(request: HttpRequest) -> HttpResponse:
    """A grid worker's own list by default; ``?grid=`` (any node) for the staff above."""
    user = request.user
    grid = (request.GET.get("grid") or "").strip()
    mine = not grid and bool(own_grid_codes(user)) and scope.has_capability(user, SCREEN)
    campaign_id = _int(request.GET.get("campaign"))
    campaign = queries.get_campaign_for(user, campaign_id) if campaign_id else None
    filters = forms.TaskFilterForm(request.GET or None)
    tasks = queries.task_list(
        user, mine=mine, grid=grid, campaign_id=campaign_id, **filters.criteria()
    )
    figures = None
    if scope.has_capability(user, AGGREGATE, grid or None):
        figures = queries.figures_for(
            user,
            grids=own_grid_codes(user) if mine else None,
            prefix=grid,
            campaign_id=campaign_id,
        )
    return _page(
        request,
        "task_list.html",
        "tasks",
        {
            "filters": filters,
            "page": _labelled_page(paginate(tasks, request.GET.get("page"), TASK_PAGE_SIZE)),
            "mine": mine,
            "grid": grid,
            "campaign": campaign,
            "figures": figures,
            "max_attempts": actions.MAX_ATTEMPTS,
        },
    )


def _labelled_page(result: Any) -> Any:
    for row in result.items:
        actions.labelled(row)
    return result


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def _labelled(records: Any) -> list[Any]:
    """Records with the labels of their unclear points (``point_labels``)."""
    rows = list(records)
    for row in rows:
        row.point_labels = [actions.POINT_LABELS.get(p, p) for p in row.unclear_points]
    return rows


def _history(user: Any, person_id: int) -> list[Any]:
    return _labelled(queries.search_records(user, person_id=person_id)[:HISTORY])


def _task_page(
    request: HttpRequest,
    task: Any,
    *,
    form: forms.RecordForm | None = None,
    away: forms.UnreachableForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    can_screen = (
        scope.has_capability(user, SCREEN, task.grid_code)
        and task.campaign.status == CampaignStatus.ACTIVE
        and task.status != TaskStatus.CANCELLED
    )
    return _page(
        request,
        "task_detail.html",
        "tasks",
        {
            "task": actions.labelled(task),
            "person": task.person,
            "household": task.person.household,
            "can_screen": can_screen,
            "can_mark": can_screen
            and task.status != TaskStatus.DONE
            and task.attempts < actions.MAX_ATTEMPTS,
            "form": form or forms.RecordForm(initial={"version": task.version}),
            "away": away or forms.UnreachableForm(initial={"version": task.version}),
            "history": _history(user, task.person_id),
            "max_attempts": actions.MAX_ATTEMPTS,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    """A task's person (masked, from the registry) and the screening form."""
    task = queries.get_task_for(request.user, task_id)
    if request.method == "GET":
        return _task_page(request, task)
    scope.require(request.user, SCREEN, task.grid_code)
    form = forms.RecordForm(request.POST)
    status = 422
    if form.is_valid():
        saved, status = attempt(
            form,
            lambda: actions.record_screening(
                actor=request.user,
                task_id=task.pk,
                expected_version=form.cleaned_data.get("version"),
                **form.answers(),
            ),
        )
        if saved is not None:
            messages.success(request, _("%(name)s was screened.") % {"name": task.person.name})
            return redirect(_back_to_list(task))
    return _task_page(request, task, form=form, status=status)


def _back_to_list(task: Any) -> str:
    return reverse("epidemic:screening_tasks") + f"?campaign={task.campaign_id}#task-{task.pk}"


@login_required
@require_POST
@domain_errors
def task_unreachable(request: HttpRequest, task_id: int) -> HttpResponse:
    task = queries.get_task_for(request.user, task_id)
    scope.require(request.user, SCREEN, task.grid_code)
    form = forms.UnreachableForm(request.POST)
    status = 422
    if form.is_valid():
        marked, status = attempt(
            form,
            lambda: actions.mark_unreachable(
                task.pk,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                note=form.cleaned_data.get("note") or "",
            ),
        )
        if marked is not None:
            messages.success(
                request,
                _("Nobody at home at %(name)s's (%(n)d of %(max)d).")
                % {"name": task.person.name, "n": marked.attempts, "max": actions.MAX_ATTEMPTS},
            )
            return redirect(_back_to_list(task))
    return _task_page(request, task, away=form, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def person_screen(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's screenings, and a screening without a campaign."""
    user = request.user
    person = people_queries.get_person_for(user, person_id)
    can_screen = scope.has_capability(user, SCREEN, person.grid_code)
    form = forms.RecordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        scope.require(user, SCREEN, person.grid_code)
        status = 422
        if form.is_valid():
            saved, status = attempt(
                form,
                lambda: actions.record_screening(actor=user, person_id=person.pk, **form.answers()),
            )
            if saved is not None:
                messages.success(request, _("%(name)s was screened.") % {"name": person.name})
                return redirect("epidemic:screening_person", person.pk)
    return _page(
        request,
        "person.html",
        "records",
        {
            "person": person,
            "household": person.household,
            "can_screen": can_screen,
            "form": form,
            "task": queries.open_task_for(user, person.pk),
            "history": _history(user, person.pk),
        },
        status=form_status(form, status),
    )


# --- records ------------------------------------------------------------------------------


def _campaign_choices(user: Any) -> list[tuple[int, str]]:
    started = queries.visible_campaigns(user).exclude(status=CampaignStatus.DRAFT)
    return list(started.order_by("-created_at", "-pk").values_list("pk", "name")[:50])


@login_required
@require_GET
@domain_errors
def record_list(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, VIEW)
    filters = forms.RecordFilterForm(request.GET or None, campaigns=_campaign_choices(request.user))
    records = queries.search_records(request.user, **filters.criteria())
    query = request.GET.copy()
    query.pop("page", None)
    result = paginate(records, request.GET.get("page"), PAGE_SIZE)
    result.items = _labelled(result.items)
    return _page(
        request,
        "record_list.html",
        "records",
        {
            "filters": filters,
            "page": result,
            "can_export": scope.has_capability(request.user, EXPORT),
            "export_query": query.urlencode(),
        },
    )


@login_required
@require_GET
@domain_errors
def record_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    row = _labelled([queries.get_record_for(request.user, record_id)])[0]
    return _page(
        request,
        "record_detail.html",
        "records",
        {
            "record": row,
            "person": row.person,
            "origin_name": places.division_name(row.origin_code) if row.origin_code else "",
            "measure_labels": [Measure(m).label for m in row.measures if m in Measure.values],
        },
    )


@login_required
@require_GET
@domain_errors
def record_export(request: HttpRequest) -> HttpResponseBase:
    """The records of the list's filters as XLSX, masked (epidemic.export)."""
    scope.require(request.user, EXPORT)
    filters = forms.RecordFilterForm(request.GET or None, campaigns=_campaign_choices(request.user))
    content = actions.export_records(request.user, **filters.criteria())
    return file_response(content, f"screening-{rules.today().isoformat()}.xlsx", "xlsx")


urlpatterns: list[URLPattern] = [
    path("screening/", home, name="screening_home"),
    path("screening/campaigns/", campaign_list, name="screening_campaigns"),
    path("screening/campaigns/new/", campaign_create, name="screening_campaign_create"),
    path("screening/campaigns/<int:campaign_id>/", campaign_detail, name="screening_campaign"),
    path(
        "screening/campaigns/<int:campaign_id>/edit/",
        campaign_edit,
        name="screening_campaign_edit",
    ),
    path(
        "screening/campaigns/<int:campaign_id>/start/",
        campaign_start,
        name="screening_campaign_start",
    ),
    path(
        "screening/campaigns/<int:campaign_id>/close/",
        campaign_close,
        name="screening_campaign_close",
    ),
    path(
        "screening/campaigns/<int:campaign_id>/cancel/",
        campaign_cancel,
        name="screening_campaign_cancel",
    ),
    path(
        "screening/campaigns/<int:campaign_id>/list/",
        campaign_upload,
        name="screening_campaign_upload",
    ),
    path("screening/tasks/", task_list, name="screening_tasks"),
    path("screening/tasks/<int:task_id>/", task_detail, name="screening_task"),
    path(
        "screening/tasks/<int:task_id>/unreachable/",
        task_unreachable,
        name="screening_task_unreachable",
    ),
    path("screening/people/<int:person_id>/", person_screen, name="screening_person"),
    path("screening/records/", record_list, name="screening_records"),
    path("screening/records/export/", record_export, name="screening_records_export"),
    path("screening/records/<int:record_id>/", record_detail, name="screening_record"),
]


def register_web() -> None:
    from gridgov.audit import labels
    from gridgov.epidemic.sections import register_section
    from gridgov.web.context import NavItem

    register_section(
        NavItem(
            gettext_lazy("Screening"),
            "epidemic:screening_home",
            AGGREGATE,
            gettext_lazy("Door-to-door screening campaigns and their progress."),
            order=30,
        )
    )
    labels.register(
        {
            "epidemic.screening.campaign.create": pgettext_lazy(
                "audit action", "Screening campaign created"
            ),
            "epidemic.screening.campaign.change": pgettext_lazy(
                "audit action", "Screening campaign changed"
            ),
            "epidemic.screening.campaign.import": pgettext_lazy(
                "audit action", "Screening list imported"
            ),
            "epidemic.screening.campaign.start": pgettext_lazy(
                "audit action", "Screening campaign started"
            ),
            "epidemic.screening.campaign.close": pgettext_lazy(
                "audit action", "Screening campaign closed"
            ),
            "epidemic.screening.campaign.cancel": pgettext_lazy(
                "audit action", "Screening campaign cancelled"
            ),
            "epidemic.screening.record": pgettext_lazy("audit action", "Person screened"),
            "epidemic.screening.unreachable": pgettext_lazy(
                "audit action", "Nobody at home for screening"
            ),
            "epidemic.screening.export": pgettext_lazy(
                "audit action", "Screening records exported"
            ),
        }
    )
