"""POST Service Request: an Open311 client reports a problem, and it becomes an ordinary
case through ``cases.actions.workflow.report_case`` (source ``open311``) — numbered,
located in its unit grid, given the grid's supervisor and the suggested department,
announced to the supervision centre and audited there as ``cases.report``.

Who may post. The ``api_key`` is a GridGov API token (``accounts.tokens``) of a user
holding ``cases.report`` over the place reported: a city's app runs under an account of
the city's supervision centre, a district's under the district's (docs/api.md §6). The
workflow lets anyone report through the public sources; the key is what makes a program
accountable for what it posts, so the check is made here, before the report.

Fields are named as Open311 names them in every error (``lat``, ``attribute[size]``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.api.open311 import queries
from gridgov.cases import workflow as machine
from gridgov.cases.actions import workflow as workflow_actions
from gridgov.cases.models import Case, CaseClass, Source
from gridgov.core.errors import InvalidInput, PermissionDenied
from gridgov.territory import locating

MAX_ANSWER = 500  # a one-line answer (string); the report pages ask no more
MAX_TEXT_ANSWER = 2000
MAX_URL = 500
_CJK = re.compile(r"[\u3400-\u9fff]")
# Control characters other than line breaks and tabs: no report needs them, and
# PostgreSQL refuses NUL in text outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# report_case's field → the Open311 field the client sent.
_FIELD_NAMES = {
    "description": "description",
    "address": "address_string",
    "reporter_name": "first_name/last_name",
    "reporter_phone": "phone",
    "photos": "media",
    "grid_code": "address_id",
    "location": "location",
    "lon": "long",
    "lat": "lat",
    "case_class": "service_code",
    "attributes": "attribute",
}


@dataclass
class Submission:
    """The fields of a POST Service Request as sent (text), and uploaded ``media`` files.

    ``email``, ``device_id`` and ``account_id`` are accepted and not kept: GridGov keeps no
    e-mail addresses or device IDs of reporters (the phone is kept, encrypted)."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)
    description: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    media_url: str = ""
    media: Sequence[Any] = ()


# The Submission fields sent as text, by the names Open311 gives them.
TEXT_FIELDS = (
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "description",
    "first_name",
    "last_name",
    "phone",
    "media_url",
)


@dataclass(frozen=True)
class Place:
    grid_code: str
    lon: float | None
    lat: float | None


