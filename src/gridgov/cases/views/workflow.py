"""Pages of the case workflow: reporting a problem (grid worker on patrol, citizen without
an account, hotline operator), the work queue, the case list and map, the case page with
a form for each move the user may make now, and the public tracking page.

Views parse a form, call one action or query, and render. Scope is decided there: a case
outside the user's scope is a 404 exactly like one that does not exist; inside it, a
move the user may not make is a 403. Every move posts the case version it was shown, so
when someone else moved the case first the page says so and shows the case as it is now.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import QuerySet, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import queries as account_queries
from gridgov.accounts import scope
from gridgov.accounts.models import Department
from gridgov.accounts.roles import Role
from gridgov.accounts.viewutils import add_domain_error, domain_errors
from gridgov.audit.middleware import client_ip
from gridgov.cases import attachments
from gridgov.cases import workflow as machine
from gridgov.cases.actions import workflow as actions
from gridgov.cases.forms import workflow as forms
from gridgov.cases.models import (
    AttachmentPurpose,
    Case,
    CaseClass,
    PostponementStatus,
    Source,
    Stage,
    TimeUnit,
)
from gridgov.cases.queries import catalogue as catalogue_queries
from gridgov.cases.queries import workflow as queries
from gridgov.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from gridgov.core.paging import paginate
from gridgov.territory import codes
from gridgov.territory import queries as territory_queries
from gridgov.territory.models import Region

VIEW, REPORT, SUPERVISE = machine.VIEW, machine.REPORT, machine.SUPERVISE
PAGE_SIZE = 30
MAP_LIMIT = 2000  # open cases drawn at once (the newest); the page says when more exist
PUBLIC_REPORT_WINDOW = 3600  # seconds


# --- small helpers ------------------------------------------------------------------------


def _minor_classes() -> list[CaseClass]:
    return list(catalogue_queries.active_minor_classes())


def _attempt(form: django_forms.Form, call: Callable[[], Any]) -> tuple[Any, int]:
    """Call an action; a refusal about the input (invalid, conflict) goes on the form and
    its status comes back (409, 422). NotFound and PermissionDenied pass through."""
    try:
        return call(), 200
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        if isinstance(form, forms.ClassAttributesMixin):
            exc = form.answer_errors_on_fields(exc)
        add_domain_error(form, exc)
        return None, exc.status


def _status(form: django_forms.Form, status: int) -> int:
    if status != 200:
        return status
    return 422 if form.errors else 200


def duration_text(seconds: float | None) -> str:
    """A span of time for people: ``2 d 3 h``, ``3 h 15 min``, ``12 min``."""
    if seconds is None:
        return ""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": mins}
    return _("%(minutes)d min") % {"minutes": mins}


@dataclass
class Clock:
    """The traffic light of an open case and the time left on the clock that runs now."""

    light: str  # green, yellow, red, or "" when no clock runs
    deadline: dt.datetime | None
    left: str  # "3 h 15 min" (overdue: how long past)
    overdue: bool


def clock_of(case: Case, now: dt.datetime) -> Clock:
    running = queries.clock(case) if case.is_open else None
    if running is None:
        return Clock("", None, "", False)
    due = running[1]
    seconds = (due - now).total_seconds()
    return Clock(queries.traffic_light(case, now), due, duration_text(seconds), seconds < 0)


def _with_clocks(cases: Iterable[Case], now: dt.datetime) -> list[Case]:
    rows = list(cases)
    for case in rows:
        case.clock = clock_of(case, now)  # type: ignore[attr-defined]
    return rows


# Texts workflow.js shows, translated here and handed over as JSON.
CLIENT_MESSAGES: dict[str, Promise] = {
    "gridFound": gettext_lazy("Grid: %(name)s"),
    "gridNotFound": gettext_lazy("This point is outside your grids; check the place."),
    "pointChosen": gettext_lazy("Point %(lon)s, %(lat)s"),
    "accuracy": gettext_lazy("±%(metres)s m"),
    "locating": gettext_lazy("Finding your position…"),
    "noGeolocation": gettext_lazy(
        "This browser cannot give the position here; tap the map instead."
    ),
    "geolocationDenied": gettext_lazy(
        "Permission to use the position was refused; tap the map instead."
    ),
    "geolocationFailed": gettext_lazy("The position could not be found; tap the map instead."),
    "photoTooBig": gettext_lazy("Too large"),
    "photoTooMany": gettext_lazy("One too many"),
}


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request, template, {**context, "cases_client_messages": CLIENT_MESSAGES}, status=status
    )


# --- reporting ----------------------------------------------------------------------------


def _own_grids(user: Any) -> list[tuple[str, str]]:
    """The grids the user is assigned to (the patrol form's fallback for a location)."""
    return [
        (a.grid_code, f"{a.grid.name} ({a.grid_code})")
        for a in account_queries.grid_assignments_of(user)
    ]


def _patrol_source(user: Any) -> str:
    """A leader's own report counts as a leader's; anyone else's as patrol."""
    roles = scope.roles(user)
    return Source.LEADER if roles == {Role.LEADER} else Source.PATROL


def _report_fields(form: forms.ClassAttributesMixin) -> dict[str, Any]:
    """The action's keyword arguments that every report form shares."""
    data = form.cleaned_data
    return {
        "description": data["description"],
        "lon": data.get("lon"),
        "lat": data.get("lat"),
        "address": data.get("address") or "",
        "case_class": data.get("case_class"),
        "attributes": form.attributes() or None,
        "photos": data.get("photos") or (),
    }


LAST_REPORT = "cases_last_report"


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def report(request: HttpRequest) -> HttpResponse:
    """巡查上报: photos, the phone's position (or a tap on the map), class, description.
    After a report the page comes back empty for the next one, with the case number."""
    user = request.user
    scope.require(user, REPORT)
    form = forms.PatrolReportForm(
        request.POST or None,
        request.FILES or None,
        classes=_minor_classes(),
        grids=_own_grids(user),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        case, status = _attempt(
            form,
            lambda: actions.report_case(
                actor=user,
                source=_patrol_source(user),
                grid_code=form.cleaned_data.get("grid_code") or None,
                **_report_fields(form),
            ),
        )
        if case is not None:
            request.session[LAST_REPORT] = {"id": case.pk, "number": case.number}
            return redirect("cases:report")
    last = request.session.pop(LAST_REPORT, None) if request.method == "GET" else None
    return _render(
        request,
        "cases/workflow/report.html",
        {
            "form": form,
            "last": last,
            "last_url": _case_url_if_visible(user, last["id"]) if last else None,
            "boundaries_url": _boundaries_url(user),
        },
        status=_status(form, status),
    )


def _case_url_if_visible(user: Any, case_id: int) -> str | None:
    try:
        queries.get_case_for(user, case_id)
    except NotFound:
        return None
    return reverse("cases:case_detail", args=[case_id])


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def hotline(request: HttpRequest) -> HttpResponse:
    """热线受理: the supervision centre takes a call and opens a case for it."""
    user = request.user
    scope.require(user, SUPERVISE)
    form = forms.HotlineForm(request.POST or None, classes=_minor_classes())
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case, status = _attempt(
            form,
            lambda: actions.report_case(
                actor=user,
                source=Source.HOTLINE,
                grid_code=data.get("grid_code") or None,
                reporter_name=data.get("reporter_name") or "",
                reporter_phone=data.get("reporter_phone") or "",
                **_report_fields(form),
            ),
        )
        if case is not None:
            messages.success(
                request, _("Case %(number)s was opened for the call.") % {"number": case.number}
            )
            return redirect("cases:case_detail", case.pk)
    return _render(
        request,
        "cases/workflow/hotline.html",
        {"form": form, "boundaries_url": _boundaries_url(user)},
        status=_status(form, status),
    )


# --- the public's pages -------------------------------------------------------------------


def public_report_limit() -> int:
    return int(settings.GRIDGOV_PUBLIC_REPORTS_PER_HOUR)


def _public_report_allowed(request: HttpRequest) -> bool:
    """Count one submission from this address in a fixed hourly window (the shared
    cache, like the login throttle); False once the address is over the limit."""
    ip = client_ip(request)
    if not ip:
        return True
    key = f"gridgov:public-reports:{ip}"
    cache.add(key, 0, timeout=PUBLIC_REPORT_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=PUBLIC_REPORT_WINDOW)
        count = 1
    return count <= public_report_limit()


@never_cache
@require_http_methods(["GET", "POST"])
@domain_errors
def public_report(request: HttpRequest) -> HttpResponse:
    """市民上报: anyone reports a problem with a photo and a place, and gets a tracking
    number and link. Rate-limited per address; CSRF-protected like every form."""
    form = forms.CitizenReportForm(
        request.POST or None, request.FILES or None, classes=_minor_classes()
    )
    status = 200
    if request.method == "POST":
        if not _public_report_allowed(request):
            return _render(
                request,
                "cases/workflow/public_report.html",
                {"form": form, "throttled": True, "area_url": reverse("cases:public_area")},
                status=429,
            )
        if form.is_valid():
            data = form.cleaned_data
            case, status = _attempt(
                form,
                lambda: actions.report_case(
                    actor=None,
                    source=Source.CITIZEN,
                    reporter_name=data.get("reporter_name") or "",
                    reporter_phone=data.get("reporter_phone") or "",
                    **_report_fields(form),
                ),
            )
            if case is not None:
                return redirect(reverse("cases:track", args=[case.public_token]) + "?new=1")
    return _render(
        request,
        "cases/workflow/public_report.html",
        {"form": form, "area_url": reverse("cases:public_area")},
        status=_status(form, status),
    )


# The stage in the public's plain words: five steps and where the case stands.
PUBLIC_STEPS: list[tuple[str, Promise]] = [
    ("received", gettext_lazy("Received")),
    ("filed", gettext_lazy("Accepted as a case")),
    ("handling", gettext_lazy("Being handled")),
    ("checking", gettext_lazy("Result being checked")),
    ("closed", gettext_lazy("Done")),
]
PUBLIC_STEP_OF_STAGE: dict[str, str] = {
    Stage.REPORTED: "received",
    Stage.VERIFYING: "received",
    Stage.VERIFIED: "received",
    Stage.FILED: "filed",
    Stage.DISPATCHED: "handling",
    Stage.ACCEPTED: "handling",
    Stage.DISPOSED: "checking",
    Stage.CHECKING: "checking",
    Stage.CHECKED: "checking",
    Stage.CLOSED: "closed",
}
PUBLIC_EXPLANATIONS: dict[str, Promise] = {
    "received": gettext_lazy("The supervision centre has your report and is checking it."),
    "filed": gettext_lazy(
        "Your report was accepted as a case; it is being sent to the department in charge."
    ),
    "handling": gettext_lazy("The department in charge is dealing with the problem."),
    "checking": gettext_lazy("The department reported back; the result is being checked on site."),
    "closed": gettext_lazy("The problem was dealt with and the case is closed."),
    "cancelled": gettext_lazy(
        "The report was not taken up as a case (for example, the same problem was already "
        "reported, or it could not be found on site)."
    ),
}


def _public_page(
    request: HttpRequest, token: uuid.UUID, *, rating_form: Any = None, status: int = 200
) -> HttpResponse:
    case = queries.get_case_by_token(token)
    step = PUBLIC_STEP_OF_STAGE.get(case.stage, "cancelled")
    order = [key for key, _label in PUBLIC_STEPS]
    reached = order.index(step) if step in order else -1
    context = {
        "case": case,
        "step": step,
        "explanation": PUBLIC_EXPLANATIONS[step],
        "steps": [
            # A closed case has every step done, the last one included.
            {"label": label, "done": i < reached or step == "closed", "current": i == reached}
            for i, (_key, label) in enumerate(PUBLIC_STEPS)
        ],
        "can_rate": case.can_rate,
        "rating_form": rating_form or forms.RatingForm(),
        "is_new": request.GET.get("new") == "1",
        "track_url": request.build_absolute_uri(reverse("cases:track", args=[token])),
    }
    response = _render(request, "cases/workflow/track.html", context, status=status)
    response["Referrer-Policy"] = "no-referrer"  # the link is the key to the report
    return response


@never_cache
@require_GET
@domain_errors
def track(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    return _public_page(request, token)


@never_cache
@require_POST
@domain_errors
def track_rate(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """The reporter rates the result of a closed case, once."""
    queries.get_case_by_token(token)
    form = forms.RatingForm(request.POST)
    status = 422
    if form.is_valid():
        rated, status = _attempt(
            form,
            lambda: actions.rate_case(
                token,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            ),
        )
        if rated is not None:
            messages.success(request, _("Thank you for rating the result."))
            return redirect("cases:track", token)
    return _public_page(request, token, rating_form=form, status=status)


@require_GET
@domain_errors
def track_photo(request: HttpRequest, token: uuid.UUID, attachment_id: int) -> FileResponse:
    """A photo of the report (stored without its location metadata)."""
    photo = queries.get_public_photo(token, attachment_id)
    return _file_response(photo, thumbnail=request.GET.get("size") == "thumb")


@require_GET
@cache_control(public=True, max_age=3600)
def public_area(request: HttpRequest) -> JsonResponse:
    """The outline of the city (or cities) served, for the public report page's map."""
    return JsonResponse(_areas(Region.objects.filter(level=codes.CITY)))


# --- lists --------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def my_cases(request: HttpRequest) -> HttpResponse:
    """The user's work queue: the cases waiting for them, most urgent first."""
    user = request.user
    scope.require(user, VIEW)
    filters = forms.QueueFilterForm(request.GET or None)
    criteria = filters.criteria()
    now = timezone.now()
    rows = queries.with_lights(queries.work_queue(user), now)  # most urgent first
    if criteria.get("stage"):
        rows = rows.filter(stage=criteria["stage"])
    counts, unknown = queries.lights_of(rows, now)  # counted in the database
    if criteria.get("light"):
        rows = queries.of_light(rows, criteria["light"], unknown)
    page = paginate(rows, request.GET.get("page"), PAGE_SIZE)
    page.items = _with_clocks(page.items, now)  # the clocks of the page shown only
    return _render(
        request,
        "cases/workflow/queue.html",
        {
            "filters": filters,
            "page": page,
            "counts": counts,
            "total": sum(counts.values()),
            "can_report": scope.has_capability(user, REPORT),
        },
    )


def _department_choices(user: Any) -> list[tuple[int, str]]:
    """The departments a user's cases may be with: those serving a territory above or
    inside the user's area, and a handler's own department (the table is small)."""
    if scope.is_operator(user):
        prefixes = [""]
    else:
        prefixes = [g.code for g in queries.grants(user) if g.gives(VIEW) and not g.by_department]
    own = {g.department_id for g in queries.grants(user) if g.by_department and g.gives(VIEW)}
    return [
        (d.pk, d.name)
        for d in Department.objects.filter(is_active=True).order_by("region_code", "name")
        if d.pk in own
        or any(p.startswith(d.region_code) or d.region_code.startswith(p) for p in prefixes)
    ]


def filtered_cases(user: Any, criteria: dict[str, Any]) -> QuerySet[Case]:
    """The case list's rows for the filters given, newest first. A major class
    (``major-<id>``) keeps the cases of all its minor classes."""
    wanted_class = str(criteria.get("case_class") or "")
    major = wanted_class.removeprefix("major-") if wanted_class.startswith("major-") else ""
    rows = queries.search_cases(
        user,
        q=criteria.get("q") or "",
        stage=criteria.get("stage") or "",
        case_class=None if major else wanted_class or None,
        source=criteria.get("source") or "",
        grid=criteria.get("territory") or "",
        department=criteria.get("department"),
        overdue=True if criteria.get("overdue") else None,
    )
    if major:
        rows = rows.filter(case_class__parent_id=int(major))
    return rows.order_by("-reported_at", "-pk")


@login_required
@require_GET
@domain_errors
def case_list(request: HttpRequest) -> HttpResponse:
    """Every case the user may see: search by number or text, filters, pages."""
    user = request.user
    scope.require(user, VIEW)
    classes = _minor_classes()
    filters = forms.CaseFilterForm(
        request.GET or None, departments=_department_choices(user), classes=classes
    )
    now = timezone.now()
    rows = filtered_cases(user, filters.criteria())
    page = paginate(rows, request.GET.get("page"), PAGE_SIZE)
    page.items = _with_clocks(page.items, now)
    return _render(
        request,
        "cases/workflow/case_list.html",
        {"filters": filters, "page": page, "filtered": bool(request.GET.keys() - {"page"})},
    )


def _boundaries_url(user: Any) -> str:
    """The areas drawn under the cases: the user's one home region's children, else the
    outline of the city."""
    roots = territory_queries.scope_roots(user)
    if len(roots) == 1 and not roots[0].is_grid:
        return reverse("api:territory_children_geojson", args=[roots[0].code])
    if len(roots) == 1:
        return reverse("api:territory_boundary_geojson", args=[roots[0].code])
    return reverse("cases:public_area")


# Colours of the dots on the map of open cases: by traffic light, or by stage.
LIGHT_COLOURS = {"red": "#d64545", "yellow": "#f0b429", "green": "#3f9f6b", "": "#8a94a3"}
LIGHT_LABELS: dict[str, Promise] = {
    "red": gettext_lazy("Overdue"),
    "yellow": gettext_lazy("Due soon"),
    "green": gettext_lazy("In time"),
    "": gettext_lazy("No clock running"),
}
STAGE_COLOURS: dict[str, str] = {
    Stage.REPORTED: "#6b7a8f",
    Stage.VERIFYING: "#8e6bbf",
    Stage.VERIFIED: "#5b4b9a",
    Stage.FILED: "#1d5fbf",
    Stage.DISPATCHED: "#0f8a8a",
    Stage.ACCEPTED: "#1e7b4d",
    Stage.DISPOSED: "#b7791f",
    Stage.CHECKING: "#c05621",
    Stage.CHECKED: "#9b2c2c",
}


def _open_cases_placed(user: Any, stage: str = "") -> QuerySet[Case]:
    rows = queries.visible_cases(user).filter(
        stage__in=machine.OPEN, lon__isnull=False, lat__isnull=False
    )
    return rows.filter(stage=stage) if stage else rows


def _legend(colour_by: str) -> list[tuple[str, str]]:
    if colour_by == "stage":
        return [(str(Stage(s).label), colour) for s, colour in STAGE_COLOURS.items()]
    return [(str(LIGHT_LABELS[k]), colour) for k, colour in LIGHT_COLOURS.items()]


@login_required
@require_GET
@domain_errors
def case_map(request: HttpRequest) -> HttpResponse:
    """Open cases as dots on the map of the user's area (the overlay of ``.gg-map``),
    coloured by traffic light or by stage, with a legend."""
    user = request.user
    scope.require(user, VIEW)
    filters = forms.MapFilterForm(request.GET or None)
    criteria = filters.criteria()
    chosen = {k: v for k, v in criteria.items() if v}
    return _render(
        request,
        "cases/workflow/case_map.html",
        {
            "filters": filters,
            "boundaries_url": _boundaries_url(user),
            "cases_url": reverse("cases:case_map_data")
            + (f"?{urlencode(chosen)}" if chosen else ""),
            "legend": _legend(criteria.get("colour") or "light"),
            "count": _open_cases_placed(user, criteria.get("stage") or "").count(),
            "limit": MAP_LIMIT,
        },
    )


@login_required
@require_GET
def case_map_data(request: HttpRequest) -> JsonResponse:
    """GeoJSON points of the open cases the user may see (``stage`` one open stage),
    inside ``bbox`` when given, newest first and at most ``MAP_LIMIT`` (``truncated``
    says when more matched); ``colour=stage`` colours them by stage instead of traffic
    light (``properties.color``, as the map component draws overlay points)."""
    user = request.user
    if not scope.has_capability(user, VIEW):
        return JsonResponse({"code": "forbidden", "message": _("Not allowed.")}, status=403)
    filters = forms.MapFilterForm(request.GET)
    try:
        bbox = territory_queries.parse_bbox(request.GET.get("bbox"))
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
    if not filters.is_valid():
        fields = {name: " ".join(map(str, errors)) for name, errors in filters.errors.items()}
        return JsonResponse(
            {"code": "invalid", "message": _("The request is not valid."), "details": fields},
            status=422,
        )
    criteria = filters.criteria()
    rows = _open_cases_placed(user, criteria["stage"])
    if bbox is not None:
        west, south, east, north = bbox
        rows = rows.filter(lon__gte=west, lon__lte=east, lat__gte=south, lat__lte=north)
    found = list(rows.select_related("case_class").order_by("-reported_at", "-pk")[: MAP_LIMIT + 1])
    now = timezone.now()
    by_stage = criteria["colour"] == "stage"
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": [_case_feature(case, now, by_stage) for case in found[:MAP_LIMIT]],
            "truncated": len(found) > MAP_LIMIT,
            "limit": MAP_LIMIT,
        }
    )


def _case_feature(case: Case, now: dt.datetime, by_stage: bool) -> dict[str, Any]:
    light = queries.traffic_light(case, now)
    kind = case.case_class.name if case.case_class else ""
    return {
        "type": "Feature",
        "id": case.number,
        "geometry": {"type": "Point", "coordinates": [case.lon, case.lat]},
        "properties": {
            "number": case.number,
            "stage": case.stage,
            "stage_label": str(case.get_stage_display()),
            "light": light,
            "class": kind,
            "label": " · ".join(filter(None, [case.number, kind, str(case.get_stage_display())])),
            "color": STAGE_COLOURS.get(case.stage, "#6b7a8f") if by_stage else LIGHT_COLOURS[light],
            "url": reverse("cases:case_detail", args=[case.pk]),
        },
    }


# --- the case page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """A move on the case page: its form, its words and the action it calls."""

    form: type[django_forms.Form]  # its fields are named after the action's arguments
    action: Callable[..., Any]
    title: Promise
    submit: Promise
    done: Promise  # the message after it succeeded
    style: str = "primary"  # primary | plain | danger
    intro: Promise | None = None
    confirm: Promise | None = None
    folded: bool = False  # shown closed on a phone (a secondary move)
    moves: str = ""  # the form field naming what the action moves, when not the case

    def run(self, user: Any, case: Case, values: dict[str, Any]) -> Any:
        """The action, called with the form's values as its keyword arguments."""
        values = dict(values)
        target = values.pop(self.moves) if self.moves else case.pk
        return self.action(target, actor=user, **values)


MOVES: dict[str, Move] = {
    "request_verification": Move(
        forms.NoteForm,
        actions.request_verification,
        gettext_lazy("Ask the grid's supervisor to verify"),
        gettext_lazy("Send for verification"),
        gettext_lazy("Sent to the grid's supervisor for verification."),
        style="plain",
    ),
    "record_verification": Move(
        forms.VerifyForm,
        actions.record_verification,
        gettext_lazy("Verify on site"),
        gettext_lazy("Record the verification"),
        gettext_lazy("Verification recorded."),
        intro=gettext_lazy(
            "Go to the place, look, take photos, and say whether the report is true."
        ),
    ),
    "file": Move(
        forms.FileForm,
        actions.file_case,
        gettext_lazy("File the case"),
        gettext_lazy("File"),
        gettext_lazy("Case filed; it waits for the command centre to dispatch it."),
    ),
    "dispatch": Move(
        forms.DispatchForm,
        actions.dispatch_case,
        gettext_lazy("Dispatch to a department"),
        gettext_lazy("Dispatch"),
        gettext_lazy("Case dispatched; the disposal clock runs."),
    ),
    "accept": Move(
        forms.PlainForm,
        actions.accept_case,
        gettext_lazy("Accept the case"),
        gettext_lazy("Accept"),
        gettext_lazy("Case accepted; dispose of it before the deadline."),
        intro=gettext_lazy("Your department takes the case on."),
    ),
    "return": Move(
        forms.ReasonForm,
        actions.return_case,
        gettext_lazy("Return as wrongly sent"),
        gettext_lazy("Return"),
        gettext_lazy("Case returned to the command centre."),
        style="danger",
        intro=gettext_lazy("The case is not your department's: say whose it is."),
        folded=True,
    ),
    "dispose": Move(
        forms.DisposeForm,
        actions.dispose_case,
        gettext_lazy("Report the result"),
        gettext_lazy("Report the result"),
        gettext_lazy("Result reported; the case goes to an on-site check."),
    ),
    "request_check": Move(
        forms.NoteForm,
        actions.request_check,
        gettext_lazy("Ask for an on-site check"),
        gettext_lazy("Send for checking"),
        gettext_lazy("Sent to the grid's supervisor for an on-site check."),
    ),
    "record_check": Move(
        forms.CheckForm,
        actions.record_check,
        gettext_lazy("Check on site"),
        gettext_lazy("Record the check"),
        gettext_lazy("Check recorded."),
        intro=gettext_lazy("Go to the place and see whether the problem is solved."),
    ),
    "close": Move(
        forms.NoteForm,
        actions.close_case,
        gettext_lazy("Close the case"),
        gettext_lazy("Close"),
        gettext_lazy("Case closed."),
    ),
    "rework": Move(
        forms.ReasonForm,
        actions.rework_case,
        gettext_lazy("Send back for rework"),
        gettext_lazy("Send back"),
        gettext_lazy("Case sent back to the department."),
        style="danger",
        folded=True,
    ),
    "cancel": Move(
        forms.ReasonForm,
        actions.cancel_case,
        gettext_lazy("Cancel as invalid"),
        gettext_lazy("Cancel the case"),
        gettext_lazy("Case cancelled."),
        style="danger",
        confirm=gettext_lazy("Cancel this case? It cannot be reopened."),
        folded=True,
    ),
    "request_postponement": Move(
        forms.PostponeForm,
        actions.request_postponement,
        gettext_lazy("Ask for more time"),
        gettext_lazy("Ask for a postponement"),
        gettext_lazy("Postponement requested; the command centre decides."),
        style="plain",
        folded=True,
    ),
    "decide_postponement": Move(
        forms.DecidePostponementForm,
        actions.decide_postponement,
        gettext_lazy("Decide the postponement"),
        gettext_lazy("Record the decision"),
        gettext_lazy("Decision recorded."),
        moves="postponement",
    ),
    "merge": Move(
        forms.MergeForm,
        actions.merge_case,
        gettext_lazy("Merge into this case"),
        gettext_lazy("Merge"),
        gettext_lazy("Case merged."),
        style="plain",
        confirm=gettext_lazy("Merge this case into the other one? This case will be cancelled."),
    ),
}
# Both postponement decisions are one form with an approve/refuse choice.
DECISIONS = ("approve_postponement", "reject_postponement")


def available_moves(user: Any, case: Case) -> list[str]:
    """The moves of ``MOVES`` this user may make on the case now, in the workflow's order
    (the actions check again; this decides which forms the page shows). Approving and
    refusing a postponement are one form."""
    found: list[str] = []
    for action in queries.allowed_actions(user, case):
        move = "decide_postponement" if action in DECISIONS else action
        if move in MOVES and move not in found:
            found.append(move)
    return found


def _dispatch_departments(user: Any, case: Case) -> list[Department]:
    """Departments that serve the case's place, the suggested one first."""
    options = [
        d
        for d in account_queries.visible_departments(user, machine.DISPATCH).filter(is_active=True)
        if case.grid_code.startswith(d.region_code)
    ]
    options.sort(key=lambda d: (d.pk != case.suggested_department_id, -len(d.region_code), d.name))
    return options


def move_form(
    action: str, user: Any, case: Case, data: Any = None, files: Any = None
) -> django_forms.Form:
    """The form of one move, bound to a POST or showing the case's current values."""
    initial: dict[str, Any] = {"version": case.version}
    options: dict[str, Any] = {}
    if action == "file":
        options["classes"] = _minor_classes()
        initial["case_class"] = case.case_class_id
    elif action == "dispatch":
        departments = _dispatch_departments(user, case)
        options["departments"] = [(d.pk, d.name) for d in departments]
        initial["department"] = case.suggested_department_id
    elif action == "decide_postponement":
        pending = queries.pending_postponement(case)
        initial["postponement"] = pending.pk if pending else None
    form = MOVES[action].form(data, files, initial=initial, **options)
    return form


def _cleaned_for_call(
    action: str, user: Any, case: Case, form: django_forms.Form
) -> dict[str, Any]:
    """The form's values as the action takes them (a department object, not its id)."""
    data = dict(form.cleaned_data)
    if action == "dispatch":
        by_pk = {d.pk: d for d in _dispatch_departments(user, case)}
        data["department"] = by_pk.get(data["department"])
    return data


def _photo_groups(case: Case) -> list[tuple[str, list[Any]]]:
    labels = dict(AttachmentPurpose.choices)
    groups: dict[str, list[Any]] = {}
    for photo in case.attachments.all():
        groups.setdefault(photo.purpose, []).append(photo)
    return [(str(labels.get(p, p)), photos) for p, photos in groups.items()]


def _grid_of(user: Any, case: Case) -> dict[str, Any]:
    name = Region.objects.filter(code=case.grid_code).values_list("name", flat=True).first()
    url = (
        reverse("territory:region", args=[case.grid_code])
        if territory_queries.can_view(user, case.grid_code)
        else None
    )
    return {"code": case.grid_code, "name": name or case.grid_code, "url": url}


def unit_label(unit: str) -> str:
    try:
        return str(TimeUnit(unit).label)
    except ValueError:
        return unit


def _attribute_rows(case: Case) -> list[tuple[str, str]]:
    """The answers to the class's extra questions, as (question, answer) in words."""
    specs = {s.get("code"): s for s in (case.case_class.attributes if case.case_class else [])}
    rows = []
    for code, value in (case.attributes or {}).items():
        spec = specs.get(code, {})
        names = {str(v.get("key")): v.get("name") for v in spec.get("values") or []}
        values = value if isinstance(value, list) else [value]
        answer = "、".join(str(names.get(str(v)) or v) for v in values)
        rows.append((str(spec.get("description") or code), answer))
    return rows


def _timeline(case: Case) -> tuple[list[Any], list[tuple[str, str]]]:
    """The timeline with each entry's stage time in words, and the time per stage (a
    stage entered twice, e.g. after rework, adds up)."""
    entries = queries.timeline(case, queries.case_attachments(case))  # prefetched
    per_stage: dict[str, float] = {}
    for entry in entries:
        took = entry.stage_took.total_seconds() if entry.stage_took is not None else None
        entry.took_text = duration_text(took) if took is not None else ""  # type: ignore[attr-defined]
        if took is not None:
            per_stage[entry.from_label] = per_stage.get(entry.from_label, 0) + took
    return entries, [(label, duration_text(seconds)) for label, seconds in per_stage.items()]


def case_page(
    request: HttpRequest,
    case: Case,
    *,
    status: int = 200,
    bound: dict[str, django_forms.Form] | None = None,
) -> HttpResponse:
    user = request.user
    bound = bound or {}
    moves = available_moves(user, case)
    panels = [
        {"action": a, "move": MOVES[a], "form": bound.get(a) or move_form(a, user, case)}
        for a in moves
        if a != "merge"
    ]
    timeline, stage_times = _timeline(case)
    postponements = list(case.postponements.all())
    for postponement in postponements:
        postponement.unit_label = unit_label(postponement.unit)  # type: ignore[attr-defined]
    pending = next((p for p in postponements if p.status == PostponementStatus.PENDING), None)
    context = {
        "case": case,
        "clock": clock_of(case, timezone.now()),
        "limit_unit_label": unit_label(case.limit_unit),
        "attributes": _attribute_rows(case),
        "grid": _grid_of(user, case),
        "timeline": timeline,
        "stage_times": stage_times,
        "postponements": postponements,
        "pending": pending,
        "pending_unit": unit_label(pending.unit) if pending else "",
        "photo_groups": _photo_groups(case),
        "panels": panels,
        "can_merge": "merge" in moves,
        "duplicates": queries.likely_duplicates(case, user=user) if "merge" in moves else [],
        "location_url": reverse("cases:case_location", args=[case.pk]),
        "point_url": reverse("cases:case_point", args=[case.pk]),
    }
    return _render(request, "cases/workflow/case_detail.html", context, status=status)


def _load_case(user: Any, case_id: int) -> Case:
    case = queries.get_case_for(user, case_id)
    prefetch_related_objects(
        [case], "attachments", "postponements__requested_by", "postponements__decided_by"
    )
    return case


@login_required
@require_GET
@domain_errors
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return case_page(request, _load_case(request.user, case_id))


@login_required
@require_POST
@domain_errors
def case_move(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """One move on the case. Success: back to the case page with a message. A stale
    version or an impossible move: the page again, saying why, with the case as it is
    now (409). Bad input: the page with the form's errors (422)."""
    if action not in MOVES:
        raise Http404()
    user = request.user
    case = _load_case(user, case_id)
    form = move_form(action, user, case, request.POST, request.FILES)
    if not form.is_valid():
        if action == "merge":  # the merge buttons have no fields to show errors on
            messages.error(request, _("The merge could not be sent; reload the page."))
        return case_page(request, case, status=422, bound={action: form})
    try:
        MOVES[action].run(user, case, _cleaned_for_call(action, user, case, form))
    except Conflict as exc:
        messages.error(
            request,
            _("%(reason)s The page now shows the case as it is now.") % {"reason": exc.message},
        )
        return case_page(request, _load_case(user, case_id), status=409)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        add_domain_error(form, exc)
        if action == "merge":
            messages.error(request, exc.message)
        return case_page(request, case, status=exc.status, bound={action: form})
    messages.success(request, str(MOVES[action].done))
    return redirect("cases:case_detail", case.pk)


def _areas(regions: QuerySet[Region]) -> dict[str, Any]:
    """Regions as a FeatureCollection whose areas open nothing when clicked."""
    rows = list(regions.exclude(geometry=None).values(*territory_queries.FEATURE_FIELDS))
    collection = territory_queries.feature_collection(rows)
    for item in collection["features"]:
        item["properties"]["url"] = ""
    return collection


@login_required
@require_GET
@domain_errors
def case_location(request: HttpRequest, case_id: int) -> JsonResponse:
    """The case's unit grid as GeoJSON: the areas of its mini-map."""
    case = queries.get_case_for(request.user, case_id)
    return JsonResponse(_areas(Region.objects.filter(code=case.grid_code)))


@login_required
@require_GET
@domain_errors
def case_point(request: HttpRequest, case_id: int) -> JsonResponse:
    """The case's place as a GeoJSON point: the overlay of its mini-map."""
    case = queries.get_case_for(request.user, case_id)
    features = []
    if case.lon is not None and case.lat is not None:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [case.lon, case.lat]},
                "properties": {"label": case.number, "color": "#b8232f", "url": ""},
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})


