"""The workflow pages in a real browser (headless Debian Chromium, marker ``browser``).

A grid worker on a 375 px phone reports a problem on patrol: the page takes the phone's
position (granted to the browser), names the grid, lets the worker move the point with a
tap on the map, previews the photo, and after sending shows the case number. Then the
command centre dispatches a case from its page (the form swaps the page through htmx)
and looks at the map of open cases, and a citizen reports on a phone and reads the
tracking page. Screenshots go to $GRIDGOV_TEST_OUTPUT/browser/cases/ (else the test's
tmp_path).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Case, Source, Stage
from gridgov.cases.tests.workflow_fixtures import (
    POINT,
    World,
    _fresh_locate_index,
    _media,
    case_at,
    world,
)
from gridgov.web.tests.conftest import live_server
from gridgov.web.tests.test_browser import (
    BROWSER_TESTS,
    MAP_READY,
    Watch,
    browser,
    log_in,
    no_parallel_session_saves,
)

__all__ = [
    "_fresh_locate_index",
    "_media",
    "browser",
    "live_server",
    "no_parallel_session_saves",
    "world",
]

pytestmark = [*BROWSER_TESTS, pytest.mark.usefixtures("no_parallel_session_saves")]

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    base = os.environ.get("GRIDGOV_TEST_OUTPUT")
    folder = Path(base) / "browser" / "cases" if base else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def jpeg(path: Path) -> Path:
    Image.new("RGB", (1200, 900), (90, 120, 60)).save(path, format="JPEG")
    return path


def wait_for_maps(page: Any) -> None:
    page.wait_for_selector(MAP_READY, timeout=15_000)
    states = page.eval_on_selector_all(".gg-map", "els => els.map(e => e.dataset.ready)")
    assert all(state == "1" for state in states), states


@pytest.mark.django_db(transaction=True)
def test_grid_worker_reports_on_patrol_from_a_phone(
    browser: Any, live_server: Any, world: World, shots: Path, tmp_path: Path
) -> None:
    lon, lat = POINT
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        reduced_motion="reduce",
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 12},
        permissions=["geolocation"],
    )
    page = context.new_page()
    watch = Watch(page, live_server.url)
    log_in(page, live_server.url, world.worker.username)
    page.goto(f"{live_server.url}/cases/report/")
    wait_for_maps(page)

    # The phone's position fills the point and the grid is named.
    page.wait_for_function("document.querySelector('[data-lon]').value !== ''")
    assert abs(float(page.input_value("[data-lon]")) - lon) < 1e-5
    page.wait_for_selector(".cs-location__status--ok >> text=第1网格")
    assert page.get_attribute("[data-location-picker]", "data-located") == "gps"

    # A tap on the map moves the point.
    box = page.locator(".gg-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
    assert page.get_attribute("[data-location-picker]", "data-located") == "map"
    tapped = (float(page.input_value("[data-lon]")), float(page.input_value("[data-lat]")))
    assert tapped != (lon, lat)

    page.set_input_files("input[name=photos]", str(jpeg(tmp_path / "现场.jpg")))
    page.wait_for_selector(".cs-photo-preview img")
    page.select_option("select[name=case_class]", str(world.case_class.pk))
    page.fill("textarea[name=description]", "人行道上堆放建筑垃圾约两立方米，影响通行")
    page.fill("input[name=address]", "新华东路 28 号门前")
    page.screenshot(path=shots / "01-patrol-report-phone.png", full_page=True)
    page.mouse.move(0, 0)  # no hover label in the picture
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=shots / "01b-patrol-report-phone-top.png")  # the user guide's

    with page.expect_navigation():
        page.click(".cs-submit button")
    case = Case.objects.get()
    assert page.inner_text(".cs-done__number") == case.number
    assert (case.source, case.stage) == (Source.PATROL, Stage.VERIFIED)
    assert case.grid_code.startswith("411302001001")
    assert case.lon is not None and case.lat is not None
    assert (round(case.lon, 6), round(case.lat, 6)) == (round(tapped[0], 6), round(tapped[1], 6))
    assert case.attachments.count() == 1
    page.screenshot(path=shots / "02-patrol-reported-phone.png", full_page=True)

    with page.expect_navigation():
        page.click(".cs-done a")
    wait_for_maps(page)
    assert page.get_attribute(".cs-mini-map .gg-map", "data-overlay-count") == "1"
    assert page.locator(".cs-photo-group img").count() == 1
    page.screenshot(path=shots / "03-case-phone.png", full_page=True)

    context.close()
    assert not watch.foreign, watch.foreign
    assert not watch.errors, watch.errors


@pytest.mark.django_db(transaction=True)
def test_command_centre_dispatches_and_sees_the_map(
    browser: Any, live_server: Any, world: World, shots: Path
) -> None:
    lon, lat = POINT
    filed = case_at(world, Stage.FILED, lon=lon, lat=lat, grid_code=None)
    case_at(world, Stage.ACCEPTED, lon=lon + 0.005, lat=lat - 0.01, grid_code=None)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page, live_server.url)
    log_in(page, live_server.url, world.command.username)

    page.goto(f"{live_server.url}/cases/{filed.pk}/")
    wait_for_maps(page)
    selected = page.eval_on_selector(
        "#move-dispatch select[name=department]", "s => s.options[s.selectedIndex].text"
    )
    assert selected == world.department.name
    page.screenshot(path=shots / "04-dispatch.png", full_page=True)
    page.evaluate("window.ggNoReload = true")  # survives an htmx swap, not a page load
    page.click("#move-dispatch button[type=submit]")
    page.wait_for_selector(".gg-alert--success")
    assert page.evaluate("window.ggNoReload") is True
    filed.refresh_from_db()
    assert filed.stage == Stage.DISPATCHED and filed.department_id == world.department.pk
    assert page.locator("#move-dispatch").count() == 0
    page.screenshot(path=shots / "05-dispatched.png", full_page=True)

    # Someone else moves a case while the page is open: the post is refused (409) and
    # the swapped-in page says so and shows the case as it is now.
    other = case_at(world, Stage.FILED)
    page.goto(f"{live_server.url}/cases/{other.pk}/")
    wait_for_maps(page)  # no request of the page in flight while the test writes
    actions.dispatch_case(other.pk, actor=world.command, version=other.version)
    page.click("#move-dispatch button[type=submit]")
    page.wait_for_selector(".gg-alert--error")
    assert page.locator("#move-dispatch").count() == 0
    assert page.locator("[data-stage=dispatched]").count() >= 1
    page.screenshot(path=shots / "05b-conflict.png", full_page=True)

    page.goto(f"{live_server.url}/cases/map/")
    wait_for_maps(page)
    assert page.get_attribute(".gg-map", "data-overlay-count") == "2"
    page.screenshot(path=shots / "06-map-of-open-cases.png", full_page=True)
    page.goto(f"{live_server.url}/cases/work/")
    page.screenshot(path=shots / "07-command-queue.png", full_page=True)

    context.close()
    assert not watch.foreign, watch.foreign
    # The browser logs the refused post's answer; that one was the point of the test.
    assert [e for e in watch.errors if "409 (Conflict)" not in e] == []


@pytest.mark.django_db(transaction=True)
def test_citizen_reports_and_tracks_on_a_phone(
    browser: Any, live_server: Any, world: World, shots: Path, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", reduced_motion="reduce")
    page = context.new_page()
    watch = Watch(page, live_server.url)
    page.goto(f"{live_server.url}/cases/public/report/")
    wait_for_maps(page)
    box = page.locator(".gg-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    assert page.input_value("[data-lon]") != ""
    page.set_input_files("input[name=photos]", str(jpeg(tmp_path / "photo.jpg")))
    page.fill("textarea[name=description]", "小区门口路灯不亮已经一周")
    page.fill("input[name=reporter_phone]", "13812345678")
    page.screenshot(path=shots / "08-citizen-report-phone.png", full_page=True)
    with page.expect_navigation():
        page.click(".cs-submit button")
    case = Case.objects.get()
    assert page.inner_text("[data-tracking-number]") == case.number
    assert "13812345678" not in page.content() and "138****5678" not in page.content()
    page.screenshot(path=shots / "09-citizen-tracking-phone.png", full_page=True)
    context.close()
    assert not watch.foreign, watch.foreign
    assert not watch.errors, watch.errors
