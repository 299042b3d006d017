"""Pages of the population registry: thin views over ``queries`` and ``actions``.

Each page parses a form, calls one query or action and renders. Scope and permission are
decided there: outside the user's scope a person, household or building is a 404 exactly
like one that does not exist; inside it without the capability, a 403. Numbers are shown
masked; ``person_reveal`` is the one page that shows a full number, once, audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.db.models import Case, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import scope
from gridgov.accounts.viewutils import act, domain_errors, form_status
from gridgov.core.errors import NotFound
from gridgov.core.paging import paginate
from gridgov.registry import (
    actions,
    columns,
    completeness,
    exports,
    forms,
    importers,
    queries,
    shaping,
    spreadsheets,
)
from gridgov.registry.models import CareTag, Household, Person, TagStatus
from gridgov.territory import codes
from gridgov.territory import queries as territory_queries
from gridgov.territory.models import Region
from gridgov.web.downloads import file_response
from gridgov.web.imports import ImportPages

PAGE_SIZE = 30
EDIT = actions.EDIT
REVEAL = actions.REVEAL
VIEW = queries.VIEW
AGGREGATE = queries.AGGREGATE
IMPORT = importers.IMPORT
EXPORT = exports.EXPORT


# --- people -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def person_list(request: HttpRequest) -> HttpResponse:
    """Search and filters by GET; an exact ID or phone number search by POST (the number
    must not appear in the address), answering its few rows on one page."""
    scope.require(request.user, VIEW)
    filters = forms.PersonFilterForm(request.GET or None)
    numbers = forms.NumberSearchForm(request.POST if request.method == "POST" else None)
    criteria = numbers.criteria() if numbers.is_bound else filters.criteria()
    if numbers.is_bound and not criteria:
        people: Any = []
    else:
        people = shaping.people_list(request.user, **criteria)
    page_number = request.GET.get("page") if not numbers.is_bound else 1
    return render(
        request,
        "registry/person_list.html",
        {
            "filters": filters,
            # The number searched for is not written back into the page.
            "numbers": numbers if numbers.errors else forms.NumberSearchForm(),
            "numbers_open": numbers.is_bound,
            "page": paginate(people, page_number, PAGE_SIZE),
            "searched": any(criteria.values()) or numbers.is_bound,
            "can_edit": scope.has_capability(request.user, EDIT),
        },
        status=422 if numbers.is_bound and numbers.errors else 200,
    )


def _person_initial(request: HttpRequest) -> dict[str, Any]:
    """A new person's form prefilled from ``?household=`` or ``?grid=``."""
    household_id = request.GET.get("household", "")
    if household_id.isdigit():
        household = queries.get_household_for(request.user, household_id)
        return {"household_id": household.pk, "address": household.address}
    grid = request.GET.get("grid", "")
    return {"grid_code": grid} if grid.isdigit() and len(grid) == 15 else {}


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def person_create(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, EDIT)
    form = forms.PersonForm(request.POST or None, initial=_person_initial(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        ok, person, status = act(
            form, lambda: actions.create_person(actor=request.user, **form.changes())
        )
        if ok:
            messages.success(request, _("%(name)s was registered.") % {"name": person.name})
            return redirect("registry:person_detail", person.pk)
    return render(
        request,
        "registry/person_form.html",
        {"form": form, "person": None},
        status=form_status(form, status),
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = queries.get_person_for(request.user, person_id)
    scope.require(request.user, EDIT, person.grid_code)
    initial = {name: getattr(person, name) for name in forms.PersonForm.prefilled()}
    form = forms.PersonForm(
        request.POST or None, initial={**initial, "version": person.version}, editing=True
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        ok, _person, status = act(
            form,
            lambda: actions.update_person(
                person.pk,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                **form.changes(initial),
            ),
        )
        if ok:
            messages.success(request, _("Changes saved."))
            return redirect("registry:person_detail", person.pk)
    return render(
        request,
        "registry/person_form.html",
        {"form": form, "person": person},
        status=form_status(form, status),
    )


def _person_page(
    request: HttpRequest,
    person: Person,
    *,
    status: int = 200,
    revealed: dict[str, str] | None = None,
    bound: dict[str, django_forms.Form] | None = None,
) -> HttpResponse:
    """The person page with its forms; a form with errors is passed in to be shown as is."""
    user = request.user
    today = dt.date.today()
    bound = bound or {}
    tags = list(person.care_tags.select_related("confirmed_by").order_by("status", "kind"))
    context = {
        "person": person,
        "tags": [t for t in tags if t.status != TagStatus.ENDED],
        "ended_tags": [t for t in tags if t.status == TagStatus.ENDED],
        "movements": list(person.movements.select_related("recorded_by")),
        "household": person.household,
        "can_edit": scope.has_capability(user, EDIT, person.grid_code),
        "can_reveal": scope.has_capability(user, REVEAL, person.grid_code),
        "revealed": revealed or {},
        "status_form": bound.get("status_form")
        or forms.StatusForm(initial={"status": person.status, "date": today}),
        "tag_form": bound.get("tag_form") or forms.CareTagForm(initial={"start_date": today}),
        "movement_form": bound.get("movement_form") or forms.MovementForm(initial={"date": today}),
    }
    response = render(request, "registry/person_detail.html", context, status=status)
    if revealed:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
@domain_errors
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    return _person_page(request, queries.get_person_for(request.user, person_id))


def _person_post(
    request: HttpRequest,
    person_id: int,
    form_name: str,
    form: django_forms.Form,
    call: Callable[[Person], Any],
    success: str,
) -> HttpResponse:
    """Shared path of the small forms on the person page: validate, act, redirect back
    with a message, or show the page again with the form's errors."""
    person = queries.get_person_for(request.user, person_id)
    status = 422
    if form.is_valid():
        ok, _result, status = act(form, lambda: call(person))
        if ok:
            messages.success(request, success)
            return redirect("registry:person_detail", person.pk)
    return _person_page(request, person, status=status, bound={form_name: form})


@login_required
@require_POST
@domain_errors
def person_status(request: HttpRequest, person_id: int) -> HttpResponse:
    form = forms.StatusForm(request.POST)
    return _person_post(
        request,
        person_id,
        "status_form",
        form,
        lambda person: actions.record_status(
            person.pk,
            actor=request.user,
            status=form.cleaned_data["status"],
            date=form.cleaned_data["date"],
        ),
        _("Status recorded."),
    )


@login_required
@require_POST
@domain_errors
def person_tag_add(request: HttpRequest, person_id: int) -> HttpResponse:
    form = forms.CareTagForm(request.POST)
    return _person_post(
        request,
        person_id,
        "tag_form",
        form,
        lambda person: actions.add_care_tag(
            person.pk,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            attributes=form.attributes(),
            care_contact_name=form.cleaned_data["care_contact_name"],
            care_contact_phone=form.cleaned_data["care_contact_phone"],
            start_date=form.cleaned_data["start_date"],
        ),
        _("Care group added."),
    )


@login_required
@require_POST
@domain_errors
def person_movement(request: HttpRequest, person_id: int) -> HttpResponse:
    form = forms.MovementForm(request.POST)
    return _person_post(
        request,
        person_id,
        "movement_form",
        form,
        lambda person: actions.record_movement(person.pk, actor=request.user, **form.cleaned_data),
        _("Movement recorded."),
    )


@never_cache
@login_required
@require_POST
@domain_errors
def person_reveal(request: HttpRequest, person_id: int) -> HttpResponse:
    """Show one full number once (rendered, never stored or redirected), audited."""
    person = queries.get_person_for(request.user, person_id)
    form = forms.RevealForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, status=422)
    field = form.cleaned_data["field"]
    value = actions.reveal_number(person.pk, actor=request.user, field=field)
    return _person_page(request, person, revealed={field: value})


def _back_to_tag_list(request: HttpRequest, tag: CareTag) -> HttpResponse:
    """After confirming or ending a tag: back where the button was (the proposals list
    sends ``next``), else the person's page."""
    wanted = request.POST.get("next", "")
    if wanted == "proposals":
        return redirect(f"{reverse('registry:proposal_list')}?grid={tag.grid_code}")
    return redirect("registry:person_detail", tag.person_id)


def _tag_post(
    request: HttpRequest,
    tag_id: int,
    form: django_forms.Form,
    call: Callable[[CareTag], Any],
    success: str,
) -> HttpResponse:
    """Confirm or end a tag, then back to the page the button was on, with a message."""
    tag = queries.get_care_tag_for(request.user, tag_id)
    if form.is_valid():
        ok, _result, _status = act(form, lambda: call(tag))
        if ok:
            messages.success(request, success)
            return _back_to_tag_list(request, tag)
    messages.error(request, _errors_text(form))
    return _back_to_tag_list(request, tag)


def _errors_text(form: django_forms.Form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        text = " ".join(str(error) for error in errors)
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)


@login_required
@require_POST
@domain_errors
def tag_confirm(request: HttpRequest, tag_id: int) -> HttpResponse:
    return _tag_post(
        request,
        tag_id,
        forms.VersionForm(request.POST),
        lambda tag: actions.confirm_care_tag(tag.pk, actor=request.user),
        _("Confirmed."),
    )


@login_required
@require_POST
@domain_errors
def tag_end(request: HttpRequest, tag_id: int) -> HttpResponse:
    form = forms.EndTagForm(request.POST)
    return _tag_post(
        request,
        tag_id,
        form,
        lambda tag: actions.end_care_tag(
            tag.pk, actor=request.user, end_date=form.cleaned_data["end_date"]
        ),
        _("Ended."),
    )


# --- households ---------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def household_list(request: HttpRequest) -> HttpResponse:
    return _address_list(request, shaping.households_counted, "registry/household_list.html")


def _address_list(
    request: HttpRequest, visible: Callable[[Any], QuerySet], template: str
) -> HttpResponse:
    """The household or building list: the same filters and order as the API's."""
    scope.require(request.user, VIEW)
    filters = forms.AddressFilterForm(request.GET or None)
    rows = shaping.address_list(visible(request.user), request.user, **filters.criteria())
    page = paginate(rows, request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        template,
        {"filters": filters, "page": page, "can_edit": scope.has_capability(request.user, EDIT)},
    )


def _household_initial(request: HttpRequest) -> dict[str, Any]:
    building_id = request.GET.get("building", "")
    if building_id.isdigit():
        building = queries.get_building_for(request.user, building_id)
        return {"building_id": building.pk, "address": building.address}
    return {}


def _building_initial(request: HttpRequest) -> dict[str, Any]:
    return {"grid_code": request.GET.get("grid", "")}


def _located_form_page(
    request: HttpRequest,
    pk: int | None,
    *,
    get: Callable[[Any, Any], Any],
    form_class: type[forms.LocatedForm],
    template: str,
    create: Callable[..., Any],
    update: Callable[..., Any],
    detail: str,
    list_name: str,
    created: str,
    initial: Callable[[HttpRequest], dict[str, Any]],
) -> HttpResponse:
    """Create (``pk`` None) or edit a building or household: one form, one action."""
    obj = None
    if pk is None:
        scope.require(request.user, EDIT)
        current, form_initial = None, initial(request)
    else:
        obj = get(request.user, pk)
        scope.require(request.user, EDIT, obj.grid_code)
        current = {name: getattr(obj, name) for name in form_class.field_order or ()}
        form_initial = {**current, "version": obj.version}
    form = form_class(request.POST or None, initial=form_initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        if obj is None:
            call = lambda: create(actor=request.user, **form.changes())  # noqa: E731
        else:
            call = lambda: update(  # noqa: E731
                obj.pk,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                **form.changes(current),
            )
        ok, saved, status = act(form, call)
        if ok:
            messages.success(request, created if obj is None else _("Changes saved."))
            return redirect(detail, saved.pk)
    cancel_url = reverse(detail, args=[obj.pk]) if obj is not None else reverse(list_name)
    context = {"form": form, "obj": obj, "cancel_url": cancel_url}
    return render(request, template, context, status=form_status(form, status))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def household_form(request: HttpRequest, household_id: int | None = None) -> HttpResponse:
    return _located_form_page(
        request,
        household_id,
        get=queries.get_household_for,
        form_class=forms.HouseholdForm,
        template="registry/household_form.html",
        create=actions.create_household,
        update=actions.update_household,
        detail="registry:household_detail",
        list_name="registry:household_list",
        created=_("Household registered."),
        initial=_household_initial,
    )


def _household_page(
    request: HttpRequest, household: Household, *, status: int = 200, head_form: Any = None
) -> HttpResponse:
    members = list(
        queries.visible_people(request.user)
        .filter(household=household)
        .order_by(
            Case(When(pk=household.head_id, then=Value(0)), default=Value(1)), "birth_date", "pk"
        )
    )
    context = {
        "household": household,
        "members": members,
        "can_edit": scope.has_capability(request.user, EDIT, household.grid_code),
        "head_form": head_form
        or forms.SetHeadForm(members=members, initial={"person_id": household.head_id}),
    }
    return render(request, "registry/household_detail.html", context, status=status)


@login_required
@require_GET
@domain_errors
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    return _household_page(request, queries.get_household_for(request.user, household_id))


@login_required
@require_POST
@domain_errors
def household_head(request: HttpRequest, household_id: int) -> HttpResponse:
    household = queries.get_household_for(request.user, household_id)
    members = queries.visible_people(request.user).filter(household=household)
    form = forms.SetHeadForm(request.POST, members=members)
    status = 422
    if form.is_valid():
        ok, _result, status = act(
            form,
            lambda: actions.set_household_head(
                household.pk, form.cleaned_data["person_id"], actor=request.user
            ),
        )
        if ok:
            messages.success(request, _("Head of household set."))
            return redirect("registry:household_detail", household.pk)
    return _household_page(request, household, status=status, head_form=form)


# --- buildings ----------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def building_list(request: HttpRequest) -> HttpResponse:
    return _address_list(request, shaping.buildings_counted, "registry/building_list.html")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def building_form(request: HttpRequest, building_id: int | None = None) -> HttpResponse:
    return _located_form_page(
        request,
        building_id,
        get=queries.get_building_for,
        form_class=forms.BuildingForm,
        template="registry/building_form.html",
        create=actions.create_building,
        update=actions.update_building,
        detail="registry:building_detail",
        list_name="registry:building_list",
        created=_("Building registered."),
        initial=_building_initial,
    )


@login_required
@require_GET
@domain_errors
def building_detail(request: HttpRequest, building_id: int) -> HttpResponse:
    building = queries.get_building_for(request.user, building_id)
    households = shaping.households_in(request.user, building)
    return render(
        request,
        "registry/building_detail.html",
        {
            "building": building,
            "households": list(households),
            "can_edit": scope.has_capability(request.user, EDIT, building.grid_code),
        },
    )


# --- arrivals and proposals ---------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def arrivals(request: HttpRequest) -> HttpResponse:
    """Recent arrivals (and moves in) per grid, for the grid worker's round."""
    scope.require(request.user, VIEW)
    filters = forms.ArrivalsFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    grid = data.get("grid") or shaping.home_prefix(request.user, VIEW)
    days = data.get("days") or 30
    page = None
    if grid:
        rows = queries.recent_arrivals(request.user, grid, days).order_by("-date", "-pk")
        page = paginate(rows, request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "registry/arrivals.html",
        {
            "filters": filters,
            "page": page,
            "grid": grid,
            "days": days,
            "my_grids": shaping.own_grid_codes(request.user),
        },
    )


@login_required
@require_GET
@domain_errors
def proposal_list(request: HttpRequest) -> HttpResponse:
    """Tags the system proposed (elderly living alone) waiting for the grid worker."""
    scope.require(request.user, VIEW)
    filters = forms.ProposedTagFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    tags = queries.visible_care_tags(request.user).filter(status=TagStatus.PROPOSED)
    if data.get("grid"):
        tags = tags.filter(grid_code__startswith=data["grid"])
    tags = shaping.mine_first(
        tags.select_related("person"), request.user, "grid_code", "person__name", "pk"
    )
    page = paginate(tags, request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "registry/proposal_list.html",
        {
            "filters": filters,
            "page": page,
            "today": dt.date.today(),
            "min_age": actions.elderly_alone_age(),
            "can_edit": scope.has_capability(request.user, EDIT),
        },
    )


@login_required
@require_POST
@domain_errors
def propose_elderly(request: HttpRequest) -> HttpResponse:
    form = forms.ProposeForm(request.POST)
    if not form.is_valid():
        raise NotFound()
    code = form.cleaned_data["code"]
    ok, count, _status = act(form, lambda: actions.propose_elderly_alone(code, actor=request.user))
    if ok:
        messages.success(
            request,
            _("%(count)d people proposed as elderly living alone; confirm or reject each below.")
            % {"count": count},
        )
    else:
        messages.error(request, _errors_text(form))
    return redirect(f"{reverse('registry:proposal_list')}?grid={code}")


# --- completeness -------------------------------------------------------------------------


@login_required
@require_GET
def completeness_home(request: HttpRequest) -> HttpResponse:
    """Where the completeness pages start: the user's one area, or a choice of them."""
    roots = [
        r
        for r in territory_queries.scope_roots(request.user)
        if scope.has_capability(request.user, AGGREGATE, r.code)
    ]
    if not roots:
        raise HttpForbidden(_("Your roles do not include the population registry."))
    if len(roots) == 1:
        return redirect("registry:completeness", roots[0].code)
    return render(request, "registry/completeness_roots.html", {"roots": roots})


@login_required
@require_GET
@domain_errors
def completeness_page(request: HttpRequest, code: str) -> HttpResponse:
    """A region's completeness: the score of each child (table and map) and, for a grid
    the user may open people in, the list of gaps to fix."""
    user = request.user
    summary = queries.completeness_for(user, code)
    region = territory_queries.get_region_for(user, code, with_geometry=False)
    children = []
    if not region.is_grid:
        by_child = dict(queries.completeness_by_child(user, code))
        children = [
            {"code": child, "name": name, "summary": by_child.get(child)}
            for child, name in territory_queries.children(region).values_list("code", "name")
        ]
    can_view_people = scope.has_capability(user, VIEW, code)
    context = {
        "region": region,
        "summary": summary,
        "labels": completeness.LABELS,
        "children": children,
        "gaps": shaping.gap_sections(user, code) if region.is_grid and can_view_people else None,
        "can_view_people": can_view_people,
        "can_edit": scope.has_capability(user, EDIT, code) and region.level >= codes.COMMUNITY,
        "crumbs": _completeness_crumbs(user, region),
        "map_url": reverse("api:registry_completeness_geojson", args=[code]),
    }
    return render(request, "registry/completeness.html", context)


def _completeness_crumbs(user: Any, region: Region) -> list[tuple[str, str | None]]:
    crumbs: list[tuple[str, str | None]] = []
    for item in territory_queries.path_for(user, region):
        visible = scope.has_capability(user, AGGREGATE, item.code)
        crumbs.append(
            (item.name, reverse("registry:completeness", args=[item.code]) if visible else None)
        )
    crumbs.append((region.name, None))
    return crumbs


# --- the region page's panel --------------------------------------------------------------


def region_panel(user: Any, region: Region) -> dict[str, Any] | None:
    """Population figures and the completeness score on a territory region page, for
    users with registry.aggregate there — read from the roll-up tables only."""
    if not scope.has_capability(user, AGGREGATE, region.code):
        return None
    figures = queries.population_figures(user, region.code)
    return {
        "figures": figures,
        "groups": shaping.figure_groups(figures),
        "completeness": queries.completeness_for(user, region.code),
        "completeness_url": reverse("registry:completeness", args=[region.code]),
        "people_url": (
            f"{reverse('registry:person_list')}?grid={region.code}"
            if scope.has_capability(user, VIEW, region.code)
            else None
        ),
    }


# --- imports and exports ------------------------------------------------------------------


def _import_form(data: Any = None, files: Any = None) -> forms.ImportForm:
    return forms.ImportForm(data, files, fields=columns.FIELDS)


IMPORTS = ImportPages("people", IMPORT, "registry:import_detail", "registry:import_report")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def import_list(request: HttpRequest) -> HttpResponse:
    """Upload a file (it runs as a background job) and the user's earlier imports."""
    form = _import_form(request.POST or None, request.FILES or None)
    return IMPORTS.upload(request, form, "registry/import_list.html")


@login_required
@require_GET
@domain_errors
def import_template(request: HttpRequest, fmt: str) -> HttpResponseBase:
    scope.require(request.user, IMPORT)
    return file_response(spreadsheets.template(fmt), f"people-template.{fmt}", fmt)


import_detail = IMPORTS.detail_view("registry/import_detail.html")
import_report = IMPORTS.report_view()


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def export(request: HttpRequest) -> HttpResponseBase:
    """Export the people of a region: masked unless the user ticks reveal and may."""
    scope.require(request.user, EXPORT)
    form = forms.ExportForm(
        request.POST or None, initial={"code": shaping.home_prefix(request.user, EXPORT)}
    )
    if not scope.has_capability(request.user, REVEAL):
        del form.fields["reveal"]  # masked is all this user can have
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, content, status = act(
            form,
            lambda: exports.export_people(
                request.user, data["code"], data["format"], reveal=data.get("reveal", False)
            ),
        )
        if ok:
            filename = exports.export_filename(data["code"], data["format"])
            return file_response(content, filename, data["format"])
    return render(
        request,
        "registry/export.html",
        {"form": form},
        status=form_status(form, status),
    )
