"""Pages of the territory app: the browser from the city down to one unit grid.

Thin views over ``queries``: a region outside the user's scope is a 404 page, exactly like
a code that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gridgov.accounts import scope
from gridgov.accounts.viewutils import domain_errors
from gridgov.core.paging import paginate
from gridgov.territory import codes, queries
from gridgov.territory.models import Region
from gridgov.territory.panels import panels_for

CHILDREN_PAGE_SIZE = 30


@require_GET
@login_required
def browse(request: HttpRequest) -> HttpResponse:
    """Where the territory starts for this user: their one root, or a list of roots."""
    if not scope.has_capability(request.user, queries.VIEW):
        raise PermissionDenied(_("Your roles do not include the territory."))
    roots = queries.scope_roots(request.user)
    if len(roots) == 1:
        return redirect("territory:region", roots[0].code)
    return render(request, "territory/browse.html", {"roots": roots})


def _crumbs(request: HttpRequest, region: Region) -> list[tuple[str, str | None]]:
    crumbs: list[tuple[str, str | None]] = [(_("Territory"), reverse("territory:browse"))]
    for item in queries.path_for(request.user, region):
        crumbs.append((item.name, queries.region_url(item.code) if item.visible else None))
    crumbs.append((region.name, None))
    return crumbs


def _map_urls(request: HttpRequest, region: Region) -> dict[str, Any]:
    """What the map draws: a region's children inside its outline (a township's also with
    the unit grids inside its communities); a grid among its sibling grids (when the user
    may see them), focused on and highlighting the grid."""

    def api(name: str, code: str) -> str:
        return reverse(f"api:{name}", args=[code])

    own = api("territory_boundary_geojson", region.code)
    if not region.is_grid:
        urls = {"geojson_url": api("territory_children_geojson", region.code), "outline_url": own}
        if region.level == codes.TOWNSHIP:
            # A township has a few hundred grids: few enough to draw as a layer of lines.
            urls["overlay_url"] = api("territory_grids_geojson", region.code)
        return urls
    parent = codes.parent_code(region.code) or ""
    if queries.can_view(request.user, parent):
        return {
            "geojson_url": api("territory_children_geojson", parent),
            "outline_url": api("territory_boundary_geojson", parent),
            "focus_url": own,
            "highlight": region.code,
        }
    return {"geojson_url": own, "highlight": region.code}


@require_GET
@login_required
@domain_errors
def region(request: HttpRequest, code: str) -> HttpResponse:
    """A region's page: facts, counts per level, its children (searchable) and the map;
    for a unit grid, its boundary and grid workers."""
    node = queries.get_region_for(request.user, code, with_geometry=False)
    q = request.GET.get("q", "").strip()[:50]
    context: dict[str, Any] = {
        "region": node,
        "crumbs": _crumbs(request, node),
        "counts": [
            (codes.LEVEL_LABELS[level], n) for level, n in queries.child_counts(node).items()
        ],
        "q": q,
        "has_shape": node.bbox is not None,
        # Sections other apps add (population, …), see territory/panels.py.
        "panels": panels_for(request.user, node),
        **_map_urls(request, node),
    }
    if node.is_grid:
        context["workers"] = queries.grid_workers(node)
    else:
        context["page"] = paginate(
            queries.search_children(node, q), request.GET.get("page"), CHILDREN_PAGE_SIZE
        )
        context["children_label"] = codes.LEVEL_LABELS[node.level + 1]
    return render(request, "territory/region.html", context)
