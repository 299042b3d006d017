"""Scoped reads of the component inventory (architecture rule 2).

A component is visible to a user holding ``components.view`` over its grid: grid workers
and community staff their grids, township staff, supervision and command centres their
area, a department the territory it serves (a department's role is bound to that
territory's code). Outside the scope a component does not exist for the user.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.cases.models import (
    Attachment,
    AttachmentPurpose,
    CaseClass,
    CaseKind,
    Component,
    ComponentCount,
    ComponentState,
)
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.territory import codes
from gridgov.territory.queries import TooManyFeatures

VIEW = "components.view"
MAP_LIMIT = 3000  # features one map request carries; more is refused (narrow the area)
MAP_MAX = 10000
# Marker colours per state on maps (and badges' tones in pages).
STATE_COLOURS: dict[str, str] = {
    ComponentState.INTACT: "#3f9f6b",
    ComponentState.DAMAGED: "#f0b429",
    ComponentState.LOST: "#d64545",
    ComponentState.OCCUPIED: "#7b61c9",
}
STATE_TONES: dict[str, str] = {
    ComponentState.INTACT: "success",
    ComponentState.DAMAGED: "warning",
    ComponentState.LOST: "danger",
    ComponentState.OCCUPIED: "info",
}


def visible_components(user: Any) -> QuerySet[Component]:
    """Every component in the user's scope, retired ones included."""
    return Component.objects.filter(scope.scope_filter(user, capability=VIEW))


