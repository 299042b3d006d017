"""``gridgov import people``, ``gridgov export people`` and ``gridgov jobs run``.

Registered by ``registry.cli.register``. Commands act as the system actor on the audit
"cli" channel, or as ``--user NAME`` (then that user's scope and capabilities apply); the
plumbing they share with the other apps' imports and exports is ``gridgov.core.transfer``.
"""

from __future__ import annotations

import argparse
import sys

from django.utils.translation import gettext as _

from gridgov.core import transfer


def register_transfers(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="import data files")
    imports = imp.add_subparsers(dest="import_command", required=True, metavar="KIND")
    people = imports.add_parser("people", help="people from a CSV (UTF-8 or GBK) or XLSX file")
    transfer.add_import_arguments(
        people,
        existing="people already registered (same ID number)",
        scope_flag="--grid-worker-scope",
    )
    people.set_defaults(func=cmd_import_people)

    exp = sub.add_parser("export", help="export data files")
    exports = exp.add_subparsers(dest="export_command", required=True, metavar="KIND")
    out = exports.add_parser("people", help="the people under a territory code")
    out.add_argument("code")
    transfer.add_export_arguments(out, ("xlsx", "csv"))
    out.add_argument("--reveal", action="store_true", help="full ID and phone numbers (audited)")
    out.set_defaults(func=cmd_export_people)

    jobs = sub.add_parser("jobs", help="background jobs")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="COMMAND")
    run = job_commands.add_parser("run", help="run a queued import job (started by the web)")
    run.add_argument("job_id", type=int)
    run.set_defaults(func=cmd_jobs_run)


def cmd_import_people(args: argparse.Namespace) -> int:
    from gridgov.registry import importers

    return transfer.run_import(args, importers.import_people)


def cmd_export_people(args: argparse.Namespace) -> int:
    from gridgov.registry import exports

    return transfer.run_export(
        args,
        lambda actor, fmt: exports.export_people(actor, args.code, format=fmt, reveal=args.reveal),
        lambda fmt: exports.export_filename(args.code, fmt),
    )


def cmd_jobs_run(args: argparse.Namespace) -> int:
    from gridgov.registry import jobs

    job = jobs.run_job(args.job_id)
    message = _("Job %(id)d: %(state)s") % {"id": job.pk, "state": job.get_state_display()}
    print(message, file=sys.stderr)
    return 0 if job.state == "done" else 1
