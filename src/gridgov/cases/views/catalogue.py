"""Pages of the catalogue: case classes (a tree of majors and minors), the responsibility
list with its import and export, and the "who is responsible?" tester.

Thin views: parse a form, call one query or action, render. Classes are read by everyone
who works with cases and edited by city administrators; responsibility rows are read
within the user's area (with the rows above it that apply there) and edited inside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import scope
from gridgov.accounts.viewutils import act, domain_errors, form_status
from gridgov.cases.actions import catalogue as actions
from gridgov.cases.forms import catalogue as forms
from gridgov.cases.models import Responsibility
from gridgov.cases.queries import catalogue as queries
from gridgov.core.errors import DomainError, NotFound, PermissionDenied
from gridgov.core.paging import paginate
from gridgov.web.downloads import file_response
from gridgov.web.imports import ImportPages
from gridgov.web.tabs import Tab, TabRow, may

CLASS_PAGE_SIZE = 100
PAGE_SIZE = 30


def _format(request: HttpRequest) -> str:
    """The file format asked for (xlsx unless csv)."""
    return "csv" if request.GET.get("format") == "csv" else "xlsx"


def _form_page(
    request: HttpRequest,
    form: Any,
    save: Callable[[], Any],
    template: str,
    context: dict[str, Any],
    *,
    message: Callable[[Any], str],
    next_url: Callable[[Any], str],
) -> HttpResponse:
    """A page with one form: a valid POST calls ``save``, says ``message(saved)`` and
    goes to ``next_url(saved)``; otherwise the form is shown (again), with the action's
    refusal on it."""
    status = 200
    if request.method == "POST" and form.is_valid():
        ok, saved, status = act(form, save)
        if ok:
            messages.success(request, message(saved))
            return redirect(next_url(saved))
    return render(request, template, {"form": form, **context}, status=form_status(form, status))


# --- classes ----------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def class_list(request: HttpRequest) -> HttpResponse:
    """The catalogue as a tree: each page of classes grouped under their majors."""
    queries.require_class_reader(request.user)
    filters = forms.ClassFilterForm(request.GET or None)
    rows = queries.search_classes(request.user, **filters.criteria())
    page = paginate(rows, request.GET.get("page"), CLASS_PAGE_SIZE)
    return render(
        request,
        "cases/catalogue/class_list.html",
        {
            "filters": filters,
            "page": page,
            "tree": queries.class_tree(page.items),
            "can_edit": queries.may_edit_classes(request.user),
            "tabs": _tabs(request.user, "classes"),
        },
    )


@login_required
@require_GET
@domain_errors
def class_detail(request: HttpRequest, class_id: int) -> HttpResponse:
    queries.require_class_reader(request.user)
    cls = queries.get_class_for(request.user, class_id)
    minors = cls.minors.select_related("default_department").order_by("code")
    return render(
        request,
        "cases/catalogue/class_detail.html",
        {
            "cls": cls,
            "minors": list(minors) if not cls.is_minor else [],
            "limit": queries.limit_label(cls.limit_value, cls.limit_unit),
            "can_edit": queries.may_edit_classes(request.user),
            "can_read_list": queries.may_read_responsibilities(request.user),
            "tabs": _tabs(request.user, "classes"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def class_create(request: HttpRequest) -> HttpResponse:
    queries.require_class_editor(request.user)
    departments = queries.departments_for_choice(request.user)
    form = forms.ClassForm(
        request.POST or None, departments=departments, initial=request.GET.dict() or None
    )
    return _form_page(
        request,
        form,
        lambda: actions.create_class(actor=request.user, **form.changes()),
        "cases/catalogue/class_form.html",
        {"cls": None, "tabs": _tabs(request.user, "classes")},
        message=lambda cls: _("Class %(name)s was created.") % {"name": cls},
        next_url=lambda cls: reverse("cases:class_detail", args=[cls.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def class_edit(request: HttpRequest, class_id: int) -> HttpResponse:
    queries.require_class_editor(request.user)
    cls = queries.get_class_for(request.user, class_id)
    initial = {
        "name": cls.name,
        "filing_condition": cls.filing_condition,
        "closing_condition": cls.closing_condition,
        "limit_value": cls.limit_value,
        "limit_unit": cls.limit_unit,
        "default_department": cls.default_department_id or "",
        "attributes": cls.attributes,
        "version": cls.version,
    }
    form = forms.ClassForm(
        request.POST or None,
        initial=initial,
        departments=queries.departments_for_choice(request.user),
        case_class=cls,
    )
    return _form_page(
        request,
        form,
        lambda: actions.update_class(
            cls.pk, actor=request.user, version=form.cleaned_data["version"], **form.changes()
        ),
        "cases/catalogue/class_form.html",
        {"cls": cls, "tabs": _tabs(request.user, "classes")},
        message=lambda _saved: _("Changes saved."),
        next_url=lambda _saved: reverse("cases:class_detail", args=[cls.pk]),
    )


def _post_and_report(
    request: HttpRequest, call: Any, success: str, url_name: str, *args: Any
) -> HttpResponseBase:
    """Run a one-button action; a conflict or invalid input becomes a message."""
    try:
        call()
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(url_name, *args)


@login_required
@require_POST
@domain_errors
def class_deactivate(request: HttpRequest, class_id: int) -> HttpResponseBase:
    return _post_and_report(
        request,
        lambda: actions.deactivate_class(
            class_id, actor=request.user, version=request.POST.get("version")
        ),
        _("The class was deactivated: no new reports of it."),
        "cases:class_detail",
        class_id,
    )


@login_required
@require_POST
@domain_errors
def class_reactivate(request: HttpRequest, class_id: int) -> HttpResponseBase:
    return _post_and_report(
        request,
        lambda: actions.reactivate_class(
            class_id, actor=request.user, version=request.POST.get("version")
        ),
        _("The class is in use again."),
        "cases:class_detail",
        class_id,
    )


# --- responsibilities -------------------------------------------------------------------


def _responsibility_filters(request: HttpRequest) -> forms.ResponsibilityFilterForm:
    return forms.ResponsibilityFilterForm(
        request.GET or None,
        classes=queries.search_classes(request.user).filter(parent__isnull=False),
        departments=queries.departments_for_choice(request.user),
    )


@login_required
@require_GET
@domain_errors
def responsibility_list(request: HttpRequest) -> HttpResponse:
    queries.require_responsibility_reader(request.user)
    filters = _responsibility_filters(request)
    rows = queries.search_responsibilities(request.user, **filters.criteria())
    page = paginate(rows, request.GET.get("page"), PAGE_SIZE)
    names = queries.region_names(row.region_code for row in page.items)
    items = [
        {
            "row": row,
            "region_name": names.get(row.region_code, ""),
            "can_edit": queries.may_edit_responsibility(request.user, row.region_code),
        }
        for row in page.items
    ]
    return render(
        request,
        "cases/catalogue/responsibility_list.html",
        {
            "filters": filters,
            "page": page,
            "items": items,
            "can_add": scope.has_capability(request.user, queries.CATALOGUE),
            "query": request.GET.urlencode(),
            "tabs": _tabs(request.user, "responsibilities"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def responsibility_create(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, queries.CATALOGUE)
    form = forms.ResponsibilityForm(
        request.POST or None,
        initial=request.GET.dict() or None,
        classes=queries.active_minor_classes(),
        departments=queries.departments_for_choice(request.user),
    )
    return _form_page(
        request,
        form,
        lambda: actions.add_responsibility(actor=request.user, **form.changes()),
        "cases/catalogue/responsibility_form.html",
        {"row": None, "tabs": _tabs(request.user, "responsibilities")},
        message=lambda _row: _("The row was added to the responsibility list."),
        next_url=lambda _row: reverse("cases:responsibility_list"),
    )


def _editable(request: HttpRequest, responsibility_id: int) -> Responsibility:
    scope.require(request.user, queries.CATALOGUE)
    row = queries.get_responsibility_for(request.user, responsibility_id)
    if not queries.may_edit_responsibility(request.user, row.region_code):
        raise PermissionDenied()
    return row


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def responsibility_edit(request: HttpRequest, responsibility_id: int) -> HttpResponse:
    row = _editable(request, responsibility_id)
    form = forms.ResponsibilityForm(
        request.POST or None,
        initial={"department": row.department_id, "note": row.note, "version": row.version},
        departments=queries.departments_for_choice(request.user),
        editing=True,
    )
    return _form_page(
        request,
        form,
        lambda: actions.change_responsibility(
            row.pk, actor=request.user, version=form.cleaned_data["version"], **form.changes()
        ),
        "cases/catalogue/responsibility_form.html",
        {
            "row": row,
            "region_name": queries.region_names([row.region_code]).get(row.region_code, ""),
            "tabs": _tabs(request.user, "responsibilities"),
        },
        message=lambda _row: _("Changes saved."),
        next_url=lambda _row: reverse("cases:responsibility_list"),
    )


@login_required
@require_POST
@domain_errors
def responsibility_remove(request: HttpRequest, responsibility_id: int) -> HttpResponseBase:
    return _post_and_report(
        request,
        lambda: actions.remove_responsibility(
            responsibility_id, actor=request.user, version=request.POST.get("version")
        ),
        _("The row was removed; it stays in the history."),
        "cases:responsibility_list",
    )


@login_required
@require_GET
@domain_errors
def responsibility_export(request: HttpRequest) -> HttpResponseBase:
    queries.require_responsibility_reader(request.user)
    filters = _responsibility_filters(request)
    criteria = {**filters.criteria(), "state": "active"}
    fmt = _format(request)
    name, content = queries.responsibility_export(
        queries.search_responsibilities(request.user, **criteria), fmt
    )
    return file_response(content, name, fmt)


@login_required
@require_GET
@domain_errors
def responsibility_template(request: HttpRequest) -> HttpResponseBase:
    """An empty list in the import's columns."""
    scope.require(request.user, queries.CATALOGUE)
    fmt = _format(request)
    _name, content = queries.responsibility_export([], fmt)
    return file_response(content, f"responsibilities-template.{fmt}", fmt)


