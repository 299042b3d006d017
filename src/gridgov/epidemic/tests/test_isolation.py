"""Isolation rules: starting (defaults, one active episode, validation, who may), daily
follow-ups (generated once, recorded, abnormal alerts), missed follow-ups around the
deadline hour on Asia/Shanghai days, release by rule and by decision, the planned end, and
the roll-ups equal to a recount after all of it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.core.system import SYSTEM
from gridgov.epidemic import rollups, rules
from gridgov.epidemic.actions import declarations as declaration_actions
from gridgov.epidemic.actions import health_code as code_actions
from gridgov.epidemic.actions import isolation as actions
from gridgov.epidemic.models import IsolationEpisode, IsolationFollowUp
from gridgov.epidemic.tallies.isolation import TALLY
from gridgov.epidemic.tests.fixtures import Epi, epidemic_state, key, local
from gridgov.inbox.models import Message
from gridgov.registry.tests.core_fixtures import GRID

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def today() -> dt.date:
    return rules.today()


def start(epi: Epi, days_ago: int = 0, person: Any = None, **fields: Any) -> IsolationEpisode:
    values = {"kind": "home", "reason": "close_contact"} | fields
    return actions.start_isolation(
        actor=epi.r.community,
        person_id=(person or epi.r.person).pk,
        start_date=today() - days_ago * DAY,
        **values,
    )


def fill_days(episode: IsolationEpisode) -> None:
    """The follow-ups of every day of the episode until today, as cron would have made."""
    day = episode.start_date
    while day <= today():
        actions.generate_follow_ups(day, actor=SYSTEM)
        day += DAY


def follow_up(episode: IsolationEpisode, day: dt.date) -> IsolationFollowUp:
    return IsolationFollowUp.objects.get(episode=episode, date=day)


def record(epi: Epi, episode: IsolationEpisode, day: dt.date, **fields: Any) -> IsolationFollowUp:
    return actions.record_follow_up(follow_up(episode, day).pk, actor=epi.r.worker, **fields)


def figures(day: dt.date) -> dict[str, int]:
    return rollups.day_figures(GRID, day)


# --- starting -----------------------------------------------------------------------------


def test_start_creates_todays_follow_up_for_the_grid_worker(epi: Epi) -> None:
    episode = start(epi)
    assert (episode.status, episode.kind, episode.grid_code) == ("active", "home", GRID)
    assert episode.place == epi.r.person.address  # home isolation: at home
    assert episode.assignee == epi.r.worker
    row = IsolationFollowUp.objects.get(episode=episode)
    assert (row.date, row.status, row.assignee, row.person) == (
        today(),
        "due",
        epi.r.worker,
        epi.r.person,
    )
    assert rollups.current_figures(GRID)["isolated:home"] == 1
    assert figures(today())["isolation:started"] == 1
    assert figures(today())["follow_ups:due"] == 1
    event = AuditEvent.objects.filter(action="epidemic.isolation.start").get()
    assert (event.grid_code, event.changes["reason"]) == (GRID, "close_contact")
    assert TALLY.matches_recount()


@pytest.mark.parametrize(
    ("reason", "colour", "days"),
    [
        ("close_contact", None, 14),
        ("decision", None, 14),
        ("risk_arrival", None, 7),
        ("abnormal", None, 7),
        ("risk_arrival", "red", 14),  # a red code isolates for the red-code days
        ("abnormal", "yellow", 7),
    ],
)
def test_default_length_follows_the_rules(epi: Epi, reason: str, colour: str, days: int) -> None:
    if colour:
        code_actions.set_health_code(epi.r.person.pk, actor=epi.command, colour=colour, note="x")
    episode = start(epi, days_ago=2, reason=reason)
    assert episode.planned_end == episode.start_date + days * DAY


def test_default_length_follows_changed_rules(epi: Epi) -> None:
    code_actions.update_settings(actor=epi.command, yellow_normal_days=5, red_normal_days=10)
    assert start(epi, reason="risk_arrival").planned_end == today() + 5 * DAY
    assert start(epi, person=epi.spouse).planned_end == today() + 10 * DAY


def test_one_active_episode_per_person(epi: Epi) -> None:
    first = start(epi)
    before = epidemic_state()
    with pytest.raises(Conflict) as refused:
        start(epi, kind="centralised", place="南阳宾馆")
    assert refused.value.details["episode_id"] == first.pk
    assert epidemic_state() == before
    actions.release_isolation(first.pk, actor=epi.r.community, note="核酸阴性")
    again = start(epi, kind="centralised", place="南阳宾馆")
    assert again.status == "active" and again.pk != first.pk


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "centralised"}, "place"),
        ({"kind": "hotel"}, "kind"),
        ({"reason": ""}, "reason"),
        ({"start_date": "tomorrow"}, "start_date"),
        ({"planned_end": "2000-01-01"}, "planned_end"),
        ({"note": "x" * 201}, "note"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    epi: Epi, fields: dict[str, Any], field: str
) -> None:
    before = epidemic_state()
    values = {"kind": "home", "reason": "close_contact", "start_date": today()} | fields
    with pytest.raises(InvalidInput) as refused:
        actions.start_isolation(actor=epi.r.community, person_id=epi.r.person.pk, **values)
    assert set(refused.value.details["fields"]) == {field}
    assert epidemic_state() == before


def test_start_dates_and_planned_ends_are_bounded(epi: Epi) -> None:
    for days_ago, field in ((-1, "start_date"), (15, "start_date")):
        with pytest.raises(InvalidInput) as refused:
            start(epi, days_ago=days_ago)
        assert set(refused.value.details["fields"]) == {field}
    with pytest.raises(InvalidInput) as refused:
        start(epi, days_ago=10, planned_end=today() - 11 * DAY)
    assert set(refused.value.details["fields"]) == {"planned_end"}
    # Registered late, an isolation may already be due for release.
    late = start(epi, person=epi.spouse, days_ago=10, planned_end=today() - DAY)
    assert late.follow_ups.get().date == today()
    with pytest.raises(InvalidInput):
        start(epi, planned_end=today() + 61 * DAY)
    assert start(epi, days_ago=14, planned_end=today()).start_date == today() - 14 * DAY


def test_who_may_start(epi: Epi) -> None:
    before = epidemic_state()
    with pytest.raises(PermissionDenied):  # a grid worker follows up, does not isolate
        actions.start_isolation(
            actor=epi.r.worker,
            person_id=epi.r.person.pk,
            kind="home",
            reason="close_contact",
            start_date=today(),
        )
    for outsider in (epi.r.sibling, epi.other_county):
        with pytest.raises(NotFound):
            actions.start_isolation(
                actor=outsider,
                person_id=epi.r.person.pk,
                kind="home",
                reason="close_contact",
                start_date=today(),
            )
    assert epidemic_state() == before
    for right in (epi.r.township, epi.county, epi.command):
        episode = actions.start_isolation(
            actor=right,
            person_id=epi.r.person.pk,
            kind="home",
            reason="close_contact",
            start_date=today(),
        )
        actions.release_isolation(episode.pk, actor=right, note="解除")


# --- follow-ups ---------------------------------------------------------------------------


def test_generating_follow_ups_is_idempotent(epi: Epi) -> None:
    episode = start(epi, days_ago=3)
    for day in (today() - 3 * DAY, today() - 2 * DAY):
        assert actions.generate_follow_ups(day, actor=SYSTEM) == 1
        assert actions.generate_follow_ups(day, actor=SYSTEM) == 0
        assert figures(day)["follow_ups:due"] == 1
    assert actions.generate_follow_ups(actor=SYSTEM) == 0  # today's came with the start
    assert episode.follow_ups.count() == 3
    with pytest.raises(InvalidInput) as refused:
        actions.generate_follow_ups(today() + DAY, actor=SYSTEM)
    assert set(refused.value.details["fields"]) == {"date"}
    assert TALLY.matches_recount()


def test_follow_ups_are_generated_for_active_episodes_only(epi: Epi) -> None:
    gone = start(epi, days_ago=1)
    actions.release_isolation(gone.pk, actor=epi.r.community, note="解除")
    stays = start(epi, person=epi.spouse, days_ago=1)
    later = start(epi, person=epi.r.elder)  # starts today: nothing owed yesterday
    assert actions.generate_follow_ups(today() - DAY, actor=SYSTEM) == 1
    assert set(
        IsolationFollowUp.objects.filter(date=today() - DAY).values_list("episode_id", flat=True)
    ) == {stays.pk}
    assert not later.follow_ups.exclude(date=today()).exists()
    # A released person's follow-up still due today went with the release.
    assert not gone.follow_ups.exists()
    assert TALLY.matches_recount()


def test_only_the_actors_area_is_generated(epi: Epi) -> None:
    mine = start(epi, days_ago=1)
    theirs = actions.start_isolation(
        actor=epi.r.sibling,
        person_id=epi.r.sibling_person.pk,
        kind="home",
        reason="risk_arrival",
        start_date=today() - DAY,
    )
    assert actions.generate_follow_ups(today() - DAY, actor=epi.r.worker) == 1
    assert mine.follow_ups.count() == 2 and theirs.follow_ups.count() == 1
    with pytest.raises(PermissionDenied):
        actions.generate_follow_ups(actor=epi.r.leader)


def test_a_normal_follow_up(epi: Epi) -> None:
    episode = start(epi)
    done = record(epi, episode, today())
    assert (done.status, done.temperature, done.symptoms, done.done_by, done.version) == (
        "done",
        None,
        [],
        epi.r.worker,
        2,
    )
    assert figures(today())["follow_ups:done"] == 1
    assert not Message.objects.filter(topic__startswith="epidemic:isolation").exists()
    before = epidemic_state()
    with pytest.raises(Conflict):
        record(epi, episode, today())  # already done
    assert epidemic_state() == before


def test_an_abnormal_follow_up_alerts_the_community(epi: Epi) -> None:
    episode = start(epi)
    done = record(epi, episode, today(), temperature="38.2", symptoms=["cough"], note="咳嗽")
    assert (done.temperature, done.symptoms) == (Decimal("38.2"), ["cough"])
    alerts = Message.objects.filter(topic=f"epidemic:isolation:{episode.pk}:{today()}")
    # The community's staff hear; the worker who recorded it knows already.
    assert set(alerts.values_list("recipient", flat=True)) == {epi.r.community.pk}
    assert alerts.get().kind == "alert"
    event = AuditEvent.objects.filter(action="epidemic.isolation.follow_up").get()
    assert event.changes["abnormal"] is True


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"temperature": "45"}, "temperature"),
        ({"temperature": "warm"}, "temperature"),
        ({"symptoms": ["hiccups"]}, "symptoms"),
        ({"note": "\x00"}, "note"),
        ({"expected_version": "x"}, "version"),
    ],
)
def test_bad_follow_ups_are_refused(epi: Epi, fields: dict[str, Any], field: str) -> None:
    episode = start(epi)
    before = epidemic_state()
    with pytest.raises(InvalidInput) as refused:
        record(epi, episode, today(), **fields)
    assert set(refused.value.details["fields"]) == {field}
    assert epidemic_state() == before


def test_a_stale_follow_up_is_a_conflict(epi: Epi) -> None:
    episode = start(epi)
    row = follow_up(episode, today())
    actions.record_follow_up(row.pk, actor=epi.r.community, expected_version=row.version)
    with pytest.raises(Conflict):
        actions.record_follow_up(row.pk, actor=epi.r.worker, expected_version=row.version)


def test_who_may_record_a_follow_up(epi: Epi) -> None:
    episode = start(epi)
    row = follow_up(episode, today())
    before = epidemic_state()
    with pytest.raises(PermissionDenied):
        actions.record_follow_up(row.pk, actor=epi.r.township)  # isolates, does not visit
    with pytest.raises(PermissionDenied):
        actions.record_follow_up(row.pk, actor=epi.r.sibling)  # no follow-ups anywhere
    with pytest.raises(NotFound):
        actions.record_follow_up(row.pk, actor=epi.r.neighbour)  # another community's
    assert epidemic_state() == before


# --- missed follow-ups ---------------------------------------------------------------------


def test_missed_only_after_the_deadline_hour_in_shanghai(epi: Epi) -> None:
    episode = start(epi, days_ago=2)
    day = today() - DAY
    actions.generate_follow_ups(day, actor=SYSTEM)
    before = epidemic_state()
    # 20:00 in Shanghai is 12:00 UTC: at 11:59 UTC the day's follow-ups are still due.
    just_before = dt.datetime(day.year, day.month, day.day, 11, 59, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput) as refused:
        actions.flag_missed_follow_ups(day, actor=SYSTEM, now=just_before)
    assert set(refused.value.details["fields"]) == {"date"}
    assert epidemic_state() == before
    run = actions.flag_missed_follow_ups(day, actor=SYSTEM, now=local(day, 20))
    assert (run.flagged, run.generated) == (1, 0)
    assert follow_up(episode, day).status == "missed"
    assert follow_up(episode, today()).status == "due"
    assert figures(day)["follow_ups:missed"] == 1
    # Flagged again: nothing more.
    assert actions.flag_missed_follow_ups(day, actor=SYSTEM, now=local(day, 21)).flagged == 0
    notes = Message.objects.filter(topic=f"epidemic:isolation:missed:{day}")
    assert set(notes.values_list("recipient", flat=True)) == {epi.r.worker.pk, epi.r.community.pk}
    assert TALLY.matches_recount()


def test_the_deadline_hour_is_the_rules(epi: Epi) -> None:
    start(epi, days_ago=1)
    code_actions.update_settings(actor=epi.command, follow_up_deadline_hour=23)
    day = today() - DAY
    with pytest.raises(InvalidInput):
        actions.flag_missed_follow_ups(day, actor=SYSTEM, now=local(day, 22, 59))
    # 23:59 in Shanghai is still that day (15:59 UTC); the deadline has passed.
    late = dt.datetime(day.year, day.month, day.day, 15, 59, tzinfo=dt.UTC)
    assert actions.flag_missed_follow_ups(day, actor=SYSTEM, now=late).flagged == 1


def test_a_day_nobody_generated_is_missed_not_lost(epi: Epi) -> None:
    episode = start(epi, days_ago=3)
    day = today() - 2 * DAY
    run = actions.flag_missed_follow_ups(day, actor=SYSTEM)
    assert (run.generated, run.flagged) == (1, 1)
    assert follow_up(episode, day).status == "missed"
    assert figures(day)["follow_ups:due"] == figures(day)["follow_ups:missed"] == 1


def test_a_missed_follow_up_can_be_recorded_late(epi: Epi) -> None:
    episode = start(epi, days_ago=1)
    day = today() - DAY
    actions.flag_missed_follow_ups(day, actor=SYSTEM)
    late = record(epi, episode, day, temperature="36.6")
    assert late.status == "done"
    assert figures(day)["follow_ups:missed"] == 0
    assert figures(day)["follow_ups:done"] == 1
    event = AuditEvent.objects.filter(action="epidemic.isolation.follow_up").get()
    assert event.changes["late"] is True
    assert TALLY.matches_recount()


# --- release ------------------------------------------------------------------------------


def released_by_rule(epi: Epi) -> set[int]:
    return {e.pk for e in actions.release_by_rule(actor=epi.county)}


@pytest.fixture
def ended(epi: Epi) -> IsolationEpisode:
    """An episode begun 10 days ago whose planned end (7 days) was 3 days ago, with a
    follow-up for every day; none recorded yet."""
    episode = start(epi, days_ago=10, reason="risk_arrival")
    assert episode.planned_end == today() - 3 * DAY
    fill_days(episode)
    return episode


def test_release_by_rule_after_three_normal_follow_ups(epi: Epi, ended: IsolationEpisode) -> None:
    for n in (1, 2):
        record(epi, ended, today() - n * DAY, temperature="36.5")
    assert released_by_rule(epi) == set()  # two are not enough
    record(epi, ended, today() - 3 * DAY)  # normal without a temperature
    assert released_by_rule(epi) == {ended.pk}  # today's, still due, is left out
    ended.refresh_from_db()
    assert (ended.status, ended.release_mode, ended.released_on) == ("released", "rule", today())
    assert not ended.follow_ups.filter(date=today()).exists()  # no longer owed
    assert rollups.current_figures(GRID).get("isolated:home", 0) == 0
    assert figures(today())["isolation:released"] == 1
    assert figures(today()).get("follow_ups:due", 0) == 0
    assert released_by_rule(epi) == set()
    assert TALLY.matches_recount()


@pytest.mark.parametrize(
    "spoil",
    [
        {"temperature": "37.5"},  # at or above the threshold (37.3)
        {"symptoms": ["fatigue"]},
        None,  # missed
    ],
)
def test_an_abnormal_or_missed_day_among_the_last_three_keeps_them(
    epi: Epi, ended: IsolationEpisode, spoil: dict[str, Any] | None
) -> None:
    record(epi, ended, today() - DAY)
    record(epi, ended, today() - 3 * DAY)
    if spoil is None:
        actions.flag_missed_follow_ups(today() - 2 * DAY, actor=SYSTEM)
    else:
        record(epi, ended, today() - 2 * DAY, **spoil)
    assert released_by_rule(epi) == set()
    # Three more normal days (today's counts once done) release them.
    record(epi, ended, today())
    assert released_by_rule(epi) == set()  # still the missed/abnormal one among the last 3


def test_todays_abnormal_follow_up_counts(epi: Epi, ended: IsolationEpisode) -> None:
    for n in (1, 2, 3):
        record(epi, ended, today() - n * DAY)
    record(epi, ended, today(), temperature="38.0")
    assert released_by_rule(epi) == set()


def test_release_by_rule_waits_for_the_planned_end(epi: Epi) -> None:
    episode = start(epi, days_ago=5)  # 14 days
    fill_days(episode)
    for n in (1, 2, 3, 4):
        record(epi, episode, today() - n * DAY)
    assert released_by_rule(epi) == set()
    actions.extend_isolation(
        episode.pk, actor=epi.r.community, planned_end=today(), note="复核后缩短"
    )
    assert released_by_rule(epi) == {episode.pk}


def test_release_by_rule_stays_in_the_actors_area(epi: Epi, ended: IsolationEpisode) -> None:
    for n in (1, 2, 3):
        record(epi, ended, today() - n * DAY)
    assert actions.release_by_rule(actor=epi.other_county) == []
    with pytest.raises(NotFound):
        actions.release_by_rule(actor=epi.other_county, code=GRID)
    with pytest.raises(PermissionDenied):
        actions.release_by_rule(actor=epi.r.worker)
    assert actions.release_by_rule(actor=epi.r.community, code=GRID)[0].pk == ended.pk


def test_release_by_decision(epi: Epi) -> None:
    episode = start(epi, days_ago=2)
    fill_days(episode)
    before = epidemic_state()
    with pytest.raises(InvalidInput) as refused:
        actions.release_isolation(episode.pk, actor=epi.r.community, note="  ")
    assert set(refused.value.details["fields"]) == {"note"}
    with pytest.raises(Conflict):
        actions.release_isolation(
            episode.pk, actor=epi.r.community, note="x", expected_version=episode.version + 1
        )
    with pytest.raises(PermissionDenied):
        actions.release_isolation(episode.pk, actor=epi.r.worker, note="x")
    with pytest.raises(NotFound):
        actions.release_isolation(episode.pk, actor=epi.r.sibling, note="x")
    assert epidemic_state() == before
    done = actions.release_isolation(
        episode.pk, actor=epi.r.community, note="核酸阴性，卫健委同意", expected_version=1
    )
    assert (done.status, done.release_mode, done.released_by, done.version) == (
        "released",
        "decision",
        epi.r.community,
        2,
    )
    # The days before stay as they were (due: they were never done); today's went.
    assert list(done.follow_ups.order_by("date").values_list("date", flat=True)) == [
        today() - 2 * DAY,
        today() - DAY,
    ]
    with pytest.raises(Conflict):
        actions.release_isolation(episode.pk, actor=epi.r.community, note="again")
    with pytest.raises(Conflict):  # its follow-ups are closed
        record(epi, done, today() - DAY)
    assert TALLY.matches_recount()


def test_changing_the_planned_end(epi: Epi) -> None:
    episode = start(epi, days_ago=2)
    later = episode.planned_end + 7 * DAY
    before = epidemic_state()
    for fields, field in (
        ({"planned_end": later, "note": ""}, "note"),
        ({"planned_end": episode.planned_end, "note": "x"}, "planned_end"),
        ({"planned_end": today() - DAY, "note": "x"}, "planned_end"),
        ({"planned_end": None, "note": "x"}, "planned_end"),
    ):
        with pytest.raises(InvalidInput) as refused:
            actions.extend_isolation(episode.pk, actor=epi.r.community, **fields)
        assert set(refused.value.details["fields"]) == {field}
    with pytest.raises(Conflict):
        actions.extend_isolation(
            episode.pk, actor=epi.r.community, planned_end=later, note="x", expected_version=9
        )
    assert epidemic_state() == before
    changed = actions.extend_isolation(
        episode.pk, actor=epi.r.community, planned_end=later, note="同住人确诊", expected_version=1
    )
    assert (changed.planned_end, changed.version) == (later, 2)
    event = AuditEvent.objects.filter(action="epidemic.isolation.extend").get()
    assert event.changes["planned_end"] == [str(later - 7 * DAY), str(later)]


# --- roll-ups -----------------------------------------------------------------------------


def test_rollups_equal_a_recount_after_mixed_traffic(epi: Epi) -> None:
    a = start(epi, days_ago=9, reason="risk_arrival")
    b = start(epi, person=epi.spouse, days_ago=4, kind="centralised", place="南阳宾馆")
    c = start(epi, person=epi.r.elder, days_ago=1)
    for episode in (a, b, c):
        fill_days(episode)
    for n in (1, 2, 3):
        record(epi, a, today() - n * DAY, temperature="36.4")
    record(epi, b, today() - 4 * DAY, temperature="38.4")
    actions.flag_missed_follow_ups(today() - 3 * DAY, actor=SYSTEM)
    record(epi, b, today() - 3 * DAY)  # late
    actions.flag_missed_follow_ups(today() - DAY, actor=SYSTEM)
    actions.release_by_rule(actor=SYSTEM)
    actions.release_isolation(c.pk, actor=epi.county, note="误报")
    actions.extend_isolation(b.pk, actor=epi.county, planned_end=today() + 20 * DAY, note="延长")
    declaration_actions.record_declaration(
        actor=epi.r.worker, person_id=epi.spouse.pk, client_key=key(), temperature="36.5"
    )
    assert IsolationEpisode.objects.filter(status="active").count() == 1
    assert rollups.current_figures(GRID)["isolated:centralised"] == 1
    assert TALLY.matches_recount()
    rollups.recount()
    assert TALLY.matches_recount()
    assert rollups.current_figures(GRID)["isolated:centralised"] == 1
