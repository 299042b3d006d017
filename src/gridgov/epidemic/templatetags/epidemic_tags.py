"""Display helpers of the epidemic pages: the section tabs and colour badges."""

from __future__ import annotations

from typing import Any

from django import template

from gridgov.epidemic.models import Colour, RiskLevel

register = template.Library()

COLOUR_TONES: dict[str, str] = {Colour.GREEN: "green", Colour.YELLOW: "yellow", Colour.RED: "red"}
RISK_TONES: dict[str, str] = {
    RiskLevel.LOW: "info",
    RiskLevel.MEDIUM: "yellow",
    RiskLevel.HIGH: "red",
}


@register.inclusion_tag("epidemic/includes/sections.html", takes_context=True)
def epidemic_sections(context: dict[str, Any]) -> dict[str, Any]:
    """The tabs to the epidemic's sections this user may open (``sections.py``)."""
    from gridgov.epidemic.sections import sections_for

    request = context["request"]
    return {"tabs": sections_for(request.user, request.path)}


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
