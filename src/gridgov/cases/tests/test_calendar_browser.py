"""The working calendar and the inbox in a real browser (headless Debian Chromium, marker
``browser``).

The city administrator, on a 375 px phone, opens the calendar: the calculator comes before
the months and answers across National Day; the page never scrolls sideways; a tap on a day
opens its form and saves it into the holiday table. Then a message waiting in the inbox
shows its count on the menu button, and opening it leads to its page. Screenshots go to
$GRIDGOV_TEST_OUTPUT/browser/calendar/ (else the test's tmp_path).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gridgov.accounts.models import User
from gridgov.cases.models import CalendarDay
from gridgov.inbox import actions as inbox
from gridgov.web.tests.test_browser import BROWSER_TESTS, Watch, browser, log_in

__all__ = ["browser"]

pytestmark = BROWSER_TESTS

PHONE = {"width": 375, "height": 812}
SIDEWAYS = "document.documentElement.scrollWidth > document.documentElement.clientWidth"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    base = os.environ.get("GRIDGOV_TEST_OUTPUT")
    folder = (Path(base) / "browser" if base else tmp_path) / "calendar"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.django_db(transaction=True)
def test_city_administrator_on_a_phone(
    browser: Any, live_server: Any, territory: dict, make_user: Callable[..., User], shots: Path
) -> None:
    admin = make_user("admin", "4113", username="city-admin")
    context = browser.new_context(viewport=PHONE, locale="en-GB", extra_http_headers={})
    page = context.new_page()
    watch = Watch(page, live_server.url)
    log_in(page, live_server.url, "city-admin")
    page.goto(f"{live_server.url}/cases/calendar/2026/")

    # The calculator is above the twelve months on a phone.
    calculator = page.locator("#deadline").bounding_box()
    january = page.locator(".gg-cal-month").first.bounding_box()
    assert calculator is not None and january is not None
    assert calculator["y"] < january["y"]
    page.fill("#id_start", "2026-09-30T10:00")
    page.fill("#id_amount", "3")
    page.select_option("#id_unit", "working_days")
    with page.expect_navigation():
        page.click("#deadline button[type=submit]")
    assert "2026-10-10 10:00" in page.inner_text(".gg-cal-result")
    assert not page.evaluate(SIDEWAYS)
    page.screenshot(path=str(shots / "calendar-phone.png"), full_page=True)

    # A tap on 8 October opens its form, which saves it as a local holiday.
    with page.expect_navigation():
        page.click('.gg-cal-day a[href="?date=2026-10-08#day-form"]')
    assert page.input_value("#id_date") == "2026-10-08"
    page.fill("#id_name", "本地假日")
    with page.expect_navigation():
        page.click("#day-form button[type=submit]")
    assert CalendarDay.objects.get().name == "本地假日"
    assert page.locator(".gg-cal-month .gg-cal-day--table").count() == 1
    assert not page.evaluate(SIDEWAYS)

    # A message in the inbox: its count on the menu button, then its page.
    inbox.deliver([admin], subject="Case 20261128000001 to dispatch", link="/cases/calendar/")
    page.goto(f"{live_server.url}/")
    assert page.inner_text(".gg-menu-toggle__badge") == "1"
    page.click(".gg-menu-toggle")
    with page.expect_navigation():
        page.click('#gg-nav a[href="/inbox/"]')
    page.screenshot(path=str(shots / "inbox-phone.png"), full_page=True)
    with page.expect_navigation():
        page.click(".gg-inbox-item__link")
    assert page.url.endswith("/cases/calendar/2026/") or "/cases/calendar/" in page.url
    assert page.locator(".gg-menu-toggle__badge").count() == 0
    assert watch.errors == [] and watch.foreign == []
    context.close()
