"""The evaluation's subcommand, in the ``gridgov cases`` group:

    gridgov cases rebuild-evaluation [--since 2026-01-01]

Recounts the evaluation roll-ups from the cases and their events — after loading cases
from elsewhere, or to repair them (``--since``: only the days from that date on). Added
by ``register_evaluation(sub)``, called from ``gridgov.cases.cli.register``.
"""

from __future__ import annotations

import argparse
import datetime as dt

from rich.console import Console

from gridgov.cases.catalogue_cli import _cases_commands
from gridgov.territory.cli import _as_operator, _run


def register_evaluation(sub: argparse._SubParsersAction) -> None:
    commands = _cases_commands(sub)
    rebuild = commands.add_parser(
        "rebuild-evaluation",
        help="recount the evaluation roll-ups from the cases and their events",
    )
    rebuild.add_argument(
        "--since",
        type=dt.date.fromisoformat,
        default=None,
        help="only the days from this date (YYYY-MM-DD) on; default: everything",
    )
    rebuild.set_defaults(func=cmd_rebuild_evaluation)


def cmd_rebuild_evaluation(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from gridgov.cases.evaluation import rebuild_evaluation

    console = Console()

    def body() -> int:
        with (
            _as_operator(),
            Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
            ) as bar,
        ):
            tasks: dict[str, object] = {}

            def report(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=total)
                bar.update(tasks[step], completed=done, total=total)  # type: ignore[arg-type]

            summary = rebuild_evaluation(since=args.since, progress=report)
        console.print(
            f"{summary.cases} cases counted: {summary.region_rows} region rows, "
            f"{summary.person_rows} person rows ({summary.seconds:.1f} s)."
        )
        return 0

    return _run(console, body)
