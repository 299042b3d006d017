"""``gridgov cases seed-catalogue`` and ``gridgov cases responsibilities import/export``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from gridgov import cli
from gridgov.cases.models import CaseClass, Responsibility
from gridgov.cases.tests.catalogue_fixtures import COUNTY, SIBLING, Catalogue, cat, english, minor

__all__ = ["cat", "english"]

pytestmark = pytest.mark.django_db


def run(capsys: Any, *argv: str) -> tuple[int, str]:
    code = cli.main(["--lang", "en", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_seed_catalogue_adds_what_is_missing(capsys: Any) -> None:
    CaseClass.objects.filter(kind="component", code__in=["0604", "0605"]).delete()
    assert run(capsys, "cases", "seed-catalogue") == (0, "2 classes added to the catalogue.\n")
    assert minor("C0605").name == "电动自行车充电桩"
    assert run(capsys, "cases", "seed-catalogue")[1] == "0 classes added to the catalogue.\n"


def test_export_then_import(cat: Catalogue, capsys: Any, tmp_path: Path) -> None:
    cat.rule("E0102", COUNTY, cat.county_dept)
    cat.rule("E0102", SIBLING, cat.sibling_dept)
    path = tmp_path / "list.csv"
    code, out = run(
        capsys, "cases", "responsibilities", "export", str(path), "--user", "county_admin"
    )
    assert code == 0 and " ".join(out.split()) == f"1 row written to {path}."
    text = path.read_text(encoding="utf-8-sig")
    assert "wancheng-urban" in text and "wolong-urban" not in text

    path.write_text(text.replace("E0102", "E0103"), encoding="utf-8")
    code, out = run(
        capsys, "cases", "responsibilities", "import", str(path), "--user", "county_admin"
    )
    assert code == 0 and "written" in out
    assert Responsibility.objects.filter(case_class=minor("E0103"), region_code=COUNTY).exists()

    path.write_text(text.replace("E0102", "X0102"), encoding="utf-8")
    report = tmp_path / "report.xlsx"
    argv = ("cases", "responsibilities", "import", str(path), "--report", str(report))
    code, out = run(capsys, *argv)
    assert code == 1 and "row 2 · 类别编码" in out and "nothing was written" in out
    rejected = list(load_workbook(report).worksheets[1].iter_rows(values_only=True))
    assert rejected[1][:2] == (2, "类别编码")


def test_messages_follow_the_language_of_the_run(cat: Catalogue, capsys: Any) -> None:
    code = cli.main(["--lang", "zh-hans", "cases", "seed-catalogue"])
    assert code == 0 and "0 个类别已加入目录" in capsys.readouterr().out
    path = Path("/nonexistent/list.csv")
    assert (
        cli.main(
            [
                "--lang",
                "zh-hans",
                "cases",
                "responsibilities",
                "import",
                str(path),
                "--user",
                "nobody",
            ]
        )
        == 1
    )
    assert "没有名为 nobody 的在用用户" in capsys.readouterr().err
