"""Generate unit grids for a community and split polygons into parts (no Django).

Both operations must tile their input exactly, because grids of a community may have neither
gaps nor overlaps (domain §1). The cutting lines are computed in an equal-area projection (so a
"10,000 m² cell" really is 10,000 m²), but the overlay with the input is done in lon/lat: PROJ's
inverse projection moves points by about a millimetre, and doing the overlay on the original
coordinates keeps every input vertex bit-exact, so grids still meet the neighbouring
community's grids exactly along the community border.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TypeAlias

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from gridgov.territory.geometry import equal_area_transformers, project, repair

__all__ = ["generate_grids", "split_polygon"]

Part: TypeAlias = Polygon | MultiPolygon

# Borders are compared in metres with this slack, so edges that coincide up to floating-point
# noise still count as shared; a contact shorter than _MIN_BORDER is a corner, not a border.
_EPS = 1e-4
_MIN_BORDER = 1e-2


def _checked(geom: BaseGeometry) -> Part:
    fixed, reason = repair(geom)
    if fixed is None:
        raise ValueError(f"geometry has no area: {reason}")
    return fixed


def _explode_polygons(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every non-empty polygon in `geoms`, with the index of the geometry it came from."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    while True:
        multi = np.isin(shapely.get_type_id(parts), (4, 5, 6, 7))
        if not multi.any():
            break
        sub, sub_index = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        index = np.concatenate([index[~multi], index[multi][sub_index]])
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, index = parts[keep], index[keep]
    order = np.argsort(index, kind="stable")
    return parts[order], index[order]


def _shared_borders(pieces_m: np.ndarray, sources: Sequence[int]) -> dict[int, dict[int, float]]:
    """Length of border each source piece shares with each piece touching it (metres)."""
    result: dict[int, dict[int, float]] = {int(i): {} for i in sources}
    if not len(sources) or len(pieces_m) < 2:
        return result
    src = np.asarray(sources, dtype=np.int64)
    grown = shapely.buffer(pieces_m[src], _EPS, quad_segs=1)
    tree = shapely.STRtree(pieces_m)
    at, other = tree.query(grown, predicate="intersects")
    keep = src[at] != other
    at, other = at[keep], other[keep]
    lengths = shapely.length(shapely.intersection(shapely.boundary(pieces_m[other]), grown[at]))
    for a, b, length in zip(src[at], other, lengths, strict=True):
        if length > _MIN_BORDER:
            result[int(a)][int(b)] = float(length)
    return result


def _merge_pieces(
    pieces_m: np.ndarray,
    areas: np.ndarray,
    anchors: np.ndarray,
    needs_merge: Callable[[float, bool], bool],
) -> list[list[int]]:
    """Merge pieces into neighbours until no group needs merging; return groups of indices.

    A group that `needs_merge(area, has_anchor)` joins the touching group with which it shares
    the longest border (ties: lowest index), smallest first; one that touches nothing stays
    alone. Border lengths are additive, so they are measured once between the original pieces.
    Only pieces that need merging at the start can ever need it (areas and anchors only grow).
    """
    n = len(pieces_m)
    needy = [i for i in range(n) if needs_merge(float(areas[i]), bool(anchors[i]))]
    borders = _shared_borders(pieces_m, needy)
    parent = list(range(n))
    area = [float(a) for a in areas]
    anchor = [bool(a) for a in anchors]

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    heap = [(area[i], i) for i in needy]
    heapq.heapify(heap)
    while heap:
        group_area, g = heapq.heappop(heap)
        if find(g) != g or group_area != area[g] or not needs_merge(area[g], anchor[g]):
            continue
        shared: dict[int, float] = defaultdict(float)
        for other, length in borders[g].items():
            root = find(other)
            if root != g:
                shared[root] += length
        if not shared:
            continue  # touches nothing: it stays alone
        target = min(shared, key=lambda r: (-shared[r], r))
        parent[g] = target
        area[target] += area[g]
        anchor[target] = anchor[target] or anchor[g]
        if target in borders:
            for other, length in borders[g].items():
                borders[target][other] = borders[target].get(other, 0.0) + length
        if needs_merge(area[target], anchor[target]):
            heapq.heappush(heap, (area[target], target))
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    return list(groups.values())


def _union(pieces: np.ndarray, members: Sequence[int]) -> Part:
    if len(members) == 1:
        geom = pieces[members[0]]
    else:
        geom = shapely.union_all(pieces[np.asarray(members)])
    polys = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def _to_metres(geoms: np.ndarray, forward: Transformer) -> np.ndarray:
    return np.asarray(project(geoms, forward), dtype=object)


def generate_grids(
    community: BaseGeometry,
    cell_area_m2: float = 10_000.0,
    sliver_ratio: float = 0.3,
) -> list[Part]:
    """Cut a community into unit grids of about `cell_area_m2` (万米单元网格).

    Square cells (side √area, in an equal-area projection, lattice anchored at the north-west
    corner of the community's bounding box) are clipped to the community. Pieces smaller than
    `sliver_ratio` × cell area, including stray fragments of a clipped cell, are merged into the
    neighbour sharing the longest border, so nobody is handed a 30 m² grid. The pieces tile the
    community exactly and are ordered by lattice row (north→south), then column (west→east),
    matching the 3-digit serial numbering of grid codes.
    """
    if not cell_area_m2 > 0:
        raise ValueError("cell_area_m2 must be positive")
    geom = _checked(community)
    forward, inverse = equal_area_transformers(geom)
    projected = project(geom, forward)
    if projected.area <= cell_area_m2:
        return [geom]

    side = math.sqrt(cell_area_m2)
    minx, miny, maxx, maxy = projected.bounds
    ncols = max(1, math.ceil((maxx - minx) / side))
    nrows = max(1, math.ceil((maxy - miny) / side))
    xs = minx + side * np.arange(ncols + 1)
    ys = maxy - side * np.arange(nrows + 1)
    # Push the outer lattice lines out so the lon/lat cells surely cover the community even
    # where its extreme vertices lie on the bounding box; the outer cells are clipped anyway.
    xs[0] -= side
    xs[-1] = max(xs[-1], maxx) + side
    ys[0] += side
    ys[-1] = min(ys[-1], miny) - side
    grid_x, grid_y = np.meshgrid(xs, ys)
    lon, lat = inverse.transform(grid_x.ravel(), grid_y.ravel())
    nodes = np.column_stack((lon, lat)).reshape(nrows + 1, ncols + 1, 2)
    rings = np.stack(
        [nodes[:-1, :-1], nodes[:-1, 1:], nodes[1:, 1:], nodes[1:, :-1], nodes[:-1, :-1]],
        axis=2,
    ).reshape(nrows * ncols, 5, 2)
    cells = shapely.polygons(rings)

    shapely.prepare(geom)
    hit = np.flatnonzero(shapely.intersects(geom, cells))
    inside = shapely.contains_properly(geom, cells[hit])
    clipped = cells[hit].copy()
    border = ~inside
    clipped[border] = shapely.intersection(cells[hit][border], geom)
    pieces, _source = _explode_polygons(clipped)
    pieces_m = _to_metres(pieces, forward)
    areas = shapely.area(pieces_m)
    keep = areas > 0
    pieces, pieces_m, areas = pieces[keep], pieces_m[keep], areas[keep]

    threshold = sliver_ratio * cell_area_m2
    groups = _merge_pieces(
        pieces_m,
        areas,
        np.zeros(len(pieces), dtype=bool),
        lambda area, _anchor: area < threshold,
    )
    grids = [_union(pieces, members) for members in groups]
    points = shapely.get_coordinates(
        project(shapely.point_on_surface(np.asarray(grids, dtype=object)), forward)
    )
    rows = np.floor((maxy - points[:, 1]) / side)
    cols = np.floor((points[:, 0] - minx) / side)
    order = np.lexsort((points[:, 0], -points[:, 1], cols, rows))
    return [grids[i] for i in order]


# --------------------------------------------------------------------------------------------
# split_polygon


def _sample_inside(projected: BaseGeometry, size: int, rng: np.random.Generator) -> np.ndarray:
    """`size` uniform random points inside a projected polygon (rejection sampling)."""
    minx, miny, maxx, maxy = projected.bounds
    ratio = projected.area / max((maxx - minx) * (maxy - miny), 1e-12)
    found: list[np.ndarray] = []
    total = 0
    for _ in range(1000):
        batch = int(min(max(2 * (size - total) / max(ratio, 1e-3), 64), 2_000_000))
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(batch, 2))
        xy = xy[shapely.contains_xy(projected, xy[:, 0], xy[:, 1])]
        found.append(xy)
        total += len(xy)
        if total >= size:
            break
    points = np.concatenate(found)[:size]
    if len(points) < size:
        raise ValueError("could not sample points inside the geometry")
    return points


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for each point, in chunks to bound memory."""
    out = np.empty(len(points), dtype=np.int64)
    step = max(1, 4_000_000 // max(len(centres), 1))
    norms = (centres**2).sum(axis=1)
    for start in range(0, len(points), step):
        chunk = points[start : start + step]
        dist = norms[None, :] - 2 * chunk @ centres.T
        out[start : start + step] = np.argmin(dist, axis=1)
    return out


def _initial_sites(projected: BaseGeometry, count: int, rng: np.random.Generator) -> np.ndarray:
    """Well-spread sites: k-means++ then k-means on uniform samples of the polygon.

    Discrete k-means approximates a centroidal Voronoi tessellation cheaply, so the geometric
    Lloyd steps that follow only polish it.
    """
    samples = _sample_inside(projected, min(max(40 * count, 2_000), 40_000), rng)
    centres = np.empty((count, 2))
    centres[0] = samples[rng.integers(len(samples))]
    dist = ((samples - centres[0]) ** 2).sum(axis=1)
    for k in range(1, count):
        total = dist.sum()
        pick = rng.choice(len(samples), p=dist / total) if total > 0 else rng.integers(len(samples))
        centres[k] = samples[pick]
        dist = np.minimum(dist, ((samples - centres[k]) ** 2).sum(axis=1))
    for _ in range(15):
        label = _nearest(samples, centres)
        counts = np.bincount(label, minlength=count)
        sums = np.zeros((count, 2))
        np.add.at(sums, label, samples)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return centres


def _extent(projected: BaseGeometry, sites: np.ndarray) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = projected.bounds
    minx, miny = min(minx, sites[:, 0].min()), min(miny, sites[:, 1].min())
    maxx, maxy = max(maxx, sites[:, 0].max()), max(maxy, sites[:, 1].max())
    pad = max(maxx - minx, maxy - miny, 1.0)
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def _voronoi_cells(sites: np.ndarray, extent: tuple[float, float, float, float]) -> np.ndarray:
    """Voronoi cells in the order of `sites`, covering `extent`."""
    try:
        diagram = shapely.voronoi_polygons(
            shapely.multipoints(sites), extend_to=shapely.box(*extent), ordered=True
        )
    except shapely.errors.GEOSException as exc:  # GEOS refuses coincident sites
        raise ValueError("seeds must be distinct points") from exc
    cells = np.asarray(shapely.get_parts(diagram), dtype=object)
    if len(cells) != len(sites):
        raise ValueError("seeds must be distinct points")
    return cells


def _clip_half_plane(
    ring: list[tuple[float, float]],
    labels: list[int],
    normal: tuple[float, float],
    offset: float,
    label: int,
) -> tuple[list[tuple[float, float]], list[int]]:
    """Sutherland–Hodgman clip of a convex ring to n·u <= offset, tracking edge labels.

    labels[k] names what produced the edge ring[k] -> ring[k+1] (a neighbouring site, or -1
    for the frame), so shared borders can be measured without another overlay.
    """
    nx, ny = normal
    out: list[tuple[float, float]] = []
    out_labels: list[int] = []
    size = len(ring)
    for k in range(size):
        p, q = ring[k], ring[(k + 1) % size]
        dp = nx * p[0] + ny * p[1] - offset
        dq = nx * q[0] + ny * q[1] - offset
        if dp <= 0:
            out.append(p)
            out_labels.append(labels[k])
            if dq > 0:
                t = dp / (dp - dq)
                out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
                out_labels.append(label)
        elif dq <= 0:
            t = dp / (dp - dq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
            out_labels.append(labels[k])
    return out, out_labels


def _power_cells(
    sites: np.ndarray, weights: np.ndarray, extent: tuple[float, float, float, float]
) -> tuple[list[list[tuple[float, float]]], list[list[int]]]:
    """Power-diagram (Laguerre) cells as rings relative to their sites, with edge labels.

    Cell i = {x : |x−s_i|² − w_i <= |x−s_j|² − w_j for all j}. Half-planes are applied nearest
    first and we stop once the next bisector lies beyond the cell's farthest vertex.
    """
    n = len(sites)
    delta = sites[None, :, :] - sites[:, None, :]  # delta[i, j] = s_j - s_i
    dist = np.sqrt((delta**2).sum(axis=2))
    np.fill_diagonal(dist, 1.0)  # never used: the diagonal of reach is skipped
    reach = (dist**2 + weights[:, None] - weights[None, :]) / (2 * dist)  # bisector offset
    np.fill_diagonal(reach, np.inf)
    minx, miny, maxx, maxy = extent
    rings: list[list[tuple[float, float]]] = []
    labels: list[list[int]] = []
    for i in range(n):
        sx, sy = sites[i]
        ring = [(minx - sx, miny - sy), (maxx - sx, miny - sy), (maxx - sx, maxy - sy)]
        ring.append((minx - sx, maxy - sy))
        ring_labels = [-1, -1, -1, -1]
        for j in np.argsort(reach[i]):
            if j == i or not ring:
                break
            radius = max(math.hypot(x, y) for x, y in ring)
            if reach[i, j] >= radius:
                break
            d = dist[i, j]
            normal = (delta[i, j, 0] / d, delta[i, j, 1] / d)
            ring, ring_labels = _clip_half_plane(ring, ring_labels, normal, reach[i, j], int(j))
        rings.append(ring)
        labels.append(ring_labels)
    return rings, labels


def _snap_rings(
    rings: list[list[tuple[float, float]]], sites: np.ndarray, tolerance: float
) -> np.ndarray:
    """Absolute polygons from power-cell rings, vertices closer than `tolerance` made identical.

    Each cell is computed on its own, so a vertex shared by three cells comes out three times
    with different rounding; snapping makes the cells share vertices exactly, as a coverage.
    """
    sizes = np.array([len(r) for r in rings], dtype=np.int64)
    if sizes.sum() == 0:
        return np.array([Polygon() for _ in rings], dtype=object)
    coords = np.concatenate(
        [np.asarray(r, dtype=float).reshape(-1, 2) + sites[i] for i, r in enumerate(rings)]
    )
    points = shapely.points(coords)
    left, right = shapely.STRtree(points).query(points, predicate="dwithin", distance=tolerance)
    label = np.arange(len(coords))
    while True:
        new = label.copy()
        np.minimum.at(new, left, label[right])
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    coords = coords[label]
    polygons = []
    start = 0
    for size in sizes:
        ring = coords[start : start + size]
        start += size
        if size:
            keep = np.ones(size, dtype=bool)
            keep[1:] = np.any(ring[1:] != ring[:-1], axis=1)
            ring = ring[keep]
            if len(ring) > 1 and np.array_equal(ring[0], ring[-1]):
                ring = ring[:-1]
        polygons.append(Polygon(ring) if len(ring) >= 3 else Polygon())
    return np.array(polygons, dtype=object)


def _cell_polygons(sites: np.ndarray, rings: list[list[tuple[float, float]]]) -> np.ndarray:
    return np.array(
        [
            Polygon(np.asarray(r) + sites[i]) if len(r) >= 3 else Polygon()
            for i, r in enumerate(rings)
        ],
        dtype=object,
    )


def _border_hessian(
    sites: np.ndarray,
    rings: list[list[tuple[float, float]]],
    labels: list[list[int]],
    projected: BaseGeometry,
) -> np.ndarray:
    """d(area_i)/d(w_j): a graph Laplacian of the borders inside the polygon.

    Raising w_i by δ moves the border with j by δ / (2 d_ij), so cell i gains L_ij δ / (2 d_ij)
    there. Each border is seen from both cells, hence the quarter per sighting.
    """
    n = len(sites)
    starts, ends, owners, others = [], [], [], []
    for i, (ring, ring_labels) in enumerate(zip(rings, labels, strict=True)):
        for k, j in enumerate(ring_labels):
            if j >= 0:
                starts.append(ring[k])
                ends.append(ring[(k + 1) % len(ring)])
                owners.append(i)
                others.append(j)
    hessian = np.zeros((n, n))
    if owners:
        a, b = np.asarray(owners), np.asarray(others)
        segments = np.stack([np.asarray(starts) + sites[a], np.asarray(ends) + sites[a]], axis=1)
        inside = shapely.intersection(shapely.linestrings(segments), projected)
        gain = shapely.length(inside) / (4 * np.sqrt(((sites[a] - sites[b]) ** 2).sum(axis=1)))
        np.add.at(hessian, (a, b), -gain)
        np.add.at(hessian, (b, a), -gain)
    hessian[np.diag_indices(n)] = -hessian.sum(axis=1)
    return hessian


def _balance_weights(
    sites: np.ndarray,
    targets: np.ndarray,
    projected: BaseGeometry,
    extent: tuple[float, float, float, float],
) -> np.ndarray:
    """Power weights giving each clipped cell its target area, by damped Newton from zero.

    This is the semi-discrete optimal-transport dual: its gradient is (target - area) and its
    Hessian the border Laplacian, so a handful of steps reach 0.1 %. Steps are halved until
    the error falls and no cell vanishes; a cell squeezed out of the polygon is first given
    back its own site.
    """
    n = len(sites)
    dist2 = ((sites[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(dist2, np.inf)

    def evaluate(w: np.ndarray) -> tuple[np.ndarray, list, list]:
        rings, labels = _power_cells(sites, w, extent)
        areas = shapely.area(shapely.intersection(_cell_polygons(sites, rings), projected))
        return areas, rings, labels

    weights = np.zeros(n)
    areas, rings, labels = evaluate(weights)
    for _ in range(50):
        error = targets - areas
        if np.max(np.abs(error) / targets) < 1e-3:
            break
        hessian = _border_hessian(sites, rings, labels, projected)
        stuck = np.diag(hessian) <= 0
        if stuck.any():
            # Site i is in its own cell once w_i >= w_j - d_ij² for every j.
            weights = weights.copy()
            for i in np.flatnonzero(stuck):
                weights[i] = np.max(weights - dist2[i]) + 1e-6 * targets[i]
            areas, rings, labels = evaluate(weights)
            continue
        step = np.linalg.lstsq(hessian, error, rcond=None)[0]
        norm = float(np.linalg.norm(error))
        for _halving in range(20):
            trial = weights + step
            trial_areas, trial_rings, trial_labels = evaluate(trial)
            if trial_areas.min() > 0 and np.linalg.norm(targets - trial_areas) < norm:
                break
            step = step / 2
        else:
            break  # no step improves: keep the best weights found
        weights, areas, rings, labels = trial, trial_areas, trial_rings, trial_labels
    return weights


def _reading_order(points: np.ndarray, band: float) -> np.ndarray:
    """Order points north→south in bands of height `band`, west→east inside a band."""
    rows = np.floor((points[:, 1].max() - points[:, 1]) / band)
    return np.lexsort((-points[:, 1], points[:, 0], rows))


def split_polygon(
    geom: BaseGeometry,
    seeds: Sequence[tuple[float, float]] | None = None,
    count: int | None = None,
    weights: Sequence[float] | None = None,
    rng_seed: int = 0,
    relax_steps: int | None = None,
) -> list[Part]:
    """Split a (Multi)Polygon into parts that tile it exactly, one per seed.

    Without weights the parts are the Voronoi cells of the seeds; with weights they are
    power-diagram cells whose areas are proportional to the weights (a power diagram is a
    Voronoi diagram with additive weights, the standard way to get cells of given size with
    straight borders). Missing seeds are sampled deterministically from `rng_seed` and relaxed
    with `relax_steps` Lloyd steps (default 2; 0 for given seeds, which stay where they are).

    Parts follow the seeds' order; sampled seeds are put in reading order (north→south bands,
    west→east), and `weights[k]` is the weight of part k. A fragment of a cell cut off from
    its seed by the polygon's shape joins the neighbouring part it shares most border with, so
    a one-polygon input gives one-polygon parts.
    """
    shape = _checked(geom)
    if seeds is not None:
        n = len(seeds)
        if count is not None and count != n:
            raise ValueError("count does not match the number of seeds")
    elif count is not None:
        n = int(count)
    else:
        raise ValueError("give seeds or count")
    if n < 1:
        raise ValueError("count must be at least 1")
    weight_arr: np.ndarray | None = None
    if weights is not None:
        weight_arr = np.asarray(weights, dtype=float)
        if weight_arr.shape != (n,) or not np.all(np.isfinite(weight_arr) & (weight_arr > 0)):
            raise ValueError("weights must be one positive number per part")
    if n == 1:
        return [shape]

    forward, inverse = equal_area_transformers(shape)
    projected = project(shape, forward)
    shapely.prepare(projected)
    rng = np.random.Generator(np.random.PCG64(rng_seed))
    sampled = seeds is None
    if seeds is None:
        sites = _initial_sites(projected, n, rng)
        sites = sites[_reading_order(sites, math.sqrt(projected.area / n))]
    else:
        lon_lat = np.asarray(seeds, dtype=float).reshape(n, 2)
        sites = np.column_stack(forward.transform(lon_lat[:, 0], lon_lat[:, 1]))
    if len(np.unique(np.round(sites, 6), axis=0)) != n:
        raise ValueError("seeds must be distinct points")
    steps = (2 if sampled else 0) if relax_steps is None else relax_steps
    extent = _extent(projected, sites)
    weighted = weight_arr is not None

    if not weighted:
        for _ in range(steps):
            cells_m = shapely.intersection(_voronoi_cells(sites, extent), projected)
            sites = _relaxed(cells_m, sites)
        cells_m = _voronoi_cells(sites, extent)
    else:
        assert weight_arr is not None
        targets = weight_arr / weight_arr.sum() * projected.area
        for step in range(steps + 1):
            power = _balance_weights(sites, targets, projected, extent)
            rings, _labels = _power_cells(sites, power, extent)
            if step == steps:
                break
            cells_m = shapely.intersection(_cell_polygons(sites, rings), projected)
            sites = _relaxed(cells_m, sites)
        cells_m = _snap_rings(rings, sites, tolerance=1e-6)

    cells = np.asarray(project(cells_m, inverse), dtype=object)
    site_points = shapely.points(np.column_stack(inverse.transform(sites[:, 0], sites[:, 1])))
    pieces, owner = _explode_polygons(shapely.intersection(cells, shape))
    if len(np.unique(owner)) != n:
        missing = sorted(set(range(n)) - set(owner.tolist()))
        raise ValueError(f"seed(s) {missing} give no part inside the geometry")
    pieces_m = _to_metres(pieces, forward)
    areas = shapely.area(pieces_m)
    # The anchor of each part is its fragment holding the seed, else its largest fragment.
    anchors = np.zeros(len(pieces), dtype=bool)
    holds_seed = shapely.intersects(pieces, site_points[owner])
    for part in range(n):
        mine = np.flatnonzero(owner == part)
        with_seed = mine[holds_seed[mine]]
        anchors[with_seed[0] if len(with_seed) else mine[np.argmax(areas[mine])]] = True
    groups = _merge_pieces(pieces_m, areas, anchors, lambda _area, anchor: not anchor)
    members_of: dict[int, list[int]] = defaultdict(list)
    for members in groups:
        anchored = [i for i in members if anchors[i]]
        part = int(owner[anchored[0]] if anchored else owner[members[0]])
        members_of[part].extend(members)
    parts = [_union(pieces, sorted(members_of[k])) for k in range(n)]
    if sampled and not weighted:
        points = shapely.get_coordinates(
            project(shapely.point_on_surface(np.asarray(parts, dtype=object)), forward)
        )
        parts = [parts[i] for i in _reading_order(points, math.sqrt(projected.area / n))]
    return parts


def _relaxed(cells_m: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """One Lloyd step: move each site to its clipped cell's centroid (kept inside the cell)."""
    moved = sites.copy()
    for i, cell in enumerate(cells_m):
        if cell is None or cell.is_empty or cell.area == 0:
            continue
        point = cell.centroid
        if not cell.intersects(point):
            point = cell.point_on_surface()
        moved[i] = (point.x, point.y)
    if len(np.unique(moved, axis=0)) != len(moved):
        return sites
    return moved
