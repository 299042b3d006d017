"""Section tabs above a group of pages (``web/includes/tabs.html``), declared once per
group as a ``TabRow`` of ``Tab``s."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from gridgov.accounts import scope


def always(user: Any) -> bool:
    return True


def may(*capabilities: str) -> Callable[[Any], bool]:
    """A tab shown to users who hold any of ``capabilities`` somewhere."""
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
        return [
            {"label": tab.label, "url": reverse(tab.url_name), "active": tab.key == current}
            for tab in self.row
            if tab.shown(user)
        ]
