"""State changes of the accounts app: logins, user administration, tokens, departments.

Every function here runs in one transaction, checks the actor's permission and writes
its audit event. ``actor=None`` is the system itself (command line, scheduled jobs);
web pages and the API always pass the signed-in user.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from gridgov.accounts import queries, scope, tokens
from gridgov.accounts.models import ApiToken, Department, GridAssignment, RoleAssignment, User
from gridgov.accounts.roles import DEPARTMENT_ROLES, ROLE_CODE_LENGTHS, Role
from gridgov.audit.actions import diff, record
from gridgov.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from gridgov.core.text import has_control_characters
from gridgov.core.versions import check_version
from gridgov.territory import codes
from gridgov.territory.models import Region

MANAGE_USERS = "users.manage"
MANAGE_DEPARTMENTS = "departments.manage"

# ---------------------------------------------------------------------------------------
# Logging in


class LoginRefused(DomainError):
    code = "login_failed"
    status = 401


class AccountLocked(LoginRefused):
    code = "account_locked"
    status = 423


class TooManyAttempts(LoginRefused):
    code = "too_many_attempts"
    status = 429


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _about(user: User) -> dict[str, Any]:
    """The audit ``obj`` arguments for a user: the name people know and the username."""
    label = user.username if not user.display_name else f"{user.display_name} ({user.username})"
    return {"obj": user, "object_repr": label}


def max_failures() -> int:
    return _setting("GRIDGOV_LOGIN_MAX_FAILURES", 5)


def lock_minutes() -> int:
    return _setting("GRIDGOV_LOGIN_LOCK_MINUTES", 30)


def ip_max_failures() -> int:
    return _setting("GRIDGOV_LOGIN_IP_MAX_FAILURES", 20)


def ip_window_minutes() -> int:
    return _setting("GRIDGOV_LOGIN_IP_WINDOW_MINUTES", 15)


def _wrong_credentials() -> LoginRefused:
    # One message whether the name or the password was wrong, so names cannot be probed.
    return LoginRefused(_("The username or password is incorrect."))


def _locked(until: datetime) -> AccountLocked:
    when = formats.date_format(timezone.localtime(until), "Y-m-d H:i")
    return AccountLocked(
        _(
            "This account is locked until %(until)s after too many failed logins. "
            "Ask an administrator to unlock it, or try again after that time."
        )
        % {"until": when},
        details={"locked_until": until.isoformat()},
    )


def authenticate_login(username: str, password: str, *, ip: str = "") -> User:
    """Check a login and return the user, or raise LoginRefused (AccountLocked,
    TooManyAttempts). Failures are counted per account and per client address; the
    counters and audit events are committed even though the login is refused."""
    username = (username or "").strip()
    if _ip_throttled(ip):
        raise TooManyAttempts(
            _("Too many failed logins from this address. Try again in %(minutes)d minutes.")
            % {"minutes": ip_window_minutes()}
        )
    with transaction.atomic():
        user, refusal = _check_credentials(username, password)
    if refusal is None:
        return user  # type: ignore[return-value]
    _count_ip_failure(ip)
    raise refusal


def _check_credentials(username: str, password: str) -> tuple[User | None, LoginRefused | None]:
    account = (
        User.objects.select_for_update().filter(**{User.USERNAME_FIELD: username}).first()
        if username
        else None
    )
    if account is None:
        authenticate(None, username=username, password=password)  # same work as a real check
        record(
            "auth.login_failed",
            actor="anonymous",
            object_type="accounts.user",
            object_repr=username[:150],
            changes={"reason": "unknown user"},
        )
        return None, _wrong_credentials()
    if account.is_locked:
        record("auth.login_failed", actor=account, **_about(account), changes={"reason": "locked"})
        return None, _locked(account.locked_until)  # type: ignore[arg-type]
    if account.locked_until is not None:  # an expired lock: start counting afresh
        account.failed_logins, account.locked_until = 0, None
    user = authenticate(None, username=username, password=password)
    if user is not None:
        account.failed_logins, account.locked_until = 0, None
        account.save(update_fields=["failed_logins", "locked_until"])
        record("auth.login", actor=account, **_about(account))
        return user, None
    if not account.is_active:
        record(
            "auth.login_failed", actor=account, **_about(account), changes={"reason": "inactive"}
        )
        return None, _wrong_credentials()
    return None, _count_account_failure(account)


def _count_account_failure(account: User) -> LoginRefused:
    now = timezone.now()
    account.failed_logins += 1
    account.last_failed_login = now
    record(
        "auth.login_failed",
        actor=account,
        **_about(account),
        changes={"reason": "wrong password", "failed_logins": account.failed_logins},
    )
    refusal = _wrong_credentials()
    if account.failed_logins >= max_failures():
        account.locked_until = now + timedelta(minutes=lock_minutes())
        record(
            "auth.locked",
            actor=account,
            **_about(account),
            changes={"failed_logins": account.failed_logins, "locked_until": account.locked_until},
        )
        refusal = _locked(account.locked_until)
    account.save(update_fields=["failed_logins", "last_failed_login", "locked_until"])
    return refusal


def _ip_key(ip: str) -> str:
    return f"gridgov:login-failures:{ip}"


def _ip_throttled(ip: str) -> bool:
    return bool(ip) and (cache.get(_ip_key(ip)) or 0) >= ip_max_failures()


def _count_ip_failure(ip: str) -> None:
    """Failures per client address in a fixed window, so one client cannot walk through
    many usernames. (The cache is per process unless the operator configures a shared one.)"""
    if not ip:
        return
    key, window = _ip_key(ip), ip_window_minutes() * 60
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if count == ip_max_failures():
        with transaction.atomic():
            record("auth.ip_throttled", actor="anonymous", changes={"ip": ip, "failures": count})


def record_logout(*, actor: User) -> None:
    with transaction.atomic():
        record("auth.logout", actor=actor, **_about(actor))


# ---------------------------------------------------------------------------------------
# Shared checks


def _acting_user(actor: Any) -> User | None:
    """The actor as a user to store in ``granted_by`` and the like (None for the system)."""
    return actor if isinstance(actor, User) and actor.pk else None


def _require(actor: Any, capability: str, code: str | None = None) -> None:
    if not queries.is_system(actor):
        scope.require(actor, capability, code)


def _lock_target(actor: Any, user_id: Any) -> User:
    """The user row, locked until the transaction ends, if the actor may change it.

    No users.manage at all → PermissionDenied; a user outside the actor's scope →
    NotFound; a visible user who also holds roles elsewhere → PermissionDenied.
    """
    _require(actor, MANAGE_USERS)
    visible = queries.get_user_for(actor, user_id)
    target = User.objects.select_for_update().get(pk=visible.pk)
    if not queries.can_manage(actor, target):
        raise PermissionDenied(
            _(
                "This user also holds roles outside your area or is an operator; "
                "ask an administrator who covers all of them."
            )
        )
    return target


def _check_version(obj: User | Department, version: int | None) -> None:
    message = _(
        "Someone else changed this record after you opened it. "
        "Reload the page and make your change again."
    )
    check_version(obj, version, message)


def _clean(model: type[models.Model], **values: Any) -> dict[str, Any]:
    """Values checked by the model fields' own rules, with the errors named per field."""
    cleaned, errors = {}, {}
    for name, value in values.items():
        try:
            cleaned[name] = model._meta.get_field(name).clean(value, None)  # type: ignore[union-attr]
        except ValidationError as exc:
            errors[name] = " ".join(exc.messages)
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    return cleaned


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, fields={field: message})


