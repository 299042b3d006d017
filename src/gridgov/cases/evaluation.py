"""Evaluation roll-ups (domain.md §4), kept current with every case transition.

``count_transition`` is called by every workflow action inside its transaction, after
the case and its new event are saved.
"""

from __future__ import annotations

from typing import Any


def count_transition(case: Any, event: Any) -> None:
    """Add what this transition changes to the evaluation roll-ups."""
    # The roll-up tables and their maintenance land with the evaluation module.
    return None
