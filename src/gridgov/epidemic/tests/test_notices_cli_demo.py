"""Notices from the command line (``gridgov epidemic notice-reach | notice-links``) and
the demo notices: realistic, idempotent, their roll-ups equal a recount."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from gridgov import cli
from gridgov.audit.models import AuditEvent
from gridgov.epidemic.actions import notices as actions
from gridgov.epidemic.demo import notices as demo
from gridgov.epidemic.models import DeliveryChannel, Notice, NoticeDelivery
from gridgov.epidemic.queries import notices as queries
from gridgov.epidemic.tallies.notices import TALLY
from gridgov.epidemic.tests.fixtures import Epi
from gridgov.registry import actions as registry_actions
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID, make_id_number
from gridgov.registry.tests.web_fixtures import PHONE

pytestmark = pytest.mark.django_db


def run(capsys: Any, *args: str) -> tuple[int, str]:
    code = cli.main(["--lang", "en", "epidemic", *args])
    return code, capsys.readouterr().out


def test_reach_and_links_from_the_command_line(epi: Epi, capsys: Any, tmp_path: Path) -> None:
    notice = actions.send_notice(
        actions.create_notice(
            actor=epi.r.community,
            title="停电通知",
            body="明日 9:00–12:00 停电。",
            audience="both",
            targets=[{"code": COMMUNITY}],
        ).pk,
        actor=epi.r.community,
    )
    code, out = run(capsys, "notice-reach", str(notice.pk))
    assert code == 0 and "停电通知" in out and "Total" in out
    code, out = run(capsys, "notice-reach", str(notice.pk), "--code", GRID)
    assert code == 0
    out_file = tmp_path / "links.csv"
    code, out = run(
        capsys,
        "notice-links",
        str(notice.pk),
        "--out",
        str(out_file),
        "--base-url",
        "https://x.cn/",
    )
    assert code == 0 and "1 links written" in out
    rows = list(csv.reader(out_file.open(encoding="utf-8")))
    delivery = NoticeDelivery.objects.get(notice=notice, person=epi.r.person)
    # Only the resident with a phone, with the full number (audited) and their own link.
    assert rows == [
        ["phone", "link"],
        [PHONE, f"https://x.cn/epidemic/n/{queries.link_token(delivery.pk)}/"],
    ]
    assert AuditEvent.objects.filter(action="epidemic.notice.links").count() == 1
    actions.read_notice_link(queries.link_token(delivery.pk))
    code, out = run(capsys, "notice-links", str(notice.pk), "--out", str(out_file))
    assert "0 links written" in out  # read already: no text message needed
    code, out = run(capsys, "notice-reach", "999999")
    assert code == 1


def _older_residents(epi: Epi, n: int) -> None:
    for i in range(n):
        registry_actions.create_person(
            actor=epi.r.worker,
            name=f"老人{i}",
            id_number=make_id_number("411302", dt.date(1940 + i % 10, 3, 1), 200 + 2 * i),
            phone=f"1390000{i:04d}" if i % 3 else None,
            grid_code=GRID,
            address=f"河街路{i + 20}号",
        )


def test_the_demo_notices(epi: Epi, monkeypatch: pytest.MonkeyPatch) -> None:
    _older_residents(epi, 30)
    monkeypatch.setattr(demo, "LONE_SHARE", 0.5)  # the test street is small
    added = demo.seed("4113", seed=7)
    assert added > 0
    elderly, staff = Notice.objects.order_by("pk")
    assert elderly.status == staff.status == "sent"
    residents = NoticeDelivery.objects.filter(notice=elderly, person__isnull=False)
    assert residents.filter(channel=DeliveryChannel.DOOR).exists()
    assert residents.filter(read_at__isnull=False).exists()
    assert residents.filter(read_at__isnull=True).exists()
    assert NoticeDelivery.objects.filter(notice=staff, user__isnull=False).count() >= 3
    assert TALLY.matches_recount()
    assert demo.seed("4113", seed=7) == 0  # already there
    assert Notice.objects.count() == 2
