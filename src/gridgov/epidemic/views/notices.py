"""Notice pages: the list (anyone with an epidemic capability sees the notices of their
area), drafting and sending (``epidemic.notify``), a notice with its reach per area and
its deliveries, my notices (staff), the grid worker's door-to-door round (mobile-first:
one tap per door, or a whole building) and the residents' public notice link."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import scope
from gridgov.accounts.viewutils import domain_errors
from gridgov.core.errors import DomainError, NotFound, PermissionDenied
from gridgov.core.paging import paginate
from gridgov.epidemic.actions import notices as actions
from gridgov.epidemic.capabilities import AGGREGATE, NOTIFY, VIEW
from gridgov.epidemic.forms import notices as forms
from gridgov.epidemic.models import Notice, NoticeStatus
from gridgov.epidemic.queries import notices as queries
from gridgov.epidemic.views.common import ConcernPages, attempt, form_status, page
from gridgov.registry.models import CareKind
from gridgov.territory import codes
from gridgov.territory.models import Region
from gridgov.web.tabs import Tab, TabRow, may

PAGE_SIZE = 30
DOOR_PAGE_SIZE = 50
MAX_PLACES = 300


_page = ConcernPages(
    "notices",
    TabRow(
        Tab("list", gettext_lazy("Notices"), "epidemic:notice_list"),
        Tab("mine", gettext_lazy("My notices"), "epidemic:notice_mine"),
        Tab("door", gettext_lazy("Door to door"), "epidemic:notice_door", may(queries.DELIVER)),
    ),
)


def _readable(user: Any) -> None:
    if not queries.may_read(user):
        raise PermissionDenied()


# --- the list -----------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def notice_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = forms.NoticeFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    notices = queries.search_notices(user, q=data.get("q") or "", status=data.get("status") or "")
    result = paginate(notices, request.GET.get("page"), PAGE_SIZE)
    totals = queries.totals_in_scope(user, [n.pk for n in result.items])
    names = queries.region_names(n.region_code for n in result.items)
    for notice in result.items:
        notice.figures = totals.get(notice.pk)
        notice.region_name = names.get(notice.region_code, notice.region_code)
    return _page(
        request,
        "list.html",
        "list",
        {
            "filters": filters,
            "page": result,
            "can_notify": scope.has_capability(user, NOTIFY),
            "shows_figures": scope.has_capability(user, AGGREGATE),
        },
    )


# --- drafting -----------------------------------------------------------------------------


def _issuers(user: Any) -> list[tuple[str, str]]:
    held = [c for c in scope.scope_codes(user, NOTIFY) if len(c) in queries.CHILD_LENGTH]
    names = queries.region_names(held)
    return [(code, f"{names.get(code, code)} ({code})") for code in held]


def _places(prefixes: list[str]) -> list[tuple[str, str]]:
    """The areas offered in the target picker: the issuing areas and what lies under them,
    broadest first (a typed code of any node inside works too)."""
    if not prefixes:
        return []
    under = Region.objects.filter(code__startswith=prefixes[0])
    for prefix in prefixes[1:]:
        under |= Region.objects.filter(code__startswith=prefix)
    rows = under.order_by("level", "code").values_list("code", "name")[:MAX_PLACES]
    return list(rows)


def _targets_initial(notice: Notice | None, region: str) -> list[dict[str, str]]:
    if notice is None:
        return [{"code": region, "care_kind": ""}] if region else []
    return [
        {"code": code, "care_kind": kind}
        for code, kind in notice.targets.order_by("pk").values_list("code", "care_kind")
    ]


def _form_page(request: HttpRequest, notice: Notice | None) -> HttpResponse:
    user = request.user
    scope.require(user, NOTIFY, notice.region_code if notice else None)
    issuers = _issuers(user) if notice is None else []
    default_region = notice.region_code if notice else (issuers[0][0] if len(issuers) == 1 else "")
    preview = None
    status = 200
    if request.method == "POST":
        form = forms.NoticeForm(request.POST, issuers=issuers)
        formset = forms.TargetFormSet(request.POST, prefix="t")
        if form.is_valid() and formset.is_valid():
            fields = form.changes() | {"targets": forms.target_rows(formset)}
            if "preview" in request.POST:
                region = (
                    notice.region_code if notice else fields.get("region_code") or default_region
                )
                preview, status = attempt(
                    form,
                    lambda: queries.preview_targets(
                        user, region, fields["audience"], fields["targets"]
                    ),
                )
            else:
                saved, status = attempt(form, lambda: _save(user, notice, form, fields))
                if saved is not None:
                    messages.success(
                        request, _("The draft was saved. Check the recipients, then send it.")
                    )
                    return redirect("epidemic:notice_detail", saved.pk)
    else:
        initial = (
            {f: getattr(notice, f) for f in actions.FIELDS} | {"version": notice.version}
            if notice
            else {}
        )
        form = forms.NoticeForm(initial=initial or None, issuers=issuers)
        formset = forms.TargetFormSet(prefix="t", initial=_targets_initial(notice, default_region))
    prefixes = [notice.region_code] if notice else [code for code, _label in issuers]
    return _page(
        request,
        "form.html",
        "list",
        {
            "form": form,
            "formset": formset,
            "notice": notice,
            "preview": preview,
            "places": _places(prefixes),
        },
        status=_form_status(request, form, formset, status),
    )


def _form_status(request: HttpRequest, form: Any, formset: Any, status: int) -> int:
    if request.method == "POST" and status == 200 and formset.total_error_count():
        return 422
    return form_status(form, status)


def _save(user: Any, notice: Notice | None, form: Any, fields: dict[str, Any]) -> Notice:
    if notice is None:
        return actions.create_notice(actor=user, **fields)
    fields.pop("region_code", None)
    return actions.update_notice(
        notice.pk, actor=user, expected_version=form.cleaned_data.get("version"), **fields
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def notice_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def notice_edit(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = queries.get_managed_notice_for(request.user, notice_id)
    if notice.status != NoticeStatus.DRAFT:
        messages.info(request, _("A sent notice cannot be changed."))
        return redirect("epidemic:notice_detail", notice.pk)
    return _form_page(request, notice)


# --- one notice ---------------------------------------------------------------------------


def _detail(
    request: HttpRequest, notice: Notice, *, error: str = "", status: int = 200
) -> HttpResponse:
    user = request.user
    manage = queries.may_manage(user, notice)
    code = request.GET.get("code", "").strip()
    reach = None
    if notice.status != NoticeStatus.DRAFT and (code or queries.reach_node(user, notice)):
        reach = queries.reach(user, notice, code)
    targets = list(notice.targets.order_by("pk").values_list("code", "care_kind"))
    names = queries.region_names([notice.region_code, *(c for c, _k in targets)])
    return _page(
        request,
        "detail.html",
        "list",
        {
            "notice": notice,
            "region_name": names.get(notice.region_code, notice.region_code),
            "targets": [
                {"code": c, "name": names.get(c, c), "care_kind": k, "care_label": _care_label(k)}
                for c, k in targets
            ],
            "can_manage": manage,
            "preview": queries.preview_for(user, notice)
            if manage and notice.status == NoticeStatus.DRAFT
            else None,
            "reach": reach,
            "start": queries.reach_node(user, notice),
            "up": _up(user, reach, queries.reach_node(user, notice)),
            "can_view_deliveries": scope.has_capability(user, VIEW),
            "error": error,
        },
        status=status,
    )


def _care_label(kind: str) -> str:
    return str(CareKind(kind).label) if kind in CareKind.values else kind


def _up(user: Any, reach: Any, start: str | None) -> str | None:
    """The parent of the area shown, while it is below where the user's reach starts."""
    if reach is None or start is None or len(reach.node.code) <= len(start):
        return None
    parent = codes.parent_code(reach.node.code)
    return parent if parent and scope.has_capability(user, AGGREGATE, parent) else None


