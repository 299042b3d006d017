"""Nothing a page loads may come from outside the machine: the product runs on isolated
intranets. The only external address allowed is the operator's optional tile URL
(GRIDGOV_TILE_URL), which lives in the environment, not in our files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]
VENDOR = PACKAGE / "web" / "static" / "vendor"
TEXT_SUFFIXES = {".html", ".txt", ".js", ".css", ".svg", ".json", ".xml"}
URL = re.compile(r"\b(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s\"'<>)]*", re.I)
# XML namespace names are identifiers that browsers never fetch.
ALLOWED = re.compile(r"^http://www\.w3\.org/")


def our_front_end_files() -> list[Path]:
    files = []
    for folder in ("templates", "static"):
        for path in PACKAGE.glob(f"*/{folder}/**/*"):
            if path.is_file() and path.suffix in TEXT_SUFFIXES and VENDOR not in path.parents:
                files.append(path)
    return sorted(files)


def test_the_scan_sees_our_files():
    names = {p.relative_to(PACKAGE).as_posix() for p in our_front_end_files()}
    assert {"web/templates/web/base.html", "web/static/gridgov/map.js"} <= names


@pytest.mark.parametrize("path", our_front_end_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_template_or_static_file_reaches_another_host(path: Path):
    text = path.read_text(encoding="utf-8")
    external = [url for url in URL.findall(text) if not ALLOWED.match(url)]
    assert not external, f"{path.relative_to(PACKAGE)} refers to {external}"


def test_vendored_stylesheets_load_nothing_from_elsewhere():
    for css in VENDOR.glob("**/*.css"):
        for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            assert not re.match(r"^([a-z]+:)?//", target, re.I), f"{css.name} loads {target}"


def test_every_vendored_library_has_its_licence_and_is_listed():
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    folders = [p for p in VENDOR.iterdir() if p.is_dir()]
    assert {p.name.rsplit("-", 1)[0] for p in folders} == {"leaflet", "echarts", "htmx"}
    for folder in folders:
        assert (folder / "LICENSE").is_file(), f"{folder.name} has no LICENSE"
        assert f"`{folder.name}/`" in readme, f"{folder.name} is not listed in vendor/README.md"
