"""Section tabs above a group of pages (``web/includes/tabs.html``)."""

from __future__ import annotations

from collections.abc import Iterable
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
