"""Fixtures every epidemic test gets (English messages, a fresh locate index) and, on
request, the registry's small register (``register``) with its data key (``keyring``)
and the epidemic's people around it (``epi``)."""

from __future__ import annotations

from gridgov.epidemic.tests.fixtures import epi
from gridgov.registry.tests.core_fixtures import _english, _fresh_locate_index, keyring
from gridgov.registry.tests.web_fixtures import register

__all__ = ["_english", "_fresh_locate_index", "epi", "keyring", "register"]
