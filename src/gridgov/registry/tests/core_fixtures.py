"""Fixtures and helpers of the registry core tests (actions, roll-ups, keys, privacy).

Test modules import the fixtures they use by name, e.g.
``from gridgov.registry.tests.core_fixtures import keyring, people_ctx``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.core import crypto
from gridgov.registry import identity
from gridgov.registry.models import (
    Building,
    CareTag,
    GridCompleteness,
    Household,
    Movement,
    Person,
    PopulationCount,
)
from gridgov.territory import locating
from gridgov.territory.models import Region

COMMUNITY = "411302001001"  # 河街社区, grids …001–…004
GRID = "411302001001001"  # its north-west quadrant: lon 112.400–112.425, lat 33.05–33.10
GRID_2 = "411302001001002"
NEIGHBOUR_COMMUNITY = "411302001002"
NEIGHBOUR_GRID = "411302001002001"
SIBLING_TOWNSHIP = "411302002"
SIBLING_GRID = "411302002001001"
POINT_IN_GRID = (112.41, 33.09)


def make_id_number(
    area: str = "411302", born: dt.date = dt.date(1980, 5, 17), seq: int = 123
) -> str:
    """A valid 18-digit ID number (odd sequence = male)."""
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    return first17 + identity.check_char(first17)


@pytest.fixture(autouse=True)
def _fresh_locate_index() -> None:
    locating.forget()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A GRIDGOV_HOME of its own with a fresh data key file and no keys in the
    environment; the process-wide ring is reloaded on the way in and out."""
    monkeypatch.delenv(crypto.ENV_CURRENT, raising=False)
    monkeypatch.delenv(crypto.ENV_RETIRED, raising=False)
    (tmp_path / crypto.CURRENT_FILE).write_text(crypto.new_key_text())
    with override_settings(GRIDGOV_HOME=tmp_path):
        crypto.reload()
        yield tmp_path
    monkeypatch.undo()
    crypto.reload()


@dataclass
class People:
    """Users around the test territory, by how they relate to ``GRID``."""

    worker: User  # grid worker over the community holding GRID
    neighbour: User  # grid worker of the neighbouring community
    township: User  # township staff over GRID's township (no reveal)
    sibling: User  # township staff of the sibling township
    leader: User  # leader over the city: aggregates only


@pytest.fixture
def people_ctx(territory: dict[str, Region], make_user: Callable[..., User]) -> People:
    return People(
        worker=make_user("grid_worker", COMMUNITY),
        neighbour=make_user("grid_worker", NEIGHBOUR_COMMUNITY),
        township=make_user("township_staff", "411302001"),
        sibling=make_user("township_staff", SIBLING_TOWNSHIP),
        leader=make_user("leader", "4113"),
    )


REGISTRY_MODELS = (
    Building,
    Household,
    Person,
    CareTag,
    Movement,
    PopulationCount,
    GridCompleteness,
)


def registry_state() -> str:
    """Every registry row and audit event, as one comparable text: "nothing changed"."""
    parts: dict[str, Any] = {}
    for model in REGISTRY_MODELS:
        rows = model._default_manager.order_by("pk").values()
        parts[model._meta.label] = [
            {k: (bytes(v).hex() if isinstance(v, bytes | memoryview) else v) for k, v in r.items()}
            for r in rows
        ]
    parts["audit"] = AuditEvent.objects.count()
    return json.dumps(parts, default=str, sort_keys=True)
