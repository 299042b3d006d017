"""Pages of the component inventory: thin views over ``queries.components`` and
``actions.components``.

Outside the user's ``components.view`` scope a component is a 404 exactly like one that
does not exist; inside it, changing needs ``components.edit`` over its grid (403). A
refused form is shown again with its errors (422, or 409 when someone saved first).
Imports run as background jobs of the registry's job runner (kind "components").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
)
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, re_path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import scope
from gridgov.accounts.viewutils import act, domain_errors, form_status
from gridgov.cases.actions import components as actions
from gridgov.cases.exports import components as exports
from gridgov.cases.forms import components as forms
from gridgov.cases.importers import components as importers
from gridgov.cases.models import Attachment, Component, ComponentState
from gridgov.cases.queries import components as queries
from gridgov.core.paging import paginate
from gridgov.registry import jobs
from gridgov.territory import codes
from gridgov.territory.models import Region
from gridgov.web.downloads import file_response
from gridgov.web.imports import ImportPages
from gridgov.web.tabs import Tab, TabRow, may

PAGE_SIZE = 30
VIEW = queries.VIEW
EDIT = actions.EDIT
KIND = importers.JOB_KIND


# --- helpers ------------------------------------------------------------------------------


def _api(name: str, *args: Any) -> str:
    return reverse(f"api:{name}", args=args or None)


def map_urls(code: str, *, class_code: str = "", state: str = "") -> dict[str, str]:
    """What a components map draws: the node's children (or the grid itself) as areas,
    the node as outline, the located components in use as the overlay."""
    level = codes.level_of(code)
    query = {"code": code}
    if class_code:
        query["class_code"] = class_code
    if state:
        query["state"] = state
    areas = "territory_boundary_geojson" if level == codes.GRID else "territory_children_geojson"
    return {
        "geojson_url": _api(areas, code),
        "outline_url": _api("territory_boundary_geojson", code),
        "overlay_url": f"{_api('cases_components_geojson')}?{urlencode(query)}",
    }


def _home_code(user: Any) -> str:
    """The one territory node the user's components.view reaches, or "" (several)."""
    prefixes = [p for p in scope.scope_codes(user, VIEW) if p]
    return prefixes[0] if len(prefixes) == 1 else ""


# The component pages' sections: the inventory, its imports (for editors), export.
_tabs: TabRow = TabRow(
    Tab("list", gettext_lazy("Inventory"), "cases:component_list"),
    Tab("imports", gettext_lazy("Import"), "cases:component_import_list", may(EDIT)),
    Tab("export", gettext_lazy("Export"), "cases:component_export"),
)


