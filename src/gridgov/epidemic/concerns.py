"""The epidemic's concerns (risk areas, declarations, screening, isolation…) each own one
module in ``api``, ``views`` and optionally ``<concern>_cli`` and ``demo``; the app finds
them here instead of keeping lists that every new concern would have to edit."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType

PACKAGE = "gridgov.epidemic"


def modules(subpackage: str) -> Iterator[ModuleType]:
    """Every module of ``gridgov.epidemic.<subpackage>`` in name order, except the
    package's shared helpers (names starting with ``_`` or ``common``)."""
    package = importlib.import_module(f"{PACKAGE}.{subpackage}")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.ispkg or info.name.startswith("_") or info.name == "common":
            continue
        yield importlib.import_module(f"{PACKAGE}.{subpackage}.{info.name}")


def command_modules() -> Iterator[ModuleType]:
    """Every ``gridgov.epidemic.<concern>_cli`` module, in name order."""
    package = importlib.import_module(PACKAGE)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.endswith("_cli"):
            yield importlib.import_module(f"{PACKAGE}.{info.name}")
