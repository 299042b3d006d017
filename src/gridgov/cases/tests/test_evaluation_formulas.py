"""KPI formulas against hand-computed examples, scores and grades at their boundaries,
periods cut into stored rows."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from gridgov.accounts.models import Department, User
from gridgov.cases import evaluation
from gridgov.cases.actions import evaluation as actions
from gridgov.cases.models import EvaluationSettings, Grain
from gridgov.cases.queries import evaluation as queries
from gridgov.cases.templatetags.evaluation_tags import percent
from gridgov.core.errors import InvalidInput
from gridgov.core.system import SYSTEM

GRID = "411302001001001"
TODAY = dt.date(2026, 11, 28)
DEFAULTS = EvaluationSettings()


def counted(day: dt.date, department: int = 0, **measures: int) -> None:
    """Counts written through the roll-ups' own writer (every level and grain)."""
    counts = evaluation.Counts()
    counts.region(GRID, day, department, **measures)
    evaluation.write_counts(counts)


# --- the rates ----------------------------------------------------------------------------


def test_tianmen_closure_rates() -> None:
    """Tianmen: 972 filed, 911 closed, 737 closed on time → 93.72 % and 75.82 %."""
    rates = queries.rates_of({"filed": 972, "closed": 911, "closed_on_time": 737}, DEFAULTS)
    assert percent(rates["closure_rate"]) == "93.72%"
    assert percent(rates["on_time_closure_rate"]) == "75.82%"
    assert rates["closure_rate"] == pytest.approx(911 / 972)


@pytest.mark.django_db
def test_tianmen_through_the_rollups(territory: Any, department: Department) -> None:
    counted(TODAY, department.pk, filed=972, closed=911, closed_on_time=737, dispatched=972)
    period = queries.Period(TODAY.replace(day=1), TODAY)
    for node in ("4113", "411302", "411302001", "411302001001", GRID):
        result = queries.evaluate(SYSTEM, node, period, today=TODAY)
        assert percent(result.rates["closure_rate"]) == "93.72%", node
        assert percent(result.rates["on_time_closure_rate"]) == "75.82%", node
        assert result.should_close == 972
        assert [d.key for d in result.departments] == [str(department.pk)]


def test_postponed_cases_leave_the_denominators_when_configured() -> None:
    counts = {
        "filed": 100,
        "closed": 90,
        "closed_on_time": 80,
        "postponed": 10,
        "postponed_closed": 6,
        "postponed_closed_on_time": 2,
    }
    leaving = EvaluationSettings(exclude_postponed=True)
    staying = EvaluationSettings(exclude_postponed=False)
    assert queries.rates_of(counts, leaving)["closure_rate"] == pytest.approx(84 / 90)
    assert queries.rates_of(counts, leaving)["on_time_closure_rate"] == pytest.approx(78 / 90)
    assert queries.rates_of(counts, staying)["closure_rate"] == pytest.approx(0.9)
    assert queries.rates_of(counts, staying)["postponement_rate"] == pytest.approx(0.1)
    assert queries.should_close(counts, leaving) == 90


def test_other_rates() -> None:
    rates = queries.rates_of(
        {
            "dispatched": 50,
            "reworked": 5,
            "disposed_on_time": 40,
            "rated_satisfied": 6,
            "rated_basic": 3,
            "rated_unsatisfied": 1,
            "valid": 18,
            "invalid": 2,
            "missed": 2,
            "dispatches": 20,
            "dispatched_on_time": 19,
            "dispatch_returned": 1,
        },
        EvaluationSettings(basic_satisfaction_weight=Decimal("0.5")),
    )
    assert rates["rework_rate"] == pytest.approx(0.1)
    assert rates["on_time_disposal_rate"] == pytest.approx(0.8)
    assert rates["satisfaction_rate"] == pytest.approx((6 + 0.5 * 3) / 10)
    assert rates["valid_report_rate"] == pytest.approx(0.9)
    assert rates["missed_report_score"] == pytest.approx(1 - 2 / 20)
    assert rates["on_time_dispatch_rate"] == pytest.approx(0.95)
    assert rates["accurate_dispatch_rate"] == pytest.approx(0.95)
    assert queries.rates_of({}, DEFAULTS)["closure_rate"] is None


# --- scores and grades --------------------------------------------------------------------


def _disposal(on_time: float, closure: float, rework: float) -> dict[str, float | None]:
    return {
        "on_time_disposal_rate": on_time,
        "closure_rate": closure,
        "rework_rate": rework,
        "satisfaction_rate": None,
    }


