"""Subcommands of `gridgov` for the accounts app: tokens and users.

They act as the system (``actor=None``) on the operator's behalf; their audit events
carry the channel "cli".
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError


def register(sub: argparse._SubParsersAction) -> None:
    """Add this app's subcommands to the `gridgov` parser."""
    token = sub.add_parser("token", help="API bearer tokens")
    tokens = token.add_subparsers(dest="token_command", required=True, metavar="COMMAND")
    create = tokens.add_parser("create", help="create a token for a user; prints it once")
    create.add_argument("--user", required=True, help="username the token acts as")
    create.add_argument("--name", default="cli", help="what the token is for")
    create.add_argument("--days", type=int, default=None, help="days until it expires")
    create.set_defaults(func=_cli(cmd_token_create))
    revoke = tokens.add_parser("revoke", help="revoke the token whose prefix starts so")
    revoke.add_argument("prefix")
    revoke.set_defaults(func=_cli(cmd_token_revoke))

    user = sub.add_parser("user", help="user accounts")
    users = user.add_subparsers(dest="user_command", required=True, metavar="COMMAND")
    ucreate = users.add_parser("create", help="create a user with a first role")
    ucreate.add_argument("username")
    ucreate.add_argument("--role", required=True, help="e.g. township_staff, admin, department")
    ucreate.add_argument(
        "--code", required=True, help="territory code (department code for --role department)"
    )
    ucreate.add_argument("--display-name", default="")
    ucreate.add_argument("--password", default=None, help="default: generate and print one")
    ucreate.set_defaults(func=_cli(cmd_user_create))
    unlock = users.add_parser("unlock", help="lift a login lock")
    unlock.add_argument("username")
    unlock.set_defaults(func=_cli(cmd_user_unlock))
    operator = users.add_parser(
        "create-operator", help="create an operator (superuser) who sees everything"
    )
    operator.add_argument("username")
    operator.add_argument(
        "--password", default=None, help="default: ask (or generate when not interactive)"
    )
    operator.set_defaults(func=_cli(cmd_create_operator))


def _cli(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a command with the CLI audit context; print domain errors instead of a trace."""

    def run(args: argparse.Namespace) -> int:
        from gridgov.audit import context

        ctx = context.RequestContext(request_id=context.new_request_id(), channel="cli")
        with context.bound(ctx):
            try:
                return command(args)
            except DomainError as exc:
                fields = exc.details.get("fields", {})
                for line in [f"{k}: {v}" for k, v in fields.items()] or [exc.message]:
                    print(_("error: %(message)s") % {"message": line})
                return 2

    return run


def _user(username: str) -> Any:
    from gridgov.accounts.models import User
    from gridgov.core.errors import NotFound

    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(_("No user named %(name)s.") % {"name": repr(username)})
    return user


def cmd_token_create(args: argparse.Namespace) -> int:
    from gridgov.accounts import actions

    token, raw = actions.create_token(
        actor=None, owner=_user(args.user), name=args.name, days=args.days
    )
    print(
        _("Token %(prefix)s… for %(user)s, expires %(date)s.")
        % {
            "prefix": token.prefix,
            "user": token.user.username,
            "date": f"{token.expires_at:%Y-%m-%d}",
        }
    )
    print(_("It is shown only this once; send it as 'Authorization: Bearer <token>':"))
    print(raw)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from gridgov.accounts import actions, queries

    token = actions.revoke_token(queries.token_by_prefix(args.prefix).pk, actor=None)
    print(
        _("Token %(prefix)s… of %(user)s revoked.")
        % {"prefix": token.prefix, "user": token.user.username}
    )
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from gridgov.accounts import actions
    from gridgov.accounts.models import Department
    from gridgov.accounts.roles import DEPARTMENT_ROLES

    scope_args: dict[str, Any] = {"region_code": args.code}
    if args.role in DEPARTMENT_ROLES:
        department = Department.objects.filter(code=args.code).first()
        scope_args = {"department_id": department.pk if department else -1}
    user, generated = actions.create_user(
        args.username,
        actor=None,
        role=args.role,
        display_name=args.display_name,
        password=args.password,
        **scope_args,
    )
    print(
        _("User %(user)s created as %(role)s over %(code)s.")
        % {"user": user.username, "role": args.role, "code": args.code}
    )
    _print_generated(generated)
    return 0


def cmd_user_unlock(args: argparse.Namespace) -> int:
    from gridgov.accounts import actions

    actions.unlock_user(_user(args.username).pk, actor=None)
    print(_("User %(user)s unlocked.") % {"user": args.username})
    return 0


def cmd_create_operator(args: argparse.Namespace) -> int:
    import sys

    from gridgov.accounts import actions

    password = args.password
    if password is None and sys.stdin.isatty():
        password = getpass.getpass(_("Password (empty: generate one): ")) or None
    user, generated = actions.create_operator(args.username, actor=None, password=password)
    print(_("Operator %(user)s created.") % {"user": user.username})
    _print_generated(generated)
    return 0


def _print_generated(password: str | None) -> None:
    if password:
        print(_("Password (shown only once): %(password)s") % {"password": password})