def generate_password() -> str:
    """A random password that is easy to read out: four groups of four characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _validated_password(password: str | None, user: User, field: str) -> tuple[str, bool]:
    """(password to set, whether it was generated). Given passwords pass Django's validators."""
    if not password:
        return generate_password(), True
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise _invalid(field, " ".join(exc.messages)) from None
    return password, False


def _profile(user: User) -> dict[str, Any]:
    return {"display_name": user.display_name, "email": user.email, "is_active": user.is_active}


# ---------------------------------------------------------------------------------------
# Users


def create_user(
    username: str,
    *,
    actor: Any,
    role: str,
    region_code: str = "",
    department_id: int | None = None,
    display_name: str = "",
    email: str = "",
    password: str | None = None,
) -> tuple[User, str | None]:
    """Create a user with a first role (so the user lands inside the actor's scope).
    Returns the user and the generated password, if none was given (shown once)."""
    with transaction.atomic():
        _require(actor, MANAGE_USERS)
        fields = _clean(User, username=username.strip(), display_name=display_name, email=email)
        region, department, scope_code = _resolve_scope(actor, role, region_code, department_id)
        if User.objects.filter(username__iexact=fields["username"]).exists():
            raise _invalid("username", _("A user with this username already exists."))
        user = User(**fields)
        raw, generated = _validated_password(password, user, "password")
        user.set_password(raw)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # created by someone else a moment ago
            raise _invalid("username", _("A user with this username already exists.")) from None
        record(
            "user.create",
            actor=actor,
            **_about(user),
            grid_code=scope_code,
            changes={**fields, "password": "generated" if generated else "set"},
        )
        _grant(user, role, region, department, scope_code, actor)
    return user, (raw if generated else None)


