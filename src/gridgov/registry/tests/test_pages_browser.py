"""The registry pages in a real browser (headless Debian Chromium, marker ``browser``).

A grid worker on a 375 px phone searches their people, opens one, reveals the ID number
once, and reads the completeness of their community on a map coloured by score; a leader
sees the population panel of a region page. Screenshots go to
$GRIDGOV_TEST_OUTPUT/browser/registry/ (else the test's tmp_path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gridgov.registry.tests.core_fixtures import COMMUNITY
from gridgov.registry.tests.web_fixtures import ID_NUMBER
from gridgov.web.tests.test_browser import (
    BROWSER_TESTS,
    Watch,
    browser,
    log_in,
    no_parallel_session_saves,
    wait_for_map,
)

__all__ = ["browser", "no_parallel_session_saves"]

pytestmark = [*BROWSER_TESTS, pytest.mark.usefixtures("no_parallel_session_saves")]


@pytest.fixture
def shots(output_dir: Path) -> Path:
    folder = output_dir / "registry"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    import os

    base = os.environ.get("GRIDGOV_TEST_OUTPUT")
    return Path(base) / "browser" if base else tmp_path


@pytest.mark.django_db(transaction=True)
def test_grid_worker_on_a_phone(browser: Any, live_server: Any, register: Any, shots: Path) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, locale="zh-CN", reduced_motion="reduce"
    )
    page = context.new_page()
    watch = Watch(page, live_server.url)
    log_in(page, live_server.url, register.worker.username)

    page.goto(f"{live_server.url}/registry/people/")
    assert "王建国" in page.inner_text("main")
    assert ID_NUMBER not in page.content()
    page.screenshot(path=shots / "01-people-phone.png", full_page=True)

    with page.expect_navigation():
        page.click("text=王建国")
    page.screenshot(path=shots / "02-person-phone.png", full_page=True)
    # The care-group form asks for a disability's category and level only for that group.
    page.click("#person-add-tag > summary")
    category = page.locator("#person-add-tag select[name=category]")
    assert not category.is_visible()
    page.select_option("#person-add-tag select[name=kind]", "disabled")
    assert category.is_visible()
    page.screenshot(path=shots / "02b-care-tag-form-phone.png", full_page=True)
    page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure" of the reveal
    with page.expect_navigation():
        page.locator("form[action$='/reveal/'] button").first.click()
    assert page.inner_text("[data-revealed=id_number]") == ID_NUMBER
    page.screenshot(path=shots / "03-person-revealed-phone.png", full_page=True)
    page.goto(f"{live_server.url}/registry/people/{register.person.pk}/")
    assert ID_NUMBER not in page.content()  # shown once: back on the page it is masked

    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto(f"{live_server.url}/registry/completeness/{COMMUNITY}/")
    assert wait_for_map(page) == 4
    # The map is coloured by score: grids without data grey, the others by their band.
    fills = page.eval_on_selector_all(
        ".gg-map path.leaflet-interactive", "paths => paths.map(p => p.getAttribute('fill'))"
    )
    assert set(fills) <= {"#3f9f6b", "#f0b429", "#d64545", "#c8ced6"}, fills
    page.screenshot(path=shots / "04-completeness-community.png", full_page=True)
    page.goto(f"{live_server.url}/registry/completeness/{COMMUNITY}001/")
    page.screenshot(path=shots / "05-completeness-grid.png", full_page=True)

    context.close()
    assert not watch.foreign, watch.foreign
    assert not watch.errors, watch.errors


@pytest.mark.django_db(transaction=True)
def test_leader_sees_figures_on_the_region_page(
    browser: Any, live_server: Any, register: Any, shots: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page, live_server.url)
    log_in(page, live_server.url, register.leader.username)
    page.goto(f"{live_server.url}/territory/411302001/")
    panel = page.locator("#population")
    assert panel.is_visible()
    assert panel.locator("[data-measure=total]").inner_text() == "4"
    assert "王建国" not in page.content()
    page.screenshot(path=shots / "06-region-panel-leader.png", full_page=True)
    context.close()
    assert not watch.errors, watch.errors


@pytest.mark.django_db(transaction=True)
def test_community_staff_import_and_export_pages(
    browser: Any, live_server: Any, register: Any, shots: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page, live_server.url)
    log_in(page, live_server.url, register.community.username)
    page.goto(f"{live_server.url}/registry/imports/")
    assert page.locator("input[type=file][name=file]").is_visible()
    assert page.locator("a[href$='/registry/imports/template.xlsx']").is_visible()
    page.screenshot(path=shots / "07-imports.png", full_page=True)
    page.goto(f"{live_server.url}/registry/export/")
    assert page.locator("input[name=reveal]").is_visible()  # community staff may reveal
    page.screenshot(path=shots / "08-export.png", full_page=True)
    context.close()
    assert not watch.errors, watch.errors
