"""One pagination rule for every list, in the API and in pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_PAGE = 100_000  # keeps OFFSET far from the database's integer limits


@dataclass
class Page:
    items: list[Any]
    count: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def clamp(page: int | str | None, page_size: int | str | None) -> tuple[int, int]:
    """The page number and size to serve: a missing or malformed value gives the first
    page and the default size; one out of range the nearest bound (never a refusal)."""
    return (
        _bounded(page, 1, MAX_PAGE),
        _bounded(page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    )


def _bounded(value: int | str | None, default: int, highest: int) -> int:
    try:
        number = default if value in (None, "") else int(value)
    except (TypeError, ValueError):
        number = default
    return min(highest, max(1, number))


def paginate(qs: QuerySet | list, page: int | str | None = 1, page_size: Any = None) -> Page:
    number, size = clamp(page, page_size)
    count = qs.count() if isinstance(qs, QuerySet) else len(qs)
    start = (number - 1) * size
    return Page(items=list(qs[start : start + size]), count=count, page=number, page_size=size)