def create_operator(
    username: str, *, actor: Any, password: str | None = None
) -> tuple[User, str | None]:
    """An operator (Django superuser) who runs the installation. System or operators only."""
    if not queries.is_system(actor):
        raise PermissionDenied(_("Only operators may create operators."))
    with transaction.atomic():
        fields = _clean(User, username=username.strip())
        if User.objects.filter(username__iexact=fields["username"]).exists():
            raise _invalid("username", _("A user with this username already exists."))
        user = User(**fields, is_superuser=True, is_staff=True)
        raw, generated = _validated_password(password, user, "password")
        user.set_password(raw)
        user.save()
        record(
            "user.create_operator", actor=actor, **_about(user), changes={"username": user.username}
        )
    return user, (raw if generated else None)


def update_user(
    user_id: Any,
    *,
    actor: Any,
    display_name: str | None = None,
    email: str | None = None,
    is_active: bool | None = None,
    version: int | None = None,
) -> User:
    """Change a user's display name, email or active state (None leaves a field as is).
    ``version`` is the one the editor saw; a newer one on the row means a conflict."""
    return _change_user(
        user_id,
        actor=actor,
        action="user.update",
        version=version,
        display_name=display_name,
        email=email,
        is_active=is_active,
    )


def deactivate_user(user_id: Any, *, actor: Any, version: int | None = None) -> User:
    """A deactivated user can no longer log in or use tokens; nothing is deleted."""
    return _change_user(
        user_id, actor=actor, action="user.deactivate", version=version, is_active=False
    )


def reactivate_user(user_id: Any, *, actor: Any, version: int | None = None) -> User:
    return _change_user(
        user_id, actor=actor, action="user.reactivate", version=version, is_active=True
    )


def _change_user(
    user_id: Any, *, actor: Any, action: str, version: int | None, **values: Any
) -> User:
    with transaction.atomic():
        target = _lock_target(actor, user_id)
        _check_version(target, version)
        wanted = {k: v for k, v in values.items() if v is not None}
        wanted.update(_clean(User, **{k: v for k, v in wanted.items() if k != "is_active"}))
        if wanted.get("is_active") is False and _acting_user(actor) == target:
            raise _invalid("is_active", _("You cannot deactivate your own account."))
        before = _profile(target)
        for name, value in wanted.items():
            setattr(target, name, value)
        changes = diff(before, _profile(target))
        if not changes:
            return target
        target.version += 1
        target.save(update_fields=[*changes, "version"])
        record(
            action,
            actor=actor,
            **_about(target),
            grid_code=queries.anchor_code(target),
            changes=changes,
        )
    return target


def reset_password(user_id: Any, *, actor: Any, password: str | None = None) -> str | None:
    """Set a new password chosen by the administrator, or a generated one which is
    returned (to be shown once). Also lifts a lock, since the user must log in again."""
    with transaction.atomic():
        target = _lock_target(actor, user_id)
        raw, generated = _validated_password(password, target, "password")
        target.set_password(raw)
        was_locked = target.is_locked
        target.failed_logins, target.locked_until = 0, None
        target.save(update_fields=["password", "failed_logins", "locked_until"])
        record(
            "user.reset_password",
            actor=actor,
            **_about(target),
            grid_code=queries.anchor_code(target),
            changes={"password": "generated" if generated else "set", "unlocked": was_locked},
        )
    return raw if generated else None


def unlock_user(user_id: Any, *, actor: Any) -> User:
    """Lift a login lock and clear the failure counter."""
    with transaction.atomic():
        target = _lock_target(actor, user_id)
        before = {"failed_logins": target.failed_logins, "locked_until": target.locked_until}
        target.failed_logins, target.locked_until = 0, None
        target.save(update_fields=["failed_logins", "locked_until"])
        record(
            "user.unlock",
            actor=actor,
            **_about(target),
            grid_code=queries.anchor_code(target),
            changes=diff(before, {"failed_logins": 0, "locked_until": None}),
        )
    return target


