"""What the daily report and dashboard tests share: a clock set to a moment of the site's
time zone, figures written through the real declaration action and, for the concerns
whose measures are only named here, through the roll-up upkeep itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.epidemic import rollups, rules
from gridgov.epidemic.actions import declarations as declaration_actions
from gridgov.epidemic.tests.fixtures import Epi, key, local
from gridgov.registry.tests.web_fixtures import client_for

Clock = Callable[[dt.datetime], None]


@pytest.fixture(autouse=True)
def _fresh_trend() -> Iterator[None]:
    """No trend day cached by another test (the cache lives a minute per process)."""
    from gridgov.epidemic.queries import dashboard

    dashboard.forget()
    yield
    dashboard.forget()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Set "now" (``django.utils.timezone.now``, read by the rules, the actions and the
    audit trail) to a given aware moment."""

    def set_to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of ``day`` in Asia/Shanghai."""
    return local(day, hour, minute)


def declare(epi: Epi, person: Any, *, when: dt.datetime | None = None, **health: Any) -> None:
    """One declaration by the grid worker (``health``: temperature, symptoms, contact)."""
    declaration_actions.record_declaration(
        actor=epi.r.worker,
        person_id=person.pk,
        client_key=key(),
        declared_at=when,
        **({"temperature": "36.5"} | health),
    )


def add_day(grid: str, day: dt.date, **measures: int) -> None:
    """Daily measures written here directly (``cases__confirmed`` → ``cases:confirmed``)."""
    rollups.add_daily({(grid, day): {name.replace("__", ":"): n for name, n in measures.items()}})


def add_now(grid: str, **measures: int) -> None:
    rollups.add_current({grid: {name.replace("__", ":"): n for name, n in measures.items()}})


def english(user: Any) -> Client:
    """A logged-in client whose pages speak English (the site's default is Chinese)."""
    client = client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def today() -> dt.date:
    return rules.today()
