"""Scoped reads of users, departments, assignments and tokens.

An administrator sees a user when one of the user's active roles lies inside the
administrator's ``users.manage`` scope (or, for a user with no active role left, one of
their past roles did), and manages the user only when *all* the user's active roles lie
inside it: a change to a person who also works elsewhere is for someone who covers both.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from gridgov.accounts import scope
from gridgov.accounts.models import ApiToken, Department, GridAssignment, RoleAssignment, User
from gridgov.accounts.roles import CAPABILITIES, Role, all_capabilities
from gridgov.core.errors import NotFound
from gridgov.territory import codes

MANAGE = "users.manage"
MAX_PK = 2**63 - 1  # the largest value a bigint key column holds


def as_pk(value: Any) -> int:
    """A primary key from outside input; 0 (which names no row) when it cannot name one, so
    that a huge or malformed id is "not found" rather than a database overflow."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 1 <= number <= MAX_PK else 0


def is_system(user: Any) -> bool:
    """The system actor (``None``: CLI and jobs) and operators are not scope-bound."""
    return user is None or scope.is_operator(user)


def visible_users(user: Any) -> QuerySet[User]:
    """Users the given administrator may see (architecture rule 2)."""
    if is_system(user):
        return User.objects.all()
    prefixes = scope.scope_codes(user, MANAGE)
    if not prefixes:
        return User.objects.none()
    inside = scope.scope_filter(user, "scope_code", MANAGE)
    mine = RoleAssignment.objects.filter(user=OuterRef("pk"))
    return User.objects.filter(
        Exists(mine.active().filter(inside))
        | (~Exists(mine.active()) & Exists(mine.filter(inside)))
    )


def _with_roles(qs: QuerySet[User]) -> QuerySet[User]:
    active_roles = RoleAssignment.objects.active().select_related("region", "department__region")
    return qs.prefetch_related(Prefetch("role_assignments", active_roles, to_attr="active_roles"))


def search_users(
    user: Any,
    *,
    q: str = "",
    role: str = "",
    code: str = "",
    active: bool | None = None,
    locked: bool | None = None,
) -> QuerySet[User]:
    """Visible users filtered by name, role, territory code prefix and state, with their
    active roles prefetched as ``active_roles``."""
    qs = visible_users(user)
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    if role or code:
        held = RoleAssignment.objects.active().filter(user=OuterRef("pk"))
        if role:
            held = held.filter(role=role)
        if code:
            held = held.filter(scope_code__startswith=code)
        qs = qs.filter(Exists(held))
    if active is not None:
        qs = qs.filter(is_active=active)
    if locked is not None:
        locked_q = Q(locked_until__gt=timezone.now())
        qs = qs.filter(locked_q if locked else ~locked_q)
    return _with_roles(qs).order_by("username")


def get_user_for(user: Any, user_id: Any) -> User:
    """One visible user; NotFound for anyone else, so existence never leaks."""
    try:
        return visible_users(user).get(pk=as_pk(user_id))
    except User.DoesNotExist:
        raise NotFound() from None


def active_scope_codes(target: User) -> list[str]:
    return list(target.role_assignments.active().values_list("scope_code", flat=True))


def can_manage(actor: Any, target: User) -> bool:
    """Whether ``actor`` may change ``target``: every active role of the target lies inside
    the actor's users.manage scope, and operators are managed by operators only."""
    if is_system(actor):
        return True
    if target.is_superuser or not actor.is_active:
        return False
    prefixes = scope.scope_codes(actor, MANAGE)
    if not prefixes:
        return False
    return all(any(code.startswith(p) for p in prefixes) for code in active_scope_codes(target))


def anchor_code(target: User) -> str:
    """The territory code a change to this user is filed under in the audit trail: the
    narrowest node containing all their active roles (or all their roles, if none is
    active), so exactly the auditors covering all of them see it."""
    codes_ = active_scope_codes(target) or list(
        target.role_assignments.values_list("scope_code", flat=True)
    )
    return common_code(codes_)