@pytest.mark.parametrize(
    ("rates", "score", "grade"),
    [
        (_disposal(1, 1, 0), 100.0, "A"),
        (_disposal(1, 1, 1), 90.0, "A"),  # 60 + 30 + 0: exactly on A's boundary
        (_disposal(0.75, 1, 0.5), 80.0, "B"),  # 45 + 30 + 5
        (_disposal(0.5, 1, 0.5), 65.0, "C"),  # 30 + 30 + 5
        (_disposal(0.5, 0.5, 1), 45.0, "D"),
        (_disposal(0.5, 1 / 3, 1), 40.0, "D"),  # 30 + 10 + 0: D's boundary
        (_disposal(0.4, 1 / 3, 1), 34.0, "E"),
    ],
)
def test_department_score_and_grade(
    rates: dict[str, float | None], score: float, grade: str
) -> None:
    found = queries.disposal_score(rates, DEFAULTS)
    assert found == score
    assert queries.grade(found, DEFAULTS) == grade


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (90, "A"),
        (89.99, "B"),
        (75, "B"),
        (74.99, "C"),
        (60, "C"),
        (59.99, "D"),
        (40, "D"),
        (39.99, "E"),
        (0, "E"),
        (None, ""),
    ],
)
def test_grade_boundaries(score: float | None, grade: str) -> None:
    assert queries.grade(score, DEFAULTS) == grade


def test_supervisor_score() -> None:
    rates = {
        "valid_report_rate": 1.0,
        "missed_report_score": 1.0,
        "on_time_verification_rate": 0.5,
        "on_time_check_rate": 0.5,
    }
    assert queries.supervisor_score(rates, DEFAULTS) == 80.0  # 40 + 20 + 10 + 10
    # Nothing checked in the period: the other weights fill the check's place.
    rates["on_time_check_rate"] = None
    assert queries.supervisor_score(rates, DEFAULTS) == pytest.approx(100 * 70 / 80)
    assert (
        queries.dispatcher_score(
            {"on_time_dispatch_rate": 0.9, "accurate_dispatch_rate": 1.0}, DEFAULTS
        )
        == 95.0
    )


def test_array_scores_equal_the_scores_one_by_one() -> None:
    rng = random.Random(4)
    rows = []
    for person in range(300):
        valid, invalid, missed = rng.randint(0, 9), rng.randint(0, 3), rng.randint(0, 3)
        verifications, checks = rng.randint(0, 5), rng.randint(0, 5)
        rows.append(
            (
                person,
                valid + invalid,
                valid,
                invalid,
                missed,
                verifications,
                rng.randint(0, verifications),
                checks,
                rng.randint(0, checks),
            )
        )
    sums = np.array(rows, dtype=np.int64)
    scores = queries.supervisor_scores(sums, DEFAULTS)
    for row, score in zip(rows, scores, strict=True):
        measures = dict(zip(queries.SUPERVISOR_MEASURES, row[1:], strict=True))
        expected = queries.supervisor_score(queries.rates_of(measures, DEFAULTS), DEFAULTS)
        assert (expected is None and np.isnan(score)) or expected == pytest.approx(score)


@pytest.mark.django_db
def test_supervisors_are_ranked_like_their_scores(territory: Any) -> None:
    """The ranking made on arrays orders, ranks and grades exactly as supervisor_score."""
    rng = random.Random(4)
    counts = evaluation.Counts()
    for person in range(1, 121):
        valid, invalid, missed = rng.randint(0, 9), rng.randint(0, 3), rng.randint(0, 3)
        verifications, checks = rng.randint(0, 5), rng.randint(0, 5)
        if person % 10 == 0:  # nothing scored at all
            valid = invalid = missed = verifications = checks = 0
        counts.person(
            "s",
            person,
            GRID,
            TODAY,
            reported=valid + invalid + 1,
            valid=valid,
            invalid=invalid,
            missed=missed,
            verifications=verifications,
            verified_on_time=rng.randint(0, verifications),
            checks=checks,
            checked_on_time=rng.randint(0, checks),
        )
    evaluation.write_counts(counts)
    period = queries.Period(TODAY.replace(day=1), TODAY)
    result = queries.evaluate(SYSTEM, "4113", period, today=TODAY, supervisors_page_size=None)
    ranked = result.supervisors.items
    assert result.supervisors.count == len(ranked) == 120
    expected = sorted(ranked, key=lambda r: (r.score is None, -(r.score or 0), int(r.key)))
    assert [r.key for r in ranked] == [r.key for r in expected]
    for item in ranked:
        better = sum(
            1
            for r in ranked
            if r.score is not None and item.score is not None and r.score > item.score
        )
        assert item.rank == (better + 1 if item.score is not None else None)
    grades = {g: sum(1 for r in ranked if r.grade == g) for g in queries.GRADES}
    assert result.supervisor_grades == grades and grades["A"] and grades["E"]
    second = queries.evaluate(
        SYSTEM, "4113", period, today=TODAY, supervisors_page=2, supervisors_page_size=50
    )
    assert [r.key for r in second.supervisors.items] == [r.key for r in ranked[50:100]]
    beyond = queries.evaluate(
        SYSTEM, "4113", period, today=TODAY, supervisors_page=9, supervisors_page_size=50
    )
    assert beyond.supervisors.items == [] and beyond.supervisors.count == 120


