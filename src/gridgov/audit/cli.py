"""Subcommands of `gridgov` for the audit app."""

from __future__ import annotations

import argparse

from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def register(sub: argparse._SubParsersAction) -> None:
    """Add this app's subcommands to the `gridgov` parser."""
    audit = sub.add_parser("audit", help="audit trail maintenance")
    commands = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = commands.add_parser(
        "verify", help="check the hash chain; exit 1 at the first edited or deleted event"
    )
    verify.add_argument("--batch-size", type=int, default=5000, help="events read per query")
    verify.set_defaults(func=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    from gridgov.audit import context
    from gridgov.audit.models import AuditEvent
    from gridgov.audit.queries import verify_chain

    console = Console()
    with context.bound(context.RequestContext(request_id=context.new_request_id(), channel="cli")):
        total = AuditEvent.objects.count()
        columns = (
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        # Only on a terminal: piped output (cron, CI) gets the verdict alone.
        with Progress(
            *columns, console=console, transient=True, disable=not console.is_terminal
        ) as progress:
            task = progress.add_task(_("Verifying audit chain"), total=total)
            report = verify_chain(
                batch_size=max(1, args.batch_size),
                progress=lambda n: progress.update(task, completed=n),
            )
    if report.ok:
        verdict = _("OK: %(n)d events, chain intact.") % {"n": report.checked}
        console.print(f"[green]{verdict}[/green]", soft_wrap=True)
        return 0
    verdict = _("BROKEN at event seq %(seq)s: %(reason)s (%(n)d events before it are intact).") % {
        "seq": report.first_bad_seq,
        "reason": _(report.reason),
        "n": report.checked,
    }
    console.print(f"[red]{verdict}[/red]", soft_wrap=True)
    return 1
