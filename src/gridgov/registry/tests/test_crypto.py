"""The data key ring (core.crypto): round trips, key ids, look-up hashes, and keys rotated
by another process while this one runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gridgov.core import crypto
from gridgov.registry.tests.core_fixtures import keyring

__all__ = ["keyring"]

ID = "11010519491231002X"


def other_process_rotates(home: Path) -> crypto.DataKey:
    """What ``gridgov keys rotate`` in another process leaves behind: a new current key
    file, the old key appended to the retired file."""
    old = (home / crypto.CURRENT_FILE).read_text().strip()
    new_text = crypto.new_key_text()
    (home / crypto.RETIRED_FILE).write_text(old + "\n")
    (home / crypto.CURRENT_FILE).write_text(new_text)
    return crypto.make_key(crypto.parse_key(new_text))


def test_round_trip_with_a_fresh_nonce_each_time(keyring: Path) -> None:
    blob1, key_id = crypto.encrypt(ID)
    blob2, _ = crypto.encrypt(ID)
    assert blob1 != blob2  # random nonce: equal values do not give equal blobs
    assert ID.encode() not in blob1
    assert len(blob1) == crypto.NONCE_BYTES + len(ID) + 16  # nonce + text + GCM tag
    assert crypto.decrypt(blob1, key_id) == ID
    assert crypto.decrypt(memoryview(blob2), key_id) == ID  # as the database returns it


def test_key_id_is_the_start_of_the_keys_sha256(keyring: Path) -> None:
    import hashlib

    raw = crypto.parse_key((keyring / crypto.CURRENT_FILE).read_text())
    assert crypto.current_key_id() == hashlib.sha256(raw).hexdigest()[:12]
    assert crypto.encrypt("x")[1] == crypto.current_key_id()


def test_a_tampered_blob_or_a_wrong_key_fails_loudly(keyring: Path) -> None:
    blob, key_id = crypto.encrypt(ID)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(crypto.DataKeyError):
        crypto.decrypt(tampered, key_id)
    with pytest.raises(crypto.DataKeyError):
        crypto.decrypt(blob, "000000000000")


def test_lookup_hash_is_keyed_and_deterministic(keyring: Path) -> None:
    import hashlib

    assert crypto.lookup_hash(ID) == crypto.lookup_hash(ID)
    assert crypto.lookup_hash(ID) != crypto.lookup_hash("11010519491231003X")
    assert crypto.lookup_hash(ID) != hashlib.sha256(ID.encode()).hexdigest()
    assert len(crypto.lookup_hash(ID)) == 64
    assert crypto.lookup_hashes(ID) == [crypto.lookup_hash(ID)]


def test_a_key_rotated_by_another_process_is_found_on_first_use(keyring: Path) -> None:
    old_blob, old_id = crypto.encrypt(ID)
    old_hash = crypto.lookup_hash(ID)
    new = other_process_rotates(keyring)
    # The other process wrote a row under the new key; this process has not reloaded.
    nonce = os.urandom(crypto.NONCE_BYTES)
    new_blob = nonce + new.aead.encrypt(nonce, ID.encode(), None)
    assert crypto.decrypt(new_blob, new.key_id) == ID
    # After the reload the old key is retired: still readable, no longer used.
    assert crypto.current_key_id() == new.key_id
    assert crypto.decrypt(old_blob, old_id) == ID
    assert crypto.encrypt(ID)[1] == new.key_id
    # Searches find rows hashed under either key while rows are being re-encrypted.
    hashes = crypto.lookup_hashes(ID)
    assert hashes[0] == crypto.lookup_hash(ID) != old_hash
    assert old_hash in hashes


def test_servers_notice_changed_key_files_without_an_unknown_key_id(
    keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crypto.ring()
    new = other_process_rotates(keyring)
    monkeypatch.setattr(crypto, "RECHECK_SECONDS", -1.0)  # the next call re-checks
    assert crypto.current_key_id() == new.key_id


def test_retired_keys_from_the_environment(keyring: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blob, old_id = crypto.encrypt(ID)
    old_text = (keyring / crypto.CURRENT_FILE).read_text()
    monkeypatch.setenv(crypto.ENV_CURRENT, crypto.new_key_text())
    monkeypatch.setenv(crypto.ENV_RETIRED, f"{crypto.new_key_text()},{old_text}")
    crypto.reload()
    assert crypto.current_from_environment()
    assert crypto.current_key_id() != old_id
    assert len(crypto.key_ids()) == 3
    assert crypto.decrypt(blob, old_id) == ID


def test_malformed_keys_are_refused_with_a_reason() -> None:
    with pytest.raises(crypto.DataKeyError, match="32 bytes"):
        crypto.parse_key(crypto.encode_key(b"short"))
    with pytest.raises(crypto.DataKeyError, match="base64"):
        crypto.parse_key("not base64 at all!")