@pytest.mark.django_db
def test_changed_weights_change_the_scores(
    territory: Any, department: Department, make_user: Callable[..., User]
) -> None:
    counted(
        TODAY, department.pk, filed=10, closed=10, dispatched=10, disposed_on_time=5, reworked=5
    )
    period = queries.Period(TODAY.replace(day=1), TODAY)
    before = queries.evaluate(SYSTEM, "411302", period, today=TODAY).departments[0]
    assert before.score == 30 + 30 + 5  # 60 × 0.5 + 30 × 1 + 10 × 0.5
    admin = make_user("admin", "4113")
    actions.update_evaluation_settings(
        actor=admin,
        version=1,
        disposal_on_time_weight=20,
        closure_weight=70,
        no_rework_weight=10,
        grade_b=70,
    )
    after = queries.evaluate(SYSTEM, "411302", period, today=TODAY).departments[0]
    assert after.score == 10 + 70 + 5
    assert after.grade == "B"


@pytest.mark.django_db
def test_settings_are_checked(territory: Any, make_user: Callable[..., User]) -> None:
    admin = make_user("admin", "4113")
    with pytest.raises(InvalidInput) as refused:
        actions.update_evaluation_settings(actor=admin, version=1, closure_weight=31)
    assert set(refused.value.details["fields"]) == set(actions.WEIGHT_GROUPS["disposal"])
    with pytest.raises(InvalidInput) as refused:
        actions.update_evaluation_settings(actor=admin, version=1, grade_b=95)
    assert "grade_a" in refused.value.details["fields"]
    with pytest.raises(InvalidInput) as refused:
        actions.update_evaluation_settings(actor=admin, version=1, basic_satisfaction_weight="1.5")
    assert "basic_satisfaction_weight" in refused.value.details["fields"]
    assert not EvaluationSettings.objects.exists()


# --- periods ------------------------------------------------------------------------------


def test_a_past_period_is_cut_into_days_months_and_years() -> None:
    period = queries.Period(dt.date(2024, 12, 20), dt.date(2026, 3, 10))
    assert queries.runs(period, evaluation.ALL_GRAINS, TODAY) == [
        (Grain.DAY, dt.date(2024, 12, 20), dt.date(2024, 12, 31)),
        (Grain.YEAR, dt.date(2025, 1, 1), dt.date(2025, 1, 1)),
        (Grain.MONTH, dt.date(2026, 1, 1), dt.date(2026, 2, 1)),
        (Grain.DAY, dt.date(2026, 3, 1), dt.date(2026, 3, 10)),
    ]
    assert queries.runs(period, evaluation.DAYS_ONLY, TODAY) == [
        (Grain.DAY, dt.date(2024, 12, 20), dt.date(2026, 3, 10))
    ]


def test_a_period_reaching_today_takes_whole_months_and_years() -> None:
    this_month = queries.period_of("this_month", today=TODAY)
    assert queries.runs(this_month, evaluation.ALL_GRAINS, TODAY) == [
        (Grain.MONTH, dt.date(2026, 11, 1), dt.date(2026, 11, 1))
    ]
    this_year = queries.period_of("this_year", today=TODAY)
    assert queries.runs(this_year, evaluation.ALL_GRAINS, TODAY) == [
        (Grain.YEAR, dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    ]
    last_month = queries.period_of("last_month", today=TODAY)
    assert (last_month.start, last_month.end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("custom", None, "2026-01-01"), "start"),
        (("custom", "2026-02-01", "2026-01-01"), "end"),
        (("custom", "2026-13-01", "2026-12-31"), "start"),
        (("custom", "2000-01-01", "2026-12-31"), "end"),
        (("someday", None, None), "period"),
    ],
)
def test_bad_periods_name_their_field(args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        queries.period_of(*args, today=TODAY)
    assert field in refused.value.details["fields"]


@pytest.mark.django_db
def test_a_period_counts_only_its_days(territory: Any, department: Department) -> None:
    """Rows of other days stay out, whichever grain answers."""
    counted(dt.date(2026, 9, 30), department.pk, filed=1)
    counted(dt.date(2026, 10, 1), department.pk, filed=2)
    counted(dt.date(2026, 10, 31), department.pk, filed=4)
    counted(dt.date(2026, 11, 1), department.pk, filed=8)
    october = queries.period_of("last_month", today=TODAY)
    for node in ("4113", "411302001", GRID):
        assert queries.evaluate(SYSTEM, node, october, today=TODAY).counts["filed"] == 6
    mid = queries.Period(dt.date(2026, 9, 30), dt.date(2026, 10, 1))
    assert queries.evaluate(SYSTEM, "4113", mid, today=TODAY).counts["filed"] == 3
    trend = queries.evaluate(SYSTEM, "4113", october, today=TODAY).trend
    assert len(trend) == 31 and sum(p.counts["filed"] for p in trend) == 6