def change_own_password(*, actor: User, old_password: str, new_password: str) -> User:
    """Anyone may change their own password, knowing the current one."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        if not user.check_password(old_password or ""):
            raise _invalid("old_password", _("Your current password is not correct."))
        if not new_password:
            raise _invalid("new_password", _("Enter a new password."))
        raw, _generated = _validated_password(new_password, user, "new_password")
        user.set_password(raw)
        user.save(update_fields=["password"])
        record("user.password_change", actor=user, **_about(user))
    return user


# ---------------------------------------------------------------------------------------
# Roles and grids


def _levels_text(lengths: frozenset[int]) -> str:
    return "、".join(str(codes.LEVEL_LABELS[codes.LEVEL_BY_LENGTH[n]]) for n in sorted(lengths))


def _resolve_scope(
    actor: Any, role: str, region_code: str | None, department_id: Any
) -> tuple[Region | None, Department | None, str]:
    """The territory node or department a role is bound to, checked for sense and for the
    actor's scope. Unknown codes and codes outside the scope get the same answer."""
    if role not in Role.values:
        raise _invalid("role", _("Choose a valid role."))
    label = str(Role(role).label)
    if role in DEPARTMENT_ROLES:
        if region_code:
            raise _invalid(
                "region_code",
                _("A %(role)s is bound to a department, not a territory code.") % {"role": label},
            )
        department = Department.objects.filter(
            pk=queries.as_pk(department_id), is_active=True
        ).first()
        if department is None:
            raise _invalid("department_id", _("Choose an active department in your area."))
        if not _may_grant_at(actor, department.region_code):
            raise _invalid("department_id", _("Choose an active department in your area."))
        return None, department, department.region_code
    if department_id:
        raise _invalid("department_id", _("Only department handlers are bound to a department."))
    code = (region_code or "").strip()
    allowed = ROLE_CODE_LENGTHS[role]
    if not code:
        raise _invalid("region_code", _("Enter the territory code this role covers."))
    if not code.isdigit() or len(code) not in allowed:
        raise _invalid(
            "region_code",
            _("A %(role)s is bound to: %(levels)s.")
            % {"role": label, "levels": _levels_text(allowed)},
        )
    region = Region.objects.filter(code=code).first()
    if region is None or not _may_grant_at(actor, code):
        raise _invalid("region_code", _("No territory with this code in your area."))
    return region, None, code


def _may_grant_at(actor: Any, code: str) -> bool:
    return queries.is_system(actor) or scope.has_capability(actor, MANAGE_USERS, code)


def _grant(
    target: User,
    role: str,
    region: Region | None,
    department: Department | None,
    scope_code: str,
    actor: Any,
) -> RoleAssignment:
    held = target.role_assignments.active().filter(
        role=role, scope_code=scope_code, department=department
    )
    if held.exists():
        raise _invalid("role", _("The user already holds this role there."))
    assignment = RoleAssignment.objects.create(
        user=target,
        role=role,
        region=region,
        department=department,
        scope_code=scope_code,
        granted_by=_acting_user(actor),
    )
    record(
        "role.grant",
        actor=actor,
        obj=assignment,
        grid_code=scope_code,
        changes={
            "user": target.username,
            "role": role,
            "scope_code": scope_code,
            "department": department.code if department else None,
        },
    )
    scope.forget(target)
    return assignment


def grant_role(
    user_id: Any,
    *,
    actor: Any,
    role: str,
    region_code: str = "",
    department_id: Any = None,
) -> RoleAssignment:
    """Give a user a role over a territory node (or, for department handlers, a department)
    inside the actor's own scope."""
    with transaction.atomic():
        target = _lock_target(actor, user_id)
        region, department, scope_code = _resolve_scope(actor, role, region_code, department_id)
        return _grant(target, role, region, department, scope_code, actor)


