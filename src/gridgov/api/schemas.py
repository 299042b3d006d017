"""Schemas shared by every router: the error shape, the page envelope and its helpers,
the GeoJSON areas of the maps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Query, Router, Schema
from pydantic import Field

from gridgov.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, paginate

T = TypeVar("T")


class ErrorOut(Schema):
    code: str = Field(description="Stable machine-readable error code")
    message: str = Field(description="Human-readable message in the request's language")
    details: dict[str, Any] = Field(default_factory=dict, description="Per-field errors etc.")


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


class VersionIn(Schema):
    """A change made from what the client read: refused with 409 if someone changed the
    record since (optimistic locking; the answer carries the current version)."""

    version: int | None = Field(
        None,
        ge=1,
        description="The record's version as you read it; 409 if it has changed since. "
        "A case's moves and the catalogue's changes require it; elsewhere, without it, "
        "the change applies to whatever is current",
    )


class PageOut(Schema, Generic[T]):
    items: list[T]
    count: int
    page: int
    page_size: int
    pages: int


class FeaturePropertiesOut(Schema):
    """What the map component (web/static/gridgov/map.js) reads of an area."""

    code: str
    name: str
    level: int
    kind: str
    url: str
    label: str


class FeatureOut(Schema):
    type: str = "Feature"
    id: str
    geometry: dict[str, Any] | None = None
    properties: FeaturePropertiesOut


class FeatureCollectionOut(Schema):
    type: str = "FeatureCollection"
    features: list[FeatureOut]


# The paging parameters of every list endpoint. Like the lists of every app (and the
# pages), values out of range are brought into it by ``core.paging.clamp``, not refused.
PAGE = Query(1, description=f"Page number from 1 (at most {MAX_PAGE:,})")
PAGE_SIZE = Query(
    DEFAULT_PAGE_SIZE,
    description=f"Rows per page, 1 to {MAX_PAGE_SIZE} (a larger number gives {MAX_PAGE_SIZE})",
)


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


def list_endpoint(
    router: Router, path: str, item: type[Schema], method: str = "GET", **options: Any
) -> Any:
    """The route decorator of a list: it answers ``PageOut[item]`` (built by ``paged`` from
    the handler's ``page`` and ``page_size``, declared with PAGE and PAGE_SIZE) or an error."""
    response = {200: PageOut[item], **ERRORS}  # type: ignore[valid-type]
    return router.api_operation([method], path, response=response, **options)


def attributes(obj: Any, schema: type[Schema], **computed: Any) -> dict[str, Any]:
    """An answer for ``schema``: each of its fields read from the attribute of ``obj`` with
    the same name, except those given in ``computed``."""
    return {
        name: computed[name] if name in computed else getattr(obj, name)
        for name in schema.model_fields
    }
