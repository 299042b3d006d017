"""GeoJSON import and export of regions and grids.

An import is all or nothing: every feature is checked (code, name, boundary), boundaries
that can be repaired are repaired and reported, and overlaps, gaps and parts outside the
parent are reported as warnings. Any error and nothing is written; the report says which
feature failed and why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from gridgov.core.errors import InvalidInput
from gridgov.territory import actions, codes, geometry, queries
from gridgov.territory.models import Region

SOURCE = "geojson-import"


class ImportRefused(InvalidInput):
    """An import with errors: nothing was written; ``details`` is the full report."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            _("%(n)d features are not valid; nothing was written.") % {"n": len(report.errors)},
            details=report.as_dict(),
        )


@dataclass
class ImportReport:
    features: int = 0
    dry_run: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    summary: actions.UpsertSummary | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.summary is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "written": self.written,
            "features": self.features,
            "errors": self.errors,
            "warnings": self.warnings,
            "summary": self.summary.as_dict() if self.summary else None,
        }


def _feature_row(index: int, item: Any, report: ImportReport) -> dict[str, Any] | None:
    """A feature as an upsert row; a 14-digit legacy grid code becomes 15 digits."""
    if not isinstance(item, Mapping) or item.get("type") != "Feature":
        return None
    props = item.get("properties") or {}
    if not isinstance(props, Mapping):
        props = {}
    code = str(props.get("code") or "").strip()
    if len(code) == codes.LEGACY_GRID_LENGTH and code.isdigit():
        converted = codes.normalize_grid_code(code)
        report.warnings.append(
            {
                "feature": index,
                "code": converted,
                "kind": "converted",
                "reason": _("legacy 14-digit code %(old)s converted to %(new)s")
                % {"old": code, "new": converted},
            }
        )
        code = converted
    row = {"code": code, "name": props.get("name")}
    # A feature without geometry (a names-only file) keeps the stored boundary; boundaries
    # are cleared only explicitly, through the API.
    if item.get("geometry") is not None:
        row["geometry"] = item["geometry"]
    return row


