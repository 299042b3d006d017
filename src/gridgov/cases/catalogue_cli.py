"""The catalogue's subcommands, in the ``gridgov cases`` group:

    gridgov cases seed-catalogue
    gridgov cases responsibilities export list.xlsx [--scope 411302]
    gridgov cases responsibilities import list.xlsx [--skip-invalid] [--report r.xlsx]

Added by ``register_catalogue(sub)``, called from ``gridgov.cases.cli.register`` after the
workflow's group exists (it adds to that group, or creates it). Commands act as the system
actor on the audit "cli" channel, or as ``--user NAME`` with that user's scope; the import
shares its options, progress and report with every app's (``gridgov.core.transfer``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from django.utils.translation import ngettext
from rich.console import Console

from gridgov.core import transfer
from gridgov.territory.cli import _run


def _cases_commands(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The subcommands of ``gridgov cases``, shared by the concerns that add to it."""
    parser = sub.choices.get("cases")
    if parser is None:
        parser = sub.add_parser("cases", help="case management: catalogue and scheduled jobs")
        return parser.add_subparsers(dest="cases_command", required=True, metavar="COMMAND")
    # argparse keeps a parser's subcommands as an action of this (private) type.
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def register_catalogue(sub: argparse._SubParsersAction) -> None:
    commands = _cases_commands(sub)
    seed = commands.add_parser(
        "seed-catalogue",
        help="add the standard component and event classes that are missing (never "
        "changes existing ones)",
    )
    seed.set_defaults(func=cmd_seed_catalogue)

    duties = commands.add_parser("responsibilities", help="the responsibility list (权责清单)")
    actions = duties.add_subparsers(dest="responsibilities_command", required=True)
    export = actions.add_parser("export", help="write the list to an XLSX or CSV file")
    export.add_argument("file", type=Path, help="…/list.xlsx or …/list.csv")
    export.add_argument("--scope", default="", help="only the rows that apply at this code")
    export.add_argument("--user", help="export as this user (default: the system)")
    export.set_defaults(func=cmd_export_responsibilities)
    imp = actions.add_parser("import", help="add or change rows from an XLSX or CSV file")
    transfer.add_import_arguments(imp, mapping=False)
    imp.set_defaults(func=cmd_import_responsibilities)


def cmd_seed_catalogue(args: argparse.Namespace) -> int:
    from gridgov.cases.actions import catalogue as actions

    console = Console()

    def body() -> int:
        with transfer.acting_as(None) as system:
            added = actions.seed_catalogue(actor=system)
        message = ngettext(
            "%(n)d class added to the catalogue.", "%(n)d classes added to the catalogue.", added
        )
        console.print(message % {"n": added})
        return 0

    return _run(console, body)


def cmd_export_responsibilities(args: argparse.Namespace) -> int:
    from gridgov.cases.queries import catalogue as queries

    console = Console(stderr=True)

    def body() -> int:
        fmt = "csv" if args.file.suffix.lower() == ".csv" else "xlsx"
        with transfer.acting_as(args.user) as user:
            queries.require_responsibility_reader(user)
            rows = queries.search_responsibilities(user, region_code=args.scope)
            count = rows.count()
            _name, content = queries.responsibility_export(rows, fmt)
        transfer.write_file(args.file, content)
        message = ngettext(
            "%(n)d row written to %(file)s.", "%(n)d rows written to %(file)s.", count
        )
        console.print(message % {"n": count, "file": args.file})
        return 0

    return _run(console, body)


def cmd_import_responsibilities(args: argparse.Namespace) -> int:
    from gridgov.cases.actions import catalogue as actions

    return transfer.run_import(args, actions.import_responsibility_file)
