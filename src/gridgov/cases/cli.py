"""Subcommands of `gridgov` for cases, one group per concern.

``register`` is what ``gridgov.cli`` calls; it calls one ``register_<concern>`` function
per concern, each adding its own group (``gridgov calendar …``). Add yours beside them.
Commands that change something act as the system actor on the audit "cli" channel.

    gridgov calendar show 2027
    gridgov calendar set 2027-02-06 --holiday --name 春节
    gridgov calendar set 2027-02-14 --workday --name 春节调休上班
    gridgov calendar unset 2027-02-14
    gridgov calendar import holidays-2027.csv
    gridgov calendar deadline "2026-09-30 10:00" 3 working_days
    gridgov components import covers.csv --skip-invalid --report report.xlsx
    gridgov components export --scope 411302001 --format geojson
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gridgov.territory.cli import _as_operator, _run


def _(message: str) -> str:
    """gettext, imported late: Django is set up only once the command runs."""
    from django.utils.translation import gettext

    return gettext(message)


UNITS = ("urgent_hours", "working_hours", "working_days")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the cases app's subcommands to the `gridgov` parser."""
    register_calendar(sub)
    from gridgov.cases.workflow_cli import register_workflow

    register_workflow(sub)
    from gridgov.cases.catalogue_cli import register_catalogue

    register_catalogue(sub)  # adds to the "cases" group, so after the workflow's
    from gridgov.cases.components_cli import register_components

    register_components(sub)
    from gridgov.cases.evaluation_cli import register_evaluation

    register_evaluation(sub)


# --- calendar -----------------------------------------------------------------------------


def register_calendar(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("calendar", help="working calendar: holidays, working hours, deadlines")
    commands = parser.add_subparsers(dest="calendar_command", required=True, metavar="COMMAND")

    show = commands.add_parser("show", help="a year's holidays and adjusted working days")
    show.add_argument("year", type=int)
    show.set_defaults(func=cmd_calendar_show)

    put = commands.add_parser("set", help="rule a date in the holiday table")
    put.add_argument("date", help="YYYY-MM-DD")
    ruling = put.add_mutually_exclusive_group(required=True)
    ruling.add_argument("--holiday", action="store_true", help="a day off")
    ruling.add_argument("--workday", action="store_true", help="a working day (调休上班)")
    put.add_argument("--name", default="", help="e.g. 春节")
    put.add_argument("--note", default="", help="e.g. the State Council notice")
    put.set_defaults(func=cmd_calendar_set)

    unset = commands.add_parser("unset", help="take a date out of the holiday table")
    unset.add_argument("date", help="YYYY-MM-DD")
    unset.set_defaults(func=cmd_calendar_unset)

    imp = commands.add_parser("import", help="add days from a CSV of date,is_workday,name")
    imp.add_argument("file", type=Path)
    imp.add_argument("--note", default="", help="kept on every imported day")
    imp.set_defaults(func=cmd_calendar_import)

    due = commands.add_parser("deadline", help="when a time limit ends")
    due.add_argument("start", help='"YYYY-MM-DD HH:MM" (local time)')
    due.add_argument("amount", type=int)
    due.add_argument("unit", choices=UNITS)
    due.set_defaults(func=cmd_calendar_deadline)


def _when(moment: object) -> str:
    from gridgov.cases.calendar import local

    return local(moment).strftime("%Y-%m-%d %H:%M %a")  # type: ignore[arg-type]


def cmd_calendar_show(args: argparse.Namespace) -> int:
    from gridgov.cases.queries import calendar as queries

    console = Console()

    def body() -> int:
        with _as_operator() as system:
            view = queries.calendar_year(system, args.year)
            schedule = queries.working_hours_for(system)
        if view.warning:
            console.print(f"[yellow]{view.warning}[/yellow]")
        console.print(
            _("%(year)d: %(days)d working days; working hours %(hours)s")
            % {
                "year": view.year,
                "days": view.workday_count,
                "hours": f"{schedule.morning_start:%H:%M}-{schedule.morning_end:%H:%M}, "
                f"{schedule.afternoon_start:%H:%M}-{schedule.afternoon_end:%H:%M}",
            }
        )
        table = Table(title=_("Holidays and adjusted working days %(year)d") % {"year": view.year})
        for column in (_("Dates"), _("Days"), _("The day is"), _("Name"), _("Source")):
            table.add_column(column)
        for period in view.periods:
            dates = period.first.isoformat()
            if period.days > 1:
                dates += f" – {period.last.isoformat()}"
            table.add_row(
                dates,
                str(period.days),
                _("working day") if period.is_workday else _("day off"),
                period.name,
                _("Holiday table") if period.from_table else "",
            )
        console.print(table)
        return 0

    return _run(console, body)


def cmd_calendar_set(args: argparse.Namespace) -> int:
    from gridgov.cases.actions import calendar as actions

    console = Console()

    def body() -> int:
        with _as_operator() as system:
            row = actions.set_calendar_day(
                args.date,
                actor=system,
                is_workday=bool(args.workday),
                name=args.name,
                note=args.note,
            )
        text = (
            _("%(date)s is a working day in the holiday table.")
            if row.is_workday
            else _("%(date)s is a day off in the holiday table.")
        )
        console.print(text % {"date": row.date.isoformat()})
        return 0

    return _run(console, body)


def cmd_calendar_unset(args: argparse.Namespace) -> int:
    from gridgov.cases.actions import calendar as actions

    console = Console()

    def body() -> int:
        with _as_operator() as system:
            actions.remove_calendar_day(args.date, actor=system)
        console.print(_("%(date)s removed from the holiday table.") % {"date": args.date})
        return 0

    return _run(console, body)


def cmd_calendar_import(args: argparse.Namespace) -> int:
    from gridgov.cases.actions import calendar as actions
    from gridgov.core.errors import InvalidInput

    console = Console()

    def body() -> int:
        try:
            data = args.file.read_bytes()
        except OSError as exc:
            console.print(f"[red]{args.file}: {exc.strerror}[/red]")
            return 1
        with _as_operator() as system:
            try:
                result = actions.import_calendar_days(data, actor=system, note=args.note)
            except InvalidInput as exc:
                if "errors" not in exc.details:
                    raise
                console.print(f"[red]{exc.message}[/red]")
                for error in exc.details["errors"][:50]:
                    console.print("  " + _("Row %(row)s, %(column)s: %(reason)s") % error)
                return 1
        counts = {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        console.print(
            _("%(created)d days added, %(updated)d changed, %(unchanged)d already so.") % counts
            + f" ({result.first} – {result.last})"
        )
        return 0

    return _run(console, body)


def cmd_calendar_deadline(args: argparse.Namespace) -> int:
    import datetime as dt

    from gridgov.cases.queries import calendar as queries
    from gridgov.core.errors import InvalidInput

    console = Console()

    def body() -> int:
        try:
            start = dt.datetime.fromisoformat(args.start)
        except ValueError:
            reason = _("not a time (YYYY-MM-DD HH:MM)")
            raise InvalidInput(f"start: {reason}", fields={"start": reason}) from None
        with _as_operator() as system:
            preview = queries.deadline_preview(system, start, args.amount, args.unit)
        console.print(f"{_('Start')}: {_when(preview.start)}")
        if preview.clock_starts != preview.start:
            console.print(f"{_('Clock starts')}: {_when(preview.clock_starts)}")
        console.print(f"{_('Deadline')}: {_when(preview.deadline)}")
        for warning in preview.warnings:
            console.print(f"[yellow]{warning}[/yellow]")
        return 0

    return _run(console, body)
