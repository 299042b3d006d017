"""POST Service Request: an ordinary case in the workflow's queues, the api_key and scope
matrix (a refused post changes nothing), jurisdiction_id, the location parameters, the
class's attributes by datatype, the reporter's details, and errors in JSON and XML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.accounts.actions import revoke_token
from gridgov.accounts.models import ApiToken, User
from gridgov.api.open311.tests.fixtures import (
    BASE,
    GRID,
    POINT,
    SIBLING_GRID,
    Keys,
    World,
    _fresh_locate_index,
    _media,
    json_of,
    keys,
    parse_xml,
    post,
    report_fields,
    service,
    world,
    xml_errors,
)
from gridgov.audit.models import AuditEvent
from gridgov.cases import privacy
from gridgov.cases.models import Case, CaseClass, Source, Stage
from gridgov.cases.queries import workflow as case_queries
from gridgov.cases.tests.workflow_fixtures import photo
from gridgov.core.system import SYSTEM
from gridgov.inbox.models import Message
from gridgov.territory import codes
from gridgov.territory.models import Region

__all__ = ["_fresh_locate_index", "_media", "keys", "service", "world"]

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def created(response: Any) -> Case:
    assert response.status_code == 200, response.content
    (answer,) = json_of(response)
    return Case.objects.get(number=answer["service_request_id"])


def errors(response: Any) -> dict[str, str]:
    """{field: reason} of a JSON error list ("lat: …" → {"lat": "…"})."""
    return dict(e["description"].split(": ", 1) for e in json_of(response))


def unchanged(call: Callable[[], Any]) -> Any:
    """Run a refused call and prove it left no case, audit event or message behind."""
    before = (Case.objects.count(), AuditEvent.objects.count(), Message.objects.count())
    response = call()
    assert (Case.objects.count(), AuditEvent.objects.count(), Message.objects.count()) == before
    return response


# --- an ordinary case ---------------------------------------------------------------------


def test_a_post_creates_an_ordinary_case(client: Client, world: World, keys: Keys) -> None:
    response = post(client, report_fields(keys.district), **EN)
    (answer,) = json_of(response)
    case = created(response)
    assert answer == {
        "service_request_id": case.number,
        "service_notice": "To be dealt with within 2 working days of being dispatched to the "
        "department responsible.",
        "account_id": "app-account-7",
    }
    assert case.source == Source.OPEN311 and case.stage == Stage.REPORTED
    assert case.case_class == world.case_class
    assert case.grid_code == GRID and (case.lon, case.lat) == POINT
    assert case.address == "建设路 12 号门口"
    assert case.description == "人行道上堆放建筑垃圾"
    assert case.reporter == world.supervision  # the api_key's account
    assert case.supervisor == world.worker  # the grid's supervisor
    assert case.suggested_department == world.department
    # The reporter's details: the name, the phone sealed like every personal number.
    assert case.reporter_name == "张三"
    assert case.reporter_phone_masked != "13812345678"
    assert privacy.reporter_phone(case) == "13812345678"
    # Not kept: e-mail, device, account.
    assert "zhang@example.com" not in str(Case.objects.filter(pk=case.pk).values().get())


def test_the_posted_case_is_in_the_workflow_queues_and_audited(
    client: Client, world: World, keys: Keys
) -> None:
    case = created(post(client, report_fields(keys.district)))
    assert case in case_queries.work_queue(world.supervision)  # to verify, file or cancel
    assert case not in case_queries.work_queue(world.other_supervision)
    assert Message.objects.filter(recipient=world.supervision, topic=f"case:{case.pk}").exists()
    event = AuditEvent.objects.get(action="cases.report", object_id=str(case.pk))
    assert event.actor_id == world.supervision.pk
    assert event.grid_code == GRID
    assert event.changes["source"] == "open311"
    assert event.channel == "api"  # through /open311/
    # And it reads back through Open311 at once.
    (item,) = client.get(f"{BASE}/requests/{case.number}.json").json()
    assert item["status"] == "open" and item["address_id"] == GRID


def test_the_answer_in_xml(client: Client, world: World, keys: Keys) -> None:
    response = post(client, report_fields(keys.district, account_id=None), fmt="xml")
    assert response.status_code == 200
    root = parse_xml(response)
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert [child.tag for child in request] == [
        "service_request_id",
        "service_notice",
        "account_id",
    ]
    assert Case.objects.filter(number=request.findtext("service_request_id")).exists()
    assert request.findtext("account_id") == ""


def test_a_description_is_optional(client: Client, world: World, keys: Keys) -> None:
    case = created(post(client, report_fields(keys.district, description="")))
    assert case.description == "乱堆物料"  # the service's name says what it is


def test_photos_and_a_media_url(client: Client, world: World, keys: Keys) -> None:
    linked = created(
        post(client, report_fields(keys.district, media_url="https://img.example.cn/a.jpg"))
    )
    (item,) = client.get(f"{BASE}/requests/{linked.number}.json").json()
    assert item["media_url"] == "https://img.example.cn/a.jpg"  # given back, never fetched
    uploaded = created(post(client, {**report_fields(keys.district), "media": photo()}))
    attachment = uploaded.attachments.get()
    (item,) = client.get(f"{BASE}/requests/{uploaded.number}.json").json()
    assert item["media_url"] == f"http://testserver{BASE}/media/{attachment.pk}.jpg"


def test_a_session_does_not_stand_in_for_an_api_key(
    client: Client, world: World, keys: Keys
) -> None:
    client.force_login(world.supervision)
    response = unchanged(lambda: post(client, report_fields(""), **EN))
    assert response.status_code == 403
    assert response.json() == [{"code": 403, "description": "api_key was not provided."}]


# --- who may post -------------------------------------------------------------------------


KEY_MATRIX = [
    # (whose key, where, expected status)
    ("district", GRID, 200),  # supervision centre of the district: right scope
    ("worker", GRID, 200),  # the grid's own worker
    ("other_district", GRID, 403),  # supervision centre of another district: wrong scope
    ("worker", SIBLING_GRID, 403),  # the worker outside their community: wrong scope
    ("citizen", GRID, 403),  # a citizen account reports nothing
    ("handler", GRID, 403),  # a department handler: wrong role
]


@pytest.mark.parametrize(("whose", "grid", "status"), KEY_MATRIX)
def test_api_key_matrix(
    client: Client, world: World, keys: Keys, whose: str, grid: str, status: int
) -> None:
    fields = report_fields(getattr(keys, whose), lat=None, long=None, address_id=grid)
    if status == 200:
        case = created(post(client, fields))
        assert case.grid_code == grid
        return
    response = unchanged(lambda: post(client, fields))
    assert response.status_code == 403
    assert [e["code"] for e in response.json()] == [403]


@pytest.mark.parametrize(
    ("api_key", "description"),
    [
        ("", "api_key was not provided."),
        ("ggv_not-a-token", "Invalid api_key received; the request was not created."),
        ("xyz", "Invalid api_key received; the request was not created."),
    ],
)
def test_missing_or_wrong_api_key_is_403_in_both_formats(
    client: Client, world: World, api_key: str, description: str
) -> None:
    response = unchanged(lambda: post(client, report_fields(api_key), **EN))
    assert response.status_code == 403
    assert response.json() == [{"code": 403, "description": description}]
    response = unchanged(lambda: post(client, report_fields(api_key), fmt="xml", **EN))
    assert response.status_code == 403
    assert xml_errors(response) == [("403", description)]


def test_revoked_expired_and_deactivated_keys_are_refused(
    client: Client, world: World, keys: Keys
) -> None:
    token = ApiToken.objects.get(user=world.supervision)
    revoke_token(token.pk, actor=SYSTEM)
    assert unchanged(lambda: post(client, report_fields(keys.district))).status_code == 403
    ApiToken.objects.filter(user=world.worker).update(expires_at=timezone.now())
    assert unchanged(lambda: post(client, report_fields(keys.worker))).status_code == 403
    User.objects.filter(pk=world.other_supervision.pk).update(is_active=False)
    assert unchanged(lambda: post(client, report_fields(keys.other_district))).status_code == 403


def test_the_key_is_judged_before_the_rest(client: Client, world: World) -> None:
    response = unchanged(lambda: post(client, {"api_key": "wrong"}, **EN))
    assert response.status_code == 403  # not 400 for the missing service_code


# --- jurisdiction -------------------------------------------------------------------------


def test_jurisdiction_id_must_be_the_city(client: Client, world: World, keys: Keys) -> None:
    created(post(client, report_fields(keys.district, jurisdiction_id="4113")))
    created(post(client, report_fields(keys.district, jurisdiction_id=None)))
    response = unchanged(
        lambda: post(client, report_fields(keys.district, jurisdiction_id="city.gov"), **EN)
    )
    assert response.status_code == 404
    assert response.json() == [
        {"code": 404, "description": "jurisdiction_id city.gov was not found."}
    ]


def test_with_two_cities_the_place_must_lie_in_the_one_named(
    client: Client, world: World, keys: Keys
) -> None:
    Region.objects.create(code="4114", name="商丘市", level=codes.CITY, kind="city")
    response = unchanged(lambda: post(client, report_fields(keys.district, jurisdiction_id=None)))
    assert response.status_code == 400
    assert "jurisdiction_id" in errors(response)
    response = unchanged(
        lambda: post(client, report_fields(keys.district, jurisdiction_id="4114"), **EN)
    )
    assert response.status_code == 400
    assert errors(response) == {"location": "outside jurisdiction 4114"}
    created(post(client, report_fields(keys.district, jurisdiction_id="4113")))


# --- service_code and location ------------------------------------------------------------


def test_service_code_required_and_known(client: Client, world: World, keys: Keys) -> None:
    response = unchanged(lambda: post(client, report_fields(keys.district, service_code=""), **EN))
    assert response.status_code == 400
    assert errors(response) == {"service_code": "required"}
    response = unchanged(
        lambda: post(client, report_fields(keys.district, service_code="E0000"), **EN)
    )
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "service_code E0000 was not found."}]
    CaseClass.objects.filter(pk=world.other_class.pk).update(is_active=False)
    response = unchanged(lambda: post(client, report_fields(keys.district, service_code="E9902")))
    assert response.status_code == 404


def test_address_id_is_the_unit_grid_code(client: Client, world: World, keys: Keys) -> None:
    case = created(post(client, report_fields(keys.district, lat=None, long=None, address_id=GRID)))
    assert case.grid_code == GRID and case.lon is None
    both = report_fields(keys.district, address_id=GRID)  # with the point inside it
    assert created(post(client, both)).grid_code == GRID


def test_address_string_naming_the_grid_places_the_report(
    client: Client, world: World, keys: Keys
) -> None:
    fields = report_fields(
        keys.district, lat=None, long=None, address_string="河街社区第2网格 菜市场东门"
    )
    case = created(post(client, fields))
    assert case.grid_code == "411302001001002"
    assert case.address == "河街社区第2网格 菜市场东门"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"lat": None, "long": None, "address_string": ""}, {"location"}),
        ({"long": None}, {"long"}),
        ({"lat": ""}, {"lat"}),
        ({"lat": "north", "long": "112.41"}, {"lat"}),
        ({"lat": "33.09", "long": "200"}, {"long"}),
        ({"lat": "40.0", "long": "116.4"}, {"lat/long"}),  # Beijing: outside every grid
        ({"address_id": "411302001001099"}, {"address_id"}),
        ({"address_id": "411302001001002"}, {"address_id"}),  # the point is in 001
        ({"lat": None, "long": None, "address_string": "人民路 5 号"}, {"address_string"}),
        ({"description": "长" * 2001}, {"description"}),
        ({"address_string": "路" * 201}, {"address_string"}),
        ({"phone": "12345"}, {"phone"}),
        ({"first_name": "名" * 30, "last_name": "姓" * 30}, {"first_name/last_name"}),
        ({"media_url": "javascript:alert(1)"}, {"media_url"}),
        ({"description": "井盖\x00丢失", "first_name": "\x1b"}, {"description", "first_name"}),
        ({"attribute[x]": "a\x07"}, {"attribute[x]"}),
    ],
)
def test_bad_input_is_400_naming_the_field(
    client: Client, world: World, keys: Keys, change: dict[str, Any], expected: set[str]
) -> None:
    response = unchanged(lambda: post(client, report_fields(keys.district, **change), **EN))
    assert response.status_code == 400, response.content
    assert set(errors(response)) == expected
    response = unchanged(
        lambda: post(client, report_fields(keys.district, **change), fmt="xml", **EN)
    )
    assert response.status_code == 400
    assert {d.split(": ", 1)[0] for _code, d in xml_errors(response)} == expected


def test_an_upload_that_is_not_a_photo_is_refused(client: Client, world: World, keys: Keys) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    bogus = SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg")
    response = unchanged(lambda: post(client, {**report_fields(keys.district), "media": bogus}))
    assert response.status_code == 400
    assert set(errors(response)) == {"media"}


# --- attributes ---------------------------------------------------------------------------


def cover(api_key: str, **answers: Any) -> dict[str, Any]:
    fields = report_fields(api_key, service_code="E9903")
    fields.update({f"attribute[{code}]": value for code, value in answers.items()})
    return fields


def test_attributes_of_every_datatype(
    client: Client, world: World, keys: Keys, service: CaseClass
) -> None:
    fields = cover(
        keys.district,
        situation="missing",
        size="30.5",
        seen_at="2026-05-01T09:30:00+08:00",
        landmark="公交站旁",
        detail="第一行\n第二行",
        hazards="traffic",
    )
    response = post(client, fields, **EN)
    case = created(response)
    assert case.attributes == {
        "situation": "missing",
        "size": 30.5,
        "seen_at": "2026-05-01T01:30:00+00:00",
        "landmark": "公交站旁",
        "detail": "第一行\n第二行",
        "hazards": "traffic",
    }
    # The answer "missing" carries its own limit: 2 urgent hours.
    assert "2 urgent hours" in json_of(response)[0]["service_notice"]


def test_a_multivaluelist_takes_the_bracket_form(
    client: Client, world: World, keys: Keys, service: CaseClass
) -> None:
    fields = cover(keys.district, situation="rocking")
    fields["attribute[hazards][]"] = ["traffic"]
    assert created(post(client, fields)).attributes["hazards"] == "traffic"


def test_a_multivaluelist_takes_several_values(
    client: Client, world: World, keys: Keys, service: CaseClass
) -> None:
    fields = cover(keys.district, situation="rocking")
    fields["attribute[hazards][]"] = ["traffic", "children"]
    assert created(post(client, fields)).attributes["hazards"] == ["traffic", "children"]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, {"attribute[situation]": "required"}),
        ({"situation": "gone"}, {"attribute[situation]": "must be one of: missing, rocking"}),
        ({"situation": "missing", "size": "big"}, {"attribute[size]": "not a number"}),
        ({"situation": "missing", "size": "nan"}, {"attribute[size]": "not a number"}),
        (
            {"situation": "missing", "seen_at": "yesterday"},
            {"attribute[seen_at]": "not an ISO 8601 date and time, e.g. 2026-05-01T09:30:00+08:00"},
        ),
        (
            {"situation": "missing", "landmark": "两行\n文字"},
            {"attribute[landmark]": "one line, without line breaks"},
        ),
        (
            {"situation": "missing", "colour": "red"},
            {"attribute[colour]": "not an attribute of service E9903"},
        ),
        (
            {"situation": "missing", "hazards": "fire"},
            {"attribute[hazards]": "must be one of: traffic, children"},
        ),
    ],
)
def test_attributes_are_checked_against_the_definition(
    client: Client,
    world: World,
    keys: Keys,
    service: CaseClass,
    answers: dict[str, str],
    expected: dict[str, str],
) -> None:
    response = unchanged(lambda: post(client, cover(keys.district, **answers), **EN))
    assert response.status_code == 400
    assert errors(response) == expected


def test_two_values_for_a_single_value_attribute(
    client: Client, world: World, keys: Keys, service: CaseClass
) -> None:
    fields = cover(keys.district)
    fields["attribute[situation]"] = ["missing", "rocking"]
    response = unchanged(lambda: post(client, fields, **EN))
    assert errors(response) == {"attribute[situation]": "give one value"}


def test_several_errors_come_back_together(
    client: Client, world: World, keys: Keys, service: CaseClass
) -> None:
    response = unchanged(
        lambda: post(client, cover(keys.district, size="x", colour="red"), fmt="xml", **EN)
    )
    assert response.status_code == 400
    assert sorted(d for _code, d in xml_errors(response)) == [
        "attribute[colour]: not an attribute of service E9903",
        "attribute[situation]: required",
        "attribute[size]: not a number",
    ]
