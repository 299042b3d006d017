"""Signed health codes a checkpoint verifies offline (Ed25519, from ``cryptography``).

A code token says: this pseudonymous person had this colour on this day, signed by this
installation. It is ``HC1.<payload>.<signature>`` (base64url without padding), the payload
being ``<pseudonym>|<colour>|<YYYYMMDD>|<key id>``. A checkpoint needs only the public key
(``gridgov epidemic public-key``, or the verification page) to check a token with no
network: nobody without the private key can make one, and the token names nobody — the
pseudonym is a keyed hash of the person's row id, stable per person, meaningless outside.

The private key is ``GRIDGOV_HEALTH_CODE_KEY`` (base64 of the 32-byte seed) or, absent,
the file ``GRIDGOV_HOME/health_code_key`` generated once with owner-only permissions —
the same arrangement as the data key (``gridgov.conf``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "HC1"
ENV_KEY = "GRIDGOV_HEALTH_CODE_KEY"
KEY_FILE = "health_code_key"
COLOURS = ("green", "yellow", "red")
_PSEUDONYM_INFO = b"gridgov health code pseudonym v1"


class SigningKeyError(Exception):
    """The configured signing key cannot be used."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_path() -> Path:
    return Path(settings.GRIDGOV_HOME) / KEY_FILE


def _seed_text() -> str:
    env = os.environ.get(ENV_KEY)
    if env:
        return env.strip()
    path = _key_path()
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(_b64(os.urandom(32)) + "\n")
    return path.read_text().strip()


@cache
def _private_key(seed_text: str) -> Ed25519PrivateKey:
    try:
        seed = _unb64(seed_text)
    except (binascii.Error, ValueError):
        raise SigningKeyError("the health code key is not valid base64") from None
    if len(seed) != 32:
        raise SigningKeyError("the health code key must be 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key() -> Ed25519PrivateKey:
    return _private_key(_seed_text())


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_text() -> str:
    """The public key to give checkpoints (base64url of its 32 bytes)."""
    return _b64(public_bytes(private_key().public_key()))


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:8]


def load_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = _unb64(text.strip())
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise SigningKeyError("not an Ed25519 public key") from None


@cache
def _pseudonym_key(seed_text: str) -> bytes:
    seed = _private_key(seed_text).private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PSEUDONYM_INFO).derive(seed)


def pseudonym(person_id: int) -> str:
    """A person's stable pseudonym in tokens: 16 hex characters, meaningless without the key."""
    key = _pseudonym_key(_seed_text())
    return hmac.new(key, str(int(person_id)).encode(), hashlib.sha256).hexdigest()[:16]


def sign(person_id: int, colour: str, day: dt.date) -> str:
    """The token of a person's colour on ``day``."""
    key = private_key()
    payload = "|".join(
        [
            pseudonym(person_id),
            colour,
            day.strftime("%Y%m%d"),
            key_id(public_bytes(key.public_key())),
        ]
    ).encode()
    return f"{PREFIX}.{_b64(payload)}.{_b64(key.sign(payload))}"


@dataclass(frozen=True)
class Verified:
    valid: bool
    reason: str = ""  # why not valid: "malformed", "unknown_key", "bad_signature"
    pseudonym: str = ""
    colour: str = ""
    day: dt.date | None = None
    key_id: str = ""

    def is_for(self, today: dt.date) -> bool:
        """Valid and issued for ``today``: yesterday's green says nothing about today."""
        return self.valid and self.day == today


def verify(token: str, public_key: Ed25519PublicKey | None = None) -> Verified:
    """Check a token with a public key (default: this installation's). Needs no database
    and no network: what a checkpoint's device runs."""
    public = public_key or private_key().public_key()
    parts = (token or "").strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        return Verified(False, "malformed")
    try:
        payload, signature = _unb64(parts[1]), _unb64(parts[2])
        fields = payload.decode("ascii").split("|")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return Verified(False, "malformed")
    if len(fields) != 4 or fields[1] not in COLOURS:
        return Verified(False, "malformed")
    name, colour, day_text, kid = fields
    try:
        day = dt.datetime.strptime(day_text, "%Y%m%d").date()
    except ValueError:
        return Verified(False, "malformed")
    if kid != key_id(public_bytes(public)):
        return Verified(False, "unknown_key", key_id=kid)
    try:
        public.verify(signature, payload)
    except InvalidSignature:
        return Verified(False, "bad_signature", key_id=kid)
    return Verified(True, pseudonym=name, colour=colour, day=day, key_id=kid)
