"""Middleware of the cases app."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from gridgov.cases import calendar


class CalendarPerRequestMiddleware:
    """Reads the working calendar at most once per request (``calendar.pinned``): a page
    or an API list showing the traffic light of fifty cases asks for it once, not fifty
    times. A change of the calendar made during the request is still seen at once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with calendar.pinned():
            return self.get_response(request)
