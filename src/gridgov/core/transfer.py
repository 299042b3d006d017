"""What every import and export command shares: who acts, the options of an import, its
progress bar and report, the file an export writes.

Used by ``gridgov import people`` / ``export people`` (registry), ``gridgov components
import`` / ``export`` and ``gridgov cases responsibilities import`` / ``export``. A
command acts as the system actor on the audit "cli" channel, or as ``--user NAME`` (then
that user's scope and capabilities apply). Messages go through gettext, so they follow the
run's language (``gridgov --lang``).

Core depends on no app when it is imported: the pieces of other apps (the operator
context, the user model, the import options and report workbook of the import framework)
are imported when a command runs, as every command does once Django is set up.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

ERRORS_SHOWN = 50
Importer = Callable[..., Any]  # (path, *, actor, options, progress) -> ImportReport


# --- who acts -----------------------------------------------------------------------------


@contextmanager
def acting_as(username: str | None) -> Iterator[Any]:
    """The system actor, or the named active user, on the audit "cli" channel."""
    from gridgov.accounts.models import User
    from gridgov.core.errors import InvalidInput
    from gridgov.territory.cli import _as_operator

    with _as_operator() as system:
        if not username:
            yield system
            return
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            reason = _("no active user of this name")
            message = _("No active user %(name)s.") % {"name": username}
            raise InvalidInput(message, fields={"user": reason})
        yield user


# --- import options -----------------------------------------------------------------------


def parse_mapping(text: str | None) -> dict[str, Any]:
    """A column mapping given as JSON ``{"file header": "field"}`` (the API's ``mapping``
    and the commands' ``--mapping``); InvalidInput naming ``mapping`` otherwise."""
    from gridgov.core.errors import InvalidInput

    if not (text or "").strip():
        return {}
    try:
        mapping = json.loads(str(text))
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict):
        reason = _('a JSON object {"column in the file": "field"}')
        message = _("mapping: %(reason)s") % {"reason": reason}
        raise InvalidInput(message, fields={"mapping": reason})
    return mapping


def _mapping_option(text: str | None) -> dict[str, Any]:
    """``--mapping``: JSON, or ``@file.json`` naming a file of it."""
    if text and text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    return parse_mapping(text)


def add_import_arguments(
    parser: argparse.ArgumentParser,
    *,
    existing: str = "",
    scope_flag: str = "",
    mapping: bool = True,
) -> None:
    """The options of an import command after its FILE: what to do with rows already
    registered (``existing`` says what they are; none when empty), the policy for bad rows,
    a column mapping, the CSV encoding, ``--report``, a scope (``scope_flag``) and --user."""
    parser.add_argument("file", type=Path)
    if existing:
        parser.add_argument(
            "--mode",
            choices=("create", "update", "skip"),
            default="create",
            help=f"{existing}: reject, update or skip them",
        )
    policy = parser.add_mutually_exclusive_group()
    policy.add_argument(
        "--all-or-nothing",
        dest="policy",
        action="store_const",
        const="all_or_nothing",
        help="any rejected row and nothing is written (default)",
    )
    policy.add_argument(
        "--skip-invalid",
        dest="policy",
        action="store_const",
        const="skip_invalid",
        help="write the valid rows, report the rejected ones",
    )
    parser.set_defaults(policy="all_or_nothing", mode="create", mapping=None, scope_code="")
    if mapping:
        parser.add_argument(
            "--mapping",
            default=None,
            help='JSON {"file header": "field"} (or @file.json) for headers the importer '
            "does not know",
        )
    parser.add_argument("--encoding", choices=("auto", "utf-8", "gbk", "gb18030"), default="auto")
    parser.add_argument("--report", type=Path, default=None, help="write the report as XLSX")
    if scope_flag:
        parser.add_argument(
            scope_flag,
            dest="scope_code",
            default="",
            metavar="CODE",
            help="accept only rows in grids under this territory code",
        )
    parser.add_argument("--user", default=None, help="import as this user (default: system)")


def import_options(args: argparse.Namespace) -> Any:
    """The ``ImportOptions`` of the parsed command line (InvalidInput names a bad one)."""
    from gridgov.registry.importers import ImportOptions

    return ImportOptions.parse(
        {
            "mode": args.mode,
            "policy": args.policy,
            "mapping": _mapping_option(args.mapping),
            "encoding": args.encoding,
            "scope_code": args.scope_code,
        }
    )


# --- running an import --------------------------------------------------------------------


@contextmanager
def progress_bar(console: Console) -> Iterator[Callable[[int, int, str], None]]:
    """An importer's ``progress(done, total, unit)`` drawn as a bar: bytes while the file
    is read, then rows. The bar appears with the first call and is closed at the end."""
    bars: dict[str, Any] = {}

    def progress(done: int, total: int, unit: str) -> None:
        if "bar" not in bars:
            bar = Progress(*_columns(unit), console=console, transient=False)
            bar.start()
            bars["bar"], bars["task"] = bar, bar.add_task("file", total=total or None)
        bars["bar"].update(bars["task"], completed=done, total=total or None)

    try:
        yield progress
    finally:
        if "bar" in bars:
            bars["bar"].stop()


