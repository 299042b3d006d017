"""The product in a real browser: headless Debian Chromium driven by Playwright.

A township staff member logs in, opens their township's map, sees its communities drawn,
drills down to a community's unit grids and to one grid, looks at it on a phone, and
cannot open the neighbouring township. Screenshots go to $GRIDGOV_TEST_OUTPUT/browser/
when that is set, else to the test's tmp_path; look at them after a change to the pages.

Playwright never downloads a browser here: it drives the system's /usr/bin/chromium.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridgov.accounts.roles import Role
from gridgov.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOWNSHIP, SIBLING = "411302001", "411302002"
COMMUNITY = "411302001001"
MAP_READY = '.gg-map[data-ready]:not([data-ready="0"])'

# Every browser test module's marks: ``pytestmark = BROWSER_TESTS`` (+ its own).
BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]
pytestmark = BROWSER_TESTS


@pytest.fixture
def no_parallel_session_saves(settings: Any) -> None:
    """For pages that fetch while they load (maps' GeoJSON, charts): the live server's
    in-memory SQLite has table locks and no busy timeout, so parallel session saves would
    collide (400); the session is saved only when it changes."""
    settings.SESSION_SAVE_EVERY_REQUEST = False


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django refuses
    # ORM calls from such a thread unless told the test knows what it is doing.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    base = os.environ.get("GRIDGOV_TEST_OUTPUT")
    folder = Path(base) / "browser" if base else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Watch:
    """Everything the page did that a user would not want: requests to other hosts,
    script errors, failed requests of our own."""

    def __init__(self, page: Any, origin: str) -> None:
        self.origin = origin
        self.foreign: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("pageerror", lambda error: self.errors.append(f"script: {error}"))
        page.on("console", self._console)

    def _request(self, request: Any) -> None:
        if not request.url.startswith((self.origin, "data:", "blob:")):
            self.foreign.append(request.url)

    def _console(self, message: Any) -> None:
        # A 404 answer is the expected outcome of the sibling township check, not an error.
        if message.type == "error" and "404" not in message.text:
            self.errors.append(f"console: {message.text}")


def log_in(page: Any, base_url: str, username: str) -> None:
    """Log in through the real login form, ending on the home page."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    assert page.url == f"{base_url}/"


def wait_for_map(page: Any) -> int:
    """Wait until the map has drawn and return the number of areas on it."""
    page.wait_for_selector(MAP_READY, timeout=15_000)
    assert page.get_attribute(".gg-map", "data-ready") == "1", page.inner_text(".gg-map")
    return page.locator(".gg-map path.leaflet-interactive").count()


@pytest.mark.django_db(transaction=True)
def test_township_staff_browses_their_township_on_the_map(
    browser: Any, live_server: Any, territory: dict, make_user: Any, output_dir: Path
) -> None:
    make_user(Role.TOWNSHIP_STAFF, TOWNSHIP, username="dongguan", display_name="王晓明")
    context = browser.new_context(
        viewport={"width": 1280, "height": 860},
        locale="zh-CN",
        reduced_motion="reduce",  # screenshots show finished states, not transitions
    )
    page = context.new_page()
    watch = Watch(page, live_server.url)

    page.goto(f"{live_server.url}/accounts/login/")
    page.screenshot(path=output_dir / "01-login.png")
    log_in(page, live_server.url, "dongguan")
    assert "王晓明" in page.inner_text(".gg-topbar")
    assert page.evaluate("typeof window.htmx") == "object"  # the vendored copy loaded
    page.screenshot(path=output_dir / "02-home.png", full_page=True)

    # The township: its two communities drawn inside its dashed outline, cut into their
    # eight unit grids (a layer of lines that does not catch clicks).
    page.goto(f"{live_server.url}/territory/{TOWNSHIP}/")
    page.wait_for_selector(".gg-map path.leaflet-interactive", timeout=15_000)
    assert wait_for_map(page) == 2
    assert page.get_attribute(".gg-map", "data-overlay-count") == "8"
    assert "东关街道" in page.inner_text("h1")
    page.screenshot(path=output_dir / "03-township-map.png", full_page=True)

    # Drill down: clicking a community opens it, with its four unit grids.
    with page.expect_navigation():
        page.locator(f'.gg-map path[data-code="{COMMUNITY}"]').click()
    assert page.url.endswith(f"/territory/{COMMUNITY}/")
    assert wait_for_map(page) == 4
    page.screenshot(path=output_dir / "04-community-grids.png", full_page=True)

    # And one grid: shown among its sibling grids, itself outlined.
    grid = COMMUNITY + "003"
    with page.expect_navigation():
        page.locator(f'.gg-map path[data-code="{grid}"]').click()
    assert page.url.endswith(f"/territory/{grid}/")
    assert wait_for_map(page) >= 1
    assert page.locator(f'.gg-map path[data-code="{grid}"][stroke="#d9480f"]').count() == 1
    page.screenshot(path=output_dir / "05-grid.png", full_page=True)

    # On a phone: the township again at 375 px, then with the menu open.
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}/territory/{TOWNSHIP}/")
    assert wait_for_map(page) == 2
    page.screenshot(path=output_dir / "06-mobile-township.png")
    page.click(".gg-menu-toggle")
    assert page.locator("#gg-nav").is_visible()
    page.screenshot(path=output_dir / "07-mobile-menu.png")

    # The language switch: a POST from the top bar, back to the same page, in English.
    page.set_viewport_size({"width": 1280, "height": 860})
    with page.expect_navigation():
        page.click(".gg-lang__button[value=en]")
    assert page.url.endswith(f"/territory/{TOWNSHIP}/")
    assert "Territory" in page.inner_text("#gg-nav")
    assert wait_for_map(page) == 2

    # The neighbouring township does not exist as far as this user can tell.
    response = page.goto(f"{live_server.url}/territory/{SIBLING}/")
    assert response is not None and response.status == 404
    assert page.locator(".gg-error").is_visible()
    assert "新华街道" not in page.content()  # (the page is in English now; names stay)
    page.screenshot(path=output_dir / "08-sibling-not-found.png")

    context.close()
    assert not watch.foreign, f"requests left the machine: {watch.foreign}"
    assert not watch.errors, watch.errors
    print(f"\nscreenshots: {output_dir}")


