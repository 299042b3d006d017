"""Every transition by the right role; the happy path end to end."""

from __future__ import annotations

import pytest

from gridgov.cases.models import Case, CaseEvent, Stage
from gridgov.cases.tests.workflow_fixtures import (  # noqa: F401 - fixtures
    GRID,
    STAGE_AFTER,
    World,
    _english,
    _fresh_locate_index,
    _media,
    walk_to,
    world,
)

pytestmark = pytest.mark.django_db


def test_a_case_walks_from_report_to_close(world: World) -> None:
    case = world.report()
    assert case.stage == Stage.REPORTED and case.number.endswith("000001")
    assert case.supervisor == world.worker
    assert case.suggested_department == world.department
    case = walk_to(world, case, "close")
    assert case.stage == Stage.CLOSED and case.closed_on_time is True
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["report", *STAGE_AFTER]
    assert Case.objects.get().version == 1 + len(STAGE_AFTER)
