"""The public's pages: reporting without an account (CSRF-protected, rate-limited per
address), the tracking page that leaks nothing personal, the report's photos, and the
rating of a closed case, once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Case, Rating, Source, Stage
from gridgov.cases.tests.workflow_fixtures import (
    POINT,
    World,
    _english,
    _fresh_locate_index,
    _media,
    case_at,
    photo,
    walk_to,
    world,
)

__all__ = ["_english", "_fresh_locate_index", "_media", "world"]

pytestmark = pytest.mark.django_db

REPORT_URL = "cases:public_report"
PHONE = "13812345678"


def citizen_report(client: Client, **extra: Any) -> Any:
    lon, lat = POINT
    data = {
        "lon": lon,
        "lat": lat,
        "description": "小区门口路灯不亮已经一周",
        "address": "建设路8号",
        "reporter_name": "王小红",
        "reporter_phone": PHONE,
        "photos": [photo("lamp.jpg")],
        **extra,
    }
    return client.post(reverse(REPORT_URL), data)


def track_url(case: Case) -> str:
    return reverse("cases:track", args=[case.public_token])


def test_anyone_may_open_the_report_page() -> None:
    response = Client().get(reverse(REPORT_URL))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'type="file"' in html and 'accept="image/*"' in html
    assert "data-location-picker" in html


def test_a_citizen_reports_and_gets_a_tracking_number_and_link(world: World) -> None:
    client = Client()
    response = citizen_report(client, case_class=world.case_class.pk)
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == track_url(case) + "?new=1"
    assert (case.source, case.stage, case.reporter_id) == (Source.CITIZEN, Stage.REPORTED, None)
    assert case.reporter_phone_masked == "138****5678" and case.reporter_phone_hash
    assert case.attachments.count() == 1
    html = client.get(response["Location"]).content.decode()
    assert f"data-tracking-number>{case.number}<" in html
    assert str(case.public_token) in html  # the link to keep


def test_not_sure_of_the_class_is_fine(world: World) -> None:
    response = citizen_report(Client(), case_class="")
    assert response.status_code == 302
    assert Case.objects.get().case_class is None


def test_a_report_without_a_place_is_refused_and_creates_nothing(world: World) -> None:
    response = citizen_report(Client(), lon="", lat="")
    assert response.status_code == 422
    assert Case.objects.count() == 0


def test_a_report_with_a_wrong_phone_names_the_field(world: World) -> None:
    response = citizen_report(Client(), reporter_phone="12345")
    assert response.status_code == 422
    assert Case.objects.count() == 0
    assert "gg-field--error" in response.content.decode()


def test_the_report_form_is_csrf_protected(world: World) -> None:
    response = citizen_report(Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_reports_are_rate_limited_per_address(world: World, settings: Any) -> None:
    settings.GRIDGOV_PUBLIC_REPORTS_PER_HOUR = 2
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert citizen_report(client).status_code == 302
    assert citizen_report(client).status_code == 302
    refused = citizen_report(client)
    assert refused.status_code == 429
    assert Case.objects.count() == 2
    other = Client(REMOTE_ADDR="203.0.113.8")  # another address is not affected
    assert citizen_report(other).status_code == 302


def test_a_robot_filling_the_hidden_field_is_refused(world: World) -> None:
    response = citizen_report(Client(), website="http://spam.example")
    assert response.status_code == 422
    assert Case.objects.count() == 0


# --- tracking -----------------------------------------------------------------------------


def named(world: World) -> None:
    """Staff with names a leak would show."""
    for user, name in (
        (world.worker, "赵网格员"),
        (world.supervision, "钱监督员"),
        (world.command, "孙调度员"),
        (world.handler, "李处置员"),
    ):
        user.display_name = name
        user.save(update_fields=["display_name"])


def test_the_tracking_page_shows_the_stage_and_leaks_no_personal_data(world: World) -> None:
    named(world)
    client = Client()
    citizen_report(client, case_class=world.case_class.pk)
    case = Case.objects.get()
    actions.request_verification(
        case.pk, actor=world.supervision, version=case.version, note="内部备注：请赵网格员速去"
    )
    case = walk_to(world, Case.objects.get(), "dispose")
    html = client.get(track_url(case)).content.decode()
    assert case.number in html
    assert 'data-public-step="checking"' in html
    for secret in (
        PHONE,
        "138****5678",
        "王小红",
        "内部备注",
        "赵网格员",
        "钱监督员",
        "孙调度员",
        "李处置员",
        world.department.name,
        f">{world.worker.username}<",
        f">{world.handler.username}<",
    ):
        assert secret not in html, secret
    assert "gg-nav" not in html  # an anonymous visitor gets no navigation


def test_the_tracking_page_of_an_unknown_token_is_not_found() -> None:
    assert (
        Client().get("/cases/public/track/0e6f6c3c-1111-4000-8000-000000000000/").status_code == 404
    )
    assert Client().get("/cases/public/track/not-a-token/").status_code == 404


def test_the_report_photos_are_public_the_others_are_not(world: World) -> None:
    client = Client()
    citizen_report(client)
    case = Case.objects.get()
    case.case_class = world.case_class
    case.save(update_fields=["case_class"])
    case = walk_to(world, case, "file")
    case = actions_dispose(world, case)
    report_photo = case.attachments.get(purpose="report")
    disposal_photo = case.attachments.get(purpose="disposal")
    html = client.get(track_url(case)).content.decode()
    ok = reverse("cases:track_photo", args=[case.public_token, report_photo.pk])
    assert ok in html
    response = client.get(ok + "?size=thumb")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    hidden = reverse("cases:track_photo", args=[case.public_token, disposal_photo.pk])
    assert hidden not in html
    assert client.get(hidden).status_code == 404
    other = world.report()
    wrong_token = reverse("cases:track_photo", args=[other.public_token, report_photo.pk])
    assert client.get(wrong_token).status_code == 404


def actions_dispose(world: World, case: Case) -> Case:
    case = actions.dispatch_case(case.pk, actor=world.command, version=case.version)
    case = actions.accept_case(case.pk, actor=world.handler, version=case.version)
    return actions.dispose_case(
        case.pk, actor=world.handler, version=case.version, result="已修复", photos=[photo()]
    )


# --- rating -------------------------------------------------------------------------------


def test_a_closed_case_is_rated_once(world: World) -> None:
    case = case_at(world, Stage.CLOSED)
    client = Client()
    page = client.get(track_url(case)).content.decode()
    assert 'name="rating"' in page
    rate = reverse("cases:track_rate", args=[case.public_token])
    response = client.post(rate, {"rating": Rating.BASIC, "comment": "处理较慢"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.rating, case.rating_comment) == (Rating.BASIC, "处理较慢")
    after = client.get(track_url(case)).content.decode()
    assert 'name="rating"' not in after and 'data-rated="basic"' in after

    again = client.post(rate, {"rating": Rating.UNSATISFIED})
    assert again.status_code == 409
    case.refresh_from_db()
    assert case.rating == Rating.BASIC


def test_an_open_case_cannot_be_rated(world: World) -> None:
    case = case_at(world, Stage.DISPATCHED)
    assert 'name="rating"' not in Client().get(track_url(case)).content.decode()
    response = Client().post(
        reverse("cases:track_rate", args=[case.public_token]), {"rating": Rating.SATISFIED}
    )
    assert response.status_code == 409
    case.refresh_from_db()
    assert case.rating == ""


def test_a_rating_without_a_choice_is_refused(world: World) -> None:
    case = case_at(world, Stage.CLOSED)
    response = Client().post(reverse("cases:track_rate", args=[case.public_token]), {})
    assert response.status_code == 422
    case.refresh_from_db()
    assert case.rating == ""


def test_the_public_area_outline_is_open(territory: Any) -> None:
    data = Client().get(reverse("cases:public_area")).json()
    assert [f["properties"]["code"] for f in data["features"]] == ["4113"]
    assert all(f["properties"]["url"] == "" for f in data["features"])
