"""Binds a request id and client IP to every request so audit events can carry them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from gridgov.audit import context


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind the operator's reverse proxy REMOTE_ADDR is the proxy, so
    X-Forwarded-For is read — but only when the request really comes from a proxy listed in
    GRIDGOV_TRUSTED_PROXIES; anyone else could forge it to dodge login throttling."""
    remote = (request.META.get("REMOTE_ADDR") or "")[:45]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and remote in settings.GRIDGOV_TRUSTED_PROXIES:
        return forwarded.split(",")[-1].strip()[:45]
    return remote


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else ""
        channel = "api" if request.path.startswith(("/api/", "/open311/")) else "web"
        ctx = context.RequestContext(
            request_id=request_id or context.new_request_id(),
            ip=client_ip(request),
            channel=channel,
        )
        with context.bound(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = ctx.request_id
        return response
