"""Changing the catalogue of case classes and the responsibility list (权责清单).

Every function takes the acting user as ``actor=``, runs in one transaction, checks
``cases.catalogue`` and writes its audit event. Changes of an existing row carry the
``version`` the user saw and fail with Conflict when someone saved first.

Who may change what:

- **Classes** apply to every case of the installation, whichever county it is in, so only
  administrators bound to the city (or operators and the system) create, edit,
  deactivate them or set their default department. A county administrator reads them.
- **Responsibilities** belong to a territory node: an administrator changes the rows of
  the nodes inside their own area. The rows of the areas above (the city-wide defaults)
  apply to their area and are shown to them, but are not theirs to change — a county
  overrides a city-wide row by adding its own for the county, which wins as the longer
  prefix.

Class codes are fixed once created (component IDs and cases carry them); a class is
deactivated, never deleted. A removed responsibility is kept, inactive, as history.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.accounts.models import Department
from gridgov.audit.actions import diff, record
from gridgov.cases import seed
from gridgov.cases.models import CaseClass, CaseKind, Responsibility, TimeUnit
from gridgov.cases.queries import catalogue as queries
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.core.versions import check_version
from gridgov.registry import readers
from gridgov.registry.importers import POLICIES, ImportOptions, ImportReport, RowError
from gridgov.territory.models import Region

CATALOGUE = queries.CATALOGUE
MAX_LIMIT = 999
MAX_IMPORT_ROWS = 50_000
# Open311 GeoReport v2 attribute datatypes; the list types carry ``values``.
ATTRIBUTE_TYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = frozenset({"singlevaluelist", "multivaluelist"})
CLASS_FIELDS = (
    "name",
    "filing_condition",
    "closing_condition",
    "limit_value",
    "limit_unit",
    "attributes",
    "default_department_id",
)
_UNSET: Any = object()


# --- small helpers ----------------------------------------------------------------------


def field_label(name: str) -> str:
    """The translated name of a field for messages ("limit_unit" → "time limit unit")."""
    for model in (CaseClass, Responsibility):
        try:
            found = model._meta.get_field(name.removesuffix("_id"))
        except FieldDoesNotExist:
            continue
        return str(getattr(found, "verbose_name", name))
    return name


def _fail(fields: Mapping[str, Any]) -> InvalidInput:
    """InvalidInput naming every bad field; with one, the message says which."""
    if len(fields) == 1:
        name, reason = next(iter(fields.items()))
        message = _("%(field)s: %(reason)s") % {"field": field_label(name), "reason": reason}
    else:
        labels = "、".join(field_label(name) for name in fields)
        message = _("Please correct these fields: %(fields)s.") % {"fields": labels}
    return InvalidInput(message, fields=dict(fields))


def _check_version(row: Any, version: Any) -> None:
    message = _("Someone else changed this after you opened it. Reload it and try again.")
    check_version(row, version, message, required=True)


def _locked(model: Any, pk: Any) -> Any:
    found = queries.by_pk(model._default_manager.select_for_update(), pk)
    if found is None:
        raise NotFound()
    return found


def _by_pk(model: Any, value: Any) -> Any:
    """The row with this primary key, or None (also for a value that is not a number)."""
    return queries.by_pk(model._default_manager.all(), value)


def _text(value: Any, name: str, max_length: int | None, errors: dict[str, Any]) -> str:
    text = str(value if value is not None else "").strip()
    if any(not ch.isprintable() and ch not in "\n\r\t" for ch in text):
        errors[name] = _("contains control characters")
    elif max_length is not None and len(text) > max_length:
        errors[name] = _("longer than %(n)d characters") % {"n": max_length}
    return text


def _department(value: Any, name: str, errors: dict[str, Any]) -> Department | None:
    """An active department by id (None for none)."""
    if value in (None, ""):
        return None
    found = _by_pk(Department, value)
    if found is None:
        errors[name] = _("no such department")
    elif not found.is_active:
        errors[name] = _("this department is no longer active")
    return found


# --- classes ----------------------------------------------------------------------------


def _limit(value: Any, unit: Any, errors: dict[str, Any]) -> tuple[int | None, str]:
    unit = str(unit or "").strip()
    if value in (None, "") and not unit:
        return None, ""
    number = None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors["limit_value"] = _("a whole number")
    if number is not None and not 1 <= number <= MAX_LIMIT:
        errors["limit_value"] = _("between 1 and %(n)d") % {"n": MAX_LIMIT}
    if unit not in TimeUnit.values:
        errors["limit_unit"] = _("one of: %(choices)s") % {
            "choices": ", ".join(str(label) for label in TimeUnit.labels)
        }
    return number, unit


def clean_attributes(value: Any) -> list[dict[str, Any]]:
    """Report attributes in Open311's shape, checked: a list of {code, description,
    datatype, required, values: [{key, name, limit_value?, limit_unit?}]}."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise _fail({"attributes": _("a list of attributes")})
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, item in enumerate(value, start=1):
        problem = _attribute_problem(item, seen)
        if problem:
            raise _fail(
                {
                    "attributes": _("attribute %(n)d: %(problem)s")
                    % {"n": position, "problem": problem}
                }
            )
        cleaned.append(_attribute(item))
        seen.add(item["code"])
    return cleaned


