"""Helpers of the import, export and job tests: people files written the way Excel does."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gridgov.registry.columns import COLUMNS
from gridgov.registry.tests.core_fixtures import GRID, GRID_2, make_id_number

HEADERS = ["姓名", "性别", "出生日期", "公民身份号码", "联系电话", "网格编码", "居住类型"]


def person_row(
    name: str = "张伟",
    *,
    sex: str = "男",
    born: dt.date = dt.date(1980, 5, 17),
    seq: int = 123,
    phone: str = "13838001234",
    grid: str = GRID,
    residence: str = "户籍",
    id_number: str | None = None,
) -> list[str]:
    number = id_number if id_number is not None else make_id_number(born=born, seq=seq)
    return [name, sex, born.isoformat(), number, phone, grid, residence]


def good_rows(n: int, start: int = 1) -> list[list[str]]:
    """``n`` valid people with distinct ID numbers (odd sequences: men), in two grids."""
    return [
        person_row(f"居民{i}", seq=2 * i + 1, grid=GRID if i % 2 else GRID_2)
        for i in range(start, start + n)
    ]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    headers: Sequence[str] = HEADERS,
    encoding: str = "utf-8-sig",
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(
    path: Path, rows: Sequence[Sequence[Any]], *, headers: Sequence[str] = HEADERS
) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def all_headers() -> list[str]:
    return [c.header for c in COLUMNS]