def _invalid(name: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{name}: {reason}", fields={name: reason})


def _check_text(submission: Submission) -> None:
    """Refuse control characters in any text field or answer, naming the fields."""
    texts = {name: getattr(submission, name) for name in TEXT_FIELDS}
    for code, values in submission.attributes.items():
        texts[f"attribute[{code}]"] = "".join(values)
    bad = {
        name: _("contains control characters")
        for name, text in texts.items()
        if _CONTROL.search(text)
    }
    if bad:
        raise InvalidInput(_("Some fields contain control characters."), fields=bad)


# --- who posts ----------------------------------------------------------------------------


def _require_reporter(actor: Any) -> None:
    if not scope.has_capability(actor, machine.REPORT):
        raise PermissionDenied(_("The account of this api_key may not report problems."))


def _require_reporter_at(actor: Any, place: Place) -> None:
    if not scope.has_capability(actor, machine.REPORT, place.grid_code):
        raise PermissionDenied(_("The account of this api_key may not report at this location."))


# --- where --------------------------------------------------------------------------------


def _degrees(value: str, name: str, limit: int) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not -limit <= number <= limit:
        raise _invalid(name, _("a number of degrees between -%(n)d and %(n)d") % {"n": limit})
    return number


def _point(lat: str, long: str) -> tuple[float, float] | None:
    lat, long = lat.strip(), long.strip()
    if not lat and not long:
        return None
    if not lat or not long:
        raise _invalid("lat" if not lat else "long", _("send lat and long together"))
    return _degrees(long, "long", 180), _degrees(lat, "lat", 90)


def _grid_named(address: str) -> str:
    found = queries.grids_named_in(address)
    if len(found) != 1:
        raise _invalid(
            "address_string",
            _(
                "could not be placed in one unit grid: name the grid in it, or send lat and "
                "long or address_id (the 15-digit grid code)"
            ),
        )
    return found[0]


def _place(submission: Submission, jurisdiction: str | None) -> Place:
    """The unit grid (and the point, when given) of the report. The point decides; an
    ``address_id`` given with it must be the grid holding it."""
    point = _point(submission.lat, submission.long)
    address_id = submission.address_id.strip()
    if address_id and not queries.grid_exists(address_id):
        raise _invalid("address_id", _("no unit grid has this code"))
    if point is not None:
        lon, lat = point
        grid = locating.locate_code(lon, lat)
        if grid is None:
            raise _invalid("lat/long", _("the point lies outside every unit grid of the city"))
        if address_id and grid != address_id:
            raise _invalid(
                "address_id",
                _("the point lat/long lies in unit grid %(grid)s, not in this one")
                % {"grid": grid},
            )
        place = Place(grid, lon, lat)
    elif address_id:
        place = Place(address_id, None, None)
    elif submission.address_string.strip():
        place = Place(_grid_named(submission.address_string), None, None)
    else:
        raise _invalid("location", _("send lat and long, address_string or address_id"))
    if jurisdiction and not place.grid_code.startswith(jurisdiction):
        raise _invalid("location", _("outside jurisdiction %(id)s") % {"id": jurisdiction})
    return place


# --- what: the class's attributes ---------------------------------------------------------


def _answer(spec: dict[str, Any], values: list[str]) -> Any:
    """One attribute's answer as the case keeps it; ValueError (the reason) if invalid."""
    kind = spec.get("datatype")
    if kind != "multivaluelist" and len(values) > 1:
        raise ValueError(_("give one value"))
    value = values[0]
    if kind in ("singlevaluelist", "multivaluelist"):
        keys = [str(v.get("key")) for v in spec.get("values") or []]
        wrong = [v for v in values if v not in keys]
        if wrong:
            raise ValueError(_("must be one of: %(keys)s") % {"keys": ", ".join(keys)})
        return value if len(values) == 1 else values
    if kind == "number":
        return _number(value)
    if kind == "datetime":
        return _datetime(value)
    if kind == "string" and ("\n" in value or "\r" in value):
        raise ValueError(_("one line, without line breaks"))
    limit = MAX_TEXT_ANSWER if kind == "text" else MAX_ANSWER
    if len(value) > limit:
        raise ValueError(_("longer than %(n)d characters") % {"n": limit})
    return value


def _number(value: str) -> int | float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(_("not a number"))
    return int(number) if number.is_integer() else number


def _datetime(value: str) -> str:
    moment = parse_datetime(value)
    if moment is None:
        raise ValueError(_("not an ISO 8601 date and time, e.g. 2026-05-01T09:30:00+08:00"))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(dt.UTC).isoformat()


def _answers(raw: dict[str, list[str]], case_class: CaseClass) -> dict[str, Any]:
    """``attribute[code]`` values checked against the class's attributes by datatype:
    every code known, the required ones answered, list answers among the values."""
    specs = {str(spec.get("code")): spec for spec in case_class.attributes or []}
    errors = {
        f"attribute[{code}]": _("not an attribute of service %(code)s")
        % {"code": case_class.service_code}
        for code in raw
        if code not in specs
    }
    answers: dict[str, Any] = {}
    for code, spec in specs.items():
        values = [v.strip() for v in raw.get(code, []) if v.strip()]
        if not values:
            if spec.get("required"):
                errors[f"attribute[{code}]"] = _("required")
            continue
        try:
            answers[code] = _answer(spec, values)
        except ValueError as exc:
            errors[f"attribute[{code}]"] = str(exc)
    if errors:
        raise InvalidInput(_("Some attributes are missing or wrong."), fields=errors)
    return answers


# --- who reports --------------------------------------------------------------------------


def _reporter_name(first: str, last: str) -> str:
    """The person's name as written: family name first in Chinese (张 + 三), given name
    first otherwise."""
    first, last = first.strip(), last.strip()
    if _CJK.search(first + last):
        return last + first
    return " ".join(part for part in (first, last) if part)


def _media_url(value: str) -> str:
    url = value.strip()
    if not url:
        return ""
    try:
        if len(url) > MAX_URL:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise _invalid(
            "media_url", _("an http or https URL of at most %(n)d characters") % {"n": MAX_URL}
        ) from None
    return url


def _open311_fields(exc: InvalidInput) -> InvalidInput:
    """The workflow's complaint about a field, renamed to the field the client sent."""
    fields = exc.details.get("fields") or {}
    renamed = {}
    for name, reason in fields.items():
        head, _dot, rest = name.partition(".")
        if head == "attributes" and rest:
            renamed[f"attribute[{rest}]"] = reason
        else:
            renamed[_FIELD_NAMES.get(name, name)] = reason
    return InvalidInput(exc.message, fields=renamed) if renamed else exc


# --- the action ---------------------------------------------------------------------------


def submit_service_request(
    submission: Submission, *, actor: Any, jurisdiction: str | None = None
) -> Case:
    """Create the case an Open311 POST asks for, as ``actor`` (the api_key's user), and
    return it. ``jurisdiction`` is the city code the request named (the place must lie
    in it)."""
    _require_reporter(actor)
    _check_text(submission)
    code = submission.service_code.strip()
    if not code:
        raise _invalid("service_code", _("required"))
    case_class = queries.get_service(code)
    place = _place(submission, jurisdiction)
    _require_reporter_at(actor, place)
    answers = _answers(submission.attributes, case_class)
    media_url = _media_url(submission.media_url)
    if media_url:
        answers[queries.MEDIA_URL_KEY] = media_url
    try:
        with transaction.atomic():
            return workflow_actions.report_case(
                actor=actor,
                source=Source.OPEN311,
                description=submission.description.strip() or case_class.name,
                grid_code=place.grid_code,
                lon=place.lon,
                lat=place.lat,
                address=submission.address_string,
                case_class=case_class,
                attributes=answers,
                reporter_name=_reporter_name(submission.first_name, submission.last_name),
                reporter_phone=submission.phone,
                photos=submission.media,
            )
    except InvalidInput as exc:
        raise _open311_fields(exc) from None
