"""Template context shared by every page: navigation by role, account links, client settings.

Navigation is a list of destinations, each shown only to users holding its capability
and only once its page exists (its URL name reverses). Later domains add their entries
with ``register_nav_item`` from their AppConfig.ready(), so this file does not grow a
list of every app in the product.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.accounts import scope


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    capability: str | None  # None: any logged-in user
    description: str | Promise = ""  # shown on the home page card
    order: int = 100
    # A count shown beside the label (e.g. unread messages): a cheap function of the user,
    # asked once per page, and how to read it out ("%(count)s unread").
    badge: Callable[[Any], int] | None = None
    badge_label: str | Promise = ""
    # A finer test than the capability, when one is needed (e.g. only the city's rules).
    shown: Callable[[Any], bool] | None = None


NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home", None, order=0),
    NavItem(
        _("Territory"),
        "territory:browse",
        "territory.view",
        _("Browse the city down to unit grids on the map."),
        order=10,
    ),
    NavItem(
        _("Users"),
        "accounts:user_list",
        "users.manage",
        _("Create users, assign roles and grids, unlock accounts."),
        order=80,
    ),
    NavItem(
        _("Audit"),
        "audit:event_list",
        "audit.view",
        _("Every change and every view of personal data, tamper-evident."),
        order=90,
    ),
]


def register_nav_item(item: NavItem) -> None:
    """Add a destination to the main navigation (idempotent per URL name)."""
    if all(existing.url_name != item.url_name for existing in NAV_ITEMS):
        NAV_ITEMS.append(item)
        NAV_ITEMS.sort(key=lambda i: i.order)


def url_or_none(name: str, *args: Any) -> str | None:
    """The URL of ``name``, or None while that page is not wired yet."""
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return None


def _contains(url: str, path: str) -> bool:
    return path == url or (url != "/" and path.startswith(url))


def nav_items_for(
    user: Any, path: str = "", destinations: Iterable[NavItem] | None = None
) -> list[dict[str, Any]]:
    """The destinations ``user`` may open (of the main navigation, or of ``destinations``:
    a section's own tabs), with the one containing ``path`` marked active."""
    if user is None or not user.is_authenticated:
        return []
    items: list[dict[str, Any]] = []
    for item in NAV_ITEMS if destinations is None else destinations:
        if item.capability is not None and not scope.has_capability(user, item.capability):
            continue
        if item.shown is not None and not item.shown(user):
            continue
        url = url_or_none(item.url_name)
        if url is None:
            continue
        entry = {"label": item.label, "url": url, "description": item.description}
        if item.badge is not None:
            entry.update(_badge(item, user))
        items.append(entry)
    # The longest URL that prefixes the path wins, so "/" is active only on the home page.
    matches = [i for i in items if _contains(i["url"], path)]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items


def _badge(item: NavItem, user: Any) -> dict[str, Any]:
    """The item's count, asked once per user object (a page may list the menu twice)."""
    counts = getattr(user, "_gridgov_nav_badges", None)
    if counts is None:
        counts = {}
        user._gridgov_nav_badges = counts
    if item.url_name not in counts:
        counts[item.url_name] = item.badge(user) if item.badge is not None else 0
    count = counts[item.url_name]
    label = str(item.badge_label) % {"count": count} if item.badge_label else str(count)
    return {"badge": count, "badge_label": label}


def path_if_served(path: str) -> str | None:
    """``path`` when some view answers it, else None (the page is not wired yet)."""
    try:
        resolve(path)
    except Resolver404:
        return None
    return path


def account_links() -> dict[str, str | None]:
    """The user menu's destinations; an entry is None until its page exists."""
    return {
        "password": path_if_served("/accounts/password/"),
        "tokens": path_if_served("/accounts/tokens/"),
        "logout": url_or_none("logout"),
    }


# Texts the page scripts (app.js, map.js) show, translated here and handed over as JSON.
CLIENT_MESSAGES: dict[str, str | Promise] = {
    "dismiss": _("Dismiss"),
    "serverError": _("The server could not complete the request."),
    "networkError": _("Check the network connection and try again."),
    "mapLoading": _("Loading boundaries…"),
    "mapEmpty": _("No boundaries to show."),
    "mapError": _("The boundaries could not be loaded."),
    "mapUnavailable": _("The map could not be started."),
    "mapAreas": _("%(count)s areas"),
    "mapSelected": _("Selected"),
    "mapOutline": _("Outline of this area"),
    "mapOverlay": _("Unit grids"),
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    nav_items = nav_items_for(user, request.path)
    return {
        "nav_items": nav_items,
        # Shown on the phone's menu button, where the menu's own badges are folded away.
        "nav_badge_total": sum(item.get("badge", 0) for item in nav_items),
        "account_links": account_links() if signed_in else {},
        "client_messages": CLIENT_MESSAGES,
        "tile_url": settings.GRIDGOV_TILE_URL,
    }
