"""``gridgov epidemic assemble-reports`` and ``gridgov epidemic flag-missing-reports``: the
daily report jobs an operator's scheduler runs (say, assembling at 06:00 and at the
deadline hour, flagging just after it). Both act as the system operator on the audit
"cli" channel, for the day in Asia/Shanghai (``--date`` for another), for every city or
the node of ``--code``; running either again does no harm."""

from __future__ import annotations

import argparse
import time

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console
from rich.progress import TaskID

from gridgov.territory.cli import _as_operator, _progress, _run


def register(commands: argparse._SubParsersAction) -> None:
    assemble = commands.add_parser(
        "assemble-reports",
        help="assemble every unit grid's daily report of a day from the roll-ups",
    )
    _day_and_node(assemble)
    assemble.set_defaults(func=cmd_assemble_reports)
    flag = commands.add_parser(
        "flag-missing-reports",
        help="after the deadline, tell community staff which grids have not reported",
    )
    _day_and_node(flag)
    flag.set_defaults(func=cmd_flag_missing_reports)


def _day_and_node(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", default=None, help="the day, YYYY-MM-DD (default: today)")
    parser.add_argument(
        "--code", default=None, help="only under this territory code (default: every city)"
    )


def _nodes(code: str | None) -> list[str]:
    from gridgov.territory import codes
    from gridgov.territory.models import Region

    if code:
        return [code]
    return list(
        Region.objects.filter(level=codes.CITY).order_by("code").values_list("code", flat=True)
    )


def _day(value: str | None) -> object:
    from gridgov.epidemic import rules

    return value or rules.today()


def cmd_assemble_reports(args: argparse.Namespace) -> int:
    from gridgov.epidemic.actions import reports

    console = Console()

    def body() -> int:
        started = time.perf_counter()
        grids = written = 0
        with _as_operator() as actor:
            for node in _nodes(args.code):
                with _progress(console, _("Daily reports of %(code)s") % {"code": node}) as bar:
                    task = bar.add_task(node, total=None)

                    def advance(n: int, total: int, task: TaskID = task) -> None:
                        bar.update(task, completed=n, total=total)

                    done = reports.assemble_reports(
                        _day(args.date), actor=actor, code=node, progress=advance
                    )
                grids += done.grids
                written += done.written
        console.print(
            _(
                "%(written)d daily reports assembled or refreshed for %(grids)d unit grids "
                "in %(seconds).1f s (confirmed reports keep their figures)."
            )
            % {"written": written, "grids": grids, "seconds": time.perf_counter() - started}
        )
        return 0

    return _run(console, body)


def cmd_flag_missing_reports(args: argparse.Namespace) -> int:
    from gridgov.epidemic.actions import reports

    console = Console()

    def body() -> int:
        with _as_operator() as actor:
            for node in _nodes(args.code):
                done = reports.flag_missing_reports(_day(args.date), actor=actor, code=node)
                if not done.overdue:
                    console.print(
                        _("%(day)s: the report deadline has not passed yet; nothing is missing.")
                        % {"day": done.day}
                    )
                    continue
                console.print(
                    _(
                        "%(day)s, %(code)s: %(grids)d unit grids in %(communities)d communities "
                        "have not reported."
                    )
                    % {
                        "day": done.day,
                        "code": node,
                        "grids": done.missing_grids,
                        "communities": done.communities,
                    }
                    + " "
                    + ngettext(
                        "%(n)d message sent to community staff (those told before are not "
                        "told again).",
                        "%(n)d messages sent to community staff (those told before are not "
                        "told again).",
                        done.messages,
                    )
                    % {"n": done.messages}
                )
        return 0

    return _run(console, body)
