"""Point-in-grid look-up (no Django): which unit grid does a coordinate fall in?

Every fact carries its grid code (architecture rule 3), so imports and reports locate many
points at once. The index is a uniform lattice over the grids' extent holding, for every cell,
the grids whose bounding box touches it. A point's cell is plain arithmetic, so finding
candidates needs no geometry objects at all (building a shapely Point per input point and
walking an R-tree cost more than the exact test itself); the exact test then runs on the
candidates only, vectorized over prepared polygons. The rule for points on a shared border, or
inside an overlap left by bad data, is deterministic: the grid with the lowest code wins,
whichever order grids were loaded in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

__all__ = ["LocateIndex"]

CHUNK = 250_000
"""Points per pass: bounds the temporary candidate arrays to a few tens of MB."""

CELLS_PER_GRID_SIDE = 8
"""Lattice cells along a typical grid's side: more cells, fewer candidates per point."""

MAX_CELLS_PER_AXIS = 4096
"""Caps the lattice at 16M cells whatever the spread of grid sizes."""


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + count)`` for every pair, without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + offsets


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
        shapely.prepare(self.geoms)
        self._build_lattice()

    def _build_lattice(self) -> None:
        # Grid i is code rank i; candidates of a cell are stored in ascending rank, so the
        # first candidate that holds a point is the lowest code.
        if not len(self.geoms):
            self._cells = np.zeros(0, dtype=np.int64)
            return
        bounds = shapely.bounds(self.geoms)
        self._west, self._south = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        east, north = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        sides = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        extent = max(east - self._west, north - self._south, 1e-9)
        self._cell = max(float(np.median(sides)) / CELLS_PER_GRID_SIDE, extent / MAX_CELLS_PER_AXIS)
        self._nx = int(np.ceil((east - self._west) / self._cell)) + 1
        self._ny = int(np.ceil((north - self._south) / self._cell)) + 1
        col0, row0 = self._cell_of(bounds[:, 0], bounds[:, 1])
        col1, row1 = self._cell_of(bounds[:, 2], bounds[:, 3])
        widths, heights = col1 - col0 + 1, row1 - row0 + 1
        counts = widths * heights
        grid = np.repeat(np.arange(len(self.geoms)), counts)
        offset = _ranges(np.zeros(len(counts), dtype=np.int64), counts)
        width = np.repeat(widths, counts)
        cell = (np.repeat(row0, counts) + offset // width) * self._nx + np.repeat(col0, counts)
        cell += offset % width
        order = np.lexsort((grid, cell))
        self._candidates = grid[order]
        self._cells = np.searchsorted(cell[order], np.arange(self._nx * self._ny + 1))

    def _cell_of(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(invalid="ignore"):
            cols = np.floor((lons - self._west) / self._cell)
            rows = np.floor((lats - self._south) / self._cell)
        # NaN and far-away points become -1: outside the lattice, so outside every grid.
        cols = np.where(np.isfinite(cols) & (cols >= 0) & (cols < self._nx), cols, -1)
        rows = np.where(np.isfinite(rows) & (rows >= 0) & (rows < self._ny), rows, -1)
        return cols.astype(np.int64), rows.astype(np.int64)

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
        cols, rows = self._cell_of(lons, lats)
        inside = np.flatnonzero((cols >= 0) & (rows >= 0))
        cell = rows[inside] * self._nx + cols[inside]
        first = self._cells[cell]
        counts = self._cells[cell + 1] - first
        point_idx = np.repeat(inside, counts)
        grid_idx = self._candidates[_ranges(first, counts)]
        hit = shapely.intersects_xy(self.geoms[grid_idx], lons[point_idx], lats[point_idx])
        point_idx, grid_idx = point_idx[hit], grid_idx[hit]
        if len(point_idx):
            # Pairs are grouped by point with candidates in rank order: the first hit wins.
            firsts = np.flatnonzero(np.r_[True, point_idx[1:] != point_idx[:-1]])
            out[point_idx[firsts]] = grid_idx[firsts]
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
