"""Open311's two formats. XML is the spec's own (schemaless, no namespace, an XML
declaration with encoding utf-8); JSON is its programmatic mapping (the "Spark
convention"): a list of elements becomes an array, an element of fields an object.

A payload is a dict (one element: the service definition, the discovery document) or a
list of dicts (a list element: ``services`` of ``service``, ``service_requests`` of
``request``, ``errors`` of ``error``). Nested lists follow the same naming
(``attributes`` of ``attribute``, ``values`` of ``value``...).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from gridgov.core.errors import DomainError

JSON, XML = "json", "xml"
FORMATS = (JSON, XML)
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}
MIME_TYPES = {JSON: "application/json", XML: "text/xml"}
# The element of each item of a list element.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry at all (escaping does not help): dropped from text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def w3(moment: dt.datetime | None) -> str | None:
    """A time in the W3C profile of ISO 8601 with its offset (``2026-05-01T09:30:00+08:00``),
    in the installation's time zone."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, list):
        item = ITEM_NAMES.get(element.tag, "item")
        for entry in value:
            _fill(ET.SubElement(element, item), entry)
    else:
        element.text = _text(value)


def to_xml(root: str, payload: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, payload)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


def to_json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def respond(fmt: str, root: str, payload: Any, *, status: int = 200) -> HttpResponse:
    """The payload in the requested format (XML for anything but ``json``)."""
    body = to_json(payload) if fmt == JSON else to_xml(root, payload)
    return HttpResponse(
        body, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES[XML])
    )


def error_entries(exc: DomainError) -> list[dict[str, Any]]:
    """The spec's errors: one per invalid field (``lat: …``), else one with the message;
    ``code`` is the HTTP status."""
    status = http_status(exc)
    fields = exc.details.get("fields") or {}
    if fields:
        return [
            {"code": status, "description": f"{name}: {reason}"} for name, reason in fields.items()
        ]
    return [{"code": status, "description": exc.message}]


def http_status(exc: DomainError) -> int:
    """The spec's statuses: 404 for what does not exist, 403 for a missing or wrong
    api_key (and what its account may not do), 400 for every other refusal."""
    return exc.status if exc.status in (403, 404) else 400


def errors(fmt: str, exc: DomainError) -> HttpResponse:
    return respond(fmt, "errors", error_entries(exc), status=http_status(exc))
