"""``gridgov import people``, ``gridgov export people`` and ``gridgov jobs run``.

Registered by ``registry.cli.register``. Commands act as the system actor on the audit
"cli" channel, or as ``--user NAME`` (then that user's scope and capabilities apply).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from gridgov.territory.cli import _as_operator, _run


def register_transfers(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="import data files")
    imports = imp.add_subparsers(dest="import_command", required=True, metavar="KIND")
    people = imports.add_parser("people", help="people from a CSV (UTF-8 or GBK) or XLSX file")
    people.add_argument("file", type=Path)
    people.add_argument(
        "--mode",
        choices=("create", "update", "skip"),
        default="create",
        help="people already registered (same ID number): reject, update or skip them",
    )
    policy = people.add_mutually_exclusive_group()
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
    people.set_defaults(policy="all_or_nothing")
    people.add_argument(
        "--mapping",
        default=None,
        help='JSON {"file header": "field"} (or @file.json) for headers the importer does not know',
    )
    people.add_argument("--encoding", choices=("auto", "utf-8", "gbk", "gb18030"), default="auto")
    people.add_argument("--report", type=Path, default=None, help="write the report as XLSX")
    people.add_argument(
        "--grid-worker-scope",
        dest="scope_code",
        default="",
        metavar="CODE",
        help="accept only rows in grids under this territory code",
    )
    people.add_argument("--user", default=None, help="import as this user (default: system)")
    people.set_defaults(func=cmd_import_people)

    exp = sub.add_parser("export", help="export data files")
    exports = exp.add_subparsers(dest="export_command", required=True, metavar="KIND")
    out = exports.add_parser("people", help="the people under a territory code")
    out.add_argument("code")
    out.add_argument("-o", "--output", type=Path, default=None)
    out.add_argument("--format", choices=("xlsx", "csv"), default=None)
    out.add_argument("--reveal", action="store_true", help="full ID and phone numbers (audited)")
    out.add_argument("--user", default=None, help="export as this user (default: system)")
    out.set_defaults(func=cmd_export_people)

    jobs = sub.add_parser("jobs", help="background jobs")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="COMMAND")
    run = job_commands.add_parser("run", help="run a queued import job (started by the web)")
    run.add_argument("job_id", type=int)
    run.set_defaults(func=cmd_jobs_run)


@contextmanager
def _actor(username: str | None) -> Iterator[Any]:
    """The system actor, or the named active user, on the audit "cli" channel."""
    from gridgov.accounts.models import User
    from gridgov.core.errors import InvalidInput

    with _as_operator() as system:
        if not username:
            yield system
            return
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise InvalidInput(f"no active user {username!r}", fields={"user": "unknown"})
        yield user


def _mapping(text: str | None) -> dict[str, Any]:
    from gridgov.core.errors import InvalidInput

    if not text:
        return {}
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    try:
        mapping = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"--mapping is not JSON: {exc}", fields={"mapping": "JSON"}) from None
    return mapping


def _import_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("importing"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _rows_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def cmd_import_people(args: argparse.Namespace) -> int:
    from gridgov.registry import importers, spreadsheets

    console = Console(stderr=True)

    def body() -> int:
        options = importers.ImportOptions.parse(
            {
                "mode": args.mode,
                "policy": args.policy,
                "mapping": _mapping(args.mapping),
                "encoding": args.encoding,
                "scope_code": args.scope_code,
            }
        )
        bars: dict[str, Any] = {}

        def progress(done: int, total: int, unit: str) -> None:
            if "bar" not in bars:
                bar = (_import_progress if unit == "bytes" else _rows_progress)(console)
                bar.start()
                bars["bar"], bars["task"] = bar, bar.add_task("file", total=total or None)
            bars["bar"].update(bars["task"], completed=done, total=total or None)

        with _actor(args.user) as actor:
            try:
                report = importers.import_people(
                    args.file, actor=actor, options=options, progress=progress
                )
            finally:
                if "bar" in bars:
                    bars["bar"].stop()
        _print_report(console, report)
        if args.report:
            args.report.write_bytes(spreadsheets.report_xlsx(report))
            console.print(f"report written to {args.report}")
        return 0 if report.written else 1

    return _run(console, body)


def _print_report(console: Console, report: Any) -> None:
    table = Table(title=f"{report.file_name} ({report.encoding}, {report.seconds:.1f} s)")
    for name in report.COUNTS:
        table.add_column(name, justify="right")
    table.add_row(*(f"{n:,}" for n in report.counts().values()))
    console.print(table)
    for error in report.errors[:50]:
        console.print(f"  row {error.row} · {error.column}: {error.reason}")
    if len(report.errors) > 50:
        console.print(f"  … and {len(report.errors) - 50:,} more (see --report)")
    if report.written:
        console.print(f"[green]written[/green]: {report.grids:,} grids touched")
    else:
        console.print(
            "[red]nothing was written[/red] (all-or-nothing; fix the rows or use --skip-invalid)"
        )
    if report.ignored_columns:
        console.print(f"ignored columns: {', '.join(report.ignored_columns)}")


def cmd_export_people(args: argparse.Namespace) -> int:
    from gridgov.registry import exports

    console = Console(stderr=True)

    def body() -> int:
        fmt = args.format or (args.output.suffix.lstrip(".") if args.output else "xlsx")
        output = args.output or Path(exports.export_filename(args.code, fmt))
        with _actor(args.user) as actor:
            data = exports.export_people(actor, args.code, format=fmt, reveal=args.reveal)
            with output.open("wb") as out:
                if isinstance(data, bytes):
                    out.write(data)
                else:
                    for chunk in data:
                        out.write(chunk)
        console.print(f"written {output}")
        return 0

    return _run(console, body)


def cmd_jobs_run(args: argparse.Namespace) -> int:
    from gridgov.registry import jobs

    job = jobs.run_job(args.job_id)
    print(f"job {job.pk}: {job.state}", file=sys.stderr)
    return 0 if job.state == "done" else 1
