"""The ``gridgov`` command: the subcommands each app registers (serve, migrate and manage
are in ``gridgov.core.cli``).

Messages go through Django's gettext and speak one language per run: ``--lang``, else the
first language of ``$LANGUAGE`` the site has, else the site's own (``LANGUAGE_CODE``,
zh-hans).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from django.utils import translation

from gridgov.core.cli import message_language, unknown_language

# Apps that add subcommands expose ``register(subparsers)`` in their ``cli`` module.
COMMAND_MODULES = (
    "gridgov.core.cli",
    "gridgov.demo.cli",
    "gridgov.territory.cli",
    "gridgov.accounts.cli",
    "gridgov.audit.cli",
    "gridgov.registry.cli",
    "gridgov.cases.cli",
    "gridgov.epidemic.cli",
)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridgov", description="GridGov grid governance platform")
    parser.add_argument(
        "--lang",
        metavar="LANG",
        help="language of the messages, zh-hans or en (default: $LANGUAGE, else the site's)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    language = message_language(args.lang)
    if language is None:
        with translation.override(message_language()):
            parser.error(unknown_language(args.lang))
    # Only for this run: a caller (a test, a script) keeps its own language afterwards.
    with translation.override(language):
        try:
            return int(args.func(args) or 0)
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main())
