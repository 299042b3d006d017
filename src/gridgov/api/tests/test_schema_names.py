"""The OpenAPI document names each schema by its class name: two schema classes of the same
name in different modules would silently share one definition (and one would describe
the other's answers), so every name must be unique."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ninja import Schema


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_schema_class_name_is_unique() -> None:
    from gridgov.api.api import api

    api.get_openapi_schema()  # imports every router and its schemas
    modules: dict[str, set[str]] = defaultdict(set)
    for schema in _subclasses(Schema):
        if schema.__module__.startswith("gridgov."):
            modules[schema.__name__].add(schema.__module__)
    shared = {name: sorted(found) for name, found in modules.items() if len(found) > 1}
    assert shared == {}
