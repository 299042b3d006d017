"""Isolation pages: the people in isolation (``epidemic.view``), starting, releasing and
extending an episode (``epidemic.isolate``), the grid worker's follow-up round for the day
(``epidemic.follow_up``, mobile-first: one tap for "normal", a short form otherwise) and
the missed follow-ups community and township staff chase."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import scope
from gridgov.accounts.viewutils import domain_errors
from gridgov.core.paging import paginate
from gridgov.epidemic import rules
from gridgov.epidemic.actions import isolation as actions
from gridgov.epidemic.capabilities import FOLLOW_UP, ISOLATE, VIEW
from gridgov.epidemic.forms import isolation as forms
from gridgov.epidemic.models import EpidemicSettings, FollowUpStatus, IsolationStatus
from gridgov.epidemic.queries import isolation as queries
from gridgov.epidemic.views.common import ConcernPages, attempt, form_status, page
from gridgov.registry.shaping import own_grid_codes
from gridgov.web.tabs import Tab, TabRow, may

PAGE_SIZE = 30
MISSED_DAYS = 7


_page = ConcernPages(
    "isolation",
    TabRow(
        Tab("episodes", gettext_lazy("In isolation"), "epidemic:isolation_list"),
        Tab(
            "follow_ups",
            gettext_lazy("Follow-ups"),
            "epidemic:isolation_follow_ups",
            may(FOLLOW_UP),
        ),
        Tab("missed", gettext_lazy("Missed follow-ups"), "epidemic:isolation_missed"),
    ),
)


@login_required
@require_GET
@domain_errors
def isolation_home(request: HttpRequest) -> HttpResponse:
    """Where the navigation leads: a grid worker's round, everyone else the list."""
    scope.require(request.user, VIEW)
    if own_grid_codes(request.user) and scope.has_capability(request.user, FOLLOW_UP):
        return redirect("epidemic:isolation_follow_ups")
    return redirect("epidemic:isolation_list")


# --- episodes -----------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def isolation_list(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, VIEW)
    filters = forms.EpisodeFilterForm(request.GET)
    criteria = filters.criteria()
    episodes = queries.search_episodes(request.user, **criteria)
    result = paginate(episodes, request.GET.get("page"), PAGE_SIZE)
    today = rules.today()
    ready = queries.ready_among(result.items, today)
    for episode in result.items:
        episode.day_number = queries.day_number(episode, today)
        episode.ready = episode.pk in ready
    can_isolate = scope.has_capability(request.user, ISOLATE)
    return _page(
        request,
        "list.html",
        "episodes",
        {
            "filters": filters,
            "page": result,
            "counts": queries.kind_counts(episodes),
            "today": today,
            "can_isolate": can_isolate,
            "showing_due": criteria.get("due"),
            "rule_follow_ups": queries.RULE_FOLLOW_UPS,
            "due_code": criteria.get("code", ""),
        },
    )


