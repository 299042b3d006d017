"""Fixtures of the audit tests, shared with the accounts tests."""

from gridgov.accounts.testing import (  # noqa: F401 - fixtures
    _fresh_cache,
    _quick_passwords,
    argon2,
    county_admin,
    operator,
    other_admin,
    worker,
)
