"""The ``diversion-desktop`` command: the GUI by default, admin commands by name.

Each command is a module in this package with ``register(commands, common)``
and ``run(args, url) -> int``; adding a command is adding a module (they are
found by name, in alphabetical order). Exit codes: 0 done, 1 input refused (the message says why),
2 usage error. Headless commands never import Qt.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Sequence
from types import ModuleType

from diversion_desktop import __version__
from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE


def _commands() -> dict[str, ModuleType]:
    """Every command module of this package, keyed by the command's name."""
    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name == "common" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[getattr(module, "NAME", info.name)] = module
    return found


COMMANDS = _commands()

__all__ = ["EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diversion-desktop",
        description="Diversion Desktop: run a drugs diversion scheme. With no command, opens the application.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--database", metavar="URL",
                        help="database URL (default: DIVERSION_DATABASE_URL, else an embedded SQLite "
                             "file in your user data directory)")
    parser.add_argument("--user", metavar="NAME",
                        help="sign in as NAME (default: DIVERSION_USER); the password comes from "
                             "DIVERSION_PASSWORD or is asked for")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Accept --database after the command name too ("demo --database URL").
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database", metavar="URL", default=argparse.SUPPRESS,
                        help="database URL (as before the command)")
    common.add_argument("--user", metavar="NAME", default=argparse.SUPPRESS,
                        help="sign in as NAME (default: DIVERSION_USER); the password comes from "
                             "DIVERSION_PASSWORD or is asked for")
    for module in COMMANDS.values():
        module.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from diversion_desktop.services.bootstrap import resolve_database_url

    url = resolve_database_url(args.database)
    from diversion_desktop.cli.common import remember_user

    remember_user(args.user)
    if args.command is None:
        from diversion_desktop.ui.app import run_gui

        return run_gui(url)
    return COMMANDS[args.command].run(args, url)
