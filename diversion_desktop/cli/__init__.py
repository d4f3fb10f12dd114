"""The ``diversion-desktop`` command: the GUI by default, admin commands by name.

Each command is a module in this package with ``register(commands, common)``
and ``run(args, url) -> int``; adding a command is adding a module (they are
found by name, in alphabetical order). Exit codes: 0 done, 1 input refused (the message says why),
2 usage error. Headless commands never import Qt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from diversion_desktop import __version__
from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE


def _commands() -> dict[str, ModuleType]:
    """Every command module of this package, keyed by the command's name."""
    import importlib
    import pkgutil  # (not needed to open the GUI: loaded here)

    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name == "common" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[getattr(module, "NAME", info.name)] = module
    return found


_found: dict[str, ModuleType] = {}


def command_modules() -> dict[str, ModuleType]:
    """The command modules, found and imported the first time they are needed (not to open the GUI)."""
    if not _found:
        _found.update(_commands())
    return _found


__all__ = ["EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diversion-desktop",
        description="Diversion Desktop: run a drugs diversion scheme. With no command, opens the application.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="database URL (default: DIVERSION_DATABASE_URL, else an embedded SQLite file in your user data directory)",
    )
    parser.add_argument(
        "--user",
        metavar="NAME",
        help="sign in as NAME (default: DIVERSION_USER); the password comes from DIVERSION_PASSWORD or is asked for",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Accept --database after the command name too ("demo --database URL").
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database", metavar="URL", default=argparse.SUPPRESS, help="database URL (as before the command)"
    )
    common.add_argument(
        "--user",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="sign in as NAME (default: DIVERSION_USER); the password comes from DIVERSION_PASSWORD or is asked for",
    )
    for module in command_modules().values():
        module.register(commands, common)
    return parser


def gui_arguments(argv: Sequence[str]) -> argparse.Namespace | None:
    """What ``build_parser`` makes of a command line that only opens the application (``--database``
    and ``--user``, each followed by its value or joined to it by ``=``), without building it: the
    parsers of all the commands take a tenth of the application's start to its window. None for
    any other command line, which the parser reads (and explains, if it is wrong)."""
    values: dict[str, str | None] = {"database": None, "user": None}
    words = iter(argv)
    for word in words:
        option, equals, value = word.partition("=")
        if option not in ("--database", "--user"):
            return None
        if not equals:
            following = next(words, None)
            if following is None or following.startswith("-"):
                return None
            value = following
        values[option[2:]] = value
    return argparse.Namespace(**values, command=None)


def main(argv: Sequence[str] | None = None) -> int:
    args = gui_arguments(sys.argv[1:] if argv is None else argv) or build_parser().parse_args(argv)
    from diversion_desktop.cli.common import remember_user

    remember_user(args.user)
    if args.command is None:
        from diversion_desktop.ui.app import run_gui

        return run_gui(args.database)  # the default database is resolved behind the sign-in (SQLAlchemy: slow)
    from diversion_desktop.services.bootstrap import resolve_database_url

    return command_modules()[args.command].run(args, resolve_database_url(args.database))
