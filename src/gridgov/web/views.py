"""The landing page and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from gridgov.web import home as landing
from gridgov.web.context import nav_items_for, url_or_none


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "web/home.html",
        {
            "greeting": landing.greeting(),
            "role_lines": landing.role_lines(user),
            "places": landing.places(user),
            "grids": landing.my_grids(user),
            "browse_url": url_or_none("territory:browse"),
            # Every destination of the menu except this page, with what it is for.
            "destinations": [i for i in nav_items_for(user, request.path) if i["url"] != "/"],
        },
    )


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
