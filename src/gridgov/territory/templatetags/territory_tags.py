"""Template helpers of the territory pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

SQUARE_KM = 1_000_000


@register.filter
def area(value: Any) -> str:
    """An area in m², written the way people read it: m² below 0.1 km², km² above (two
    decimals under 100 km², one above). Digits are grouped by thousands in every language,
    as Chinese statistical tables do."""
    if value is None or value == "":
        return "—"
    m2 = float(value)
    if m2 < 100_000:
        return f"{m2:,.0f} m²"
    km2 = m2 / SQUARE_KM
    return f"{km2:,.2f} km²" if km2 < 100 else f"{km2:,.1f} km²"
