"""The subcommands of `gridgov` that belong to no domain: serve, migrate, manage; and the
language the command speaks."""

from __future__ import annotations

import argparse
import os
import sys

from django.utils import translation
from django.utils.translation import gettext as _


def register(sub: argparse._SubParsersAction) -> None:
    """Add these subcommands to the `gridgov` parser."""
    serve = sub.add_parser("serve", help="run the production web server")
    add_serve_arguments(serve)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="create or upgrade the database schema")
    mig.set_defaults(func=cmd_migrate)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)


def message_language(requested: str | None = None) -> str | None:
    """The language a run speaks: ``requested`` (None when the site does not have it),
    else the first of ``$LANGUAGE`` (e.g. ``en_US:en``) the site has, else LANGUAGE_CODE."""
    from django.conf import settings

    if requested:
        return _site_language(requested)
    for wanted in os.environ.get("LANGUAGE", "").split(":"):
        found = _site_language(wanted)
        if found:
            return found
    return settings.LANGUAGE_CODE


def _site_language(name: str) -> str | None:
    """The site's language for a POSIX or Django name (``zh_CN.UTF-8`` → zh-hans)."""
    code = name.split(".")[0].split("@")[0].replace("_", "-").lower()
    try:
        return translation.get_supported_language_variant(code) if code else None
    except LookupError:
        return None


def unknown_language(name: str) -> str:
    return _("--lang %(lang)s: not a language of this site (zh-hans, en)") % {"lang": name}


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
    url = f"http://{args.host}:{args.port}/"
    message = _("GridGov serving at %(url)s with %(workers)d workers")
    print(message % {"url": url, "workers": workers}, flush=True)
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
