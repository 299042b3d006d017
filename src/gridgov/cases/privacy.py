"""The reporter's phone number on a case, kept like every personal number (architecture
rule 5): AES-GCM blob, keyed hash for look-up, masked copy for display, and the key id —
the same helpers and formats as the population registry (``registry.privacy``), so key
rotation re-seals cases with the people."""

from __future__ import annotations

from typing import Any

from gridgov.core import crypto
from gridgov.registry.identity import mask_phone

SEALED_COLUMNS = (
    "reporter_phone_enc",
    "reporter_phone_hash",
    "reporter_phone_masked",
    "key_id",
)


def seal_reporter_phone(phone: str | None) -> dict[str, Any]:
    """Column values for an (already normalized) phone number; empty columns for none."""
    if not phone:
        return dict.fromkeys(SEALED_COLUMNS, "") | {"reporter_phone_enc": None}
    blob, key_id = crypto.encrypt(phone)
    return {
        "reporter_phone_enc": blob,
        "reporter_phone_hash": crypto.lookup_hash(phone),
        "reporter_phone_masked": mask_phone(phone),
        "key_id": key_id,
    }


def reporter_phone(case: Any) -> str:
    """The plaintext number ("" when none). Callers show it only to those who may."""
    blob = case.reporter_phone_enc
    if not blob:
        return ""
    return crypto.decrypt(bytes(blob), case.key_id)


def reseal(case: Any) -> dict[str, Any]:
    """The columns sealed again under the current key (key rotation)."""
    return seal_reporter_phone(reporter_phone(case))
