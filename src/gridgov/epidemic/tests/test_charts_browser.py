"""Every chart page in a real browser (headless Debian Chromium, marker ``browser``): the
charts drawn by the shared gridgovCharts helper (web/static/gridgov/charts.js) — the
epidemic dashboard's trend, a screening campaign's trend and areas, an isolation episode's
temperatures, the case evaluation's trend and areas — each draws (data-ready="1", a
canvas), with no script error and no request leaving the server. Screenshots go to
$GRIDGOV_TEST_OUTPUT/browser/ (else the test's tmp_path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from gridgov.epidemic import rules
from gridgov.epidemic.actions import isolation as isolation_actions
from gridgov.epidemic.actions import screening as screening_actions
from gridgov.epidemic.models import IsolationFollowUp
from gridgov.epidemic.tests.fixtures import Epi
from gridgov.web.tests.test_browser import (
    BROWSER_TESTS,
    Watch,
    browser,
    log_in,
    no_parallel_session_saves,
    output_dir,
)

__all__ = ["browser", "no_parallel_session_saves", "output_dir"]

pytestmark = [*BROWSER_TESTS, pytest.mark.usefixtures("no_parallel_session_saves")]


def _drawn(page: Any, selector: str) -> int:
    """Wait for every chart of ``selector`` to be drawn; the number drawn."""
    page.wait_for_selector(f'{selector}[data-ready="1"]', timeout=15_000)
    charts = page.locator(selector)
    for i in range(charts.count()):
        assert charts.nth(i).get_attribute("data-ready") == "1", selector
        assert charts.nth(i).locator("canvas").count() >= 1, selector
    return charts.count()


@pytest.mark.django_db(transaction=True)
def test_every_chart_page_draws_its_charts(
    browser: Any, live_server: Any, epi: Epi, output_dir: Path
) -> None:
    r = epi.r
    campaign = screening_actions.create_campaign(
        actor=r.township, name="东关街道全员排查", region_code="411302001", target="everyone"
    )
    screening_actions.start_campaign(campaign.pk, actor=r.township)
    screening_actions.record_screening(actor=r.worker, person_id=r.person.pk, health="normal")
    episode = isolation_actions.start_isolation(
        actor=r.community,
        person_id=r.elder.pk,
        kind="home",
        reason="risk_arrival",
        start_date=rules.today(),
    )
    follow_up = IsolationFollowUp.objects.get(episode=episode)
    isolation_actions.record_follow_up(follow_up.pk, actor=r.worker, temperature="36.8")

    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page, live_server.url)
    base = live_server.url

    log_in(page, base, epi.command.username)
    page.goto(base + reverse("epidemic:dashboard"))
    assert _drawn(page, ".db-chart[data-chart='trend']") == 1
    page.screenshot(path=str(output_dir / "epidemic-dashboard.png"), full_page=True)
    page.goto(base + reverse("epidemic:screening_campaign", args=[campaign.pk]))
    assert _drawn(page, ".ep-scr-chart") == 2  # the trend and the areas
    page.screenshot(path=str(output_dir / "screening-campaign.png"), full_page=True)
    page.goto(base + reverse("epidemic:isolation_detail", args=[episode.pk]))
    assert _drawn(page, ".iso-chart") == 1
    page.screenshot(path=str(output_dir / "isolation-episode.png"), full_page=True)

    context.clear_cookies()
    log_in(page, base, r.leader.username)
    page.goto(base + reverse("cases:evaluation"))
    assert _drawn(page, ".gg-eval-chart") == 2  # the trend and the areas
    page.screenshot(path=str(output_dir / "evaluation.png"), full_page=True)

    assert watch.errors == []
    assert watch.foreign == []
    context.close()
