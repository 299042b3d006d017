"""Coordinates as people type them: longitude and latitude in degrees."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _


def degrees(value: Any, axis: str) -> float | None:
    """A longitude (``axis`` "lon") or latitude ("lat") in degrees, WGS84/CGCS2000; None
    for an empty value. ValueError, its message the reason, for anything else out of range."""
    if value in (None, ""):
        return None
    limit = 180 if axis == "lon" else 90
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and -limit <= number <= limit):
        raise ValueError(_("a number of degrees between -%(n)d and %(n)d") % {"n": limit})
    return number
