"""State changes of the demo app (architecture rule 1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction

from gridgov.audit.actions import record
from gridgov.territory import codes
from gridgov.territory.actions import bump_revision, require_edit_over
from gridgov.territory.models import Region

_CHUNK = 500


def _referenced_ids(ids: Sequence[int]) -> set[int]:
    """Regions something else still points to (roles, departments, grid assignments …)."""
    found: set[int] = set()
    for relation in Region._meta.related_objects:
        if relation.on_delete is not models.PROTECT or relation.related_model is Region:
            continue
        name = relation.field.name
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            found.update(
                relation.related_model._base_manager.filter(**{f"{name}__in": chunk})
                .values_list(name, flat=True)
                .distinct()
            )
    return found


@transaction.atomic
def prune_regions(stale_codes: Sequence[str], *, actor: Any) -> int:
    """Delete communities and grids left over from an earlier demo build.

    A region something still refers to (a grid worker's history, a role, a department) is
    kept, with its ancestors, so no history loses its place. Returns how many were deleted.
    """
    wanted = sorted({c for c in stale_codes if len(c) in (12, 15)})
    if not wanted:
        return 0
    require_edit_over(actor, wanted)
    rows = list(Region.objects.filter(code__in=wanted).values_list("id", "code"))
    referenced = _referenced_ids([pk for pk, _code in rows])
    kept = {code for pk, code in rows if pk in referenced}
    kept |= {code[:12] for code in kept}
    doomed = [(pk, code) for pk, code in rows if code not in kept]
    # Leaves first: a community goes only after its grids.
    for level_length in (15, 12):
        ids = [pk for pk, code in doomed if len(code) == level_length]
        for start in range(0, len(ids), _CHUNK):
            Region.objects.filter(pk__in=ids[start : start + _CHUNK]).delete()
    if any(len(code) == 15 for _pk, code in doomed):
        bump_revision()
    record(
        "demo.regions.prune",
        actor=actor,
        object_type="territory.region",
        object_id=wanted[0],
        object_repr=f"{wanted[0]}…{wanted[-1]}",
        grid_code=codes.covering_code(set(wanted)),
        changes={"deleted": len(doomed), "kept_referenced": sorted(kept)[:50]},
    )
    return len(doomed)
