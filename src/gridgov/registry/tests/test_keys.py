"""Data key rotation: a round trip, resuming an interrupted run, keys set in the
environment, who may rotate, and the ``gridgov keys`` commands."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.cli import main
from gridgov.core import crypto
from gridgov.core.errors import PermissionDenied
from gridgov.core.system import SYSTEM
from gridgov.registry import actions, keys, privacy, queries
from gridgov.registry.models import CareTag, Person
from gridgov.registry.tests.core_fixtures import GRID, People, keyring, make_id_number, people_ctx

__all__ = ["keyring", "people_ctx"]


def register(people: People, n: int) -> dict[int, tuple[str, str]]:
    """n people with ID and phone (and a care contact for the first); {pk: (id, phone)}."""
    known = {}
    for i in range(n):
        number = make_id_number("411302", dt.date(1960 + i, 1, 1), 300 + i)
        phone = f"1370000{i:04d}" if i else ""  # the first has no phone: NULL in a batch
        person = actions.create_person(
            actor=people.worker, name=f"居民{i}", grid_code=GRID, id_number=number, phone=phone
        )
        known[person.pk] = (number, phone)
    first = min(known)
    actions.add_care_tag(
        first,
        actor=people.worker,
        kind="chronic",
        care_contact_name="家属",
        care_contact_phone="13911112222",
    )
    return known


def assert_all_readable_and_findable(people: People, known: dict[int, tuple[str, str]]) -> None:
    for person in Person.objects.all():
        assert privacy.person_numbers(person) == dict(
            zip(("id_number", "phone"), known[person.pk], strict=True)
        )
    for pk, (number, phone) in known.items():
        assert list(
            queries.search_people(people.worker, id_number=number).values_list("pk", flat=True)
        ) == [pk]
        if phone:
            found = queries.search_people(people.worker, phone=phone)
            assert list(found.values_list("pk", flat=True)) == [pk]
    assert privacy.contact_phone(CareTag.objects.get()) == "13911112222"


def key_ids_in_use() -> set[str]:
    return set(Person.objects.values_list("key_id", flat=True)) | set(
        CareTag.objects.values_list("key_id", flat=True)
    )


@pytest.mark.django_db
def test_rotation_round_trip(keyring: Path, people_ctx: People) -> None:
    known = register(people_ctx, 5)
    old = crypto.current_key_id()
    old_hashes = set(Person.objects.values_list("id_number_hash", flat=True))
    result = keys.rotate(actor=SYSTEM, batch=2)
    assert result.generated and result.old_key_id == old != result.new_key_id
    assert (result.rows, result.remaining) == (6, 0)
    assert key_ids_in_use() == {result.new_key_id}
    # Hashes were recomputed under the new key.
    assert old_hashes.isdisjoint(Person.objects.values_list("id_number_hash", flat=True))
    assert_all_readable_and_findable(people_ctx, known)
    for name in (crypto.CURRENT_FILE, crypto.RETIRED_FILE):
        assert stat.S_IMODE((keyring / name).stat().st_mode) == 0o600
    assert old in keys.status()["retired"]
    event = AuditEvent.objects.get(action="registry.keys.rotate")
    assert event.changes["from_key"] == old and event.changes["rows"] == 6
    # A second rotation retires the second key too; everything stays readable.
    second = keys.rotate(actor=SYSTEM)
    assert second.generated and len(keys.status()["retired"]) == 2
    assert_all_readable_and_findable(people_ctx, known)


@pytest.mark.django_db
def test_an_interrupted_rotation_resumes_where_it_stopped(
    keyring: Path, people_ctx: People
) -> None:
    known = register(people_ctx, 5)

    def crash_after_first_batch(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        keys.rotate(actor=SYSTEM, batch=2, progress=crash_after_first_batch)
    new = crypto.current_key_id()
    # The first batch committed; the rest is still under the old key — all readable and
    # findable meanwhile, because searches use the hashes under every key of the ring.
    assert keys.pending_rows() == 4
    assert len(key_ids_in_use()) == 2
    assert_all_readable_and_findable(people_ctx, known)
    # A write during the rotation by a server that already has the new key.
    actions.update_person(min(known), actor=people_ctx.worker, expected_version=1, name="改名")

    partial = keys.rotate(actor=SYSTEM, batch=2, max_batches=1)
    assert not partial.generated and partial.new_key_id == new
    assert (partial.rows, partial.remaining) == (2, 2)
    finished = keys.rotate(actor=SYSTEM, batch=2)
    assert not finished.generated and finished.remaining == 0
    assert key_ids_in_use() == {new}
    assert_all_readable_and_findable(people_ctx, known)


@pytest.mark.django_db
def test_a_key_from_the_environment_is_replaced_by_the_operator(
    keyring: Path, people_ctx: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = crypto.new_key_text()
    monkeypatch.setenv(crypto.ENV_CURRENT, first)
    crypto.reload()
    known = register(people_ctx, 2)
    with pytest.raises(keys.RotationNeedsOperator) as exc:
        keys.rotate(actor=SYSTEM)
    assert first in exc.value.retired
    assert not (keyring / crypto.RETIRED_FILE).exists()  # nothing written
    # The operator sets what the command said, and runs it again.
    monkeypatch.setenv(crypto.ENV_CURRENT, exc.value.new_key)
    monkeypatch.setenv(crypto.ENV_RETIRED, ",".join(exc.value.retired))
    result = keys.rotate(actor=SYSTEM)
    assert not result.generated and result.rows == 3 and result.remaining == 0
    assert key_ids_in_use() == {crypto.key_id_of(crypto.parse_key(exc.value.new_key))}
    assert_all_readable_and_findable(people_ctx, known)


@pytest.mark.django_db
def test_only_operators_rotate(keyring: Path, people_ctx: People) -> None:
    register(people_ctx, 1)
    before = crypto.current_key_id()
    for user in (None, people_ctx.worker, people_ctx.leader):
        with pytest.raises(PermissionDenied):
            keys.rotate(actor=user)
    assert crypto.current_key_id() == before
    assert not AuditEvent.objects.filter(action="registry.keys.rotate").exists()


@pytest.mark.django_db(transaction=True)
def test_the_keys_commands(
    keyring: Path, people_ctx: People, capsys: pytest.CaptureFixture
) -> None:
    register(people_ctx, 3)
    old = crypto.current_key_id()
    assert main(["--lang", "en", "keys", "status"]) == 0
    out = capsys.readouterr().out
    assert f"Current key: {old} (from the key file)" in out
    assert f"registry.person: {old}: 3" in out
    assert main(["--lang", "en", "keys", "rotate", "--batch", "2"]) == 0
    out = capsys.readouterr().out
    assert "4 rows re-encrypted, 0 left" in out
    assert main(["--lang", "en", "keys", "status"]) == 0
    out = capsys.readouterr().out
    assert f"Retired keys: {old}" in out
    assert f"registry.person: {crypto.current_key_id()}: 3" in out
