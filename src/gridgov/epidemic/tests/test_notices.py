"""Notices: targeting (node and care group, a union without repeats, only living
residents), staff inbox delivery and its read receipts, residents' links, door-to-door
marking, reach per area kept equal to a recount, withdrawal, version checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic import rollups
from gridgov.epidemic.actions import notices as actions
from gridgov.epidemic.models import DeliveryChannel, Notice, NoticeDelivery, NoticeStatus
from gridgov.epidemic.queries import notices as queries
from gridgov.epidemic.tallies.notices import TALLY
from gridgov.epidemic.tests.fixtures import Epi
from gridgov.inbox.models import Message
from gridgov.registry import actions as registry_actions
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID, NEIGHBOUR_COMMUNITY
from gridgov.registry.tests.web_fixtures import client_for as logged_in

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Any:
    """A client asking for English pages (the messages tests read)."""
    client = logged_in(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


TOWNSHIP = "411302001"
COUNTY = "411302"


def draft(actor: Any, targets: list[dict[str, str]], audience: str = "both", **kw: Any) -> Notice:
    return actions.create_notice(
        actor=actor,
        title=kw.pop("title", "关于开展全员核酸检测的通知"),
        body=kw.pop("body", "请居民于明日上午八点到社区广场检测。\n请佩戴口罩，保持一米间距。"),
        audience=audience,
        targets=targets,
        **kw,
    )


def sent(actor: Any, targets: list[dict[str, str]], audience: str = "both", **kw: Any) -> Notice:
    notice = draft(actor, targets, audience, **kw)
    return actions.send_notice(notice.pk, actor=actor)


def figures(code: str, notice: Notice) -> dict[str, int]:
    prefix = f"notice:{notice.pk}:"
    return {
        m[len(prefix) :]: n
        for m, n in rollups.current_figures(code).items()
        if m.startswith(prefix) and n
    }


def by_person(notice: Notice) -> dict[int, NoticeDelivery]:
    rows = NoticeDelivery.objects.filter(notice=notice, person__isnull=False)
    return {d.person_id: d for d in rows if d.person_id is not None}


# --- targeting ----------------------------------------------------------------------------


def test_targets_are_a_union_of_living_residents_each_once(epi: Epi) -> None:
    r = epi.r
    registry_actions.record_status(
        r.migrant.pk, actor=r.worker, status="moved_out", date=dt.date.today()
    )
    registry_actions.record_status(
        epi.spouse.pk, actor=r.worker, status="deceased", date=dt.date.today()
    )
    # The elder (disabled, in COMMUNITY) is under both targets; the neighbour's resident
    # (another community of the township, no tag) under neither.
    targets = [{"code": COMMUNITY}, {"code": TOWNSHIP, "care_kind": "disabled"}]
    notice = draft(r.township, targets, audience="residents")
    preview = queries.preview_for(r.township, notice)
    assert (preview.residents, preview.with_phone, preview.door, preview.staff) == (2, 1, 1, 0)
    assert [(t.code, t.care_kind, t.residents) for t in preview.targets] == [
        (COMMUNITY, "", 2),
        (TOWNSHIP, "disabled", 1),
    ]
    actions.send_notice(notice.pk, actor=r.township, expected_version=notice.version)
    got = by_person(notice)
    assert set(got) == {r.person.pk, r.elder.pk}
    assert got[r.person.pk].channel == DeliveryChannel.INBOX  # has a phone: reads the link
    assert got[r.elder.pk].channel == DeliveryChannel.DOOR
    assert NoticeDelivery.objects.filter(notice=notice).count() == 2
    assert figures(GRID, notice) == {"recipients": 2, "door_due": 1}
    assert TALLY.matches_recount()


def test_a_care_group_alone_reaches_only_its_members(epi: Epi) -> None:
    r = epi.r
    registry_actions.add_care_tag(r.neighbour_person.pk, actor=r.neighbour, kind="elderly_alone")
    notice = sent(r.township, [{"code": TOWNSHIP, "care_kind": "elderly_alone"}], "residents")
    assert set(by_person(notice)) == {r.neighbour_person.pk}
    assert figures(TOWNSHIP, notice) == {"recipients": 1, "door_due": 1}


def test_targets_outside_the_area_or_unknown_are_refused_by_name(epi: Epi) -> None:
    r = epi.r
    with pytest.raises(InvalidInput) as refused:
        draft(r.community, [{"code": NEIGHBOUR_COMMUNITY}])
    assert "targets" in refused.value.details["fields"]
    with pytest.raises(InvalidInput) as refused:
        draft(r.community, [{"code": COMMUNITY, "care_kind": "vip"}], title="")
    assert set(refused.value.details["fields"]) == {"targets", "title"}
    with pytest.raises(InvalidInput):
        draft(r.community, [{"code": COMMUNITY + "999"}])  # no such grid
    assert not Notice.objects.exists()
    empty = draft(r.community, [])
    with pytest.raises(InvalidInput) as refused:
        actions.send_notice(empty.pk, actor=r.community)
    assert set(refused.value.details["fields"]) == {"targets"}


def test_only_notify_holders_over_the_area_draft_and_send(epi: Epi) -> None:
    r = epi.r
    with pytest.raises(PermissionDenied):
        draft(r.worker, [{"code": GRID}])  # a grid worker does not send notices
    with pytest.raises(NotFound):
        draft(r.sibling, [{"code": COMMUNITY}], region_code=TOWNSHIP)
    notice = draft(r.township, [{"code": COMMUNITY}])
    with pytest.raises(NotFound):
        actions.send_notice(notice.pk, actor=r.sibling)
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.DRAFT


# --- staff --------------------------------------------------------------------------------


def test_staff_get_inbox_messages_and_their_reads_are_receipts(epi: Epi) -> None:
    r = epi.r
    notice = sent(epi.county, [{"code": TOWNSHIP}], audience="staff")
    staff = dict(NoticeDelivery.objects.filter(notice=notice).values_list("user_id", "grid_code"))
    # The grid worker counts at their grid; community and township staff where their
    # role is bound; the sibling township's staff not at all.
    assert staff == {
        r.worker.pk: GRID,
        r.community.pk: COMMUNITY,
        r.township.pk: TOWNSHIP,
        r.neighbour.pk: NEIGHBOUR_COMMUNITY,
    }
    messages = Message.objects.filter(topic=actions.topic(notice.pk))
    assert messages.count() == 4 and {m.kind for m in messages} == {"notice"}
    assert all(
        d.message_id for d in NoticeDelivery.objects.filter(notice=notice)
    )  # each linked to its message

    # The worker opens the message in the inbox, the community staff reads everything,
    # the township staff opens the notice page: three receipts.
    worker_message = messages.get(recipient=r.worker)
    assert client_for(r.worker).get(f"/inbox/{worker_message.pk}/").status_code == 302
    assert client_for(r.community).post("/api/v1/inbox/read-all").json()["marked"] == 1
    assert client_for(r.township).get(f"/epidemic/notices/{notice.pk}/").status_code == 200
    read = dict(
        NoticeDelivery.objects.filter(notice=notice, read_at__isnull=False).values_list(
            "user_id", "grid_code"
        )
    )
    assert set(read) == {r.worker.pk, r.community.pk, r.township.pk}
    assert Message.objects.get(recipient=r.township, topic=actions.topic(notice.pk)).read_at
    assert figures(COUNTY, notice) == {
        "recipients": 4,
        "reached": 3,
        "staff": 4,
        "staff_reached": 3,
    }
    assert TALLY.matches_recount()
    # Opening it again is no second receipt.
    client_for(r.township).get(f"/epidemic/notices/{notice.pk}/")
    assert figures(COUNTY, notice)["reached"] == 3
    assert AuditEvent.objects.filter(action="epidemic.notice.read").count() == 3


def test_the_sender_is_not_among_the_recipients(epi: Epi) -> None:
    notice = sent(epi.r.township, [{"code": TOWNSHIP}], audience="staff")
    assert not NoticeDelivery.objects.filter(notice=notice, user=epi.r.township).exists()


# --- residents: the link ------------------------------------------------------------------


def test_a_residents_link_shows_the_notice_and_nothing_personal(epi: Epi) -> None:
    r = epi.r
    notice = sent(r.community, [{"code": COMMUNITY}], audience="residents")
    mine = by_person(notice)[r.person.pk]
    url = f"/epidemic/n/{queries.link_token(mine.pk)}/"
    page = client_for(None).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert notice.title in text and "请佩戴口罩" in text
    for private in (r.person.name, r.person.phone_masked, r.person.address, "138", GRID):
        assert private not in text
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client_for(None).get(url).status_code == 200  # again: still one receipt
    assert figures(COMMUNITY, notice)["reached"] == 1
    assert TALLY.matches_recount()


def test_bad_tokens_are_refused_alike(epi: Epi) -> None:
    r = epi.r
    notice = sent(r.community, [{"code": COMMUNITY}])
    door = by_person(notice)[r.elder.pk]
    staff = NoticeDelivery.objects.filter(notice=notice, user__isnull=False).first()
    assert staff is not None
    good = queries.link_token(door.pk)
    forged = f"{door.pk}-{'A' * len(good.split('-', 1)[1])}"
    for token in (forged, f"{door.pk + 1}-{good.split('-', 1)[1]}", "abc", "1-", "-", "9" * 30):
        assert client_for(None).get(f"/epidemic/n/{token}/").status_code == 404, token
        response = client_for(None).post(f"/api/v1/epidemic/notices/public/{token}/read")
        assert response.status_code == 404, token
    # A staff delivery has no public link.
    staff_token = queries.link_token(staff.pk)
    assert client_for(None).get(f"/epidemic/n/{staff_token}/").status_code == 404
    assert not NoticeDelivery.objects.filter(notice=notice, read_at__isnull=False).exists()


def test_the_api_receipt_by_token(epi: Epi) -> None:
    r = epi.r
    notice = sent(r.community, [{"code": COMMUNITY}], audience="residents")
    mine = by_person(notice)[r.person.pk]
    answer = client_for(None).post(
        f"/api/v1/epidemic/notices/public/{queries.link_token(mine.pk)}/read"
    )
    assert answer.status_code == 200
    assert answer.json()["title"] == notice.title and answer.json()["withdrawn"] is False
    assert set(answer.json()) == {"title", "body", "issuer", "sent_at", "withdrawn"}
    assert figures(COMMUNITY, notice)["reached"] == 1


# --- door to door -------------------------------------------------------------------------


def test_door_to_door_round_and_marks(epi: Epi) -> None:
    r = epi.r
    notice = sent(r.community, [{"code": COMMUNITY}], audience="residents")
    people = by_person(notice)
    # Without a phone: the spouse (building 3号楼), the elder (河街路14号) and the migrant.
    round_ = list(queries.door_list(r.worker))
    assert {d.person_id for d in round_} == {epi.spouse.pk, r.elder.pk, r.migrant.pk}
    assert r.person.pk not in {d.person_id for d in round_}
    # One tap on the page for the spouse, a building for the rest of 3号楼 (nobody left).
    worker = client_for(r.worker)
    spouse = people[epi.spouse.pk]
    assert worker.post(f"/epidemic/notices/door/{spouse.pk}/").status_code == 302
    answer = worker.post(
        "/epidemic/notices/door/building/", {"building": r.building.pk, "notice": notice.pk}
    )
    assert answer.status_code == 302
    # The elder and the migrant through the API batch, the elder twice.
    batch = worker.post(
        "/api/v1/epidemic/notices/deliveries/door",
        {"ids": [people[r.elder.pk].pk, people[r.migrant.pk].pk]},
        content_type="application/json",
    )
    assert batch.json() == {"marked": 2, "already": 0}
    again = worker.post(
        f"/api/v1/epidemic/notices/deliveries/{people[r.elder.pk].pk}/door",
        content_type="application/json",
    )
    assert again.json() == {"marked": 0, "already": 1}
    spouse.refresh_from_db()
    assert spouse.marked_by_id == r.worker.pk and spouse.delivered_at and spouse.read_at
    assert not queries.door_list(r.worker).exists()
    assert figures(COMMUNITY, notice) == {
        "recipients": 4,
        "door_due": 3,
        "door": 3,
        "reached": 3,
    }
    assert TALLY.matches_recount()


def test_a_phone_owner_is_not_marked_door_to_door(epi: Epi) -> None:
    r = epi.r
    notice = sent(r.community, [{"code": COMMUNITY}], audience="residents")
    with pytest.raises(InvalidInput):
        actions.mark_door_delivered([by_person(notice)[r.person.pk].pk], actor=r.worker)


def test_door_marks_outside_ones_grids_do_not_exist(epi: Epi) -> None:
    r = epi.r
    notice = sent(r.community, [{"code": COMMUNITY}], audience="residents")
    elder = by_person(notice)[r.elder.pk]
    with pytest.raises(NotFound):
        actions.mark_door_delivered([elder.pk], actor=r.neighbour)
    with pytest.raises(PermissionDenied):
        actions.mark_door_delivered([elder.pk], actor=r.township)  # no field work
    elder.refresh_from_db()
    assert elder.read_at is None


# --- withdrawal and versions --------------------------------------------------------------


def test_withdrawing_retires_messages_and_stops_delivery(epi: Epi) -> None:
    r = epi.r
    notice = sent(r.township, [{"code": COMMUNITY}])
    link = queries.link_token(by_person(notice)[r.person.pk].pk)
    elder = by_person(notice)[r.elder.pk]
    actions.mark_door_delivered([by_person(notice)[r.migrant.pk].pk], actor=r.worker)
    before = figures(TOWNSHIP, notice)
    withdrawn = actions.withdraw_notice(notice.pk, actor=r.township, expected_version=2)
    assert withdrawn.status == NoticeStatus.WITHDRAWN and withdrawn.withdrawn_at
    assert not Message.objects.filter(topic=actions.topic(notice.pk), read_at=None).exists()
    # Retired messages are no receipts: only the door delivery counted as reached.
    assert figures(TOWNSHIP, notice) == before
    assert rollups.current_figures(TOWNSHIP).get("notices:recipients", 0) == 0
    assert not queries.door_list(r.worker).exists()
    with pytest.raises(Conflict):
        actions.mark_door_delivered([elder.pk], actor=r.worker)
    page = client_for(None).get(f"/epidemic/n/{link}/").content.decode()
    assert "请佩戴口罩" not in page and "withdrawn" in page
    # Reading the retired message later is no receipt either.
    client_for(r.worker).post("/api/v1/inbox/read-all")
    assert figures(TOWNSHIP, notice) == before
    with pytest.raises(Conflict):
        actions.withdraw_notice(notice.pk, actor=r.township)
    with pytest.raises(Conflict):
        actions.send_notice(notice.pk, actor=r.township)
    assert TALLY.matches_recount()


def test_stale_versions_are_refused_and_change_nothing(epi: Epi) -> None:
    r = epi.r
    notice = draft(r.township, [{"code": COMMUNITY}])
    actions.update_notice(notice.pk, actor=r.township, expected_version=1, title="新标题")
    with pytest.raises(Conflict):
        actions.update_notice(notice.pk, actor=r.township, expected_version=1, title="旧的")
    with pytest.raises(Conflict):
        actions.send_notice(notice.pk, actor=r.township, expected_version=1)
    assert not NoticeDelivery.objects.exists()
    api = client_for(r.township)
    stale = api.post(
        f"/api/v1/epidemic/notices/{notice.pk}/send",
        {"version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    sent_now = api.post(
        f"/api/v1/epidemic/notices/{notice.pk}/send",
        {"version": 2},
        content_type="application/json",
    )
    assert sent_now.status_code == 200 and sent_now.json()["status"] == "sent"
    changed = api.patch(
        f"/api/v1/epidemic/notices/{notice.pk}", {"title": "晚了"}, content_type="application/json"
    )
    assert changed.status_code == 409


# --- reach --------------------------------------------------------------------------------


def test_reach_per_area_rolls_up_and_equals_a_recount(epi: Epi) -> None:
    r = epi.r
    notice = sent(epi.county, [{"code": TOWNSHIP}, {"code": "411302002"}])
    client_for(None).get(f"/epidemic/n/{queries.link_token(by_person(notice)[r.person.pk].pk)}/")
    actions.mark_door_delivered([by_person(notice)[r.elder.pk].pk], actor=r.worker)
    client_for(r.worker).post("/api/v1/inbox/read-all")
    county = queries.reach(epi.county, notice)
    assert county.node.code == COUNTY
    rows = {row.code: (row.recipients, row.reached) for row in county.children}
    # 东关: 5 residents (4 in 河街, 1 in 市场) + 4 staff; 新华: 1 resident + its staff.
    assert rows == {TOWNSHIP: (9, 3), "411302002": (2, 0)}
    assert county.node.recipients == 11 and county.own is None
    township = queries.reach(epi.county, notice, TOWNSHIP)
    assert {row.code: row.recipients for row in township.children} == {
        COMMUNITY: 6,
        NEIGHBOUR_COMMUNITY: 2,
    }
    assert township.own is not None and township.own.staff == 1  # the township's staff
    community = queries.reach(epi.county, notice, COMMUNITY)
    assert sum(row.recipients for row in community.children) == 5
    assert community.own is not None and community.own.staff == 1
    # The grid worker's reach starts at their community and no higher.
    assert queries.reach(r.worker, notice).node.code == COMMUNITY
    with pytest.raises(NotFound):
        queries.reach(r.worker, notice, TOWNSHIP)
    answer = client_for(epi.county).get(f"/api/v1/epidemic/notices/{notice.pk}/reach")
    assert answer.status_code == 200
    assert {c["code"]: c["reached"] for c in answer.json()["children"]} == {
        TOWNSHIP: 3,
        "411302002": 0,
    }
    assert TALLY.matches_recount()
