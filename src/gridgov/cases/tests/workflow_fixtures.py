"""The world the workflow tests act in: the small test territory, one event class with a
time limit of 2 working days, its responsible department, a second department, and a
user for every part of the workflow — each also with a twin in the wrong place.

Test modules import what they use: ``from gridgov.cases.tests.workflow_fixtures import
World, world, walk_to``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation
from PIL import Image

from gridgov.accounts.models import Department, GridAssignment, User
from gridgov.cases import workflow as machine
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Case, CaseClass, CaseKind, Responsibility, Source, Stage
from gridgov.core.system import SYSTEM
from gridgov.territory import locating

GRID = "411302001001001"  # 河街社区 north-west: lon 112.400–112.425, lat 33.05–33.10
POINT = (112.41, 33.09)
OTHER_GRID = "411302001001002"  # same community, north-east
SIBLING_GRID = "411302002001001"  # another township of the same district
OTHER_COUNTY_GRID = "411303001001001"


@dataclass
class World:
    case_class: CaseClass
    other_class: CaseClass
    department: Department
    other_department: Department
    worker: User  # the grid's supervisor (grid worker of GRID)
    other_worker: User  # grid worker of the sibling township
    supervision: User  # supervision centre of the district
    other_supervision: User  # supervision centre of the other district
    command: User
    other_command: User
    handler: User  # department handler of ``department``
    other_handler: User  # handler of ``other_department``
    leader: User
    citizen: User
    admin: User

    def report(self, **fields: Any) -> Case:
        values: dict[str, Any] = {
            "actor": self.supervision,
            "source": Source.HOTLINE,
            "description": "人行道上堆放建筑垃圾",
            "grid_code": GRID,
            "case_class": self.case_class,
            "reporter_phone": "13812345678",
        }
        values.update(fields)
        return actions.report_case(**values)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_locate_index() -> None:
    locating.forget()


@pytest.fixture(autouse=True)
def _media(tmp_path: Path) -> Iterator[Path]:
    """Uploaded files go to a folder of the test's own."""
    with override_settings(MEDIA_ROOT=tmp_path / "media"):
        yield tmp_path / "media"


@pytest.fixture
def world(territory: Any, make_user: Callable[..., User], department: Department) -> World:
    major = CaseClass.objects.create(kind=CaseKind.EVENT, code="99", name="测试大类")
    case_class = CaseClass.objects.create(
        kind=CaseKind.EVENT,
        code="9901",
        name="乱堆物料",
        parent=major,
        limit_value=2,
        limit_unit="working_days",
    )
    other_class = CaseClass.objects.create(
        kind=CaseKind.EVENT,
        code="9902",
        name="无人负责",
        parent=major,
        limit_value=4,
        limit_unit="urgent_hours",
    )
    other_department = Department.objects.create(
        code="wancheng-water", name="宛城区水务局", region=territory["411302"]
    )
    Responsibility.objects.create(
        case_class=case_class, region_code="411302", department=department
    )
    worker = make_user("grid_worker", "411302001001", username="worker")
    GridAssignment.objects.create(user=worker, grid=territory[GRID], grid_code=GRID)
    other_worker = make_user("grid_worker", "411302002001", username="other_worker")
    GridAssignment.objects.create(
        user=other_worker, grid=territory[SIBLING_GRID], grid_code=SIBLING_GRID
    )
    return World(
        case_class=case_class,
        other_class=other_class,
        department=department,
        other_department=other_department,
        worker=worker,
        other_worker=other_worker,
        supervision=make_user("supervision", "411302", username="supervision"),
        other_supervision=make_user("supervision", "411303", username="other_supervision"),
        command=make_user("command", "411302", username="command"),
        other_command=make_user("command", "411303", username="other_command"),
        handler=make_user("department", department=department, username="handler"),
        other_handler=make_user("department", department=other_department, username="other"),
        leader=make_user("leader", "411302", username="leader"),
        citizen=make_user("citizen", "411302001001", username="citizen"),
        admin=make_user("admin", "4113", username="admin"),
    )


# The actor and arguments of each move, in the order a case takes them.
def _steps(w: World) -> list[tuple[str, Callable[..., Any], User, dict[str, Any]]]:
    return [
        ("request_verification", actions.request_verification, w.supervision, {}),
        ("record_verification", actions.record_verification, w.worker, {"is_real": True}),
        ("file", actions.file_case, w.supervision, {}),
        ("dispatch", actions.dispatch_case, w.command, {}),
        ("accept", actions.accept_case, w.handler, {}),
        ("dispose", actions.dispose_case, w.handler, {"result": "已清理"}),
        ("request_check", actions.request_check, w.supervision, {}),
        ("record_check", actions.record_check, w.worker, {"passed": True}),
        ("close", actions.close_case, w.supervision, {}),
    ]


STAGE_AFTER = {
    "request_verification": Stage.VERIFYING,
    "record_verification": Stage.VERIFIED,
    "file": Stage.FILED,
    "dispatch": Stage.DISPATCHED,
    "accept": Stage.ACCEPTED,
    "dispose": Stage.DISPOSED,
    "request_check": Stage.CHECKING,
    "record_check": Stage.CHECKED,
    "close": Stage.CLOSED,
}


def walk_to(w: World, case: Case, last: str) -> Case:
    """Take the case through the usual moves from its stage up to and including ``last``."""
    for action, call, actor, extra in _steps(w):
        if not machine.can_move(case.stage, action):
            continue  # a step before the case's stage
        case = call(case.pk, actor=actor, version=case.version, **extra)
        if action == last:
            return case
    raise AssertionError(f"no step {last!r}")


def case_at(w: World, stage: str, **report: Any) -> Case:
    """A fresh case moved to ``stage``."""
    case = w.report(**report)
    if stage == Stage.REPORTED:
        return case
    action = next(a for a, s in STAGE_AFTER.items() if s == stage)
    return walk_to(w, case, action)


def photo(
    name: str = "photo.jpg", fmt: str = "JPEG", size: tuple[int, int] = (640, 480), **save: Any
) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 80, 40))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, out.getvalue(), content_type=content_type)


__all__ = [
    "GRID",
    "OTHER_COUNTY_GRID",
    "OTHER_GRID",
    "POINT",
    "SIBLING_GRID",
    "STAGE_AFTER",
    "SYSTEM",
    "World",
    "_english",
    "_fresh_locate_index",
    "_media",
    "case_at",
    "photo",
    "walk_to",
    "world",
]
