"""``gridgov components import FILE``, ``gridgov components export --scope CODE`` and
``gridgov components recount``.

Added to the ``gridgov`` parser by ``register_components(sub)``, called from
``gridgov.cases.cli.register``. Commands act as the system actor on the audit "cli"
channel, or as ``--user NAME`` (then that user's scope and capabilities apply); they
share the registry's command plumbing (actor, mapping, progress bars, report printing).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from gridgov.registry.transfer_cli import (
    _actor,
    _import_progress,
    _mapping,
    _print_report,
    _rows_progress,
)
from gridgov.territory.cli import _run


def register_components(sub: argparse._SubParsersAction) -> None:
    components = sub.add_parser("components", help="the component inventory (部件)")
    commands = components.add_subparsers(
        dest="components_command", required=True, metavar="COMMAND"
    )
    imp = commands.add_parser(
        "import", help="components from a CSV (UTF-8 or GBK), XLSX or GeoJSON file"
    )
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--mode",
        choices=("create", "update", "skip"),
        default="create",
        help="components already registered (same component ID): reject, update or skip them",
    )
    policy = imp.add_mutually_exclusive_group()
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
    imp.set_defaults(policy="all_or_nothing")
    imp.add_argument(
        "--mapping",
        default=None,
        help='JSON {"file header": "field"} (or @file.json) for headers the importer does not know',
    )
    imp.add_argument("--encoding", choices=("auto", "utf-8", "gbk", "gb18030"), default="auto")
    imp.add_argument("--report", type=Path, default=None, help="write the report as XLSX")
    imp.add_argument(
        "--scope",
        dest="scope_code",
        default="",
        metavar="CODE",
        help="accept only rows in grids under this territory code",
    )
    imp.add_argument("--user", default=None, help="import as this user (default: system)")
    imp.set_defaults(func=cmd_import_components)

    out = commands.add_parser("export", help="the components in use under a territory code")
    out.add_argument("--scope", dest="code", required=True, metavar="CODE")
    out.add_argument("--format", choices=("csv", "xlsx", "geojson"), default=None)
    out.add_argument("-o", "--output", type=Path, default=None)
    out.add_argument("--user", default=None, help="export as this user (default: system)")
    out.set_defaults(func=cmd_export_components)

    recount = commands.add_parser(
        "recount", help="rebuild the counts per grid, class and state (after repairs)"
    )
    recount.add_argument("grids", nargs="*", help="grid codes (default: every grid)")
    recount.set_defaults(func=cmd_recount_components)


def cmd_import_components(args: argparse.Namespace) -> int:
    from gridgov.cases.importers.components import import_components
    from gridgov.registry import spreadsheets
    from gridgov.registry.importers import ImportOptions

    console = Console(stderr=True)

    def body() -> int:
        options = ImportOptions.parse(
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
                report = import_components(
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


def cmd_export_components(args: argparse.Namespace) -> int:
    from gridgov.cases.exports import components as exports

    console = Console(stderr=True)

    def body() -> int:
        fmt = args.format or (args.output.suffix.lstrip(".") if args.output else "xlsx")
        output = args.output or Path(exports.export_filename(args.code, fmt))
        with _actor(args.user) as actor:
            data = exports.export_components(actor, args.code, fmt)
            with output.open("wb") as out:
                if isinstance(data, bytes):
                    out.write(data)
                else:
                    for chunk in data:
                        out.write(chunk)
        console.print(f"written {output}")
        return 0

    return _run(console, body)


def cmd_recount_components(args: argparse.Namespace) -> int:
    from gridgov.cases.actions.components import recount_components

    console = Console()

    def body() -> int:
        with _actor(None):
            rows = recount_components(args.grids or None)
        console.print(f"{rows} component counts written.")
        return 0

    return _run(console, body)
