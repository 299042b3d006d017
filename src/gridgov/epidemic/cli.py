"""Subcommands of `gridgov` for the epidemic.

``gridgov epidemic verify-code TOKEN`` checks a health code token offline (with this
installation's public key, or ``--public-key`` — what a checkpoint's laptop runs);
``gridgov epidemic public-key`` prints the key to give checkpoints;
``gridgov epidemic recount`` rebuilds the roll-ups. Every ``<concern>_cli`` module adds
its own commands with ``register(commands)``.
"""

from __future__ import annotations

import argparse

from django.utils.translation import gettext as _
from rich.console import Console

from gridgov.territory.cli import _as_operator, _run

# Exit codes of verify-code: 0 valid for today, 1 not valid, 3 valid but of another day.
NOT_VALID, OTHER_DAY = 1, 3


def register(sub: argparse._SubParsersAction) -> None:
    epidemic = sub.add_parser("epidemic", help="epidemic response: health codes, roll-ups")
    commands = epidemic.add_subparsers(dest="epidemic_command", required=True, metavar="COMMAND")
    verify = commands.add_parser(
        "verify-code", help="check a health code token offline (exit 0 valid today)"
    )
    verify.add_argument("token", help="the text of the code (HC1.…)")
    verify.add_argument(
        "--public-key",
        default=None,
        metavar="KEY",
        # A key's text may begin with "-", which argparse takes for an option unless joined.
        help="the issuer's public key, written --public-key=KEY (default: this installation's)",
    )
    verify.set_defaults(func=cmd_verify_code)
    key = commands.add_parser("public-key", help="print the public key checkpoints verify with")
    key.set_defaults(func=cmd_public_key)
    recount = commands.add_parser("recount", help="rebuild the epidemic roll-ups from the rows")
    recount.set_defaults(func=cmd_recount)
    # Each concern with commands of its own adds them from its ``<concern>_cli`` module.
    from gridgov.epidemic.concerns import command_modules

    for module in command_modules():
        module.register(commands)


def cmd_verify_code(args: argparse.Namespace) -> int:
    from gridgov.epidemic import rules, signing

    console = Console()
    try:
        public = signing.load_public_key(args.public_key) if args.public_key else None
    except signing.SigningKeyError:
        console.print("[red]" + _("The public key is not valid.") + "[/red]")
        return NOT_VALID
    found = signing.verify(args.token, public)
    if not found.valid:
        reasons = {
            "malformed": _("This is not a health code token."),
            "unknown_key": _("This code was not issued with this key."),
            "bad_signature": _("The signature does not match: the code was altered or forged."),
        }
        console.print("[red]" + _("NOT VALID") + "[/red] " + reasons.get(found.reason, ""))
        return NOT_VALID
    console.print(
        _("VALID: %(colour)s on %(day)s (person %(who)s, key %(key)s)")
        % {
            "colour": found.colour,
            "day": found.day.isoformat() if found.day else "",
            "who": found.pseudonym,
            "key": found.key_id,
        }
    )
    if not found.is_for(rules.today()):
        console.print("[yellow]" + _("Not issued today: ask for today's code.") + "[/yellow]")
        return OTHER_DAY
    return 0


def cmd_public_key(args: argparse.Namespace) -> int:
    from gridgov.epidemic import signing

    print(signing.public_key_text())
    return 0


def cmd_recount(args: argparse.Namespace) -> int:
    from gridgov.epidemic import rollups

    console = Console()

    def body() -> int:
        with _as_operator():
            done = rollups.recount()
        console.print(
            _("%(rows)d daily figures and %(standing)d standing figures rebuilt.")
            % {"rows": done["daily_rows"], "standing": done["standing_rows"]}
        )
        return 0

    return _run(console, body)