def common_code(codes_: list[str]) -> str:
    """The longest whole territory code that is a prefix of every code ('' if none)."""
    if not codes_:
        return ""
    prefix = codes_[0]
    for code in codes_[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    lengths = sorted(codes.CODE_LENGTH.values(), reverse=True)
    return next((prefix[:n] for n in lengths if len(prefix) >= n), "")


def role_assignments_of(target: User) -> QuerySet[RoleAssignment]:
    """All role assignments of a user, active first, then history, newest first."""
    return target.role_assignments.select_related(
        "region", "department__region", "granted_by", "withdrawn_by"
    ).order_by(F("withdrawn_at").desc(nulls_first=True), "-granted_at")


def grid_assignments_of(
    target: User, *, include_withdrawn: bool = False
) -> QuerySet[GridAssignment]:
    qs = target.grid_assignments.select_related("grid")
    if not include_withdrawn:
        qs = qs.active()
    return qs.order_by("grid_code", "is_deputy")


def get_role_assignment(target: User, assignment_id: Any) -> RoleAssignment:
    """One of the (already visible) user's role assignments."""
    try:
        return target.role_assignments.get(pk=as_pk(assignment_id))
    except RoleAssignment.DoesNotExist:
        raise NotFound() from None


def get_grid_assignment(target: User, assignment_id: Any) -> GridAssignment:
    """One of the (already visible) user's grid assignments."""
    try:
        return target.grid_assignments.select_related("grid").get(pk=as_pk(assignment_id))
    except GridAssignment.DoesNotExist:
        raise NotFound() from None


def visible_departments(user: Any, capability: str | None = None) -> QuerySet[Department]:
    """Departments serving a territory inside the user's scope (through roles with
    ``capability``, if given; without one, the user's own departments too)."""
    qs = Department.objects.select_related("region")
    if is_system(user):
        return qs
    inside = scope.scope_filter(user, "region_code", capability)
    if capability is not None:
        return qs.filter(inside)
    own = RoleAssignment.objects.active().filter(user=user, department__isnull=False)
    return qs.filter(inside | Q(pk__in=own.values("department_id")))


def search_departments(
    user: Any,
    *,
    q: str = "",
    code: str = "",
    active: bool | None = None,
    capability: str | None = None,
) -> QuerySet[Department]:
    qs = visible_departments(user, capability)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if code:
        qs = qs.filter(region_code__startswith=code)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("region_code", "name")


def get_department_for(user: Any, department_id: Any, capability: str | None = None) -> Department:
    try:
        return visible_departments(user, capability).get(pk=as_pk(department_id))
    except Department.DoesNotExist:
        raise NotFound() from None


def tokens_of(user: Any) -> QuerySet[ApiToken]:
    """A user's own API tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_by_prefix(prefix: str) -> ApiToken:
    """For the command line: the one token whose displayed prefix starts so."""
    matches = list(ApiToken.objects.select_related("user").filter(prefix__startswith=prefix)[:2])
    if not prefix or len(matches) != 1:
        raise NotFound("No single token has this prefix.")
    return matches[0]


def capabilities_of(user: Any) -> list[str]:
    if scope.is_operator(user):
        return sorted(all_capabilities())
    held: set[str] = set()
    for role in scope.roles(user):
        held |= CAPABILITIES.get(role, frozenset())
    return sorted(held)


def role_summary(a: RoleAssignment) -> dict[str, Any]:
    """A role assignment as people read it: the role, and where (code and name)."""
    dept = a.department
    where = dept.region if dept else a.region
    return {
        "id": a.pk,
        "role": a.role,
        "role_label": str(Role(a.role).label),
        "scope_code": a.scope_code,
        "scope_name": where.name if where else "",
        "department": {"id": dept.pk, "code": dept.code, "name": dept.name} if dept else None,
    }


def me(user: User) -> dict[str, Any]:
    """What the signed-in user is: roles with their scope, grids, capabilities."""
    roles = [
        role_summary(a)
        for a in user.role_assignments.active()
        .select_related("region", "department__region")
        .order_by("role", "scope_code")
    ]
    grids = [
        {"grid_code": g.grid_code, "grid_name": g.grid.name, "is_deputy": g.is_deputy}
        for g in grid_assignments_of(user)
    ]
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": user.display_name,
        "is_operator": scope.is_operator(user),
        "roles": roles,
        "grids": grids,
        "capabilities": capabilities_of(user),
    }
