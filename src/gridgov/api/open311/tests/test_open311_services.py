"""GET Service List, GET Service Definition and the discovery document, in JSON and XML;
jurisdiction_id, formats, methods and the spec's errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gridgov.api.open311.tests.fixtures import (
    ATTRIBUTE_FIELDS,
    BASE,
    SERVICE_FIELDS,
    World,
    _fresh_locate_index,
    _media,
    json_of,
    parse_xml,
    service,
    world,
    xml_errors,
)
from gridgov.cases.models import CaseClass
from gridgov.cases.queries.catalogue import active_minor_classes
from gridgov.territory import codes
from gridgov.territory.models import Region

__all__ = ["_fresh_locate_index", "_media", "service", "world"]

pytestmark = pytest.mark.django_db


def services_count() -> int:
    return active_minor_classes().count()


def test_service_list_in_json_names_every_active_minor_class(
    client: Client, world: World, service: CaseClass
) -> None:
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    services = json_of(response)
    by_code = {s["service_code"]: s for s in services}
    # The seeded catalogue (domain.md §2) and the test classes, each once.
    assert len(by_code) == len(services) == services_count()
    assert {"C0101", "E0101", "E9901", "E9902", "E9903"} <= set(by_code)
    assert all(list(s) == SERVICE_FIELDS for s in services)
    cover = by_code["E9903"]
    assert cover["service_name"] == "井盖问题"
    assert cover["description"] == "井盖丢失、破损或松动"  # the filing condition
    assert cover["metadata"] is True  # it asks attributes: read the definition
    assert cover["type"] == "realtime"
    assert cover["group"] == "测试大类"
    assert "测试大类" in cover["keywords"] and "井盖问题" in cover["keywords"]
    assert by_code["E9901"]["metadata"] is False
    assert by_code["E9901"]["description"] == "乱堆物料"  # no filing condition: its name
    assert response["Access-Control-Allow-Origin"] == "*"


def test_service_list_in_xml_has_the_spec_elements(
    client: Client, world: World, service: CaseClass
) -> None:
    root = parse_xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert [child.tag for child in root] == ["service"] * services_count()
    for element in root:
        assert [child.tag for child in element] == SERVICE_FIELDS
    cover = next(e for e in root if e.findtext("service_code") == "E9903")
    assert cover.findtext("metadata") == "true"
    assert cover.findtext("type") == "realtime"
    assert cover.findtext("group") == "测试大类"


def test_inactive_classes_and_majors_are_not_services(client: Client, world: World) -> None:
    def listed() -> set[str]:
        return {s["service_code"] for s in client.get(f"{BASE}/services.json").json()}

    assert {"E9901", "E9902"} <= listed()
    CaseClass.objects.filter(pk=world.other_class.pk).update(is_active=False)
    assert "E9901" in listed() and "E9902" not in listed()
    CaseClass.objects.filter(pk=world.case_class.parent_id).update(is_active=False)
    assert not {"E9901", "E9902"} & listed()


def test_an_empty_catalogue_is_an_empty_list(client: Client, world: World) -> None:
    CaseClass.objects.update(is_active=False)
    assert client.get(f"{BASE}/services.json").json() == []
    root = parse_xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and len(root) == 0


def test_service_definition_in_json(client: Client, service: CaseClass) -> None:
    definition = json_of(client.get(f"{BASE}/services/E9903.json"))
    assert definition["service_code"] == "E9903"
    attributes = definition["attributes"]
    assert [a["code"] for a in attributes] == [
        "situation",
        "size",
        "seen_at",
        "landmark",
        "detail",
        "hazards",
    ]
    assert all(list(a) == ATTRIBUTE_FIELDS for a in attributes)
    assert [a["order"] for a in attributes] == [1, 2, 3, 4, 5, 6]
    assert [a["datatype"] for a in attributes] == [
        "singlevaluelist",
        "number",
        "datetime",
        "string",
        "text",
        "multivaluelist",
    ]
    situation = attributes[0]
    assert situation["variable"] is True and situation["required"] is True
    assert situation["description"] == "井盖情况"
    # Keys and names only: the time limit an answer carries is the city's business.
    assert situation["values"] == [
        {"key": "missing", "name": "井盖丢失"},
        {"key": "rocking", "name": "井盖松动"},
    ]
    assert attributes[1]["values"] == [] and attributes[1]["required"] is False
    assert all(a["datatype_description"] for a in attributes)


def test_service_definition_in_xml(client: Client, service: CaseClass) -> None:
    root = parse_xml(client.get(f"{BASE}/services/E9903.xml"))
    assert root.tag == "service_definition"
    assert [child.tag for child in root] == ["service_code", "attributes"]
    attributes = root.find("attributes")
    assert attributes is not None
    assert [a.tag for a in attributes] == ["attribute"] * 6
    first = attributes[0]
    assert [child.tag for child in first] == ATTRIBUTE_FIELDS
    assert first.findtext("variable") == "true"
    assert first.findtext("required") == "true"
    assert first.findtext("order") == "1"
    values = first.find("values")
    assert values is not None
    assert [(v.tag, v.findtext("key"), v.findtext("name")) for v in values] == [
        ("value", "missing", "井盖丢失"),
        ("value", "rocking", "井盖松动"),
    ]
    assert len(attributes[1].find("values") or []) == 0


def test_a_class_without_attributes_has_an_empty_definition(client: Client, world: World) -> None:
    assert client.get(f"{BASE}/services/E9901.json").json() == {
        "service_code": "E9901",
        "attributes": [],
    }


@pytest.mark.parametrize("code", ["E9999", "C9901", "E99", "X1", "e99011"])
def test_unknown_service_code_is_404_in_both_formats(
    client: Client, world: World, code: str
) -> None:
    response = client.get(f"{BASE}/services/{code}.json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert json_of(response) == [
        {"code": 404, "description": f"service_code {code} was not found."}
    ]
    response = client.get(f"{BASE}/services/{code}.xml", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert xml_errors(response) == [("404", f"service_code {code} was not found.")]


def test_errors_are_in_chinese_by_default(client: Client, world: World) -> None:
    response = client.get(f"{BASE}/services/E9999.json")
    assert response.json() == [{"code": 404, "description": "未找到服务代码 E9999。"}]


def test_jurisdiction_id_is_the_city_code(client: Client, world: World) -> None:
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "4113"}).status_code == 200
    response = client.get(
        f"{BASE}/services.xml", {"jurisdiction_id": "sfgov.org"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 404
    assert xml_errors(response) == [("404", "jurisdiction_id sfgov.org was not found.")]
    response = client.get(f"{BASE}/services/E9901.json", {"jurisdiction_id": "411302"})
    assert response.status_code == 404  # a district is not a jurisdiction


def test_jurisdiction_id_is_required_when_the_server_serves_two_cities(
    client: Client, world: World
) -> None:
    Region.objects.create(code="4114", name="商丘市", level=codes.CITY, kind="city")
    response = client.get(f"{BASE}/services.json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == [
        {
            "code": 400,
            "description": "jurisdiction_id: required: this server serves several cities "
            "(4113, 4114)",
        }
    ]
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "4114"}).status_code == 200


def test_unknown_format_and_wrong_method(client: Client, world: World) -> None:
    response = client.get(f"{BASE}/services.csv", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert xml_errors(response) == [("400", "format: use .json or .xml")]
    response = client.post(f"{BASE}/services.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert [e["code"] for e in response.json()] == [405]
    assert client.delete(f"{BASE}/requests.xml").status_code == 405
    assert client.head(f"{BASE}/services.xml").status_code == 200


@pytest.mark.parametrize(
    ("path", "fmt"), [("services/E9901/extra.json", "json"), ("servics.xml", "xml"), ("x", "xml")]
)
def test_an_unknown_url_is_the_specs_404(client: Client, path: str, fmt: str) -> None:
    response = client.get(f"{BASE}/{path}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    expected = "There is no such Open311 resource; see the discovery document."
    if fmt == "json":
        assert json_of(response) == [{"code": 404, "description": expected}]
    else:
        assert xml_errors(response) == [("404", expected)]


def test_service_list_reads_a_fixed_number_of_queries(
    client: Client, world: World, service: CaseClass, django_assert_max_num_queries: Any
) -> None:
    for n in range(10, 30):
        CaseClass.objects.create(kind="event", code=f"99{n}", name=f"类{n}", parent=service.parent)
    with django_assert_max_num_queries(2):  # the cities, the classes with their majors
        response = client.get(f"{BASE}/services.json")
    assert len(response.json()) == services_count()


def test_discovery_document_in_json_and_xml(
    client: Client, world: World, service: CaseClass
) -> None:
    document = json_of(client.get("/open311/discovery.json"))
    assert list(document) == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["changeset"] == document["changeset"] != ""

    root = parse_xml(client.get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    formats = root.find("endpoints/endpoint/formats")
    assert formats is not None
    assert [(f.tag, f.text) for f in formats] == [
        ("format", "text/xml"),
        ("format", "application/json"),
    ]
    redirect = client.get(f"{BASE}/")
    assert redirect.status_code == 302 and redirect["Location"] == "/open311/discovery.json"