def withdraw_role(user_id: Any, assignment_id: Any, *, actor: Any) -> RoleAssignment:
    """End a role assignment, keeping it as history. Grids the user no longer covers as a
    grid worker are withdrawn with it."""
    with transaction.atomic():
        target = _lock_target(actor, user_id)
        assignment = queries.get_role_assignment(target, assignment_id)
        _require(actor, MANAGE_USERS, assignment.scope_code)
        if assignment.withdrawn_at is not None:
            raise Conflict(_("This role was already withdrawn."))
        assignment.withdrawn_at = timezone.now()
        assignment.withdrawn_by = _acting_user(actor)
        assignment.save(update_fields=["withdrawn_at", "withdrawn_by"])
        record(
            "role.withdraw",
            actor=actor,
            obj=assignment,
            grid_code=assignment.scope_code,
            changes={"user": target.username, "role": assignment.role, "withdrawn": True},
        )
        scope.forget(target)
        if assignment.role == Role.GRID_WORKER:
            for grid in queries.grid_assignments_of(target):
                if not _covers_grid(target, grid.grid_code):
                    _end_grid_assignment(grid, actor, reason="grid worker role withdrawn")
    return assignment


def _covers_grid(target: User, grid_code: str) -> bool:
    """Whether the user holds the grid worker role over this grid or its community."""
    return any(
        grid_code.startswith(code)
        for code in target.role_assignments.active()
        .filter(role=Role.GRID_WORKER)
        .values_list("scope_code", flat=True)
    )


def assign_grid(
    user_id: Any, *, actor: Any, grid_code: str, deputy: bool = False
) -> GridAssignment:
    """Make a grid worker the main worker (or the deputy) of a unit grid. A grid has at
    most one of each; a worker may cover several grids."""
    with transaction.atomic():
        target = _lock_target(actor, user_id)
        code = (grid_code or "").strip()
        grid = (
            Region.objects.select_for_update().filter(code=code, level=codes.GRID).first()
            if code.isdigit()
            else None
        )
        if grid is None or not _may_grant_at(actor, code):
            raise _invalid("grid_code", _("No unit grid with this code in your area."))
        if not _covers_grid(target, code):
            raise _invalid(
                "grid_code",
                _("The user must first hold the grid worker role over this grid or its community."),
            )
        current = GridAssignment.objects.active().filter(grid=grid).select_related("user")
        if current.filter(user=target).exists():
            raise _invalid("grid_code", _("The user is already assigned to this grid."))
        taken = current.filter(is_deputy=deputy).first()
        if taken is not None:
            message = (
                _("This grid already has a deputy: %(name)s.")
                if deputy
                else _("This grid already has a main worker: %(name)s.")
            )
            raise _invalid("grid_code", message % {"name": taken.user})
        assignment = GridAssignment.objects.create(
            user=target,
            grid=grid,
            grid_code=code,
            is_deputy=deputy,
            assigned_by=_acting_user(actor),
        )
        record(
            "grid.assign",
            actor=actor,
            obj=assignment,
            object_repr=f"{target.username} → {grid.name}",
            grid_code=code,
            changes={"user": target.username, "grid_code": code, "deputy": deputy},
        )
    return assignment


def withdraw_grid(user_id: Any, assignment_id: Any, *, actor: Any) -> GridAssignment:
    with transaction.atomic():
        target = _lock_target(actor, user_id)
        assignment = queries.get_grid_assignment(target, assignment_id)
        _require(actor, MANAGE_USERS, assignment.grid_code)
        if assignment.withdrawn_at is not None:
            raise Conflict(_("This grid assignment was already withdrawn."))
        _end_grid_assignment(assignment, actor, reason="withdrawn")
    return assignment


def _end_grid_assignment(assignment: GridAssignment, actor: Any, *, reason: str) -> None:
    assignment.withdrawn_at = timezone.now()
    assignment.withdrawn_by = _acting_user(actor)
    assignment.save(update_fields=["withdrawn_at", "withdrawn_by"])
    record(
        "grid.withdraw",
        actor=actor,
        obj=assignment,
        object_repr=f"{assignment.user.username} → {assignment.grid.name}",
        grid_code=assignment.grid_code,
        changes={
            "user": assignment.user.username,
            "deputy": assignment.is_deputy,
            "reason": reason,
        },
    )


# ---------------------------------------------------------------------------------------
# API tokens