def _without_page(request: HttpRequest) -> str:
    """The list's query string without its page number (for links keeping the filters)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- list ---------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def component_list(request: HttpRequest) -> HttpResponse:
    """Search, filters, the counts per state of what matches, a page of rows and — for
    one territory node with few enough located components — the map."""
    user = request.user
    scope.require(user, VIEW)
    filters = forms.ComponentFilterForm(request.GET or None)
    criteria = filters.criteria()
    rows = queries.component_list(user, **criteria)
    page = paginate(rows, request.GET.get("page"), PAGE_SIZE)
    counts = queries.state_counts(rows)
    code = criteria["code"] or _home_code(user)
    map_context = None
    if code and criteria["retired"] is False and sum(counts.values()) <= queries.MAP_LIMIT:
        map_context = map_urls(code, class_code=criteria["class_code"], state=criteria["state"])
    return render(
        request,
        "cases/components/list.html",
        {
            "filters": filters,
            "page": page,
            "counts": [(ComponentState(s).label, s, n) for s, n in counts.items()],
            "tones": queries.STATE_TONES,
            "map": map_context,
            "map_code": code,
            "can_edit": scope.has_capability(user, EDIT),
            "export_query": _without_page(request),
            "tabs": _tabs(user, "list"),
        },
    )


# --- one component ------------------------------------------------------------------------


def _detail_context(request: HttpRequest, component: Component) -> dict[str, Any]:
    user = request.user
    photos = list(queries.photos(component)[:6])
    return {
        "component": component,
        "photos": photos,
        "cases": list(queries.cases_about(user, component)[:20]),
        "can_edit": scope.has_capability(user, EDIT, component.grid_code),
        "tone": queries.STATE_TONES.get(component.state, ""),
        "map": map_urls(component.grid_code) if component.lon is not None else None,
        "state_form": forms.StateForm(
            initial={"state": component.state, "version": component.version}
        ),
        "retire_form": forms.RetireForm(initial={"version": component.version}),
        "photo_form": forms.PhotoForm(),
    }


def _detail_page(
    request: HttpRequest, component: Component, status: int = 200, **forms_: Any
) -> HttpResponse:
    context = _detail_context(request, component)
    context.update(forms_)
    return render(request, "cases/components/detail.html", context, status=status)


@login_required
@require_GET
@domain_errors
def component_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, queries.get_component_for(request.user, pk))


def _editable(request: HttpRequest, pk: int) -> Component:
    component = queries.get_component_for(request.user, pk)
    scope.require(request.user, EDIT, component.grid_code)
    return component


def _form_values(component: Component) -> dict[str, Any]:
    return {name: getattr(component, name) for name in (*forms.DESCRIPTIVE, *forms.LOCATION)}


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def component_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Register a component (``pk`` None) or edit one: one form, one action."""
    component = None
    if pk is None:
        scope.require(request.user, EDIT)
        initial: dict[str, Any] = {"grid_code": request.GET.get("grid", "")[:15]}
    else:
        component = _editable(request, pk)
        current = _form_values(component)
        initial = {**current, "version": component.version}
    form = forms.ComponentForm(request.POST or None, initial=initial, editing=component is not None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if component is None:
            call = lambda: actions.create_component(actor=request.user, **form.changes())  # noqa: E731
        else:
            call = lambda: actions.update_component(  # noqa: E731
                component.pk,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                **form.changes(current),
            )
        ok, saved, status = act(form, call)
        if ok:
            if component is None:
                messages.success(
                    request,
                    _("Component %(id)s registered.") % {"id": saved.component_id},
                )
            else:
                messages.success(request, _("Changes saved."))
            return redirect("cases:component_detail", saved.pk)
    return render(
        request,
        "cases/components/form.html",
        {"form": form, "component": component},
        status=form_status(form, status),
    )


def _post_on_detail(
    request: HttpRequest,
    pk: int,
    form_class: type[django_forms.Form],
    form_name: str,
    call: Callable[[Component, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """A form posted from the detail page: the action, then back to the page; a refusal
    shows the page again with the form's errors."""
    component = _editable(request, pk)
    form = form_class(request.POST, request.FILES or None)
    status = 200
    if form.is_valid():
        ok, _result, status = act(form, lambda: call(component, form.cleaned_data))
        if ok:
            messages.success(request, done)
            return redirect("cases:component_detail", component.pk)
    component = queries.get_component_for(request.user, pk)
    return _detail_page(request, component, form_status(form, status), **{form_name: form})


@login_required
@require_POST
@domain_errors
def component_state(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_on_detail(
        request,
        pk,
        forms.StateForm,
        "state_form",
        lambda c, data: actions.change_component_state(
            c.pk,
            actor=request.user,
            state=data["state"],
            changed_on=data["changed_on"],
            note=data["note"],
            expected_version=data["version"],
        ),
        _("State recorded."),
    )


@login_required
@require_POST
@domain_errors
def component_retire(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_on_detail(
        request,
        pk,
        forms.RetireForm,
        "retire_form",
        lambda c, data: actions.retire_component(
            c.pk, actor=request.user, reason=data["reason"], expected_version=data["version"]
        ),
        _("Component retired; it stays on record with its cases and photos."),
    )


@login_required
@require_POST
@domain_errors
def component_restore(request: HttpRequest, pk: int) -> HttpResponse:
    version = request.POST.get("version", "")
    expected = int(version) if version.isdigit() else None
    return _post_on_detail(
        request,
        pk,
        django_forms.Form,
        "restore_form",
        lambda c, _data: actions.restore_component(
            c.pk, actor=request.user, expected_version=expected
        ),
        _("Component restored to the inventory."),
    )


@login_required
@require_POST
@domain_errors
def component_photo(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_on_detail(
        request,
        pk,
        forms.PhotoForm,
        "photo_form",
        lambda c, data: actions.attach_component_photo(c.pk, data["photo"], actor=request.user),
        _("Photo added."),
    )


@login_required
@require_GET
@domain_errors
def component_photo_file(
    request: HttpRequest, pk: int, attachment_id: int, thumbnail: bool = False
) -> HttpResponseBase:
    """A photo of a component the user may see (the files are served by nothing else)."""
    from gridgov.cases.attachments import open_stored

    component = queries.get_component_for(request.user, pk)
    try:
        photo = queries.photos(component).get(pk=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404() from None
    handle, content_type = open_stored(photo, thumbnail=thumbnail)
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- imports and exports ------------------------------------------------------------------


IMPORTS = ImportPages(KIND, EDIT, "cases:component_import_detail", "cases:component_import_report")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def import_list(request: HttpRequest) -> HttpResponse:
    """Upload a file (it runs as a background job) and the user's earlier imports."""
    form = forms.ComponentImportForm(request.POST or None, request.FILES or None)
    tabs = _tabs(request.user, "imports")
    return IMPORTS.upload(request, form, "cases/components/import_list.html", tabs=tabs)


import_detail = IMPORTS.detail_view(
    "cases/components/import_detail.html",
    lambda request: {
        "done_url": reverse("cases:component_list"),
        "done_label": _("Open the inventory"),
    },
)
import_report = IMPORTS.report_view()


@login_required
@require_GET
@domain_errors
def import_template(request: HttpRequest, fmt: str) -> HttpResponseBase:
    scope.require(request.user, EDIT)
    return file_response(exports.template(fmt), f"components-template.{fmt}", fmt)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def export(request: HttpRequest) -> HttpResponseBase:
    """The components of a region in CSV, XLSX or GeoJSON (prefilled from the list's
    filters)."""
    scope.require(request.user, VIEW)
    initial = {"code": request.GET.get("code") or _home_code(request.user), "format": "xlsx"}
    initial |= {k: request.GET[k] for k in ("class_code", "state") if request.GET.get(k)}
    form = forms.ComponentExportForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, content, status = act(
            form,
            lambda: exports.export_components(
                request.user,
                data["code"],
                data["format"],
                class_code=data["class_code"],
                state=data["state"],
            ),
        )
        if ok:
            name = exports.export_filename(data["code"], data["format"])
            return file_response(content, name, data["format"])
    context = {"form": form, "tabs": _tabs(request.user, "export")}
    return render(
        request, "cases/components/export.html", context, status=form_status(form, status)
    )


# --- the region page's panel and navigation -----------------------------------------------


def region_panel(user: Any, region: Region) -> dict[str, Any] | None:
    """Components of a territory region page: counts per state and class, and the map
    layer when few enough are located there — for users with components.view there."""
    if not scope.has_capability(user, VIEW, region.code):
        return None
    counts = queries.component_counts(user, region.code)
    return {
        "counts": counts,
        "states": [
            (ComponentState(s).label, s, n, queries.STATE_TONES[s])
            for s, n in counts["by_state"].items()
        ],
        "list_url": f"{reverse('cases:component_list')}?{urlencode({'code': region.code})}",
        "map": map_urls(region.code) if 0 < counts["total"] <= queries.MAP_LIMIT else None,
    }


def register_web() -> None:
    """Navigation, the region pages' panel and the import job kind (CasesConfig.ready)."""
    from gridgov.territory.panels import RegionPanel, register_region_panel
    from gridgov.web.context import NavItem, register_nav_item

    register_nav_item(
        NavItem(
            gettext_lazy("Components"),
            "cases:component_list",
            VIEW,
            gettext_lazy("The inventory of public facilities: manhole covers, lamps, bins…"),
            order=32,
        )
    )
    register_region_panel(
        RegionPanel("components", "cases/components/region_panel.html", region_panel, order=40)
    )
    jobs.register_kind(KIND, EDIT, "gridgov.cases.importers.components:import_components")


urlpatterns: list[URLPattern] = [
    path("components/", component_list, name="component_list"),
    path("components/new/", component_form, name="component_create"),
    path("components/imports/", import_list, name="component_import_list"),
    re_path(
        r"^components/imports/template\.(?P<fmt>xlsx|csv)$",
        import_template,
        name="component_import_template",
    ),
    path("components/imports/<int:job_id>/", import_detail, name="component_import_detail"),
    path(
        "components/imports/<int:job_id>/report.xlsx",
        import_report,
        name="component_import_report",
    ),
    path("components/export/", export, name="component_export"),
    path("components/<int:pk>/", component_detail, name="component_detail"),
    path("components/<int:pk>/edit/", component_form, name="component_edit"),
    path("components/<int:pk>/state/", component_state, name="component_state"),
    path("components/<int:pk>/retire/", component_retire, name="component_retire"),
    path("components/<int:pk>/restore/", component_restore, name="component_restore"),
    path("components/<int:pk>/photos/", component_photo, name="component_photo"),
    path(
        "components/<int:pk>/photos/<int:attachment_id>/",
        component_photo_file,
        name="component_photo_file",
    ),
    path(
        "components/<int:pk>/photos/<int:attachment_id>/thumbnail/",
        component_photo_file,
        {"thumbnail": True},
        name="component_photo_thumbnail",
    ),
]
