"""REST endpoints of the accounts app: who am I, user administration, tokens, departments.

Handlers parse input, call a query or an action, and shape the answer; permission and
scope live in the actions and queries, errors are DomainErrors turned into the one
error shape by ``gridgov.api.api``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Query, Router, Schema, Status

from gridgov.accounts import actions, queries, scope
from gridgov.accounts.models import ApiToken, Department, GridAssignment, RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.api.schemas import ERRORS, PageOut, attributes, paged

router = Router(tags=["accounts"])


# ---------------------------------------------------------------------------------------
# Schemas


class DepartmentRef(Schema):
    id: int
    code: str
    name: str


class MeRoleOut(Schema):
    id: int
    role: str
    role_label: str
    scope_code: str = Field(description="Territory code the role reaches")
    scope_name: str
    department: DepartmentRef | None = None


class MeGridOut(Schema):
    grid_code: str
    grid_name: str
    is_deputy: bool


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    is_operator: bool
    language: str
    roles: list[MeRoleOut]
    grids: list[MeGridOut]
    capabilities: list[str]


class RoleOut(MeRoleOut):
    granted_at: datetime
    withdrawn_at: datetime | None = None


class GridAssignmentOut(Schema):
    id: int
    grid_code: str
    grid_name: str
    is_deputy: bool
    assigned_at: datetime
    withdrawn_at: datetime | None = None


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    is_active: bool
    is_locked: bool
    locked_until: datetime | None = None
    failed_logins: int
    last_login: datetime | None = None
    version: int = Field(description="Send back with a change to detect concurrent edits")
    roles: list[RoleOut] = Field(description="Active role assignments")


class UserDetailOut(UserOut):
    role_history: list[RoleOut] = Field(description="Withdrawn role assignments")
    grids: list[GridAssignmentOut]
    can_manage: bool


class UserCreateIn(Schema):
    username: str
    role: Role
    region_code: str = Field("", description="Territory code, for every role but department")
    department_id: int | None = Field(None, description="For the department handler role")
    display_name: str = ""
    email: str = ""
    password: str | None = Field(None, description="Omit to generate one")


class UserCreatedOut(Schema):
    user: UserDetailOut
    password: str | None = Field(None, description="The generated password, shown only once")


class UserUpdateIn(Schema):
    display_name: str | None = None
    email: str | None = None
    is_active: bool | None = None
    version: int | None = Field(None, description="The version you read; 409 if it changed")


class RoleGrantIn(Schema):
    role: Role
    region_code: str = ""
    department_id: int | None = None


class GridAssignIn(Schema):
    grid_code: str
    deputy: bool = False


class PasswordResetIn(Schema):
    password: str | None = Field(None, description="Omit to generate one")


class PasswordResetOut(Schema):
    password: str | None = Field(None, description="The generated password, shown only once")


class UserFilters(Schema):
    q: str = Field("", description="Part of the username or display name")
    role: Role | None = None
    code: str = Field("", description="Territory code prefix of an active role")
    active: bool | None = None
    locked: bool | None = None
    page: int = 1
    page_size: int = 50


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    is_usable: bool


class TokenCreateIn(Schema):
    name: str
    days: int | None = Field(None, description="Days until expiry; default from settings")


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret, shown only once: send as 'Bearer <token>'")


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    region_code: str
    region_name: str
    phone: str
    is_active: bool
    version: int


class DepartmentIn(Schema):
    code: str
    name: str
    region_code: str
    phone: str = ""


class DepartmentUpdateIn(Schema):
    name: str | None = None
    phone: str | None = None
    is_active: bool | None = None
    region_code: str | None = None
    version: int | None = None


class PageFilters(Schema):
    page: int = 1
    page_size: int = 50


class DepartmentFilters(PageFilters):
    q: str = ""
    code: str = ""
    active: bool | None = None


# ---------------------------------------------------------------------------------------
# Shaping


def role_out(a: RoleAssignment) -> dict[str, Any]:
    return {
        **queries.role_summary(a),
        "granted_at": a.granted_at,
        "withdrawn_at": a.withdrawn_at,
    }


def grid_out(g: GridAssignment) -> dict[str, Any]:
    return attributes(g, GridAssignmentOut, grid_name=g.grid.name)


def user_out(user: User, active_roles: list[RoleAssignment] | None = None) -> dict[str, Any]:
    roles = active_roles if active_roles is not None else getattr(user, "active_roles", [])
    return attributes(
        user,
        UserOut,
        locked_until=user.locked_until if user.is_locked else None,
        roles=[role_out(a) for a in roles],
    )


def user_detail_out(actor: Any, user: User) -> dict[str, Any]:
    assignments = list(queries.role_assignments_of(user))
    return {
        **user_out(user, [a for a in assignments if a.withdrawn_at is None]),
        "role_history": [role_out(a) for a in assignments if a.withdrawn_at is not None],
        "grids": [grid_out(g) for g in queries.grid_assignments_of(user)],
        "can_manage": queries.can_manage(actor, user),
    }


def token_out(token: ApiToken) -> dict[str, Any]:
    return attributes(token, TokenOut)


def department_out(d: Department) -> dict[str, Any]:
    return attributes(d, DepartmentOut, region_name=d.region.name)


def _detail(request: HttpRequest, user_id: int) -> dict[str, Any]:
    return user_detail_out(request.user, queries.get_user_for(request.user, user_id))


# ---------------------------------------------------------------------------------------
# Me


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The signed-in user")
def get_me(request: HttpRequest) -> dict[str, Any]:
    return {**queries.me(request.user), "language": translation.get_language()}  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Users


@router.get("/users", response={200: PageOut[UserOut], **ERRORS}, summary="Users in my scope")
def list_users(request: HttpRequest, filters: Query[UserFilters]) -> dict[str, Any]:
    scope.require(request.user, actions.MANAGE_USERS)
    qs = queries.search_users(
        request.user,
        q=filters.q,
        role=filters.role or "",
        code=filters.code,
        active=filters.active,
        locked=filters.locked,
    )
    return paged(qs, filters.page, filters.page_size, user_out)


@router.get("/users/{user_id}", response={200: UserDetailOut, **ERRORS})
def get_user(request: HttpRequest, user_id: int) -> dict[str, Any]:
    scope.require(request.user, actions.MANAGE_USERS)
    return _detail(request, user_id)


@router.post("/users", response={201: UserCreatedOut, **ERRORS})
def create_user(request: HttpRequest, payload: UserCreateIn) -> Status[dict[str, Any]]:
    user, password = actions.create_user(
        payload.username,
        actor=request.user,
        role=payload.role,
        region_code=payload.region_code,
        department_id=payload.department_id,
        display_name=payload.display_name,
        email=payload.email,
        password=payload.password,
    )
    return Status(201, {"user": _detail(request, user.pk), "password": password})


@router.patch("/users/{user_id}", response={200: UserDetailOut, **ERRORS})
def update_user(request: HttpRequest, user_id: int, payload: UserUpdateIn) -> dict[str, Any]:
    actions.update_user(user_id, actor=request.user, **payload.dict())
    return _detail(request, user_id)


@router.post("/users/{user_id}/roles", response={201: RoleOut, **ERRORS})
def grant_role(request: HttpRequest, user_id: int, payload: RoleGrantIn) -> Status[dict[str, Any]]:
    assignment = actions.grant_role(
        user_id,
        actor=request.user,
        role=payload.role,
        region_code=payload.region_code,
        department_id=payload.department_id,
    )
    return Status(201, role_out(assignment))


@router.post("/users/{user_id}/roles/{assignment_id}/withdraw", response={200: RoleOut, **ERRORS})
def withdraw_role(request: HttpRequest, user_id: int, assignment_id: int) -> dict[str, Any]:
    return role_out(actions.withdraw_role(user_id, assignment_id, actor=request.user))


@router.post("/users/{user_id}/grids", response={201: GridAssignmentOut, **ERRORS})
def assign_grid(
    request: HttpRequest, user_id: int, payload: GridAssignIn
) -> Status[dict[str, Any]]:
    assignment = actions.assign_grid(
        user_id, actor=request.user, grid_code=payload.grid_code, deputy=payload.deputy
    )
    return Status(201, grid_out(assignment))


@router.post(
    "/users/{user_id}/grids/{assignment_id}/withdraw",
    response={200: GridAssignmentOut, **ERRORS},
)
def withdraw_grid(request: HttpRequest, user_id: int, assignment_id: int) -> dict[str, Any]:
    return grid_out(actions.withdraw_grid(user_id, assignment_id, actor=request.user))


@router.post("/users/{user_id}/deactivate", response={200: UserDetailOut, **ERRORS})
def deactivate_user(request: HttpRequest, user_id: int) -> dict[str, Any]:
    actions.deactivate_user(user_id, actor=request.user)
    return _detail(request, user_id)


@router.post("/users/{user_id}/reactivate", response={200: UserDetailOut, **ERRORS})
def reactivate_user(request: HttpRequest, user_id: int) -> dict[str, Any]:
    actions.reactivate_user(user_id, actor=request.user)
    return _detail(request, user_id)


@router.post("/users/{user_id}/unlock", response={200: UserDetailOut, **ERRORS})
def unlock_user(request: HttpRequest, user_id: int) -> dict[str, Any]:
    actions.unlock_user(user_id, actor=request.user)
    return _detail(request, user_id)


@router.post("/users/{user_id}/reset-password", response={200: PasswordResetOut, **ERRORS})
def reset_password(request: HttpRequest, user_id: int, payload: PasswordResetIn) -> dict[str, Any]:
    generated = actions.reset_password(user_id, actor=request.user, password=payload.password)
    return {"password": generated}


# ---------------------------------------------------------------------------------------
# Own API tokens


@router.get("/tokens", response={200: PageOut[TokenOut], **ERRORS}, summary="My API tokens")
def list_tokens(request: HttpRequest, filters: Query[PageFilters]) -> dict[str, Any]:
    return paged(queries.tokens_of(request.user), filters.page, filters.page_size, token_out)


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS})
def create_token(request: HttpRequest, payload: TokenCreateIn) -> Status[dict[str, Any]]:
    token, raw = actions.create_token(actor=request.user, name=payload.name, days=payload.days)
    return Status(201, {**token_out(token), "token": raw})


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS})
def revoke_token(request: HttpRequest, token_id: int) -> dict[str, Any]:
    return token_out(actions.revoke_token(token_id, actor=request.user))


# ---------------------------------------------------------------------------------------
# Departments


@router.get("/departments", response={200: PageOut[DepartmentOut], **ERRORS})
def list_departments(request: HttpRequest, filters: Query[DepartmentFilters]) -> dict[str, Any]:
    qs = queries.search_departments(
        request.user, q=filters.q, code=filters.code, active=filters.active
    )
    return paged(qs, filters.page, filters.page_size, department_out)


@router.get("/departments/{department_id}", response={200: DepartmentOut, **ERRORS})
def get_department(request: HttpRequest, department_id: int) -> dict[str, Any]:
    return department_out(queries.get_department_for(request.user, department_id))


@router.post("/departments", response={201: DepartmentOut, **ERRORS})
def create_department(request: HttpRequest, payload: DepartmentIn) -> Status[dict[str, Any]]:
    department = actions.create_department(actor=request.user, **payload.dict())
    return Status(201, department_out(department))


@router.patch("/departments/{department_id}", response={200: DepartmentOut, **ERRORS})
def update_department(
    request: HttpRequest, department_id: int, payload: DepartmentUpdateIn
) -> dict[str, Any]:
    return department_out(
        actions.update_department(department_id, actor=request.user, **payload.dict())
    )
