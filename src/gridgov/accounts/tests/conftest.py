"""Fixtures of the accounts tests (shared with the audit tests via gridgov.accounts.testing)."""

from gridgov.accounts.testing import (  # noqa: F401 - fixtures
    county_admin,
    operator,
    other_admin,
    worker,
)
