"""The ``gridgov`` command: demo, serve, and the subcommands each app registers."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

# Apps that add subcommands expose ``register(subparsers)`` in their ``cli`` module.
COMMAND_MODULES = (
    "gridgov.demo.cli",
    "gridgov.territory.cli",
    "gridgov.accounts.cli",
    "gridgov.audit.cli",
    "gridgov.registry.cli",
    "gridgov.cases.cli",
)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the production WSGI server (gunicorn, several workers, static via WhiteNoise)."""
    from django.conf import settings
    from django.core.management import call_command

    if not args.no_migrate:
        migrate()
    call_command("collectstatic", interactive=False, verbosity=0)
    workers = args.workers or max(2, min(8, (os.cpu_count() or 1) * 2 + 1))
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "gridgov.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--timeout",
        "120",
        "--access-logfile",
        "-",
        # Keep gunicorn's control socket with the rest of the installation's files.
        "--control-socket",
        str(settings.GRIDGOV_HOME / "gunicorn.ctl"),
    ]
    print(f"GridGov serving at http://{args.host}:{args.port}/ with {workers} workers", flush=True)
    os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with the server
    return 0  # pragma: no cover


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("GRIDGOV_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRIDGOV_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=0, help="default: 2 × cores + 1, max 8")


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["gridgov manage", *args.rest])
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    migrate(verbosity=1)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridgov", description="GridGov grid governance platform")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the production web server")
    add_serve_arguments(serve)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="create or upgrade the database schema")
    mig.set_defaults(func=cmd_migrate)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)

    for module_name in COMMAND_MODULES:
        register: Callable[[argparse._SubParsersAction], None] = importlib.import_module(
            module_name
        ).register
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    setup_django()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
