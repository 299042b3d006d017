"""Template helpers shared by every page."""

from __future__ import annotations

from django import template

from gridgov.core.paging import Page

register = template.Library()


@register.filter
def page_window(page: Page, radius: int = 2) -> list[int | None]:
    """Page numbers to offer around the current page: the first, the last and ``radius``
    either side of the current one; None marks a gap (rendered as an ellipsis)."""
    last = page.pages
    wanted = {1, last, *range(page.page - radius, page.page + radius + 1)}
    numbers = sorted(n for n in wanted if 1 <= n <= last)
    window: list[int | None] = []
    for number in numbers:
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window
