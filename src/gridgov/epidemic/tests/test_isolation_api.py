"""The isolation API, through the real endpoints: starting (201, 409, 422 naming the
field), the list and its filters, one episode with its follow-ups, release and planned end
with version checks, a day's follow-ups (mine by default, generated on first call), recording
one, the missed ones; and the lists' query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.core.system import SYSTEM
from gridgov.epidemic import rules
from gridgov.epidemic.actions import isolation as actions
from gridgov.epidemic.models import IsolationEpisode, IsolationFollowUp
from gridgov.epidemic.tallies.isolation import TALLY
from gridgov.epidemic.tests.fixtures import Epi
from gridgov.registry.tests.core_fixtures import GRID, GRID_2
from gridgov.registry.tests.web_fixtures import client_for

pytestmark = pytest.mark.django_db

BASE = "/api/v1/epidemic/isolation"
DAY = dt.timedelta(days=1)


def today() -> dt.date:
    return rules.today()


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def start_body(person: Any, **fields: Any) -> dict[str, Any]:
    return {"person_id": person.pk, "kind": "home", "reason": "close_contact"} | fields


def test_start_get_and_list(epi: Epi) -> None:
    client = client_for(epi.r.community)
    response = post(client, f"{BASE}/episodes", start_body(epi.r.person, note="密接"))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["day"], body["kind_label"]) == ("active", 1, "Home isolation")
    assert body["start_date"] == today().isoformat()
    assert body["planned_end"] == (today() + 14 * DAY).isoformat()
    assert body["assignee_id"] == epi.r.worker.pk
    assert [f["status"] for f in body["follow_ups"]] == ["due"]
    assert body["ready_for_release"] is False
    again = post(client, f"{BASE}/episodes", start_body(epi.r.person))
    assert again.status_code == 409
    assert again.json()["details"]["episode_id"] == body["id"]
    bad = post(client, f"{BASE}/episodes", start_body(epi.spouse, kind="centralised"))
    assert bad.status_code == 422
    assert set(bad.json()["details"]["fields"]) == {"place"}
    post(client, f"{BASE}/episodes", start_body(epi.spouse, kind="centralised", place="宾馆"))
    listed = client.get(f"{BASE}/episodes?kind=centralised").json()
    assert [e["person_name"] for e in listed["items"]] == ["张丽"]
    assert client.get(f"{BASE}/episodes?q=王").json()["count"] == 1
    assert client.get(f"{BASE}/episodes?person_id={epi.spouse.pk}").json()["count"] == 1
    assert client.get(f"{BASE}/episodes?code={GRID_2}").json()["count"] == 0
    assert client.get(f"{BASE}/episodes?kind=hotel").status_code == 422
    one = client.get(f"{BASE}/episodes/{body['id']}").json()
    assert one["person_name"] == "王建国" and one["version"] == 1


def test_release_and_extend_with_version_checks(epi: Epi) -> None:
    client = client_for(epi.r.community)
    episode = post(client, f"{BASE}/episodes", start_body(epi.r.person)).json()
    url = f"{BASE}/episodes/{episode['id']}"
    later = (today() + 20 * DAY).isoformat()
    assert (
        post(client, f"{url}/extend", {"planned_end": later, "note": "x", "version": 5}).status_code
        == 409
    )
    extended = post(client, f"{url}/extend", {"planned_end": later, "note": "延长", "version": 1})
    assert extended.status_code == 200 and extended.json()["planned_end"] == later
    assert post(client, f"{url}/release", {"note": "阴性", "version": 1}).status_code == 409
    missing_note = post(client, f"{url}/release", {"note": "", "version": 2})
    assert missing_note.status_code == 422
    released = post(client, f"{url}/release", {"note": "阴性", "version": 2}).json()
    assert (released["status"], released["release_mode"], released["follow_ups"]) == (
        "released",
        "decision",
        [],
    )
    assert post(client, f"{url}/release", {"note": "again"}).status_code == 409


def test_follow_ups_mine_by_default_and_recorded(epi: Epi) -> None:
    community = client_for(epi.r.community)
    post(community, f"{BASE}/episodes", start_body(epi.r.person))
    post(community, f"{BASE}/episodes", start_body(epi.r.migrant))  # in GRID_2
    worker = client_for(epi.r.worker)
    mine = worker.get(f"{BASE}/follow-ups").json()
    assert [f["person_name"] for f in mine["items"]] == ["王建国"]
    assert mine["items"][0]["day"] == 1 and mine["items"][0]["address"]
    assert worker.get(f"{BASE}/follow-ups?mine=false").json()["count"] == 2
    assert worker.get(f"{BASE}/follow-ups?code={GRID_2}").json()["count"] == 1
    assert community.get(f"{BASE}/follow-ups").json()["count"] == 2
    row = mine["items"][0]
    recorded = post(
        worker,
        f"{BASE}/follow-ups/{row['id']}",
        {"temperature": 37.8, "symptoms": ["cough"], "version": row["version"]},
    )
    assert recorded.status_code == 200
    assert (recorded.json()["status"], recorded.json()["abnormal"]) == ("done", True)
    again = post(worker, f"{BASE}/follow-ups/{row['id']}", {})
    assert again.status_code == 409
    assert worker.get(f"{BASE}/follow-ups?status=due&mine=false").json()["count"] == 1
    bad = post(worker, f"{BASE}/follow-ups/{row['id'] + 1}", {"temperature": 50})
    assert bad.status_code == 422
    detail = community.get(f"{BASE}/episodes/{row['episode_id']}").json()
    assert detail["follow_ups"][0]["temperature"] == "37.8"


def test_the_days_follow_ups_are_made_on_the_first_call(epi: Epi) -> None:
    actions.start_isolation(
        actor=epi.r.community,
        person_id=epi.r.person.pk,
        kind="home",
        reason="risk_arrival",
        start_date=today() - DAY,
    )
    IsolationFollowUp.objects.filter(date=today()).delete()
    TALLY.rebuild()
    assert client_for(epi.r.worker).get(f"{BASE}/follow-ups").json()["count"] == 1
    assert IsolationFollowUp.objects.filter(date=today()).count() == 1
    # Another day is read as it is: only today's list is made on demand.
    assert (
        client_for(epi.r.worker).get(f"{BASE}/follow-ups?date={today() - DAY}").json()["count"] == 0
    )
    assert TALLY.matches_recount()


def test_missed_follow_ups(epi: Epi) -> None:
    actions.start_isolation(
        actor=epi.r.community,
        person_id=epi.r.person.pk,
        kind="home",
        reason="risk_arrival",
        start_date=today() - 2 * DAY,
    )
    for n in (2, 1):
        actions.flag_missed_follow_ups(today() - n * DAY, actor=SYSTEM)
    township = client_for(epi.r.township)
    missed = township.get(f"{BASE}/follow-ups/missed").json()
    assert [f["date"] for f in missed["items"]] == [
        (today() - DAY).isoformat(),
        (today() - 2 * DAY).isoformat(),
    ]
    since = township.get(f"{BASE}/follow-ups/missed?since={today() - DAY}").json()
    assert since["count"] == 1
    assert township.get(f"{BASE}/follow-ups/missed?q=张").json()["count"] == 0


def _many(epi: Epi, n: int) -> None:
    from gridgov.registry import actions as registry_actions

    for i in range(n):
        person = registry_actions.create_person(
            actor=epi.r.worker, name=f"隔离{i}", sex="F", grid_code=GRID, address=f"河街路{i}号"
        )
        actions.start_isolation(
            actor=epi.r.community,
            person_id=person.pk,
            kind="home",
            reason="risk_arrival",
            start_date=today() - DAY,
        )
    actions.flag_missed_follow_ups(today() - DAY, actor=SYSTEM)


@pytest.mark.parametrize("n", [3, 30])
def test_lists_answer_in_a_fixed_number_of_queries(
    epi: Epi, n: int, django_assert_max_num_queries: Any
) -> None:
    _many(epi, n)
    episode = IsolationEpisode.objects.first()
    worker, community = client_for(epi.r.worker), client_for(epi.r.community)
    checks = [
        (community, f"{BASE}/episodes?page_size=100", 8),
        (community, f"{BASE}/episodes/{episode.pk}", 9),
        (worker, f"{BASE}/follow-ups?page_size=100", 11),
        (community, f"{BASE}/follow-ups/missed?page_size=100", 9),
    ]
    for client, url, budget in checks:
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200, url
