"""The epidemic's sections. The main navigation has one entry, 疫情防控 (Epidemic response);
every epidemic page shows a row of tabs to the sections its user may open — dashboard,
declarations, screening, isolation, cases and contacts, reports, notices, risk areas …
Each concern registers its section from its page module's ``register_web()``."""

from __future__ import annotations

from typing import Any

from gridgov.web.context import NavItem, nav_items_for

SECTIONS: list[NavItem] = []


def register_section(item: NavItem) -> None:
    """Add a section tab (idempotent per URL name), kept in ``order``."""
    if all(existing.url_name != item.url_name for existing in SECTIONS):
        SECTIONS.append(item)
        SECTIONS.sort(key=lambda i: i.order)


def sections_for(user: Any, path: str) -> list[dict[str, Any]]:
    """The sections ``user`` may open, the one holding ``path`` marked active."""
    return nav_items_for(user, path, SECTIONS)
