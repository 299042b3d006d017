"""Adding, changing and ending risk areas (county and city staff: ``epidemic.manage``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.audit.actions import diff, record
from gridgov.core.versions import check_version
from gridgov.epidemic import places, rules
from gridgov.epidemic.actions.common import clean_date, clean_text, fail, locked
from gridgov.epidemic.capabilities import MANAGE
from gridgov.epidemic.models import RiskArea, RiskLevel

FIELDS = ("division_code", "name", "level", "valid_from", "valid_to", "note")
# Risk areas are declared by a county or the city (6 or 4 digits).
ISSUER_LENGTHS = (4, 6)


def _issuer(actor: Any, region_code: Any) -> str:
    """The county or city declaring the area: the one given, else the actor's own."""
    code = str(region_code or "").strip()
    if not code:
        held = [c for c in scope.scope_codes(actor, MANAGE) if len(c) in ISSUER_LENGTHS]
        if len(held) != 1:
            raise fail({"region_code": _("say which county or city declares it")})
        code = held[0]
    if len(code) not in ISSUER_LENGTHS or not code.isdigit():
        raise fail({"region_code": _("a city (4 digits) or county (6 digits) code")})
    scope.require(actor, MANAGE, code)
    return code


def _clean(data: Mapping[str, Any], current: RiskArea | None = None) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    values = {f: getattr(current, f) for f in FIELDS} if current else {}
    values.update({k: v for k, v in data.items() if k in FIELDS})
    code = str(values.get("division_code") or "").strip()
    if not rules.valid_division(code):
        errors["division_code"] = _("a division code of 2, 4, 6, 9 or 12 digits")
    level = str(values.get("level") or "")
    if level not in RiskLevel.values:
        errors["level"] = _("must be one of: %(choices)s") % {
            "choices": ", ".join(RiskLevel.values)
        }
    start = clean_date(values.get("valid_from"), "valid_from", errors, required=True)
    end = clean_date(values.get("valid_to"), "valid_to", errors, required=False)
    if start and end and end < start:
        errors["valid_to"] = _("before the start")
    name = clean_text(values.get("name"), "name", 120, errors) or places.division_name(code)
    if not name and "division_code" not in errors:
        errors["name"] = _("required for a place the national table does not name")
    note = clean_text(values.get("note"), "note", 200, errors)
    if errors:
        raise fail(errors)
    return {
        "division_code": code,
        "name": name,
        "level": level,
        "valid_from": start,
        "valid_to": end,
        "note": note,
    }


def _audit(area: RiskArea) -> dict[str, Any]:
    return {f: getattr(area, f) for f in FIELDS}


@transaction.atomic
def add_risk_area(*, actor: Any, region_code: Any = None, **data: Any) -> RiskArea:
    """Declare a place a risk area for a period; ``region_code`` is the declaring county
    or city (default: the actor's own)."""
    scope.require(actor, MANAGE)
    issuer = _issuer(actor, region_code)
    fields = _clean(data)
    area = RiskArea.objects.create(
        region_code=issuer,
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    record("epidemic.risk_area.add", actor=actor, obj=area, changes=_audit(area))
    return area


def _editable(actor: Any, area_id: Any) -> RiskArea:
    scope.require(actor, MANAGE)
    area = locked(RiskArea, area_id)
    scope.require(actor, MANAGE, area.region_code)
    return area


@transaction.atomic
def change_risk_area(
    area_id: int, *, actor: Any, expected_version: Any = None, **changes: Any
) -> RiskArea:
    """Correct an area's code, name, level, period or note."""
    area = _editable(actor, area_id)
    check_version(area, expected_version)
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise fail({name: _("cannot be changed here") for name in unknown})
    before = _audit(area)
    for field, value in _clean(changes, area).items():
        setattr(area, field, value)
    area.version += 1
    area.save()
    record("epidemic.risk_area.change", actor=actor, obj=area, changes=diff(before, _audit(area)))
    return area


@transaction.atomic
def end_risk_area(
    area_id: int, *, actor: Any, valid_to: Any, expected_version: Any = None
) -> RiskArea:
    """The area is no longer a risk area after ``valid_to`` (its last day)."""
    area = _editable(actor, area_id)
    check_version(area, expected_version)
    errors: dict[str, Any] = {}
    end = clean_date(valid_to, "valid_to", errors, required=True)
    if end and end < area.valid_from:
        errors["valid_to"] = _("before the start")
    if errors or end is None:
        raise fail(errors)
    if area.valid_to is not None and area.valid_to <= end:
        raise fail({"valid_to": _("the area already ends on %(day)s") % {"day": area.valid_to}})
    before = _audit(area)
    area.valid_to = end
    area.version += 1
    area.save()
    record("epidemic.risk_area.end", actor=actor, obj=area, changes=diff(before, _audit(area)))
    return area
