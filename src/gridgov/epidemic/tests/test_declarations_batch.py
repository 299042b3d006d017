"""The batch path made fast (bench/declarations.py): a batch costs the same statements
whatever its size, and values prepared the short way are stored exactly as the fields
would store them — on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext

from gridgov.epidemic import bulk, rollups, rules
from gridgov.epidemic.models import Channel, DeclarationDay, HealthCode, HealthDeclaration
from gridgov.epidemic.tests.fixtures import Epi, key, local
from gridgov.registry import actions as registry_actions
from gridgov.registry.models import Person
from gridgov.registry.tests.core_fixtures import GRID
from gridgov.registry.tests.web_fixtures import client_for

pytestmark = pytest.mark.django_db
BATCH = "/api/v1/epidemic/declarations/batch"


def more_people(epi: Epi, n: int) -> list[Person]:
    return [
        registry_actions.create_person(
            actor=epi.r.worker, name=f"居民{i}", sex="MF"[i % 2], grid_code=GRID
        )
        for i in range(n)
    ]


def batch(people: list[Person], day: dt.date) -> dict[str, Any]:
    """Normal declarations of ``people`` on ``day``, the first one with fever."""
    return {
        "items": [
            {
                "person_id": person.pk,
                "client_key": key(),
                "declared_at": local(day, 8, i % 60).isoformat(),
                "temperature": "38.2" if i == 0 else "36.6",
            }
            for i, person in enumerate(people)
        ]
    }


def statements(client: Any, body: dict[str, Any]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        answer = client.post(BATCH, json.dumps(body), content_type="application/json")
    assert answer.status_code == 200, answer.content
    return [q["sql"].split()[0] for q in captured.captured_queries]


def test_a_batch_takes_the_same_statements_whatever_its_size(epi: Epi) -> None:
    people = more_people(epi, 42)
    client = client_for(epi.r.worker)
    day = rules.today() - dt.timedelta(days=1)
    statements(client, batch(people[:2], day))  # what a first request reads once
    small = statements(client, batch(people[2:6], day))
    large = statements(client, batch(people[6:], day))
    assert large == small  # each with one fever: a new yellow code, its history, an alert
    assert HealthDeclaration.objects.filter(date=day).count() == 42
    assert DeclarationDay.objects.filter(date=day, abnormal_declarations=1).count() == 3
    assert HealthCode.objects.filter(colour="yellow").count() == 3
    assert rollups.DECLARATIONS_TALLY.matches_recount()


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
VALUES: list[tuple[type, str, Any]] = [
    (HealthDeclaration, "declared_at", dt.datetime(2026, 3, 1, 23, 59, 59, 999999, SHANGHAI)),
    (HealthDeclaration, "declared_at", dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)),
    (
        HealthDeclaration,
        "declared_at",
        dt.datetime(2026, 3, 1, 7, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    ),
    (HealthDeclaration, "date", dt.date(2026, 3, 1)),
    (HealthDeclaration, "date", "2026-03-01"),
    (HealthDeclaration, "temperature", Decimal("36.5")),
    (HealthDeclaration, "temperature", Decimal("38")),
    (HealthDeclaration, "temperature", None),
    (HealthDeclaration, "symptoms", []),
    (HealthDeclaration, "symptoms", ["cough", "fever"]),
    (HealthDeclaration, "channel", Channel.API),
    (HealthDeclaration, "channel", "public"),
    (HealthDeclaration, "contact", True),
    (HealthDeclaration, "lon", 112.41),
    (HealthDeclaration, "lat", None),
    (HealthDeclaration, "person", 12),
    (HealthDeclaration, "recorded_by", None),
    (DeclarationDay, "declarations", 3),
    (DeclarationDay, "max_temperature", Decimal("37.3")),
    (DeclarationDay, "first_at", dt.datetime(2026, 3, 1, 8, 0, 0, 1, SHANGHAI)),
]


def comparable(value: Any) -> Any:
    """psycopg's JSON wrapper has no equality of its own."""
    return getattr(value, "obj", value)


@pytest.mark.parametrize(("model", "name", "value"), VALUES)
def test_values_are_prepared_as_their_field_prepares_them(
    model: Any, name: str, value: Any
) -> None:
    db = connections[DEFAULT_DB_ALIAS]
    field = model._meta.get_field(name)
    prepare = bulk._preparer(field, db)
    expected = field.get_db_prep_save(value, db)
    assert comparable(prepare(value)) == comparable(expected)
    assert comparable(prepare(value)) == comparable(expected)  # again: from what it kept


def test_bulk_rows_read_back_as_the_orm_wrote_them(epi: Epi) -> None:
    moment = dt.datetime(2026, 3, 1, 23, 30, 15, 123456, SHANGHAI)
    common = {
        "grid_code": GRID,
        "lon": 112.41,
        "lat": 33.09,
        "date": rules.day_of(moment),
        "declared_at": moment,
        "travel_code": "",
        "travel_risk": "",
        "contact": False,
        "declared_by": "grid_worker",
        "channel": Channel.API,
        "note": "",
    }
    twin = HealthDeclaration.objects.create(
        person=epi.r.person,
        client_key=key(),
        created_at=moment,
        temperature=Decimal("38.1"),
        symptoms=["cough"],
        abnormal=True,
        **common,
    )
    row = {
        **common,
        "person": epi.spouse.pk,
        "client_key": key(),
        "created_at": moment,
        "temperature": Decimal("38.1"),
        "symptoms": ["cough"],
        "abnormal": True,
        "recorded_by": None,
    }
    inserted = bulk.insert_returning(
        HealthDeclaration, [row], conflict=["client_key"], returning=["client_key", "id"]
    )
    assert [key for key, _pk in inserted] == [row["client_key"]]
    again = bulk.insert_returning(
        HealthDeclaration, [row], conflict=["client_key"], returning=["client_key", "id"]
    )
    assert again == []  # a retry: nothing new
    fields = ["date", "declared_at", "created_at", "temperature", "symptoms", "abnormal", "lon"]
    stored = HealthDeclaration.objects.filter(pk=inserted[0][1]).values(*fields).get()
    assert stored == HealthDeclaration.objects.filter(pk=twin.pk).values(*fields).get()
    assert stored["declared_at"] == moment
