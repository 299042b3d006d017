"""The process-wide locate service: which unit grid holds a point.

One ``LocateIndex`` (a candidate lattice over every grid polygon) is kept per process, tagged with
the ``TerritoryRevision`` it was built from. Each call reads that one row (a primary-key
look-up) and rebuilds the index when grids changed since — in this process or any other.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from gridgov.core.errors import InvalidInput
from gridgov.territory import codes, geometry
from gridgov.territory.locate import LocateIndex
from gridgov.territory.models import Region, TerritoryRevision

MAX_BATCH = 10_000
_LOAD_CHUNK = 2000


@dataclass
class _Cached:
    stamp: tuple[Any, ...] | None = None
    index: LocateIndex | None = None


_cache = _Cached()
_lock = threading.Lock()


def _stamp() -> tuple[Any, ...]:
    """What identifies the current grid state: the revision counter and when it moved."""
    row = TerritoryRevision.objects.filter(pk=1).values_list("revision", "updated_at").first()
    return tuple(row) if row else (0, None)


def _build() -> LocateIndex:
    grid_codes: list[str] = []
    shapes: list[Any] = []
    grids = Region.objects.grids().exclude(geometry=None).values_list("code", "geometry")
    for code, boundary in grids.iterator(chunk_size=_LOAD_CHUNK):
        if not boundary:  # JSON null stored by older rows
            continue
        grid_codes.append(code)
        shapes.append(geometry.shape_from_geojson(boundary))
    return LocateIndex(grid_codes, shapes)


def current_index() -> LocateIndex:
    """The index for the grids as they are now, rebuilt when the revision moved."""
    stamp = _stamp()
    cached = _cache
    if cached.index is not None and cached.stamp == stamp:
        return cached.index
    with _lock:
        if _cache.index is None or _cache.stamp != stamp:
            _cache.index = _build()
            _cache.stamp = stamp
        return _cache.index


def forget() -> None:
    """Drop the cached index (tests, or after restoring a database)."""
    with _lock:
        _cache.index = None
        _cache.stamp = None


def _check_coordinates(lons: np.ndarray, lats: np.ndarray) -> None:
    bad_lon = ~np.isfinite(lons) | (lons < -180) | (lons > 180)
    bad_lat = ~np.isfinite(lats) | (lats < -90) | (lats > 90)
    fields: dict[str, str] = {}
    if bad_lon.any():
        fields["lon"] = _("longitude must be between -180 and 180")
    if bad_lat.any():
        fields["lat"] = _("latitude must be between -90 and 90")
    if fields:
        first = int(np.flatnonzero(bad_lon | bad_lat)[0])
        raise InvalidInput(
            _("Point %(i)d is not a valid longitude/latitude.") % {"i": first},
            fields=fields,
            details={"index": first},
        )


def _as_arrays(lons: Sequence[float], lats: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    try:
        lon_arr = np.asarray(lons, dtype=float).ravel()
        lat_arr = np.asarray(lats, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InvalidInput(
            _("Coordinates must be numbers."), fields={"points": _("not numbers")}
        ) from None
    if lon_arr.shape != lat_arr.shape:
        raise InvalidInput(
            _("As many longitudes as latitudes are needed."), fields={"points": _("length")}
        )
    if len(lon_arr) > MAX_BATCH:
        raise InvalidInput(
            _("At most %(n)d points per request.") % {"n": MAX_BATCH},
            fields={"points": _("too many")},
        )
    _check_coordinates(lon_arr, lat_arr)
    return lon_arr, lat_arr


def locate_many(lons: Sequence[float], lats: Sequence[float]) -> list[str | None]:
    """Grid code for each point (None outside every grid); unscoped — callers scope it."""
    lon_arr, lat_arr = _as_arrays(lons, lats)
    return list(current_index().locate_many(lon_arr, lat_arr))


def locate_code(lon: float, lat: float) -> str | None:
    if not (isinstance(lon, int | float) and isinstance(lat, int | float)):
        raise InvalidInput(_("Coordinates must be numbers."), fields={"lon": _("not a number")})
    return locate_many([lon], [lat])[0]


def locate(lon: float, lat: float) -> dict[str, Any] | None:
    """``{"grid_code", "path": [{code, name, level}, …]}`` for the grid holding the point,
    None outside every grid; unscoped — ``queries.locate_for`` is the scoped form."""
    code = locate_code(lon, lat)
    if code is None:
        return None
    return {"grid_code": code, "path": grid_path(code)}


def grid_path(grid_code: str) -> list[dict[str, Any]]:
    """City → … → grid, as {code, name, level}: one query for the whole chain."""
    chain = [*codes.ancestor_codes(grid_code), grid_code]
    names = dict(Region.objects.filter(code__in=chain).values_list("code", "name"))
    return [
        {"code": code, "name": names.get(code, ""), "level": codes.level_of(code)}
        for code in chain
        if code in names
    ]
