"""Where a user may look and act.

A user's scope is the set of territory codes their active role assignments reach.
Because every code's ancestors are its prefixes, "inside the scope" is a prefix test,
and filtering a table by scope is a union of index range scans on a code column.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from gridgov.accounts.roles import CAPABILITIES
from gridgov.core.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from gridgov.accounts.models import User

_CACHE_ATTR = "_gridgov_assignments"


def _assignments(user: Any) -> list[tuple[str, str]]:
    """(role, scope_code) pairs of the user's active assignments, cached per user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(user.role_assignments.active().values_list("role", "scope_code").order_by())
        setattr(user, _CACHE_ATTR, cached)
    return cached


def remember(user: Any, assignments: Iterable[tuple[str, str]]) -> None:
    """Keep (role, scope_code) pairs of the user's active assignments that another
    module read (with more columns), so that this request does not read them again."""
    if user is not None and getattr(user, _CACHE_ATTR, None) is None:
        setattr(user, _CACHE_ATTR, list(assignments))


def forget(user: Any) -> None:
    """Drop the cached assignments after they changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def minimal_prefixes(codes: Iterable[str]) -> list[str]:
    """Drop every code already covered by a shorter code in the list."""
    kept: set[str] = set()
    # Shorter codes first, so a code's covering prefix is already kept when it is reached;
    # looking up each prefix in a set keeps this linear in the number of codes.
    for code in sorted(set(codes), key=len):
        if not any(code[:n] in kept for n in range(len(code))):
            kept.add(code)
    return sorted(kept)


def is_operator(user: Any) -> bool:
    """Django superusers run the installation and see everything."""
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def roles(user: Any) -> set[str]:
    return {role for role, _ in _assignments(user)}


def scope_codes(user: Any, capability: str | None = None) -> list[str]:
    """Territory codes the user reaches, optionally only through roles with a capability."""
    if is_operator(user):
        return [""]
    return minimal_prefixes(
        scope
        for role, scope in _assignments(user)
        if capability is None or capability in CAPABILITIES.get(role, frozenset())
    )


def scope_filter(user: Any, field: str = "grid_code", capability: str | None = None) -> Q:
    """A Q object keeping rows whose ``field`` lies in the user's scope (nothing if none)."""
    prefixes = scope_codes(user, capability)
    if "" in prefixes:
        return Q()
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for prefix in prefixes:
        q |= Q(**{f"{field}__startswith": prefix})
    return q


def in_scope(user: Any, code: str, capability: str | None = None) -> bool:
    return any(code.startswith(prefix) for prefix in scope_codes(user, capability))


def has_capability(user: Any, capability: str, code: str | None = None) -> bool:
    """Whether the user holds ``capability`` anywhere, or over ``code`` when given."""
    if is_operator(user):
        return True
    prefixes = scope_codes(user, capability)
    if code is None:
        return bool(prefixes)
    return any(code.startswith(prefix) for prefix in prefixes)


def require(user: Any, capability: str, code: str | None = None) -> None:
    """Refuse unless the user may do ``capability`` over ``code``.

    Outside the user's scope altogether the answer is NotFound, so that a refusal
    never tells whether the thing exists; inside it, a missing capability is
    PermissionDenied.
    """
    if has_capability(user, capability, code):
        return
    if code is not None and not in_scope(user, code):
        raise NotFound()
    raise PermissionDenied()


def home_code(user: Any) -> str | None:
    """The broadest territory node the user sees, where their pages start."""
    prefixes = [p for p in scope_codes(user, "territory.view") if p]
    if is_operator(user):
        return None
    return prefixes[0] if len(prefixes) == 1 else None


def user_label(user: User | None) -> str:
    return str(user) if user is not None else "system"
