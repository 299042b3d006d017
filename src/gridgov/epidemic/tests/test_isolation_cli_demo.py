"""The isolation jobs from the command line (``gridgov epidemic follow-ups | flag-missed |
release-due``), and the demo content: realistic, idempotent, its roll-ups equal a recount."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov import cli
from gridgov.audit.models import AuditEvent
from gridgov.core.system import SYSTEM
from gridgov.epidemic import rules
from gridgov.epidemic.actions import isolation as actions
from gridgov.epidemic.demo import isolation as demo
from gridgov.epidemic.models import IsolationEpisode, IsolationFollowUp
from gridgov.epidemic.tallies.isolation import TALLY
from gridgov.epidemic.tests.fixtures import Epi

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def run(capsys: Any, *args: str) -> tuple[int, str]:
    code = cli.main(["--lang", "en", "epidemic", *args])
    return code, capsys.readouterr().out


def start(epi: Epi, person: Any, days_ago: int, **fields: Any) -> IsolationEpisode:
    values = {"kind": "home", "reason": "risk_arrival"} | fields
    return actions.start_isolation(
        actor=epi.r.community,
        person_id=person.pk,
        start_date=rules.today() - days_ago * DAY,
        **values,
    )


def test_the_jobs(epi: Epi, capsys: Any) -> None:
    ended = start(epi, epi.r.person, days_ago=10)  # planned end 3 days ago
    start(epi, epi.spouse, days_ago=2)
    day = rules.today() - 2 * DAY
    code, out = run(capsys, "follow-ups", "--date", day.isoformat())
    assert code == 0 and f"2 isolation follow-ups created for {day}" in out
    code, out = run(capsys, "follow-ups", "--date", day.isoformat())
    assert "0 isolation follow-ups created" in out
    code, out = run(capsys, "flag-missed", "--date", day.isoformat())
    assert code == 0 and f"{day}: 2 follow-ups missed (0 created first)" in out
    assert IsolationFollowUp.objects.filter(status="missed").count() == 2
    code, out = run(capsys, "flag-missed", "--since", (rules.today() - 4 * DAY).isoformat())
    assert code == 0 and "missed" in out
    for n in (5, 6, 7):  # three normal days before the missed ones
        actions.generate_follow_ups(rules.today() - n * DAY, actor=SYSTEM)
    code, out = run(capsys, "release-due")
    assert "0 people released by the rule." in out  # the latest follow-ups were missed
    actions.extend_isolation(ended.pk, actor=epi.county, planned_end=rules.today(), note="复核")
    for follow_up in ended.follow_ups.filter(status="missed"):
        actions.record_follow_up(follow_up.pk, actor=epi.r.worker)
    code, out = run(capsys, "release-due")
    assert code == 0 and "Released: 王建国" in out and "1 person released by the rule." in out
    assert AuditEvent.objects.filter(channel="cli", action="epidemic.isolation.release").exists()
    code, out = run(capsys, "flag-missed", "--date", (rules.today() + DAY).isoformat())
    assert code == 0 and "No day's follow-up deadline has passed yet." in out
    assert TALLY.matches_recount()


def test_the_demo_is_realistic_and_idempotent(epi: Epi) -> None:
    added = demo.seed("4113", seed=3)
    episodes = IsolationEpisode.objects.filter(grid_code__startswith="4113")
    follow_ups = IsolationFollowUp.objects.filter(grid_code__startswith="4113")
    # Everyone living in the small test city is isolated, with a follow-up for every day.
    assert episodes.count() == 6
    assert added == 6 + follow_ups.count()
    for episode in episodes:
        last = episode.released_on or rules.today()
        days = {f.date for f in episode.follow_ups.all()}
        assert days <= {
            episode.start_date + n * DAY for n in range((last - episode.start_date).days + 1)
        }
    assert not follow_ups.filter(status="due", date__lt=rules.today()).exists()  # missed or done
    assert follow_ups.filter(status="done").exists()
    # The grid worker recorded their own grid's follow-ups.
    assert follow_ups.filter(done_by=epi.r.worker).exists()
    state = (episodes.count(), follow_ups.count(), AuditEvent.objects.count())
    assert demo.seed("4113", seed=3) == 0
    assert (episodes.count(), follow_ups.count(), AuditEvent.objects.count()) == state
    assert TALLY.matches_recount()
