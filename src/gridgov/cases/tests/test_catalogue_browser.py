"""The responsibility list in a real browser (headless Debian Chromium, marker ``browser``).

A county administrator on a 375 px phone: the filter bar shows the search and folds the
other filters under "More filters" (open by itself when one is in use), nothing scrolls
sideways, and the import page answers an upload with its report and the XLSX download.
Screenshots go to $GRIDGOV_TEST_OUTPUT/browser/catalogue/ (else the test's tmp_path).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gridgov.accounts.models import Department, User
from gridgov.accounts.roles import Role
from gridgov.cases.actions.catalogue import seed_catalogue
from gridgov.cases.models import Responsibility
from gridgov.cases.tests.catalogue_fixtures import COUNTY, minor
from gridgov.core.system import SYSTEM
from gridgov.web.tests.test_browser import (
    BROWSER_TESTS,
    Watch,
    browser,
    log_in,
    output_dir,
)

__all__ = ["browser", "output_dir"]

pytestmark = BROWSER_TESTS

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def shots(output_dir: Path) -> Path:
    folder = output_dir / "catalogue"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _more_filters_open(page: Any) -> bool:
    return bool(page.eval_on_selector("details.gg-filters__more", "d => d.open"))


@pytest.mark.django_db(transaction=True)
def test_responsibility_list_and_import_on_a_phone(
    browser: Any,
    live_server: Any,
    territory: dict,
    make_user: Callable[..., User],
    shots: Path,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.GRIDGOV_HOME = tmp_path
    seed_catalogue(actor=SYSTEM)  # a transactional test may find the seeded classes gone
    make_user(Role.ADMIN, COUNTY, username="wancheng-admin")
    department = Department.objects.create(
        code="wancheng-urban", name="宛城区城市管理局", region=territory[COUNTY]
    )
    Responsibility.objects.create(
        case_class=minor("E0102"), region_code=COUNTY, department=department
    )
    context = browser.new_context(viewport=PHONE, locale="zh-CN", reduced_motion="reduce")
    page = context.new_page()
    watch = Watch(page, live_server.url)
    log_in(page, live_server.url, "wancheng-admin")

    page.goto(f"{live_server.url}/cases/responsibilities/")
    assert page.is_visible("input[name=q]")
    assert not _more_filters_open(page) and not page.is_visible("select[name=department]")
    assert "宛城区城市管理局" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=shots / "01-list-phone.png", full_page=True)

    page.click("details.gg-filters__more > summary")
    assert page.is_visible("select[name=department]")
    page.select_option("select[name=state]", "all")
    with page.expect_navigation():
        page.click("form[role=search] button[type=submit]")
    assert _more_filters_open(page)  # a filter in use keeps them in view
    page.screenshot(path=shots / "02-filtered-phone.png", full_page=True)

    upload = tmp_path / "list.csv"
    upload.write_text(f"类别编码,区域代码,责任部门编码\nE0103,{COUNTY},nowhere\n", "utf-8")
    page.goto(f"{live_server.url}/cases/responsibilities/import/")
    page.set_input_files("input[name=file]", str(upload))
    with page.expect_navigation():
        page.click("form.gg-form button[type=submit]")
    assert "/cases/responsibilities/import/" in page.url
    assert page.is_visible("a[href$='report.xlsx']")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=shots / "03-import-report-phone.png", full_page=True)
    assert watch.foreign == [] and watch.errors == []
    context.close()
