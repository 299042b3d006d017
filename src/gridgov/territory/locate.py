"""Point-in-grid look-up (no Django): which unit grid does a coordinate fall in?

Every fact carries its grid code (architecture rule 3), so imports and reports locate many
points at once. The index is an STRtree over the grid polygons queried with all points in one
vectorized call. The rule for points on a shared border, or inside an overlap left by bad data,
is deterministic: the grid with the lowest code wins, whichever order grids were loaded in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

__all__ = ["LocateIndex"]

CHUNK = 250_000
"""Points per tree query: bounds the temporary point and index arrays to a few tens of MB."""


class LocateIndex:
    """Locate lon/lat points in grid polygons; lowest code wins on borders and overlaps."""

    def __init__(self, codes: Sequence[str], geoms: Sequence[BaseGeometry]) -> None:
        if len(codes) != len(geoms):
            raise ValueError("codes and geoms must have the same length")
        code_arr = np.asarray(list(codes), dtype=object)
        order = np.argsort(code_arr.astype(str), kind="stable")
        self.codes: np.ndarray = code_arr[order]
        if len(self.codes) > 1 and np.any(self.codes[1:] == self.codes[:-1]):
            raise ValueError("grid codes must be unique")
        geom_arr = np.empty(len(geoms), dtype=object)
        geom_arr[:] = list(geoms)
        self.geoms: np.ndarray = geom_arr[order]
        # Tree index i is code rank i, so "lowest code" is simply "smallest tree index".
        self._tree = shapely.STRtree(self.geoms)

    def __len__(self) -> int:
        return len(self.codes)

    def locate_indices(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Index into `self.codes` of the grid holding each point, -1 outside every grid."""
        lons = np.asarray(lons, dtype=float).ravel()
        lats = np.asarray(lats, dtype=float).ravel()
        if lons.shape != lats.shape:
            raise ValueError("lons and lats must have the same length")
        out = np.full(len(lons), -1, dtype=np.int64)
        if not len(self.codes):
            return out
        for start in range(0, len(lons), CHUNK):
            stop = start + CHUNK
            out[start:stop] = self._locate_chunk(lons[start:stop], lats[start:stop])
        return out

    def _locate_chunk(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        out = np.full(len(lons), -1, dtype=np.int64)
        if not len(lons):
            return out
        points = shapely.points(lons, lats)
        point_idx, grid_idx = self._tree.query(points, predicate="intersects")
        if not len(point_idx):
            return out
        if np.any(point_idx[1:] < point_idx[:-1]):  # shapely returns them sorted; make sure
            order = np.argsort(point_idx, kind="stable")
            point_idx, grid_idx = point_idx[order], grid_idx[order]
        starts = np.flatnonzero(np.r_[True, point_idx[1:] != point_idx[:-1]])
        out[point_idx[starts]] = np.minimum.reduceat(grid_idx, starts)
        return out

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Grid code of each point (dtype object), None outside every grid."""
        index = self.locate_indices(lons, lats)
        codes = np.empty(len(index), dtype=object)
        found = index >= 0
        codes[found] = self.codes[index[found]]
        return codes

    def locate(self, lon: float, lat: float) -> str | None:
        """Grid code of one point, or None."""
        index = int(self.locate_indices(np.array([lon]), np.array([lat]))[0])
        return None if index < 0 else str(self.codes[index])

    def brute_force_locate(self, lon: float, lat: float) -> str | None:
        """Same answer by testing every polygon in code order: the baseline to beat and check."""
        point = Point(lon, lat)
        for code, geom in zip(self.codes, self.geoms, strict=True):
            if geom.intersects(point):
                return str(code)
        return None
