"""Every change to the component inventory (部件).

Each function takes the acting user as ``actor=``, runs in one transaction, checks
``components.edit`` over the component's grid (outside the actor's scope the answer is
NotFound, so a refusal never tells whether a facility exists there) and writes one audit
event. Changes carry the version the user saw (``expected_version``) and fail with
Conflict when someone else saved first.

Component IDs (domain.md §2) are 16 digits: the county of the grid (6), the minor class
code (4: major + minor) and a serial (6) counted per county and class. When a new
component comes without an ID the next serial is allocated under a row lock on the class
(``allocate_ids``), so two people registering at once never get the same number; an ID
given explicitly is checked (16 digits, a county of the territory, the grid's county, the
class code in digits 7–10, not yet used). Because the class is part of the ID, a
component's class never changes: a facility of another class is a new component.

Nothing is deleted: a facility taken away is *retired* (``retire_component``), which keeps
its cases, photos and audit trail, hides it from lists and maps, and keeps its ID from
ever being handed out again; ``restore_component`` undoes a mistaken retirement.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from gridgov.accounts import scope
from gridgov.accounts.models import Department
from gridgov.audit import labels as audit_labels
from gridgov.audit.actions import diff, record
from gridgov.cases.models import CaseClass, CaseKind, Component, ComponentCount, ComponentState
from gridgov.core.degrees import degrees
from gridgov.core.errors import Conflict, InvalidInput, NotFound
from gridgov.core.versions import check_version
from gridgov.territory import codes, locating
from gridgov.territory.models import Region

EDIT = "components.edit"
ID_LENGTH = 16
SERIAL_DIGITS = 6
MAX_SERIAL = 10**SERIAL_DIGITS - 1
NOTE_LENGTH = 2000

# Fields written to the audit trail (and compared by ``update_component``).
AUDITED = (
    "component_id",
    "case_class_id",
    "name",
    "competent_department_id",
    "owner",
    "maintainer",
    "state",
    "grid_code",
    "lon",
    "lat",
    "surveyed_on",
    "changed_on",
    "data_source",
    "note",
    "retired_at",
    "retired_reason",
)
# What ``update_component`` may change; the class and the ID are fixed (see above), the
# state changes through ``change_component_state``.
UPDATABLE = (
    "name",
    "competent_department",
    "owner",
    "maintainer",
    "grid_code",
    "lon",
    "lat",
    "surveyed_on",
    "data_source",
    "note",
)
TEXT_LIMITS = {"name": 100, "owner": 100, "maintainer": 100, "data_source": 100}

# Words people write for a state, besides the stored values.
STATE_WORDS: dict[str, str] = {
    **{s.value: s.value for s in ComponentState},
    "完好": ComponentState.INTACT,
    "正常": ComponentState.INTACT,
    "良好": ComponentState.INTACT,
    "破损": ComponentState.DAMAGED,
    "损坏": ComponentState.DAMAGED,
    "损毁": ComponentState.DAMAGED,
    "丢失": ComponentState.LOST,
    "缺失": ComponentState.LOST,
    "遗失": ComponentState.LOST,
    "占用": ComponentState.OCCUPIED,
    "被占用": ComponentState.OCCUPIED,
    "占道": ComponentState.OCCUPIED,
}
STATE_LABELS_ZH = {
    ComponentState.INTACT: "完好",
    ComponentState.DAMAGED: "破损",
    ComponentState.LOST: "丢失",
    ComponentState.OCCUPIED: "占用",
}

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")

Problems = list[tuple[str, str]]  # (field, reason)


# --- messages -----------------------------------------------------------------------------


def field_label(field: str) -> str:
    """The translated name of a component field ("grid_code" → "grid code")."""
    name = field.removesuffix("_id") if field != "component_id" else field
    try:
        found = Component._meta.get_field(name)
    except Exception:  # a field that is not a model field: its own name
        return field
    return str(getattr(found, "verbose_name", field))


def fail(problems: Mapping[str, Any] | Problems) -> InvalidInput:
    """InvalidInput naming every bad field; with one field the message says which."""
    fields = dict(problems)
    if len(fields) == 1:
        field, reason = next(iter(fields.items()))
        message = _("%(field)s: %(reason)s") % {"field": field_label(field), "reason": reason}
    else:
        message = _("Some fields are not valid.")
    return InvalidInput(message, fields=fields)


# --- what fields name: classes, departments, counties ------------------------------------


class References:
    """The component classes, departments and counties that field values name, read once
    per action or import (a few dozen rows each)."""

    def __init__(self) -> None:
        self._classes: dict[str, CaseClass] | None = None
        self._class_names: dict[str, list[CaseClass]] = {}
        self._departments: dict[str, Department] | None = None
        self._counties: set[str] | None = None

    def _load_classes(self) -> dict[str, CaseClass]:
        if self._classes is None:
            minors = CaseClass.objects.filter(kind=CaseKind.COMPONENT, parent__isnull=False)
            self._classes = {c.code: c for c in minors.select_related("parent")}
            for c in self._classes.values():
                self._class_names.setdefault(c.name, []).append(c)
                major = c.parent.name if c.parent else ""
                self._class_names.setdefault(f"{major}/{c.name}", []).append(c)
        return self._classes

    def case_class(self, value: Any, problems: Problems, *, field: str = "case_class") -> Any:
        """A minor component class from a CaseClass, a pk, a 4-digit code or a name."""
        if isinstance(value, CaseClass):
            found: CaseClass | None = value
        else:
            text = str(value if value is not None else "").strip()
            if not text:
                problems.append((field, _("required")))
                return None
            classes = self._load_classes()
            found = classes.get(text)
            if found is None and text.isdigit() and len(text) != 4:
                found = next((c for c in classes.values() if str(c.pk) == text), None)
            if found is None:
                named = self._class_names.get(text, [])
                if len(named) > 1:
                    problems.append((field, _("several classes have this name; give the code")))
                    return None
                found = named[0] if named else None
        if found is None or found.kind != CaseKind.COMPONENT or not found.is_minor:
            problems.append((field, _("not a component minor class (e.g. 0101)")))
            return None
        if not found.is_active:
            problems.append((field, _("this class is no longer in use")))
            return None
        return found

    def department(self, value: Any, problems: Problems) -> Department | None:
        """An active department from a Department, a pk, its code or its exact name."""
        if value in (None, ""):
            return None
        if isinstance(value, Department):
            found: Department | None = value
        else:
            if self._departments is None:
                self._departments = {}
                for d in Department.objects.filter(is_active=True):
                    self._departments.update({d.code: d, d.name: d, str(d.pk): d})
            found = self._departments.get(str(value).strip())
        if found is None or not found.is_active:
            problems.append(("competent_department", _("no active department by this name")))
            return None
        return found

    def is_county(self, code: str) -> bool:
        if self._counties is None:
            self._counties = set(
                Region.objects.filter(level=codes.COUNTY).values_list("code", flat=True)
            )
        return code in self._counties


# --- cleaning values ----------------------------------------------------------------------


def _text(value: Any, field: str, limit: int, problems: Problems, *, lines: bool = False) -> str:
    raw = str(value if value is not None else "")
    text = raw.strip() if lines else " ".join(raw.split())
    if not all(ch.isprintable() or (lines and ch in "\r\n\t") for ch in text):
        problems.append((field, _("contains control characters")))
    elif len(text) > limit:
        problems.append((field, _("longer than %(n)d characters") % {"n": limit}))
    return text


def parse_date(value: Any, field: str, problems: Problems) -> dt.date | None:
    """A date from a date, ``YYYY-MM-DD``, ``YYYY/M/D`` or ``YYYY年M月D日``."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    match = _DATE.fullmatch(text)
    try:
        if match:
            return dt.date(*map(int, match.groups()))
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append((field, _("not a date (YYYY-MM-DD)")))
        return None


