"""The Open311 documents, field by field in the spec's order: a service, a service
definition, a service request, the discovery document. Times are W3C ISO 8601 with the
offset; what GridGov does not have (a zip code) is present and empty, as in the spec's
examples, so every request has the same shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.api.open311.formats import FORMATS, MIME_TYPES, w3
from gridgov.api.open311.queries import PublicRequest
from gridgov.cases.models import CaseClass, CaseKind

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

# Help for the person answering, per datatype (the spec's datatype_description).
DATATYPE_HELP: dict[str, Promise] = {
    "string": gettext_lazy("Text on one line."),
    "text": gettext_lazy("Text; line breaks are allowed."),
    "number": gettext_lazy("A number."),
    "datetime": gettext_lazy(
        "A date and time in ISO 8601 with its offset, e.g. 2026-05-01T09:30:00+08:00."
    ),
    "singlevaluelist": gettext_lazy("Choose one of the values."),
    "multivaluelist": gettext_lazy(
        "Choose one or more of the values (send attribute[code][] once for each)."
    ),
}


def service(case_class: CaseClass) -> dict[str, Any]:
    group = case_class.parent.name if case_class.parent else ""
    return {
        "service_code": case_class.service_code,
        "service_name": case_class.name,
        "description": case_class.filing_condition or case_class.name,
        "metadata": bool(case_class.attributes),
        "type": "realtime",
        "keywords": ", ".join(
            part for part in (str(CaseKind(case_class.kind).label), group, case_class.name) if part
        ),
        "group": group,
    }


def _attribute(spec: dict[str, Any], order: int) -> dict[str, Any]:
    datatype = str(spec.get("datatype") or "string")
    return {
        "variable": True,
        "code": spec.get("code"),
        "datatype": datatype,
        "required": bool(spec.get("required")),
        "datatype_description": str(DATATYPE_HELP.get(datatype, "")),
        "order": order,
        "description": spec.get("description") or spec.get("code"),
        "values": [
            {"key": value.get("key"), "name": value.get("name") or value.get("key")}
            for value in spec.get("values") or []
        ],
    }


def definition(case_class: CaseClass) -> dict[str, Any]:
    return {
        "service_code": case_class.service_code,
        "attributes": [
            _attribute(spec, order)
            for order, spec in enumerate(case_class.attributes or [], start=1)
        ],
    }


def request(item: PublicRequest, photo_url: Callable[[tuple[int, str]], str]) -> dict[str, Any]:
    """A service request; ``photo_url`` makes the public URL of a stored photo."""
    media = photo_url(item.photo) if item.photo else item.media_url
    return {
        "service_request_id": item.service_request_id,
        "status": item.status,
        "status_notes": item.status_notes,
        "service_name": item.service_name,
        "service_code": item.service_code,
        "description": item.description,
        "agency_responsible": item.agency_responsible,
        "service_notice": item.service_notice,
        "requested_datetime": w3(item.requested_datetime),
        "updated_datetime": w3(item.updated_datetime),
        "expected_datetime": w3(item.expected_datetime),
        "address": item.address,
        "address_id": item.address_id,
        "zipcode": None,
        "lat": item.lat,
        "long": item.long,
        "media_url": media or None,
    }


def created(number: str, notice: str, account_id: str) -> dict[str, Any]:
    """The answer to a POST: the request is created at once (type realtime), so its id."""
    return {
        "service_request_id": number,
        "service_notice": notice,
        "account_id": account_id or None,
    }


def discovery(endpoint_url: str, changeset: dt.datetime | None) -> dict[str, Any]:
    stamp = w3(changeset) or ""
    return {
        "changeset": stamp,
        "contact": _(
            "The city's grid management centre runs this service; ask its administrator for help."
        ),
        "key_service": _(
            "An api_key is a GridGov API token of an account that may report problems in "
            "the area concerned; the city's administrator creates the account and its token."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": stamp,
                "type": "production",
                "formats": [MIME_TYPES[fmt] for fmt in reversed(FORMATS)],
            }
        ],
    }
