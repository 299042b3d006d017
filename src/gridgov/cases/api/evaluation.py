"""REST endpoints of the evaluation, mounted at /api/v1/cases/evaluation.

``GET /evaluation`` answers everything the evaluation page shows for a territory node and
a period — counts, rates, the node's score and grade, its child regions, departments and
dispatchers ranked, one page of the supervisors' ranking, the trend — read from the
roll-ups. It needs ``evaluation.view`` over the node (outside the caller's scope the node
answers 404 like one that does not exist). The settings (weights, grade boundaries,
counting choices) are read by the same users and changed with ``PUT`` by an administrator
of the whole city, with the version read (409 when someone saved first).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from gridgov.api.schemas import ERRORS, PageOut, page_payload
from gridgov.cases.actions import evaluation as actions
from gridgov.cases.queries import evaluation as queries
from gridgov.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE

router = Router(tags=["cases: evaluation"])

PeriodKind = Literal["this_month", "last_month", "this_year", "custom"]
NODE = Query(
    "",
    description="Territory code (city to grid); default: the caller's home node",
    max_length=15,
    pattern=r"^\d*$",
    examples=["411302"],
)
PERIOD = Query("this_month", description="custom: give start and end")
START = Query(None, description="First day (custom period)")
END = Query(None, description="Last day, inclusive (custom period)")
PAGE = Query(1, ge=1, le=MAX_PAGE, description="Page of the supervisors' ranking")
PAGE_SIZE = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


# --- schemas ------------------------------------------------------------------------------


class NodeOut(Schema):
    code: str
    name: str
    level: int = Field(description="2 city, 3 county, 4 township, 5 community, 6 unit grid")


class PeriodOut(Schema):
    kind: PeriodKind
    start: dt.date
    end: dt.date = Field(description="Inclusive")


class RankedOut(Schema):
    key: str = Field(description="The region's code, or the department's or user's id")
    name: str
    rank: int | None = Field(description="1 = best score; equal scores share a rank")
    score: float | None = Field(description="0–100 with the settings' weights; null: no data")
    grade: str = Field(description="A–E, empty without a score")
    counts: dict[str, int]
    rates: dict[str, float | None] = Field(description="0–1; null when nothing to divide by")


class TrendPointOut(Schema):
    start: dt.date = Field(description="First day of the day, week or month")
    counts: dict[str, int]
    rates: dict[str, float | None]


class EvaluationOut(Schema):
    node: NodeOut
    period: PeriodOut
    counts: dict[str, int] = Field(description="Roll-up counts of the node over the period")
    rates: dict[str, float | None] = Field(
        description="closure_rate (结案率), on_time_closure_rate (按期结案率), rework_rate, "
        "postponement_rate, satisfaction_rate, on_time_disposal_rate, valid_report_rate, "
        "on_time_verification_rate, on_time_check_rate, on_time_dispatch_rate, "
        "accurate_dispatch_rate, missed_report_score — 0–1, null when nothing to divide by"
    )
    should_close: int = Field(description="The denominator of the closure rates")
    score: float | None
    grade: str
    regions: list[RankedOut] = Field(description="The node's children, best first")
    departments: list[RankedOut]
    dispatchers: list[RankedOut]
    supervisors: PageOut[RankedOut] = Field(description="One page of the supervisors' ranking")
    supervisor_grades: dict[str, int] = Field(description="How many supervisors got each grade")
    trend_unit: Literal["day", "week", "month"]
    trend: list[TrendPointOut]


class SettingsOut(Schema):
    disposal_on_time_weight: int
    closure_weight: int
    no_rework_weight: int
    satisfaction_weight: int
    valid_report_weight: int
    missed_report_weight: int
    verify_on_time_weight: int
    check_on_time_weight: int
    dispatch_on_time_weight: int
    dispatch_accurate_weight: int
    grade_a: int
    grade_b: int
    grade_c: int
    grade_d: int
    exclude_postponed: bool
    basic_satisfaction_weight: Decimal
    version: int
    updated_at: dt.datetime | None = None
    may_edit: bool = Field(description="Whether the caller may change them")


class SettingsIn(Schema):
    """The whole set of settings, with the version read (1 while the defaults stand)."""

    disposal_on_time_weight: int = Field(ge=0, le=100)
    closure_weight: int = Field(ge=0, le=100)
    no_rework_weight: int = Field(ge=0, le=100)
    satisfaction_weight: int = Field(ge=0, le=100)
    valid_report_weight: int = Field(ge=0, le=100)
    missed_report_weight: int = Field(ge=0, le=100)
    verify_on_time_weight: int = Field(ge=0, le=100)
    check_on_time_weight: int = Field(ge=0, le=100)
    dispatch_on_time_weight: int = Field(ge=0, le=100)
    dispatch_accurate_weight: int = Field(ge=0, le=100)
    grade_a: int = Field(ge=0, le=100)
    grade_b: int = Field(ge=0, le=100)
    grade_c: int = Field(ge=0, le=100)
    grade_d: int = Field(ge=0, le=100)
    exclude_postponed: bool
    basic_satisfaction_weight: Decimal = Field(ge=0, le=1, decimal_places=2)
    version: int = Field(ge=1)


# --- shaping ------------------------------------------------------------------------------


def ranked(item: queries.Ranked) -> dict[str, Any]:
    return {
        "key": item.key,
        "name": item.name,
        "rank": item.rank,
        "score": item.score,
        "grade": item.grade,
        "counts": item.counts,
        "rates": item.rates,
    }


def evaluation_payload(result: queries.Evaluation) -> dict[str, Any]:
    """The API's answer (also what the page hands to its charts)."""
    return {
        "node": {"code": result.code, "name": result.name, "level": result.level},
        "period": {
            "kind": result.period.kind,
            "start": result.period.start,
            "end": result.period.end,
        },
        "counts": result.counts,
        "rates": result.rates,
        "should_close": result.should_close,
        "score": result.score,
        "grade": result.grade,
        "regions": [ranked(r) for r in result.regions],
        "departments": [ranked(r) for r in result.departments],
        "dispatchers": [ranked(r) for r in result.dispatchers],
        "supervisors": page_payload(
            result.supervisors, [ranked(r) for r in result.supervisors.items]
        ),
        "supervisor_grades": result.supervisor_grades,
        "trend_unit": result.trend_unit,
        "trend": [{"start": p.start, "counts": p.counts, "rates": p.rates} for p in result.trend],
    }