def parse_state(value: Any, problems: Problems, *, field: str = "state") -> str:
    text = str(value if value is not None else "").strip()
    state = STATE_WORDS.get(text) or STATE_WORDS.get(text.lower())
    if state is None:
        problems.append(
            (
                field,
                _("one of: %(choices)s")
                % {"choices": "完好/破损/丢失/占用 (intact, damaged, lost, occupied)"},
            )
        )
        return ""
    return str(state)


def parse_coordinate(value: Any, field: str, problems: Problems) -> float | None:
    """Degrees of longitude (``lon``) or latitude (``lat``), WGS84/CGCS2000."""
    try:
        return degrees(value, field)
    except ValueError as exc:
        problems.append((field, str(exc)))
        return None


def clean_fields(data: Mapping[str, Any], refs: References, problems: Problems) -> dict[str, Any]:
    """Clean values of the descriptive fields present in ``data`` (name, class,
    department, owner, maintainer, state, dates, data source, note)."""
    out: dict[str, Any] = {}
    for field, limit in TEXT_LIMITS.items():
        if field in data:
            out[field] = _text(data[field], field, limit, problems)
    if "name" in out and not out["name"] and not any(f == "name" for f, _r in problems):
        problems.append(("name", _("required")))
    if "note" in data:
        out["note"] = _text(data["note"], "note", NOTE_LENGTH, problems, lines=True)
    if "case_class" in data:
        out["case_class"] = refs.case_class(data["case_class"], problems)
    if "competent_department" in data:
        out["competent_department"] = refs.department(data["competent_department"], problems)
    if "state" in data:
        out["state"] = (
            parse_state(data["state"], problems)
            if data["state"] not in (None, "")
            else ComponentState.INTACT
        )
    for field in ("surveyed_on", "changed_on"):
        if field in data:
            out[field] = parse_date(data[field], field, problems)
            if out[field] and out[field] > timezone.localdate():
                problems.append((field, _("cannot be in the future")))
    return out


