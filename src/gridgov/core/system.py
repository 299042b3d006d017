"""The actor of changes no person makes: command-line loaders, scheduled jobs.

Actions always take ``actor=``; commands run by the operator on the server pass
``SYSTEM`` (or a named one), which may do anything and is recorded in the audit trail
under its name (it has no user row).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    name: str = "system"
    pk: None = None
    is_active: bool = True
    is_authenticated: bool = True
    is_superuser: bool = True  # an operator: accounts.scope.is_operator() is true

    def __str__(self) -> str:
        return self.name

    def get_username(self) -> str:
        return self.name


SYSTEM = SystemActor()
