"""Region panels: sections other apps add to the region page.

The region page is where every domain shows what it knows about a place (population,
cases, supplies …), but the territory app must not import those domains. Each app
registers a panel from its ``AppConfig.ready()``::

    register_region_panel(RegionPanel("registry", "registry/region_panel.html", figures_for))

``context(user, region)`` returns the panel's data, or None when this user should not see
the panel on this region (no capability, nothing to show). The template is included with
``region`` and ``panel`` (that data) in its context, in ``order``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gridgov.territory.models import Region


@dataclass(frozen=True)
class RegionPanel:
    name: str  # unique per panel; registering the same name again replaces it
    template: str
    context: Callable[[Any, Region], dict[str, Any] | None]
    order: int = 100


REGION_PANELS: list[RegionPanel] = []


def register_region_panel(panel: RegionPanel) -> None:
    REGION_PANELS[:] = sorted(
        [p for p in REGION_PANELS if p.name != panel.name] + [panel], key=lambda p: p.order
    )


def panels_for(user: Any, region: Region) -> list[dict[str, Any]]:
    """The panels ``user`` sees on ``region``'s page: ``{"template", "data"}`` each."""
    shown = []
    for panel in REGION_PANELS:
        data = panel.context(user, region)
        if data is not None:
            shown.append({"name": panel.name, "template": panel.template, "data": data})
    return shown
