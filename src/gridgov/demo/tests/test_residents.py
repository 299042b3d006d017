"""Synthetic residents: a people file the real import accepts, deterministic from its seed,
seeded into the demo city through the import (every row checked, sealed, located)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.test import override_settings

from gridgov.core import crypto
from gridgov.core.system import SYSTEM
from gridgov.demo import residents
from gridgov.registry.models import GridCompleteness, Person, PopulationCount

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / crypto.CURRENT_FILE).write_text(crypto.new_key_text())
    with override_settings(GRIDGOV_HOME=tmp_path):
        crypto.reload()
        yield tmp_path
    crypto.reload()


def test_the_file_is_deterministic_and_planted_faults_only_on_request(territory, tmp_path):
    first, again, clean = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    planted = residents.write_people(first, 3000, seed=7)
    residents.write_people(again, 3000, seed=7)
    assert first.read_bytes() == again.read_bytes()
    assert planted["duplicates"] > 0 and planted["invalid"] > 0
    assert residents.write_people(clean, 300, seed=7, faults=False) == {
        "duplicates": 0,
        "invalid": 0,
    }
    with clean.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == residents.HEADERS and len(rows) == 301
    assert any(row[4] == "" for row in rows[1:])  # some without a phone: completeness gaps


def test_seeding_goes_through_the_import_once(territory, home):
    report = residents.seed_residents(200, seed=3, actor=SYSTEM)
    assert (report.read, report.created, report.rejected) == (200, 200, 0)
    assert Person.objects.count() == 200
    assert not list(home.glob("residents-*"))  # the file is not kept
    person = Person.objects.order_by("pk").first()
    assert person is not None and person.id_number_hash and person.id_number_masked.count("*")
    total = sum(PopulationCount.objects.filter(measure="total").values_list("value", flat=True))
    assert total == 200
    assert GridCompleteness.objects.exists()
    again = residents.seed_residents(200, seed=3, actor=SYSTEM)
    assert (again.created, again.skipped) == (0, 200)
    assert Person.objects.count() == 200


def test_a_city_without_grids_is_refused(db, home):
    with pytest.raises(ValueError, match="no unit grids"):
        residents.seed_residents(10, seed=1, actor=SYSTEM)
