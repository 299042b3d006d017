"""Pages of the audit app: the auditor's event list and one event."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gridgov.accounts import scope
from gridgov.accounts.viewutils import domain_errors
from gridgov.audit import queries
from gridgov.audit.forms import EventFilterForm
from gridgov.core.paging import paginate

AUDIT_VIEW = "audit.view"
PAGE_SIZE = 50


@login_required
@require_GET
@domain_errors
def event_list(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, AUDIT_VIEW)
    filters = EventFilterForm(request.GET or None)
    qs = queries.search_events(request.user, **filters.search_arguments())
    page = paginate(qs.order_by("-seq"), request.GET.get("page"), PAGE_SIZE)
    return render(request, "audit/event_list.html", {"filters": filters, "page": page})


@login_required
@require_GET
@domain_errors
def event_detail(request: HttpRequest, seq: int) -> HttpResponse:
    scope.require(request.user, AUDIT_VIEW)
    event = queries.get_event_for(request.user, seq)
    return render(request, "audit/event_detail.html", {"event": event})
