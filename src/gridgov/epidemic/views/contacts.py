"""Infection cases, close contacts and community situations.

``case_list`` (``epidemic.view``) lists the cases in scope; ``case_new`` finds a person
in scope and records their case (``epidemic.isolate``); ``case_detail`` shows a case with
its first- and second-degree contacts and, for those who may, the forms that change it
and add a contact (``contact_add``: find the person, then say whom they were exposed
to). Contact lists leave as files for the health authority (``case_export``,
``contacts_export``: ``epidemic.export``) and arrive as files (``contacts_import``).
``situations`` shows each community's situation on a day with a map
(``epidemic.aggregate``), ``situation_history`` one community's days.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import scope
from gridgov.accounts.viewutils import domain_errors
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.core.paging import paginate
from gridgov.epidemic import rules
from gridgov.epidemic.actions import contacts as actions
from gridgov.epidemic.actions import contacts_files as files
from gridgov.epidemic.capabilities import AGGREGATE, EXPORT, ISOLATE, VIEW
from gridgov.epidemic.forms import contacts as forms
from gridgov.epidemic.models import CaseStatus, Situation
from gridgov.epidemic.queries import contacts as queries
from gridgov.epidemic.views.common import ConcernPages, attempt, form_status
from gridgov.territory.models import Region
from gridgov.web.downloads import file_response
from gridgov.web.tabs import Tab, TabRow, may

PAGE_SIZE = 30


_page = ConcernPages(
    "contacts",
    TabRow(
        Tab("cases", pgettext_lazy("epidemic", "Cases"), "epidemic:case_list", may(VIEW)),
        Tab(
            "situations",
            gettext_lazy("Community situations"),
            "epidemic:situations",
            may(AGGREGATE),
        ),
        Tab("import", gettext_lazy("Import contacts"), "epidemic:contacts_import", may(ISOLATE)),
        Tab("export", gettext_lazy("Export contacts"), "epidemic:contacts_export", may(EXPORT)),
    ),
)


# --- cases --------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def case_list(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, VIEW)
    filters = forms.CaseFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    cases = queries.search_cases(
        request.user,
        code=data.get("code") or "",
        kind=data.get("kind") or "",
        status=data.get("status") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        q=data.get("q") or "",
    )
    return _page(
        request,
        "case_list.html",
        "cases",
        {
            "filters": filters,
            "page": paginate(cases, request.GET.get("page"), PAGE_SIZE),
            "can_record": scope.has_capability(request.user, ISOLATE),
        },
    )


def _found(request: HttpRequest, capability: str = ISOLATE) -> dict[str, Any]:
    """The person search of a form page: the search form and the people it finds."""
    search = forms.PersonSearchForm(request.GET or None)
    text = search.cleaned_data.get("find", "") if search.is_valid() else ""
    return {"search": search, "found": list(queries.find_people(request.user, text, capability))}


def _chosen(request: HttpRequest, value: Any, capability: str = ISOLATE) -> Any:
    """The person chosen on a form page (``?person=``), if the user may act on them."""
    if value in (None, ""):
        return None
    return queries.get_person_for(request.user, value, capability)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def case_new(request: HttpRequest) -> HttpResponse:
    """Find the person, then record their case."""
    scope.require(request.user, ISOLATE)
    chosen = _chosen(request, request.POST.get("person_id") or request.GET.get("person"))
    form = forms.CaseForm(
        request.POST or None,
        initial={"person_id": getattr(chosen, "pk", None), "reported_on": rules.today()},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        case, status = attempt(
            form, lambda: actions.record_infection_case(actor=request.user, **form.changes())
        )
        if case is not None:
            messages.success(
                request,
                _("%(name)s was recorded as a %(kind)s.")
                % {"name": chosen.name, "kind": case.get_kind_display()},
            )
            return redirect("epidemic:case_detail", case.pk)
    context = {"form": form, "person": chosen, **({} if chosen else _found(request))}
    return _page(request, "case_new.html", "cases", context, status=form_status(form, status))


def _change_form(case: Any, data: Any = None) -> forms.CaseChangeForm:
    known = "yes" if case.source_known else "no"
    initial = {
        "kind": case.kind,
        "status": case.status,
        "reported_on": case.reported_on,
        "source_known": known,
        "source_note": case.source_note,
        "version": case.version,
    }
    return forms.CaseChangeForm(data, initial=initial)


def _detail(
    request: HttpRequest, case: Any, form: forms.CaseChangeForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    return _page(
        request,
        "case_detail.html",
        "cases",
        {
            "case": case,
            "person": case.person,
            "tree": queries.contact_tree(user, case),
            "exposures": queries.exposures(user, case.person).to,
            "can_change": scope.has_capability(user, ISOLATE, case.grid_code),
            "can_export": scope.has_capability(user, EXPORT, case.grid_code),
            "may_reveal": scope.has_capability(user, files.REVEAL, case.grid_code),
            "form": form or _change_form(case),
            "export_form": forms.ExportForm(),
            "is_open": case.status == CaseStatus.OPEN,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.get_case_for(request.user, case_id)
    if request.method == "GET":
        return _detail(request, case)
    scope.require(request.user, ISOLATE)
    scope.require(request.user, ISOLATE, case.grid_code)
    form = _change_form(case, request.POST)
    status = 422
    if form.is_valid():
        changed, status = attempt(
            form,
            lambda: actions.change_infection_case(
                case.pk,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                **form.changes(case),
            ),
        )
        if changed is not None:
            messages.success(request, _("Changes saved."))
            return redirect("epidemic:case_detail", case.pk)
    return _detail(request, case, form, form_status(form, status))


# --- contacts -----------------------------------------------------------------------------


def _sources(case: Any) -> list[tuple[int, str]]:
    """Whom a new contact of the case may have been exposed to: the case's person (first
    degree) or one of its first-degree contacts (second degree)."""
    first = [(case.person.pk, _("%(name)s (the case: first degree)") % {"name": case.person.name})]
    return first + [
        (p.pk, _("%(name)s (a contact: second degree)") % {"name": p.name})
        for p in queries.first_degree_sources(case)
    ]


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def contact_add(request: HttpRequest, case_id: int) -> HttpResponse:
    """Find the person exposed, then say to whom, where and when."""
    case = queries.get_case_for(request.user, case_id)
    scope.require(request.user, ISOLATE)
    chosen = _chosen(request, request.POST.get("person_id") or request.GET.get("person"))
    isolation = actions.isolation_available()
    form = forms.ContactForm(
        request.POST or None,
        sources=_sources(case),
        isolation=isolation,
        initial={"person_id": getattr(chosen, "pk", None), "source_id": case.person.pk},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        link, status = attempt(
            form, lambda: actions.link_close_contact(actor=request.user, **form.cleaned_data)
        )
        if link is not None:
            messages.success(
                request,
                _("%(name)s was listed as a contact of degree %(degree)d.")
                % {"name": chosen.name, "degree": link.degree},
            )
            return redirect(reverse("epidemic:case_detail", args=[case.pk]) + "#contacts")
    context = {"case": case, "form": form, "person": chosen}
    if not chosen:
        context |= _found(request)
    return _page(request, "contact_add.html", "cases", context, status=form_status(form, status))


@login_required
@require_POST
@domain_errors
def contact_unlink(request: HttpRequest, contact_id: int) -> HttpResponse:
    link = queries.get_contact_for(request.user, contact_id)
    scope.require(request.user, ISOLATE)
    scope.require(request.user, ISOLATE, link.grid_code)
    form = forms.UnlinkForm(request.POST)
    note = form.cleaned_data.get("note", "") if form.is_valid() else ""
    back = request.POST.get("case", "")
    try:
        actions.unlink_close_contact(link.pk, actor=request.user, note=note)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s is no longer listed.") % {"name": link.person.name})
    if back.isdigit():
        return redirect(reverse("epidemic:case_detail", args=[int(back)]) + "#contacts")
    return redirect("epidemic:exposures", link.source_id)


@login_required
@require_GET
@domain_errors
def exposures(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's cases and links: to whom they were exposed, and who was exposed to them."""
    person = queries.get_person_for(request.user, person_id, VIEW)
    found = queries.exposures(request.user, person)
    return _page(
        request,
        "exposures.html",
        "cases",
        {
            "person": person,
            "cases": queries.cases_of_person(request.user, person),
            "to": found.to,
            "by": found.by,
            "can_unlink": scope.has_capability(request.user, ISOLATE, person.grid_code),
        },
    )


