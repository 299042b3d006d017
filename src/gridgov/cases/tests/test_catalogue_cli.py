"""``gridgov cases seed-catalogue`` and ``gridgov cases responsibilities import/export``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
    assert run(capsys, "cases", "seed-catalogue") == (0, "2 class(es) added to the catalogue.\n")
    assert minor("C0605").name == "电动自行车充电桩"
    assert run(capsys, "cases", "seed-catalogue")[1] == "0 class(es) added to the catalogue.\n"


def test_export_then_import(cat: Catalogue, capsys: Any, tmp_path: Path) -> None:
    cat.rule("E0102", COUNTY, cat.county_dept)
    cat.rule("E0102", SIBLING, cat.sibling_dept)
    path = tmp_path / "list.csv"
    code, out = run(
        capsys, "cases", "responsibilities", "export", str(path), "--user", "county_admin"
    )
    assert code == 0 and " ".join(out.split()) == f"1 row(s) written to {path}."
    text = path.read_text(encoding="utf-8-sig")
    assert "wancheng-urban" in text and "wolong-urban" not in text

    path.write_text(text.replace("E0102", "E0103"), encoding="utf-8")
    code, out = run(
        capsys, "cases", "responsibilities", "import", str(path), "--user", "county_admin"
    )
    assert code == 0 and "written" in out
    assert Responsibility.objects.filter(case_class=minor("E0103"), region_code=COUNTY).exists()

    path.write_text(text.replace("E0102", "X0102"), encoding="utf-8")
    code, out = run(capsys, "cases", "responsibilities", "import", str(path))
    assert code == 1 and "row 2 · 类别编码" in out and "nothing was written" in out
