"""Open311 GeoReport v2 at /open311/v2/ and its discovery document at /open311/.

Each endpoint answers in the format its URL ends with (``.json`` or ``.xml``), and every
refusal in the spec's error list with the spec's status: 404 for what does not exist,
403 for a missing or wrong api_key, 400 for the rest. Reads are public and open to
pages of other sites (CORS); no endpoint reads the caller's login cookie, so none needs
a CSRF token — a POST is judged by its api_key alone.

Views parse the request, call a query or the action, and render; nothing more.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gridgov.accounts import tokens
from gridgov.api.open311 import actions, documents, formats, queries
from gridgov.cases import attachments
from gridgov.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied

View = Callable[..., HttpResponse]
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](?:\[\])?")


def _param(request: HttpRequest, name: str) -> str:
    """A parameter from the form body (POST) or the query string."""
    value = request.POST.get(name) if request.method == "POST" else None
    return str(value or request.GET.get(name) or "").strip()


def _jurisdiction(request: HttpRequest) -> str | None:
    """The city a request names (``jurisdiction_id``): one this server serves; required
    only when it serves several."""
    given = _param(request, "jurisdiction_id")
    served = queries.jurisdictions()
    if given:
        if given not in served:
            raise NotFound(_("jurisdiction_id %(id)s was not found.") % {"id": given})
        return given
    if len(served) > 1:
        raise InvalidInput(
            fields={
                "jurisdiction_id": _("required: this server serves several cities (%(codes)s)")
                % {"codes": ", ".join(served)}
            }
        )
    return None


def endpoint(*methods: str) -> Callable[[View], View]:
    """One Open311 endpoint: the format from the URL, the method and ``jurisdiction_id``
    checked, domain errors answered in the spec's shape, reads open to other sites."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        @csrf_exempt
        def run(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            try:
                if fmt not in formats.FORMATS:
                    fmt = formats.XML
                    raise InvalidInput(fields={"format": _("use .json or .xml")})
                if request.method not in _allowed(methods):
                    return _not_allowed(fmt, methods)
                response = view(request, fmt, _jurisdiction(request), **kwargs)
            except DomainError as exc:
                response = formats.errors(fmt, exc)
            if request.method in ("GET", "HEAD"):
                response["Access-Control-Allow-Origin"] = "*"
            return response

        return run

    return wrap


def _allowed(methods: tuple[str, ...]) -> set[str]:
    return {*methods, "HEAD"} if "GET" in methods else set(methods)


def _not_allowed(fmt: str, methods: tuple[str, ...]) -> HttpResponse:
    text = _("Use %(methods)s here.") % {"methods": " or ".join(methods)}
    response = formats.respond(fmt, "errors", [{"code": 405, "description": text}], status=405)
    response["Allow"] = ", ".join(methods)
    return response


# --- services -----------------------------------------------------------------------------


@endpoint("GET")
def services(request: HttpRequest, fmt: str, jurisdiction: str | None) -> HttpResponse:
    """GET Service List: every active minor class."""
    return formats.respond(fmt, "services", [documents.service(c) for c in queries.services()])


@endpoint("GET")
def service_definition(
    request: HttpRequest, fmt: str, jurisdiction: str | None, service_code: str
) -> HttpResponse:
    """GET Service Definition: the class's report attributes."""
    case_class = queries.get_service(service_code)
    return formats.respond(fmt, "service_definition", documents.definition(case_class))


# --- requests -----------------------------------------------------------------------------


def _photo_url(request: HttpRequest) -> Callable[[tuple[int, str]], str]:
    def url(photo: tuple[int, str]) -> str:
        return request.build_absolute_uri(reverse("open311:media", args=photo))

    return url


def _listed(request: HttpRequest, fmt: str, items: list[queries.PublicRequest]) -> HttpResponse:
    photo_url = _photo_url(request)
    return formats.respond(
        fmt, "service_requests", [documents.request(item, photo_url) for item in items]
    )


def _list_param(request: HttpRequest, name: str) -> list[str]:
    return [part.strip() for part in _param(request, name).split(",") if part.strip()]


def _moment(request: HttpRequest, name: str) -> Any:
    """A W3C date-time (``2026-05-01T00:00:00Z``, ``…+08:00``) or date; without an
    offset, the installation's time zone."""
    text = _param(request, name)
    if not text:
        return None
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if day is not None:
        moment = dt.datetime.combine(day, dt.time.min)
    if moment is None:
        raise InvalidInput(
            fields={name: _("not a W3C date and time, e.g. 2026-05-01T00:00:00+08:00")}
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _statuses(request: HttpRequest) -> list[str]:
    statuses = [s.lower() for s in _list_param(request, "status")]
    wrong = [s for s in statuses if s not in queries.STATUSES]
    if wrong:
        raise InvalidInput(fields={"status": _("open or closed, or both comma separated")})
    return statuses


def _search(request: HttpRequest, fmt: str, jurisdiction: str | None) -> HttpResponse:
    ids = _list_param(request, "service_request_id")
    if len(ids) > queries.MAX_REQUESTS:
        raise InvalidInput(
            fields={
                "service_request_id": _("at most %(n)d ids at once") % {"n": queries.MAX_REQUESTS}
            }
        )
    items = queries.search_requests(
        ids=ids,
        service_codes=_list_param(request, "service_code"),
        start=_moment(request, "start_date"),
        end=_moment(request, "end_date"),
        statuses=_statuses(request),
        jurisdiction=jurisdiction,
    )
    return _listed(request, fmt, items)


def _reporter(request: HttpRequest) -> Any:
    """The user whose API token the ``api_key`` is (PermissionDenied without one)."""
    key = _param(request, "api_key")
    if not key:
        raise PermissionDenied(_("api_key was not provided."))
    user = tokens.user_for_token(key)
    if user is None:
        raise PermissionDenied(_("Invalid api_key received; the request was not created."))
    return user


def _attributes(request: HttpRequest) -> dict[str, list[str]]:
    """``attribute[code]=v`` and, for a multivaluelist, ``attribute[code][]=v1&…=v2``."""
    answers: dict[str, list[str]] = {}
    for key in request.POST:
        found = _ATTRIBUTE.fullmatch(key)
        if found:
            answers.setdefault(found.group(1), []).extend(request.POST.getlist(key))
    return answers


def _create(request: HttpRequest, fmt: str, jurisdiction: str | None) -> HttpResponse:
    reporter = _reporter(request)
    submission = actions.Submission(
        **{name: _param(request, name) for name in actions.TEXT_FIELDS},
        attributes=_attributes(request),
        media=request.FILES.getlist("media"),
    )
    case = actions.submit_service_request(submission, actor=reporter, jurisdiction=jurisdiction)
    answer = documents.created(
        case.number, queries.service_notice(case), _param(request, "account_id")
    )
    return formats.respond(fmt, "service_requests", [answer])


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str, jurisdiction: str | None) -> HttpResponse:
    """GET Service Requests (the public requests, filtered) and POST Service Request."""
    if request.method == "POST":
        return _create(request, fmt, jurisdiction)
    return _search(request, fmt, jurisdiction)


@endpoint("GET")
def request_detail(
    request: HttpRequest, fmt: str, jurisdiction: str | None, service_request_id: str
) -> HttpResponse:
    """GET Service Request: one request by its id (the case number)."""
    return _listed(request, fmt, [queries.get_request(service_request_id, jurisdiction)])


@endpoint("GET")
def request_id_from_token(
    request: HttpRequest, fmt: str, jurisdiction: str | None, token: str
) -> HttpResponse:
    """GET service_request_id from a token: a public report's tracking token."""
    number = queries.request_id_for_token(token, jurisdiction)
    return formats.respond(
        fmt, "service_requests", [{"service_request_id": number, "token": token}]
    )


# --- discovery and media ------------------------------------------------------------------


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str, jurisdiction: str | None) -> HttpResponse:
    """The Service Discovery document: where the endpoint is, what it speaks."""
    url = request.build_absolute_uri(reverse("open311:root"))
    return formats.respond(
        fmt, "discovery", documents.discovery(url.rstrip("/"), queries.services_changed_at())
    )


@csrf_exempt
def unknown(request: HttpRequest, path: str) -> HttpResponse:
    """Any other URL here: the spec's 404, in the format the path ends with."""
    fmt = formats.JSON if path.endswith(".json") else formats.XML
    exc = NotFound(_("There is no such Open311 resource; see the discovery document."))
    return formats.errors(fmt, exc)


def root(request: HttpRequest) -> HttpResponse:
    """The endpoint's base URL serves nothing of its own: it points to the discovery."""
    return HttpResponseRedirect(reverse("open311:discovery", args=[formats.JSON]))


def media(request: HttpRequest, attachment_id: int, ext: str) -> FileResponse:
    """A reporter's photo a request's ``media_url`` names (stored without metadata)."""
    if request.method not in ("GET", "HEAD"):
        raise Http404()
    try:
        photo = queries.get_public_photo(attachment_id)
    except NotFound:
        raise Http404() from None
    if ext != queries.photo_extension(photo):
        raise Http404()
    stream, content_type = attachments.open_stored(photo)
    response = FileResponse(stream, content_type=content_type)
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Access-Control-Allow-Origin"] = "*"
    return response
