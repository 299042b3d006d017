"""What the demo city holds besides its territory and logins: residents, departments and
the responsibility list, a facility inventory, a year of case history and an epidemic
under way — so every page has something to show on first start.

Each step is the owning domain's own seeding function, run once: a step whose data is
already there adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from gridgov.demo.builder import ACTOR, CITY

Progress = Callable[[str, int, int], None]

# A year of cases spread over the detailed grids: enough for queues, maps and the
# evaluation page to look like a working city, quick enough for a first start.
HISTORY_CASES = 3000
# About forty residents per detailed grid, imported through the real import path.
RESIDENTS = 20000
COMPONENTS_PER_GRID = 3


def seed_content(*, progress: Progress | None = None, seed: int = 0) -> dict[str, int]:
    """Seed every domain's demo data into the built city; returns counts per step."""
    from gridgov.cases.catalogue_demo import seed_demo_responsibilities
    from gridgov.cases.components_demo import seed_demo_components
    from gridgov.cases.history import seed_demo_history
    from gridgov.cases.models import Case
    from gridgov.demo.residents import seed_residents
    from gridgov.epidemic.demo import seed_epidemic

    report = progress or (lambda step, done, total: None)
    steps: list[tuple[str, Callable[[], int]]] = [
        (
            _("Residents"),
            lambda: seed_residents(RESIDENTS, seed=seed, actor=ACTOR).created,
        ),
        (
            _("Departments and responsibility list"),
            lambda: seed_demo_responsibilities(CITY, actor=ACTOR),
        ),
        (
            _("Components"),
            lambda: seed_demo_components(CITY, count_per_grid=COMPONENTS_PER_GRID, seed=seed),
        ),
        (
            _("Case history"),
            lambda: (
                0
                if Case.objects.filter(grid_code__startswith=CITY).exists()
                else seed_demo_history(CITY, cases=HISTORY_CASES, seed=seed)
            ),
        ),
        (_("Epidemic response"), lambda: seed_epidemic(CITY, seed=seed)),
    ]
    counts: dict[str, int] = {}
    for done, (label, step) in enumerate(steps):
        report(label, done, len(steps))
        counts[label] = step()
        report(label, done + 1, len(steps))
    return counts
