"""The working calendar page: a year of month grids (holidays, adjusted working days and
the holiday table's rulings marked), the deadline calculator, the working hours and the
holiday table with its add, edit, remove and import forms.

Everyone who works with cases reads it; only city administrators see and use the forms
that change it (the actions refuse anyone else). A refused or invalid form shows the year
page again with the form's errors (422, or 409 when someone saved first).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.viewutils import add_domain_error, domain_errors, run_action
from gridgov.cases import calendar
from gridgov.cases.actions import calendar as actions
from gridgov.cases.forms import calendar as forms
from gridgov.cases.queries import calendar as queries
from gridgov.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from gridgov.core.paging import paginate

TABLE_PAGE_SIZE = 50
WEEKDAY_HEADERS = [
    pgettext_lazy("weekday, one letter", "Mon"),
    pgettext_lazy("weekday, one letter", "Tue"),
    pgettext_lazy("weekday, one letter", "Wed"),
    pgettext_lazy("weekday, one letter", "Thu"),
    pgettext_lazy("weekday, one letter", "Fri"),
    pgettext_lazy("weekday, one letter", "Sat"),
    pgettext_lazy("weekday, one letter", "Sun"),
]


def _today() -> dt.date:
    return timezone.localdate()


def _year_of(request: HttpRequest, fallback: dt.date | None = None) -> int:
    """The year a form was sent from (its hidden ``year``), else the date's, else now's."""
    try:
        return queries.check_year(request.POST.get("year") or request.GET.get("year"))
    except DomainError:
        return (fallback or _today()).year


def _day_form_initial(request: HttpRequest) -> dict[str, Any]:
    """The day form prefilled for ``?date=``: its table row, or else a new row proposing
    the opposite of what the day is now (why else add it)."""
    try:
        day = queries.parse_date(request.GET.get("date", ""))
    except DomainError:
        return {"is_workday": "0", "version": 0}
    row = queries.calendar_day_or_none(request.user, day)
    if row is None:
        return {"date": day, "is_workday": "0" if calendar.is_workday(day) else "1", "version": 0}
    return {
        "date": day,
        "is_workday": "1" if row.is_workday else "0",
        "name": row.name,
        "note": row.note,
        "version": row.version,
    }


def _deadline(request: HttpRequest) -> tuple[forms.DeadlineForm, Any]:
    """The calculator's form (bound when its fields are in the query) and its answer."""
    if "amount" not in request.GET:
        start = timezone.localtime().replace(second=0, microsecond=0)
        return forms.DeadlineForm(
            initial={"start": start, "amount": 2, "unit": "working_days"}
        ), None
    form = forms.DeadlineForm(request.GET)
    if not form.is_valid():
        return form, None
    ok, preview = run_action(
        form,
        lambda: queries.deadline_preview(request.user, **form.cleaned_data),
    )
    return form, preview if ok else None


