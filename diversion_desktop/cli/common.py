"""What every command shares: exit codes, opening the data, progress on a terminal."""

from __future__ import annotations

import argparse
import sys

from diversion_desktop.services.context import AppContext

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def open_data(url: str) -> AppContext | None:
    """The schemes and the database, or None after saying on stderr why not."""
    from diversion_desktop.domain.schemes import SchemeConfigError
    from diversion_desktop.services.bootstrap import open_context

    try:
        return open_context(url)
    except SchemeConfigError as exc:
        print(f"Scheme configuration error: {exc}", file=sys.stderr)
        return None


class TerminalProgress:
    """A one-line progress counter on a terminal; silent when output is redirected."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if self.tty and (done == total or done % 10 == 0):
            print(f"\r{self.label}: {done}/{total} ({done * 100 // max(total, 1)} %)", end="", file=sys.stderr)
            self.shown = True

    def done(self) -> None:
        if self.shown:
            print(file=sys.stderr)
