"""Screening commands of ``gridgov epidemic``, for the operator:

- ``campaign-progress ID [--code CODE]`` prints a campaign's progress under a node and by
  each of its children, from the roll-ups (what the campaign page shows);
- ``campaign-start ID`` starts a draft with a progress bar (a whole city's campaign);
- ``import-screening-list ID FILE`` adds the people of a file of ID numbers (CSV or XLSX,
  a column 公民身份号码) to a draft campaign's list and prints the row report.

They act as the system actor on the audit "cli" channel, or as ``--user NAME``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def register(commands: argparse._SubParsersAction) -> None:
    progress = commands.add_parser(
        "campaign-progress", help="a screening campaign's progress by area (from the roll-ups)"
    )
    progress.add_argument("campaign", type=int, help="the campaign's number")
    progress.add_argument("--code", default="", help="a territory node (default: the campaign's)")
    progress.add_argument("--user", default=None, help="as this user (default: system)")
    progress.set_defaults(func=cmd_progress)
    start = commands.add_parser(
        "campaign-start", help="start a draft screening campaign: one task per person targeted"
    )
    start.add_argument("campaign", type=int)
    start.add_argument("--user", default=None, help="as this user (default: system)")
    start.set_defaults(func=cmd_start)
    listing = commands.add_parser(
        "import-screening-list", help="add the people of a file of ID numbers to a draft's list"
    )
    listing.add_argument("campaign", type=int)
    listing.add_argument("file", type=Path, help="CSV (UTF-8, GBK) or XLSX, column 公民身份号码")
    listing.add_argument("--encoding", choices=("auto", "utf-8", "gbk", "gb18030"), default="auto")
    listing.add_argument(
        "--all-or-nothing", action="store_true", help="add nobody if any row is rejected"
    )
    listing.add_argument("--report", type=Path, default=None, help="write the report as XLSX")
    listing.add_argument("--user", default=None, help="as this user (default: system)")
    listing.set_defaults(func=cmd_import_list)


def _run(args: argparse.Namespace, body: Any) -> int:
    from gridgov.core.transfer import acting_as
    from gridgov.territory.cli import _run as run

    console = Console()

    def acting() -> int:
        with acting_as(args.user) as actor:
            return int(body(console, actor))

    return run(console, acting)


def cmd_progress(args: argparse.Namespace) -> int:
    from gridgov.epidemic.actions import screening as actions
    from gridgov.epidemic.queries import screening as queries

    def body(console: Console, actor: Any) -> int:
        campaign = actions.labelled(queries.get_campaign_for(actor, args.campaign))
        found = queries.progress(actor, campaign, args.code)
        title = f"{campaign.name} · {campaign.status_label} · {found.node.name}"
        table = Table(title=title)
        table.add_column(pgettext("place", "Area"))
        table.add_column(_("Code"), no_wrap=True)
        for header in (_("To screen"), _("Screened"), "%", _("Not at home"), _("Not visited")):
            table.add_column(header, justify="right")
        for row in [*found.children, found.node]:
            table.add_row(
                row.name,
                row.code,
                f"{row.tasks:,}",
                f"{row.done:,}",
                f"{row.done_percent:.1f}",
                f"{row.unreachable:,}",
                f"{row.not_visited:,}",
                end_section=row is found.children[-1] if found.children else False,
            )
        console.print(table)
        return 0

    return _run(args, body)


def cmd_start(args: argparse.Namespace) -> int:
    from gridgov.epidemic.actions import screening as actions

    def body(console: Console, actor: Any) -> int:
        columns = (TextColumn(_("tasks")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("tasks", total=None)
            campaign = actions.start_campaign(
                args.campaign,
                actor=actor,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        count = campaign.tasks.count()
        console.print(
            _("Campaign %(name)s started: %(n)s people to screen.")
            % {"name": campaign.name, "n": f"{count:,}"}
        )
        return 0

    return _run(args, body)


def cmd_import_list(args: argparse.Namespace) -> int:
    from gridgov.core.transfer import print_report
    from gridgov.epidemic.actions import screening as actions
    from gridgov.registry import spreadsheets

    def body(console: Console, actor: Any) -> int:
        report = actions.import_campaign_list(
            args.campaign,
            args.file,
            actor=actor,
            encoding=args.encoding,
            policy="all_or_nothing" if args.all_or_nothing else "skip_invalid",
        )
        print_report(console, report)
        if args.report:
            args.report.write_bytes(spreadsheets.report_xlsx(report))
            console.print(_("Report written to %(file)s.") % {"file": args.report})
        return 0 if report.written else 1

    return _run(args, body)
