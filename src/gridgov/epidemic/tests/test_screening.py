"""Screening campaigns through the actions: the tasks each target generates and who they
go to, visits (records, nobody at home), closing and cancelling, the ten points, version
checks — with the roll-ups equal to a recount after every kind of traffic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from gridgov.accounts.models import GridAssignment
from gridgov.audit.models import AuditEvent
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic import rollups, rules
from gridgov.epidemic.actions import risk as risk_actions
from gridgov.epidemic.actions import screening as actions
from gridgov.epidemic.models import (
    CampaignStatus,
    ScreeningCampaign,
    ScreeningRecord,
    ScreeningTask,
    TaskStatus,
)
from gridgov.epidemic.queries import screening as queries
from gridgov.epidemic.tallies.screening import TALLY
from gridgov.epidemic.tests.fixtures import Epi, epidemic_state
from gridgov.registry import actions as registry_actions
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID, GRID_2, NEIGHBOUR_GRID
from gridgov.territory.models import Region

pytestmark = pytest.mark.django_db
TOWNSHIP = "411302001"


def start(epi: Epi, actor: Any = None, **data: Any) -> ScreeningCampaign:
    actor = actor or epi.r.township
    fields = {"name": "全员排查", "region_code": TOWNSHIP, "target": "everyone", **data}
    campaign = actions.create_campaign(actor=actor, **fields)
    return actions.start_campaign(campaign.pk, actor=actor, expected_version=campaign.version)


def tasks_of(campaign: ScreeningCampaign) -> dict[int, ScreeningTask]:
    return {t.person_id: t for t in ScreeningTask.objects.filter(campaign=campaign)}


def figures(code: str) -> dict[str, int]:
    return rollups.current_figures(code)


def test_everyone_in_a_township_gets_a_task_assigned_to_the_grid_worker(epi: Epi) -> None:
    campaign = start(epi)
    tasks = tasks_of(campaign)
    r = epi.r
    expected = {r.person, epi.spouse, r.elder, r.migrant, r.neighbour_person}
    assert set(tasks) == {p.pk for p in expected}  # the sibling township's is not
    assert tasks[r.person.pk].assignee == r.worker and tasks[r.elder.pk].grid_code == GRID
    # No worker covers GRID_2, and the neighbour's role is bound to a community, not a grid.
    assert tasks[r.migrant.pk].assignee is None
    assert tasks[r.neighbour_person.pk].assignee is None
    assert campaign.status == CampaignStatus.ACTIVE and campaign.started_at is not None
    assert figures(TOWNSHIP)["screening:tasks"] == 5
    assert figures(COMMUNITY)[f"campaign:{campaign.pk}:tasks"] == 4
    assert TALLY.matches_recount()
    event = AuditEvent.objects.filter(action="epidemic.screening.campaign.start").get()
    assert event.changes == {"tasks": 5, "grids": 3, "unassigned": 2}


def test_the_main_worker_wins_over_the_deputy_and_a_grid_bound_role(
    epi: Epi, make_user: Any
) -> None:
    bound = make_user("grid_worker", GRID_2, username="grid-bound")
    deputy = make_user("grid_worker", COMMUNITY, username="deputy")
    GridAssignment.objects.create(
        user=deputy, grid=Region.objects.get(code=GRID), grid_code=GRID, is_deputy=True
    )
    tasks = tasks_of(start(epi, region_code=COMMUNITY))
    assert tasks[epi.r.person.pk].assignee == epi.r.worker
    assert tasks[epi.r.migrant.pk].assignee == bound


def test_risk_arrivals_since_a_date(epi: Epi) -> None:
    # The migrant arrived three days ago from 330102 (杭州市上城区).
    risk_actions.add_risk_area(
        actor=epi.command,
        division_code="3301",
        level="high",
        valid_from=rules.today() - dt.timedelta(days=10),
    )
    campaign = start(
        epi,
        actor=epi.command,
        region_code="4113",
        target="risk_arrivals",
        arrivals_since=rules.today() - dt.timedelta(days=7),
    )
    assert set(tasks_of(campaign)) == {epi.r.migrant.pk}
    later = actions.create_campaign(
        actor=epi.command,
        name="近两日返乡人员",
        region_code="4113",
        target="risk_arrivals",
        arrivals_since=rules.today() - dt.timedelta(days=1),
    )
    with pytest.raises(InvalidInput) as refused:
        actions.start_campaign(later.pk, actor=epi.command)
    assert "target" in refused.value.details["fields"]
    assert ScreeningCampaign.objects.get(pk=later.pk).status == CampaignStatus.DRAFT


def test_a_care_group(epi: Epi) -> None:
    campaign = start(epi, region_code=COMMUNITY, target="care_group", care_kind="disabled")
    assert set(tasks_of(campaign)) == {epi.r.elder.pk}


def test_the_target_needs_its_criterion(epi: Epi) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.create_campaign(
            actor=epi.r.township, name="x", region_code=TOWNSHIP, target="care_group"
        )
    assert set(refused.value.details["fields"]) == {"care_kind"}
    with pytest.raises(InvalidInput) as refused:
        actions.create_campaign(
            actor=epi.r.township, name="", target="risk_arrivals", due_on="2020-01-01"
        )
    assert set(refused.value.details["fields"]) == {"name", "arrivals_since", "due_on"}


def test_who_may_create_where(epi: Epi) -> None:
    r = epi.r
    before = epidemic_state()
    with pytest.raises(PermissionDenied):  # a grid worker does not run campaigns
        actions.create_campaign(actor=r.worker, name="x", region_code=GRID, target="everyone")
    with pytest.raises(NotFound):  # another township's
        actions.create_campaign(actor=r.sibling, name="x", region_code=TOWNSHIP, target="everyone")
    with pytest.raises(PermissionDenied):  # the city's campaign seen from a township
        campaign = actions.create_campaign(
            actor=epi.command, name="全市", region_code="4113", target="everyone"
        )
        before = epidemic_state()
        actions.start_campaign(campaign.pk, actor=r.township)
    assert epidemic_state() == before
    # Any level: a community's staff screens one grid.
    assert (
        actions.create_campaign(
            actor=r.community, name="一格", region_code=GRID, target="everyone"
        ).region_code
        == GRID
    )


def visit(epi: Epi, task: ScreeningTask, **answers: Any) -> ScreeningRecord:
    task.refresh_from_db()
    return actions.record_screening(
        actor=epi.r.worker, task_id=task.pk, expected_version=task.version, **answers
    )


CLEAR = {"health": "normal", "temperature": "36.6", "measures": ["none"]}


def test_visits_complete_tasks_and_keep_the_figures(epi: Epi) -> None:
    campaign = start(epi)
    tasks = tasks_of(campaign)
    r = epi.r
    first = visit(epi, tasks[r.person.pk], **CLEAR)
    assert first.unclear_points == [] and first.grid_code == GRID
    tasks[r.person.pk].refresh_from_db()
    assert tasks[r.person.pk].status == TaskStatus.DONE
    # The migrant has no ID number and came from somewhere the visit did not learn.
    second = visit(epi, tasks[r.migrant.pk], health="normal", arrival_date=rules.today())
    assert second.unclear_points == ["identity", "origin", "measures"]
    actions.mark_unreachable(tasks[r.elder.pk].pk, actor=r.worker, note="敲门无人")
    measure = f"campaign:{campaign.pk}"
    assert (
        figures(COMMUNITY).items()
        >= {
            "screening:tasks": 4,
            "screening:done": 2,
            "screening:unreachable": 1,
            "screening:unclear": 1,
            f"{measure}:done": 2,
        }.items()
    )
    day = rollups.day_figures(COMMUNITY, rules.today())
    assert day["screened"] == 2 and day[f"{measure}:done"] == 2
    assert TALLY.matches_recount()
    # The elder is found on the second try: unreachable → done.
    visit(epi, tasks[r.elder.pk], **CLEAR)
    # The migrant's points are cleared on a second visit: the person is no longer unclear.
    visit(epi, tasks[r.migrant.pk], health="normal", measures=["health_watch"], unclear_points=[])
    current = figures(COMMUNITY)
    assert current["screening:done"] == 3 and current.get("screening:unreachable", 0) == 0
    assert current.get("screening:unclear", 0) == 1  # the migrant still has no ID number
    assert rollups.day_figures(COMMUNITY, rules.today())["screened"] == 4
    assert TALLY.matches_recount()


def test_ticked_and_derived_points(epi: Epi) -> None:
    campaign = start(epi, region_code=GRID)
    record = visit(
        epi,
        tasks_of(campaign)[epi.r.person.pk],
        origin_code="420102",
        unclear_points=["family", "close_contacts"],
    )
    assert record.unclear_points == [
        "return_time",
        "transport",
        "close_contacts",
        "health",
        "measures",
        "family",
    ]
    assert record.unclear_count == 6


def test_a_fever_is_fever_or_cough(epi: Epi) -> None:
    campaign = start(epi, region_code=GRID)
    task = tasks_of(campaign)[epi.r.person.pk]
    assert visit(epi, task, temperature="38.2").health == "fever_or_cough"
    with pytest.raises(InvalidInput) as refused:
        visit(epi, task, temperature="38.2", health="normal")
    assert set(refused.value.details["fields"]) == {"health"}


def test_bad_answers_are_named_and_change_nothing(epi: Epi) -> None:
    campaign = start(epi, region_code=GRID)
    task = tasks_of(campaign)[epi.r.person.pk]
    before = epidemic_state()
    with pytest.raises(InvalidInput) as refused:
        visit(
            epi,
            task,
            temperature="50",
            origin_code="123",
            transport="rocket",
            measures=["none", "home_isolation"],
            unclear_points=["weather"],
            arrival_date=(rules.today() + dt.timedelta(days=2)).isoformat(),
            shoe_size="42",
        )
    assert set(refused.value.details["fields"]) == {
        "temperature",
        "origin_code",
        "transport",
        "measures",
        "unclear_points",
        "arrival_date",
        "shoe_size",
    }
    assert epidemic_state() == before


def test_nobody_at_home_three_times_stays_unreachable(epi: Epi) -> None:
    campaign = start(epi, region_code=GRID)
    task = tasks_of(campaign)[epi.r.person.pk]
    for attempt in range(1, 4):
        task = actions.mark_unreachable(task.pk, actor=epi.r.worker, expected_version=task.version)
        assert (task.status, task.attempts) == (TaskStatus.UNREACHABLE, attempt)
        assert queries.task_list(epi.r.worker, mine=True).filter(pk=task.pk).exists() == (
            attempt < 3
        )
    with pytest.raises(Conflict):
        actions.mark_unreachable(task.pk, actor=epi.r.worker)
    assert figures(GRID)["screening:unreachable"] == 1
    # Found after all: screening completes it.
    visit(epi, task, **CLEAR)
    assert figures(GRID).get("screening:unreachable", 0) == 0
    with pytest.raises(Conflict):
        actions.mark_unreachable(task.pk, actor=epi.r.worker)
    assert TALLY.matches_recount()


def test_a_stale_version_is_a_conflict_and_changes_nothing(epi: Epi) -> None:
    r = epi.r
    campaign = actions.create_campaign(actor=r.township, name="x", target="everyone")
    actions.update_campaign(campaign.pk, actor=r.township, expected_version=1, name="全员")
    before = epidemic_state()
    with pytest.raises(Conflict):
        actions.start_campaign(campaign.pk, actor=r.township, expected_version=1)
    with pytest.raises(Conflict):
        actions.update_campaign(campaign.pk, actor=r.township, expected_version=1, name="y")
    assert epidemic_state() == before
    actions.start_campaign(campaign.pk, actor=r.township, expected_version=2)
    task = tasks_of(campaign)[r.person.pk]
    visit(epi, task, **CLEAR)
    before = epidemic_state()
    with pytest.raises(Conflict):  # the page was loaded before the first visit
        actions.record_screening(actor=r.worker, task_id=task.pk, expected_version=1, **CLEAR)
    with pytest.raises(Conflict):  # only a draft changes
        actions.update_campaign(campaign.pk, actor=r.township, name="z")
    assert epidemic_state() == before


def test_closing_cancels_what_was_not_visited_and_leaves_the_overall_figures(epi: Epi) -> None:
    campaign = start(epi)
    tasks = tasks_of(campaign)
    visit(epi, tasks[epi.r.person.pk], **CLEAR)
    actions.mark_unreachable(tasks[epi.r.elder.pk].pk, actor=epi.r.worker)
    other = start(epi, name="重点人群", region_code=GRID)  # still under way
    actions.close_campaign(campaign.pk, actor=epi.r.township, expected_version=2)
    statuses = dict(
        ScreeningTask.objects.filter(campaign=campaign).values_list("person_id", "status")
    )
    assert statuses[epi.spouse.pk] == TaskStatus.CANCELLED
    assert statuses[epi.r.elder.pk] == TaskStatus.UNREACHABLE
    current = figures(TOWNSHIP)
    assert current["screening:tasks"] == 3  # the other campaign's tasks only
    assert current.get("screening:done", 0) == 0
    assert current[f"campaign:{campaign.pk}:tasks"] == 5
    assert current[f"campaign:{campaign.pk}:done"] == 1
    with pytest.raises(Conflict):
        visit(epi, tasks[epi.spouse.pk], **CLEAR)
    with pytest.raises(Conflict):
        actions.close_campaign(campaign.pk, actor=epi.r.township)
    actions.cancel_campaign(other.pk, actor=epi.r.township)
    assert figures(TOWNSHIP).get("screening:tasks", 0) == 0
    assert TALLY.matches_recount()
    rollups.recount()
    assert figures(TOWNSHIP)[f"campaign:{campaign.pk}:done"] == 1


def test_a_cancelled_draft_counts_nothing(epi: Epi) -> None:
    campaign = actions.create_campaign(actor=epi.r.township, name="x", target="everyone")
    actions.cancel_campaign(campaign.pk, actor=epi.r.township)
    assert ScreeningCampaign.objects.get(pk=campaign.pk).status == CampaignStatus.CANCELLED
    with pytest.raises(Conflict):
        actions.start_campaign(campaign.pk, actor=epi.r.township)
    assert TALLY.matches_recount() and not figures(TOWNSHIP)


def test_a_screening_without_a_campaign(epi: Epi) -> None:
    r = epi.r
    record = actions.record_screening(
        actor=r.worker, person_id=r.person.pk, health="fever_or_cough", temperature=Decimal("37.9")
    )
    assert record.campaign is None and record.task is None
    assert figures(GRID) == {"screening:unclear": 1}  # measures taken not yet known
    with pytest.raises(NotFound):  # the neighbour's grid
        actions.record_screening(actor=r.worker, person_id=r.neighbour_person.pk, **CLEAR)
    with pytest.raises(PermissionDenied):  # township staff do not screen
        actions.record_screening(actor=r.township, person_id=r.person.pk, **CLEAR)
    registry_actions.record_status(
        epi.spouse.pk, actor=r.worker, status="moved_out", date=rules.today()
    )
    with pytest.raises(InvalidInput) as refused:
        actions.record_screening(actor=r.worker, person_id=epi.spouse.pk, **CLEAR)
    assert set(refused.value.details["fields"]) == {"person_id"}
    assert TALLY.matches_recount()


def test_progress_per_level_from_the_roll_ups(epi: Epi) -> None:
    campaign = start(epi)
    tasks = tasks_of(campaign)
    visit(epi, tasks[epi.r.person.pk], **CLEAR)
    visit(epi, tasks[epi.spouse.pk], **CLEAR)
    township = queries.progress(epi.r.township, campaign)
    assert (township.node.tasks, township.node.done) == (5, 2)
    by_code = {c.code: c for c in township.children}
    assert by_code[COMMUNITY].tasks == 4 and by_code[COMMUNITY].done_percent == 50.0
    assert by_code["411302001002"].tasks == 1
    grids = queries.progress(epi.r.township, campaign, COMMUNITY)
    assert {c.code: c.done for c in grids.children}[GRID] == 2
    assert len(grids.children) == 4  # every grid of the community, with tasks or not
    one = queries.progress(epi.r.township, campaign, GRID)
    assert one.children == [] and one.node.tasks == 3
    # The grid worker sees their community's part of the township's campaign.
    mine = queries.progress(epi.r.worker, campaign)
    assert mine.node.code == COMMUNITY and mine.node.tasks == 4
    # A leader reads figures; the sibling township does not reach this one.
    assert queries.progress(epi.r.leader, campaign).node.done == 2
    with pytest.raises(NotFound):
        queries.progress(epi.r.sibling, campaign)
    with pytest.raises(NotFound):
        queries.progress(epi.r.township, campaign, NEIGHBOUR_GRID[:9] + "9")
    trend = queries.trend(campaign, TOWNSHIP)
    assert trend[-1] == {"date": rules.today(), "done": 2, "total": 2}


def test_campaigns_are_visible_above_and_below_the_scope(epi: Epi) -> None:
    city = actions.create_campaign(
        actor=epi.command, name="全市", region_code="4113", target="everyone"
    )
    own = actions.create_campaign(actor=epi.r.township, name="东关", target="everyone")
    sibling = actions.create_campaign(actor=epi.r.sibling, name="新华", target="everyone")
    seen = lambda user: set(queries.visible_campaigns(user).values_list("pk", flat=True))  # noqa: E731
    assert seen(epi.r.worker) == {city.pk, own.pk}
    assert seen(epi.r.sibling) == {city.pk, sibling.pk}
    assert seen(epi.command) == {city.pk, own.pk, sibling.pk}
    assert seen(epi.r.leader) == {city.pk, own.pk, sibling.pk}
    with pytest.raises(PermissionDenied):
        queries.visible_campaigns(epi.r.supervision)