# --- component IDs ------------------------------------------------------------------------


def check_component_id(
    value: Any, case_class: CaseClass | None, grid_code: str | None, refs: References
) -> tuple[str, Problems]:
    """An explicitly given ID checked against its parts: (the ID, problems)."""
    text = str(value if value is not None else "").strip()
    problems: Problems = []
    if len(text) != ID_LENGTH or not text.isascii() or not text.isdigit():
        problems.append(("component_id", _("a component ID has 16 digits")))
        return text, problems
    county, class_code = text[:6], text[6:10]
    if not refs.is_county(county):
        problems.append(
            (
                "component_id",
                _("digits 1–6 (%(code)s) are not a county of the territory") % {"code": county},
            )
        )
    elif grid_code and not grid_code.startswith(county):
        problems.append(
            (
                "component_id",
                _("digits 1–6 (%(code)s) are not the county of the grid %(grid)s")
                % {"code": county, "grid": grid_code},
            )
        )
    if case_class is not None and class_code != case_class.code:
        problems.append(
            (
                "component_id",
                _("digits 7–10 (%(digits)s) must be the class code %(code)s")
                % {"digits": class_code, "code": case_class.code},
            )
        )
    if text[10:] == "0" * SERIAL_DIGITS:
        problems.append(("component_id", _("the serial (digits 11–16) starts at 000001")))
    return text, problems


def id_prefix(grid_code: str, case_class: CaseClass) -> str:
    """County of the grid + class code: the first ten digits of the component's ID."""
    return grid_code[:6] + case_class.code


def allocate_ids(prefix: str, count: int = 1, *, after: str = "") -> list[str]:
    """The next ``count`` free IDs under ``prefix`` (county + class), in order, above
    every stored one (and above ``after``, an ID about to be stored with them).

    Must run inside the caller's transaction: the class row is locked first, so
    concurrent allocations for the class wait for each other and each sees the others'
    committed components (SQLite serialises writers anyway)."""
    list(
        CaseClass.objects.select_for_update()
        .filter(kind=CaseKind.COMPONENT, code=prefix[6:])
        .values_list("pk", flat=True)
    )
    stored = Component.objects.filter(component_id__startswith=prefix).aggregate(
        top=Max("component_id")
    )["top"]
    top = max(stored or "", after)
    first = int(top[len(prefix) :]) + 1 if top else 1
    if first + count - 1 > MAX_SERIAL:
        raise Conflict(
            _("No serial numbers are left for class %(code)s in county %(county)s.")
            % {"code": prefix[6:], "county": prefix[:6]},
            details={"fields": {"component_id": _("serials exhausted")}},
        )
    return [f"{prefix}{serial:0{SERIAL_DIGITS}d}" for serial in range(first, first + count)]


# --- where a component is -----------------------------------------------------------------


