"""Who may reach what of notices: every page and endpoint, for anonymous callers, roles
without the epidemic (a citizen, the supervision centre), a leader (figures only), staff of
another area (the neighbouring community's grid worker, the sibling township, the other
county's command centre) and the right people (the grid's worker and community staff, the
issuing township, the county's and the city's command centre). A refused call changes
nothing: not a row, a message or an audit event. Lists answer within a fixed number of
queries, however many rows they show.

The world: a notice sent by the township (东关) to everyone of 河街社区 (``s``), and a draft
of the same (``d``). Writes that succeed only once (sending, withdrawing, marking) get a
fresh notice for every call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gridgov.epidemic.actions import notices as actions
from gridgov.epidemic.models import Notice, NoticeDelivery
from gridgov.epidemic.queries import notices as queries
from gridgov.epidemic.tests.fixtures import SCOPE_USERS, Epi, epidemic_state, expecter
from gridgov.registry.tests.core_fixtures import COMMUNITY
from gridgov.registry.tests.web_fixtures import client_for

pytestmark = pytest.mark.django_db

TOWNSHIP = "411302001"
USERS = SCOPE_USERS
LOGIN = 302
NO_EPIDEMIC = {"citizen": 403, "supervision": 403}
# Those who see the sent notice: its area's readers (the leader reads figures only).
SEES_SENT = {"leader": 200, "worker": 200, "community": 200, "township": 200}
SEES_SENT |= {"county": 200, "command": 200}
MANAGERS = {"township": 200, "county": 200, "command": 200}
NOTIFIERS = {"community": 200, "sibling": 200, "other_county": 200} | MANAGERS
FIELD = {"worker": 200, "community": 200}
SEE_ONLY = {"leader": 403, "worker": 403, "community": 403}


expect = expecter(USERS)


def with_status(answers: dict[str, int], status: int) -> dict[str, int]:
    return {user: status for user in answers}


class World:
    def __init__(self, epi: Epi) -> None:
        self.epi = epi
        r = epi.r
        self.users = epi.users(USERS)
        self.sent = self.fresh_sent()
        self.draft = self.fresh_draft()
        self.token = queries.link_token(self.delivery(self.sent, r.person.pk))

    def fresh_draft(self) -> Notice:
        return actions.create_notice(
            actor=self.epi.r.township,
            title="停水通知",
            body="明日停水。",
            audience="both",
            targets=[{"code": COMMUNITY}],
        )

    def fresh_sent(self) -> Notice:
        return actions.send_notice(self.fresh_draft().pk, actor=self.epi.r.township)

    def delivery(self, notice: Notice, person_id: int) -> int:
        return NoticeDelivery.objects.get(notice=notice, person_id=person_id).pk

    def fresh_door(self) -> int:
        return self.delivery(self.fresh_sent(), self.epi.r.elder.pk)


@pytest.fixture
def world(epi: Epi) -> World:
    return World(epi)


def pages(w: World) -> list[tuple[str, dict[str, int]]]:
    s, d = w.sent.pk, w.draft.pk
    readers = expect(403, anonymous=LOGIN, neighbour=200, sibling=200, other_county=200)
    readers |= SEES_SENT
    return [
        ("/epidemic/notices/", readers),
        ("/epidemic/notices/?status=sent&q=停水", readers),
        ("/epidemic/notices/new/", expect(403, anonymous=LOGIN, **NOTIFIERS)),
        ("/epidemic/notices/mine/", readers),
        ("/epidemic/notices/door/", expect(403, anonymous=LOGIN, neighbour=200, **FIELD)),
        (f"/epidemic/notices/{s}/", expect(404, anonymous=LOGIN, **NO_EPIDEMIC, **SEES_SENT)),
        (
            f"/epidemic/notices/{s}/?code={TOWNSHIP}",
            expect(404, anonymous=LOGIN, **NO_EPIDEMIC)
            | with_status(SEES_SENT, 200)
            | {"worker": 404, "community": 404},
        ),
        (f"/epidemic/notices/{d}/", expect(404, anonymous=LOGIN, **NO_EPIDEMIC, **MANAGERS)),
        (f"/epidemic/notices/{d}/edit/", expect(404, anonymous=LOGIN, **NO_EPIDEMIC, **MANAGERS)),
        (
            f"/epidemic/notices/{s}/deliveries/",
            expect(404, anonymous=LOGIN, **NO_EPIDEMIC, **SEES_SENT) | {"leader": 403},
        ),
        (f"/epidemic/n/{w.token}/", expect(200)),
    ]


@pytest.mark.parametrize("index", range(11))
def test_pages(world: World, index: int) -> None:
    url, expected = pages(world)[index]
    got = {name: client_for(user).get(url).status_code for name, user in world.users.items()}
    assert got == expected, url


Call = tuple[str, Callable[[], str], Callable[[], Any], dict[str, int]]


def page_posts(w: World) -> list[Call]:
    notice = lambda: {"title": "通知", "body": "内容", "audience": "staff"}  # noqa: E731
    formset = {"t-TOTAL_FORMS": "0", "t-INITIAL_FORMS": "0"}
    draft = lambda: str(w.fresh_draft().pk)  # noqa: E731
    sent = lambda: str(w.fresh_sent().pk)  # noqa: E731
    managers = expect(404, anonymous=LOGIN, **NO_EPIDEMIC) | with_status(MANAGERS, 302)
    field = expect(403, anonymous=LOGIN, neighbour=404) | with_status(FIELD, 302)
    return [
        (
            "post",
            lambda: "/epidemic/notices/new/",
            lambda: notice() | formset,
            expect(403, anonymous=LOGIN) | with_status(NOTIFIERS, 302),
        ),
        (
            "post",
            lambda: f"/epidemic/notices/{w.draft.pk}/edit/",
            lambda: (
                notice() | formset | {"version": str(Notice.objects.get(pk=w.draft.pk).version)}
            ),
            managers,
        ),
        ("post", lambda: f"/epidemic/notices/{draft()}/send/", dict, managers),
        # Those who see a sent notice without sending notices there may not withdraw it.
        ("post", lambda: f"/epidemic/notices/{sent()}/withdraw/", dict, managers | SEE_ONLY),
        ("post", lambda: f"/epidemic/notices/door/{w.fresh_door()}/", dict, field),
        (
            "post",
            lambda: "/epidemic/notices/door/building/",
            lambda: {"building": str(w.epi.r.building.pk), "notice": str(w.fresh_sent().pk)},
            field,
        ),
    ]


def api_calls(w: World) -> list[Call]:
    base = "/api/v1/epidemic/notices"
    s, d = w.sent.pk, w.draft.pk
    readers = expect(403, anonymous=401, neighbour=200, sibling=200, other_county=200)
    readers |= SEES_SENT
    managers = expect(404, anonymous=401, **NO_EPIDEMIC, **MANAGERS)
    sees_sent = expect(404, anonymous=401, **NO_EPIDEMIC, **SEES_SENT)
    field = expect(403, anonymous=401, neighbour=404, **FIELD)
    nothing = lambda: None  # noqa: E731
    fixed = lambda path: lambda: path  # noqa: E731
    return [
        ("get", fixed(base), nothing, readers),
        (
            "post",
            fixed(base),
            lambda: {"title": "通知", "body": "内容", "audience": "staff", "targets": []},
            expect(403, anonymous=401) | with_status(NOTIFIERS, 201),
        ),
        (
            "post",
            fixed(f"{base}/preview"),
            lambda: {"region_code": TOWNSHIP, "audience": "both", "targets": [{"code": COMMUNITY}]},
            expect(403, anonymous=401, community=404, sibling=404, other_county=404, **MANAGERS),
        ),
        ("get", fixed(f"{base}/mine"), nothing, readers),
        ("get", fixed(f"{base}/door"), nothing, expect(403, anonymous=401, neighbour=200, **FIELD)),
        ("post", fixed(f"{base}/deliveries/door"), lambda: {"ids": [w.fresh_door()]}, field),
        ("post", lambda: f"{base}/deliveries/{w.fresh_door()}/door", dict, field),
        ("post", fixed(f"{base}/public/{w.token}/read"), dict, expect(200)),
        ("get", fixed(f"{base}/{s}"), nothing, sees_sent),
        ("get", fixed(f"{base}/{d}"), nothing, managers),
        ("patch", fixed(f"{base}/{d}"), lambda: {"title": "停水通知（更正）"}, managers),
        ("post", lambda: f"{base}/{w.fresh_draft().pk}/send", dict, managers),
        ("post", lambda: f"{base}/{w.fresh_sent().pk}/withdraw", dict, managers | SEE_ONLY),
        ("get", fixed(f"{base}/{d}/preview"), nothing, managers),
        ("get", fixed(f"{base}/{s}/reach"), nothing, sees_sent),
        (
            "get",
            fixed(f"{base}/{s}/reach?code={TOWNSHIP}"),
            nothing,
            sees_sent | {"worker": 404, "community": 404},
        ),
        ("get", fixed(f"{base}/{s}/deliveries"), nothing, sees_sent | {"leader": 403}),
    ]


def _call(client: Any, method: str, url: str, payload: Any, *, api: bool) -> Any:
    if payload is None:
        return getattr(client, method)(url)
    if api:
        return getattr(client, method)(url, payload, content_type="application/json")
    return getattr(client, method)(url, payload)


def _run(w: World, call: Call, *, api: bool) -> None:
    method, url, body, expected = call
    got = {}
    ok = (200, 201, 302)
    # The right people last: every refusal is checked against the untouched state.
    for name in sorted(USERS, key=lambda u: expected[u] in ok and u != "anonymous"):
        target, payload = url(), body()
        before = epidemic_state()
        response = _call(client_for(w.users[name]), method, target, payload, api=api)
        got[name] = response.status_code
        # An anonymous page request is sent to the login page (302) and changes nothing.
        if got[name] not in ok or (name == "anonymous" and not api):
            assert epidemic_state() == before, (target, name)
            if api and got[name] >= 400:
                assert set(response.json()) == {"code", "message", "details"}, (target, name)
    assert got == expected, url()


@pytest.mark.parametrize("index", range(6))
def test_page_writes_and_refusals_change_nothing(world: World, index: int) -> None:
    _run(world, page_posts(world)[index], api=False)


@pytest.mark.parametrize("index", range(17))
def test_api(world: World, index: int) -> None:
    _run(world, api_calls(world)[index], api=True)


def test_the_matrix_covers_every_route() -> None:
    from gridgov.api.api import api
    from gridgov.epidemic.views import notices

    assert {p.name for p in notices.urlpatterns} == {
        *("notice_list", "notice_create", "notice_mine", "notice_door", "notice_door_building"),
        *("notice_door_mark", "notice_detail", "notice_edit", "notice_send", "notice_withdraw"),
        *("notice_deliveries", "notice_public"),
    }
    paths = api.get_openapi_schema()["paths"]
    operations = [
        (method, path)
        for path, ops in paths.items()
        if "/epidemic/notices" in path
        for method in ops
    ]
    assert len(operations) == 15  # each called above
