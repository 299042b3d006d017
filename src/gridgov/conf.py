"""Runtime configuration read from the environment.

Everything an operator sets lives in environment variables; secrets that are
absent are generated once into ``GRIDGOV_HOME`` so a newcomer needs nothing,
while production sets them explicitly and never commits them.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


def home() -> Path:
    """The folder for the SQLite file, keys and uploads (``GRIDGOV_HOME``)."""
    path = Path(os.environ.get("GRIDGOV_HOME", "var")).expanduser().resolve()
    if not path.exists():
        # Owner-only: the folder holds the database, the keys and residents' uploads.
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
    return path


def _secret_file(name: str, make: Callable[[], str]) -> str:
    path = home() / name
    if not path.exists():
        # Written with owner-only permissions: these files are as secret as a password.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()


def secret_key() -> str:
    return os.environ.get("GRIDGOV_SECRET_KEY") or _secret_file(
        "secret_key", lambda: secrets.token_urlsafe(50)
    )


def data_key() -> str:
    """Base64 AES-256 key protecting personal data at rest (``GRIDGOV_DATA_KEY``)."""
    return os.environ.get("GRIDGOV_DATA_KEY") or _secret_file(
        "data_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    )


def tile_url() -> str:
    """Optional map tile URL template; empty means grids on a plain background."""
    return os.environ.get("GRIDGOV_TILE_URL", "")


def database_config(url: str | None = None) -> dict:
    """Django DATABASES['default'] from ``DATABASE_URL`` (absent: SQLite in GRIDGOV_HOME)."""
    url = url if url is not None else os.environ.get("DATABASE_URL", "")
    if not url:
        return sqlite_config(home() / "gridgov.sqlite3")
    parsed = urlparse(url)
    if parsed.scheme in ("sqlite", "sqlite3"):
        return sqlite_config(Path(unquote(parsed.path)))
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        raise ValueError(f"DATABASE_URL scheme {parsed.scheme!r} is not supported")
    options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    host = unquote(parsed.hostname or "") or options.pop("host", "")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
        "TEST": {"NAME": os.environ.get("GRIDGOV_TEST_DB_NAME") or None},
    }


def sqlite_config(path: Path) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL lets readers go on while one writer writes; IMMEDIATE avoids
            # deadlocks when two transactions upgrade from read to write.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
        # Kept a minute, as on PostgreSQL: a connection opened per request re-read the
        # schema and started with a cold page cache, and the last one to close
        # checkpointed the WAL — about a sixth of a declaration batch's CPU
        # (bench/declarations.py: 234 → 197 µs a declaration).
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