def _settings(request: HttpRequest) -> dict[str, Any]:
    row = queries.settings_for(request.user)
    values = {name: getattr(row, name) for name in actions.SETTINGS_FIELDS}
    return {
        **values,
        "version": row.version,
        "updated_at": row.updated_at,
        "may_edit": queries.may_edit_settings(request.user),
    }


# --- endpoints ----------------------------------------------------------------------------


@router.get(
    "/evaluation",
    response={200: EvaluationOut, **ERRORS},
    summary="Evaluation of a territory node over a period: rates, scores, grades, rankings "
    "and trend (read from roll-ups)",
    url_name="cases_evaluation",
)
def evaluation(
    request: HttpRequest,
    node: str = NODE,
    period: PeriodKind = PERIOD,
    start: dt.date | None = START,
    end: dt.date | None = END,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    code = queries.resolve_node(request.user, node)
    span = queries.period_of(period, start, end)
    result = queries.evaluate(
        request.user, code, span, supervisors_page=page, supervisors_page_size=page_size
    )
    return evaluation_payload(result)


@router.get(
    "/evaluation/settings",
    response={200: SettingsOut, **ERRORS},
    summary="The evaluation's weights, grade boundaries and counting choices",
    url_name="cases_evaluation_settings",
)
def get_settings(request: HttpRequest) -> Any:
    return _settings(request)


@router.put(
    "/evaluation/settings",
    response={200: SettingsOut, **ERRORS},
    summary="Change the evaluation settings (city administrators; with the version read)",
    url_name="cases_evaluation_settings_update",
)
def put_settings(request: HttpRequest, payload: SettingsIn) -> Any:
    values = payload.dict()
    version = values.pop("version")
    actions.update_evaluation_settings(actor=request.user, version=version, **values)
    return _settings(request)
