"""``gridgov epidemic situations`` and ``gridgov epidemic export-contacts``.

``situations [--date DAY] [--code CODE]`` computes every community's situation of a day
(default today, Asia/Shanghai), or only those under a territory code — what cron runs
each night after midnight, so every community has its row of the day even without a case
written that day. ``export-contacts CASE_ID -o FILE`` writes a case's contact list for the
health authority (XLSX or CSV by the file's suffix), as the system or ``--user``;
``--reveal`` writes full numbers (audited).
"""

from __future__ import annotations

import argparse
import datetime as dt

from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from gridgov.core import transfer
from gridgov.territory.cli import _as_operator, _run

BATCH = 500  # communities per step of the progress bar


def register(commands: argparse._SubParsersAction) -> None:
    situations = commands.add_parser(
        "situations", help="compute each community's situation of a day (no case, cluster, spread)"
    )
    situations.add_argument(
        "--date", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)"
    )
    situations.add_argument("--code", default=None, help="only the communities under this code")
    situations.set_defaults(func=cmd_situations)
    export = commands.add_parser(
        "export-contacts", help="write a case's first- and second-degree contacts (XLSX or CSV)"
    )
    export.add_argument("case_id", type=int)
    transfer.add_export_arguments(export, ("xlsx", "csv"))
    export.add_argument("--reveal", action="store_true", help="full ID and phone numbers")
    export.set_defaults(func=cmd_export_contacts)


def cmd_situations(args: argparse.Namespace) -> int:
    from gridgov.epidemic import rules
    from gridgov.epidemic.actions import contacts as actions

    console = Console()

    def body() -> int:
        day = args.date or rules.today()
        with _as_operator():
            codes = actions.communities([args.code] if args.code else None)
            written = 0
            with Progress(
                TextColumn(_("communities")), BarColumn(), MofNCompleteColumn(), console=console
            ) as bar:
                task = bar.add_task("situations", total=len(codes))
                for start in range(0, len(codes), BATCH):
                    chunk = codes[start : start + BATCH]
                    written += actions.save_situations(actions.situations_of(chunk, [day]))
                    bar.advance(task, len(chunk))
        console.print(
            _("%(n)d community situations of %(day)s computed.")
            % {"n": written, "day": day.isoformat()}
        )
        return 0

    return _run(console, body)


def cmd_export_contacts(args: argparse.Namespace) -> int:
    from gridgov.epidemic.actions import contacts_files as files

    return transfer.run_export(
        args,
        lambda actor, fmt: files.export_contacts(
            actor, case_id=args.case_id, format=fmt, reveal=args.reveal
        ),
        lambda fmt: files.export_filename(args.case_id, "", fmt),
    )