def _columns(unit: str) -> list[ProgressColumn]:
    label = TextColumn(_("importing"))
    if unit == "bytes":
        return [
            label,
            BarColumn(),
            TaskProgressColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
    return [label, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]


def run_import(args: argparse.Namespace, importer: Importer) -> int:
    """An import command: ``importer(args.file, actor=, options=, progress=)`` as the
    command's actor, its report printed (and written as XLSX with ``--report``). Exit 0
    when something was written, 1 when nothing was or the import was refused."""
    from gridgov.registry import spreadsheets
    from gridgov.territory.cli import _run

    console = Console(stderr=True)

    def body() -> int:
        options = import_options(args)
        with acting_as(args.user) as actor, progress_bar(console) as progress:
            report = importer(args.file, actor=actor, options=options, progress=progress)
        print_report(console, report)
        if args.report:
            args.report.write_bytes(spreadsheets.report_xlsx(report))
            console.print(_("Report written to %(file)s.") % {"file": args.report})
        return 0 if report.written else 1

    return _run(console, body)


def _count_labels() -> dict[str, str]:
    return {
        "read": _("read"),
        "valid": _("valid"),
        "created": _("created"),
        "updated": _("updated"),
        "skipped": _("skipped"),
        "rejected": _("rejected"),
    }


def print_report(console: Console, report: Any) -> None:
    """An ``ImportReport``: the counts, the first rejected rows, what was written."""
    title = _("%(file)s (%(encoding)s, %(seconds).1f s)") % {
        "file": report.file_name,
        "encoding": report.encoding,
        "seconds": report.seconds,
    }
    table = Table(title=title)
    labels = _count_labels()
    counts = report.counts()
    for name in counts:
        table.add_column(labels.get(name, name), justify="right")
    table.add_row(*(f"{n:,}" for n in counts.values()))
    console.print(table)
    for error in report.errors[:ERRORS_SHOWN]:
        where = _("row %(row)d · %(column)s") % {"row": error.row, "column": error.column}
        console.print(f"  {where}: {error.reason}", markup=False)
    hidden = len(report.errors) - ERRORS_SHOWN
    if hidden > 0:
        more = _("… and %(n)s more (see --report)") % {"n": f"{hidden:,}"}
        console.print(f"  {more}")
    if report.written:
        grids = getattr(report, "grids", 0)
        label = _("written")
        touched = ngettext("%(n)s grid touched", "%(n)s grids touched", grids)
        console.print(f"[green]{label}[/green]: " + touched % {"n": f"{grids:,}"})
    else:
        label = _("nothing was written")
        why = _("all or nothing; fix the rows or use --skip-invalid")
        console.print(f"[red]{label}[/red] ({why})")
    if report.ignored_columns:
        columns = ", ".join(report.ignored_columns)
        console.print(_("Columns not read: %(columns)s") % {"columns": columns}, markup=False)


# --- exports ------------------------------------------------------------------------------


def add_export_arguments(parser: argparse.ArgumentParser, formats: Iterable[str]) -> None:
    """``-o FILE``, ``--format`` (default: the file's suffix, else the first format) and
    ``--user`` of an export command."""
    parser.add_argument("-o", "--output", type=Path, default=None)
    parser.add_argument("--format", choices=tuple(formats), default=None)
    parser.add_argument("--user", default=None, help="export as this user (default: system)")


def export_format(args: argparse.Namespace, default: str = "xlsx") -> str:
    """``--format``, else the output file's suffix, else ``default``."""
    return args.format or (args.output.suffix.lstrip(".") if args.output else default)


def write_file(path: Path, content: bytes | Iterable[bytes]) -> None:
    """Bytes, or chunks of them as a streamed export yields them, into ``path``."""
    with path.open("wb") as out:
        if isinstance(content, bytes):
            out.write(content)
        else:
            for chunk in content:
                out.write(chunk)


def run_export(
    args: argparse.Namespace,
    export: Callable[[Any, str], bytes | Iterable[bytes]],
    filename: Callable[[str], str],
) -> int:
    """An export command: ``export(actor, format)`` as the command's actor, written to
    ``-o`` or to ``filename(format)`` in the current folder."""
    from gridgov.territory.cli import _run

    console = Console(stderr=True)

    def body() -> int:
        fmt = export_format(args)
        output = args.output or Path(filename(fmt))
        with acting_as(args.user) as actor:
            write_file(output, export(actor, fmt))
        console.print(_("Written %(file)s.") % {"file": output})
        return 0

    return _run(console, body)
