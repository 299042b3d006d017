"""Display helpers of the epidemic pages: the section tabs and colour badges."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from gridgov.accounts import scope
from gridgov.epidemic.actions.health_code import may_change_rules
from gridgov.epidemic.capabilities import DECLARE, VIEW
from gridgov.epidemic.models import Colour, RiskLevel
from gridgov.web.context import url_or_none

register = template.Library()

# (label, URL name, who sees it)
SECTIONS = (
    (_("Daily declarations"), "epidemic:sheet_home", lambda u: scope.has_capability(u, DECLARE)),
    (
        _("Risk areas"),
        "epidemic:risk_list",
        lambda u: scope.has_capability(u, VIEW) or scope.has_capability(u, "epidemic.manage"),
    ),
    (
        _("Arrivals from risk areas"),
        "epidemic:risk_arrivals",
        lambda u: scope.has_capability(u, VIEW),
    ),
    (_("Verify a code"), "epidemic:verify", lambda u: True),
    (_("Rules"), "epidemic:settings", may_change_rules),
)

COLOUR_TONES: dict[str, str] = {Colour.GREEN: "green", Colour.YELLOW: "yellow", Colour.RED: "red"}
RISK_TONES: dict[str, str] = {
    RiskLevel.LOW: "info",
    RiskLevel.MEDIUM: "yellow",
    RiskLevel.HIGH: "red",
}


@register.inclusion_tag("epidemic/includes/sections.html", takes_context=True)
def epidemic_sections(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    current = getattr(request.resolver_match, "view_name", "")
    tabs = []
    for label, name, shown in SECTIONS:
        url = url_or_none(name)
        if url and shown(request.user):
            tabs.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {"tabs": tabs, "current": current}


@register.filter
def colour_badge(colour: str) -> str:
    """The badge modifier of a health-code colour."""
    return "gg-badge--" + COLOUR_TONES.get(colour, "info")


@register.filter
def colour_label(colour: str) -> Any:
    return Colour(colour).label if colour in Colour.values else colour


@register.filter
def risk_badge(level: str) -> str:
    return "gg-badge--" + RISK_TONES.get(level, "info")


@register.filter
def risk_label(level: str) -> Any:
    return RiskLevel(level).label if level in RiskLevel.values else level


@register.filter
def qr_svg(token: str) -> Any:
    """The token as an inline SVG QR code (segno), for a checkpoint's scanner."""
    import segno
    from django.utils.safestring import mark_safe

    svg = segno.make(token, error="m").svg_inline(scale=5, border=2, dark="#111", light="#fff")
    return mark_safe(svg)  # noqa: S308 — segno's own markup of our token
