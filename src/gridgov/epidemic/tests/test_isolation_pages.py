"""Isolation pages, through the real views: the list with its counts and filters, starting
an isolation by finding the person, the episode page (timeline, chart, release, planned
end), the grid worker's round (generated on first view, one tap for normal, a form for the
rest), missed follow-ups, releasing those due; and their query counts."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from gridgov.core.system import SYSTEM
from gridgov.epidemic import rules
from gridgov.epidemic.actions import isolation as actions
from gridgov.epidemic.models import IsolationEpisode, IsolationFollowUp
from gridgov.epidemic.tallies.isolation import TALLY
from gridgov.epidemic.tests.fixtures import Epi, epidemic_state
from gridgov.registry.tests.web_fixtures import ID_NUMBER
from gridgov.registry.tests.web_fixtures import client_for as logged_in

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
HTMX = {"HTTP_HX_REQUEST": "true"}


def today() -> dt.date:
    return rules.today()


def start(epi: Epi, person: Any = None, days_ago: int = 0, **fields: Any) -> IsolationEpisode:
    values = {"kind": "home", "reason": "close_contact"} | fields
    return actions.start_isolation(
        actor=epi.r.community,
        person_id=(person or epi.r.person).pk,
        start_date=today() - days_ago * DAY,
        **values,
    )


def client_for(user: Any) -> Any:
    """A logged-in client reading the pages in English."""
    client = logged_in(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def text(response: Any) -> str:
    return response.content.decode()


def todays(episode: IsolationEpisode) -> IsolationFollowUp:
    return episode.follow_ups.get(date=today())


def test_the_navigation_entry_leads_workers_to_their_round(epi: Epi) -> None:
    assert (
        client_for(epi.r.worker).get("/epidemic/isolation/").url
        == "/epidemic/isolation/follow-ups/"
    )
    assert (
        client_for(epi.r.community).get("/epidemic/isolation/").url
        == "/epidemic/isolation/episodes/"
    )


def test_list_counts_filters_and_defaults_to_people_in_isolation(epi: Epi) -> None:
    start(epi)
    start(epi, person=epi.spouse, kind="centralised", place="南阳宾馆", reason="risk_arrival")
    gone = start(epi, person=epi.r.elder)
    actions.release_isolation(gone.pk, actor=epi.r.community, note="解除")
    client = client_for(epi.r.township)
    page = text(client.get("/epidemic/isolation/episodes/"))
    assert "王建国" in page and "张丽" in page and "李秀英" not in page
    assert re.search(r"Home isolation</dt><dd>1<", page)
    assert re.search(r"Centralised isolation</dt><dd>1<", page)
    assert "李秀英" in text(client.get("/epidemic/isolation/episodes/?status="))
    only = text(client.get("/epidemic/isolation/episodes/?status=released"))
    assert "李秀英" in only and "王建国" not in only
    kind = text(client.get("/epidemic/isolation/episodes/?kind=centralised"))
    assert "张丽" in kind and "王建国" not in kind
    assert "王建国" not in text(client.get("/epidemic/isolation/episodes/?q=张"))
    assert "张丽" not in text(client.get("/epidemic/isolation/episodes/?reason=close_contact"))
    # Paging keeps the default (people in isolation now).
    assert "李秀英" not in text(client.get("/epidemic/isolation/episodes/?page=1"))


def test_the_due_list_shows_who_meets_the_rule_and_releases_them(epi: Epi) -> None:
    episode = start(epi, days_ago=10, reason="risk_arrival")
    for n in range(10, 0, -1):
        actions.generate_follow_ups(today() - n * DAY, actor=SYSTEM)
    for n in (1, 2, 3):
        actions.record_follow_up(
            episode.follow_ups.get(date=today() - n * DAY).pk, actor=epi.r.worker
        )
    client = client_for(epi.r.community)
    page = text(client.get("/epidemic/isolation/episodes/?due=on"))
    assert "Meets the release rule" in page and "Release those who meet the rule" in page
    response = client.post("/epidemic/isolation/episodes/release-due/", {"code": ""})
    assert response.status_code == 302
    episode.refresh_from_db()
    assert (episode.status, episode.release_mode) == ("released", "rule")
    assert (
        client_for(epi.r.worker).post("/epidemic/isolation/episodes/release-due/").status_code
        == 403
    )


def test_starting_an_isolation_by_finding_the_person(epi: Epi) -> None:
    client = client_for(epi.r.community)
    found = text(client.get("/epidemic/isolation/episodes/new/?q=王建"))
    assert f'href="?person={epi.r.person.pk}"' in found
    by_number = text(client.get(f"/epidemic/isolation/episodes/new/?q={ID_NUMBER}"))
    assert f'href="?person={epi.r.person.pk}"' in by_number
    # Someone of another township is not found.
    other = text(client.get("/epidemic/isolation/episodes/new/?q=孙邻居"))
    assert f"?person={epi.r.sibling_person.pk}" not in other and "Nobody you may isolate" in other
    form = client.get(f"/epidemic/isolation/episodes/new/?person={epi.r.person.pk}")
    assert form.status_code == 200 and 'name="planned_end"' in text(form)
    response = client.post(
        "/epidemic/isolation/episodes/new/",
        {
            "person_id": epi.r.person.pk,
            "kind": "centralised",
            "reason": "close_contact",
            "place": "",
            "start_date": today().isoformat(),
        },
    )
    assert response.status_code == 422
    assert "isolation site" in text(response)
    response = client.post(
        "/epidemic/isolation/episodes/new/",
        {
            "person_id": epi.r.person.pk,
            "kind": "centralised",
            "reason": "close_contact",
            "place": "南阳宾馆 305",
            "start_date": today().isoformat(),
        },
    )
    episode = IsolationEpisode.objects.get()
    assert response.url == f"/epidemic/isolation/episodes/{episode.pk}/"
    assert (episode.place, episode.planned_end) == ("南阳宾馆 305", today() + 14 * DAY)
    again = client.post(
        "/epidemic/isolation/episodes/new/",
        {
            "person_id": epi.r.person.pk,
            "kind": "home",
            "reason": "close_contact",
            "start_date": today().isoformat(),
        },
    )
    assert again.status_code == 409 and "already in isolation" in text(again)
    person_of_another_area = client.get(
        f"/epidemic/isolation/episodes/new/?person={epi.r.sibling_person.pk}"
    )
    assert person_of_another_area.status_code == 404


def test_the_episode_page(epi: Epi) -> None:
    episode = start(epi, days_ago=2)
    for n in (2, 1):
        actions.generate_follow_ups(today() - n * DAY, actor=SYSTEM)
    actions.record_follow_up(
        episode.follow_ups.get(date=today() - 2 * DAY).pk, actor=epi.r.worker, temperature="38.1"
    )
    client = client_for(epi.r.community)
    page = text(client.get(f"/epidemic/isolation/episodes/{episode.pk}/"))
    chart = json.loads(re.search(r'id="iso-chart-data"[^>]*>(.*?)</script>', page).group(1))
    assert chart["temperatures"] == [38.1, None, None]
    assert chart["threshold"] == 37.3
    assert "day 3 of isolation" in page
    assert "Release by decision" in page and "Change the planned end" in page
    # A grid worker sees it, without the forms.
    worker_page = text(client_for(epi.r.worker).get(f"/epidemic/isolation/episodes/{episode.pk}/"))
    assert "Release by decision" not in worker_page


def test_release_and_planned_end_from_the_episode_page(epi: Epi) -> None:
    episode = start(epi)
    client = client_for(epi.r.community)
    url = f"/epidemic/isolation/episodes/{episode.pk}"
    refused = client.post(f"{url}/extend/", {"planned_end": today().isoformat(), "note": ""})
    assert refused.status_code == 422
    stale = client.post(
        f"{url}/extend/",
        {"planned_end": (today() + 20 * DAY).isoformat(), "note": "延长", "version": "7"},
    )
    assert stale.status_code == 409 and "Someone else changed this first" in text(stale)
    done = client.post(
        f"{url}/extend/",
        {"planned_end": (today() + 20 * DAY).isoformat(), "note": "延长", "version": "1"},
    )
    assert done.status_code == 302
    assert client.post(f"{url}/release/", {"note": "", "version": "2"}).status_code == 422
    assert client.post(f"{url}/release/", {"note": "阴性", "version": "2"}).status_code == 302
    episode.refresh_from_db()
    assert (episode.status, episode.planned_end) == ("released", today() + 20 * DAY)
    assert client.post(f"{url}/release/", {"note": "again"}).status_code == 409


def test_the_round_is_generated_on_first_view(epi: Epi) -> None:
    episode = start(epi, days_ago=1)
    # A new day dawned and cron did not run: today's row is not there yet.
    IsolationFollowUp.objects.filter(date=today()).delete()
    TALLY.rebuild()
    client = client_for(epi.r.worker)
    page = text(client.get("/epidemic/isolation/follow-ups/"))
    assert "王建国" in page
    assert episode.follow_ups.filter(date=today()).count() == 1
    before = epidemic_state()
    client.get("/epidemic/isolation/follow-ups/")
    assert epidemic_state() == before  # the second view adds nothing
    assert TALLY.matches_recount()


def test_one_tap_normal_and_the_abnormal_form(epi: Epi) -> None:
    first = start(epi)
    second = start(epi, person=epi.spouse)
    client = client_for(epi.r.worker)
    row = todays(first)
    url = f"/epidemic/isolation/follow-ups/{row.pk}/"
    swapped = client.post(url, {f"f{row.pk}-version": "1"}, **HTMX)
    assert swapped.status_code == 200
    assert f'id="follow-up-{row.pk}"' in text(swapped) and ">Normal<" in text(swapped)
    assert todays(first).status == "done"
    assert client.post(url, {f"f{row.pk}-version": "1"}, **HTMX).status_code == 409
    other = todays(second)
    url = f"/epidemic/isolation/follow-ups/{other.pk}/"
    refused = client.post(url, {f"f{other.pk}-temperature": "50"}, **HTMX)
    assert refused.status_code == 422 and "<details" in text(refused) and " open" in text(refused)
    assert todays(second).status == "due"
    done = client.post(
        url, {f"f{other.pk}-temperature": "38.3", f"f{other.pk}-symptoms": ["cough"]}
    )
    assert done.status_code == 302 and done.url.endswith(f"#follow-up-{other.pk}")
    assert (todays(second).temperature, todays(second).symptoms) == (
        todays(second).temperature,
        ["cough"],
    )
    page = text(client.get("/epidemic/isolation/follow-ups/"))
    assert "Abnormal" in page and "38.3 °C" in page


def test_community_staff_see_the_whole_community(epi: Epi) -> None:
    start(epi)
    start(epi, person=epi.r.migrant)  # in the community's second grid
    staff = text(client_for(epi.r.community).get("/epidemic/isolation/follow-ups/"))
    assert "王建国" in staff and "赵流动" in staff
    worker = text(client_for(epi.r.worker).get("/epidemic/isolation/follow-ups/"))
    assert "王建国" in worker and "赵流动" not in worker  # not on the worker's own list
    area = text(client_for(epi.r.worker).get("/epidemic/isolation/follow-ups/?code=411302001001"))
    assert "赵流动" in area


def test_the_missed_page(epi: Epi) -> None:
    episode = start(epi, days_ago=2)
    actions.flag_missed_follow_ups(today() - 2 * DAY, actor=SYSTEM)
    page = text(client_for(epi.r.township).get("/epidemic/isolation/missed/"))
    assert "王建国" in page and f"/epidemic/isolation/episodes/{episode.pk}/" in page
    old = (today() - DAY).isoformat()
    assert "王建国" not in text(
        client_for(epi.r.township).get(f"/epidemic/isolation/missed/?since={old}")
    )


def _many(epi: Epi, n: int) -> None:
    """``n`` people of the grid in isolation, each with a missed day and today's due."""
    from gridgov.registry import actions as registry_actions

    for i in range(n):
        person = registry_actions.create_person(
            actor=epi.r.worker,
            name=f"隔离{i}",
            sex="M",
            grid_code=epi.r.person.grid_code,
            address=f"河街路{i}号",
        )
        start(epi, person=person, days_ago=1, kind="home" if i % 2 else "centralised", place="宾馆")
    actions.flag_missed_follow_ups(today() - DAY, actor=SYSTEM)


@pytest.mark.parametrize("n", [3, 25])
def test_pages_answer_in_a_fixed_number_of_queries(
    epi: Epi, n: int, django_assert_max_num_queries: Any
) -> None:
    _many(epi, n)
    episode = IsolationEpisode.objects.first()
    worker, community = client_for(epi.r.worker), client_for(epi.r.community)
    checks = [
        (community, "/epidemic/isolation/episodes/", 12),
        (community, "/epidemic/isolation/episodes/?due=on&status=", 12),
        (community, f"/epidemic/isolation/episodes/{episode.pk}/", 14),
        (worker, "/epidemic/isolation/follow-ups/", 13),
        (community, "/epidemic/isolation/missed/", 10),
        (community, "/epidemic/isolation/episodes/new/?q=隔离", 10),
    ]
    for client, url, budget in checks:
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200, url
