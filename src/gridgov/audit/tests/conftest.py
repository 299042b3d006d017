"""Fixtures of the audit tests, shared with the accounts tests."""

from gridgov.accounts.testing import (  # noqa: F401 - fixtures
    county_admin,
    operator,
    other_admin,
    worker,
)
