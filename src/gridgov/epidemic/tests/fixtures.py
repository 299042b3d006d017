"""The epidemic's test world: the registry's register (``registry.tests.web_fixtures``)
plus a spouse in the household, the city's and a county's command centre, and helpers."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.epidemic import rules
from gridgov.epidemic.models import (
    CloseContact,
    CommunitySituation,
    CurrentCount,
    DailyCount,
    DeclarationDay,
    GridDailyReport,
    HealthCode,
    HealthCodeChange,
    HealthDeclaration,
    InfectionCase,
    IsolationEpisode,
    IsolationFollowUp,
    Notice,
    NoticeDelivery,
    NoticeTarget,
    RiskArea,
    ScreeningCampaign,
    ScreeningRecord,
    ScreeningTask,
)
from gridgov.inbox.models import Message
from gridgov.registry import actions as registry_actions
from gridgov.registry.models import Person
from gridgov.registry.tests.core_fixtures import make_id_number
from gridgov.registry.tests.web_fixtures import Register, client_for

SPOUSE_ID = make_id_number("411302", dt.date(1982, 8, 9), 246)  # a woman

# Who every scope matrix asks, in this order: nobody; users without the epidemic in the
# area (a citizen, the supervision centre, a leader who reads figures only); epidemic roles
# elsewhere (the neighbouring grid's worker, the sibling community's staff, another
# county's command centre); the grid's own chain from its worker up to the city.
SCOPE_USERS = (
    "anonymous",
    "citizen",
    "supervision",
    "leader",
    "neighbour",
    "sibling",
    "other_county",
    "worker",
    "community",
    "township",
    "county",
    "command",
)


def expecter(users: tuple[str, ...] = SCOPE_USERS) -> Callable[..., dict[str, int]]:
    """``expect(default, **answers)``: the status per user of ``users``, ``default`` for
    everyone not named."""

    def expect(default: int, **answers: int) -> dict[str, int]:
        unknown = set(answers) - set(users)
        assert not unknown, f"not asked: {sorted(unknown)}"
        return {user: answers.get(user, default) for user in users}

    return expect


@dataclass
class Epi:
    r: Register
    spouse: Person  # in the same household as r.person
    command: User  # the city's command centre (epidemic.manage over 4113)
    county: User  # the command centre of 411302
    other_county: User  # the command centre of 411303 (wrong scope for 411302)

    def client(self, user: User | None) -> Client:
        return client_for(user)

    def users(self, names: tuple[str, ...] = SCOPE_USERS) -> dict[str, User | None]:
        """The users of a scope matrix by name (``None``: anonymous)."""
        r = self.r
        every = {
            "anonymous": None,
            "citizen": r.citizen,
            "supervision": r.supervision,
            "leader": r.leader,
            "neighbour": r.neighbour,
            "sibling": r.sibling,
            "other_county": self.other_county,
            "worker": r.worker,
            "community": r.community,
            "township": r.township,
            "county": self.county,
            "command": self.command,
        }
        return {name: every[name] for name in names}


@pytest.fixture
def epi(register: Register, make_user: Callable[..., User]) -> Epi:
    spouse = registry_actions.create_person(
        actor=register.worker,
        name="张丽",
        id_number=SPOUSE_ID,
        household_id=register.household.pk,
        relation="spouse",
        address=register.household.address,
    )
    return Epi(
        r=register,
        spouse=Person.objects.get(pk=spouse.pk),
        command=make_user("command", "4113", username="city-command"),
        county=make_user("command", "411302", username="wancheng-command"),
        other_county=make_user("command", "411303", username="wolong-command"),
    )


def key() -> str:
    return uuid.uuid4().hex


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of a day in the site's time zone (Asia/Shanghai)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=rules.site_zone())


EPIDEMIC_MODELS = (
    RiskArea,
    HealthDeclaration,
    DeclarationDay,
    HealthCode,
    HealthCodeChange,
    DailyCount,
    CurrentCount,
    ScreeningCampaign,
    ScreeningTask,
    ScreeningRecord,
    InfectionCase,
    CloseContact,
    CommunitySituation,
    Notice,
    NoticeTarget,
    NoticeDelivery,
    IsolationEpisode,
    IsolationFollowUp,
    GridDailyReport,
)


def epidemic_state() -> str:
    """Every epidemic row, inbox message and audit event as one text: "nothing changed"."""
    parts: dict[str, Any] = {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in EPIDEMIC_MODELS
    }
    parts["messages"] = Message.objects.count()
    parts["audit"] = AuditEvent.objects.count()
    return json.dumps(parts, default=str, sort_keys=True)
