"""The world the Open311 tests act in: the workflow tests' world (the small territory,
event classes with a responsible department, a user for every role with a twin in the
wrong place) plus a class that asks every kind of attribute, and API keys.

Test modules import what they use, e.g. ``from gridgov.api.open311.tests.fixtures import
Keys, keys, service, world, _media, _fresh_locate_index``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from gridgov.accounts.actions import create_token
from gridgov.accounts.models import User
from gridgov.cases.models import CaseClass, CaseKind
from gridgov.cases.tests.workflow_fixtures import (
    GRID,
    POINT,
    SIBLING_GRID,
    World,
    _fresh_locate_index,
    _media,
    world,
)

BASE = "/open311/v2"
# The response fields of a service request, in the spec's order.
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]

# A class that asks one attribute of every Open311 datatype.
COVER_ATTRIBUTES = [
    {
        "code": "situation",
        "description": "井盖情况",
        "datatype": "singlevaluelist",
        "required": True,
        "values": [
            {"key": "missing", "name": "井盖丢失", "limit_value": 2, "limit_unit": "urgent_hours"},
            {"key": "rocking", "name": "井盖松动"},
        ],
    },
    {"code": "size", "description": "破损面积（平方厘米）", "datatype": "number"},
    {"code": "seen_at", "description": "发现时间", "datatype": "datetime"},
    {"code": "landmark", "description": "附近标志物", "datatype": "string"},
    {"code": "detail", "description": "补充说明", "datatype": "text"},
    {
        "code": "hazards",
        "description": "安全隐患",
        "datatype": "multivaluelist",
        "values": [
            {"key": "traffic", "name": "影响通行"},
            {"key": "children", "name": "附近有学校"},
        ],
    },
]


@pytest.fixture
def service(world: World) -> CaseClass:
    """E9903 井盖问题: every datatype, one required list whose answer sets the limit."""
    return CaseClass.objects.create(
        kind=CaseKind.EVENT,
        code="9903",
        name="井盖问题",
        parent=world.case_class.parent,
        filing_condition="井盖丢失、破损或松动",
        limit_value=2,
        limit_unit="working_days",
        attributes=COVER_ATTRIBUTES,
    )


def key_for(user: User) -> str:
    """A fresh API token of the user: what an Open311 client sends as api_key."""
    _token, raw = create_token(actor=user, name="open311 app")
    return raw


@dataclass
class Keys:
    district: str  # supervision centre of 宛城区 411302 (reports anywhere in it)
    other_district: str  # supervision centre of 卧龙区 411303
    worker: str  # grid worker of 河街社区 411302001001
    citizen: str  # a citizen: no capability at all
    handler: str  # department handler: reads its cases, reports nothing


@pytest.fixture
def keys(world: World) -> Keys:
    return Keys(
        district=key_for(world.supervision),
        other_district=key_for(world.other_supervision),
        worker=key_for(world.worker),
        citizen=key_for(world.citizen),
        handler=key_for(world.handler),
    )


def report_fields(api_key: str, **fields: Any) -> dict[str, Any]:
    """A valid POST Service Request for E9901 at POINT (in GRID), overridable."""
    lon, lat = POINT
    values: dict[str, Any] = {
        "api_key": api_key,
        "jurisdiction_id": "4113",
        "service_code": "E9901",
        "lat": str(lat),
        "long": str(lon),
        "address_string": "建设路 12 号门口",
        "description": "人行道上堆放建筑垃圾",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812345678",
        "email": "zhang@example.com",
        "device_id": "device-1",
        "account_id": "app-account-7",
    }
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


def post(client: Client, fields: dict[str, Any], fmt: str = "json", **extra: Any) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", fields, **extra)


def parse_xml(response: Any) -> ET.Element:
    """The XML body, checked for the spec's declaration and content type."""
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    body = response.content.decode()
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 — our own server's answer


def json_of(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def xml_errors(response: Any) -> list[tuple[str, str]]:
    root = parse_xml(response)
    assert root.tag == "errors"
    assert all(child.tag == "error" for child in root)
    return [(e.findtext("code") or "", e.findtext("description") or "") for e in root]


__all__ = [
    "ATTRIBUTE_FIELDS",
    "BASE",
    "GRID",
    "POINT",
    "REQUEST_FIELDS",
    "SERVICE_FIELDS",
    "SIBLING_GRID",
    "Keys",
    "World",
    "_fresh_locate_index",
    "_media",
    "json_of",
    "key_for",
    "keys",
    "parse_xml",
    "post",
    "report_fields",
    "service",
    "world",
    "xml_errors",
]
