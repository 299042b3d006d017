"""Screening campaigns (排查) and the grid workers' visits (domain.md §5).

A campaign is created at any territory level — city, county, township, community or one
grid — by a holder of ``epidemic.campaign`` over it, with a target: everyone living
there, the arrivals from risk areas since a date, a care group, or a list of ID numbers
imported from a file. It can be changed while it is a draft. Starting it writes one task
per living person targeted, in bulk, each assigned to the grid worker of the person's
grid (``queries.grid_workers``; a grid without one leaves the task unassigned, still
counted and listed for the community). Closing or cancelling it cancels the tasks still
open.

A grid worker (``epidemic.screen`` over the grid) records a screening on a task of a
campaign under way, or for anyone of their grids without a campaign; or marks that nobody
was at home: the task becomes "not found at home", stays on the walk list until
``MAX_ATTEMPTS`` visits, and a screening completes it at any time.

Every write keeps the roll-ups of ``tallies.screening`` in its transaction, checks the
version of the campaign or task it changes (409 when stale) and writes its audit event.

The "ten points" (``TEN_POINTS``) still unclear about a person are those the grid worker
ticks plus those the answers leave open: ``identity`` when the registry has no ID number
for the person, ``health`` without a health answer, ``measures`` without a measure,
``origin`` when an arrival date, transport or route is given without where from, and
``return_time`` / ``transport`` when where from is given without an arrival date or a
transport. Number, route, close contacts and family are unclear only when ticked.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from gridgov.accounts import scope
from gridgov.audit.actions import diff, record
from gridgov.core import crypto
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.core.text import has_control_characters
from gridgov.core.versions import check_version
from gridgov.epidemic import bulk, rollups, rules
from gridgov.epidemic.actions.common import (
    clean_client_key,
    clean_date,
    clean_decimal,
    clean_moment,
    clean_text,
    fail,
    locked,
)
from gridgov.epidemic.capabilities import CAMPAIGN, EXPORT, SCREEN
from gridgov.epidemic.models import (
    TEN_POINTS,
    CampaignStatus,
    CampaignTarget,
    EpidemicSettings,
    Health,
    Measure,
    ScreeningCampaign,
    ScreeningRecord,
    ScreeningTask,
    TaskStatus,
    Transport,
)
from gridgov.epidemic.queries import screening as queries
from gridgov.epidemic.tallies import screening as tally
from gridgov.registry import identity, readers, spreadsheets
from gridgov.registry.importers import POLICIES, ImportReport, RowError
from gridgov.registry.models import CareKind, Person, PersonStatus, Sex
from gridgov.territory import codes
from gridgov.territory.models import Region

MAX_ATTEMPTS = queries.MAX_ATTEMPTS
CHUNK = 2000  # tasks written per INSERT
MAX_LIST_ROWS = 100_000
TEMPERATURE_RANGE = (Decimal("34.0"), Decimal("43.0"))
CAMPAIGN_FIELDS = (
    "name",
    "description",
    "region_code",
    "target",
    "arrivals_since",
    "care_kind",
    "starts_on",
    "due_on",
)
RECORD_FIELDS = frozenset(
    {
        "origin_code",
        "places_passed",
        "arrival_date",
        "transport",
        "transport_number",
        "companions",
        "health",
        "temperature",
        "isolation_start",
        "contact_history",
        "measures",
        "measures_note",
        "family_note",
        "unclear_points",
        "screened_at",
    }
)
POINT_LABELS = {
    "number": gettext_lazy("Number of people"),
    "identity": gettext_lazy("Identity"),
    "return_time": gettext_lazy("Return time"),
    "origin": gettext_lazy("Where from"),
    "route": gettext_lazy("Route"),
    "transport": gettext_lazy("Transport"),
    "close_contacts": gettext_lazy("Close contacts"),
    "health": gettext_lazy("Health"),
    "measures": gettext_lazy("Measures taken"),
    "family": gettext_lazy("Family"),
}
# Statuses as the screening pages say them (the plain words mean other things elsewhere:
# a case is "closed", a report "cancelled").
CAMPAIGN_STATUS_LABELS = {
    CampaignStatus.DRAFT: pgettext_lazy("campaign", "Draft"),
    CampaignStatus.ACTIVE: pgettext_lazy("campaign", "Under way"),
    CampaignStatus.CLOSED: pgettext_lazy("campaign", "Closed"),
    CampaignStatus.CANCELLED: pgettext_lazy("campaign", "Cancelled"),
}
TASK_STATUS_LABELS = {
    TaskStatus.OPEN: pgettext_lazy("screening task", "To visit"),
    TaskStatus.DONE: pgettext_lazy("screening task", "Screened"),
    TaskStatus.UNREACHABLE: pgettext_lazy("screening task", "Not found at home"),
    TaskStatus.CANCELLED: pgettext_lazy("screening task", "Cancelled"),
}


def labelled(row: Any) -> Any:
    """A campaign or task with ``status_label``, its status as the screening pages say it."""
    labels = CAMPAIGN_STATUS_LABELS if isinstance(row, ScreeningCampaign) else TASK_STATUS_LABELS
    row.status_label = str(labels.get(row.status, row.status))
    return row


# The import list's column of ID numbers, and its optional column of names.
ID_HEADERS = frozenset(
    {"公民身份号码", "身份证号", "身份证号码", "身份证", "证件号码", "id_number"}
)
NAME_HEADERS = frozenset({"姓名", "name"})
LIST_SHEET = "排查名单"


# --- shared checks ------------------------------------------------------------------------


def _label(field: str) -> str:
    for model in (ScreeningCampaign, ScreeningRecord):
        try:
            found = model._meta.get_field(field)
        except FieldDoesNotExist:
            continue
        if label := getattr(found, "verbose_name", None):
            return str(label)
    return field


def _fail(errors: Mapping[str, Any]) -> InvalidInput:
    """InvalidInput naming every bad field, the message naming the only one."""
    if len(errors) == 1:
        field, reason = next(iter(errors.items()))
        message = _("%(field)s: %(reason)s") % {"field": _label(field), "reason": reason}
        return fail(errors, message)
    return fail(errors)


def _state(message: str) -> Conflict:
    """A move the campaign's or task's current state does not allow (someone else moved it
    first, or the page was old)."""
    return Conflict(message)


def _long_text(value: Any, field: str, max_length: int, errors: dict[str, Any]) -> str:
    """Text that may keep its line breaks (a description)."""
    text = str(value if value is not None else "").strip()
    if has_control_characters(text):
        errors[field] = _("contains control characters")
    elif len(text) > max_length:
        errors[field] = _("longer than %(n)d characters") % {"n": max_length}
    return text


def _choice(value: Any, field: str, choices: list[str], errors: dict[str, Any]) -> str:
    text = str(value or "").strip()
    if text and text not in choices:
        errors[field] = _("must be one of: %(choices)s") % {"choices": ", ".join(choices)}
    return text


def _choices(value: Any, field: str, choices: list[str], errors: dict[str, Any]) -> list[str]:
    """Several of ``choices`` (a list, or text separated by commas), in their order."""
    if value in (None, ""):
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple | set):
        errors[field] = _("a list")
        return []
    given = {str(item).strip() for item in items if str(item).strip()}
    unknown = sorted(given - set(choices))
    if unknown:
        errors[field] = _("unknown: %(list)s (known: %(known)s)") % {
            "list": ", ".join(unknown),
            "known": ", ".join(choices),
        }
    return [choice for choice in choices if choice in given]


# --- campaigns ----------------------------------------------------------------------------


def _region(actor: Any, value: Any, errors: dict[str, Any]) -> str:
    """The campaign's territory node: the one given, else the actor's only one."""
    code = str(value or "").strip()
    if not code:
        held = [c for c in scope.scope_codes(actor, CAMPAIGN) if c]
        if len(held) != 1:
            errors["region_code"] = _("say where: a territory code")
            return ""
        code = held[0]
    if not (code.isdigit() and len(code) in codes.LEVEL_BY_LENGTH):
        errors["region_code"] = _("a territory code of 4, 6, 9, 12 or 15 digits")
        return ""
    scope.require(actor, CAMPAIGN, code)
    if not Region.objects.filter(code=code).exists():
        errors["region_code"] = _("no such territory node")
    return code


def _clean_campaign(actor: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    name = clean_text(values.get("name"), "name", 120, errors)
    if not name and "name" not in errors:
        errors["name"] = _("required")
    target = _choice(values.get("target"), "target", CampaignTarget.values, errors)
    if not target and "target" not in errors:
        errors["target"] = _("required")
    today = rules.today()
    since = clean_date(
        values.get("arrivals_since"),
        "arrivals_since",
        errors,
        required=target == CampaignTarget.RISK_ARRIVALS,
    )
    if since and since > today:
        errors["arrivals_since"] = _("in the future")
    care_kind = _choice(values.get("care_kind"), "care_kind", CareKind.values, errors)
    if target == CampaignTarget.CARE_GROUP and not care_kind and "care_kind" not in errors:
        errors["care_kind"] = _("required for a care group")
    starts_on = clean_date(values.get("starts_on"), "starts_on", errors) or today
    due_on = clean_date(values.get("due_on"), "due_on", errors)
    if due_on and due_on < starts_on:
        errors["due_on"] = _("before the start")
    cleaned = {
        "name": name,
        "description": _long_text(values.get("description"), "description", 2000, errors),
        "region_code": _region(actor, values.get("region_code"), errors),
        "target": target,
        "arrivals_since": since if target == CampaignTarget.RISK_ARRIVALS else None,
        "care_kind": care_kind if target == CampaignTarget.CARE_GROUP else "",
        "starts_on": starts_on,
        "due_on": due_on,
    }
    if errors:
        raise _fail(errors)
    return cleaned


def _audit_campaign(campaign: ScreeningCampaign) -> dict[str, Any]:
    return {f: getattr(campaign, f) for f in CAMPAIGN_FIELDS}


@transaction.atomic
def create_campaign(*, actor: Any, **data: Any) -> ScreeningCampaign:
    """A draft campaign under ``region_code`` (default: the actor's own node) with its
    ``target`` and, as the target needs, ``arrivals_since`` or ``care_kind``."""
    scope.require(actor, CAMPAIGN)
    unknown = sorted(set(data) - set(CAMPAIGN_FIELDS))
    if unknown:
        raise _fail({name: _("unknown field") for name in unknown})
    campaign = ScreeningCampaign.objects.create(
        created_by=actor if getattr(actor, "pk", None) else None,
        **_clean_campaign(actor, data),
    )
    record(
        "epidemic.screening.campaign.create",
        actor=actor,
        obj=campaign,
        grid_code=campaign.region_code,
        changes=_audit_campaign(campaign),
    )
    return campaign


def _editable(actor: Any, campaign_id: Any) -> ScreeningCampaign:
    """The campaign locked, the actor holding ``epidemic.campaign`` over its region."""
    scope.require(actor, CAMPAIGN)
    campaign = locked(ScreeningCampaign, campaign_id)
    if not queries.visible_campaigns(actor).filter(pk=campaign.pk).exists():
        raise NotFound()
    if not scope.has_capability(actor, CAMPAIGN, campaign.region_code):
        raise PermissionDenied()  # e.g. the city's campaign, seen from a community
    return campaign


def _draft(actor: Any, campaign_id: Any, expected_version: Any) -> ScreeningCampaign:
    campaign = _editable(actor, campaign_id)
    check_version(campaign, expected_version)
    if campaign.status != CampaignStatus.DRAFT:
        raise _state(_("The campaign has been started: only a draft can be changed."))
    return campaign


def _saved(campaign: ScreeningCampaign) -> ScreeningCampaign:
    campaign.version += 1
    campaign.save()
    return campaign


@transaction.atomic
def update_campaign(
    campaign_id: Any, *, actor: Any, expected_version: Any = None, **changes: Any
) -> ScreeningCampaign:
    """Change a draft's name, description, region, target or dates."""
    campaign = _draft(actor, campaign_id, expected_version)
    unknown = sorted(set(changes) - set(CAMPAIGN_FIELDS))
    if unknown:
        raise _fail({name: _("cannot be changed here") for name in unknown})
    before = _audit_campaign(campaign)
    values = {**before, **changes}
    for name, value in _clean_campaign(actor, values).items():
        setattr(campaign, name, value)
    _saved(campaign)
    record(
        "epidemic.screening.campaign.change",
        actor=actor,
        obj=campaign,
        grid_code=campaign.region_code,
        changes=diff(before, _audit_campaign(campaign)),
    )
    return campaign


def _chunks(rows: Iterator[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    while chunk := list(islice(rows, size)):
        yield chunk


Progress = Callable[[int, int], None]


def _write_tasks(
    campaign: ScreeningCampaign,
    people: list[tuple[int, str]],
    *,
    workers: Mapping[str, int] | None = None,
    progress: Progress | None = None,
) -> Counter[str]:
    """One open task per (person, grid), assigned to the grid's worker, inserted
    ``CHUNK`` rows per statement (a township's 20,000 people in about a second); the
    tasks per grid."""
    now = timezone.now()
    workers = workers or {}
    per_grid: Counter[str] = Counter()
    for chunk in _chunks(iter(people)):
        rows = [
            {
                "campaign": campaign.pk,
                "person": pk,
                "grid_code": grid,
                "assignee": workers.get(grid),
                "status": TaskStatus.OPEN,
                "due_on": campaign.due_on,
                "attempts": 0,
                "created_at": now,
                "version": 1,
            }
            for pk, grid in chunk
        ]
        bulk.insert_returning(
            ScreeningTask, rows, conflict=["campaign", "person"], returning=["id"]
        )
        per_grid.update(grid for _pk, grid in chunk)
        if progress is not None:
            progress(sum(per_grid.values()), len(people))
    return per_grid


@transaction.atomic
def start_campaign(
    campaign_id: Any, *, actor: Any, expected_version: Any = None, progress: Progress | None = None
) -> ScreeningCampaign:
    """Start a draft: one task per living person targeted under its region, assigned to
    the grid worker of the person's grid, written in chunks; the roll-ups in one upsert.
    A draft's imported list becomes the tasks of those on it who still live there."""
    campaign = _draft(actor, campaign_id, expected_version)
    people = list(
        queries.campaign_targets(campaign, actor)
        .order_by("grid_code", "pk")
        .values_list("pk", "grid_code")
    )
    if not people:
        raise _fail({"target": _("nobody living in the area matches the target")})
    campaign.tasks.all().delete()  # the draft's list: its people are in ``people``
    workers = queries.grid_workers(campaign.region_code)
    per_grid = _write_tasks(campaign, people, workers=workers, progress=progress)
    measure = tally.campaign_measure(campaign.pk, "tasks")
    rollups.add_current({grid: {tally.TASKS: n, measure: n} for grid, n in per_grid.items()})
    campaign.status = CampaignStatus.ACTIVE
    campaign.started_at = timezone.now()
    _saved(campaign)
    unassigned = sum(n for grid, n in per_grid.items() if grid not in workers)
    record(
        "epidemic.screening.campaign.start",
        actor=actor,
        obj=campaign,
        grid_code=campaign.region_code,
        changes={"tasks": len(people), "grids": len(per_grid), "unassigned": unassigned},
    )
    return campaign


def _end(
    campaign_id: Any, actor: Any, expected_version: Any, status: str, allowed: tuple[str, ...]
) -> ScreeningCampaign:
    """Close or cancel: the tasks still open are cancelled; a campaign under way leaves
    the overall figures (its own stay, to show how far it got)."""
    campaign = _editable(actor, campaign_id)
    check_version(campaign, expected_version)
    if campaign.status not in allowed:
        raise _state(
            _("The campaign is %(status)s: it cannot be %(verb)s.")
            % {
                "status": labelled(campaign).status_label,
                "verb": _("closed") if status == CampaignStatus.CLOSED else _("cancelled"),
            }
        )
    if campaign.status == CampaignStatus.ACTIVE:
        # A visit being recorded holds its task: wait for it, so that the figures taken
        # out are the ones it leaves (a visit after this sees the campaign closed).
        list(campaign.tasks.select_for_update().values_list("pk", flat=True))
        counts = tally.status_counts(campaign.tasks.all())
        rollups.add_current(tally.deltas(counts, overall=True, per_campaign=False, sign=-1))
    cancelled = campaign.tasks.filter(status=TaskStatus.OPEN).update(
        status=TaskStatus.CANCELLED, version=F("version") + 1
    )
    before = campaign.status
    campaign.status = status
    campaign.closed_at = timezone.now()
    _saved(campaign)
    action = "close" if status == CampaignStatus.CLOSED else "cancel"
    record(
        f"epidemic.screening.campaign.{action}",
        actor=actor,
        obj=campaign,
        grid_code=campaign.region_code,
        changes={"status": [before, status], "tasks_cancelled": cancelled},
    )
    return campaign


@transaction.atomic
def close_campaign(
    campaign_id: Any, *, actor: Any, expected_version: Any = None
) -> ScreeningCampaign:
    """The campaign under way is over: tasks not visited are cancelled."""
    return _end(
        campaign_id, actor, expected_version, CampaignStatus.CLOSED, (CampaignStatus.ACTIVE,)
    )


@transaction.atomic
def cancel_campaign(
    campaign_id: Any, *, actor: Any, expected_version: Any = None
) -> ScreeningCampaign:
    """Call off a draft or a campaign under way."""
    return _end(
        campaign_id,
        actor,
        expected_version,
        CampaignStatus.CANCELLED,
        (CampaignStatus.DRAFT, CampaignStatus.ACTIVE),
    )


# --- the imported list --------------------------------------------------------------------


def _list_columns(headers: list[str]) -> tuple[int, int | None]:
    """The positions of the ID number column and of the (optional) name column."""
    normal = [h.strip().lower() for h in headers]
    ids = [i for i, h in enumerate(normal) if h in ID_HEADERS]
    if not ids:
        raise _fail({"file": _("no column of ID numbers (headed 公民身份号码 or 身份证号)")})
    names = [i for i, h in enumerate(normal) if h in NAME_HEADERS]
    return ids[0], names[0] if names else None


def _cell(cells: list[str], position: int | None) -> str:
    if position is None or position >= len(cells):
        return ""
    return cells[position].strip()


def _read_list(path: Path, encoding: str, report: ImportReport) -> list[tuple[int, str, str]]:
    """(row, ID number as typed, name) of every row of the file."""
    with readers.open_table(path, encoding=encoding) as table:
        report.encoding = table.encoding
        id_at, name_at = _list_columns(table.headers)
        report.ignored_columns = [
            h for i, h in enumerate(table.headers) if h and i not in (id_at, name_at)
        ]
        rows = []
        for number, cells in table.rows():
            rows.append((number, _cell(cells, id_at), _cell(cells, name_at)))
            if len(rows) > MAX_LIST_ROWS:
                raise _fail({"file": _("more than %(n)d rows") % {"n": MAX_LIST_ROWS}})
    return rows


def _people_by_number(numbers: list[str]) -> dict[str, tuple[int, str, str, str]]:
    """{ID number: (person id, name, status, grid)} of the registered people among
    ``numbers``, found through the keyed hashes of every key of the ring."""
    by_hash: dict[str, str] = {}
    for number in numbers:
        for digest in crypto.lookup_hashes(number):
            by_hash[digest] = number
    found: dict[str, tuple[int, str, str, str]] = {}
    hashes = list(by_hash)
    for start in range(0, len(hashes), 500):
        for pk, digest, name, status, grid in Person.objects.filter(
            id_number_hash__in=hashes[start : start + 500]
        ).values_list("pk", "id_number_hash", "name", "status", "grid_code"):
            found[by_hash[digest]] = (pk, name, status, grid)
    return found


def _check_rows(
    rows: list[tuple[int, str, str]], campaign: ScreeningCampaign, report: ImportReport
) -> list[tuple[int, str]]:
    """The (person, grid) of each good row not listed yet; every bad row reported with
    its row number, column and reason."""
    column = _("ID number")
    parsed: list[tuple[int, str, str]] = []
    first_row: dict[str, int] = {}
    for number, text, name in rows:
        report.read += 1
        if not text:
            report.errors.append(RowError(number, column, _("the ID number is empty")))
            continue
        try:
            id_number = identity.parse_id_number(text).number
        except InvalidInput as exc:
            reason = exc.details.get("fields", {}).get("id_number", exc.message)
            report.errors.append(RowError(number, column, reason))
            continue
        if id_number in first_row:
            reason = _("repeats row %(row)d") % {"row": first_row[id_number]}
            report.errors.append(RowError(number, column, reason))
            continue
        first_row[id_number] = number
        parsed.append((number, id_number, name))
    people = _people_by_number([n for _row, n, _name in parsed])
    listed = set(campaign.tasks.values_list("person_id", flat=True))
    chosen: list[tuple[int, str]] = []
    for number, id_number, name in parsed:
        found = people.get(id_number)
        if found is None or not found[3].startswith(campaign.region_code):
            reason = _("not registered as living in the campaign's area")
            report.errors.append(RowError(number, column, reason))
        elif found[2] != PersonStatus.LIVING:
            report.errors.append(RowError(number, column, _("no longer lives here")))
        elif name and name != found[1]:
            reason = _("the name does not match the registry's")
            report.errors.append(RowError(number, pgettext("person", "Name"), reason))
        elif found[0] in listed:
            report.skipped += 1
        else:
            listed.add(found[0])
            chosen.append((found[0], found[3]))
    report.rejected = len(report.errors)
    report.valid = report.read - report.rejected
    return chosen


@transaction.atomic
def import_campaign_list(
    campaign_id: Any,
    path: str | os.PathLike[str],
    *,
    actor: Any,
    expected_version: Any = None,
    encoding: str = "auto",
    policy: str = "skip_invalid",
    file_name: str = "",
) -> ImportReport:
    """Add the people of a file of ID numbers (CSV in UTF-8 or GBK/GB18030, or XLSX; a
    column headed 公民身份号码 or 身份证号, optionally 姓名 to check the names) to a draft
    campaign's list, matched through the registry's keyed hashes. A row that matches nobody
    living in the campaign's area, repeats an earlier row or names someone else is reported
    with its row number and reason; ``skip_invalid`` adds the good rows anyway,
    ``all_or_nothing`` adds nothing then. People already on the list are skipped."""
    campaign = _draft(actor, campaign_id, expected_version)
    if campaign.target != CampaignTarget.IMPORTED:
        raise _fail({"target": _("the campaign does not screen an imported list")})
    if policy not in POLICIES:
        raise _fail({"policy": _("must be one of: %(choices)s") % {"choices": ", ".join(POLICIES)}})
    report = ImportReport(file_name or Path(path).name, "create", policy)
    chosen = _check_rows(_read_list(Path(path), encoding, report), campaign, report)
    if report.rejected and policy == "all_or_nothing":
        return report
    _write_tasks(campaign, chosen)
    report.created = len(chosen)
    report.grids = len({grid for _pk, grid in chosen})
    report.written = True
    _saved(campaign)
    record(
        "epidemic.screening.campaign.import",
        actor=actor,
        obj=campaign,
        grid_code=campaign.region_code,
        changes={"file": report.file_name, **report.counts()},
    )
    return report


def import_campaign_list_upload(campaign_id: Any, upload: Any, **options: Any) -> ImportReport:
    """``import_campaign_list`` of an uploaded file (pages and API): the readers need a
    file on disk, so the upload is copied to a temporary one first."""
    with tempfile.NamedTemporaryFile(suffix=".upload") as copy:
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        options.setdefault("file_name", getattr(upload, "name", "") or "")
        return import_campaign_list(campaign_id, copy.name, **options)


# --- visits -------------------------------------------------------------------------------


def _health(data: Mapping[str, Any], temperature: Any, errors: dict[str, Any]) -> str:
    """The health answer; a fever (at or above the rules' threshold) is fever or cough."""
    health = _choice(data.get("health"), "health", Health.values, errors)
    threshold = EpidemicSettings.current().fever_threshold
    if temperature is not None and temperature >= threshold:
        if not health:
            return Health.FEVER_OR_COUGH
        if health == Health.NORMAL:
            errors["health"] = _("%(t)s °C is a fever (from %(threshold)s °C)") % {
                "t": temperature,
                "threshold": threshold,
            }
    return health


def _measures(value: Any, errors: dict[str, Any]) -> list[str]:
    chosen = _choices(value, "measures", Measure.values, errors)
    if Measure.NONE in chosen and len(chosen) > 1:
        errors["measures"] = _("“none needed” goes with no other measure")
    return chosen


def unclear_points(answers: Mapping[str, Any], ticked: list[str], has_id_number: bool) -> list[str]:
    """The ten points still unclear: those ticked, and those the answers leave open (see
    the module's docstring), in ``TEN_POINTS`` order."""
    travelled = bool(answers["arrival_date"] or answers["transport"] or answers["places_passed"])
    origin = bool(answers["origin_code"])
    open_points = {
        "identity": not has_id_number,
        "health": not answers["health"],
        "measures": not answers["measures"],
        "origin": travelled and not origin,
        "return_time": origin and not answers["arrival_date"],
        "transport": origin and not answers["transport"],
    }
    unclear = set(ticked) | {point for point, is_open in open_points.items() if is_open}
    return [point for point in TEN_POINTS if point in unclear]


def _clean_record(data: Mapping[str, Any], person: Person) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for name in sorted(set(data) - RECORD_FIELDS):
        errors[name] = _("unknown field")
    today = rules.today()
    origin = str(data.get("origin_code") or "").strip()
    if origin and not rules.valid_division(origin):
        errors["origin_code"] = _("a division code of 2, 4, 6, 9 or 12 digits")
    arrival = clean_date(data.get("arrival_date"), "arrival_date", errors)
    if arrival and arrival > today:
        errors["arrival_date"] = _("in the future")
    temperature = clean_decimal(data.get("temperature"), "temperature", errors, *TEMPERATURE_RANGE)
    answers: dict[str, Any] = {
        "origin_code": origin,
        "places_passed": clean_text(data.get("places_passed"), "places_passed", 300, errors),
        "arrival_date": arrival,
        "transport": _choice(data.get("transport"), "transport", Transport.values, errors),
        "transport_number": clean_text(
            data.get("transport_number"), "transport_number", 30, errors
        ),
        "companions": clean_text(data.get("companions"), "companions", 200, errors),
        "health": _health(data, temperature, errors),
        "temperature": temperature,
        "isolation_start": clean_date(data.get("isolation_start"), "isolation_start", errors),
        "contact_history": clean_text(data.get("contact_history"), "contact_history", 300, errors),
        "measures": _measures(data.get("measures"), errors),
        "measures_note": clean_text(data.get("measures_note"), "measures_note", 200, errors),
        "family_note": clean_text(data.get("family_note"), "family_note", 200, errors),
        "screened_at": clean_moment(data.get("screened_at"), "screened_at", timezone.now(), errors),
    }
    ticked = _choices(data.get("unclear_points"), "unclear_points", list(TEN_POINTS), errors)
    if errors:
        raise _fail(errors)
    points = unclear_points(answers, ticked, bool(person.id_number_hash))
    return {**answers, "unclear_points": points, "unclear_count": len(points)}


def _latest(person_id: int) -> tuple[str, int] | None:
    """(grid, unclear count) of the person's latest screening record."""
    return (
        ScreeningRecord.objects.filter(person_id=person_id)
        .order_by("-screened_at", "-pk")
        .values_list("grid_code", "unclear_count")
        .first()
    )


def _visit(actor: Any, task_id: Any, expected_version: Any) -> ScreeningTask:
    """A task of a campaign under way, locked, the actor holding ``epidemic.screen`` over
    its grid, at the version the actor saw."""
    scope.require(actor, SCREEN)
    task = locked(ScreeningTask, task_id)
    scope.require(actor, SCREEN, task.grid_code)
    check_version(task, expected_version)
    if task.campaign.status != CampaignStatus.ACTIVE:
        raise _state(_("The campaign is no longer under way."))
    return task


def _living(person_id: Any) -> Person:
    person = locked(Person, person_id)
    if person.status != PersonStatus.LIVING:
        raise _fail({"person_id": _("no longer lives here")})
    return person


@transaction.atomic
def record_screening(
    *,
    actor: Any,
    task_id: Any = None,
    person_id: Any = None,
    expected_version: Any = None,
    client_key: Any = None,
    **data: Any,
) -> ScreeningRecord:
    """Record what a visit found (domain.md §5): on a task (``task_id``, which it marks
    screened) or, without a campaign, for a person (``person_id``) of the actor's grids.
    With a ``client_key`` seen before (a phone sending again after a lost answer) the first
    call's record comes back, marked ``repeated``, and nothing is written."""
    scope.require(actor, SCREEN)
    errors: dict[str, Any] = {}
    key = clean_client_key(client_key, errors, required=False)
    if errors:
        raise _fail(errors)
    earlier = _earlier(actor, key, task_id, person_id) if key else None
    if earlier is not None:
        return earlier
    if task_id is not None:
        task: ScreeningTask | None = _visit(actor, task_id, expected_version)
        person = _living(task.person_id)  # type: ignore[union-attr]
    else:
        task = None
        person = locked(Person, person_id)
        scope.require(actor, SCREEN, person.grid_code)
        person = _living(person.pk)
    fields = _clean_record(data, person)
    before = _latest(person.pk)
    try:
        with transaction.atomic():
            screening = ScreeningRecord.objects.create(
                person=person,
                campaign_id=task.campaign_id if task else None,
                task=task,
                grid_code=person.grid_code,
                lon=person.lon,
                lat=person.lat,
                screened_by=actor if getattr(actor, "pk", None) else None,
                client_key=key or None,
                **fields,
            )
    except IntegrityError:
        # The same key sent twice at once: the other call's record is the answer.
        earlier = _earlier(actor, key, task_id, person_id) if key else None
        if earlier is None:
            raise
        return earlier
    day = rules.day_of(screening.screened_at)
    daily: dict[rollups.DayKey, Counter[str]] = defaultdict(Counter)
    current: dict[str, Counter[str]] = defaultdict(Counter)
    daily[(screening.grid_code, day)][tally.SCREENED] += 1
    if task is not None:
        _complete(task, screening, daily, current)
    after = _latest(person.pk)
    if before and before[1]:
        current[before[0]][tally.UNCLEAR] -= 1
    if after and after[1]:
        current[after[0]][tally.UNCLEAR] += 1
    rollups.add_daily(daily)
    rollups.add_current(current)
    record(
        "epidemic.screening.record",
        actor=actor,
        obj=screening,
        object_repr=person.name,
        grid_code=screening.grid_code,
        changes={
            "task": task.pk if task else None,
            "campaign": screening.campaign_id,
            "health": screening.health,
            "temperature": screening.temperature,
            "measures": screening.measures,
            "unclear_points": screening.unclear_points,
        },
    )
    return screening


def _earlier(actor: Any, key: str, task_id: Any, person_id: Any) -> ScreeningRecord | None:
    """The record an earlier call with ``key`` made, when this call repeats it (the same
    sender, the same task or person); a key already used for anything else is refused."""
    earlier = ScreeningRecord.objects.filter(client_key=key).first()
    if earlier is None:
        return None
    if task_id is not None:
        same_target = earlier.task_id == _whole(task_id)
    else:
        same_target = earlier.task_id is None and earlier.person_id == _whole(person_id)
    if not same_target or earlier.screened_by_id != getattr(actor, "pk", None):
        message = _("This client key was already used for another screening record.")
        raise Conflict(message, details={"client_key": key})
    earlier.repeated = True
    return earlier


def _whole(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _complete(
    task: ScreeningTask,
    screening: ScreeningRecord,
    daily: dict[rollups.DayKey, Counter[str]],
    current: dict[str, Counter[str]],
) -> None:
    """Mark a task screened (a second visit to a screened task changes no figure)."""
    if task.status != TaskStatus.DONE:
        measures = tally.campaign_measures(task.campaign_id)
        counter = current[task.grid_code]
        counter[tally.DONE] += 1
        counter[measures["done"]] += 1
        if task.status == TaskStatus.UNREACHABLE:
            counter[tally.UNREACHABLE] -= 1
            counter[measures["unreachable"]] -= 1
        day = rules.day_of(screening.screened_at)
        daily[(task.grid_code, day)][tally.campaign_measure(task.campaign_id, "done")] += 1
        task.status = TaskStatus.DONE
        task.done_at = screening.screened_at
    task.version += 1
    task.save(update_fields=["status", "done_at", "version"])


@transaction.atomic
def mark_unreachable(
    task_id: Any, *, actor: Any, expected_version: Any = None, note: Any = ""
) -> ScreeningTask:
    """Nobody was found at home: one more attempt. The task is "not found at home" and
    stays to visit until ``MAX_ATTEMPTS`` attempts; then it stays unreachable."""
    task = _visit(actor, task_id, expected_version)
    errors: dict[str, Any] = {}
    text = clean_text(note, "note", 200, errors)
    if errors:
        raise _fail(errors)
    if task.status == TaskStatus.DONE:
        raise _state(_("This person has been screened already."))
    if task.status == TaskStatus.CANCELLED:
        raise _state(_("This task was cancelled."))
    if task.attempts >= MAX_ATTEMPTS:
        raise _state(
            _("Nobody was found at home %(n)d times: the task stays unreachable.")
            % {"n": task.attempts}
        )
    if task.status == TaskStatus.OPEN:
        measure = tally.campaign_measure(task.campaign_id, "unreachable")
        rollups.add_current({task.grid_code: {tally.UNREACHABLE: 1, measure: 1}})
    task.status = TaskStatus.UNREACHABLE
    task.attempts += 1
    task.version += 1
    task.save(update_fields=["status", "attempts", "version"])
    record(
        "epidemic.screening.unreachable",
        actor=actor,
        obj=task,
        object_repr=task.person.name,
        grid_code=task.grid_code,
        changes={"campaign": task.campaign_id, "attempts": task.attempts, "note": text},
    )
    return task


# --- export -------------------------------------------------------------------------------


def _age(born: dt.date | None, on: dt.date) -> Any:
    return identity.age_on(born, on) if born else ""


def _record_row(row: ScreeningRecord) -> list[Any]:
    person = row.person
    day = rules.day_of(row.screened_at)
    return [
        row.screened_at.astimezone(rules.site_zone()).strftime("%Y-%m-%d %H:%M"),
        person.name,
        str(Sex(person.sex).label) if person.sex in Sex.values else person.sex,
        _age(person.birth_date, day),
        person.id_number_masked,
        person.phone_masked,
        person.address,
        row.grid_code,
        row.campaign.name if row.campaign else "",
        row.get_health_display(),
        "" if row.temperature is None else str(row.temperature),
        row.origin_code,
        row.places_passed,
        row.arrival_date.isoformat() if row.arrival_date else "",
        row.get_transport_display(),
        row.transport_number,
        row.companions,
        row.contact_history,
        row.isolation_start.isoformat() if row.isolation_start else "",
        "、".join(str(Measure(m).label) for m in row.measures if m in Measure.values),
        "、".join(str(POINT_LABELS[p]) for p in row.unclear_points if p in POINT_LABELS),
        str(row.screened_by) if row.screened_by else "",
    ]


def export_headers() -> list[str]:
    return [
        _("Screened at"),
        pgettext("person", "Name"),
        _("Sex"),
        _("Age"),
        _("ID number"),
        _("Phone"),
        _("Address"),
        _("Grid code"),
        _("Campaign"),
        _("Health"),
        _("Temperature (°C)"),
        _("Came from (division code)"),
        _("Places passed"),
        _("Arrival date"),
        _("Transport"),
        _("Train, flight or plate number"),
        _("Travelling companions"),
        _("Contact history"),
        _("Isolation start"),
        _("Measures taken"),
        _("Points still unclear"),
        _("Screened by"),
    ]


def export_records(user: Any, **filters: Any) -> bytes:
    """The screening records matching ``queries.search_records`` filters as an XLSX
    workbook, ID and phone numbers masked; the export is audited before a row leaves."""
    scope.require(user, EXPORT, filters.get("code") or None)
    rows = queries.search_records(user, **filters).filter(
        scope.scope_filter(user, capability=EXPORT)
    )
    with transaction.atomic():
        count = rows.count()
        record(
            "epidemic.screening.export",
            actor=user,
            object_type="epidemic.screeningrecord",
            object_repr=_("%(n)d screening records") % {"n": count},
            grid_code=filters.get("code") or "",
            changes={
                "filters": {k: v for k, v in filters.items() if v not in (None, "")},
                "rows": count,
            },
        )
    lines = (_record_row(row) for row in rows.iterator(chunk_size=2000))
    return spreadsheets.write_xlsx([(LIST_SHEET, export_headers(), lines)])
