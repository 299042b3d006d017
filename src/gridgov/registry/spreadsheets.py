"""Writing the registry's spreadsheets: import templates, import reports, exports.

Workbooks are written in openpyxl's write-only mode (rows stream to a temporary file, so a
large export or report costs the memory of one row); CSV is UTF-8 with a BOM so Excel on a
Chinese Windows opens it without garbling the headers.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.utils.translation import gettext as _

from gridgov.core.errors import InvalidInput
from gridgov.core.formats import CSV_TYPE, XLSX_TYPE
from gridgov.registry.columns import COLUMNS

__all__ = ["CSV_TYPE", "XLSX_TYPE", "check_format", "csv_lines", "template", "write_xlsx"]

FORMATS = ("xlsx", "csv")
BOM = "\ufeff"
# Columns Excel must keep as text: an 18-digit ID as a number loses its last digits.
TEXT_FIELDS = frozenset({"id_number", "phone", "hukou_code", "grid_code", "household_no"})


def check_format(fmt: str, formats: Sequence[str] = FORMATS) -> str:
    """``fmt`` if it is one of ``formats``; InvalidInput naming ``format`` otherwise."""
    if fmt not in formats:
        choices = _(" or ").join(formats)
        raise InvalidInput(
            _("Unknown format %(format)s; use %(choices)s.") % {"format": fmt, "choices": choices},
            fields={"format": choices},
        )
    return fmt


def _letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position + 1)


def write_xlsx(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of (title, headers, rows) sheets, streamed row by row; bold frozen headers
    and text-formatted columns for the fields Excel would otherwise turn into numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    text_headers = {c.header for c in COLUMNS if c.field in TEXT_FIELDS}
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        for position, header in enumerate(headers):
            dimension = sheet.column_dimensions[_letter(position)]
            dimension.width = max(10, min(40, 2.2 * len(str(header)) + 4))
            if header in text_headers:
                dimension.number_format = "@"
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=str(header))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append(list(row))
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        return out.read()


def csv_lines(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """CSV as UTF-8 with a BOM, yielded in chunks of about 64 KB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        if buffer.tell() > 65536:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def template(
    fmt: str = "xlsx", *, columns: Sequence[Any] = COLUMNS, sheet: str = "人口信息"
) -> bytes:
    """An import template (the people's unless other ``columns`` are given): the Chinese
    headers the importer reads, and (XLSX) a second sheet explaining each column — its
    ``header``, ``field``, ``label``, ``note`` and ``example`` — with an example."""
    check_format(fmt)
    headers = [c.header for c in columns]
    if fmt == "csv":
        return b"".join(csv_lines(headers, []))
    guide = [(c.header, c.field, str(c.label), c.note, c.example) for c in columns]
    return write_xlsx(
        [
            (sheet, headers, []),
            (
                _("How to fill in"),
                [_("column"), _("field"), _("meaning"), _("rule"), _("example")],
                guide,
            ),
        ]
    )


def report_xlsx(report: Any) -> bytes:
    """An import report (``ImportReport`` or its ``as_dict()``) as a workbook: the summary,
    then every rejected row with its row number, the file's column header and the reason."""
    if hasattr(report, "as_dict"):
        data, errors = report.as_dict(error_limit=0), report.errors
    else:
        data = dict(report)
        errors = [(e["row"], e["column"], e["reason"]) for e in data.get("errors", [])]
    summary = [
        (_("file"), data.get("file_name", "")),
        (_("mode"), data.get("mode", "")),
        (_("policy"), data.get("policy", "")),
        (_("encoding"), data.get("encoding", "")),
        (_("rows read"), data.get("read", 0)),
        (_("valid"), data.get("valid", 0)),
        (_("created"), data.get("created", 0)),
        (_("updated"), data.get("updated", 0)),
        (_("skipped"), data.get("skipped", 0)),
        (_("rejected"), data.get("rejected", 0)),
        (_("written"), _("yes") if data.get("written") else _("no, nothing was written")),
        (_("ignored columns"), "、".join(data.get("ignored_columns") or [])),
    ]
    return write_xlsx(
        [
            (_("Summary"), [_("item"), _("value")], summary),
            (_("Rejected rows"), [_("row"), _("column"), _("reason")], errors),
        ]
    )