def get_component_for(user: Any, component_id: Any) -> Component:
    """A component by its key, or by its 16-digit ID; NotFound outside the scope."""
    text = str(component_id or "").strip()
    rows = visible_components(user).select_related("case_class__parent", "competent_department")
    try:
        if len(text) == 16 and text.isdigit():
            return rows.get(component_id=text)
        return rows.get(pk=int(text))
    except (Component.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def _valid_code(code: str, field: str) -> str:
    code = str(code or "").strip()
    if code and (not code.isdigit() or len(code) not in codes.LEVEL_BY_LENGTH):
        raise InvalidInput(
            _("%(field)s: a territory code of 4, 6, 9, 12 or 15 digits") % {"field": field},
            fields={field: _("a territory code of 4, 6, 9, 12 or 15 digits")},
        )
    return code


def search_components(
    user: Any,
    q: str = "",
    class_code: str = "",
    state: str = "",
    code: str = "",
    department: Any = None,
    retired: bool | None = False,
) -> QuerySet[Component]:
    """Visible components matching every filter given: ``q`` an ID prefix (digits) or
    part of the name; ``class_code`` a major (2 digits) or minor (4) class; ``code`` a
    territory node (code prefix); ``department`` the competent department's key;
    ``retired`` False (default) for the inventory in use, True for retired, None both."""
    rows = visible_components(user)
    q = "".join(ch for ch in str(q or "") if ch.isprintable()).strip()
    if q:
        rows = rows.filter(
            Q(component_id__startswith=q) | Q(name__icontains=q)
            if q.isdigit()
            else Q(name__icontains=q)
        )
    if class_code:
        rows = rows.filter(case_class__code__startswith=str(class_code).strip())
    if state:
        if state not in ComponentState.values:
            raise InvalidInput(
                fields={
                    "state": _("one of: %(choices)s")
                    % {"choices": ", ".join(ComponentState.values)}
                }
            )
        rows = rows.filter(state=state)
    code = _valid_code(code, "code")
    if code:
        rows = rows.filter(grid_code__startswith=code)
    if department not in (None, ""):
        rows = rows.filter(competent_department_id=department)
    if retired is not None:
        rows = rows.filter(retired_at__isnull=not retired)
    return rows


def component_list(user: Any, **filters: Any) -> QuerySet[Component]:
    """``search_components`` with what a list row shows, in ID order."""
    return (
        search_components(user, **filters)
        .select_related("case_class", "competent_department")
        .order_by("component_id")
    )


def state_counts(rows: QuerySet[Component]) -> dict[str, int]:
    """{state: n} over a search's rows (one GROUP BY), every state present."""
    found = dict(rows.order_by().values_list("state").annotate(n=Count("id")))
    return {state: found.get(state, 0) for state in ComponentState.values}


def component_counts(user: Any, code: str) -> dict[str, Any]:
    """Components in use under a territory node: the total, per state, and per minor
    class with its states — read from the roll-up (``ComponentCount``), never from the
    components themselves, so a city costs what its grids cost (architecture rule 4)."""
    code = _valid_code(code, "code")
    scope.require(user, VIEW, code or None)
    rows = (
        ComponentCount.objects.filter(grid_code__startswith=code)
        .order_by()
        .values_list("class_code", "state")
        .annotate(total=Sum("n"))
    )
    by_class: dict[str, dict[str, int]] = {}
    by_state = dict.fromkeys(ComponentState.values, 0)
    for class_code, state, n in rows:
        if not n or state not in by_state:
            continue
        by_class.setdefault(class_code, dict.fromkeys(ComponentState.values, 0))[state] = n
        by_state[state] += n
    names = dict(
        CaseClass.objects.filter(kind=CaseKind.COMPONENT, code__in=by_class).values_list(
            "code", "name"
        )
    )
    return {
        "code": code,
        "total": sum(by_state.values()),
        "by_state": by_state,
        "by_class": [
            {
                "code": class_code,
                "name": names.get(class_code, ""),
                "total": sum(states.values()),
                "by_state": states,
            }
            for class_code, states in sorted(by_class.items())
        ],
    }


def photos(component: Component) -> QuerySet[Attachment]:
    """The facility's photos, newest first (the first is shown as its photo)."""
    return component.attachments.filter(purpose=AttachmentPurpose.COMPONENT).order_by(
        "-uploaded_at", "-id"
    )


def cases_about(user: Any, component: Component) -> QuerySet[Any]:
    """The cases about a component that the user may see (the workflow's scoping)."""
    from gridgov.cases.models import Case

    try:
        from gridgov.cases.queries.workflow import visible_cases
    except ImportError:  # the workflow's queries have not landed: show nothing
        return Case.objects.none()
    return visible_cases(user).filter(component=component).order_by("-reported_at")


# --- maps ---------------------------------------------------------------------------------


def component_url(pk: int) -> str:
    return reverse("cases:component_detail", args=[pk])


def point(lon: float | None, lat: float | None) -> dict[str, Any] | None:
    if lon is None or lat is None:
        return None
    return {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}


def components_geojson(
    user: Any,
    code: str,
    bbox: Sequence[float] | None = None,
    *,
    class_code: str = "",
    state: str = "",
    limit: int = MAP_LIMIT,
) -> dict[str, Any]:
    """The located components in use under a territory node (and within ``bbox``) as
    Point features for a map layer: code (the ID), name, label, state, colour, url.

    Bounded: more than ``limit`` matching components is refused rather than cut, so a
    map never silently shows part of an area — the client narrows the node or the bbox.
    """
    code = _valid_code(code, "code")
    if not code:
        raise InvalidInput(fields={"code": _("required")})
    scope.require(user, VIEW, code)
    limit = max(1, min(int(limit), MAP_MAX))
    rows = search_components(user, class_code=class_code, state=state, code=code).exclude(lon=None)
    if bbox is not None:
        west, south, east, north = bbox
        rows = rows.filter(lon__gte=west, lon__lte=east, lat__gte=south, lat__lte=north)
    found = list(
        rows.order_by("component_id").values_list(
            "pk", "component_id", "name", "state", "lon", "lat", "case_class__code"
        )[: limit + 1]
    )
    if len(found) > limit:
        raise TooManyFeatures(
            _("More than %(n)d components match; choose a smaller area or a class.") % {"n": limit},
            fields={"bbox": _("too many components; narrow the area")},
        )
    labels = dict(ComponentState.choices)
    features = [
        {
            "type": "Feature",
            "id": component_id,
            "geometry": point(lon, lat),
            "properties": {
                "code": component_id,
                "name": name,
                "label": f"{name} · {labels.get(state, state)}",
                "kind": "component",
                "class_code": class_code_,
                "state": state,
                "color": STATE_COLOURS.get(state, "#3b5670"),
                "url": component_url(pk),
            },
        }
        for pk, component_id, name, state, lon, lat, class_code_ in found
    ]
    return {"type": "FeatureCollection", "features": features}
