"""``gridgov components import FILE``, ``gridgov components export --scope CODE`` and
``gridgov components recount``.

Added to the ``gridgov`` parser by ``register_components(sub)``, called from
``gridgov.cases.cli.register``. Commands act as the system actor on the audit "cli"
channel, or as ``--user NAME`` (then that user's scope and capabilities apply); imports
and exports share their plumbing with every app's (``gridgov.core.transfer``).
"""

from __future__ import annotations

import argparse

from django.utils.translation import ngettext
from rich.console import Console

from gridgov.core import transfer
from gridgov.territory.cli import _run


def register_components(sub: argparse._SubParsersAction) -> None:
    components = sub.add_parser("components", help="the component inventory (部件)")
    commands = components.add_subparsers(
        dest="components_command", required=True, metavar="COMMAND"
    )
    imp = commands.add_parser(
        "import", help="components from a CSV (UTF-8 or GBK), XLSX or GeoJSON file"
    )
    transfer.add_import_arguments(
        imp,
        existing="components already registered (same component ID)",
        scope_flag="--scope",
    )
    imp.set_defaults(func=cmd_import_components)

    out = commands.add_parser("export", help="the components in use under a territory code")
    out.add_argument("--scope", dest="code", required=True, metavar="CODE")
    transfer.add_export_arguments(out, ("xlsx", "csv", "geojson"))
    out.set_defaults(func=cmd_export_components)

    recount = commands.add_parser(
        "recount", help="rebuild the counts per grid, class and state (after repairs)"
    )
    recount.add_argument("grids", nargs="*", help="grid codes (default: every grid)")
    recount.set_defaults(func=cmd_recount_components)


def cmd_import_components(args: argparse.Namespace) -> int:
    from gridgov.cases.importers.components import import_components

    return transfer.run_import(args, import_components)


def cmd_export_components(args: argparse.Namespace) -> int:
    from gridgov.cases.exports import components as exports

    return transfer.run_export(
        args,
        lambda actor, fmt: exports.export_components(actor, args.code, fmt),
        lambda fmt: exports.export_filename(args.code, fmt),
    )


def cmd_recount_components(args: argparse.Namespace) -> int:
    from gridgov.cases.actions.components import recount_components

    console = Console()

    def body() -> int:
        with transfer.acting_as(None):
            rows = recount_components(args.grids or None)
        message = ngettext(
            "%(n)d component count written.", "%(n)d component counts written.", rows
        )
        console.print(message % {"n": rows})
        return 0

    return _run(console, body)