def _file_response(attachment: Any, *, thumbnail: bool, download: bool = False) -> FileResponse:
    stream, kind = attachments.open_stored(attachment, thumbnail=thumbnail)
    response = FileResponse(
        stream,
        content_type=kind,
        as_attachment=download,
        filename=attachment.original_name or "",
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
@domain_errors
def case_photo(request: HttpRequest, case_id: int, attachment_id: int) -> FileResponse:
    """A photo of a case the user may see (``?size=thumb`` for the small one,
    ``?download=1`` to save it)."""
    attachment = queries.get_attachment_for(request.user, attachment_id)
    if attachment.case_id != case_id:
        raise NotFound()
    return _file_response(
        attachment,
        thumbnail=request.GET.get("size") == "thumb",
        download=request.GET.get("download") == "1",
    )


urlpatterns = [
    path("work/", my_cases, name="my_cases"),
    path("report/", report, name="report"),
    path("hotline/", hotline, name="hotline"),
    path("all/", case_list, name="case_list"),
    path("map/", case_map, name="case_map"),
    path("map/cases.geojson", case_map_data, name="case_map_data"),
    path("<int:case_id>/", case_detail, name="case_detail"),
    path("<int:case_id>/move/<slug:action>/", case_move, name="case_move"),
    path("<int:case_id>/location.geojson", case_location, name="case_location"),
    path("<int:case_id>/point.geojson", case_point, name="case_point"),
    path("<int:case_id>/photos/<int:attachment_id>/", case_photo, name="case_photo"),
    path("public/report/", public_report, name="public_report"),
    path("public/area.geojson", public_area, name="public_area"),
    path("public/track/<uuid:token>/", track, name="track"),
    path("public/track/<uuid:token>/rate/", track_rate, name="track_rate"),
    path("public/track/<uuid:token>/photos/<int:attachment_id>/", track_photo, name="track_photo"),
]


def register_web() -> None:
    """Navigation entries of the workflow pages and the audit trail's names of its
    actions (called from ``CasesConfig.ready``)."""
    from gridgov.audit import labels
    from gridgov.web.context import NavItem, register_nav_item

    for item in (
        NavItem(
            gettext_lazy("My cases"),
            "cases:my_cases",
            VIEW,
            gettext_lazy("Cases waiting for you, most urgent first, with traffic lights."),
            order=30,
        ),
        NavItem(
            gettext_lazy("Report a problem"),
            "cases:report",
            REPORT,
            gettext_lazy("Report what you find on patrol: photos, place, class."),
            order=31,
        ),
        NavItem(
            gettext_lazy("Hotline entry"),
            "cases:hotline",
            SUPERVISE,
            gettext_lazy("Record a problem reported by phone."),
            order=32,
        ),
        NavItem(
            gettext_lazy("All cases"),
            "cases:case_list",
            VIEW,
            gettext_lazy("Search every case you may see; the map of open cases."),
            order=33,
        ),
    ):
        register_nav_item(item)
    labels.register({f"cases.{action}": label for action, label in machine.ACTION_LABELS.items()})
