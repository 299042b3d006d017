"""Subcommands of `gridgov` for the population registry.

``gridgov keys rotate|status`` (data key rotation), ``gridgov registry recount``
(roll-ups and completeness rebuilt — run nightly: age bands move at New Year) and
``gridgov registry propose-elderly``. They act as the system actor on the audit "cli"
channel. Other registry commands (imports) are added to ``register`` below.
"""

from __future__ import annotations

import argparse

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console

# The territory app's command plumbing: migrate, act as SYSTEM on the "cli" channel,
# print domain errors, rich progress bars.
from gridgov.territory.cli import _as_operator, _progress, _run


def register(sub: argparse._SubParsersAction) -> None:
    """Add this app's subcommands to the `gridgov` parser."""
    keys = sub.add_parser("keys", help="data keys protecting ID and phone numbers")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    rotate = key_commands.add_parser(
        "rotate", help="re-encrypt under a new data key (resumes an unfinished rotation)"
    )
    rotate.add_argument("--batch", type=int, default=1000, help="rows per transaction (1000)")
    rotate.add_argument(
        "--max-batches", type=int, default=None, help="stop after this many batches"
    )
    rotate.set_defaults(func=cmd_keys_rotate)
    key_status = key_commands.add_parser("status", help="key ids and rows per key id")
    key_status.set_defaults(func=cmd_keys_status)

    registry = sub.add_parser("registry", help="population registry maintenance")
    commands = registry.add_subparsers(dest="registry_command", required=True, metavar="COMMAND")
    recount = commands.add_parser(
        "recount", help="rebuild population counts and completeness (nightly)"
    )
    recount.add_argument("codes", nargs="*", help="grid codes (default: every grid)")
    recount.set_defaults(func=cmd_recount)
    propose = commands.add_parser(
        "propose-elderly", help="propose 'elderly living alone' tags for confirmation"
    )
    propose.add_argument("code", nargs="?", default=None, help="region or grid (default: all)")
    propose.add_argument("--min-age", type=int, default=None)
    propose.set_defaults(func=cmd_propose_elderly)

    # gridgov import people / export people / jobs run (registry.transfer_cli).
    from gridgov.registry.transfer_cli import register_transfers

    register_transfers(sub)


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from gridgov.registry import keys

    console = Console()

    def body() -> int:
        with _as_operator() as system, _progress(console, _("re-encrypting")) as bar:
            task = bar.add_task("rows", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                result = keys.rotate(
                    actor=system,
                    batch=args.batch,
                    progress=advance,
                    max_batches=args.max_batches,
                )
            except keys.RotationNeedsOperator as exc:
                bar.stop()
                _explain_environment_key(console, exc)
                return 1
        message = (
            _("New key %(key)s (was %(old)s): %(rows)d rows re-encrypted, %(left)d left.")
            if result.generated
            else _(
                "Continued with key %(key)s (was %(old)s): "
                "%(rows)d rows re-encrypted, %(left)d left."
            )
        )
        values = {
            "key": result.new_key_id,
            "old": result.old_key_id,
            "rows": result.rows,
            "left": result.remaining,
        }
        console.print(message % values)
        if result.remaining:
            console.print(_("Run `gridgov keys rotate` again to finish."))
        return 0

    return _run(console, body)


def _explain_environment_key(console: Console, exc: object) -> None:
    new_key = getattr(exc, "new_key", "")
    retired = getattr(exc, "retired", [])
    console.print(
        _(
            "The current data key comes from GRIDGOV_DATA_KEY, so it cannot be replaced "
            "here.\nSet these in every server's environment, restart them, then run "
            "`gridgov keys rotate` again to re-encrypt the rows:"
        )
    )
    console.print(f"  GRIDGOV_DATA_KEY={new_key}", soft_wrap=True)
    console.print(f"  GRIDGOV_DATA_KEYS_RETIRED={','.join(retired)}", soft_wrap=True)


def cmd_keys_status(args: argparse.Namespace) -> int:
    from gridgov.registry import keys

    console = Console()

    def body() -> int:
        with _as_operator():
            info = keys.status()
        sources = {"file": _("the key file"), "environment": _("the environment")}
        current = {"key": info["current"], "source": sources.get(info["source"], info["source"])}
        console.print(_("Current key: %(key)s (from %(source)s)") % current)
        retired = ", ".join(info["retired"]) or "-"
        console.print(_("Retired keys: %(keys)s") % {"keys": retired})
        for table, per_key in info["rows"].items():
            counts = ", ".join(f"{k}: {n}" for k, n in sorted(per_key.items())) or _("no rows")
            console.print(f"{table}: {counts}")
        return 0

    return _run(console, body)


def cmd_recount(args: argparse.Namespace) -> int:
    from gridgov.registry import completeness, rollups

    console = Console()

    def body() -> int:
        with _as_operator():
            grids = args.codes or None
            rows = rollups.recount(grids)
            refreshed = completeness.refresh(grids)
        console.print(
            _("%(rows)d population counts written, %(changed)d completeness rows changed.")
            % {"rows": rows, "changed": refreshed}
        )
        return 0

    return _run(console, body)


def cmd_propose_elderly(args: argparse.Namespace) -> int:
    from gridgov.registry import actions

    console = Console()

    def body() -> int:
        with _as_operator() as system:
            n = actions.propose_elderly_alone(args.code, actor=system, min_age=args.min_age)
        message = ngettext(
            "%(n)d 'elderly living alone' tag proposed for confirmation.",
            "%(n)d 'elderly living alone' tags proposed for confirmation.",
            n,
        )
        console.print(message % {"n": n})
        return 0

    return _run(console, body)
