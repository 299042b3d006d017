"""Section tabs above a group of pages (``web/includes/tabs.html``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse


def tabs(current: str, sections: Iterable[tuple[str, Any, str, bool]]) -> list[dict[str, Any]]:
    """The tabs of the sections shown — each ``(key, label, URL name, shown)`` — with
    ``current`` marked active."""
    return [
        {"label": label, "url": reverse(url_name), "active": key == current}
        for key, label, url_name, shown in sections
        if shown
    ]


def always(user: Any) -> bool:
    return True


def may(*capabilities: str) -> Callable[[Any], bool]:
    """A tab shown to users who hold any of ``capabilities`` somewhere."""
    from gridgov.accounts import scope

    return lambda user: any(scope.has_capability(user, c) for c in capabilities)


@dataclass(frozen=True)
class Tab:
    """One section of a row: shown to the users ``shown`` accepts."""

    key: str
    label: Any  # a lazy translation: rows are declared when modules load
    url_name: str
    shown: Callable[[Any], bool] = always


class TabRow:
    """A group of pages' tabs, declared once: ``row(user, current)`` gives the tabs the
    user may open with ``current`` marked active."""

    def __init__(self, *row: Tab) -> None:
        self.row = row

    def __call__(self, user: Any, current: str) -> list[dict[str, Any]]:
        return tabs(current, ((t.key, t.label, t.url_name, t.shown(user)) for t in self.row))
