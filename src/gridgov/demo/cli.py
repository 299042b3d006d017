"""``gridgov demo``: build the demo city N市 once, create one login per role, serve it."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from gridgov.demo.builder import BuildSummary
    from gridgov.demo.users import DemoLogin


def register(sub: argparse._SubParsersAction) -> None:
    """Add this app's subcommands to the `gridgov` parser."""
    from gridgov.core.cli import add_serve_arguments

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
    from gridgov.core.cli import cmd_serve, migrate
    from gridgov.core.errors import DomainError
    from gridgov.demo import builder, content, users

    console = Console()
    try:
        users.refuse_in_production()
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        return 1
    console.print(_("Applying migrations …"))
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
            logins = users.create_demo_users()
            content.seed_content(progress=report, seed=summary.seed)  # type: ignore[arg-type]
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
    what = (
        _(
            "%(counties)d counties, %(townships)d townships, %(communities)d communities, "
            "%(villages)d villages, %(grids)d unit grids"
        )
        % summary.counts
    )
    if summary.full:
        detail = _("every township")
    else:
        n = len(summary.detailed)
        detail = ngettext("%(n)d township", "%(n)d townships", n) % {"n": n}
    facts = {"seed": summary.seed, "detail": detail, "what": what}
    if summary.built:
        built = _("N市 built in %(seconds).1f s") % {"seconds": summary.seconds}
        rest = _("(seed %(seed)s, %(detail)s in full detail): %(what)s.") % facts
        console.print(f"[green]{built}[/green] {rest}")
    else:
        message = (
            _(
                "N市 was already built (seed %(seed)s, %(detail)s in full detail): %(what)s. "
                "Use --rebuild to draw it again."
            )
            % facts
        )
        if not summary.full:
            message += " " + _("Add --full for every township in detail.")
        console.print(message)


def _print_logins(console: Console, logins: list[DemoLogin], url: str) -> None:
    table = Table(title=_("Demo logins — open %(url)s") % {"url": url})
    for column in (_("username"), _("password"), _("role"), _("scope"), _("code")):
        table.add_column(column)
    for login in logins:
        table.add_row(
            login.username, login.password, login.role, login.scope_name, login.scope_code
        )
    console.print(table)
    console.print(
        _(
            "These passwords are published: use the demo only on a machine of your own. "
            "Log in as %(user)s to see 东关街道 at %(url)s"
        )
        % {"user": "[bold]township[/bold]", "url": url}
    )