# The list is short: an upload is imported at once, as a job of the import framework so
# that its report is kept and can be downloaded like the people's and the components'.
IMPORTS = ImportPages(
    actions.IMPORT_JOB_KIND,
    queries.CATALOGUE,
    "cases:responsibility_import_detail",
    "cases:responsibility_import_report",
)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def responsibility_import(request: HttpRequest) -> HttpResponse:
    """Upload a file (imported before the answer) and the user's earlier imports."""
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    return IMPORTS.upload(
        request,
        form,
        "cases/catalogue/responsibility_import.html",
        run_now=True,
        tabs=_tabs(request.user, "import"),
    )


responsibility_import_detail = IMPORTS.detail_view(
    "cases/catalogue/responsibility_import_detail.html",
    lambda request: {
        "tabs": _tabs(request.user, "import"),
        "done_url": reverse("cases:responsibility_list"),
        "done_label": _("Open the responsibility list"),
    },
)
responsibility_import_report = IMPORTS.report_view()


@login_required
@require_GET
@domain_errors
def responsibility_match(request: HttpRequest) -> HttpResponse:
    """ "Who is responsible?": a class and a place → the department and the row that
    decided it, or the unassigned queue."""
    queries.require_responsibility_reader(request.user)
    form = forms.MatchForm(request.GET or None, classes=queries.active_minor_classes())
    result, status = None, 200
    if form.is_valid():
        _ok, result, status = act(
            form,
            lambda: queries.match_for(
                request.user, form.cleaned_data["case_class"], form.cleaned_data["grid_code"]
            ),
        )
    context: dict[str, Any] = {"form": form, "tabs": _tabs(request.user, "match")}
    if result is not None:
        cls, match = result
        code = form.cleaned_data["grid_code"]
        names = queries.region_names([code] + ([match.rule.region_code] if match.rule else []))
        context.update(
            cls=cls,
            match=match,
            code=code,
            place_name=names.get(code, ""),
            rule_name=names.get(match.rule.region_code, "") if match.rule else "",
            limit=queries.limit_label(cls.limit_value, cls.limit_unit),
        )
    return render(
        request,
        "cases/catalogue/responsibility_match.html",
        context,
        status=form_status(form, status),
    )


