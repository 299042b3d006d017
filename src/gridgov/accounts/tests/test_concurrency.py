"""Two administrators acting at the same moment: the row locks make one of them wait and
then see the other's change, instead of both writing. Needs a database with real row
locks and concurrent connections (PostgreSQL); SQLite serializes writers anyway."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from gridgov.accounts import actions
from gridgov.accounts.models import GridAssignment, RoleAssignment
from gridgov.core.errors import DomainError

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite", reason="needs concurrent connections (PostgreSQL)"
    ),
]


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        from django.db import connection as thread_connection

        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # the outcome is what the test checks
            results[i] = exc
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_main_workers_for_one_grid_cannot_both_win(territory, make_user, county_admin):
    a = make_user("grid_worker", "411302001001")
    b = make_user("grid_worker", "411302001001")
    grid = "411302001001001"
    results = race(
        lambda: actions.assign_grid(a.pk, actor=county_admin, grid_code=grid),
        lambda: actions.assign_grid(b.pk, actor=county_admin, grid_code=grid),
    )
    won = [r for r in results if isinstance(r, GridAssignment)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1 and len(refused) == 1, results
    assert "grid_code" in refused[0].details["fields"]
    assert GridAssignment.objects.active().filter(grid_code=grid).count() == 1


def test_the_same_role_granted_twice_at_once_is_stored_once(territory, worker, county_admin):
    def grant() -> Any:
        return actions.grant_role(
            worker.pk, actor=county_admin, role="citizen", region_code="411302001001"
        )

    results = race(grant, grant)
    assert sum(isinstance(r, RoleAssignment) for r in results) == 1, results
    assert sum(isinstance(r, DomainError) for r in results) == 1, results
    assert worker.role_assignments.active().filter(role="citizen").count() == 1
