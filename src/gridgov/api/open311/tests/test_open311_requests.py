"""GET Service Requests, GET Service Request, GET service_request_id from a token and the
photos media_url names: what is public and what is not, the filters, the default window
and cap, JSON and XML, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from gridgov.api.open311 import queries
from gridgov.api.open311.tests.fixtures import (
    BASE,
    GRID,
    POINT,
    REQUEST_FIELDS,
    World,
    _fresh_locate_index,
    _media,
    json_of,
    parse_xml,
    service,
    world,
    xml_errors,
)
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Case, CaseClass, Source, Stage
from gridgov.cases.tests.workflow_fixtures import case_at, photo, walk_to

__all__ = ["_fresh_locate_index", "_media", "service", "world"]

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def citizen_report(w: World, **fields: Any) -> Case:
    values: dict[str, Any] = {
        "actor": None,
        "source": Source.CITIZEN,
        "description": "小区门口井盖丢失",
        "lon": POINT[0],
        "lat": POINT[1],
        "address": "建设路 12 号",
        "case_class": w.case_class,
        "reporter_name": "李四",
        "reporter_phone": PHONE,
    }
    values.update(fields)
    return actions.report_case(**values)


def public(w: World, **fields: Any) -> Case:
    """A report through the public report page (the workflow world's defaults)."""
    return w.report(**{"actor": None, "source": Source.CITIZEN, **fields})


def patrol_report(w: World) -> Case:
    return w.report(actor=w.worker, source=Source.PATROL, description="巡查发现占道经营")


def listed(client: Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{BASE}/requests.json", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return json_of(response)


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["service_request_id"]: item for item in items}


# --- what is public -----------------------------------------------------------------------


def test_only_reports_the_public_made_itself_are_listed(client: Client, world: World) -> None:
    citizen = citizen_report(world)
    app = public(world, source=Source.OPEN311)
    hotline = world.report()  # a call the operator wrote down: not published
    patrol = patrol_report(world)
    items = by_id(listed(client))
    assert set(items) == {citizen.number, app.number}
    for internal in (hotline, patrol):
        response = client.get(f"{BASE}/requests/{internal.number}.json")
        assert response.status_code == 404  # as for a number that does not exist


def test_a_request_has_the_spec_fields_and_no_personal_data(client: Client, world: World) -> None:
    case = citizen_report(world)
    response = client.get(f"{BASE}/requests.json", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    (item,) = json_of(response)
    assert list(item) == REQUEST_FIELDS
    assert item == {
        "service_request_id": case.number,
        "status": "open",
        "status_notes": "Reported",
        "service_name": "乱堆物料",
        "service_code": "E9901",
        "description": "小区门口井盖丢失",
        "agency_responsible": "",
        "service_notice": "To be dealt with within 2 working days of being dispatched to the "
        "department responsible.",
        "requested_datetime": timezone.localtime(case.reported_at).isoformat(timespec="seconds"),
        "updated_datetime": timezone.localtime(case.updated_at).isoformat(timespec="seconds"),
        "expected_datetime": None,
        "address": "建设路 12 号",
        "address_id": GRID,
        "zipcode": None,
        "lat": POINT[1],
        "long": POINT[0],
        "media_url": None,
    }
    assert item["requested_datetime"].endswith("+08:00")
    for secret in (PHONE, case.reporter_phone_masked, "李四", str(case.public_token)):
        assert secret not in body


def test_requests_in_xml_have_the_spec_elements(client: Client, world: World) -> None:
    first = citizen_report(world)
    second = public(world)
    root = parse_xml(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    assert [child.tag for child in root] == ["request", "request"]
    for element in root:
        assert [child.tag for child in element] == REQUEST_FIELDS
    newest = root[0]
    assert newest.findtext("service_request_id") == second.number  # newest first
    assert root[1].findtext("service_request_id") == first.number
    assert root[1].findtext("lat") == str(POINT[1])
    assert root[1].findtext("zipcode") == ""
    assert newest.findtext("lat") == "" and newest.findtext("long") == ""  # no point given
    assert PHONE not in client.get(f"{BASE}/requests.xml").content.decode()


def test_a_request_without_an_address_is_placed_by_its_grid(client: Client, world: World) -> None:
    case = public(world, address="")
    assert by_id(listed(client))[case.number]["address"] == "河街社区第1网格"


def test_status_follows_the_case_through_the_workflow(client: Client, world: World) -> None:
    case = public(world)
    case = walk_to(world, case, "dispatch")
    item = by_id(listed(client))[case.number]
    assert item["status"] == "open"
    assert item["status_notes"] == "Dispatched"
    assert item["agency_responsible"] == "宛城区城市管理局"
    assert item["expected_datetime"] == timezone.localtime(case.deadline).isoformat(
        timespec="seconds"
    )
    case = walk_to(world, case, "close")
    item = by_id(listed(client))[case.number]
    assert item["status"] == "closed"
    assert item["status_notes"] == "已清理"  # the department's result
    assert item["updated_datetime"] == timezone.localtime(case.closed_at).isoformat(
        timespec="seconds"
    )


def test_a_cancelled_report_stays_closed_with_its_content_withheld(
    client: Client, world: World
) -> None:
    case = citizen_report(world, description="辱骂性的无效内容", photos=[photo()])
    actions.cancel_case(case.pk, actor=world.supervision, version=case.version, reason="无效")
    item = by_id(listed(client))[case.number]
    assert item["status"] == "closed"
    assert item["status_notes"] == "Not taken up as a case."
    assert item["description"] == "" and item["media_url"] is None
    body = client.get(f"{BASE}/requests.json").content.decode()
    assert "辱骂性的无效内容" not in body and "无效" not in body  # nor the reason


def test_a_merged_duplicate_names_the_case_it_joined(client: Client, world: World) -> None:
    kept = public(world)
    duplicate = citizen_report(world)
    actions.merge_case(
        duplicate.pk, actor=world.supervision, version=duplicate.version, into_id=kept.pk
    )
    item = by_id(listed(client))[duplicate.number]
    assert item["status"] == "closed"
    assert item["status_notes"] == f"Duplicate of case {kept.number}."
    assert item["description"] == "小区门口井盖丢失"


def test_the_notice_follows_the_answer_that_sets_the_limit(
    client: Client, world: World, service: CaseClass
) -> None:
    case = citizen_report(world, case_class=service, attributes={"situation": "missing"})
    notice = by_id(listed(client))[case.number]["service_notice"]
    assert notice == (
        "To be dealt with within 2 urgent hours of being dispatched to the department responsible."
    )


# --- filters, window, cap -----------------------------------------------------------------


def test_service_request_id_takes_a_comma_list_and_overrides_the_rest(
    client: Client, world: World
) -> None:
    a, b, c = citizen_report(world), public(world), public(world)
    Case.objects.filter(pk=a.pk).update(reported_at=timezone.now() - dt.timedelta(days=400))
    items = listed(client, service_request_id=f"{a.number}, {c.number},nonsense")
    assert {i["service_request_id"] for i in items} == {a.number, c.number}
    # The other filters do not apply when ids are given; the window neither.
    items = listed(client, service_request_id=a.number, status="closed", service_code="E9902")
    assert [i["service_request_id"] for i in items] == [a.number]
    assert b.number in by_id(listed(client))


def test_filter_by_service_code_and_status(
    client: Client, world: World, service: CaseClass
) -> None:
    plain = public(world)
    cover = public(world, case_class=service, attributes={"situation": "rocking"})
    closed = walk_to(world, public(world), "close")
    assert set(by_id(listed(client, service_code="E9903"))) == {cover.number}
    assert set(by_id(listed(client, service_code="E9903,E9901"))) == {
        plain.number,
        cover.number,
        closed.number,
    }
    assert listed(client, service_code="C0101") == []  # a service nobody reported
    assert set(by_id(listed(client, status="closed"))) == {closed.number}
    assert set(by_id(listed(client, status="open"))) == {plain.number, cover.number}
    assert len(listed(client, status="open,closed")) == 3


def test_the_default_window_is_the_last_90_days(client: Client, world: World) -> None:
    recent, old = public(world), public(world)
    Case.objects.filter(pk=old.pk).update(reported_at=timezone.now() - dt.timedelta(days=91))
    assert set(by_id(listed(client))) == {recent.number}
    start = (timezone.now() - dt.timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert set(by_id(listed(client, start_date=start))) == {old.number}  # 90 days from start
    end = (timezone.now() - dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert set(by_id(listed(client, end_date=end))) == {old.number}  # 90 days up to end


def test_start_and_end_dates_in_w3_format(client: Client, world: World) -> None:
    case = public(world)
    Case.objects.filter(pk=case.pk).update(
        reported_at=dt.datetime(2026, 3, 10, 9, 30, tzinfo=dt.UTC)
    )
    assert listed(client, start_date="2026-03-10T09:00:00Z", end_date="2026-03-10T10:00:00Z")
    assert not listed(client, start_date="2026-03-10T09:31:00Z", end_date="2026-04-01T00:00:00Z")
    # Dates alone and times without an offset are in the installation's zone (UTC+8).
    assert listed(client, start_date="2026-03-10", end_date="2026-03-11")
    assert not listed(client, start_date="2026-03-10T17:31:00", end_date="2026-03-11")


@pytest.mark.parametrize(
    ("params", "description"),
    [
        (
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
            "end_date: the span may not exceed 90 days",
        ),
        (
            {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
            "end_date: earlier than start_date",
        ),
        ({"start_date": "last tuesday"}, "start_date: not a W3C date and time"),
        ({"end_date": "2026-13-01"}, "end_date: not a W3C date and time"),
        ({"status": "pending"}, "status: open or closed, or both comma separated"),
        ({"service_code": "pothole"}, "service_code: pothole is not a service code"),
    ],
)
def test_bad_filters_are_400_naming_the_field(
    client: Client, world: World, params: dict[str, str], description: str
) -> None:
    response = client.get(f"{BASE}/requests.json", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    (error,) = response.json()
    assert error["code"] == 400 and error["description"].startswith(description)
    response = client.get(f"{BASE}/requests.xml", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert xml_errors(response)[0][1].startswith(description)


def test_at_most_1000_requests_newest_first(client: Client, world: World) -> None:
    template = public(world)
    now = timezone.now()
    Case.objects.bulk_create(
        Case(
            number=f"20990101{n:06d}",
            source=Source.CITIZEN,
            stage=Stage.REPORTED,
            case_class=world.case_class,
            description=f"第 {n} 件",
            grid_code=GRID,
            reported_at=now - dt.timedelta(minutes=n),
            created_at=now,
        )
        for n in range(1, queries.MAX_REQUESTS + 1)
    )
    items = listed(client)
    assert len(items) == queries.MAX_REQUESTS
    assert items[0]["service_request_id"] == template.number  # the newest
    assert items[-1]["service_request_id"] == f"20990101{queries.MAX_REQUESTS - 1:06d}"


def test_more_than_1000_ids_are_refused(client: Client, world: World) -> None:
    ids = ",".join(str(n) for n in range(queries.MAX_REQUESTS + 1))
    response = client.get(f"{BASE}/requests.json", {"service_request_id": ids})
    assert response.status_code == 400


def test_jurisdiction_narrows_and_unknown_is_404(client: Client, world: World) -> None:
    case = public(world)
    assert by_id(listed(client, jurisdiction_id="4113")).keys() == {case.number}
    response = client.get(f"{BASE}/requests.json", {"jurisdiction_id": "4199"})
    assert response.status_code == 404
    response = client.get(f"{BASE}/requests/{case.number}.xml", {"jurisdiction_id": "4199"})
    assert response.status_code == 404


def test_the_list_reads_a_fixed_number_of_queries(
    client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    def count_for(n: int) -> int:
        for _ in range(n):
            case = citizen_report(world, photos=[photo()], address="")
        walk_to(world, case, "dispatch")
        with django_assert_max_num_queries(4) as captured:  # cities, cases, photos, grids
            client.get(f"{BASE}/requests.json")
        return len(captured.captured_queries)

    assert count_for(2) == count_for(6)


# --- one request, tokens ------------------------------------------------------------------


def test_one_request_in_json_and_xml(client: Client, world: World) -> None:
    case = citizen_report(world)
    response = client.get(f"{BASE}/requests/{case.number}.json")
    (item,) = json_of(response)
    assert list(item) == REQUEST_FIELDS and item["service_request_id"] == case.number
    root = parse_xml(client.get(f"{BASE}/requests/{case.number}.xml"))
    assert root.tag == "service_requests"
    (element,) = root
    assert element.tag == "request"
    assert [child.tag for child in element] == REQUEST_FIELDS
    assert element.findtext("status") == "open"


def test_an_unknown_request_is_404(client: Client, world: World) -> None:
    response = client.get(f"{BASE}/requests/20990101000001.xml", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert xml_errors(response) == [("404", "Service request 20990101000001 was not found.")]


def test_a_token_gives_the_request_id(client: Client, world: World) -> None:
    case = citizen_report(world)
    token = str(case.public_token)
    assert json_of(client.get(f"{BASE}/tokens/{token}.json")) == [
        {"service_request_id": case.number, "token": token}
    ]
    root = parse_xml(client.get(f"{BASE}/tokens/{token}.xml"))
    assert root.tag == "service_requests"
    assert [(e.tag, [c.tag for c in e]) for e in root] == [
        ("request", ["service_request_id", "token"])
    ]
    assert root.findtext("request/service_request_id") == case.number


@pytest.mark.parametrize("token", ["12345", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_token_is_404(client: Client, world: World, token: str) -> None:
    response = client.get(f"{BASE}/tokens/{token}.json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": f"Token {token} was not found."}]


def test_the_token_of_an_internal_case_is_unknown(client: Client, world: World) -> None:
    patrol = patrol_report(world)
    assert client.get(f"{BASE}/tokens/{patrol.public_token}.json").status_code == 404


# --- photos -------------------------------------------------------------------------------


def with_camera_metadata() -> Any:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    return photo(exif=exif.tobytes())


def test_media_url_serves_the_reporters_photo_without_metadata(
    client: Client, world: World
) -> None:
    case = citizen_report(world, photos=[with_camera_metadata(), photo("second.jpg")])
    (item,) = listed(client)
    first = case.attachments.order_by("pk").first()
    assert first is not None
    assert item["media_url"] == f"http://testserver{BASE}/media/{first.pk}.jpg"
    response = client.get(item["media_url"].removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Access-Control-Allow-Origin"] == "*"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.size == (640, 480)
    assert not dict(image.getexif())  # no camera, no location
    assert client.get(f"{BASE}/media/{first.pk}.png").status_code == 404


def test_photos_of_internal_or_withheld_cases_are_not_served(client: Client, world: World) -> None:
    patrol = world.report(actor=world.worker, source=Source.PATROL, photos=[photo()])
    invalid = citizen_report(world, photos=[photo()])
    actions.cancel_case(invalid.pk, actor=world.supervision, version=invalid.version, reason="无效")
    for case in (patrol, invalid):
        attachment = case.attachments.get()
        assert client.get(f"{BASE}/media/{attachment.pk}.jpg").status_code == 404
    assert client.get(f"{BASE}/media/999999.jpg").status_code == 404


def test_a_case_at_every_stage_is_listed_with_a_status(client: Client, world: World) -> None:
    stages = [Stage.REPORTED, Stage.FILED, Stage.ACCEPTED, Stage.CHECKED, Stage.CLOSED]
    cases = {stage: case_at(world, stage, actor=None, source=Source.CITIZEN) for stage in stages}
    items = by_id(listed(client))
    for stage, case in cases.items():
        expected = "closed" if stage == Stage.CLOSED else "open"
        assert items[case.number]["status"] == expected


def test_characters_xml_cannot_carry_are_dropped_from_xml_only(
    client: Client, world: World
) -> None:
    case = citizen_report(world)  # stored before reports refused control characters:
    Case.objects.filter(pk=case.pk).update(description="井盖\x07丢失\x1b")
    root = parse_xml(client.get(f"{BASE}/requests/{case.number}.xml"))
    assert root.findtext("request/description") == "井盖丢失"
    (item,) = client.get(f"{BASE}/requests/{case.number}.json").json()
    assert item["description"] == "井盖\x07丢失\x1b"
