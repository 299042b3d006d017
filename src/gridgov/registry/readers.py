"""Reading people files piece by piece: CSV (UTF-8 with or without BOM, GBK/GB18030) and XLSX.

Nothing loads a whole file. A file is read as a stream of *pieces* (``Table.pieces``),
each a few thousand rows, which ``rows_of`` turns into ``(row number, cells)``: the row
number as the file shows it (the header is row 1), cells as stripped strings.

- CSV pieces are raw byte blocks cut after a complete record (a line break outside
  quotes), so a piece can be decoded and parsed anywhere — in another process too — and
  its first row number is known from the record count of the pieces before it. The
  encoding is detected from the first megabyte: strict UTF-8, else GB18030 (the superset
  of the GBK that Chinese Excel writes).
- XLSX pieces are lists of rows read through openpyxl's read-only mode.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.utils.translation import gettext as _

from gridgov.core.errors import InvalidInput

ENCODINGS = ("auto", "utf-8", "gbk", "gb18030")
SNIFF_BYTES = 1 << 20
BLOCK_BYTES = 1 << 21  # a CSV piece: about 10,000 rows of a people file
XLSX_PIECE_ROWS = 5000
_ZIP_MAGIC = b"PK\x03\x04"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_QUOTED = re.compile(rb'"[^"]*"')

Rows = list[tuple[int, list[str]]]
# ("csv", first row number, bytes, encoding, delimiter) or ("rows", rows): picklable.
Piece = tuple[Any, ...]


@dataclass
class Table:
    """An open file: its header row, its pieces, and how far reading has got."""

    kind: str  # "csv" or "xlsx"
    encoding: str  # the encoding used (CSV) or "xlsx"
    headers: list[str]
    pieces: Iterator[Piece]
    size: int  # the progress total: bytes (CSV) or rows (XLSX, 0 when unknown)
    unit: str  # "bytes" or "rows"
    _progress: Any

    def progress(self) -> int:
        """Bytes read (CSV) or rows read (XLSX) so far."""
        return int(self._progress())

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Every data row in order (for callers that do not need pieces)."""
        for piece in self.pieces:
            yield from rows_of(piece)


def rows_of(piece: Piece) -> Rows:
    """The (row number, cells) of a piece; empty rows are left out, numbers still count."""
    if piece[0] == "rows":
        return piece[1]
    _kind, number, data, encoding, delimiter = piece
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad_row = number + data[: exc.start].count(b"\n")
        raise _decode_failure(encoding, exc, bad_row) from None
    rows: Rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            if any(cells):
                rows.append((number, [cell.strip() for cell in cells]))
            number += 1
    except csv.Error as exc:
        raise InvalidInput(
            _("Row %(row)d of the file cannot be read: %(reason)s")
            % {"row": number, "reason": exc},
            fields={"file": str(exc)},
        ) from None
    return rows


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (a BOM is dropped) when the sample decodes strictly, otherwise GB18030 —
    the superset of GBK that Chinese Excel writes."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    try:
        # final=False: a character cut at the end of the sample is not an error.
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _python_encoding(name: str, sample: bytes) -> str:
    if sample.startswith(_UTF16_BOMS):
        raise InvalidInput(
            _("The file is UTF-16 text; save it from Excel as CSV (UTF-8) or CSV instead."),
            fields={"encoding": "UTF-16"},
        )
    if name == "auto":
        return detect_encoding(sample)
    if name in ("utf-8", "utf8", "utf-8-sig"):
        return "utf-8"
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


def _decode_failure(encoding: str, exc: UnicodeDecodeError, row: int) -> InvalidInput:
    return InvalidInput(
        _(
            "Row %(row)d is not valid %(encoding)s text; save the file as UTF-8 or GBK CSV, "
            "or choose the encoding."
        )
        % {"row": row, "encoding": encoding},
        fields={"encoding": str(exc.reason)},
    )


# --- CSV ----------------------------------------------------------------------------------


def _cut(data: bytes, *, first: bool = False) -> int:
    """Where the last (or, ``first=True``, the first) complete record of ``data`` ends:
    just after a line break with an even number of quotes before it; 0 if none does."""
    find = data.find if first else data.rfind
    pos = find(b"\n")
    while pos >= 0:
        if data.count(b'"', 0, pos) % 2 == 0:
            return pos + 1
        pos = data.find(b"\n", pos + 1) if first else data.rfind(b"\n", 0, pos)
    return 0


def _records(block: bytes) -> int:
    """Records in a block of complete records: line breaks outside quoted fields."""
    if b'"' in block:
        block = _QUOTED.sub(b"", block)
    return block.count(b"\n")


def _csv_pieces(
    raw: BinaryIO, rest: bytes, number: int, encoding: str, delimiter: str
) -> Iterator[Piece]:
    carry = rest
    while True:
        data = raw.read(BLOCK_BYTES)
        if not data:
            if carry.strip():
                yield ("csv", number, carry, encoding, delimiter)
            return
        buffer = carry + data
        cut = _cut(buffer)
        if not cut:
            carry = buffer  # one record longer than a block: read on
            continue
        block, carry = buffer[:cut], buffer[cut:]
        yield ("csv", number, block, encoding, delimiter)
        number += _records(block)


@contextmanager
def _open_csv(path: Path, encoding: str) -> Iterator[Table]:
    with path.open("rb") as raw:
        sample = raw.read(SNIFF_BYTES)
        chosen = _python_encoding(encoding, sample)
        start = len(codecs.BOM_UTF8) if sample.startswith(codecs.BOM_UTF8) else 0
        header_end = _cut(sample[start:], first=True) or len(sample) - start
        header_bytes = sample[start : start + header_end]
        try:
            header_text = header_bytes.decode(chosen)
        except UnicodeDecodeError as exc:
            raise _decode_failure(chosen, exc, 1) from None
        delimiter = "\t" if "\t" in header_text and "," not in header_text else ","
        header_row = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter), [])
        headers = [cell.strip() for cell in header_row]
        if not any(headers):
            raise InvalidInput(_("The file is empty."), fields={"file": _("no header row")})
        rest = sample[start + header_end :]
        yield Table(
            kind="csv",
            encoding=chosen,
            headers=headers,
            pieces=_csv_pieces(raw, rest, 2, chosen, delimiter),
            size=path.stat().st_size,
            unit="bytes",
            _progress=raw.tell,
        )


# --- XLSX ---------------------------------------------------------------------------------


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
            pieces=_xlsx_pieces(values, counter),
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


def _xlsx_pieces(values: Iterator[tuple[Any, ...]], counter: _Counter) -> Iterator[Piece]:
    rows: Rows = []
    for number, row in enumerate(values, start=2):
        counter.value = number - 1
        cells = [cell_text(v) for v in row]
        if any(cells):
            rows.append((number, cells))
            if len(rows) >= XLSX_PIECE_ROWS:
                yield ("rows", rows)
                rows = []
    if rows:
        yield ("rows", rows)


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
