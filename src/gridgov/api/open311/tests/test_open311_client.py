"""Conformance with a third-party Open311 client: ``georeport`` 0.3.1 from PyPI (requests +
xmltodict) drives a live server in both of its output formats.

The client reads the service list, a service definition, the request list (with and
without filters) and single requests. It cannot create requests or look up tokens
(its README says so), so those two calls are made with ``requests`` — the HTTP library
the client itself uses — exactly as the spec writes them, and the client then reads
what was created.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.db import DEFAULT_DB_ALIAS, connections
from georeport import GeoReport

from gridgov.api.open311.tests.fixtures import (
    World,
    _fresh_locate_index,
    _media,
    key_for,
    report_fields,
    service,
    world,
)
from gridgov.cases.models import Case, CaseClass, Source
from gridgov.cases.queries.catalogue import active_minor_classes
from gridgov.web.tests.conftest import live_server

__all__ = ["_fresh_locate_index", "_media", "live_server", "service", "world"]

FORMATS = ["json", "xml"]


@pytest.fixture(autouse=True)
def _direct(monkeypatch: pytest.MonkeyPatch) -> None:
    # The live server is on this machine: never through a proxy of the environment.
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "localhost,127.0.0.1")


@pytest.fixture(autouse=True)
def _server_connections_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    # On PostgreSQL the live server answers each request in a thread of its own; with
    # persistent connections their sessions outlive the threads and keep the test
    # database from being dropped at the end. The setting is read at each connect.
    monkeypatch.setitem(connections.settings[DEFAULT_DB_ALIAS], "CONN_MAX_AGE", 0)


def as_list(value: Any) -> list[Any]:
    """xmltodict gives one repeated element as a dict and several as a list."""
    return value if isinstance(value, list) else [value]


def client_for(live_server: Any, fmt: str) -> GeoReport:
    return GeoReport(f"{live_server.url}/open311/v2", jurisdiction="4113", output_format=fmt)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_client_reads_services_and_definitions(
    live_server: Any, world: World, service: CaseClass, fmt: str
) -> None:
    client = client_for(live_server, fmt)
    services = as_list(client.get_service_list())
    assert len(services) == active_minor_classes().count()
    cover = next(s for s in services if s["service_code"] == "E9903")
    assert cover["service_name"] == "井盖问题"
    assert str(cover["metadata"]).lower() == "true"
    assert cover["type"] == "realtime"

    definition = client.get_service_definition("E9903")
    assert definition["service_code"] == "E9903"
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = as_list(attributes["attribute"])
    assert [a["code"] for a in attributes] == [
        "situation",
        "size",
        "seen_at",
        "landmark",
        "detail",
        "hazards",
    ]
    values = attributes[0]["values"]
    values = as_list(values["value"]) if fmt == "xml" else values
    assert [v["key"] for v in values] == ["missing", "rocking"]

    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_definition("E0000")
    assert refused.value.response.status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_posted_is_read_back_by_the_client(
    live_server: Any, world: World, service: CaseClass, fmt: str
) -> None:
    root = f"{live_server.url}/open311/v2"
    fields = report_fields(key_for(world.supervision), service_code="E9903")
    fields["attribute[situation]"] = "missing"
    posted = requests.post(f"{root}/requests.{fmt}", data=fields, timeout=30)
    assert posted.status_code == 200, posted.text
    if fmt == "json":
        number = posted.json()[0]["service_request_id"]
    else:
        import xmltodict

        number = xmltodict.parse(posted.content)["service_requests"]["request"][
            "service_request_id"
        ]
    case = Case.objects.get(number=number)
    assert case.source == Source.OPEN311 and case.attributes == {"situation": "missing"}

    client = client_for(live_server, fmt)
    request = client.get_service_request(number)
    assert request["service_request_id"] == number
    assert request["status"] == "open"
    assert request["service_code"] == "E9903"
    assert request["address_id"] == case.grid_code

    listed = as_list(client.get_service_requests())
    assert number in [r["service_request_id"] for r in listed]
    filtered = as_list(client.get_service_requests(service_request_id=number, status="open"))
    assert [r["service_request_id"] for r in filtered] == [number]
    assert as_list(client.get_service_requests(service_code="E9903", status="open"))

    # The token lookup (not in the client): the public tracking token gives the id.
    token = requests.get(f"{root}/tokens/{case.public_token}.{fmt}", timeout=30)
    assert token.status_code == 200
    assert number in token.text

    refused = requests.post(f"{root}/requests.{fmt}", data={**fields, "api_key": "x"}, timeout=30)
    assert refused.status_code == 403
