"""Reading people files row by row: CSV (UTF-8 with or without BOM, GBK/GB18030) and XLSX.

Nothing loads a whole file: CSV goes through the ``csv`` module over a decoding stream,
XLSX through openpyxl's read-only mode, so a million-row file costs the memory of one row.
Rows come out as lists of stripped strings with their number as the file shows it (the
header is row 1), and the reader says how far it got for progress bars.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from gridgov.core.errors import InvalidInput

ENCODINGS = ("auto", "utf-8", "gbk", "gb18030")
SNIFF_BYTES = 1 << 20
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """An open file: its header row, its data rows, and how far reading has got."""

    kind: str  # "csv" or "xlsx"
    encoding: str  # the encoding used (CSV) or "xlsx"
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (row number in the file, cells)
    size: int  # the progress total: bytes (CSV) or rows (XLSX, 0 when unknown)
    unit: str  # "bytes" or "rows"
    _progress: Any

    def progress(self) -> int:
        """Bytes read (CSV) or rows read (XLSX) so far."""
        return int(self._progress())


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (a BOM is dropped) when the sample decodes strictly, otherwise GB18030 —
    the superset of GBK that Chinese Excel writes."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    try:
        # final=False: a character cut at the end of the sample is not an error.
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _python_encoding(name: str, sample: bytes) -> str:
    if name == "auto":
        return detect_encoding(sample)
    if name in ("utf-8", "utf8", "utf-8-sig"):
        return "utf-8-sig"
    if name in ("gbk", "gb2312", "gb18030"):
        return "gb18030"  # a superset: every GBK file decodes the same under it
    raise InvalidInput(
        _("Unknown encoding %(name)s; use one of %(names)s.")
        % {"name": name, "names": ", ".join(ENCODINGS)},
        fields={"encoding": _("unknown encoding")},
    )


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == _ZIP_MAGIC


@contextmanager
def open_table(path: str | os.PathLike[str], *, encoding: str = "auto") -> Iterator[Table]:
    """Open a CSV or XLSX file (told apart by content, not by name) for streaming."""
    path = Path(path)
    if _is_xlsx(path):
        with _open_xlsx(path) as table:
            yield table
    else:
        with _open_csv(path, encoding) as table:
            yield table


def _decode_failure(path: Path, encoding: str, exc: UnicodeDecodeError) -> InvalidInput:
    return InvalidInput(
        _(
            "The file %(file)s is not valid %(encoding)s text; save it as UTF-8 or GBK CSV, "
            "or choose the encoding."
        )
        % {"file": path.name, "encoding": encoding},
        fields={"encoding": str(exc.reason)},
    )


@contextmanager
def _open_csv(path: Path, encoding: str) -> Iterator[Table]:
    raw = path.open("rb")
    try:
        sample = raw.read(SNIFF_BYTES)
        raw.seek(0)
        chosen = _python_encoding(encoding, sample)
        text = io.TextIOWrapper(raw, encoding=chosen, newline="")
        reader = csv.reader(text, dialect=_dialect(sample, chosen))
        try:
            headers = [cell.strip() for cell in next(reader, [])]
        except UnicodeDecodeError as exc:
            raise _decode_failure(path, chosen, exc) from None
        if not any(headers):
            raise InvalidInput(_("The file is empty."), fields={"file": _("no header row")})
        yield Table(
            kind="csv",
            encoding="utf-8" if chosen == "utf-8-sig" else chosen,
            headers=headers,
            rows=_csv_rows(reader, path, chosen),
            size=path.stat().st_size,
            unit="bytes",
            _progress=raw.tell,
        )
    finally:
        raw.close()


def _dialect(sample: bytes, encoding: str) -> type[csv.Dialect]:
    """Comma-separated unless the header line is tab-separated (Excel's "Unicode text")."""
    first = sample.split(b"\n", 1)[0].decode(encoding, errors="ignore")
    return csv.excel_tab if "\t" in first and "," not in first else csv.excel


def _csv_rows(reader: Any, path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    number = 1
    try:
        for cells in reader:
            number += 1
            if any(cells):
                yield number, [cell.strip() for cell in cells]
    except UnicodeDecodeError as exc:
        raise _decode_failure(path, encoding, exc) from None
    except csv.Error as exc:
        raise InvalidInput(
            _("Row %(row)d of the file cannot be read: %(reason)s")
            % {"row": number + 1, "reason": exc},
            fields={"file": str(exc)},
        ) from None


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and openpyxl errors alike: the file is not usable
        raise InvalidInput(
            _("The file %(file)s is not a readable XLSX workbook.") % {"file": path.name},
            fields={"file": str(exc)[:200]},
        ) from None
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        headers = [cell_text(v) for v in next(values, ())]
        while headers and not headers[-1]:
            headers.pop()
        if not any(headers):
            raise InvalidInput(_("The file is empty."), fields={"file": _("no header row")})
        counter = _Counter()
        yield Table(
            kind="xlsx",
            encoding="xlsx",
            headers=headers,
            rows=_xlsx_rows(values, counter),
            size=max(int(sheet.max_row or 0) - 1, 0),
            unit="rows",
            _progress=counter.get,
        )
    finally:
        book.close()


class _Counter:
    def __init__(self) -> None:
        self.value = 0

    def get(self) -> int:
        return self.value


def _xlsx_rows(
    values: Iterator[tuple[Any, ...]], counter: _Counter
) -> Iterator[tuple[int, list[str]]]:
    for number, row in enumerate(values, start=2):
        counter.value = number - 1
        cells = [cell_text(v) for v in row]
        if any(cells):
            yield number, cells


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person typed: whole numbers without ``.0``, dates
    as ISO dates, and long numbers Excel rounded kept as it shows them (so the ID check
    reports them instead of silently accepting a changed number)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def open_binary(uploaded: Any) -> IO[bytes]:
    """The bytes of a Django UploadedFile, a path or an open binary file."""
    if isinstance(uploaded, str | os.PathLike):
        return Path(uploaded).open("rb")
    return uploaded
