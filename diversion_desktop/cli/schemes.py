"""``schemes``: check every scheme file and list the schemes."""

from __future__ import annotations

import argparse
import sys

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    commands.add_parser(
        "schemes",
        parents=[common],
        help="check and list the configured schemes",
        description="Load every scheme file, report any problem, and list the schemes.",
    )


def run(_args: argparse.Namespace, _url: str) -> int:
    from diversion_desktop.domain.scheme_registry import SchemeRegistry
    from diversion_desktop.domain.schemes import SchemeConfigError
    from diversion_desktop.resources import schemes_dir

    try:
        registry = SchemeRegistry.load(schemes_dir())
    except SchemeConfigError as exc:
        print(f"Scheme configuration error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    for scheme in registry:
        note = " (EXAMPLE VALUES)" if scheme.example_values else ""
        print(f"{scheme.code}: {scheme.area} — {scheme.kind.value}{note} [{scheme.source}]")
        for centre in scheme.centres():
            youth = ", youth" if centre.youth else ""
            print(f"    centre {centre.code}: {centre.name} ({centre.provider}{youth})")
    return EXIT_OK