def locate(grid_code: Any, lon: Any, lat: Any) -> tuple[str, float | None, float | None]:
    """The grid a component stands in: the given code (which must be a unit grid), else
    the grid holding the point (territory's locate); InvalidInput otherwise."""
    problems: Problems = []
    lon_f = parse_coordinate(lon, "lon", problems)
    lat_f = parse_coordinate(lat, "lat", problems)
    if problems:
        raise fail(problems)
    if (lon_f is None) != (lat_f is None):
        raise fail({"lat" if lat_f is None else "lon": _("give both longitude and latitude")})
    code = str(grid_code or "").strip()
    if code:
        if len(code) == codes.LEGACY_GRID_LENGTH and code.isdigit():
            code = codes.normalize_grid_code(code)
        if len(code) != 15 or not code.isdigit():
            raise fail({"grid_code": _("a unit grid code has 15 digits")})
        if not Region.objects.filter(code=code, level=codes.GRID).exists():
            raise fail({"grid_code": _("no unit grid has this code")})
        return code, lon_f, lat_f
    if lon_f is None or lat_f is None:
        raise fail({"grid_code": _("give a grid code or coordinates")})
    found = locating.locate_code(lon_f, lat_f)
    if found is None:
        raise fail({"lon": _("the point lies outside every grid of the city")})
    return found, lon_f, lat_f


# --- the roll-up: components in use per grid, class and state -----------------------------

CountKey = tuple[str, str, str]  # grid code, class code, state


def count_key(values: Mapping[str, Any]) -> CountKey | None:
    """Where a component counts (a snapshot or field values): its grid, its class — digits
    7–10 of its ID — and its state; nowhere once retired."""
    if values.get("retired_at") is not None:
        return None
    return (values["grid_code"], str(values["component_id"])[6:10], values["state"])


def moved(before: CountKey | None, after: CountKey | None) -> Counter[CountKey]:
    deltas: Counter[CountKey] = Counter()
    if before != after:
        if before:
            deltas[before] -= 1
        if after:
            deltas[after] += 1
    return deltas


def add_counts(deltas: Mapping[CountKey, int]) -> None:
    """Apply count changes in the caller's transaction (an UPDATE, or an INSERT for a
    new key; a concurrent INSERT of the same key is retried as an UPDATE)."""
    for (grid, class_code, state), delta in sorted(deltas.items()):
        if not delta:
            continue
        rows = ComponentCount.objects.filter(grid_code=grid, class_code=class_code, state=state)
        if rows.update(n=F("n") + delta):
            continue
        try:
            with transaction.atomic():
                ComponentCount.objects.create(
                    grid_code=grid, class_code=class_code, state=state, n=delta
                )
        except IntegrityError:
            rows.update(n=F("n") + delta)


@transaction.atomic
def recount_components(grids: Iterable[str] | None = None) -> int:
    """Rebuild the roll-up from the components (all grids, or the given ones); returns
    how many count rows were written. For repairs and after restoring data."""
    components = Component.objects.filter(retired_at__isnull=True)
    counts = ComponentCount.objects.all()
    if grids is not None:
        chosen = sorted(set(grids))
        components = components.filter(grid_code__in=chosen)
        counts = counts.filter(grid_code__in=chosen)
    counts.delete()
    rows = (
        components.order_by()
        .annotate(class_code=Substr("component_id", 7, 4))
        .values_list("grid_code", "class_code", "state")
        .annotate(n=Count("id"))
    )
    made = [
        ComponentCount(grid_code=grid, class_code=code, state=state, n=n)
        for grid, code, state, n in rows.iterator()
    ]
    ComponentCount.objects.bulk_create(made, batch_size=2000)
    return len(made)


# --- helpers of the actions ---------------------------------------------------------------


def snapshot(component: Component) -> dict[str, Any]:
    return {f: getattr(component, f) for f in AUDITED}


