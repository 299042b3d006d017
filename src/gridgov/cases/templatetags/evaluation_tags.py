"""Template filters of the evaluation pages: rates as percentages, grades as badges."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

GRADE_TONES = {
    "A": "gg-badge--success",
    "B": "gg-badge--info",
    "C": "gg-badge--warning",
    "D": "gg-badge--danger",
    "E": "gg-badge--danger",
}


@register.filter
def percent(rate: Any) -> str:
    """0.93724 → "93.72%"; nothing to divide by → "—"."""
    if rate is None or rate == "":
        return "—"
    return f"{float(rate) * 100:.2f}%"


@register.filter
def grade_tone(grade: str) -> str:
    return GRADE_TONES.get(grade or "", "")


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None
