"""Encryption at rest for personal numbers (architecture rule 5): a key ring.

The *current* data key (``GRIDGOV_DATA_KEY`` from the environment, or the generated file
``GRIDGOV_HOME/data_key``) encrypts everything new. *Retired* keys — still needed to read
rows not yet re-encrypted after a rotation — come from ``GRIDGOV_HOME/data_keys_retired``
(one base64 key per line, mode 0600) and the environment variable
``GRIDGOV_DATA_KEYS_RETIRED`` (comma-separated).

- ``encrypt`` → AES-256-GCM with a random 12-byte nonce prepended to the ciphertext, and
  the id of the key used (the first 12 hex characters of SHA-256 of the key), which the
  row stores beside the blob.
- ``lookup_hash`` → HMAC-SHA256 with a look-up key derived (HKDF) from the current data
  key, for exact search and de-duplication without decrypting. ``lookup_hashes`` gives the
  hash under every key of the ring: searches use ``__in`` so they keep finding rows whose
  hash was computed under a key being rotated out.

These run once or twice per row of a million-row import, so the ring keeps its AESGCM
objects and HMAC keys ready and the calls do no I/O. Another process may rotate the key
(``gridgov keys rotate``): ``decrypt`` re-reads the key files once when it meets an
unknown key id, and every call checks, at most every few seconds, whether the key files
changed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_BYTES = 32
ENV_CURRENT = "GRIDGOV_DATA_KEY"
ENV_RETIRED = "GRIDGOV_DATA_KEYS_RETIRED"
CURRENT_FILE = "data_key"
RETIRED_FILE = "data_keys_retired"
# How often (seconds) a process looks whether the key files changed under it.
RECHECK_SECONDS = 5.0
_LOOKUP_INFO = b"gridgov lookup hash v1"


class DataKeyError(Exception):
    """A key cannot be used: malformed, or a blob under a key the ring does not hold."""


@dataclass(frozen=True)
class DataKey:
    key_id: str
    raw: bytes
    aead: AESGCM = field(repr=False, compare=False)
    lookup_key: bytes = field(repr=False, compare=False)


@dataclass
class KeyRing:
    current: DataKey
    by_id: dict[str, DataKey]
    stamp: tuple = ()
    checked_at: float = 0.0

    @property
    def keys(self) -> list[DataKey]:
        """The current key first, then the retired ones."""
        return [self.current, *(k for k in self.by_id.values() if k is not self.current)]


def key_id_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:12]


def parse_key(text: str) -> bytes:
    """A base64 (URL-safe or standard) 32-byte key; DataKeyError says what is wrong."""
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise DataKeyError("the data key is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise DataKeyError(f"the data key must be {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def encode_key(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def new_key_text() -> str:
    return encode_key(os.urandom(KEY_BYTES))


def make_key(raw: bytes) -> DataKey:
    lookup = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LOOKUP_INFO).derive(raw)
    return DataKey(key_id=key_id_of(raw), raw=raw, aead=AESGCM(raw), lookup_key=lookup)


# --- where the keys come from -------------------------------------------------------------


def home() -> Path:
    from django.conf import settings

    return Path(settings.GRIDGOV_HOME)


def current_key_file() -> Path:
    return home() / CURRENT_FILE


def retired_key_file() -> Path:
    return home() / RETIRED_FILE


def current_from_environment() -> bool:
    """Whether the current key is set by the operator (then rotation cannot replace it)."""
    return bool(os.environ.get(ENV_CURRENT))


def _current_key_text() -> str:
    """The environment wins; then the key file (it may have been rotated since settings
    were read); then settings, which generated the file at start-up."""
    from django.conf import settings

    env = os.environ.get(ENV_CURRENT)
    if env:
        return env
    path = current_key_file()
    if path.exists():
        return path.read_text().strip()
    return str(settings.GRIDGOV_DATA_KEY)


def retired_key_texts() -> list[str]:
    texts = [t for t in os.environ.get(ENV_RETIRED, "").split(",") if t.strip()]
    path = retired_key_file()
    if path.exists():
        texts += [line for line in path.read_text().splitlines() if line.strip()]
    return texts


def _files_stamp() -> tuple:
    """What changes when a rotation rewrites the key files."""
    stamp: list[tuple[int, int, int] | None] = []
    for path in (current_key_file(), retired_key_file()):
        try:
            st = path.stat()
            stamp.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except FileNotFoundError:
            stamp.append(None)
    return (
        tuple(stamp),
        os.environ.get(ENV_CURRENT, ""),
        os.environ.get(ENV_RETIRED, ""),
    )


def _load() -> KeyRing:
    stamp = _files_stamp()
    current = make_key(parse_key(_current_key_text()))
    by_id = {current.key_id: current}
    for text in retired_key_texts():
        key = make_key(parse_key(text))
        by_id.setdefault(key.key_id, key)
    return KeyRing(current=current, by_id=by_id, stamp=stamp, checked_at=time.monotonic())


_ring: KeyRing | None = None
_lock = threading.Lock()


def reload() -> KeyRing:
    """Read the keys again (after a rotation, or when the settings changed in tests)."""
    global _ring
    with _lock:
        _ring = _load()
        return _ring


def ring() -> KeyRing:
    """The loaded ring; every RECHECK_SECONDS a stat of the key files tells whether another
    process rotated them, so long-running servers pick the new key up on their own."""
    current = _ring
    if current is None:
        return reload()
    now = time.monotonic()
    if now - current.checked_at > RECHECK_SECONDS:
        current.checked_at = now
        if _files_stamp() != current.stamp:
            return reload()
    return current


# --- the operations -----------------------------------------------------------------------


def current_key_id() -> str:
    return ring().current.key_id


def key_ids() -> list[str]:
    """Every key id in the ring, the current one first."""
    return [k.key_id for k in ring().keys]


def encrypt(value: str) -> tuple[bytes, str]:
    """(nonce + AES-GCM ciphertext, key id) of ``value`` under the current key."""
    key = ring().current
    nonce = os.urandom(NONCE_BYTES)
    return nonce + key.aead.encrypt(nonce, value.encode(), None), key.key_id


def _key(key_id: str) -> DataKey:
    key = ring().by_id.get(key_id)
    if key is None:
        # Another process may have rotated the keys since this one loaded them.
        key = reload().by_id.get(key_id)
    if key is None:
        raise DataKeyError(f"no data key with id {key_id!r} is configured")
    return key


def decrypt(blob: bytes, key_id: str) -> str:
    """The plaintext of a blob written by ``encrypt`` under the key ``key_id``."""
    key = _key(key_id)
    data = bytes(blob)
    try:
        return key.aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], None).decode()
    except InvalidTag:
        raise DataKeyError(f"the data does not decrypt under key {key_id!r}") from None


def lookup_hash(value: str) -> str:
    """Keyed hash (HMAC-SHA256, hex) of a normalized value under the current key."""
    return hmac.digest(ring().current.lookup_key, value.encode(), "sha256").hex()


def lookup_hash_with(key_id: str, value: str) -> str:
    return hmac.digest(_key(key_id).lookup_key, value.encode(), "sha256").hex()


def lookup_hashes(value: str) -> list[str]:
    """The hash of ``value`` under every key of the ring (current first), for ``__in``."""
    data = value.encode()
    return [hmac.digest(k.lookup_key, data, "sha256").hex() for k in ring().keys]


# --- many values under one key (bulk imports) --------------------------------------------


def encryptor(key: DataKey | None = None) -> Callable[[str], bytes]:
    """``encrypt`` bound to one key (the current one by default) for sealing many values:
    the same blobs (a fresh random nonce each), without looking the key up per value."""
    key = key or ring().current
    aead_encrypt, urandom = key.aead.encrypt, os.urandom

    def seal(value: str) -> bytes:
        nonce = urandom(NONCE_BYTES)
        return nonce + aead_encrypt(nonce, value.encode(), None)

    return seal


def batch_encryptor(key: DataKey | None = None) -> Callable[[Sequence[str]], list[bytes]]:
    """``encryptor`` for a list of values at a time: the same blobs (a fresh random nonce
    each — cut from one ``os.urandom`` read instead of one system call per value)."""
    key = key or ring().current
    aead_encrypt, urandom = key.aead.encrypt, os.urandom

    def seal(values: Sequence[str]) -> list[bytes]:
        pool = urandom(NONCE_BYTES * len(values))
        nonces = [pool[i : i + NONCE_BYTES] for i in range(0, len(pool), NONCE_BYTES)]
        return [n + aead_encrypt(n, v.encode(), None) for n, v in zip(nonces, values, strict=True)]

    return seal


def hasher(key: DataKey | None = None) -> Callable[[str], str]:
    """``lookup_hash`` bound to one key for hashing many values: the same hex digests,
    with the HMAC's inner and outer SHA-256 states keyed once instead of per value."""
    key = key or ring().current
    raw = key.lookup_key if len(key.lookup_key) <= 64 else hashlib.sha256(key.lookup_key).digest()
    block = raw.ljust(64, b"\0")  # the HMAC key block (RFC 2104)
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def digest(value: str) -> str:
        h = inner.copy()
        h.update(value.encode())
        o = outer.copy()
        o.update(h.digest())
        return o.hexdigest()

    return digest
