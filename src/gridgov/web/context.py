"""Template context shared by every page: navigation by role and client settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.accounts import scope

# (label, url name, capability or None for any logged-in staff member)
NAV_ITEMS: list[tuple[Any, str, str | None]] = [
    (_("Home"), "home", None),
    (_("Territory"), "territory:browse", "territory.view"),
    (_("Users"), "accounts:user_list", "users.manage"),
    (_("Audit"), "audit:event_list", "audit.view"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        for label, url_name, capability in NAV_ITEMS:
            if capability is None or scope.has_capability(user, capability):
                try:
                    url = reverse(url_name)
                except Exception:  # noqa: BLE001 - a page not yet wired stays out of the menu
                    continue
                items.append(
                    {"label": label, "url": url, "active": request.path.startswith(url)
                     if url != "/" else request.path == "/"}
                )
    return {"nav_items": items, "tile_url": settings.GRIDGOV_TILE_URL}
