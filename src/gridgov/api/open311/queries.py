"""What Open311 GeoReport v2 reads: the services (minor case classes), the public
requests, tokens and photos, and the jurisdictions (cities) this server serves.

What is public (docs/api.md §6). A service request is a case the public reported itself,
through the public report page or Open311 (``PUBLISHED_SOURCES``). A hotline call is
written down by an operator from what the caller said in confidence, and cases found on
patrol, by video, by leaders or through the REST API are internal work: Open311 does not
know them (404, as for a number that does not exist). Of a request anyone reads its number,
status, class, description, department, time limit and deadline, place (address, unit
grid, point), dates and the reporter's photos — never the reporter's name, phone or
account, nobody's notes, nor why it was cancelled. A report the supervision centre
cancelled as not valid stays listed, closed, with its description and photos withheld;
one merged into another case stays, closed, naming that case.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases import workflow as machine
from gridgov.cases.models import (
    Attachment,
    AttachmentPurpose,
    Case,
    CaseClass,
    Source,
    Stage,
)
from gridgov.cases.queries import catalogue as catalogue_queries
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.territory import codes
from gridgov.territory.models import Region

# The spec's default volume: a span of 90 days or the first 1000 requests.
MAX_REQUESTS = 1000
WINDOW = dt.timedelta(days=90)
OPEN, CLOSED = "open", "closed"
STATUSES = (OPEN, CLOSED)
# The sources whose reporters published their report themselves (the workflow's sources
# open to anyone, signed in or not).
PUBLISHED_SOURCES = (Source.CITIZEN, Source.OPEN311)
# Where the reporter's own link to their media is kept (with the class's answers).
MEDIA_URL_KEY = "media_url"
_PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


# --- jurisdictions ------------------------------------------------------------------------


def jurisdictions() -> list[str]:
    """The codes of the cities this server serves: the valid ``jurisdiction_id`` values."""
    return list(
        Region.objects.filter(level=codes.CITY).order_by("code").values_list("code", flat=True)
    )


# --- services -----------------------------------------------------------------------------


def services() -> QuerySet[CaseClass]:
    """Every class a request may name: the active minor classes, with their majors."""
    return catalogue_queries.active_minor_classes()


def get_service(service_code: str) -> CaseClass:
    """The active minor class a ``service_code`` names (``C0101``, ``E0302``)."""
    found = catalogue_queries.get_class_by_service_code(service_code)
    if found is None:
        raise NotFound(_("service_code %(code)s was not found.") % {"code": service_code})
    return found


def services_changed_at() -> dt.datetime | None:
    """When a class last changed: the discovery document's changeset."""
    return CaseClass.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()


# --- the public requests ------------------------------------------------------------------


@dataclass(frozen=True)
class PublicRequest:
    """A case as Open311 shows it (the response fields of GET Service Requests)."""

    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime
    expected_datetime: dt.datetime | None
    address: str
    address_id: str
    lat: float | None
    long: float | None
    # The first of the reporter's photos (attachment id, file extension), served by the
    # Open311 media view; else the link the reporter gave when posting, else nothing.
    photo: tuple[int, str] | None
    media_url: str


def public_cases() -> QuerySet[Case]:
    """The cases Open311 knows: those the public reported itself."""
    return Case.objects.filter(source__in=PUBLISHED_SOURCES)


def _withheld(case: Case) -> bool:
    """A report cancelled as not valid: its description and photos are not shown."""
    return case.stage == Stage.CANCELLED and case.merged_into_id is None


def status_of(case: Case) -> str:
    return OPEN if case.stage in machine.OPEN else CLOSED


def status_notes(case: Case, merged_number: str | None = None) -> str:
    """The stage in words; for a closed case the department's result, for a merged one
    the case it joined."""
    if case.stage == Stage.CANCELLED:
        if merged_number:
            return _("Duplicate of case %(number)s.") % {"number": merged_number}
        return _("Not taken up as a case.")
    if case.stage == Stage.CLOSED and case.result:
        return case.result
    return machine.stage_label(case.stage)


def _limit(case: Case) -> tuple[int, str] | None:
    """The disposal time limit of the case (or of its class and the answers given,
    before it is filed)."""
    if case.limit_value and case.limit_unit:
        return case.limit_value, case.limit_unit
    if case.case_class is not None:
        return catalogue_queries.time_limit(case.case_class, case.attributes)
    return None


