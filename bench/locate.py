"""Benchmark: locate one million points in the unit grids of the full demo city, on one core.

    .venv/bin/python bench/locate.py [--points 1000000] [--sample 2000] [--home /tmp/gridgov-bench]

Uses its own GRIDGOV_HOME (default /tmp/gridgov-bench) and builds the full demo city N市 there
the first time (about a minute). Ours is territory.locate.LocateIndex.locate_indices (a
uniform lattice of candidate grids per cell, then one vectorized exact test); the baseline is
LocateIndex.brute_force_locate (test every polygon in code order, one point at a time),
measured in the same run on a sample, and the two must agree on every sampled point.
Target: 500,000 points/s.
"""

from __future__ import annotations

import os

# One core: no BLAS/OpenMP thread pools, and the process pinned to a single CPU.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

TARGET_POINTS_PER_SECOND = 500_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2000, help="points for the baseline")
    parser.add_argument("--home", default="/tmp/gridgov-bench", help="GRIDGOV_HOME to use")
    parser.add_argument("--seed", type=int, default=2020, help="seed of the points and city")
    parser.add_argument("--inside", type=float, default=0.9, help="share aimed inside grids")
    return parser.parse_args()


def setup(home: str) -> None:
    os.environ["GRIDGOV_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import django

    django.setup()


def ensure_full_city(seed: int) -> None:
    """Build the full demo city in this home unless it is already there."""
    from gridgov.audit import context
    from gridgov.core.cli import migrate
    from gridgov.demo import builder

    migrate()
    previous = builder.latest_build()
    if previous and previous.get("full") and int(previous["seed"]) == seed:
        return
    print(f"Building the full demo city N市 in {os.environ['GRIDGOV_HOME']} (once) …", flush=True)
    started = time.perf_counter()
    ctx = context.RequestContext(request_id=context.new_request_id(), channel="cli")
    with context.bound(ctx):
        rebuild = previous is not None and int(previous["seed"]) != seed
        summary = builder.build(seed=seed, full=True, rebuild=rebuild)
    print(f"  built in {time.perf_counter() - started:.1f} s: {summary.counts}", flush=True)


def load_index():  # type: ignore[no-untyped-def]
    from gridgov.territory.geometry import shape_from_geojson
    from gridgov.territory.locate import LocateIndex
    from gridgov.territory.models import Region

    rows = Region.objects.grids().exclude(geometry=None).values_list("code", "geometry")
    codes, shapes = [], []
    for code, boundary in rows.iterator(chunk_size=2000):
        codes.append(code)
        shapes.append(shape_from_geojson(boundary))
    return LocateIndex(codes, shapes)


def random_points(index, count: int, inside: float, seed: int):  # type: ignore[no-untyped-def]
    """Points over the grids' bounding box: a share drawn in random grids' boxes (so most
    fall in a grid), the rest uniform over the whole box (many outside the city)."""
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)
    bounds = shapely.bounds(index.geoms)
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    east, north = bounds[:, 2].max(), bounds[:, 3].max()
    near = int(count * inside)
    pick = bounds[rng.integers(len(bounds), size=near)]
    far = count - near
    lons = np.concatenate([rng.uniform(pick[:, 0], pick[:, 2]), rng.uniform(west, east, far)])
    lats = np.concatenate([rng.uniform(pick[:, 1], pick[:, 3]), rng.uniform(south, north, far)])
    order = rng.permutation(count)  # no accidental locality from the construction
    return lons[order], lats[order], (west, south, east, north)


def strtree_locate(index, lons, lats):  # type: ignore[no-untyped-def]
    """Every point against a shapely STRtree in one vectorized query; lowest code wins."""
    import numpy as np
    import shapely

    tree = shapely.STRtree(index.geoms)
    out = np.full(len(lons), -1, dtype=np.int64)
    for start in range(0, len(lons), 250_000):
        stop = start + 250_000
        points = shapely.points(lons[start:stop], lats[start:stop])
        point_idx, grid_idx = tree.query(points, predicate="intersects")
        best = np.full(len(points), np.iinfo(np.int64).max)
        np.minimum.at(best, point_idx, grid_idx)
        best[best == np.iinfo(np.int64).max] = -1
        out[start:stop] = best
    return out


def main() -> int:
    args = parse_args()
    setup(args.home)
    ensure_full_city(args.seed)

    started = time.perf_counter()
    index = load_index()
    load_seconds = time.perf_counter() - started
    lons, lats, box = random_points(index, args.points, args.inside, args.seed)

    started = time.perf_counter()
    found = index.locate_indices(lons, lats)
    ours_seconds = time.perf_counter() - started
    ours_rate = len(lons) / ours_seconds

    # A second reference: the vectorized STRtree query the lattice replaced (decision 0007).
    started = time.perf_counter()
    strtree_found = strtree_locate(index, lons, lats)
    strtree_seconds = time.perf_counter() - started
    strtree_rate = len(lons) / strtree_seconds
    strtree_agrees = bool((strtree_found == found).all())

    sample = min(args.sample, len(lons))
    started = time.perf_counter()
    pairs = zip(lons[:sample].tolist(), lats[:sample].tolist(), strict=True)
    baseline = [index.brute_force_locate(x, y) for x, y in pairs]
    baseline_seconds = time.perf_counter() - started
    baseline_rate = sample / baseline_seconds

    ours_codes = [str(index.codes[i]) if i >= 0 else None for i in found[:sample]]
    disagreements = sum(a != b for a, b in zip(ours_codes, baseline, strict=True))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    met = ours_rate >= TARGET_POINTS_PER_SECOND
    print()
    print("locate benchmark (one process, one core)")
    print(f"  grids                  {len(index):,}")
    print(f"  bounding box           {box[0]:.4f},{box[1]:.4f} – {box[2]:.4f},{box[3]:.4f}")
    print(f"  index load + build     {load_seconds:.2f} s")
    print(f"  points                 {len(lons):,} ({(found >= 0).mean():.1%} inside a grid)")
    print(f"  ours: seconds          {ours_seconds:.3f}")
    print(f"  ours: points/s         {ours_rate:,.0f}")
    print(f"  baseline: points       {sample:,} (brute force over every polygon)")
    print(f"  baseline: seconds      {baseline_seconds:.3f}")
    print(f"  baseline: points/s     {baseline_rate:,.0f}")
    print(f"  ratio ours/baseline    {ours_rate / baseline_rate:,.0f}×")
    print(f"  STRtree query: points/s {strtree_rate:,.0f} (agrees on all points: {strtree_agrees})")
    print(f"  ratio ours/STRtree     {ours_rate / strtree_rate:.2f}×")
    print(f"  agreement on sample    {sample - disagreements}/{sample}")
    verdict = "met" if met else "NOT met"
    print(f"  target                 {TARGET_POINTS_PER_SECOND:,} points/s: {verdict}")
    print(f"  peak memory            {peak_mb:,.0f} MB")
    return 0 if disagreements == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
