"""The registry's commands speak the run's language (``--lang``, else ``$LANGUAGE``, else
the site's zh-hans), like every ``gridgov`` command: their messages and an import's
report."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridgov.cli import main
from gridgov.registry.tests.core_fixtures import People, keyring, people_ctx
from gridgov.registry.tests.import_helpers import good_rows, person_row, write_csv

__all__ = ["keyring", "people_ctx"]

pytestmark = pytest.mark.django_db(transaction=True)


def test_recount_in_each_language(
    people_ctx: People, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANGUAGE", raising=False)
    assert main(["registry", "recount"]) == 0  # the site's language
    assert "条人口统计" in capsys.readouterr().out
    assert main(["--lang", "en", "registry", "recount"]) == 0
    assert "population counts written" in capsys.readouterr().out
    monkeypatch.setenv("LANGUAGE", "en_US:en")
    assert main(["registry", "recount"]) == 0
    assert "population counts written" in capsys.readouterr().out


def test_an_import_reports_in_chinese(keyring: Path, capsys: pytest.CaptureFixture) -> None:
    path = write_csv(keyring / "p.csv", [*good_rows(2), person_row("坏", seq=99, phone="1")])
    assert main(["--lang", "zh-hans", "import", "people", str(path)]) == 1
    err = capsys.readouterr().err
    assert "第 4 行 · 联系电话" in err
    assert "未写入任何数据" in err and "--skip-invalid" in err
    assert main(["--lang", "zh-hans", "import", "people", str(path), "--user", "nobody"]) == 1
    assert "没有名为 nobody 的在用用户" in capsys.readouterr().err