def notice(limit: tuple[int, str] | None) -> str:
    """What the city undertakes about a request with this time limit."""
    # "2 working days" mid-sentence (lower case changes nothing in Chinese).
    words = catalogue_queries.limit_label(*limit).lower() if limit else ""
    if not words:
        return ""
    return _(
        "To be dealt with within %(limit)s of being dispatched to the department responsible."
    ) % {"limit": words}


def service_notice(case: Case) -> str:
    return notice(_limit(case))


def _updated(case: Case) -> dt.datetime:
    """For a closed request the time it was closed (the spec's rule), else its last change."""
    return case.closed_at or case.cancelled_at or case.updated_at


def _first_photos(case_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """The first report photo of each case: one query for a whole page."""
    rows = (
        _report_photos()
        .filter(case_id__in=case_ids)
        .order_by("case_id", "uploaded_at", "pk")
        .values_list("case_id", "pk", "content_type")
    )
    first: dict[int, tuple[int, str]] = {}
    for case_id, pk, content_type in rows:
        first.setdefault(case_id, (pk, _PHOTO_EXTENSIONS.get(content_type, "jpg")))
    return first


def _grid_names(grid_codes: Iterable[str]) -> dict[str, str]:
    wanted = set(grid_codes)
    if not wanted:
        return {}
    return dict(Region.objects.filter(code__in=wanted).values_list("code", "name"))


def _shape(
    cases: list[Case], photos: dict[int, tuple[int, str]], names: dict[str, str]
) -> list[PublicRequest]:
    shaped = []
    notices: dict[Any, str] = {}  # a thousand cases have a handful of limits
    for case in cases:
        limit = _limit(case)
        if limit not in notices:
            notices[limit] = notice(limit)
        withheld = _withheld(case)
        cls = case.case_class
        media = "" if withheld else str((case.attributes or {}).get(MEDIA_URL_KEY) or "")
        shaped.append(
            PublicRequest(
                service_request_id=case.number,
                status=status_of(case),
                status_notes=status_notes(case, getattr(case, "merged_number", None)),
                service_name=cls.name if cls else "",
                service_code=cls.service_code if cls else "",
                description="" if withheld else case.description,
                agency_responsible=case.department.name if case.department else "",
                service_notice=notices[limit],
                requested_datetime=case.reported_at,
                updated_datetime=_updated(case),
                expected_datetime=case.deadline,
                address=case.address or names.get(case.grid_code, ""),
                address_id=case.grid_code,
                lat=case.lat,
                long=case.lon,
                photo=None if withheld else photos.get(case.pk),
                media_url=media,
            )
        )
    return shaped


# What a public request is made of (a list loads up to a thousand cases: no more columns).
_COLUMNS = (
    "number",
    "stage",
    "description",
    "address",
    "grid_code",
    "lon",
    "lat",
    "attributes",
    "reported_at",
    "updated_at",
    "closed_at",
    "cancelled_at",
    "deadline",
    "limit_value",
    "limit_unit",
    "result",
    "merged_into_id",
    "department__name",
    "case_class__kind",
    "case_class__code",
    "case_class__name",
    "case_class__attributes",
    "case_class__limit_value",
    "case_class__limit_unit",
)


def _rows(cases: QuerySet[Case]) -> QuerySet[Case]:
    return (
        cases.select_related("case_class", "department")
        .only(*_COLUMNS)
        .annotate(merged_number=F("merged_into__number"))
    )


def shape_all(cases: QuerySet[Case]) -> list[PublicRequest]:
    """The cases as public requests: three queries (cases, photos, grid names)."""
    rows = list(_rows(cases))
    unaddressed = [case.grid_code for case in rows if not case.address]
    return _shape(rows, _first_photos([case.pk for case in rows]), _grid_names(unaddressed))


def request_window(
    start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """The span searched: the 90 days before ``now`` by default, 90 days from ``start``
    or up to ``end`` when only one is given; a span given whole may not exceed 90 days."""
    if start is None and end is None:
        end = now or timezone.now()
        return end - WINDOW, end
    if start is None:
        assert end is not None
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if end < start:
        raise InvalidInput(fields={"end_date": _("earlier than start_date")})
    if end - start > WINDOW:
        raise InvalidInput(fields={"end_date": _("the span may not exceed 90 days")})
    return start, end


def search_requests(
    *,
    ids: Sequence[str] = (),
    service_codes: Sequence[str] = (),
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: Sequence[str] = (),
    jurisdiction: str | None = None,
    now: dt.datetime | None = None,
) -> list[PublicRequest]:
    """GET Service Requests: newest first, at most ``MAX_REQUESTS``. ``ids`` (case
    numbers) overrides every other filter but the jurisdiction, date window included."""
    cases = public_cases()
    if jurisdiction:
        cases = cases.filter(grid_code__startswith=jurisdiction)
    if ids:
        cases = cases.filter(number__in=list(ids))
    else:
        cases = _filtered(cases, service_codes, request_window(start, end, now), statuses)
    return shape_all(cases.order_by("-reported_at", "-pk")[:MAX_REQUESTS])


def _filtered(
    cases: QuerySet[Case],
    service_codes: Sequence[str],
    window: tuple[dt.datetime, dt.datetime],
    statuses: Sequence[str],
) -> QuerySet[Case]:
    cases = cases.filter(reported_at__gte=window[0], reported_at__lte=window[1])
    if service_codes:
        cases = cases.filter(_service_code_q(service_codes))
    if set(statuses) == {OPEN}:
        cases = cases.filter(stage__in=machine.OPEN)
    elif set(statuses) == {CLOSED}:
        cases = cases.exclude(stage__in=machine.OPEN)
    return cases


def _service_code_q(service_codes: Sequence[str]) -> Q:
    """Cases of any of the (well-formed) service codes; an unknown code matches nothing."""
    q = Q(pk__in=[])
    for service_code in service_codes:
        parsed = catalogue_queries.parse_service_code(service_code)
        if parsed is None or len(parsed[1]) != 4:
            raise InvalidInput(
                fields={
                    "service_code": _("%(code)s is not a service code") % {"code": service_code}
                }
            )
        q |= Q(case_class__kind=parsed[0], case_class__code=parsed[1])
    return q


def get_request(service_request_id: str, jurisdiction: str | None = None) -> PublicRequest:
    """GET Service Request: one public request by its number."""
    cases = public_cases().filter(number=str(service_request_id).strip())
    if jurisdiction:
        cases = cases.filter(grid_code__startswith=jurisdiction)
    found = shape_all(cases)
    if not found:
        raise NotFound(_("Service request %(id)s was not found.") % {"id": service_request_id})
    return found[0]


def request_id_for_token(token: str, jurisdiction: str | None = None) -> str:
    """GET service_request_id from a token: the tracking token a public report was given."""
    try:
        key = uuid.UUID(str(token))
    except ValueError:
        key = None
    cases = public_cases().filter(public_token=key) if key else Case.objects.none()
    if jurisdiction:
        cases = cases.filter(grid_code__startswith=jurisdiction)
    number = cases.values_list("number", flat=True).first()
    if number is None:
        raise NotFound(_("Token %(token)s was not found.") % {"token": token})
    return number


# --- photos -------------------------------------------------------------------------------


def _report_photos() -> QuerySet[Attachment]:
    """The reporters' photos of public requests, images only (stored without metadata)."""
    return Attachment.objects.filter(
        purpose=AttachmentPurpose.REPORT,
        content_type__in=list(_PHOTO_EXTENSIONS),
        case__source__in=PUBLISHED_SOURCES,
    )


def get_public_photo(attachment_id: Any) -> Attachment:
    """A photo a request's ``media_url`` points to (not of a report cancelled as invalid)."""
    try:
        pk = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    withheld = Q(case__stage=Stage.CANCELLED, case__merged_into__isnull=True)
    found = _report_photos().exclude(withheld).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def photo_extension(attachment: Attachment) -> str:
    return _PHOTO_EXTENSIONS.get(attachment.content_type, "jpg")


# --- places -------------------------------------------------------------------------------


def grid_exists(code: str) -> bool:
    return Region.objects.filter(code=code, level=codes.GRID).exists()


def grids_named_in(text: str) -> list[str]:
    """The unit grids whose name the text contains, longest name first (an address that
    names its grid, e.g. "河街社区第1网格 门口"); several when the longest is ambiguous."""
    text = (text or "").strip()
    if not text:
        return []
    rows = list(
        Region.objects.filter(level=codes.GRID)
        .annotate(text=Value(text))
        .filter(text__contains=F("name"))
        .values_list("code", "name")
    )
    if not rows:
        return []
    longest = max(len(name) for _code, name in rows)
    return sorted(code for code, name in rows if len(name) == longest)
