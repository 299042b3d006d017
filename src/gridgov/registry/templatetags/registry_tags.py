"""Small display helpers of the registry pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from gridgov.accounts import scope
from gridgov.registry import identity
from gridgov.registry.forms import disability_label
from gridgov.web.context import url_or_none

register = template.Library()

# Completeness score bands for colours: the same thresholds as the map's legend.
GOOD_SCORE = 90
FAIR_SCORE = 75


@register.filter
def age(person: Any) -> int | None:
    """A person's age today (from the birth date, else the birth year), or None."""
    today = dt.date.today()
    if getattr(person, "birth_date", None):
        return identity.age_on(person.birth_date, today)
    if getattr(person, "birth_year", None):
        return today.year - person.birth_year
    return None


@register.filter
def disability(value: str) -> Any:
    return disability_label(value)


@register.filter
def score_tone(score: float | None) -> str:
    """The badge modifier for a completeness score: success, warning or danger."""
    if score is None:
        return ""
    if score >= GOOD_SCORE:
        return "gg-badge--success"
    if score >= FAIR_SCORE:
        return "gg-badge--warning"
    return "gg-badge--danger"


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


# The registry's own sections: (label, URL name, capability), the tabs above its pages.
SECTIONS = (
    (_("People"), "registry:person_list", "registry.view"),
    (_("Households"), "registry:household_list", "registry.view"),
    (_("Buildings"), "registry:building_list", "registry.view"),
    (_("Arrivals"), "registry:arrivals", "registry.view"),
    (_("To confirm"), "registry:proposal_list", "registry.view"),
    (_("Imports"), "registry:import_list", "registry.import"),
    (_("Export"), "registry:export", "registry.export"),
)


@register.inclusion_tag("registry/includes/sections.html", takes_context=True)
def registry_sections(context: template.Context) -> dict[str, Any]:
    """The tabs of the registry pages the user may open, the current page's marked."""
    user = context.get("user")
    current = _current_view(context)
    tabs = []
    for label, url_name, capability in SECTIONS:
        url = url_or_none(url_name)
        if url and scope.has_capability(user, capability):
            tabs.append({"label": label, "url": url, "active": url_name == current})
    return {"tabs": tabs}


@register.simple_tag(takes_context=True)
def section_label(context: template.Context) -> Any:
    """The name of the current page's tab ("" on a page that has none)."""
    current = _current_view(context)
    return next((label for label, name, _capability in SECTIONS if name == current), "")


def _current_view(context: template.Context) -> str:
    match = getattr(context.get("request"), "resolver_match", None)
    return match.view_name if match else ""
