"""Fixtures of the component inventory tests (``test_components_*.py`` import them by name).

The test territory (``gridgov.territory.testing``): 宛城区 411302 with 东关街道 411302001
(河街社区 …001001 grids …001–004, 市场社区 …001002) and its sibling 新华街道 411302002.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gridgov.accounts.models import Department, User
from gridgov.accounts.roles import Role
from gridgov.cases.actions import components as actions
from gridgov.cases.models import CaseClass, CaseKind, Component
from gridgov.registry.tests import import_helpers
from gridgov.registry.tests.core_fixtures import _english, _fresh_locate_index
from gridgov.territory.models import Region

# The registry's autouse fixtures, for the test modules that import them from here: the
# locate index rebuilt for each test's territory, messages in English.
__all__ = ["_english", "_fresh_locate_index"]

TOWNSHIP = "411302001"
COMMUNITY = "411302001001"  # 河街社区
GRID = "411302001001001"  # lon 112.400–112.425, lat 33.05–33.10
GRID_2 = "411302001001002"  # lon 112.425–112.450, lat 33.05–33.10
SIBLING_TOWNSHIP = "411302002"
SIBLING_GRID = "411302002001001"
POINT_IN_GRID = (112.41, 33.09)
POINT_IN_SIBLING = (112.41, 32.99)
COUNTY = "411302"

# (code, name) of the classes the tests use: two majors and their minors.
CLASSES = {
    "01": "公用设施",
    "0101": "上水井盖",
    "0110": "路灯",
    "03": "市容环境设施",
    "0304": "垃圾箱",
}


def ensure_classes() -> dict[str, CaseClass]:
    """The classes above (the seed migration may have created them already)."""
    found: dict[str, CaseClass] = {}
    for code, name in CLASSES.items():
        found[code], _created = CaseClass.objects.get_or_create(
            kind=CaseKind.COMPONENT,
            code=code,
            defaults={"name": name, "parent": found.get(code[:2]) if len(code) == 4 else None},
        )
    return found


@dataclass
class Ctx:
    territory: dict[str, Region]
    classes: dict[str, CaseClass]
    department: Department
    township: User  # township staff of 东关街道: components.edit there
    sibling: User  # township staff of 新华街道 (a sibling township)
    worker: User  # grid worker of 河街社区: sees, may not edit
    dept_user: User  # department handler of the county's urban management
    supervision: User  # supervision centre of the county: edits everywhere in it
    citizen: User  # no component capability at all

    def make(self, **fields: Any) -> Component:
        """A component created through the action, by the township staff."""
        values: dict[str, Any] = {"case_class": "0101", "name": "上水井盖", "grid_code": GRID}
        values.update(fields)
        return actions.create_component(actor=self.township, **values)


@pytest.fixture
def ctx(
    territory: dict[str, Region], department: Department, make_user: Callable[..., User]
) -> Ctx:
    return Ctx(
        territory=territory,
        classes=ensure_classes(),
        department=department,
        township=make_user(Role.TOWNSHIP_STAFF, TOWNSHIP),
        sibling=make_user(Role.TOWNSHIP_STAFF, SIBLING_TOWNSHIP),
        worker=make_user(Role.GRID_WORKER, "411302001001"),
        dept_user=make_user(Role.DEPARTMENT, department=department),
        supervision=make_user(Role.SUPERVISION, COUNTY),
        citizen=make_user(Role.CITIZEN, "411302001001"),
    )


HEADERS = ["部件编码", "小类代码", "部件名称", "主管部门", "部件状态", "网格编码", "经度", "纬度"]


def row(
    name: str = "上水井盖",
    *,
    component_id: str = "",
    class_code: str = "0101",
    department: str = "",
    state: str = "完好",
    grid: str = GRID,
    lon: Any = "",
    lat: Any = "",
) -> list[Any]:
    return [component_id, class_code, name, department, state, grid, lon, lat]


# Component files written the way Excel does, with the component import's headers.
write_csv = functools.partial(import_helpers.write_csv, headers=HEADERS)
write_xlsx = functools.partial(import_helpers.write_xlsx, headers=HEADERS)
