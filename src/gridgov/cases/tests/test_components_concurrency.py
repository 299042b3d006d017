"""Serial allocation under concurrency (PostgreSQL): people registering components of one
county and class at the same moment never get the same ID, and no number is skipped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.cases.actions import components as actions
from gridgov.cases.importers.components import import_components
from gridgov.cases.models import Component
from gridgov.cases.tests.component_fixtures import (
    COUNTY,
    GRID,
    GRID_2,
    TOWNSHIP,
    _english,
    ensure_classes,
    row,
    write_csv,
)

__all__ = ["_english"]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]

THREADS = 6
EACH = 5


def _in_threads(work: Callable[[int], Any], n: int) -> list[BaseException]:
    """Run ``work(i)`` in ``n`` threads released together; the errors they raised."""
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            work(i)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_creates_get_consecutive_distinct_ids(
    territory: Any, make_user: Callable[..., User]
) -> None:
    ensure_classes()
    township = make_user(Role.TOWNSHIP_STAFF, TOWNSHIP)

    def register(i: int) -> None:
        for j in range(EACH):
            actions.create_component(
                actor=township, case_class="0101", name=f"井盖{i}-{j}", grid_code=GRID
            )

    assert _in_threads(register, THREADS) == []
    ids = sorted(Component.objects.values_list("component_id", flat=True))
    expected = [f"{COUNTY}0101{serial:06d}" for serial in range(1, THREADS * EACH + 1)]
    assert ids == expected


def test_concurrent_imports_and_creates_share_the_serials(
    territory: Any, make_user: Callable[..., User], tmp_path: Any
) -> None:
    ensure_classes()
    township = make_user(Role.TOWNSHIP_STAFF, TOWNSHIP)
    files = [
        write_csv(tmp_path / f"{i}.csv", [row(f"井盖{i}-{j}", grid=GRID_2) for j in range(EACH)])
        for i in range(THREADS // 2)
    ]

    def work(i: int) -> None:
        if i < len(files):
            report = import_components(files[i], actor=township)
            assert report.written and report.created == EACH
        else:
            for j in range(EACH):
                actions.create_component(
                    actor=township, case_class="0101", name=f"单{i}-{j}", grid_code=GRID
                )

    assert _in_threads(work, THREADS) == []
    serials = sorted(int(c[10:]) for c in Component.objects.values_list("component_id", flat=True))
    assert serials == list(range(1, THREADS * EACH + 1))
