"""``gridgov demo``: build the demo city N市 once, create one login per role, serve it."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from gridgov.demo.builder import BuildSummary
    from gridgov.demo.users import DemoLogin


def register(sub: argparse._SubParsersAction) -> None:
    """Add this app's subcommands to the `gridgov` parser."""
    from gridgov.cli import add_serve_arguments

    demo = sub.add_parser(
        "demo", help="build the demo city N市 (南阳, 4113) once, print the logins and serve it"
    )
    demo.add_argument("--no-serve", action="store_true", help="only build, do not serve")
    demo.add_argument(
        "--full", action="store_true", help="every township in full detail (~20,000+ grids)"
    )
    demo.add_argument(
        "--seed", type=int, default=None, help="random seed of the drawing (default 2020)"
    )
    demo.add_argument(
        "--rebuild", action="store_true", help="draw the city again even if it was built"
    )
    add_serve_arguments(demo)
    demo.set_defaults(func=cmd_demo)


@contextmanager
def _progress(console: Console) -> Iterator[object]:
    """A rich progress bar per build step; yields the builder's progress callback."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, object] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)  # type: ignore[arg-type]

        yield report


def cmd_demo(args: argparse.Namespace) -> int:
    from gridgov.audit import context
    from gridgov.cli import cmd_serve, migrate
    from gridgov.core.errors import DomainError
    from gridgov.demo import builder, users

    console = Console()
    try:
        users.refuse_in_production()
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        return 1
    console.print("Applying migrations …")
    migrate()
    cli_context = context.RequestContext(request_id=context.new_request_id(), channel="cli")
    try:
        with context.bound(cli_context), _progress(console) as report:
            summary = builder.build(
                seed=args.seed,
                full=args.full,
                rebuild=args.rebuild,
                progress=report,  # type: ignore[arg-type]
            )
        with context.bound(cli_context):
            logins = users.create_demo_users()
    except builder.SeedMismatch as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        return 1
    _print_summary(console, summary)
    url = f"http://{args.host}:{args.port}/"
    _print_logins(console, logins, url)
    if args.no_serve:
        return 0
    serve_args = argparse.Namespace(
        host=args.host, port=args.port, workers=args.workers, no_migrate=True
    )
    return cmd_serve(serve_args)


def _print_summary(console: Console, summary: BuildSummary) -> None:
    counts = summary.counts
    what = (
        f"{counts['counties']} counties, {counts['townships']} townships, "
        f"{counts['communities']} communities, {counts['villages']} villages, "
        f"{counts['grids']} unit grids"
    )
    detail = "every township" if summary.full else f"{len(summary.detailed)} townships"
    if summary.built:
        console.print(
            f"[green]N市 built in {summary.seconds:.1f} s[/green] (seed {summary.seed}, "
            f"{detail} in full detail): {what}."
        )
    else:
        hint = "" if summary.full else " Add --full for every township in detail."
        console.print(
            f"N市 was already built (seed {summary.seed}, {detail} in full detail): {what}."
            f" Use --rebuild to draw it again.{hint}"
        )


def _print_logins(console: Console, logins: list[DemoLogin], url: str) -> None:
    table = Table(title=f"Demo logins — open {url}")
    for column in ("username", "password", "role", "scope", "code"):
        table.add_column(column)
    for login in logins:
        table.add_row(
            login.username, login.password, login.role, login.scope_name, login.scope_code
        )
    console.print(table)
    console.print(
        "These passwords are published: use the demo only on a machine of your own. "
        f"Log in as [bold]township[/bold] to see 东关街道 at {url}"
    )