def _editable(actor: Any, component_id: Any) -> Component:
    """The component locked for this transaction, if the actor may edit its grid."""
    try:
        component = Component.objects.select_for_update().get(pk=int(component_id))
    except (Component.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    scope.require(actor, EDIT, component.grid_code)
    return component


def _check_version(component: Component, expected_version: Any) -> None:
    message = _("Someone else changed this component; reload it and try again.")
    check_version(component, expected_version, message)


def _refuse_retired(component: Component) -> None:
    if component.is_retired:
        raise Conflict(
            _("Component %(id)s is retired; restore it before changing it.")
            % {"id": component.component_id}
        )


def _save(component: Component, action: str, actor: Any, before: dict[str, Any]) -> Component:
    component.version += 1
    component.save()
    add_counts(moved(count_key(before), count_key(snapshot(component))))
    record(
        action,
        actor=actor,
        obj=component,
        grid_code=component.grid_code,
        changes=diff(before, snapshot(component)),
    )
    return component


# --- the actions --------------------------------------------------------------------------


@transaction.atomic
def create_component(
    *,
    actor: Any,
    case_class: Any,
    name: str,
    component_id: str | None = None,
    grid_code: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    competent_department: Any = None,
    owner: str = "",
    maintainer: str = "",
    state: str = ComponentState.INTACT,
    surveyed_on: Any = None,
    data_source: str = "",
    note: str = "",
) -> Component:
    """Register a facility; its ID is allocated unless given (then checked)."""
    grid, lon_f, lat_f = locate(grid_code, lon, lat)
    scope.require(actor, EDIT, grid)
    refs = References()
    problems: Problems = []
    values = clean_fields(
        {
            "case_class": case_class,
            "name": name,
            "competent_department": competent_department,
            "owner": owner,
            "maintainer": maintainer,
            "state": state,
            "surveyed_on": surveyed_on,
            "data_source": data_source,
            "note": note,
        },
        refs,
        problems,
    )
    if component_id not in (None, ""):
        component_id, id_problems = check_component_id(
            component_id, values.get("case_class"), grid, refs
        )
        problems.extend(id_problems)
    if problems:
        raise fail(problems)
    if component_id:
        if Component.objects.filter(component_id=component_id).exists():
            raise fail({"component_id": _("this ID is already registered")})
    else:
        component_id = allocate_ids(id_prefix(grid, values["case_class"]))[0]
    component = Component(
        component_id=component_id,
        grid_code=grid,
        lon=lon_f,
        lat=lat_f,
        changed_on=timezone.localdate(),
        **values,
    )
    try:
        with transaction.atomic():
            component.save()
    except IntegrityError:
        # The same explicit ID registered a moment ago by someone else.
        raise fail({"component_id": _("this ID is already registered")}) from None
    add_counts(moved(None, count_key(snapshot(component))))
    record(
        "components.create",
        actor=actor,
        obj=component,
        grid_code=grid,
        changes={k: v for k, v in snapshot(component).items() if v not in (None, "")},
    )
    return component


@transaction.atomic
def update_component(
    component_id: int, *, actor: Any, expected_version: int | None = None, **changes: Any
) -> Component:
    """Change the descriptive fields or the place of a component (not its class, ID or
    state). Moving it to another grid needs components.edit there too."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise fail(dict.fromkeys(sorted(unknown), _("cannot be changed here")))
    component = _editable(actor, component_id)
    _check_version(component, expected_version)
    _refuse_retired(component)
    before = snapshot(component)
    problems: Problems = []
    values = clean_fields(changes, References(), problems)
    if problems:
        raise fail(problems)
    values |= _relocation(component, changes)
    if values.get("grid_code", component.grid_code) != component.grid_code:
        scope.require(actor, EDIT, values["grid_code"])
    for key, value in values.items():
        setattr(component, key, value)
    if diff(before, snapshot(component)):
        component.changed_on = timezone.localdate()
    return _save(component, "components.update", actor, before)


def _relocation(component: Component, changes: Mapping[str, Any]) -> dict[str, Any]:
    """New grid_code/lon/lat from a change of grid or coordinates (else nothing): moving
    the point without naming a grid locates it again."""
    if not {"grid_code", "lon", "lat"} & set(changes):
        return {}
    lon = changes.get("lon", component.lon)
    lat = changes.get("lat", component.lat)
    # A new point without a grid code is located again; cleared coordinates keep the grid.
    moved_point = (
        ("lon" in changes or "lat" in changes)
        and "grid_code" not in changes
        and lon is not None
        and lat is not None
    )
    grid = None if moved_point else changes.get("grid_code", component.grid_code)
    grid_code, lon_f, lat_f = locate(grid, lon, lat)
    return {"grid_code": grid_code, "lon": lon_f, "lat": lat_f}


@transaction.atomic
def change_component_state(
    component_id: int,
    *,
    actor: Any,
    state: str,
    changed_on: Any = None,
    note: str = "",
    expected_version: int | None = None,
) -> Component:
    """Record that a facility is intact, damaged, lost or occupied (as of ``changed_on``,
    default today); ``note`` says what was seen and is kept in the audit trail."""
    component = _editable(actor, component_id)
    _check_version(component, expected_version)
    _refuse_retired(component)
    problems: Problems = []
    new_state = parse_state(state, problems)
    when = parse_date(changed_on, "changed_on", problems) or timezone.localdate()
    if when > timezone.localdate():
        problems.append(("changed_on", _("cannot be in the future")))
    remark = _text(note, "note", 200, problems)
    if problems:
        raise fail(problems)
    before = snapshot(component)
    component.state = new_state
    component.changed_on = when
    component.version += 1
    component.save()
    add_counts(moved(count_key(before), count_key(snapshot(component))))
    changes: dict[str, Any] = diff(before, snapshot(component))
    if remark:
        changes["remark"] = remark
    record(
        "components.state",
        actor=actor,
        obj=component,
        grid_code=component.grid_code,
        changes=changes,
    )
    return component


@transaction.atomic
def retire_component(
    component_id: int, *, actor: Any, reason: str, expected_version: int | None = None
) -> Component:
    """Take a facility out of the inventory, keeping its record (see the module doc)."""
    component = _editable(actor, component_id)
    _check_version(component, expected_version)
    _refuse_retired(component)
    problems: Problems = []
    text = _text(reason, "reason", 200, problems)
    if not text and not problems:
        problems.append(("reason", _("required")))
    if problems:
        raise fail(problems)
    before = snapshot(component)
    component.retired_at = timezone.now()
    component.retired_reason = text
    component.changed_on = timezone.localdate()
    return _save(component, "components.retire", actor, before)


@transaction.atomic
def restore_component(
    component_id: int, *, actor: Any, expected_version: int | None = None
) -> Component:
    """Put a retired component back into the inventory (a retirement made by mistake)."""
    component = _editable(actor, component_id)
    _check_version(component, expected_version)
    if not component.is_retired:
        raise Conflict(_("This component is not retired."))
    before = snapshot(component)
    component.retired_at = None
    component.retired_reason = ""
    component.changed_on = timezone.localdate()
    return _save(component, "components.restore", actor, before)


def attach_component_photo(component_id: int, photo: Any, *, actor: Any) -> Any:
    """Store a photo of the facility (the newest one is shown as its photo); the type and
    size are checked and location metadata stripped by ``cases.attachments``, and a file
    written for a refused call is removed again."""
    from gridgov.cases import attachments
    from gridgov.cases.models import AttachmentPurpose

    with attachments.discarded_on_error(), transaction.atomic():
        component = _editable(actor, component_id)
        _refuse_retired(component)
        prepared = attachments.prepare(photo, "photo")
        if not prepared.is_image:
            raise fail({"photo": _("a photo (JPEG, PNG or WebP) is needed")})
        attachment = attachments.save(
            prepared, component=component, purpose=AttachmentPurpose.COMPONENT, actor=actor
        )
        component.version += 1
        component.save(update_fields=["version", "updated_at"])
        record(
            "components.photo",
            actor=actor,
            obj=component,
            grid_code=component.grid_code,
            changes={"attachment_id": attachment.pk, "name": attachment.original_name},
        )
    return attachment


AUDIT_LABELS: dict[str, str | Promise] = {
    "components.create": pgettext_lazy("audit action", "Component registered"),
    "components.update": pgettext_lazy("audit action", "Component changed"),
    "components.state": pgettext_lazy("audit action", "Component state recorded"),
    "components.retire": pgettext_lazy("audit action", "Component retired"),
    "components.restore": pgettext_lazy("audit action", "Component restored"),
    "components.photo": pgettext_lazy("audit action", "Component photo added"),
    "components.import": pgettext_lazy("audit action", "Components imported"),
    "components.export": pgettext_lazy("audit action", "Components exported"),
}
# Registered on import: every process that writes these events imports this module.
audit_labels.register(AUDIT_LABELS)
