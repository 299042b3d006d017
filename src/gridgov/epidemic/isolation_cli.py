"""``gridgov epidemic follow-ups | flag-missed | release-due``: the isolation jobs cron runs.

Each runs as the system operator on the audit "cli" channel and prints what it did:

- ``follow-ups [--date D]`` creates the day's follow-up (default today) of every active
  isolation that has none yet (run it early each morning; running it again adds nothing);
- ``flag-missed [--date D | --since D]`` marks the follow-ups still due after the day's
  deadline hour as missed (default: yesterday, and today once its deadline has passed);
- ``release-due [--date D] [--code C]`` releases everyone the release rule releases.
"""

from __future__ import annotations

import argparse
import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console

from gridgov.territory.cli import _as_operator, _progress, _run


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a date YYYY-MM-DD") from None


def register(commands: argparse._SubParsersAction) -> None:
    follow_ups = commands.add_parser(
        "follow-ups", help="create the day's isolation follow-ups (idempotent; run from cron)"
    )
    follow_ups.add_argument("--date", type=_day, help="the day (default today, Asia/Shanghai)")
    follow_ups.set_defaults(func=cmd_follow_ups)

    missed = commands.add_parser(
        "flag-missed", help="mark follow-ups still due after the day's deadline hour as missed"
    )
    days = missed.add_mutually_exclusive_group()
    days.add_argument("--date", type=_day, help="one day")
    days.add_argument("--since", type=_day, help="every day from this one to today")
    missed.set_defaults(func=cmd_flag_missed)

    release = commands.add_parser(
        "release-due", help="release everyone the isolation release rule releases"
    )
    release.add_argument("--date", type=_day, help="judge as of this day (default today)")
    release.add_argument("--code", default="", help="only under this territory code")
    release.set_defaults(func=cmd_release_due)


def cmd_follow_ups(args: argparse.Namespace) -> int:
    from gridgov.epidemic import rules
    from gridgov.epidemic.actions import isolation as actions

    console = Console()
    day = args.date or rules.today()

    def body() -> int:
        with _as_operator() as operator:
            created = actions.generate_follow_ups(day, actor=operator)
        console.print(
            _("%(n)d isolation follow-ups created for %(day)s.") % {"n": created, "day": day}
        )
        return 0

    return _run(console, body)


def _missed_days(args: argparse.Namespace) -> list[dt.date]:
    """The days to judge: the one given, every day since the one given, or yesterday and
    today. A day whose deadline has not passed yet is left out."""
    from django.utils import timezone

    from gridgov.epidemic import rules
    from gridgov.epidemic.actions import isolation as actions
    from gridgov.epidemic.models import EpidemicSettings

    today = rules.today()
    if args.date:
        days = [args.date]
    elif args.since:
        days = [args.since + dt.timedelta(days=n) for n in range((today - args.since).days + 1)]
    else:
        days = [today - dt.timedelta(days=1), today]
    rules_in_force = EpidemicSettings.current()
    now = timezone.now()
    return [day for day in days if now >= actions.deadline_of(day, rules_in_force)]


def cmd_flag_missed(args: argparse.Namespace) -> int:
    from gridgov.epidemic.actions import isolation as actions

    console = Console()

    def body() -> int:
        with _as_operator() as operator:
            days = _missed_days(args)
            runs = []
            with _progress(console, _("Flagging missed follow-ups")) as progress:
                task = progress.add_task("", total=len(days))
                for day in days:
                    runs.append(actions.flag_missed_follow_ups(day, actor=operator))
                    progress.advance(task)
        for run in runs:
            console.print(
                _("%(day)s: %(n)d follow-ups missed (%(created)d created first).")
                % {"day": run.day, "n": run.flagged, "created": run.generated}
            )
        if not runs:
            console.print(_("No day's follow-up deadline has passed yet."))
        return 0

    return _run(console, body)


def cmd_release_due(args: argparse.Namespace) -> int:
    from gridgov.epidemic import rules
    from gridgov.epidemic.actions import isolation as actions

    console = Console()

    def body() -> int:
        with _as_operator() as operator:
            released = actions.release_by_rule(
                actor=operator, code=args.code, day=args.date or rules.today()
            )
        for episode in released:
            console.print(
                _("Released: %(name)s (isolation no. %(id)d, grid %(grid)s, planned end %(end)s)")
                % {
                    "name": episode.person.name,
                    "id": episode.pk,
                    "grid": episode.grid_code,
                    "end": episode.planned_end,
                }
            )
        console.print(
            ngettext(
                "%(n)d person released by the rule.",
                "%(n)d people released by the rule.",
                len(released),
            )
            % {"n": len(released)}
        )
        return 0

    return _run(console, body)
