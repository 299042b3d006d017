"""Pages of the catalogue: case classes (a tree of majors and minors), the responsibility
list with its import and export, and the "who is responsible?" tester.

Thin views: parse a form, call one query or action, render. Classes are read by everyone
who works with cases and edited by city administrators; responsibility rows are read
within the user's area (with the rows above it that apply there) and edited inside it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import scope
from gridgov.accounts.viewutils import domain_errors
from gridgov.cases.actions import catalogue as actions
from gridgov.cases.forms import catalogue as forms
from gridgov.cases.models import Responsibility
from gridgov.cases.queries import catalogue as queries
from gridgov.core.errors import DomainError, NotFound, PermissionDenied
from gridgov.core.paging import paginate
from gridgov.registry.views import act, file_response

CLASS_PAGE_SIZE = 100
PAGE_SIZE = 30


def _form_status(form: Any, status: int = 200) -> int:
    """The status to show a form again with: the action's refusal (409, 422), else 422
    for errors the form found itself, else 200."""
    if status != 200:
        return status
    return 422 if form.errors else 200


def _format(request: HttpRequest) -> str:
    """The file format asked for (xlsx unless csv)."""
    return "csv" if request.GET.get("format") == "csv" else "xlsx"


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
            "tabs": _tabs(request, "classes"),
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
            "tabs": _tabs(request, "classes"),
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
    status = 200
    if request.method == "POST" and form.is_valid():
        ok, cls, status = act(
            form, lambda: actions.create_class(actor=request.user, **form.changes())
        )
        if ok:
            messages.success(request, _("Class %(name)s was created.") % {"name": cls})
            return redirect("cases:class_detail", cls.pk)
    return render(
        request,
        "cases/catalogue/class_form.html",
        {"form": form, "cls": None, "tabs": _tabs(request, "classes")},
        status=_form_status(form, status),
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
    status = 200
    if request.method == "POST" and form.is_valid():
        ok, _cls, status = act(
            form,
            lambda: actions.update_class(
                cls.pk,
                actor=request.user,
                version=form.cleaned_data["version"],
                **form.changes(),
            ),
        )
        if ok:
            messages.success(request, _("Changes saved."))
            return redirect("cases:class_detail", cls.pk)
    return render(
        request,
        "cases/catalogue/class_form.html",
        {"form": form, "cls": cls, "tabs": _tabs(request, "classes")},
        status=_form_status(form, status),
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
            "tabs": _tabs(request, "responsibilities"),
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
    status = 200
    if request.method == "POST" and form.is_valid():
        ok, _row, status = act(
            form, lambda: actions.add_responsibility(actor=request.user, **form.changes())
        )
        if ok:
            messages.success(request, _("The row was added to the responsibility list."))
            return redirect("cases:responsibility_list")
    return render(
        request,
        "cases/catalogue/responsibility_form.html",
        {"form": form, "row": None, "tabs": _tabs(request, "responsibilities")},
        status=_form_status(form, status),
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
    status = 200
    if request.method == "POST" and form.is_valid():
        ok, _row, status = act(
            form,
            lambda: actions.change_responsibility(
                row.pk,
                actor=request.user,
                version=form.cleaned_data["version"],
                **form.changes(),
            ),
        )
        if ok:
            messages.success(request, _("Changes saved."))
            return redirect("cases:responsibility_list")
    return render(
        request,
        "cases/catalogue/responsibility_form.html",
        {
            "form": form,
            "row": row,
            "region_name": queries.region_names([row.region_code]).get(row.region_code, ""),
            "tabs": _tabs(request, "responsibilities"),
        },
        status=_form_status(form, status),
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


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def responsibility_import(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, queries.CATALOGUE)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST" and form.is_valid():
        _ok, report, status = act(
            form,
            lambda: actions.import_responsibilities_upload(
                form.cleaned_data["file"],
                actor=request.user,
                policy=form.cleaned_data["policy"],
            ),
        )
    if report is not None and report.rejected:
        status = 422  # the wrong rows are the answer
    return render(
        request,
        "cases/catalogue/responsibility_import.html",
        {"form": form, "report": report, "tabs": _tabs(request, "import")},
        status=_form_status(form, status),
    )


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
    context: dict[str, Any] = {"form": form, "tabs": _tabs(request, "match")}
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
        status=_form_status(form, status),
    )


# --- the tabs above these pages -----------------------------------------------------------


def _tabs(request: HttpRequest, current: str) -> list[dict[str, Any]]:
    """The catalogue's sections the user may open, ``current`` marked."""
    user = request.user
    sections = [
        ("classes", _("Case classes"), "cases:class_list", queries.may_read_classes(user)),
        (
            "responsibilities",
            _("Responsibility list"),
            "cases:responsibility_list",
            queries.may_read_responsibilities(user),
        ),
        (
            "match",
            _("Who is responsible?"),
            "cases:responsibility_match",
            queries.may_read_responsibilities(user),
        ),
        (
            "import",
            _("Import"),
            "cases:responsibility_import",
            scope.has_capability(user, queries.CATALOGUE),
        ),
    ]
    return [
        {"label": label, "url": reverse(name), "active": key == current}
        for key, label, name, allowed in sections
        if allowed
    ]


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
    from django.utils.translation import gettext_lazy, pgettext_lazy

    from gridgov.audit import labels
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
