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


# The registry's own sections: (key, label, URL name, capability), shown above its pages.
SECTIONS = (
    ("people", _("People"), "registry:person_list", "registry.view"),
    ("households", _("Households"), "registry:household_list", "registry.view"),
    ("buildings", _("Buildings"), "registry:building_list", "registry.view"),
    ("arrivals", _("Arrivals"), "registry:arrivals", "registry.view"),
    ("proposals", _("To confirm"), "registry:proposal_list", "registry.view"),
    ("imports", _("Imports"), "registry:import_list", "registry.import"),
    ("export", _("Export"), "registry:export", "registry.export"),
)


@register.inclusion_tag("registry/includes/sections.html", takes_context=True)
def registry_sections(context: template.Context, active: str) -> dict[str, Any]:
    """The tabs of the registry pages the user may open, ``active`` marked."""
    user = context.get("user")
    tabs = []
    for key, label, url_name, capability in SECTIONS:
        url = url_or_none(url_name)
        if url and scope.has_capability(user, capability):
            tabs.append({"key": key, "label": label, "url": url, "active": key == active})
    return {"tabs": tabs}
