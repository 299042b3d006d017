"""Notice pages end to end — drafting with the target picker and its recipients count,
sending, the notice's reach and deliveries, the grid worker's door-to-door round on a
phone (one tap with htmx) — and every list answering within a fixed number of queries
whatever the number of rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.epidemic.actions import notices as actions
from gridgov.epidemic.models import Notice, NoticeDelivery, NoticeStatus
from gridgov.epidemic.queries import notices as queries
from gridgov.epidemic.tallies.notices import TALLY
from gridgov.epidemic.tests.fixtures import Epi
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID
from gridgov.registry.tests.web_fixtures import client_for as logged_in

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Any:
    """A client asking for English pages (the messages tests read)."""
    client = logged_in(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


TOWNSHIP = "411302001"


def form(**extra: str) -> dict[str, str]:
    return {
        "title": "关于独居老人冬季防疫的提示",
        "body": "请网格员每日电话问候，无电话的上门告知。",
        "audience": "both",
        "t-TOTAL_FORMS": "2",
        "t-INITIAL_FORMS": "0",
        "t-0-code": COMMUNITY,
        "t-0-care_kind": "",
        "t-1-code": TOWNSHIP,
        "t-1-care_kind": "disabled",
        **extra,
    }


def test_drafting_counting_and_sending_from_the_pages(epi: Epi) -> None:
    township = client_for(epi.r.township)
    blank = township.get("/epidemic/notices/new/")
    assert blank.status_code == 200
    assert f'value="{TOWNSHIP}"' in blank.content.decode()  # the first target: the area
    # Count first: nothing saved, the counts shown: 4 residents of 河街 (the disabled elder
    # among them once) and the township's field staff but the sender (care groups narrow
    # residents, not the staff who deliver).
    counted = township.post("/epidemic/notices/new/", form(preview="1"))
    assert counted.status_code == 200 and not Notice.objects.exists()
    preview = counted.context["preview"]
    assert (preview.residents, preview.with_phone, preview.door, preview.staff) == (4, 1, 3, 3)
    # A target outside the area is named on the page.
    wrong = township.post("/epidemic/notices/new/", form(**{"t-1-code": "411302002"}))
    assert wrong.status_code == 422 and "target 2" in wrong.content.decode()
    saved = township.post("/epidemic/notices/new/", form())
    notice = Notice.objects.get()
    assert saved["Location"] == f"/epidemic/notices/{notice.pk}/"
    detail = township.get(saved["Location"]).content.decode()
    assert "Send this notice to 7 recipients now?" in detail
    stale = township.post(f"/epidemic/notices/{notice.pk}/send/", {"version": "0"})
    assert stale.status_code == 409 and not NoticeDelivery.objects.exists()
    sent = township.post(f"/epidemic/notices/{notice.pk}/send/", {"version": "1"})
    assert sent.status_code == 302
    assert Notice.objects.get().status == NoticeStatus.SENT
    page = township.get(f"/epidemic/notices/{notice.pk}/")
    assert page.context["reach"].node.recipients == 7
    shown = page.content.decode()
    # The areas by name and code, their figures and the share reached.
    assert "Reach in 东关街道" in shown and "河街社区" in shown and f"?code={COMMUNITY}" in shown
    assert "0 / 6" in shown  # 河街: 4 residents and 2 staff, none reached yet
    drill = township.get(f"/epidemic/notices/{notice.pk}/?code={COMMUNITY}")
    assert {row.code: row.recipients for row in drill.context["reach"].children}[GRID] == 4
    assert township.get(f"/epidemic/notices/{notice.pk}/edit/").status_code == 302  # sent


def test_changing_a_draft_keeps_its_targets_and_checks_the_version(epi: Epi) -> None:
    notice = actions.create_notice(
        actor=epi.r.township, title="旧", body="旧", audience="staff", targets=[{"code": GRID}]
    )
    township = client_for(epi.r.township)
    shown = township.get(f"/epidemic/notices/{notice.pk}/edit/").content.decode()
    assert f'value="{GRID}"' in shown
    changed = township.post(
        f"/epidemic/notices/{notice.pk}/edit/", form(version="1", **{"t-1-code": ""})
    )
    assert changed.status_code == 302
    notice.refresh_from_db()
    assert notice.title.startswith("关于") and notice.version == 2
    assert list(notice.targets.values_list("code", flat=True)) == [COMMUNITY]
    again = township.post(f"/epidemic/notices/{notice.pk}/edit/", form(version="1"))
    assert again.status_code == 409


def test_the_door_round_on_a_phone(epi: Epi) -> None:
    notice = actions.send_notice(
        actions.create_notice(
            actor=epi.r.community,
            title="入户告知",
            body="请留意。",
            audience="residents",
            targets=[{"code": COMMUNITY}],
        ).pk,
        actor=epi.r.community,
    )
    worker = client_for(epi.r.worker)
    page = worker.get("/epidemic/notices/door/")
    text = page.content.decode()
    assert page.status_code == 200 and "河街路12号3号楼" in text  # grouped by building
    elder = NoticeDelivery.objects.get(notice=notice, person=epi.r.elder)
    tap = worker.post(f"/epidemic/notices/door/{elder.pk}/", HTTP_HX_REQUEST="true")
    assert tap.status_code == 200 and "Delivered" in tap.content.decode()
    assert "<html" not in tap.content.decode()  # only the row's button is swapped
    elder.refresh_from_db()
    assert elder.read_at is not None
    # Filtered by notice, then the whole building at once.
    filtered = worker.get(f"/epidemic/notices/door/?notice={notice.pk}")
    assert filtered.context["page"].count == 2
    worker.post(
        "/epidemic/notices/door/building/",
        {"building": epi.r.building.pk, "notice": notice.pk, "back": "/evil/"},
    )
    assert {d.person_id for d in queries.door_list(epi.r.worker)} == {epi.r.migrant.pk}
    assert TALLY.matches_recount()


def test_my_notices_list_what_was_sent_to_me(epi: Epi) -> None:
    actions.send_notice(
        actions.create_notice(
            actor=epi.r.township,
            title="致网格员",
            body="辛苦了。",
            audience="staff",
            targets=[{"code": TOWNSHIP}],
        ).pk,
        actor=epi.r.township,
    )
    worker = client_for(epi.r.worker)
    unread = worker.get("/api/v1/epidemic/notices/mine?unread=true").json()
    assert [n["title"] for n in unread["items"]] == ["致网格员"]
    assert worker.get("/epidemic/notices/mine/").context["page"].count == 1
    worker.get(unread["items"][0]["url"])  # reading it is the receipt
    assert worker.get("/api/v1/epidemic/notices/mine?unread=true").json()["count"] == 0


# --- query counts --------------------------------------------------------------------------


def _many(epi: Epi, n: int) -> Notice:
    notice = None
    for i in range(n):
        notice = actions.send_notice(
            actions.create_notice(
                actor=epi.r.township,
                title=f"通知{i}",
                body="内容",
                audience="both",
                targets=[{"code": COMMUNITY}, {"code": TOWNSHIP, "care_kind": "disabled"}],
            ).pk,
            actor=epi.r.township,
        )
    assert notice is not None
    return notice


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def test_lists_answer_in_a_fixed_number_of_queries(
    epi: Epi, django_assert_max_num_queries: Any
) -> None:
    township, worker = client_for(epi.r.township), client_for(epi.r.worker)
    notice = _many(epi, 2)
    checks = [
        (township, "/epidemic/notices/", 11),
        (township, "/api/v1/epidemic/notices", 11),
        (worker, "/epidemic/notices/mine/", 9),
        (worker, "/api/v1/epidemic/notices/mine", 8),
        (worker, "/epidemic/notices/door/", 10),
        (worker, "/api/v1/epidemic/notices/door", 8),
        (township, "/epidemic/notices/{n}/deliveries/", 10),
        (township, "/api/v1/epidemic/notices/{n}/deliveries", 9),
        (township, "/epidemic/notices/{n}/", 17),
        (township, "/api/v1/epidemic/notices/{n}/reach", 9),
    ]
    few = {url: _queries(client, url.format(n=notice.pk)) for client, url, _budget in checks}
    notice = _many(epi, 12)
    for client, url, budget in checks:
        with django_assert_max_num_queries(budget):
            assert client.get(url.format(n=notice.pk)).status_code == 200, url
        assert _queries(client, url.format(n=notice.pk)) == few[url], url
