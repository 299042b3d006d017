"""The language the `gridgov` command speaks: --lang, else $LANGUAGE, else the site's."""

from __future__ import annotations

import pytest
from django.utils import translation

from gridgov import cli
from gridgov.core.cli import message_language


@pytest.fixture(autouse=True)
def _no_language_in_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("LANGUAGE", raising=False)


@pytest.mark.parametrize(
    ("requested", "environment", "spoken"),
    [
        (None, None, "zh-hans"),  # the site's language
        ("en", "zh_CN:zh", "en"),  # --lang wins
        (None, "en_US:en", "en"),
        (None, "fr_FR:en", "en"),  # the first the site has
        (None, "zh_CN.UTF-8", "zh-hans"),
        (None, "C", "zh-hans"),
        ("EN_us", None, "en"),
        ("fr", None, None),  # not the site's: refused
    ],
)
def test_message_language(monkeypatch, requested, environment, spoken) -> None:
    if environment is not None:
        monkeypatch.setenv("LANGUAGE", environment)
    assert message_language(requested) == spoken


def test_site_language_is_the_default(settings) -> None:
    settings.LANGUAGE_CODE = "en"
    assert message_language() == "en"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "environment", "expected"),
    [
        ([], None, "正常：0 条事件，审计链完好。"),
        (["--lang", "en"], None, "OK: 0 events, chain intact."),
        ([], "en_US:en", "OK: 0 events, chain intact."),
        (["--lang", "zh-hans"], "en", "正常：0 条事件，审计链完好。"),
    ],
)
def test_a_command_speaks_the_chosen_language(
    capsys, monkeypatch, argv, environment, expected
) -> None:
    if environment is not None:
        monkeypatch.setenv("LANGUAGE", environment)
    before = translation.get_language()
    assert cli.main([*argv, "audit", "verify"]) == 0
    assert capsys.readouterr().out.strip() == expected
    assert translation.get_language() == before  # the caller's language is left alone


def test_an_unknown_language_is_refused(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--lang", "fr", "audit", "verify"])
    assert exited.value.code == 2
    assert "--lang fr" in capsys.readouterr().err