def _start_context(request: HttpRequest) -> dict[str, Any]:
    picker = forms.PersonPickForm(request.GET or None)
    term = picker.cleaned_data.get("q", "") if picker.is_valid() else ""
    return {
        "picker": picker,
        "term": term,
        "candidates": list(queries.isolation_candidates(request.user, term)) if term else [],
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def isolation_start(request: HttpRequest) -> HttpResponse:
    """Find the person (name part, or an exact ID or phone number), then the episode's form."""
    scope.require(request.user, ISOLATE)
    chosen = request.POST.get("person_id") or request.GET.get("person")
    person = queries.get_candidate_for(request.user, chosen) if chosen else None
    context = _start_context(request) if person is None else {}
    form = None
    status = 200
    if person is not None:
        initial = {"person_id": person.pk, "start_date": rules.today(), "kind": "home"}
        form = forms.StartForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.start()
            data["person_id"] = person.pk
            episode, status = attempt(
                form, lambda: actions.start_isolation(actor=request.user, **data)
            )
            if episode is not None:
                messages.success(
                    request, _("%(name)s is now in isolation.") % {"name": person.name}
                )
                return redirect("epidemic:isolation_detail", episode.pk)
        status = form_status(form, status)
    elif request.method == "POST":
        status = 422
    return _page(
        request,
        "start.html",
        "episodes",
        {**context, "person": person, "form": form},
        status=status,
    )


def _detail(
    request: HttpRequest,
    episode: Any,
    *,
    release_form: forms.ReleaseForm | None = None,
    extend_form: forms.ExtendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = rules.today()
    threshold = EpidemicSettings.current().fever_threshold
    follow_ups = queries.timeline(episode)
    for follow_up in follow_ups:
        _findings(follow_up, episode, threshold)
    active = episode.status == IsolationStatus.ACTIVE
    due = active and episode.planned_end <= today
    version = {"version": episode.version}
    return _page(
        request,
        "detail.html",
        "episodes",
        {
            "episode": episode,
            "person": episode.person,
            "follow_ups": list(reversed(follow_ups)),
            "chart": _chart(follow_ups, threshold),
            "others": list(
                queries.person_episodes(request.user, episode.person_id).exclude(pk=episode.pk)[:10]
            ),
            "active": active,
            "due": due,
            "ready": episode.pk in queries.ready_among([episode], today, threshold),
            "rule_follow_ups": queries.RULE_FOLLOW_UPS,
            "day_number": queries.day_number(episode, today),
            "today": today,
            "length": (episode.planned_end - episode.start_date).days,
            "can_isolate": active
            and scope.has_capability(request.user, ISOLATE, episode.grid_code),
            "release_form": release_form or forms.ReleaseForm(initial=version),
            "extend_form": extend_form
            or forms.ExtendForm(initial={**version, "planned_end": episode.planned_end}),
        },
        status=status,
    )


def _chart(follow_ups: list[Any], threshold: Any) -> dict[str, Any]:
    """The temperature chart's data (isolation.js): one point per recorded day."""
    return {
        "dates": [f.date.isoformat() for f in follow_ups],
        "temperatures": [
            float(f.temperature) if f.temperature is not None else None for f in follow_ups
        ],
        "threshold": float(threshold),
        "labels": {"temperature": _("Temperature (°C)"), "threshold": _("Fever threshold")},
    }


@login_required
@require_GET
@domain_errors
def isolation_detail(request: HttpRequest, episode_id: int) -> HttpResponse:
    return _detail(request, queries.get_episode_for(request.user, episode_id))


def _episode_for_change(request: HttpRequest, episode_id: int) -> Any:
    """The episode, refused like the actions refuse: 404 outside the user's area, 403
    without ``epidemic.isolate`` over it."""
    episode = queries.get_episode_for(request.user, episode_id)
    scope.require(request.user, ISOLATE)
    scope.require(request.user, ISOLATE, episode.grid_code)
    return episode


@login_required
@require_POST
@domain_errors
def isolation_release(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = _episode_for_change(request, episode_id)
    form = forms.ReleaseForm(request.POST)
    status = 422
    if form.is_valid():
        done, status = attempt(
            form,
            lambda: actions.release_isolation(
                episode.pk,
                actor=request.user,
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        if done is not None:
            messages.success(request, _("%(name)s was released.") % {"name": episode.person.name})
            return redirect("epidemic:isolation_detail", episode.pk)
    return _detail(request, episode, release_form=form, status=form_status(form, status))


@login_required
@require_POST
@domain_errors
def isolation_extend(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = _episode_for_change(request, episode_id)
    form = forms.ExtendForm(request.POST)
    status = 422
    if form.is_valid():
        done, status = attempt(
            form,
            lambda: actions.extend_isolation(
                episode.pk,
                actor=request.user,
                planned_end=form.cleaned_data["planned_end"],
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        if done is not None:
            messages.success(
                request, _("The planned end is now %(day)s.") % {"day": done.planned_end}
            )
            return redirect("epidemic:isolation_detail", episode.pk)
    return _detail(request, episode, extend_form=form, status=form_status(form, status))


@login_required
@require_POST
@domain_errors
def isolation_release_due(request: HttpRequest) -> HttpResponse:
    """Release everyone in the user's area (under ``code``) the rule releases today."""
    code = request.POST.get("code", "").strip()
    if code and not (code.isdigit() and 4 <= len(code) <= 15):
        code = ""
    released = actions.release_by_rule(actor=request.user, code=code)
    if released:
        messages.success(
            request,
            ngettext(
                "%(n)d person was released by the rule.",
                "%(n)d people were released by the rule.",
                len(released),
            )
            % {"n": len(released)},
        )
    else:
        messages.info(request, _("Nobody meets the release rule yet."))
    return redirect(reverse("epidemic:isolation_list") + "?due=on")


# --- follow-ups ---------------------------------------------------------------------------


def _follow_up_form(follow_up: Any, data: Any = None) -> forms.FollowUpForm:
    return forms.FollowUpForm(
        data, prefix=f"f{follow_up.pk}", initial={"version": follow_up.version}
    )


def _findings(follow_up: Any, episode: Any, threshold: Any) -> None:
    """What a follow-up shows besides its fields: the day of isolation, abnormal or not,
    its symptoms in words."""
    follow_up.day_number = queries.day_number(episode, follow_up.date)
    follow_up.abnormal = queries.is_abnormal(follow_up.temperature, follow_up.symptoms, threshold)
    follow_up.symptom_text = queries.symptom_labels(follow_up.symptoms)


def _dress(follow_up: Any, threshold: Any, form: Any = None) -> Any:
    """A row of the round: its findings, whether it can still be recorded, and its form."""
    _findings(follow_up, follow_up.episode, threshold)
    follow_up.open = (
        follow_up.status != FollowUpStatus.DONE
        and follow_up.episode.status == IsolationStatus.ACTIVE
    )
    follow_up.form = form or _follow_up_form(follow_up)
    return follow_up


def _round_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    filters = forms.FollowUpFilterForm(request.GET or None)
    day = filters.chosen_day()
    data = filters.cleaned_data if filters.is_valid() else {}
    code = data.get("code") or ""
    # A grid worker sees their own round unless they ask for an area.
    own = own_grid_codes(user)
    actions.ensure_todays_follow_ups(actor=user, day=day)
    everyone = queries.follow_up_list(
        user, day, code=code, mine=not code and bool(own), own_grids=own, q=data.get("q") or ""
    )
    status = data.get("status") or ""
    rows = everyone.filter(status=status) if status else everyone
    result = paginate(rows, request.GET.get("page"), PAGE_SIZE)
    rules_in_force = EpidemicSettings.current()
    for follow_up in result.items:
        _dress(follow_up, rules_in_force.fever_threshold)
    return {
        "filters": filters,
        "day": day,
        "is_today": day == rules.today(),
        "page": result,
        "counts": queries.status_counts(everyone),
        "deadline": actions.deadline_of(day, rules_in_force),
    }


@login_required
@require_GET
@domain_errors
def isolation_follow_ups(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, FOLLOW_UP)
    return _page(request, "follow_ups.html", "follow_ups", _round_context(request))


def _row(request: HttpRequest, follow_up_id: int, form: Any, status: int) -> HttpResponse:
    """One follow-up's row again (htmx), as it is now; with ``form``, as it was sent."""
    follow_up = queries.get_follow_up_for(request.user, follow_up_id)
    threshold = EpidemicSettings.current().fever_threshold
    return page(
        request,
        "isolation/includes/follow_up_row.html",
        {"follow_up": _dress(follow_up, threshold, form)},
        status=status,
    )


@login_required
@require_POST
@domain_errors
def isolation_follow_up_record(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    """Record one follow-up: the one-tap "normal" button sends only the version; the form
    sends a temperature, symptoms and a note. htmx swaps the row; otherwise back to the list."""
    follow_up = queries.get_follow_up_for(request.user, follow_up_id)
    scope.require(request.user, FOLLOW_UP, follow_up.grid_code)
    htmx = bool(request.headers.get("HX-Request"))
    form = _follow_up_form(follow_up, request.POST)
    status = 422
    if form.is_valid():
        done, status = attempt(
            form,
            lambda: actions.record_follow_up(follow_up.pk, actor=request.user, **form.follow_up()),
        )
        if done is not None and htmx:
            return _row(request, follow_up.pk, None, 200)
        if done is not None:
            messages.success(
                request, _("Follow-up of %(name)s recorded.") % {"name": follow_up.person.name}
            )
            return redirect(reverse("epidemic:isolation_follow_ups") + f"#follow-up-{follow_up.pk}")
    status = form_status(form, status)
    if htmx:
        return _row(request, follow_up.pk, form, status)
    # Without JavaScript: the round again, this row showing what was sent and why it failed.
    context = _round_context(request)
    for row in context["page"].items:
        if row.pk == follow_up.pk:
            row.form = form
    return _page(request, "follow_ups.html", "follow_ups", context, status=status)


@login_required
@require_GET
@domain_errors
def isolation_missed(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, VIEW)
    filters = forms.MissedFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    since = data.get("since") or rules.today() - dt.timedelta(days=MISSED_DAYS)
    rows = queries.missed_follow_ups(
        request.user,
        code=data.get("code") or "",
        since=since,
        until=data.get("until"),
        q=data.get("q") or "",
    )
    result = paginate(rows, request.GET.get("page"), PAGE_SIZE)
    for follow_up in result.items:
        follow_up.day_number = queries.day_number(follow_up.episode, follow_up.date)
    return _page(
        request,
        "missed.html",
        "missed",
        {"filters": filters, "since": since, "page": result},
    )


urlpatterns: list[URLPattern] = [
    path("isolation/", isolation_home, name="isolation_home"),
    path("isolation/episodes/", isolation_list, name="isolation_list"),
    path("isolation/episodes/new/", isolation_start, name="isolation_start"),
    path("isolation/episodes/release-due/", isolation_release_due, name="isolation_release_due"),
    path("isolation/episodes/<int:episode_id>/", isolation_detail, name="isolation_detail"),
    path(
        "isolation/episodes/<int:episode_id>/release/",
        isolation_release,
        name="isolation_release",
    ),
    path("isolation/episodes/<int:episode_id>/extend/", isolation_extend, name="isolation_extend"),
    path("isolation/follow-ups/", isolation_follow_ups, name="isolation_follow_ups"),
    path(
        "isolation/follow-ups/<int:follow_up_id>/",
        isolation_follow_up_record,
        name="isolation_follow_up_record",
    ),
    path("isolation/missed/", isolation_missed, name="isolation_missed"),
]


def register_web() -> None:
    from gridgov.audit import labels
    from gridgov.epidemic.sections import register_section
    from gridgov.web.context import NavItem

    register_section(
        NavItem(
            gettext_lazy("Isolation"),
            "epidemic:isolation_home",
            VIEW,
            gettext_lazy("People in home or centralised isolation and their daily follow-ups."),
            order=40,
        )
    )
    labels.register(
        {
            "epidemic.isolation.start": pgettext_lazy("audit action", "Isolation started"),
            "epidemic.isolation.follow_up": pgettext_lazy(
                "audit action", "Isolation follow-up recorded"
            ),
            "epidemic.isolation.follow_ups.generate": pgettext_lazy(
                "audit action", "Isolation follow-ups generated"
            ),
            "epidemic.isolation.follow_ups.missed": pgettext_lazy(
                "audit action", "Isolation follow-ups missed"
            ),
            "epidemic.isolation.release": pgettext_lazy("audit action", "Isolation released"),
            "epidemic.isolation.extend": pgettext_lazy(
                "audit action", "Isolation planned end changed"
            ),
        }
    )