def create_token(
    *, actor: Any, name: str, days: int | None = None, owner: User | None = None
) -> tuple[ApiToken, str]:
    """A bearer token for ``owner`` (default: the actor). Returns the token and its raw
    secret, which is shown once and never stored. Only the system or an operator may
    create tokens for someone else."""
    owner = owner or _acting_user(actor)
    if owner is None:
        raise _invalid("user", _("Name the user the token is for."))
    if owner != _acting_user(actor) and not queries.is_system(actor):
        raise PermissionDenied(_("You may create tokens only for yourself."))
    if not owner.is_active:
        raise _invalid("user", _("The user is deactivated."))
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise _invalid("name", _("Give the token a name of at most 60 characters."))
    if has_control_characters(name):
        raise _invalid("name", _("The name contains control characters."))
    days = _setting("GRIDGOV_API_TOKEN_DAYS", 90) if days is None else days
    if not 1 <= int(days) <= 3650:
        raise _invalid("days", _("A token lasts between 1 and 3650 days."))
    raw, prefix, digest = tokens.new_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=owner,
            name=name,
            prefix=prefix,
            token_hash=digest,
            expires_at=timezone.now() + timedelta(days=int(days)),
        )
        record(
            "token.create",
            actor=actor,
            obj=token,
            changes={"user": owner.username, "name": name, "expires_at": token.expires_at},
        )
    return token, raw


def revoke_token(token_id: Any, *, actor: Any) -> ApiToken:
    """Revoke a token: one's own, or (system, operators, administrators) a managed user's."""
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update()
            .select_related("user")
            .filter(pk=queries.as_pk(token_id))
            .first()
        )
        if token is None or not _may_revoke(actor, token):
            raise NotFound()
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record(
                "token.revoke",
                actor=actor,
                obj=token,
                changes={"user": token.user.username, "name": token.name},
            )
    return token


def _may_revoke(actor: Any, token: ApiToken) -> bool:
    if queries.is_system(actor) or token.user_id == getattr(actor, "pk", None):
        return True
    return (
        scope.has_capability(actor, MANAGE_USERS)
        and queries.visible_users(actor).filter(pk=token.user_id).exists()
        and queries.can_manage(actor, token.user)
    )


# ---------------------------------------------------------------------------------------
# Departments


def _region_for_department(actor: Any, region_code: str) -> Region:
    code = (region_code or "").strip()
    region = Region.objects.filter(code=code).first() if code.isdigit() else None
    if region is None or region.level == codes.GRID:
        raise _invalid("region_code", _("Enter the code of a city, county, township or community."))
    if not queries.is_system(actor) and not scope.has_capability(actor, MANAGE_DEPARTMENTS, code):
        raise _invalid("region_code", _("No territory with this code in your area."))
    return region


def _department_fields(department: Department) -> dict[str, Any]:
    return {
        "name": department.name,
        "phone": department.phone,
        "is_active": department.is_active,
        "region_code": department.region_code,
    }


def create_department(
    *, actor: Any, code: str, name: str, region_code: str, phone: str = ""
) -> Department:
    with transaction.atomic():
        _require(actor, MANAGE_DEPARTMENTS)
        fields = _clean(
            Department, code=(code or "").strip(), name=(name or "").strip(), phone=phone
        )
        region = _region_for_department(actor, region_code)
        if Department.objects.filter(code=fields["code"]).exists():
            raise _invalid("code", _("This code is already used by another department."))
        department = Department.objects.create(region=region, **fields)
        record(
            "department.create",
            actor=actor,
            obj=department,
            grid_code=department.region_code,
            changes={"code": department.code, **_department_fields(department)},
        )
    return department


def update_department(
    department_id: Any,
    *,
    actor: Any,
    name: str | None = None,
    phone: str | None = None,
    is_active: bool | None = None,
    region_code: str | None = None,
    version: int | None = None,
) -> Department:
    """Change a department. Moving it to another territory moves the scope of its
    handlers' active roles with it."""
    with transaction.atomic():
        _require(actor, MANAGE_DEPARTMENTS)
        visible = queries.get_department_for(actor, department_id)
        department = Department.objects.select_for_update().get(pk=visible.pk)
        _require(actor, MANAGE_DEPARTMENTS, department.region_code)
        _check_version(department, version)
        before = _department_fields(department)
        text = {k: v for k, v in {"name": name, "phone": phone}.items() if v is not None}
        for key, value in _clean(Department, **text).items():
            setattr(department, key, value)
        if is_active is not None:
            department.is_active = is_active
        if region_code is not None and region_code.strip() != department.region_code:
            department.region = _region_for_department(actor, region_code)
            department.region_code = department.region.code
        changes = diff(before, _department_fields(department))
        if not changes:
            return department
        department.version += 1
        department.save()
        if "region_code" in changes:
            department.assignments.active().update(scope_code=department.region_code)
        record(
            "department.update",
            actor=actor,
            obj=department,
            grid_code=department.region_code,
            changes=changes,
        )
    return department