def _year_page(
    request: HttpRequest,
    year: int,
    *,
    status: int = 200,
    bound: dict[str, django_forms.Form] | None = None,
    import_errors: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    bound = bound or {}
    user = request.user
    view = queries.calendar_year(user, year)
    schedule = queries.working_hours_for(user)
    deadline_form, preview = _deadline(request)
    can_edit = queries.may_edit_calendar(user)
    context = {
        "view": view,
        "today": _today(),
        "weekdays": WEEKDAY_HEADERS,
        "schedule": schedule,
        "day_length_hours": calendar.current().day_length.total_seconds() / 3600,
        "can_edit": can_edit,
        "table_page": paginate(
            queries.calendar_days_for(user, year), request.GET.get("page"), TABLE_PAGE_SIZE
        ),
        "deadline_form": deadline_form,
        "preview": preview,
        "hours_form": bound.get("hours_form")
        or forms.WorkingHoursForm(
            initial={
                **{name: getattr(schedule, name) for name in actions.HOURS_FIELDS},
                "version": schedule.version,
            }
        ),
        "day_form": bound.get("day_form")
        or forms.CalendarDayForm(initial=_day_form_initial(request)),
        "import_form": bound.get("import_form") or forms.CalendarImportForm(),
        "import_errors": import_errors or [],
        "editing_date": request.GET.get("date", ""),
    }
    return render(request, "cases/calendar/year.html", context, status=status)


def _post(
    request: HttpRequest,
    form: django_forms.Form,
    form_name: str,
    call: Callable[[], Any],
    success: Callable[[Any], tuple[str, int]],
) -> HttpResponse:
    """The shared path of the calendar's forms: validate, act, back to the year (from
    ``success``: the message and the year) — or the year page again with the form's
    errors: 422, or 409 when someone saved first. NotFound and PermissionDenied pass."""
    status, row_errors = 422, []
    if form.is_valid():
        try:
            result = call()
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
            status, row_errors = exc.status, exc.details.get("errors", [])
        else:
            text, year = success(result)
            messages.success(request, text)
            return redirect("cases:calendar_year", year)
    return _year_page(
        request,
        _year_of(request),
        status=status,
        bound={form_name: form},
        import_errors=row_errors,
    )


# --- pages --------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def calendar_home(request: HttpRequest) -> HttpResponse:
    queries.require_reader(request.user)
    return redirect("cases:calendar_year", _today().year)


@login_required
@require_GET
@domain_errors
def calendar_year(request: HttpRequest, year: int) -> HttpResponse:
    queries.require_reader(request.user)
    return _year_page(request, queries.check_year(year))


@login_required
@require_POST
@domain_errors
def calendar_hours(request: HttpRequest) -> HttpResponse:
    queries.require_editor(request.user)
    form = forms.WorkingHoursForm(request.POST)
    return _post(
        request,
        form,
        "hours_form",
        lambda: actions.set_working_hours(actor=request.user, **form.cleaned_data),
        lambda _schedule: (_("Working hours saved."), _year_of(request)),
    )


@login_required
@require_POST
@domain_errors
def calendar_day(request: HttpRequest) -> HttpResponse:
    queries.require_editor(request.user)
    form = forms.CalendarDayForm(request.POST)

    def save() -> Any:
        data = dict(form.cleaned_data)
        return actions.set_calendar_day(data.pop("date"), actor=request.user, **data)

    return _post(
        request,
        form,
        "day_form",
        save,
        lambda row: (
            _("%(date)s saved in the holiday table.") % {"date": row.date.isoformat()},
            row.date.year,
        ),
    )


@login_required
@require_POST
@domain_errors
def calendar_day_remove(request: HttpRequest, day: str) -> HttpResponse:
    queries.require_editor(request.user)
    date = queries.parse_date(day)
    try:
        actions.remove_calendar_day(date, actor=request.user, version=request.POST.get("version"))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(date)s removed from the holiday table; the statutory calendar rules it again.")
            % {"date": date.isoformat()},
        )
    return redirect("cases:calendar_year", date.year)


@login_required
@require_POST
@domain_errors
def calendar_import(request: HttpRequest) -> HttpResponse:
    queries.require_editor(request.user)
    form = forms.CalendarImportForm(request.POST, request.FILES)

    def run() -> Any:
        upload = form.cleaned_data["file"]
        return actions.import_calendar_days(
            upload.read(actions.MAX_IMPORT_BYTES + 1),
            actor=request.user,
            note=form.cleaned_data["note"],
        )

    def done(result: actions.CalendarImport) -> tuple[str, int]:
        text = _("%(created)d days added, %(updated)d changed, %(unchanged)d already so.") % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        return text, result.first_year

    return _post(request, form, "import_form", run, done)


urlpatterns: list[URLPattern] = [
    path("calendar/", calendar_home, name="calendar"),
    path("calendar/<int:year>/", calendar_year, name="calendar_year"),
    path("calendar/hours/", calendar_hours, name="calendar_hours"),
    path("calendar/days/", calendar_day, name="calendar_day"),
    path("calendar/days/<str:day>/remove/", calendar_day_remove, name="calendar_day_remove"),
    path("calendar/import/", calendar_import, name="calendar_import"),
]


def register_web() -> None:
    """The navigation entry (called from the cases app's ready())."""
    from gridgov.web.context import NavItem, register_nav_item

    register_nav_item(
        NavItem(
            gettext_lazy("Calendar"),
            "cases:calendar",
            queries.CATALOGUE,
            gettext_lazy("Working hours, holidays and adjusted working days; deadlines."),
            order=75,
        )
    )
