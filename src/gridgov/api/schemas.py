"""Schemas shared by every router: the error shape, the page envelope and its helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

from gridgov.core.paging import paginate

T = TypeVar("T")


class ErrorOut(Schema):
    code: str = Field(description="Stable machine-readable error code")
    message: str = Field(description="Human-readable message in the request's language")
    details: dict[str, Any] = Field(default_factory=dict, description="Per-field errors etc.")


class PageOut(Schema, Generic[T]):
    items: list[T]
    count: int
    page: int
    page_size: int
    pages: int


def page_payload(page: Any, items: list[Any] | None = None) -> dict[str, Any]:
    return {
        "items": page.items if items is None else items,
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
    }


def paged(
    rows: QuerySet | list, page: Any, page_size: Any, shape: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """One page of ``rows`` in the PageOut envelope, each item passed through ``shape``."""
    result = paginate(rows, page, page_size)
    return page_payload(result, [shape(item) for item in result.items])


def attributes(obj: Any, schema: type[Schema], **computed: Any) -> dict[str, Any]:
    """An answer for ``schema``: each of its fields read from the attribute of ``obj`` with
    the same name, except those given in ``computed``."""
    return {
        name: computed[name] if name in computed else getattr(obj, name)
        for name in schema.model_fields
    }


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
