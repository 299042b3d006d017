"""Translations: every app's catalogue is complete and compiled; the language switch works.

Each app keeps its own Simplified Chinese catalogue (docs/decisions/0005); the compiled
.mo is committed so installing needs no GNU gettext. These tests keep the two in step.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

from gridgov.accounts.roles import Role

PACKAGE = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(PACKAGE.glob("*/locale/*/LC_MESSAGES/django.po"))
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


def catalogue_id(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


def messages(mo: polib.MOFile) -> dict[tuple[str, str, str], object]:
    """(context, id, plural id) → translation(s) of every message in a compiled catalogue."""
    return {
        (e.msgctxt or "", e.msgid, e.msgid_plural or ""): (
            tuple(sorted(e.msgstr_plural.items())) if e.msgid_plural else e.msgstr
        )
        for e in mo
        if e.msgid
    }


def test_every_app_with_translations_is_checked():
    apps = {path.relative_to(PACKAGE).parts[0] for path in CATALOGUES}
    assert "web" in apps


@pytest.mark.parametrize("po_path", CATALOGUES, ids=catalogue_id)
def test_compiled_catalogue_matches_its_source(po_path: Path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{catalogue_id(mo_path)} is missing: run compilemessages"
    po = polib.pofile(str(po_path))
    expected = messages(polib.mofile(po.to_binary()))
    committed = messages(polib.mofile(str(mo_path)))
    keys = expected.keys() | committed.keys()
    stale = {key for key in keys if expected.get(key) != committed.get(key)}
    assert not stale, f"{catalogue_id(mo_path)} is stale, run compilemessages: {sorted(stale)[:5]}"
    assert polib.mofile(str(mo_path)).metadata.get("Plural-Forms"), "header missing from the .mo"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=catalogue_id)
def test_every_message_is_translated_and_none_is_fuzzy(po_path: Path):
    po = polib.pofile(str(po_path))
    # A fuzzy header makes msgfmt drop it, and with it the plural rule.
    assert not po.metadata_is_fuzzy, "the catalogue header is marked fuzzy"
    live = [e for e in po if not e.obsolete]
    fuzzy = [e.msgid for e in live if "fuzzy" in e.flags]
    untranslated = [e.msgid for e in live if not e.translated()]
    assert not fuzzy, f"fuzzy in {catalogue_id(po_path)}: {fuzzy[:5]}"
    assert not untranslated, f"untranslated in {catalogue_id(po_path)}: {untranslated[:5]}"


@pytest.mark.django_db
def test_chinese_is_the_default(territory, make_user, login):
    html = login(make_user(Role.TOWNSHIP_STAFF, "411302001")).get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert ">首页</a>" in html
    assert 'value="en"' in html  # the switch offers English


@pytest.mark.django_db
def test_switching_to_english_changes_the_labels(territory, make_user, login):
    client = login(make_user(Role.TOWNSHIP_STAFF, "411302001"))
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert ">Home</a>" in html and ">首页</a>" not in html
    assert 'value="zh-hans"' in html  # and offers the way back

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert ">首页</a>" in client.get("/").content.decode()


@pytest.mark.django_db
def test_english_pages_have_no_chinese_left(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/no/such/page/").content.decode()
    # The product name and the name of the other language are Chinese on purpose.
    remainder = html.replace("网格治理", "").replace("简体中文", "")
    assert not CJK.findall(remainder)