def _features(data: Any) -> list[Any]:
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise InvalidInput(
            _("Expected a GeoJSON FeatureCollection."),
            fields={"type": _("not a FeatureCollection")},
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise InvalidInput(
            _("The FeatureCollection has no features list."), fields={"features": _("missing")}
        )
    return features


def _as_feature_issue(item: dict[str, Any]) -> dict[str, Any]:
    """Plan rows are numbered like the features they came from."""
    renamed = {("feature" if k == "row" else k): v for k, v in item.items()}
    return renamed


def import_feature_collection(
    data: Any, *, actor: Any, dry_run: bool = False, source: str = SOURCE
) -> ImportReport:
    """Validate a FeatureCollection and, unless ``dry_run`` or anything is wrong, write it."""
    features = _features(data)
    report = ImportReport(features=len(features), dry_run=dry_run)
    rows: list[Any] = []
    for index, item in enumerate(features):
        row = _feature_row(index, item, report)
        if row is None:
            report.errors.append(
                {
                    "feature": index,
                    "code": "",
                    "field": "feature",
                    "reason": _("not a GeoJSON Feature"),
                }
            )
            rows.append({"code": "", "name": ""})  # keeps rows numbered like features
            continue
        rows.append(row)
    plan = actions.plan_upsert(rows, actor=actor)
    plan_errors = [_as_feature_issue(e) for e in plan.errors]
    # A non-Feature already has its own error; its placeholder row's errors add nothing.
    bad_features = {e["feature"] for e in report.errors}
    report.errors.extend(e for e in plan_errors if e["feature"] not in bad_features)
    report.errors.sort(key=lambda e: e["feature"])
    report.warnings.extend(_as_feature_issue(w) for w in plan.warnings)
    if report.ok:
        report.warnings.extend(sibling_warnings(plan))
    if report.ok and not dry_run:
        report.summary = actions.upsert_regions(rows, actor=actor, source=source, plan=plan)
    return report


# --- overlaps, gaps, parts outside the parent ---------------------------------------------


def _stored_shapes(filter_kwargs: dict[str, Any]) -> dict[str, tuple[str | None, Any]]:
    """code → (parent code, shape) for stored regions that have a boundary."""
    found: dict[str, tuple[str | None, Any]] = {}
    qs = Region.objects.filter(**filter_kwargs).exclude(geometry=None)
    for code, boundary in qs.values_list("code", "geometry"):
        if boundary:
            found[code] = (codes.parent_code(code), geometry.shape_from_geojson(boundary))
    return found


def sibling_warnings(plan: actions.UpsertPlan) -> list[dict[str, Any]]:
    """Check every family the batch touches: its children against the parent and each other,
    taking stored regions into account for what the batch does not replace."""
    batch = {r.code: r for r in plan.rows}
    shaped = {c: r for c, r in batch.items() if r.geometry is not None and r.geometry.shape}
    parents = {r.parent_code for r in shaped.values() if r.parent_code}
    parents |= {c for c, r in shaped.items() if r.level < codes.GRID}
    if not parents:
        return []
    stored_parents = _stored_shapes({"code__in": sorted(parents - set(shaped))})
    stored_children = _stored_shapes({"parent__code__in": sorted(parents)})
    families: dict[str, dict[str, Any]] = defaultdict(dict)
    for code, (parent, shape) in stored_children.items():
        if code not in batch:
            families[parent or ""][code] = shape
    for code, planned in shaped.items():
        families[planned.parent_code or ""][code] = planned.geometry.shape  # type: ignore[union-attr]
    warnings: list[dict[str, Any]] = []
    for parent in sorted(parents):
        members = families.get(parent, {})
        if not members:
            continue
        parent_shape = shaped[parent].geometry.shape if parent in shaped else None  # type: ignore[union-attr]
        if parent_shape is None and parent in stored_parents:
            parent_shape = stored_parents[parent][1]
        for issue in geometry.sibling_issues(members, parent_shape):
            warnings.append(_issue_warning(issue, parent, batch))
    return warnings


def _issue_warning(issue: dict[str, Any], parent: str, batch: dict[str, Any]) -> dict[str, Any]:
    names = list(issue["names"])
    index = next((batch[n].index for n in names if n in batch), None)
    if index is None and parent in batch:
        index = batch[parent].index
    lon, lat = issue["point"]
    kinds = {
        "overlap": _("overlap between %(names)s"),
        "gap": _("gap inside %(parent)s not covered by its children"),
        "outside": _("%(names)s reaches outside its parent %(parent)s"),
    }
    where = kinds.get(issue["kind"], issue["kind"]) % {
        "names": ", ".join(names),
        "parent": parent,
    }
    reason = _("%(where)s: %(area)s m² near %(lon).6f,%(lat).6f") % {
        "where": where,
        "area": f"{issue['area_m2']:,.0f}",
        "lon": lon,
        "lat": lat,
    }
    return {
        "feature": index,
        "code": ",".join(names) or parent,
        "kind": issue["kind"],
        "reason": reason,
    }


# --- export -------------------------------------------------------------------------------


def export_feature_collection(user: Any, code: str, level: int | None = None) -> dict[str, Any]:
    """The node and its descendants (or only those of one level) as a FeatureCollection
    that ``import_feature_collection`` reads back unchanged."""
    region = queries.get_region_for(user, code)
    qs = Region.objects.filter(code__startswith=region.code).order_by("level", "code")
    if level is not None:
        if level not in codes.LEVELS:
            raise InvalidInput(
                _("Unknown level %(n)s.") % {"n": level}, fields={"level": _("unknown")}
            )
        qs = qs.filter(level=level)
    features = [
        {
            "type": "Feature",
            "id": row["code"],
            "geometry": row["geometry"],
            "properties": {
                "code": row["code"],
                "name": row["name"],
                "level": row["level"],
                "kind": row["kind"],
                "area_m2": round(row["area_m2"], 1) if row["area_m2"] is not None else None,
            },
        }
        for row in qs.values("code", "name", "level", "kind", "geometry", "area_m2").iterator(
            chunk_size=2000
        )
    ]
    return {"type": "FeatureCollection", "features": features}
