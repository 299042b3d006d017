"""``gridgov cases escalate``: the scheduled job that escalates overdue cases.

Added to the ``gridgov`` parser by ``register_workflow(sub)``, called from
``gridgov.cases.cli.register``. Run it from cron every few minutes (it is idempotent: a
case is escalated once per overdue period), e.g.::

    */10 * * * *  gridgov cases escalate --quiet
"""

from __future__ import annotations

import argparse
import datetime as dt

from rich.console import Console

from gridgov.territory.cli import _as_operator, _run


def register_workflow(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("cases", help="the case workflow: scheduled jobs")
    commands = parser.add_subparsers(dest="cases_command", required=True, metavar="COMMAND")
    escalate = commands.add_parser(
        "escalate", help="alert the supervisors of the owners of overdue cases (cron-able)"
    )
    escalate.add_argument(
        "--at", default="", help='"YYYY-MM-DD HH:MM" local time to judge by (default: now)'
    )
    escalate.add_argument("--quiet", action="store_true", help="print nothing when none")
    escalate.set_defaults(func=cmd_escalate)


def _moment(text: str) -> dt.datetime | None:
    from django.utils import timezone

    from gridgov.core.errors import InvalidInput

    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(fields={"at": "not a time (YYYY-MM-DD HH:MM)"}) from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def cmd_escalate(args: argparse.Namespace) -> int:
    from django.utils.translation import ngettext

    from gridgov.cases.actions import workflow as actions

    console = Console()

    def body() -> int:
        now = _moment(args.at)
        with _as_operator() as system:
            count = actions.escalate_overdue(actor=system, now=now)
        if count or not args.quiet:
            message = ngettext(
                "%(n)d overdue case escalated.", "%(n)d overdue cases escalated.", count
            )
            console.print(message % {"n": count})
        return 0

    return _run(console, body)