@pytest.mark.django_db(transaction=True)
def test_grid_worker_sees_their_grids_first_on_a_phone(
    browser: Any, live_server: Any, territory: dict, make_user: Any, output_dir: Path
) -> None:
    from gridgov.accounts.models import GridAssignment

    worker = make_user(Role.GRID_WORKER, COMMUNITY, username="wangge", display_name="李网格")
    for serial, deputy in (("001", False), ("002", True)):
        code = COMMUNITY + serial
        GridAssignment.objects.create(
            user=worker, grid=territory[code], grid_code=code, is_deputy=deputy
        )
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, locale="zh-CN", reduced_motion="reduce"
    )
    page = context.new_page()
    watch = Watch(page, live_server.url)
    log_in(page, live_server.url, "wangge")
    first_card = page.locator(".gg-card").first
    assert "我的网格" in first_card.inner_text()
    assert first_card.locator("a").count() == 2
    page.screenshot(path=output_dir / "09-mobile-grid-worker-home.png", full_page=True)

    with page.expect_navigation():
        first_card.locator("a").first.click()
    assert page.url.endswith(f"/territory/{COMMUNITY}001/")
    assert wait_for_map(page) >= 1
    page.screenshot(path=output_dir / "10-mobile-grid.png", full_page=True)

    # htmx requests carry the CSRF token from <body hx-headers>: without it Django would
    # refuse this POST and the page would stay in Chinese.
    page.evaluate(
        """() => htmx.ajax("POST", "/i18n/setlang/", {
            source: document.body, swap: "none", values: {language: "en", next: "/"}})"""
    )
    page.goto(f"{live_server.url}/")
    assert "My grids" in page.locator(".gg-card").first.inner_text()
    context.close()
    assert not watch.foreign, f"requests left the machine: {watch.foreign}"
    assert not watch.errors, watch.errors
