"""Screening from the command line (``gridgov epidemic campaign-progress | campaign-start |
import-screening-list``) and the demo content: idempotent, its roll-ups equal a recount."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gridgov import cli
from gridgov.audit.models import AuditEvent
from gridgov.epidemic.actions import screening as actions
from gridgov.epidemic.demo import screening as demo
from gridgov.epidemic.models import CampaignStatus, ScreeningCampaign, ScreeningTask
from gridgov.epidemic.tallies.screening import TALLY
from gridgov.epidemic.tests.fixtures import Epi
from gridgov.registry.tests.web_fixtures import ELDER_ID, ID_NUMBER

pytestmark = pytest.mark.django_db


def run(capsys: Any, *args: str) -> tuple[int, str]:
    code = cli.main(["--lang", "en", "epidemic", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_list_imported_started_and_followed_from_the_command_line(
    epi: Epi, capsys: Any, tmp_path: Path
) -> None:
    campaign = actions.create_campaign(
        actor=epi.r.township, name="名单", region_code="411302001", target="imported"
    )
    names = tmp_path / "list.csv"
    names.write_text(f"公民身份号码\n{ID_NUMBER}\n{ELDER_ID}\n12345\n", encoding="utf-8")
    code, out = run(capsys, "import-screening-list", str(campaign.pk), str(names))
    assert code == 0 and "row 4" in out and ScreeningTask.objects.count() == 2
    code, out = run(capsys, "campaign-start", str(campaign.pk))
    assert code == 0 and "2 people to screen" in out
    assert AuditEvent.objects.get(action="epidemic.screening.campaign.start").actor_name == "system"
    code, out = run(capsys, "campaign-progress", str(campaign.pk), "--code", "411302001001")
    assert code == 0 and "411302001001001" in out and "河街社区" in out
    code, out = run(capsys, "campaign-progress", "999999")
    assert code == 1 and "Not found" in out


def test_the_demo_is_idempotent_and_counted(epi: Epi) -> None:
    added = demo.seed("4113", seed=7)
    assert added > 0 and demo.seed("4113", seed=7) == 0
    statuses = dict(ScreeningCampaign.objects.values_list("name", "status"))
    assert sorted(statuses.values()) == [CampaignStatus.ACTIVE, CampaignStatus.CLOSED]
    closed = ScreeningCampaign.objects.get(status=CampaignStatus.CLOSED)
    assert closed.started_at and closed.closed_at and closed.started_at < closed.closed_at
    assert ScreeningTask.objects.filter(campaign=closed, status="open").count() == 0
    assert TALLY.matches_recount()
