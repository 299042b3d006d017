"""The epidemic's demo content. Each module of this package seeds one concern with
``seed(city: str, *, seed: int) -> int`` (rows added; nothing when its data is already
there) and runs in the order of its ``ORDER`` (declarations before the reports that
count them)."""

from __future__ import annotations


def seed_epidemic(city: str, *, seed: int = 0) -> int:
    from gridgov.epidemic.concerns import modules

    return sum(
        module.seed(city, seed=seed)
        for module in sorted(modules("demo"), key=lambda module: module.ORDER)
    )