# --- the tabs above these pages -----------------------------------------------------------


# The catalogue's sections.
_tabs: TabRow = TabRow(
    Tab("classes", gettext_lazy("Case classes"), "cases:class_list", queries.may_read_classes),
    Tab(
        "responsibilities",
        gettext_lazy("Responsibility list"),
        "cases:responsibility_list",
        queries.may_read_responsibilities,
    ),
    Tab(
        "match",
        gettext_lazy("Who is responsible?"),
        "cases:responsibility_match",
        queries.may_read_responsibilities,
    ),
    Tab("import", gettext_lazy("Import"), "cases:responsibility_import", may(queries.CATALOGUE)),
)


urlpatterns = [
    path("catalogue/", class_list, name="class_list"),
    path("catalogue/new/", class_create, name="class_create"),
    path("catalogue/<int:class_id>/", class_detail, name="class_detail"),
    path("catalogue/<int:class_id>/edit/", class_edit, name="class_edit"),
    path("catalogue/<int:class_id>/deactivate/", class_deactivate, name="class_deactivate"),
    path("catalogue/<int:class_id>/reactivate/", class_reactivate, name="class_reactivate"),
    path("responsibilities/", responsibility_list, name="responsibility_list"),
    path("responsibilities/new/", responsibility_create, name="responsibility_create"),
    path("responsibilities/export/", responsibility_export, name="responsibility_export"),
    path("responsibilities/template/", responsibility_template, name="responsibility_template"),
    path("responsibilities/import/", responsibility_import, name="responsibility_import"),
    path(
        "responsibilities/import/<int:job_id>/",
        responsibility_import_detail,
        name="responsibility_import_detail",
    ),
    path(
        "responsibilities/import/<int:job_id>/report.xlsx",
        responsibility_import_report,
        name="responsibility_import_report",
    ),
    path("responsibilities/match/", responsibility_match, name="responsibility_match"),
    path(
        "responsibilities/<int:responsibility_id>/edit/",
        responsibility_edit,
        name="responsibility_edit",
    ),
    path(
        "responsibilities/<int:responsibility_id>/remove/",
        responsibility_remove,
        name="responsibility_remove",
    ),
]


