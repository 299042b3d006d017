"""The component pages in a real browser (headless Debian Chromium, marker ``browser``).

Township staff on a 375 px phone open the inventory, see the components as coloured dots
on the map, open one by clicking its dot and record its state; a county's supervision
centre sees the components panel (with its map) on a region page. Screenshots go to
$GRIDGOV_TEST_OUTPUT/browser/components/ (else the test's tmp_path).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.cases.actions import components as actions
from gridgov.cases.models import Component
from gridgov.cases.tests.component_fixtures import COUNTY, TOWNSHIP, ensure_classes
from gridgov.territory import locating
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


@pytest.fixture
def shots(output_dir: Path) -> Path:
    folder = output_dir / "components"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _map_ready(page: Any, selector: str = ".gg-map") -> Any:
    page.wait_for_selector(f'{selector}[data-ready]:not([data-ready="0"])', timeout=15_000)
    assert page.get_attribute(selector, "data-ready") == "1", page.inner_text(selector)
    return page.get_attribute(selector, "data-overlay-count")


@pytest.mark.django_db(transaction=True)
def test_township_staff_on_a_phone(
    browser: Any, live_server: Any, territory: dict, make_user: Callable[..., User], shots: Path
) -> None:
    locating.forget()
    ensure_classes()
    staff = make_user(Role.TOWNSHIP_STAFF, TOWNSHIP, username="dongguan", display_name="王晓明")
    points = [(112.41, 33.09), (112.44, 33.07), (112.46, 33.02)]
    made = [
        actions.create_component(
            actor=staff, case_class=code, name=name, lon=lon, lat=lat, state=state
        )
        for (lon, lat), (code, name, state) in zip(
            points,
            [
                ("0101", "上水井盖", "intact"),
                ("0110", "路灯", "damaged"),
                ("0304", "垃圾箱", "lost"),
            ],
            strict=True,
        )
    ]
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, locale="zh-CN", reduced_motion="reduce"
    )
    page = context.new_page()
    watch = Watch(page, live_server.url)
    log_in(page, live_server.url, "dongguan")

    page.goto(f"{live_server.url}/cases/components/")
    assert _map_ready(page) == "3"
    assert all(c.component_id in page.inner_text("main") for c in made)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=shots / "01-list-phone.png", full_page=True)

    lamp = made[1]
    page.locator(".gg-map path[fill='#f0b429']").first.click(force=True)
    page.wait_for_url(f"**/cases/components/{lamp.pk}/")
    assert lamp.component_id in page.inner_text("main")
    page.screenshot(path=shots / "02-detail-phone.png", full_page=True)

    page.click("summary:has-text('记录状态')")
    page.select_option("select[name=state]", "intact")
    page.fill("input[name=note]", "已修复")
    with page.expect_navigation():
        page.click("button:has-text('保存状态')")
    assert Component.objects.get(pk=lamp.pk).state == "intact"
    page.screenshot(path=shots / "03-state-recorded-phone.png", full_page=True)
    assert watch.foreign == [] and watch.errors == []
    context.close()


@pytest.mark.django_db(transaction=True)
def test_region_page_panel(
    browser: Any, live_server: Any, territory: dict, make_user: Callable[..., User], shots: Path
) -> None:
    locating.forget()
    ensure_classes()
    make_user(Role.SUPERVISION, COUNTY, username="jiandu")
    staff = make_user(Role.TOWNSHIP_STAFF, TOWNSHIP)
    for lon in (112.41, 112.43, 112.47):
        actions.create_component(actor=staff, case_class="0110", name="路灯", lon=lon, lat=33.05)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page, live_server.url)
    log_in(page, live_server.url, "jiandu")
    page.goto(live_server.url + reverse("territory:region", args=[TOWNSHIP]))
    panel = "#components .gg-map"
    assert _map_ready(page, panel) == "3"
    assert "路灯" in page.inner_text("#components")
    page.locator("#components").screenshot(path=shots / "04-region-panel.png")
    assert watch.foreign == [] and watch.errors == []
    context.close()
