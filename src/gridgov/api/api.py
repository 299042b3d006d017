"""The versioned REST API: one NinjaAPI with every app's router and one error shape."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from gridgov.api.auth import AUTH
from gridgov.core.errors import DomainError

api = NinjaAPI(
    title="GridGov API",
    version="1",
    description="Grid governance: territory, accounts, audit and the domains built on them.",
    urls_namespace="api",
    auth=AUTH,
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error(
    request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": str(message), "details": details or {}}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error(request, exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = {field_name(err.get("loc", [])): err.get("msg", "invalid") for err in exc.errors}
    return error(request, 422, "invalid", _("The request is not valid."), {"fields": fields})


def field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    """The field an error is about, named as the client sent it: ``role``, not
    ``body.payload.role`` (the body's parameter name is ours, not the client's)."""
    parts = [str(p) for p in loc]
    if parts[:1] == ["body"] and len(parts) > 2:
        parts = parts[2:]
    elif parts[:1] and parts[0] in ("body", "query", "path", "form", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "request"


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, "unauthenticated", _("Log in or send a valid API token."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", _("Not found."))


@csrf_exempt
def unknown_url(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other URL under /api/v1/ (e.g. ``/cases/abc`` where a case id belongs): the
    API's 404 in its one error shape, not the site's HTML page — after the redirect to
    the URL with a slash that Django's APPEND_SLASH gives when that one exists."""
    if settings.APPEND_SLASH and not request.path_info.endswith("/"):
        try:
            with_slash = resolve(f"{request.path_info}/")
        except Resolver404:
            with_slash = None
        if with_slash is not None and with_slash.func is not unknown_url:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return error(request, 404, "not_found", _("Not found."))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error(
        request,
        413,
        "too_large",
        _("The request body is larger than this server accepts; use the command line for it."),
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403 and "csrf" in str(exc).lower():
        return error(
            request,
            403,
            "csrf_failed",
            _("The form expired or came from elsewhere; reload the page and try again."),
        )
    code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "error"
    )
    return error(request, exc.status_code, code, str(exc))


def _register() -> None:
    # Imported here so that each app owns its router and this module only assembles them.
    from gridgov.accounts.api import router as accounts_router
    from gridgov.audit.api import router as audit_router
    from gridgov.cases.api import assemble as cases_router
    from gridgov.epidemic.api import assemble as epidemic_router
    from gridgov.inbox.api import router as inbox_router
    from gridgov.registry.api import router as registry_router
    from gridgov.territory.api import router as territory_router

    api.add_router("/territory", territory_router)
    api.add_router("/", accounts_router)
    api.add_router("/audit", audit_router)
    api.add_router("/registry", registry_router)
    api.add_router("/cases", cases_router())
    api.add_router("/epidemic", epidemic_router())
    api.add_router("/inbox", inbox_router)


_register()