@login_required
@require_GET
@domain_errors
def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    """The notice; for a staff recipient, opening it is the receipt (like their inbox)."""
    notice = queries.get_notice_for(request.user, notice_id)
    if notice.status == NoticeStatus.SENT:
        actions.read_notice(notice.pk, actor=request.user)
    return _detail(request, notice)


def _move(request: HttpRequest, notice_id: int, move: Any, done: str) -> HttpResponse:
    notice = queries.get_managed_notice_for(request.user, notice_id)
    try:
        moved = move(notice.pk, actor=request.user, expected_version=request.POST.get("version"))
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        notice.refresh_from_db()
        return _detail(request, notice, error=exc.message, status=exc.status)
    messages.success(request, done % {"title": moved.title})
    return redirect("epidemic:notice_detail", moved.pk)


@login_required
@require_POST
@domain_errors
def notice_send(request: HttpRequest, notice_id: int) -> HttpResponse:
    return _move(request, notice_id, actions.send_notice, _("“%(title)s” was sent."))


@login_required
@require_POST
@domain_errors
def notice_withdraw(request: HttpRequest, notice_id: int) -> HttpResponse:
    return _move(request, notice_id, actions.withdraw_notice, _("“%(title)s” was withdrawn."))


@login_required
@require_GET
@domain_errors
def notice_deliveries(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Who the notice reached, in the grids where the user may see people (names masked)."""
    notice = queries.get_notice_for(request.user, notice_id)
    filters = forms.DeliveryFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    code = request.GET.get("code", "").strip()
    rows = queries.search_deliveries(
        request.user, notice, state=data.get("state") or "", kind=data.get("kind") or "", code=code
    )
    result = paginate(rows, request.GET.get("page"), PAGE_SIZE)
    for delivery in result.items:
        delivery.recipient = queries.recipient_label(delivery)
    return _page(
        request,
        "deliveries.html",
        "list",
        {
            "notice": notice,
            "filters": filters,
            "page": result,
            "code": code,
            "crumbs": [
                (_("Notices"), reverse("epidemic:notice_list")),
                (notice.title, reverse("epidemic:notice_detail", args=[notice.pk])),
                (_("Who it reached"), ""),
            ],
        },
    )


# --- my notices ---------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def notice_mine(request: HttpRequest) -> HttpResponse:
    _readable(request.user)
    unread = request.GET.get("show") == "unread"
    rows = queries.my_notices(request.user, unread=unread)
    return _page(
        request,
        "mine.html",
        "mine",
        {"page": paginate(rows, request.GET.get("page"), PAGE_SIZE), "unread_only": unread},
    )


# --- door to door -------------------------------------------------------------------------


def _door_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    scope.require(user, queries.DELIVER)
    pending = queries.door_list(user)
    notices = list(
        Notice.objects.filter(pk__in=pending.values("notice_id"))
        .order_by("-sent_at")
        .values_list("pk", "title")[:50]
    )
    filters = forms.DoorFilterForm(request.GET or None, notices=notices)
    data = filters.cleaned_data if filters.is_valid() else {}
    rows = queries.door_list(user, notice_id=data.get("notice"), q=data.get("q") or "")
    result = paginate(rows, request.GET.get("page"), DOOR_PAGE_SIZE)
    return {
        "filters": filters,
        "page": result,
        "groups": _by_building(result.items),
        "notice_id": data.get("notice") or "",
        "back": request.get_full_path(),
    }


def _by_building(rows: list[Any]) -> list[dict[str, Any]]:
    """The page's doors grouped by building (or by household address without one), in
    the order of the walk."""
    groups: list[dict[str, Any]] = []
    for delivery in rows:
        household = delivery.person.household
        building = household.building if household else None
        key = (
            f"b{building.pk}"
            if building
            else (household.address if household else delivery.person.address)
        )
        if not groups or groups[-1]["key"] != key:
            groups.append(
                {
                    "key": key,
                    "label": building.address if building else key or _("Address unknown"),
                    "building": building,
                    "rows": [],
                }
            )
        groups[-1]["rows"].append(delivery)
    return groups


@login_required
@require_GET
@domain_errors
def notice_door(request: HttpRequest) -> HttpResponse:
    return _page(request, "door.html", "door", _door_context(request))


def _back(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("back", "")
    if back.startswith(reverse("epidemic:notice_door")):
        return redirect(back)
    return redirect("epidemic:notice_door")


@login_required
@require_POST
@domain_errors
def notice_door_mark(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """One tap: this door was given the notice."""
    try:
        done = actions.mark_door_delivered([delivery_id], actor=request.user)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return (
            _back(request)
            if not request.headers.get("HX-Request")
            else HttpResponse(exc.message, status=exc.status)
        )
    if request.headers.get("HX-Request"):
        return page(request, "notices/includes/door_done.html", {"marked": done.marked})
    if done.marked:
        messages.success(request, _("Marked delivered."))
    return _back(request)


@login_required
@require_POST
@domain_errors
def notice_door_building(request: HttpRequest) -> HttpResponse:
    """Every door of a building at once (of one notice when the list was filtered)."""
    user = request.user
    rows = queries.door_list(
        user,
        notice_id=request.POST.get("notice") or None,
        building_id=request.POST.get("building"),
    )
    ids = list(rows.values_list("pk", flat=True)[: actions.MAX_MARKS])
    if not ids:
        messages.info(request, _("Nothing left to deliver in this building."))
        return _back(request)
    try:
        done = actions.mark_door_delivered(ids, actor=user)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(request)
    messages.success(
        request,
        ngettext("%(n)d door marked delivered.", "%(n)d doors marked delivered.", done.marked)
        % {"n": done.marked},
    )
    return _back(request)


# --- the residents' link ------------------------------------------------------------------


@never_cache
@require_GET
@domain_errors
def notice_public(request: HttpRequest, token: str) -> HttpResponse:
    """A resident's notice, read through their link: no login, no personal data shown;
    opening it is the read receipt."""
    delivery = actions.read_notice_link(token)
    notice = delivery.notice
    return page(
        request,
        "notices/public.html",
        {
            "notice": notice,
            "issuer": queries.region_names([notice.region_code]).get(notice.region_code, ""),
            "withdrawn": notice.status != NoticeStatus.SENT,
        },
    )


urlpatterns: list[URLPattern] = [
    path("notices/", notice_list, name="notice_list"),
    path("notices/new/", notice_create, name="notice_create"),
    path("notices/mine/", notice_mine, name="notice_mine"),
    path("notices/door/", notice_door, name="notice_door"),
    path("notices/door/building/", notice_door_building, name="notice_door_building"),
    path("notices/door/<int:delivery_id>/", notice_door_mark, name="notice_door_mark"),
    path("notices/<int:notice_id>/", notice_detail, name="notice_detail"),
    path("notices/<int:notice_id>/edit/", notice_edit, name="notice_edit"),
    path("notices/<int:notice_id>/send/", notice_send, name="notice_send"),
    path("notices/<int:notice_id>/withdraw/", notice_withdraw, name="notice_withdraw"),
    path("notices/<int:notice_id>/deliveries/", notice_deliveries, name="notice_deliveries"),
    path("n/<str:token>/", notice_public, name="notice_public"),
]


def register_web() -> None:
    from gridgov.audit import labels
    from gridgov.epidemic.sections import register_section
    from gridgov.web.context import NavItem

    register_section(
        NavItem(
            gettext_lazy("Notices"),
            "epidemic:notice_list",
            AGGREGATE,
            gettext_lazy("Publicity notices to staff and residents, with read receipts."),
            order=70,
        )
    )
    labels.register(
        {
            "epidemic.notice.create": pgettext_lazy("audit action", "Notice drafted"),
            "epidemic.notice.update": pgettext_lazy("audit action", "Notice draft changed"),
            "epidemic.notice.send": pgettext_lazy("audit action", "Notice sent"),
            "epidemic.notice.withdraw": pgettext_lazy("audit action", "Notice withdrawn"),
            "epidemic.notice.read": pgettext_lazy("audit action", "Notice read"),
            "epidemic.notice.door": pgettext_lazy("audit action", "Notice delivered door to door"),
            "epidemic.notice.links": pgettext_lazy(
                "audit action", "Notice links revealed for text messages"
            ),
        }
    )