# --- files --------------------------------------------------------------------------------


def _export_response(request: HttpRequest, form: Any, case_id: Any, code: str) -> HttpResponseBase:
    fmt, reveal = form.cleaned_data["format"], bool(form.cleaned_data.get("reveal"))
    content = files.export_contacts(
        request.user, case_id=case_id, code=code, format=fmt, reveal=reveal
    )
    return file_response(content, files.export_filename(case_id, code, fmt), fmt)


@login_required
@require_GET
@domain_errors
def case_export(request: HttpRequest, case_id: int) -> HttpResponseBase:
    """The case's contact list as a file (``?format=xlsx|csv&reveal=on``)."""
    scope.require(request.user, EXPORT)
    form = forms.ExportForm(request.GET or {"format": "xlsx"})
    if not form.is_valid():
        raise NotFound()
    return _export_response(request, form, case_id, "")


@login_required
@require_GET
@domain_errors
def contacts_export(request: HttpRequest) -> HttpResponseBase:
    """The contacts of every open case under a node, as a file; the form without one."""
    scope.require(request.user, EXPORT)
    form = forms.RegionExportForm(
        request.GET or None, initial={"code": queries.home_node(request.user)}
    )
    if form.is_bound and form.is_valid():
        return _export_response(request, form, None, form.cleaned_data["code"])
    return _page(
        request,
        "export.html",
        "export",
        {"form": form, "may_reveal": scope.has_capability(request.user, files.REVEAL)},
        status=form_status(form, 200),
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def contacts_import(request: HttpRequest) -> HttpResponse:
    """Upload a contact list; the outcome of every row is shown."""
    scope.require(request.user, ISOLATE)
    isolation = actions.isolation_available()
    form = forms.ContactImportForm(request.POST or None, request.FILES or None, isolation=isolation)
    result, status = None, 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            stored = Path(folder) / "upload"
            with stored.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            result, status = attempt(
                form,
                lambda: files.import_contacts(
                    stored,
                    actor=request.user,
                    encoding=form.cleaned_data["encoding"],
                    file_name=upload.name,
                    isolate=form.cleaned_data.get("isolate") or "",
                ),
            )
    return _page(
        request,
        "import.html",
        "import",
        {"form": form, "result": result},
        status=form_status(form, status),
    )


@login_required
@require_GET
@domain_errors
def import_template(request: HttpRequest, fmt: str) -> HttpResponseBase:
    scope.require(request.user, ISOLATE)
    return file_response(files.template(fmt), f"contacts-template.{fmt}", fmt)


# --- community situations -------------------------------------------------------------------


def _node(request: HttpRequest, code: str) -> Any:
    return Region.objects.filter(code=code).only("code", "name", "level").first()


@login_required
@require_GET
@domain_errors
def situations(request: HttpRequest) -> HttpResponse:
    """Every community under a node on a day (the last computed by default): counts, the
    list (most serious first) and the map."""
    scope.require(request.user, AGGREGATE)
    filters = forms.SituationFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    code = queries.check_node(request.user, data.get("code") or queries.home_node(request.user))
    day = data.get("day") or queries.latest_day(code) or rules.today()
    rows = queries.situations(
        request.user, code, day, situation=data.get("situation") or "", q=data.get("q") or ""
    )
    map_url = (
        reverse("api:epidemic_situation_map")
        + "?"
        + urlencode({"code": code, "date": day.isoformat()})
    )
    return _page(
        request,
        "situations.html",
        "situations",
        {
            "filters": filters,
            "code": code,
            "node": _node(request, code),
            "day": day,
            "counts": queries.situation_counts(request.user, code, day),
            "page": paginate(rows, request.GET.get("page"), PAGE_SIZE),
            "map_url": map_url,
            "situations": Situation,
        },
    )


@login_required
@require_GET
@domain_errors
def situation_history(request: HttpRequest, community_code: str) -> HttpResponse:
    rows = queries.situation_history(request.user, community_code)
    return _page(
        request,
        "situation_history.html",
        "situations",
        {
            "node": _node(request, community_code),
            "code": community_code,
            "page": paginate(rows, request.GET.get("page"), PAGE_SIZE),
            "can_see_cases": scope.has_capability(request.user, VIEW, community_code),
        },
    )


urlpatterns: list[URLPattern] = [
    path("cases/", case_list, name="case_list"),
    path("cases/new/", case_new, name="case_new"),
    path("cases/<int:case_id>/", case_detail, name="case_detail"),
    path("cases/<int:case_id>/contacts/new/", contact_add, name="contact_add"),
    path("cases/<int:case_id>/contacts/export/", case_export, name="case_export"),
    path("contacts/<int:contact_id>/unlink/", contact_unlink, name="contact_unlink"),
    path("contacts/people/<int:person_id>/", exposures, name="exposures"),
    path("contacts/export/", contacts_export, name="contacts_export"),
    path("contacts/import/", contacts_import, name="contacts_import"),
    path("contacts/import/template.<str:fmt>", import_template, name="contacts_import_template"),
    path("situations/", situations, name="situations"),
    path("situations/<str:community_code>/", situation_history, name="situation_history"),
]


def register_web() -> None:
    from gridgov.audit import labels
    from gridgov.epidemic.sections import register_section
    from gridgov.territory.panels import RegionPanel, register_region_panel
    from gridgov.web.context import NavItem

    register_section(
        NavItem(
            gettext_lazy("Cases and contacts"),
            "epidemic:case_list",
            VIEW,
            gettext_lazy("Infection cases, their close contacts and each community's situation."),
            order=50,
        )
    )
    labels.register(
        {
            "epidemic.case.record": pgettext_lazy("audit action", "Infection case recorded"),
            "epidemic.case.change": pgettext_lazy("audit action", "Infection case changed"),
            "epidemic.contact.link": pgettext_lazy("audit action", "Close contact listed"),
            "epidemic.contact.unlink": pgettext_lazy("audit action", "Close contact removed"),
            "epidemic.contact.import": pgettext_lazy("audit action", "Contact list imported"),
            "epidemic.contact.export": pgettext_lazy("audit action", "Contact list exported"),
        }
    )
    register_region_panel(
        RegionPanel(
            "epidemic_situations",
            "epidemic/contacts/region_panel.html",
            queries.region_summary,
            order=60,
        )
    )
