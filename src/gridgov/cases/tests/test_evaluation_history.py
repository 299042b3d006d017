"""Historical cases for the demo and the benchmark: plausible, counted like live ones."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from gridgov.cases import evaluation, history
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Case, CaseEvent, CaseTally, Postponement, Stage
from gridgov.cases.queries import evaluation as queries
from gridgov.cases.tests import workflow_fixtures
from gridgov.cases.tests.test_evaluation_rollups import snapshot
from gridgov.cases.tests.workflow_fixtures import World
from gridgov.core.system import SYSTEM

pytestmark = pytest.mark.django_db
world = workflow_fixtures.world
_english = workflow_fixtures._english
_fresh_locate_index = workflow_fixtures._fresh_locate_index
_media = workflow_fixtures._media


def test_histories_take_every_path_and_are_counted(world: World) -> None:
    # A month of cases, so that the last days hold cases still open.
    written = history.generate_history(history.world_of("4113"), cases=600, seed=7, days=30)
    evaluation.rebuild_evaluation()
    assert written == Case.objects.count() == CaseTally.objects.count() == 600
    stages = Counter(Case.objects.values_list("stage", flat=True))
    assert stages[Stage.CLOSED] > 300 and stages[Stage.CANCELLED] > 20
    assert sum(n for stage, n in stages.items() if stage not in (Stage.CLOSED, Stage.CANCELLED))
    actions_seen = set(CaseEvent.objects.values_list("action", flat=True))
    assert {"return", "rework", "approve_postponement", "rate", "merge"} <= actions_seen
    assert Postponement.objects.count() == Case.objects.filter(postponement_count=1).count()
    # Numbers are unique per day and the live counter carries on after them.
    assert Case.objects.values("number").distinct().count() == 600
    live = world.report()
    assert live.number not in set(Case.objects.exclude(pk=live.pk).values_list("number", flat=True))
    # A live transition on a historical case keeps the roll-ups equal to a recount.
    closed = Case.objects.filter(stage=Stage.CLOSED, rating="").first()
    assert closed is not None
    actions.rate_case(closed.public_token, rating="basic")
    kept = snapshot()
    evaluation.rebuild_evaluation()
    assert snapshot() == kept


def test_the_same_seed_gives_the_same_history(world: World) -> None:
    end = timezone.now()
    place = history.world_of("4113")
    history.generate_history(place, cases=50, seed=3, end=end)
    first = list(Case.objects.order_by("pk").values_list("grid_code", "stage", "reported_at"))
    Case.objects.all().delete()
    history.generate_history(place, cases=50, seed=3, end=end)
    again = list(Case.objects.order_by("pk").values_list("grid_code", "stage", "reported_at"))
    assert again == first


def test_the_evaluation_of_a_history_reads_sensibly(world: World) -> None:
    history.seed_demo_history("4113", cases=400, seed=1)
    today = timezone.localdate()
    period = queries.Period(today - dt.timedelta(days=364), today)
    result = queries.evaluate(SYSTEM, "4113", period)
    assert result.counts["reported"] == 400
    for name in ("closure_rate", "on_time_closure_rate", "satisfaction_rate"):
        rate = result.rates[name]
        assert rate is not None and 0 < rate <= 1
    assert [r.key for r in result.regions] and result.departments
    assert result.supervisors.count >= 1 and result.dispatchers
