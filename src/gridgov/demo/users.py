"""Demo departments and one demo login per role, created through the accounts actions.

The passwords are fixed and printed, which is the point of a demo and exactly what must
never reach production: ``refuse_in_production`` stops it when DEBUG is off and
GRIDGOV_PRODUCTION=1 says the installation is a real one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from gridgov.accounts import actions
from gridgov.accounts.models import Department, GridAssignment, User
from gridgov.accounts.roles import Role
from gridgov.core.errors import DomainError
from gridgov.demo.builder import ACTOR
from gridgov.territory.models import Region

DEMO_PASSWORD = "Nanyang-4113"  # noqa: S105 - published on purpose; refused in production

# The community the grid-level demo users live in: the first of 东关街道.
HOME_COMMUNITY = "411302001001"

# (slug, name, territory served)
DEPARTMENTS = (
    ("nanyang-urban-management", "南阳市城市管理局", "4113"),
    ("nanyang-housing", "南阳市住房和城乡建设局", "4113"),
    ("nanyang-ecology", "南阳市生态环境局", "4113"),
    ("nanyang-transport", "南阳市交通运输局", "4113"),
    ("nanyang-power-supply", "国网南阳供电公司", "4113"),
    ("nanyang-water-supply", "南阳市供水总公司", "4113"),
    ("wancheng-urban-management", "宛城区城市管理局", "411302"),
    ("wancheng-housing", "宛城区住房和城乡建设局", "411302"),
    ("wancheng-water", "宛城区水利局", "411302"),
    ("wancheng-market", "宛城区市场监督管理局", "411302"),
    ("wancheng-transport", "宛城区交通运输局", "411302"),
    ("wolong-urban-management", "卧龙区城市管理局", "411303"),
    ("dongguan-enforcement", "东关街道综合行政执法中队", "411302001"),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str | None  # None: an operator (superuser)
    scope: str = ""  # a territory code, or a department slug for department handlers
    grids: tuple[str, ...] = ()  # grid serials in HOME_COMMUNITY covered as main worker
    deputy_grids: tuple[str, ...] = ()


DEMO_USERS = (
    DemoUser("gridworker", "张伟", Role.GRID_WORKER, HOME_COMMUNITY, ("001", "002"), ("003",)),
    DemoUser("community", "李娜", Role.COMMUNITY_STAFF, HOME_COMMUNITY),
    DemoUser("township", "王芳", Role.TOWNSHIP_STAFF, "411302001"),
    DemoUser("supervision", "刘洋", Role.SUPERVISION, "411302"),
    DemoUser("command", "陈静", Role.COMMAND, "411302"),
    DemoUser("department", "杨磊", Role.DEPARTMENT, "wancheng-urban-management"),
    DemoUser("leader", "赵敏", Role.LEADER, "4113"),
    DemoUser("admin", "黄强", Role.ADMIN, "4113"),
    DemoUser("citizen", "周丽", Role.CITIZEN, HOME_COMMUNITY),
    DemoUser("operator", "运维", None),
)


@dataclass(frozen=True)
class DemoLogin:
    """One row of the table printed at the end of ``gridgov demo``."""

    username: str
    password: str
    role: str
    scope_name: str
    scope_code: str
    created: bool


class DemoLoginsRefused(DomainError):
    code = "demo_logins_refused"
    status = 403


def refuse_in_production() -> None:
    """Demo logins have published passwords: never on a production installation."""
    if not settings.DEBUG and os.environ.get("GRIDGOV_PRODUCTION") == "1":
        raise DemoLoginsRefused(
            "GRIDGOV_PRODUCTION=1 is set: refusing to create demo users with published "
            "passwords. Create real accounts instead."
        )


def create_departments() -> int:
    """The demo's professional departments; returns how many were created."""
    created = 0
    for slug, name, region_code in DEPARTMENTS:
        if Department.objects.filter(code=slug).exists():
            continue
        actions.create_department(actor=ACTOR, code=slug, name=name, region_code=region_code)
        created += 1
    return created


def create_demo_users() -> list[DemoLogin]:
    """Departments and one login per role (existing ones are kept as they are)."""
    refuse_in_production()
    create_departments()
    return [_ensure(spec) for spec in DEMO_USERS]


def _ensure(spec: DemoUser) -> DemoLogin:
    existing = User.objects.filter(username=spec.username).first()
    if existing is None:
        _create(spec)
    return _login_row(spec, created=existing is None)


def _create(spec: DemoUser) -> User:
    if spec.role is None:
        user, _generated = actions.create_operator(
            spec.username, actor=ACTOR, password=DEMO_PASSWORD
        )
        return user
    scope: dict[str, Any] = {"region_code": spec.scope}
    if spec.role == Role.DEPARTMENT:
        scope = {"department_id": Department.objects.get(code=spec.scope).pk}
    user, _generated = actions.create_user(
        spec.username,
        actor=ACTOR,
        role=spec.role,
        display_name=spec.display_name,
        password=DEMO_PASSWORD,
        **scope,
    )
    for serials, deputy in ((spec.grids, False), (spec.deputy_grids, True)):
        for serial in serials:
            grid_code = spec.scope + serial
            taken = GridAssignment.objects.active().filter(grid_code=grid_code, is_deputy=deputy)
            if not taken.exists():
                actions.assign_grid(user.pk, actor=ACTOR, grid_code=grid_code, deputy=deputy)
    return user


def _login_row(spec: DemoUser, *, created: bool) -> DemoLogin:
    if spec.role is None:
        return DemoLogin(spec.username, DEMO_PASSWORD, "Operator", "N市 (all)", "", created)
    if spec.role == Role.DEPARTMENT:
        department = Department.objects.get(code=spec.scope)
        scope_name, scope_code = department.name, department.region_code
    else:
        scope_name = (
            Region.objects.filter(code=spec.scope).values_list("name", flat=True).first() or ""
        )
        scope_code = spec.scope
        if spec.grids or spec.deputy_grids:
            serials = "、".join(spec.grids) + (f" (deputy {'、'.join(spec.deputy_grids)})")
            scope_name = f"{scope_name} grids {serials}"
    return DemoLogin(
        spec.username,
        DEMO_PASSWORD,
        str(Role(spec.role).label),
        str(scope_name or ""),
        scope_code,
        created,
    )
