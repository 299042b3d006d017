"""Fixtures of the catalogue tests: departments at city and county level, and the people
who read and keep the catalogue — a city administrator, the administrator of 宛城区
(411302), the administrator of the sibling 卧龙区 (411303), a command centre, a grid
worker, a department handler and a citizen.

The classes themselves come from the seed every database gets by migration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation

from gridgov.accounts.models import Department, User
from gridgov.audit.models import AuditEvent
from gridgov.cases.models import CaseClass, Responsibility
from gridgov.territory.models import Region

CITY, COUNTY, SIBLING = "4113", "411302", "411303"
TOWNSHIP, COMMUNITY = "411302001", "411302001001"
GRID = "411302001001001"  # 河街社区第1网格, in 宛城区
SIBLING_GRID = "411303001001001"  # 七一社区第1网格, in 卧龙区


def minor(service_code: str) -> CaseClass:
    """A seeded minor class by its service code (C0102: sewage manhole cover)."""
    return CaseClass.objects.get(
        kind={"C": "component", "E": "event"}[service_code[0]], code=service_code[1:]
    )


@dataclass
class Catalogue:
    city_admin: User
    county_admin: User
    sibling_admin: User
    command: User
    worker: User
    handler: User
    citizen: User
    city_dept: Department  # 南阳市城市管理局, serves 4113
    county_dept: Department  # 宛城区城市管理局, serves 411302
    sibling_dept: Department  # 卧龙区城市管理局, serves 411303
    water: Department  # 南阳市供水总公司, serves 4113

    def rule(
        self, service_code: str, region_code: str, department: Department, **fields: Any
    ) -> Responsibility:
        return Responsibility.objects.create(
            case_class=minor(service_code), region_code=region_code, department=department, **fields
        )


@pytest.fixture(autouse=True)
def english() -> Any:
    """Messages of direct calls in English, so tests can read them."""
    with translation.override("en"):
        yield


def _department(code: str, name: str, region: Region) -> Department:
    return Department.objects.create(code=code, name=name, region=region)


@pytest.fixture
def cat(territory: dict[str, Region], make_user: Callable[..., User]) -> Catalogue:
    city_dept = _department("city-urban", "南阳市城市管理局", territory[CITY])
    county_dept = _department("wancheng-urban", "宛城区城市管理局", territory[COUNTY])
    handler = make_user("department", department=county_dept, username="handler")
    return Catalogue(
        city_admin=make_user("admin", CITY, username="city_admin"),
        county_admin=make_user("admin", COUNTY, username="county_admin"),
        sibling_admin=make_user("admin", SIBLING, username="sibling_admin"),
        command=make_user("command", COUNTY, username="command"),
        worker=make_user("grid_worker", COMMUNITY, username="worker"),
        handler=handler,
        citizen=make_user("citizen", COMMUNITY, username="citizen"),
        city_dept=city_dept,
        county_dept=county_dept,
        sibling_dept=_department("wolong-urban", "卧龙区城市管理局", territory[SIBLING]),
        water=_department("city-water", "南阳市供水总公司", territory[CITY]),
    )


def state() -> tuple[Any, ...]:
    """Everything a catalogue call could change, to prove a refused call changed nothing."""
    return (
        list(CaseClass.objects.order_by("pk").values_list("pk", "name", "version", "is_active")),
        list(
            Responsibility.objects.order_by("pk").values_list(
                "pk", "department_id", "version", "is_active", "note"
            )
        ),
        AuditEvent.objects.count(),
    )