def _attribute_problem(item: Any, seen: set[str]) -> str:
    if not isinstance(item, dict):
        return _("not an object")
    code = item.get("code")
    if not isinstance(code, str) or not code.isidentifier() or not code.isascii():
        return _("its code must be letters, digits and underscores")
    if code in seen:
        return _("the code %(code)s is used twice") % {"code": code}
    if not str(item.get("description") or "").strip():
        return _("it needs a description")
    if item.get("datatype") not in ATTRIBUTE_TYPES:
        return _("datatype must be one of: %(choices)s") % {"choices": ", ".join(ATTRIBUTE_TYPES)}
    values = item.get("values") or []
    if item["datatype"] in LIST_TYPES and not values:
        return _("a list attribute needs values")
    for entry in values:
        if not isinstance(entry, dict) or not str(entry.get("key") or "").strip():
            return _("every value needs a key and a name")
        if not str(entry.get("name") or "").strip():
            return _("every value needs a key and a name")
        if entry.get("limit_value") is not None or entry.get("limit_unit"):
            errors: dict[str, Any] = {}
            _limit(entry.get("limit_value"), entry.get("limit_unit"), errors)
            if errors:
                return _("the time limit of %(key)s: %(reason)s") % {
                    "key": entry["key"],
                    "reason": "; ".join(str(v) for v in errors.values()),
                }
    return ""


