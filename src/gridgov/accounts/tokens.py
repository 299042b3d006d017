"""API bearer tokens: random secrets shown once, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.utils import timezone

TOKEN_PREFIX = "ggv_"  # noqa: S105 - a public marker, not a secret


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """A fresh (raw token, display prefix, hash)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return raw, raw[: len(TOKEN_PREFIX) + 8], hash_token(raw)


def user_for_token(raw: str) -> Any:
    """The user a usable token belongs to, or None — also while the account is inactive
    or locked (a lock stops every way in, not just the login form). Marks the token as
    used."""
    from gridgov.accounts.models import ApiToken

    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
    if token is None or not token.is_usable:
        return None
    if not token.user.is_active or token.user.is_locked:
        return None
    now = timezone.now()
    # Touch at most once a minute so busy clients do not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
