"""The workflow pages through the real endpoints: who may open what, reporting on patrol and
by hotline, every move posted from the case page, refused posts that change nothing, the
work queue, the case list and the map data.

The public's pages (citizen report, tracking, rating, throttle) are in
``test_workflow_pages_public.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.cases.models import Case, PostponementStatus, Source, Stage
from gridgov.cases.tests.workflow_fixtures import (
    GRID,
    POINT,
    SIBLING_GRID,
    World,
    _english,
    _fresh_locate_index,
    _media,
    case_at,
    photo,
    world,
)
from gridgov.cases.views import workflow as pages

__all__ = ["_english", "_fresh_locate_index", "_media", "world"]

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # messages are asserted in English
    if user is not None:
        client.force_login(user)
    return client


def case_url(case: Case) -> str:
    return reverse("cases:case_detail", args=[case.pk])


def move_url(case: Case, action: str) -> str:
    return reverse("cases:case_move", args=[case.pk, action])


def snapshot(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    return (case.stage, case.version, case.events.count(), case.department_id, case.case_class_id)


# --- who may open what --------------------------------------------------------------------

LOGIN_PAGES = [
    "cases:my_cases",
    "cases:report",
    "cases:hotline",
    "cases:case_list",
    "cases:case_map",
]


@pytest.mark.parametrize("name", LOGIN_PAGES)
def test_anonymous_is_sent_to_log_in(name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_cannot_open_a_case_or_its_photos(world: World) -> None:
    case = world.report(photos=[photo()])
    attachment = case.attachments.get()
    for url in (
        case_url(case),
        reverse("cases:case_location", args=[case.pk]),
        reverse("cases:case_photo", args=[case.pk, attachment.pk]),
        reverse("cases:case_map_data"),
    ):
        response = Client().get(url)
        assert response.status_code == 302, url
    before = snapshot(case)
    response = Client().post(move_url(case, "cancel"), {"version": case.version, "reason": "x"})
    assert response.status_code == 302
    assert snapshot(case) == before


@pytest.mark.parametrize(
    ("who", "name", "status"),
    [
        ("command", "cases:report", 403),  # the command centre does not report
        ("worker", "cases:hotline", 403),  # only the supervision centre takes calls
        ("handler", "cases:hotline", 403),
        ("leader", "cases:my_cases", 403),  # a leader reads scores, not cases
        ("leader", "cases:case_list", 403),
        ("leader", "cases:case_map", 403),
        ("citizen", "cases:case_list", 403),
        ("citizen", "cases:report", 403),
        ("worker", "cases:report", 200),
        ("leader", "cases:report", 200),
        ("supervision", "cases:hotline", 200),
        ("worker", "cases:my_cases", 200),
        ("handler", "cases:my_cases", 200),
        ("command", "cases:case_list", 200),
        ("handler", "cases:case_map", 200),
    ],
)
def test_pages_by_role(world: World, who: str, name: str, status: int) -> None:
    response = client_for(getattr(world, who)).get(reverse(name))
    assert response.status_code == status


@pytest.mark.parametrize(
    "who", ["other_worker", "other_supervision", "other_command", "other_handler"]
)
def test_a_case_out_of_scope_does_not_exist(world: World, who: str) -> None:
    case = case_at(world, Stage.DISPATCHED, photos=[photo()])
    attachment = case.attachments.get()
    client = client_for(getattr(world, who))
    for url in (
        case_url(case),
        reverse("cases:case_location", args=[case.pk]),
        reverse("cases:case_photo", args=[case.pk, attachment.pk]),
    ):
        assert client.get(url).status_code == 404, url
    before = snapshot(case)
    response = client.post(move_url(case, "accept"), {"version": case.version})
    assert response.status_code == 404
    assert snapshot(case) == before


def test_the_case_page_of_the_right_people(world: World) -> None:
    case = case_at(world, Stage.DISPATCHED)
    for user in (world.worker, world.supervision, world.command, world.handler, world.admin):
        response = client_for(user).get(case_url(case))
        assert response.status_code == 200, user.username
        assert case.number in response.content.decode()


# --- the forms the page offers ------------------------------------------------------------


def panels(response: Any) -> set[str]:
    html = response.content.decode()
    return {action for action in [*pages.MOVES, "merge"] if f'id="move-{action}"' in html}


@pytest.mark.parametrize(
    ("stage", "who", "expected"),
    [
        (Stage.REPORTED, "supervision", {"request_verification", "file", "cancel", "merge"}),
        (Stage.REPORTED, "command", set()),
        (Stage.REPORTED, "worker", set()),
        (Stage.VERIFYING, "worker", {"record_verification"}),
        (Stage.VERIFYING, "supervision", {"cancel", "merge"}),
        (Stage.FILED, "command", {"dispatch"}),
        (Stage.FILED, "supervision", set()),
        (Stage.DISPATCHED, "handler", {"accept", "return", "request_postponement"}),
        (Stage.DISPATCHED, "command", set()),
        (Stage.ACCEPTED, "handler", {"dispose", "request_postponement"}),
        (Stage.DISPOSED, "supervision", {"request_check", "rework"}),
        (Stage.CHECKING, "worker", {"record_check"}),
        (Stage.CHECKED, "supervision", {"close"}),
        (Stage.CLOSED, "supervision", set()),
    ],
)
def test_the_page_offers_exactly_the_moves_the_user_may_make(
    world: World, stage: str, who: str, expected: set[str]
) -> None:
    case = case_at(world, stage)
    response = client_for(getattr(world, who)).get(case_url(case))
    assert response.status_code == 200
    assert panels(response) == expected


def test_dispatch_preselects_the_suggested_department(world: World) -> None:
    case = case_at(world, Stage.FILED)
    assert case.suggested_department_id == world.department.pk
    html = client_for(world.command).get(case_url(case)).content.decode()
    assert f'<option value="{world.department.pk}" selected>' in html
    assert f'<option value="{world.other_department.pk}">' in html  # the picker offers others


def test_filing_lists_likely_duplicates_with_a_merge_button(world: World) -> None:
    lon, lat = POINT
    first = world.report(lon=lon, lat=lat, grid_code=None)
    second = world.report(lon=lon + 0.0002, lat=lat, grid_code=None)
    client = client_for(world.supervision)
    html = client.get(case_url(second)).content.decode()
    assert f'data-duplicate="{first.number}"' in html
    response = client.post(
        move_url(second, "merge"), {"version": second.version, "into_id": first.pk}
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.stage == Stage.CANCELLED
    assert second.merged_into_id == first.pk


# --- every move through the page ----------------------------------------------------------


def post(user: Any, case: Case, action: str, **data: Any) -> Any:
    case.refresh_from_db()
    return client_for(user).post(move_url(case, action), {"version": case.version, **data})


def moved(response: Any, case: Case, stage: str) -> None:
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == case_url(case)
    case.refresh_from_db()
    assert case.stage == stage


def test_a_case_travels_the_whole_workflow_through_the_page(world: World) -> None:
    case = world.report()
    moved(
        post(world.supervision, case, "request_verification", note="请核实"), case, Stage.VERIFYING
    )
    moved(
        post(world.worker, case, "record_verification", is_real="1", photos=[photo()]),
        case,
        Stage.VERIFIED,
    )
    assert case.verified is True
    moved(post(world.supervision, case, "file", case_class=world.case_class.pk), case, Stage.FILED)
    moved(
        post(world.command, case, "dispatch", department=world.department.pk),
        case,
        Stage.DISPATCHED,
    )
    assert case.department_id == world.department.pk and case.deadline is not None
    moved(post(world.handler, case, "accept"), case, Stage.ACCEPTED)

    deadline = case.deadline
    moved(
        post(
            world.handler,
            case,
            "request_postponement",
            amount=1,
            unit="working_days",
            reason="材料未到",
        ),
        case,
        Stage.ACCEPTED,
    )
    pending = case.postponements.get()
    moved(
        post(world.command, case, "decide_postponement", postponement=pending.pk, approve="1"),
        case,
        Stage.ACCEPTED,
    )
    pending.refresh_from_db()
    assert pending.status == PostponementStatus.APPROVED
    assert case.deadline > deadline

    moved(
        post(world.handler, case, "dispose", result="已清理", photos=[photo()]),
        case,
        Stage.DISPOSED,
    )
    moved(post(world.supervision, case, "request_check"), case, Stage.CHECKING)
    moved(
        post(world.worker, case, "record_check", passed="0", note="仍有残留"), case, Stage.CHECKED
    )
    moved(post(world.supervision, case, "rework", reason="未清理干净"), case, Stage.DISPATCHED)
    assert case.rework_count == 1
    moved(post(world.handler, case, "accept"), case, Stage.ACCEPTED)
    moved(post(world.handler, case, "dispose", result="已全部清理"), case, Stage.DISPOSED)
    moved(post(world.supervision, case, "request_check"), case, Stage.CHECKING)
    moved(
        post(world.worker, case, "record_check", passed="1", photos=[photo()]), case, Stage.CHECKED
    )
    moved(post(world.supervision, case, "close", note="结案"), case, Stage.CLOSED)

    purposes = sorted(case.attachments.values_list("purpose", flat=True))
    assert purposes == ["check", "disposal", "report"]
    # The case page shows the whole timeline with who did it and how long stages took.
    html = client_for(world.supervision).get(case_url(case)).content.decode()
    assert html.count('data-action="') == case.events.count()
    assert "handler" in html and "worker" in html
    assert "took" in html


def test_cancel_and_return_and_postponement_refusal(world: World) -> None:
    reported = world.report()
    moved(post(world.supervision, reported, "cancel", reason="重复上报"), reported, Stage.CANCELLED)
    assert reported.cancel_reason == "重复上报"

    dispatched = case_at(world, Stage.DISPATCHED)
    moved(post(world.handler, dispatched, "return", reason="不属于本部门"), dispatched, Stage.FILED)
    assert dispatched.department_id is None and dispatched.return_count == 1

    accepted = case_at(world, Stage.ACCEPTED)
    post(
        world.handler,
        accepted,
        "request_postponement",
        amount=2,
        unit="working_hours",
        reason="等待",
    )
    pending = accepted.postponements.get()
    moved(
        post(world.command, accepted, "decide_postponement", postponement=pending.pk, approve="0"),
        accepted,
        Stage.ACCEPTED,
    )
    pending.refresh_from_db()
    assert pending.status == PostponementStatus.REJECTED


# --- refused posts change nothing ---------------------------------------------------------


def test_a_move_of_another_role_is_forbidden_and_changes_nothing(world: World) -> None:
    case = world.report()
    before = snapshot(case)
    for user, action, data in (
        (world.worker, "file", {"case_class": world.case_class.pk}),
        (world.command, "cancel", {"reason": "x"}),
        (world.handler, "request_verification", {}),
    ):
        response = post(user, case, action, **data)
        assert response.status_code in (403, 404), (user.username, action)
        assert snapshot(case) == before


def test_a_stale_version_shows_the_conflict_and_the_case_as_it_is(world: World) -> None:
    case = case_at(world, Stage.FILED)
    stale = case.version
    # Someone else dispatches first.
    moved(post(world.command, case, "dispatch"), case, Stage.DISPATCHED)
    before = snapshot(case)
    response = client_for(world.command).post(
        move_url(case, "dispatch"), {"version": stale, "department": world.other_department.pk}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "gg-alert--error" in html and "reload" in html.lower()
    assert f'data-case-version="{case.version}"' in html  # the fresh case
    assert 'id="move-dispatch"' not in html
    assert snapshot(case) == before


def test_an_impossible_move_is_a_conflict_and_changes_nothing(world: World) -> None:
    case = case_at(world, Stage.CLOSED)
    before = snapshot(case)
    response = post(world.supervision, case, "cancel", reason="晚了")
    assert response.status_code == 409
    assert snapshot(case) == before


def test_a_form_with_errors_is_shown_again_and_changes_nothing(world: World) -> None:
    case = world.report()
    before = snapshot(case)
    response = post(world.supervision, case, "cancel", reason="")
    assert response.status_code == 422
    assert 'id="move-cancel" open' in response.content.decode()
    assert snapshot(case) == before
    response = client_for(world.supervision).post(move_url(case, "cancel"), {"reason": "x"})
    assert response.status_code == 422  # no version: nothing is done without one
    assert snapshot(case) == before


def test_an_unknown_move_is_not_found(world: World) -> None:
    case = world.report()
    assert post(world.supervision, case, "explode").status_code == 404


# --- reporting ----------------------------------------------------------------------------


def test_a_grid_worker_reports_on_patrol_and_sees_the_case_number(world: World) -> None:
    client = client_for(world.worker)
    page = client.get(reverse("cases:report")).content.decode()
    assert 'capture="environment"' in page and 'accept="image/*"' in page and "multiple" in page
    assert f'value="{world.case_class.pk}"' in page  # the class picker, grouped by major
    assert "<optgroup" in page
    lon, lat = POINT
    response = client.post(
        reverse("cases:report"),
        {
            "lon": lon,
            "lat": lat,
            "case_class": world.case_class.pk,
            "description": "路边堆放建筑垃圾约两立方米",
            "address": "新华路12号",
            "photos": [photo("a.jpg"), photo("b.jpg")],
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.source, case.grid_code, case.reporter_id) == (Source.PATROL, GRID, world.worker.pk)
    assert case.stage == Stage.VERIFIED  # the grid's own worker saw it on site
    assert case.attachments.count() == 2
    after = client.get(response["Location"]).content.decode()
    assert f'data-reported="{case.number}"' in after
    assert case_url(case) in after


def test_a_patrol_report_without_a_place_is_refused_and_creates_nothing(world: World) -> None:
    response = client_for(world.worker).post(
        reverse("cases:report"),
        {"case_class": world.case_class.pk, "description": "无位置"},
    )
    assert response.status_code == 422
    assert Case.objects.count() == 0


def test_a_patrol_report_outside_the_city_names_the_place(world: World) -> None:
    response = client_for(world.worker).post(
        reverse("cases:report"),
        {"lon": 100.0, "lat": 20.0, "case_class": world.case_class.pk, "description": "远方"},
    )
    assert response.status_code == 422
    assert "outside every grid" in response.content.decode()
    assert Case.objects.count() == 0


def test_a_grid_worker_may_choose_their_grid_instead_of_a_point(world: World) -> None:
    response = client_for(world.worker).post(
        reverse("cases:report"),
        {"grid_code": GRID, "case_class": world.case_class.pk, "description": "无定位"},
    )
    assert response.status_code == 302
    assert Case.objects.get().grid_code == GRID


def test_the_hotline_opens_a_case_with_the_callers_phone_masked(world: World) -> None:
    response = client_for(world.supervision).post(
        reverse("cases:hotline"),
        {
            "reporter_name": "李先生",
            "reporter_phone": "13912345678",
            "address": "建设路8号",
            "grid_code": GRID,
            "description": "井盖缺失",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == case_url(case)
    assert case.source == Source.HOTLINE and case.case_class is None
    assert case.reporter_phone_masked == "139****5678"
    html = client_for(world.supervision).get(case_url(case)).content.decode()
    assert "139****5678" in html and "13912345678" not in html


def test_the_hotline_outside_the_centres_district_is_refused(world: World) -> None:
    response = client_for(world.supervision).post(
        reverse("cases:hotline"),
        {"grid_code": "411303001001001", "description": "别区的事"},
    )
    assert response.status_code in (403, 404)
    assert Case.objects.count() == 0


# --- photos -------------------------------------------------------------------------------


def test_photos_are_served_to_those_who_see_the_case(world: World) -> None:
    case = world.report(photos=[photo()])
    attachment = case.attachments.get()
    url = reverse("cases:case_photo", args=[case.pk, attachment.pk])
    client = client_for(world.supervision)
    full = client.get(url)
    assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"
    assert full["Cache-Control"].startswith("private")
    thumb = client.get(url + "?size=thumb")
    assert thumb.status_code == 200
    assert len(b"".join(thumb.streaming_content)) < attachment.size  # type: ignore[attr-defined]
    other = world.report()
    wrong_case = reverse("cases:case_photo", args=[other.pk, attachment.pk])
    assert client.get(wrong_case).status_code == 404


# --- lists --------------------------------------------------------------------------------


def test_the_work_queue_shows_each_role_its_cases_with_lights(world: World) -> None:
    verifying = case_at(world, Stage.VERIFYING)
    filed = case_at(world, Stage.FILED)
    dispatched = case_at(world, Stage.DISPATCHED)
    html = client_for(world.worker).get(reverse("cases:my_cases")).content.decode()
    assert f'data-case="{verifying.number}"' in html
    assert f'data-case="{filed.number}"' not in html
    assert 'data-light="green"' in html
    html = client_for(world.command).get(reverse("cases:my_cases")).content.decode()
    assert f'data-case="{filed.number}"' in html and f'data-case="{verifying.number}"' not in html
    html = client_for(world.handler).get(reverse("cases:my_cases")).content.decode()
    assert f'data-case="{dispatched.number}"' in html
    html = client_for(world.other_handler).get(reverse("cases:my_cases")).content.decode()
    assert "data-case=" not in html


def test_the_queue_filters_by_light(world: World) -> None:
    case = case_at(world, Stage.DISPATCHED)
    assert case.dispatched_at is not None
    long_ago = case.dispatched_at - dt.timedelta(days=30)
    Case.objects.filter(pk=case.pk).update(
        dispatched_at=long_ago, deadline=long_ago + dt.timedelta(days=2)
    )
    client = client_for(world.handler)
    red = client.get(reverse("cases:my_cases") + "?light=red").content.decode()
    assert f'data-case="{case.number}"' in red and 'data-light="red"' in red
    green = client.get(reverse("cases:my_cases") + "?light=green").content.decode()
    assert f'data-case="{case.number}"' not in green


def test_the_queue_page_reads_a_bounded_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for _ in range(12):
        case_at(world, Stage.DISPATCHED)
    client = client_for(world.handler)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("cases:my_cases"))
    assert response.content.decode().count("data-case=") == 12


def test_the_case_list_searches_and_filters_within_scope(world: World) -> None:
    mine = world.report(description="井盖破损", address="解放路1号")
    closed = case_at(world, Stage.CLOSED, description="树木倒伏")
    sibling = world.report(grid_code=SIBLING_GRID, description="井盖破损")
    client = client_for(world.worker)  # a grid worker of 河街社区 sees their community only
    url = reverse("cases:case_list")

    def numbers(query: str = "") -> set[str]:
        html = client.get(url + query).content.decode()
        return {c.number for c in (mine, closed, sibling) if f'data-case="{c.number}"' in html}

    assert numbers() == {mine.number, closed.number}
    assert numbers(f"?q={mine.number}") == {mine.number}
    assert numbers("?q=解放路") == {mine.number}
    assert numbers("?stage=open") == {mine.number}
    assert numbers("?stage=closed") == {closed.number}
    assert numbers("?source=hotline") == {mine.number, closed.number}
    assert numbers(f"?case_class={world.case_class.pk}") == {mine.number, closed.number}
    assert numbers(f"?case_class=major-{world.case_class.parent_id}") == {
        mine.number,
        closed.number,
    }
    assert numbers(f"?case_class={world.other_class.pk}") == set()
    assert numbers(f"?territory={GRID}") == {mine.number, closed.number}
    assert numbers(f"?department={world.department.pk}") == {closed.number}
    assert numbers("?overdue=on") == set()


def test_the_case_list_reads_a_bounded_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for _ in range(15):
        case_at(world, Stage.DISPATCHED)
    client = client_for(world.supervision)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("cases:case_list"))
    assert response.content.decode().count("data-case=") == 15


def test_the_map_data_is_bounded_capped_and_scoped(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    lon, lat = POINT
    inside = [world.report(lon=lon, lat=lat, grid_code=None) for _ in range(3)]
    case_at(world, Stage.CLOSED, lon=lon, lat=lat, grid_code=None)  # closed: not drawn
    url = reverse("cases:case_map_data")
    client = client_for(world.supervision)
    data = client.get(url).json()
    assert {f["properties"]["number"] for f in data["features"]} == {c.number for c in inside}
    assert data["truncated"] is False
    feature = data["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert set(feature["properties"]) >= {"stage", "light", "url", "number"}
    elsewhere = client.get(url + "?bbox=112.50,32.90,112.60,33.00").json()
    assert elsewhere["features"] == []
    assert client.get(url + "?bbox=nonsense").status_code == 422
    monkeypatch.setattr(pages, "MAP_LIMIT", 2)
    capped = client.get(url).json()
    assert len(capped["features"]) == 2 and capped["truncated"] is True
    assert client_for(world.other_worker).get(url).json()["features"] == []
    assert client_for(world.leader).get(url).status_code == 403


def test_the_map_colours_by_stage_on_request(world: World) -> None:
    lon, lat = POINT
    case = world.report(lon=lon, lat=lat, grid_code=None)
    client = client_for(world.command)
    url = reverse("cases:case_map_data")
    by_light = client.get(url).json()["features"][0]["properties"]
    by_stage = client.get(url + "?colour=stage").json()["features"][0]["properties"]
    assert by_light["color"] == pages.LIGHT_COLOURS[by_light["light"]]
    assert by_stage["color"] == pages.STAGE_COLOURS[Stage.REPORTED]
    assert case.number in by_stage["label"]
    assert client.get(url + "?stage=filed").json()["features"] == []
    assert client.get(url + "?colour=rainbow").status_code == 422
    page = client.get(reverse("cases:case_map") + "?colour=stage").content.decode()
    assert f"{url}?colour=stage" in page  # the overlay the map draws
    assert pages.STAGE_COLOURS[Stage.CHECKING] in page  # the legend follows the colouring


def test_navigation_by_role(world: World) -> None:
    worker_home = client_for(world.worker).get("/").content.decode()
    assert reverse("cases:my_cases") in worker_home and reverse("cases:report") in worker_home
    assert reverse("cases:hotline") not in worker_home
    supervision_home = client_for(world.supervision).get("/").content.decode()
    assert reverse("cases:hotline") in supervision_home
    leader_home = client_for(world.leader).get("/").content.decode()
    assert reverse("cases:report") in leader_home and reverse("cases:case_list") not in leader_home


def test_the_audit_trail_names_the_case_actions() -> None:
    from gridgov.audit.labels import label_for

    assert label_for("cases.dispatch") != "cases.dispatch"
    assert label_for("cases.record_check") != "cases.record_check"
