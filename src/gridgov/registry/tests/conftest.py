"""Fixtures every registry test gets: a fresh locate index and English messages for direct
calls. The registry core's named fixtures live in ``core_fixtures``; add shared ones here."""

from __future__ import annotations

from gridgov.registry.tests.core_fixtures import _english, _fresh_locate_index

__all__ = ["_english", "_fresh_locate_index"]
