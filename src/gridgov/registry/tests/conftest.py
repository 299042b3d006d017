"""Fixtures every registry test gets: a fresh locate index and English messages for direct
calls; and on request the data key (``keyring``) and a small register of one grid
(``register``). The registry core's other named fixtures live in ``core_fixtures``."""

from __future__ import annotations

from gridgov.registry.tests.core_fixtures import _english, _fresh_locate_index, keyring
from gridgov.registry.tests.web_fixtures import register

__all__ = ["_english", "_fresh_locate_index", "keyring", "register"]
