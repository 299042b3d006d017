"""Fixtures of the accounts tests (shared with the audit tests via gridgov.accounts.testing)."""

from gridgov.accounts.testing import (  # noqa: F401 - fixtures
    _fresh_cache,
    _quick_passwords,
    argon2,
    county_admin,
    operator,
    other_admin,
    worker,
)