def _attribute(item: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {
        "code": item["code"],
        "description": str(item["description"]).strip(),
        "datatype": item["datatype"],
        "required": bool(item.get("required")),
    }
    if item["datatype"] in LIST_TYPES:
        cleaned["values"] = [_attribute_value(entry) for entry in item["values"]]
    return cleaned


def _attribute_value(entry: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = {"key": str(entry["key"]).strip(), "name": str(entry["name"]).strip()}
    if entry.get("limit_value") is not None:
        value["limit_value"] = int(entry["limit_value"])
        value["limit_unit"] = str(entry["limit_unit"])
    return value


def _class_values(cls: CaseClass, values: dict[str, Any]) -> dict[str, Any]:
    """The checked values of a class's editable fields (given ones over its current ones)."""
    merged = {name: getattr(cls, name) for name in CLASS_FIELDS}
    merged.update(values)
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {
        "name": _text(merged["name"], "name", CaseClass._meta.get_field("name").max_length, errors),
        "filing_condition": _text(merged["filing_condition"], "filing_condition", 2000, errors),
        "closing_condition": _text(merged["closing_condition"], "closing_condition", 2000, errors),
    }
    if not cleaned["name"] and "name" not in errors:
        errors["name"] = _("required")
    cleaned["limit_value"], cleaned["limit_unit"] = _limit(
        merged["limit_value"], merged["limit_unit"], errors
    )
    department = _department(merged["default_department_id"], "default_department", errors)
    cleaned["default_department_id"] = department.pk if department else None
    if cls.is_minor:
        if cleaned["limit_value"] is None and "limit_value" not in errors:
            errors["limit_value"] = _("a minor class needs a disposal time limit")
    else:
        for name in ("limit_value", "default_department"):
            if merged.get(name) not in (None, "") or (
                name == "default_department" and cleaned["default_department_id"]
            ):
                errors[name] = _("only minor classes carry this")
        if merged["attributes"]:
            errors["attributes"] = _("only minor classes carry this")
    if errors:
        raise _fail(errors)
    cleaned["attributes"] = clean_attributes(merged["attributes"])
    return cleaned


def _class_code(kind: Any, code: Any) -> tuple[str, str, CaseClass | None]:
    """(kind, code, major) of a new class, checked: a major has 2 digits, a minor 4
    starting with an existing major's of the same kind."""
    errors: dict[str, Any] = {}
    kind = str(kind or "").strip()
    code = str(code or "").strip()
    if kind not in CaseKind.values:
        errors["kind"] = _("one of: %(choices)s") % {"choices": ", ".join(CaseKind.values)}
    if not (code.isascii() and code.isdigit() and len(code) in (2, 4)):
        errors["code"] = _("2 digits for a major class, 4 for a minor class")
    elif code.startswith("00") or code.endswith("00"):
        errors["code"] = _("classes are numbered from 01")
    if errors:
        raise _fail(errors)
    if CaseClass.objects.filter(kind=kind, code=code).exists():
        raise _fail({"code": _("this kind already has a class with this code")})
    major = None
    if len(code) == 4:
        major = CaseClass.objects.filter(kind=kind, code=code[:2]).first()
        if major is None:
            raise _fail({"code": _("there is no major class %(code)s") % {"code": code[:2]}})
    return kind, code, major


def _class_fields(cls: CaseClass) -> dict[str, Any]:
    """What an audit event records of a class."""
    return {
        "name": cls.name,
        "filing_condition": cls.filing_condition,
        "closing_condition": cls.closing_condition,
        "limit_value": cls.limit_value,
        "limit_unit": cls.limit_unit,
        "default_department_id": cls.default_department_id,
        "attributes": cls.attributes,
        "is_active": cls.is_active,
    }


def create_class(
    *,
    actor: Any,
    kind: str,
    code: str,
    name: str,
    filing_condition: str = "",
    closing_condition: str = "",
    limit_value: int | None = None,
    limit_unit: str = "",
    default_department_id: int | None = None,
    attributes: list[dict[str, Any]] | None = None,
) -> CaseClass:
    """A new major (2-digit ``code``) or minor class (4 digits under its major)."""
    with transaction.atomic():
        queries.require_class_editor(actor)
        kind, code, major = _class_code(kind, code)
        cls = CaseClass(kind=kind, code=code, parent=major)
        values = _class_values(
            cls,
            {
                "name": name,
                "filing_condition": filing_condition,
                "closing_condition": closing_condition,
                "limit_value": limit_value,
                "limit_unit": limit_unit,
                "default_department_id": default_department_id,
                "attributes": attributes or [],
            },
        )
        for key, value in values.items():
            setattr(cls, key, value)
        try:
            with transaction.atomic():
                cls.save()
        except IntegrityError:
            raise Conflict(_("Someone else created a class with this code first.")) from None
        record(
            "cases.class.create",
            actor=actor,
            obj=cls,
            changes={"kind": kind, "code": code, **_class_fields(cls)},
        )
    return cls


def update_class(
    class_id: Any,
    *,
    actor: Any,
    version: int,
    name: str = _UNSET,
    filing_condition: str = _UNSET,
    closing_condition: str = _UNSET,
    limit_value: int | None = _UNSET,
    limit_unit: str = _UNSET,
    default_department_id: int | None = _UNSET,
    attributes: list[dict[str, Any]] = _UNSET,
) -> CaseClass:
    """Change the given fields of a class (code and kind stay: cases carry them)."""
    given = {
        key: value
        for key, value in {
            "name": name,
            "filing_condition": filing_condition,
            "closing_condition": closing_condition,
            "limit_value": limit_value,
            "limit_unit": limit_unit,
            "default_department_id": default_department_id,
            "attributes": attributes,
        }.items()
        if value is not _UNSET
    }
    with transaction.atomic():
        queries.require_class_editor(actor)
        cls = _locked(CaseClass, class_id)
        _check_version(cls, version)
        before = _class_fields(cls)
        for key, value in _class_values(cls, given).items():
            setattr(cls, key, value)
        return _save_class(cls, actor, before, "cases.class.update")


def set_default_department(
    class_id: Any, *, actor: Any, version: int, department_id: int | None
) -> CaseClass:
    """The department a minor class goes to where the responsibility list has no row."""
    return update_class(class_id, actor=actor, version=version, default_department_id=department_id)


def deactivate_class(class_id: Any, *, actor: Any, version: int | str | None) -> CaseClass:
    """No new reports of this class (or, for a major, of any of its minors); cases and
    components that have it keep it."""
    return _set_active(class_id, actor=actor, version=version, active=False)


def reactivate_class(class_id: Any, *, actor: Any, version: int | str | None) -> CaseClass:
    return _set_active(class_id, actor=actor, version=version, active=True)


def _set_active(class_id: Any, *, actor: Any, version: int | str | None, active: bool) -> CaseClass:
    with transaction.atomic():
        queries.require_class_editor(actor)
        cls = _locked(CaseClass, class_id)
        _check_version(cls, version)
        before = _class_fields(cls)
        cls.is_active = active
        verb = "reactivate" if active else "deactivate"
        return _save_class(cls, actor, before, f"cases.class.{verb}")


def _save_changes(
    row: Any, actor: Any, before: dict[str, Any], after: dict[str, Any], action: str, **audit: Any
) -> Any:
    """Save a row that changed (``before`` → ``after``) with its version bumped and the
    change audited; a row that did not change is left as it is."""
    changes = diff(before, after)
    if changes:
        row.version += 1
        row.save()
        record(action, actor=actor, obj=row, changes=changes, **audit)
    return row


def _save_class(cls: CaseClass, actor: Any, before: dict[str, Any], action: str) -> CaseClass:
    return _save_changes(cls, actor, before, _class_fields(cls), action)


def seed_catalogue(*, actor: Any) -> int:
    """Add the seed classes missing from the catalogue (``gridgov.cases.seed``); existing
    classes, edited or not, stay as they are. Returns how many were added."""
    with transaction.atomic():
        queries.require_class_editor(actor)
        created = seed.load(CaseClass)
        if created:
            record(
                "cases.catalogue.seed",
                actor=actor,
                object_type="cases.caseclass",
                object_repr=_("Seed catalogue"),
                changes={"added": [f"{c.kind}:{c.code}" for c in created]},
            )
    return len(created)


# --- responsibilities -------------------------------------------------------------------


def _responsibility_fields(row: Responsibility) -> dict[str, Any]:
    return {
        "case_class": row.case_class.service_code,
        "region_code": row.region_code,
        "department_id": row.department_id,
        "note": row.note,
        "is_active": row.is_active,
    }


def _minor_class(value: Any, errors: dict[str, Any]) -> CaseClass | None:
    found = _by_pk(CaseClass, value)
    if found is None:
        errors["case_class"] = _("no such class")
    elif not found.is_minor:
        errors["case_class"] = _("choose a minor class")
    return found


def _region(actor: Any, value: Any, errors: dict[str, Any]) -> str:
    """A territory code that exists inside the actor's area (else the same answer as a
    code that does not exist, so the list never reveals another area's nodes)."""
    code = str(value or "").strip()
    exists = code.isascii() and code.isdigit() and Region.objects.filter(code=code).exists()
    if not exists or not scope.has_capability(actor, CATALOGUE, code):
        errors["region_code"] = _("no territory with this code in your area")
    return code


def _serves(department: Department | None, region_code: str, errors: dict[str, Any]) -> None:
    if department is not None and not region_code.startswith(department.region_code):
        errors["department"] = _(
            "%(department)s serves %(code)s, which does not contain %(region)s"
        ) % {"department": department, "code": department.region_code, "region": region_code}


def _taken(case_class: CaseClass, region_code: str, errors: dict[str, Any]) -> None:
    holder = (
        Responsibility.objects.filter(
            case_class=case_class, region_code=region_code, is_active=True
        )
        .select_related("department")
        .first()
    )
    if holder is not None:
        errors["region_code"] = _(
            "this class already has a responsible department here (%(department)s); "
            "change that row instead"
        ) % {"department": holder.department}


def add_responsibility(
    *, actor: Any, case_class_id: Any, region_code: str, department_id: Any, note: str = ""
) -> Responsibility:
    """Make ``department`` responsible for cases of a minor class at a territory node (and
    every node inside it without a more specific row)."""
    with transaction.atomic():
        scope.require(actor, CATALOGUE)
        errors: dict[str, Any] = {}
        case_class = _minor_class(case_class_id, errors)
        code = _region(actor, region_code, errors)
        department = _department(department_id, "department", errors)
        if department is None and "department" not in errors:
            errors["department"] = _("required")
        note = _text(note, "note", Responsibility._meta.get_field("note").max_length, errors)
        if not errors:
            _serves(department, code, errors)
            assert case_class is not None
            _taken(case_class, code, errors)
        if errors:
            raise _fail(errors)
        return _create_responsibility(actor, case_class, code, department, note)


def _create_responsibility(
    actor: Any, case_class: Any, code: str, department: Any, note: str
) -> Responsibility:
    try:
        with transaction.atomic():
            row = Responsibility.objects.create(
                case_class=case_class, region_code=code, department=department, note=note
            )
    except IntegrityError:
        raise Conflict(_("Someone else added a row for this class and place first.")) from None
    record(
        "cases.responsibility.add",
        actor=actor,
        obj=row,
        grid_code=code,
        changes=_responsibility_fields(row),
    )
    return row


def _editable_responsibility(actor: Any, responsibility_id: Any) -> Responsibility:
    """The row locked for this transaction if the actor may change it: NotFound when they
    cannot see it, PermissionDenied for a row of an area above theirs."""
    scope.require(actor, CATALOGUE)
    visible = queries.get_responsibility_for(actor, responsibility_id)
    if not queries.may_edit_responsibility(actor, visible.region_code):
        raise PermissionDenied(
            _(
                "This row belongs to an area above yours; add a row for your own area to "
                "override it."
            )
        )
    return _locked(Responsibility, visible.pk)


def change_responsibility(
    responsibility_id: Any,
    *,
    actor: Any,
    version: int,
    department_id: Any = _UNSET,
    note: str = _UNSET,
) -> Responsibility:
    """Give an active row another department or note (class and place stay: remove the
    row and add another to move it)."""
    with transaction.atomic():
        row = _editable_responsibility(actor, responsibility_id)
        _check_version(row, version)
        if not row.is_active:
            raise Conflict(_("This row was removed; add a new one instead."))
        before = _responsibility_fields(row)
        errors: dict[str, Any] = {}
        if department_id is not _UNSET:
            department = _department(department_id, "department", errors)
            if department is None and "department" not in errors:
                errors["department"] = _("required")
            _serves(department, row.region_code, errors)
            if department is not None and not errors:
                row.department = department
        if note is not _UNSET:
            row.note = _text(
                note, "note", Responsibility._meta.get_field("note").max_length, errors
            )
        if errors:
            raise _fail(errors)
        return _save_responsibility(row, actor, before, "cases.responsibility.change")


def _save_responsibility(
    row: Responsibility, actor: Any, before: dict[str, Any], action: str
) -> Responsibility:
    after = _responsibility_fields(row)
    return _save_changes(row, actor, before, after, action, grid_code=row.region_code)


def remove_responsibility(
    responsibility_id: Any, *, actor: Any, version: int | str | None
) -> Responsibility:
    """Take a row off the list (kept, inactive, as history): cases of its class at its
    place fall back to the next row up, the default department, or the unassigned queue."""
    with transaction.atomic():
        row = _editable_responsibility(actor, responsibility_id)
        _check_version(row, version)
        if not row.is_active:
            return row
        before = _responsibility_fields(row)
        row.is_active = False
        return _save_responsibility(row, actor, before, "cases.responsibility.remove")


# --- import -----------------------------------------------------------------------------


IMPORT_JOB_KIND = "responsibilities"  # the import framework's job kind (registry.jobs)


def import_responsibilities(
    path: str | os.PathLike[str],
    *,
    actor: Any,
    policy: str = "all_or_nothing",
    encoding: str = "auto",
    file_name: str = "",
) -> ImportReport:
    """Add or change rows of the responsibility list from a CSV or XLSX file with the
    export's columns (``queries.RESPONSIBILITY_COLUMNS``).

    Each row names a class by its service code, a territory code inside the actor's area
    and a department by its code. A row for a (class, place) that has an active row
    changes that row's department and note; otherwise a row is added. Bad rows are
    reported with their row number, column and reason; ``all_or_nothing`` then writes
    nothing, ``skip_invalid`` writes the good rows.
    """
    if policy not in POLICIES:
        raise _fail({"policy": _("one of: %(choices)s") % {"choices": ", ".join(POLICIES)}})
    scope.require(actor, CATALOGUE)
    report = ImportReport(file_name or Path(path).name, "upsert", policy)
    with readers.open_table(path, encoding=encoding) as table:
        report.encoding = table.encoding
        fields = _import_fields(table.headers)
        rows = []
        for number, cells in table.rows():
            rows.append((number, cells))
            if len(rows) > MAX_IMPORT_ROWS:
                raise _fail({"file": _("more than %(n)d rows") % {"n": MAX_IMPORT_ROWS}})
    report.ignored_columns = [h for h, f in zip(table.headers, fields, strict=False) if h and not f]
    with transaction.atomic():
        _ImportRun(actor, report, table.headers, fields).run(rows)
    return report


def import_responsibilities_upload(
    upload: Any, *, actor: Any, policy: str = "all_or_nothing", encoding: str = "auto"
) -> ImportReport:
    """``import_responsibilities`` of an uploaded file (pages and API): the readers need a
    file on disk, so the upload is copied to a temporary one first."""
    with tempfile.NamedTemporaryFile(suffix=".upload") as copy:
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        return import_responsibilities(
            copy.name,
            actor=actor,
            policy=policy,
            encoding=encoding,
            file_name=getattr(upload, "name", "") or "",
        )


def import_responsibility_file(
    path: str | os.PathLike[str],
    *,
    actor: Any,
    options: ImportOptions | Mapping[str, Any] | None = None,
    file_name: str = "",
    progress: Any = None,
) -> ImportReport:
    """``import_responsibilities`` called like every importer of the import framework
    (the commands, and the page's import job): its policy and encoding come from the
    ``ImportOptions``; the list is short, so there is no progress to report."""
    opts = options if isinstance(options, ImportOptions) else ImportOptions.parse(options)
    return import_responsibilities(
        path, actor=actor, policy=opts.policy, encoding=opts.encoding, file_name=file_name
    )


def _import_fields(headers: list[str]) -> list[str | None]:
    """The field each column holds (None for a column the import does not read); headers
    are the export's Chinese ones or the field names."""
    by_header: dict[str, str] = {}
    for field_name, header in queries.RESPONSIBILITY_COLUMNS:
        by_header[header] = field_name
        by_header[field_name] = field_name
    fields = [by_header.get(h.strip()) for h in headers]
    missing = [
        header
        for field_name, header in queries.RESPONSIBILITY_COLUMNS
        if field_name in queries.REQUIRED_IMPORT_FIELDS and field_name not in fields
    ]
    if missing:
        raise _fail({"file": _("missing columns: %(columns)s") % {"columns": "、".join(missing)}})
    return fields


class _ImportRun:
    """One import: everything a row may name loaded once, then each row checked and
    (unless the policy forbids) written through the same audited steps as the pages."""

    def __init__(
        self, actor: Any, report: ImportReport, headers: list[str], fields: list[str | None]
    ) -> None:
        self.actor = actor
        self.report = report
        self.fields = fields
        self.header = {f: h for h, f in zip(headers, fields, strict=False) if f}

    def run(self, rows: list[tuple[int, list[str]]]) -> None:
        records = [(number, self._record(cells)) for number, cells in rows]
        self._load(records)
        planned: list[tuple[str, Any]] = []
        seen: dict[tuple[int, str], int] = {}
        for number, values in records:
            self.report.read += 1
            step = self._check(number, values, seen)
            if step is not None:
                self.report.valid += 1
                planned.append(step)
        self.report.rejected = self.report.read - self.report.valid
        if self.report.rejected and self.report.policy == "all_or_nothing":
            return
        for step in planned:
            self._write(*step)
        self.report.written = True
        record(
            "cases.responsibility.import",
            actor=self.actor,
            object_type="cases.responsibility",
            object_repr=self.report.file_name,
            changes=self.report.counts(),
        )

    def _record(self, cells: list[str]) -> dict[str, str]:
        return {
            field_name: cells[i].strip() if i < len(cells) else ""
            for i, field_name in enumerate(self.fields)
            if field_name
        }

    def _load(self, records: list[tuple[int, dict[str, str]]]) -> None:
        wanted = {
            name: {values.get(name, "") for _n, values in records}
            for name in ("region_code", "department")
        }
        self.regions = set(
            Region.objects.filter(code__in=wanted["region_code"]).values_list("code", flat=True)
        )
        self.departments = {
            d.code: d for d in Department.objects.filter(code__in=wanted["department"])
        }
        self.classes = {(c.kind, c.code): c for c in CaseClass.objects.filter(parent__isnull=False)}
        self.existing = {
            (row.case_class_id, row.region_code): row
            for row in Responsibility.objects.select_for_update().filter(is_active=True)
        }

    def _reject(self, number: int, field_name: str, reason: str) -> None:
        column = self.header.get(field_name) or dict(queries.RESPONSIBILITY_COLUMNS)[field_name]
        self.report.errors.append(RowError(number, column, reason))

    def _check(
        self, number: int, values: dict[str, str], seen: dict[tuple[int, str], int]
    ) -> tuple[str, Any] | None:
        errors: dict[str, str] = {}
        parsed = queries.parse_service_code(values.get("class", ""))
        case_class = self.classes.get(parsed) if parsed else None
        if case_class is None:
            errors["class"] = _("no minor class has this code (e.g. C0102 or E0101)")
        code = values.get("region_code", "")
        if code not in self.regions or not scope.has_capability(self.actor, CATALOGUE, code):
            errors["region_code"] = _("no territory with this code in your area")
        department = self.departments.get(values.get("department", ""))
        if department is None:
            errors["department"] = _("no department has this code")
        elif not department.is_active:
            errors["department"] = _("this department is no longer active")
        elif "region_code" not in errors:
            _serves(department, code, errors)
        note = _text(values.get("note", ""), "note", 200, errors)
        if not errors and case_class is not None:
            key = (case_class.pk, code)
            if key in seen:
                errors["region_code"] = _("the same class and place as row %(row)d") % {
                    "row": seen[key]
                }
            seen[key] = number
        for field_name, reason in errors.items():
            self._reject(number, field_name, str(reason))
        if errors:
            return None
        existing = self.existing.get((case_class.pk, code))  # type: ignore[union-attr]
        if existing is None:
            return "add", (case_class, code, department, note)
        if existing.department_id == department.pk and existing.note == note:  # type: ignore[union-attr]
            self.report.skipped += 1
            return "keep", None
        return "change", (existing, department, note)

    def _write(self, step: str, data: Any) -> None:
        if step == "add":
            _create_responsibility(self.actor, *data)
            self.report.created += 1
        elif step == "change":
            row, department, note = data
            before = _responsibility_fields(row)
            row.department, row.note = department, note
            _save_responsibility(row, self.actor, before, "cases.responsibility.change")
            self.report.updated += 1