def register_web() -> None:
    """The navigation entry and the audit labels (called from the cases app's ready())."""
    from django.utils.translation import pgettext_lazy

    from gridgov.audit import labels
    from gridgov.registry import jobs
    from gridgov.web.context import NavItem, register_nav_item

    register_nav_item(
        NavItem(
            gettext_lazy("Case classes"),
            "cases:class_list",
            queries.CATALOGUE,
            gettext_lazy(
                "Component and event classes with their time limits; who disposes of what."
            ),
            order=72,
        )
    )
    labels.register(
        {
            "cases.class.create": pgettext_lazy("audit action", "Case class created"),
            "cases.class.update": pgettext_lazy("audit action", "Case class changed"),
            "cases.class.deactivate": pgettext_lazy("audit action", "Case class deactivated"),
            "cases.class.reactivate": pgettext_lazy("audit action", "Case class reactivated"),
            "cases.catalogue.seed": pgettext_lazy("audit action", "Seed catalogue loaded"),
            "cases.responsibility.add": pgettext_lazy("audit action", "Responsibility added"),
            "cases.responsibility.change": pgettext_lazy("audit action", "Responsibility changed"),
            "cases.responsibility.remove": pgettext_lazy("audit action", "Responsibility removed"),
            "cases.responsibility.import": pgettext_lazy(
                "audit action", "Responsibility list imported"
            ),
        }
    )
    jobs.register_kind(
        actions.IMPORT_JOB_KIND,
        queries.CATALOGUE,
        "gridgov.cases.actions.catalogue:import_responsibility_file",
    )
