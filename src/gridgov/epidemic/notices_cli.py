"""``gridgov epidemic notice-reach ID`` prints a notice's reach per area (from the
roll-ups, as its page shows it); ``gridgov epidemic notice-links ID --out FILE`` writes
the phone number and link of every resident who has not read it yet, for the city's
text-message gateway (full numbers: audited). Both act as the system operator on the
audit "cli" channel."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from rich.console import Console
from rich.table import Table

from gridgov.territory.cli import _as_operator, _run


def register(commands: argparse._SubParsersAction) -> None:
    reach = commands.add_parser("notice-reach", help="a notice's reach per area")
    reach.add_argument("notice_id", type=int)
    reach.add_argument("--code", default="", help="an area under the notice's (default: its own)")
    reach.set_defaults(func=cmd_notice_reach)
    links = commands.add_parser(
        "notice-links",
        help="phone numbers and links of the residents who have not read a notice (CSV)",
    )
    links.add_argument("notice_id", type=int)
    links.add_argument("--out", required=True, help="the CSV file to write (UTF-8)")
    links.add_argument(
        "--base-url", default="", help="the site's public address, e.g. https://gridgov.example.cn"
    )
    links.set_defaults(func=cmd_notice_links)


def _row(table: Table, row: Any, label: str) -> None:
    table.add_row(
        label,
        str(row.recipients),
        str(row.reached),
        f"{row.percent:.0f}%",
        str(row.door_pending),
        f"{row.staff_reached}/{row.staff}",
    )


def cmd_notice_reach(args: argparse.Namespace) -> int:
    from gridgov.epidemic.queries import notices as queries

    console = Console()

    def body() -> int:
        with _as_operator() as actor:
            notice = queries.get_notice_for(actor, args.notice_id)
            found = queries.reach(actor, notice, args.code)
        table = Table(title=f"{notice.title} · {found.node.name} ({found.node.code})")
        table.add_column(pgettext("region", "Area"))
        for heading in (_("Recipients"), _("Reached"), "%"):
            table.add_column(heading, justify="right")
        table.add_column(_("Door to door left"), justify="right")
        table.add_column(_("Staff read"), justify="right")
        for row in found.children:
            _row(table, row, f"{row.name} ({row.code})")
        if found.own:
            _row(table, found.own, _("Staff of %(place)s itself") % {"place": found.own.name})
        _row(table, found.node, _("Total"))
        console.print(table)
        return 0

    return _run(console, body)


def cmd_notice_links(args: argparse.Namespace) -> int:
    from gridgov.epidemic.actions import notices as actions

    console = Console()

    def body() -> int:
        with _as_operator() as actor:
            links = actions.reveal_notice_links(args.notice_id, actor=actor)
        base = args.base_url.rstrip("/")
        with Path(args.out).open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["phone", "link"])
            writer.writerows([link.phone, base + link.path] for link in links)
        console.print(_("%(n)d links written to %(file)s.") % {"n": len(links), "file": args.out})
        return 0

    return _run(console, body)
