"""What every command shares: exit codes, opening the data, progress on a terminal."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # the commands are all imported to build the parser: none of them loads SQLAlchemy
    from datetime import date

    from diversion_desktop.services.context import AppContext

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
Result = TypeVar("Result")


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def day_option(text: str | None) -> date | None:
    """A day given on the command line (--from, --to, --date), read as the forms and the import
    read a date (domain/dates.py), a two-digit year as the year nearest today; None when not given.
    A ValueError says why the text is not a day."""
    from datetime import date

    from diversion_desktop.domain.dates import read_date

    return read_date(text, date.today(), past=False) if text else None


def add_export_password_options(parser: argparse.ArgumentParser) -> None:
    """``--password-file F`` or ``--password``, one or neither: encrypt an export of personal data
    (an AES-256 encrypted ZIP). ``export_password`` reads what was given."""
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--password-file", metavar="F", help="encrypt: read the password from the first line of file F")
    secret.add_argument(
        "--password",
        action="store_true",
        help="encrypt: take the password from the environment variable DIVERSION_EXPORT_PASSWORD",
    )


def export_password(args: argparse.Namespace) -> tuple[str | None, str]:
    """(the export password, or None when not encrypting; a usage problem, or ""), from the options
    ``add_export_password_options`` added. A password too short to use is a problem too."""
    from pathlib import Path

    from diversion_desktop.services.exporter import PASSWORD_ENV as EXPORT_PASSWORD_ENV
    from diversion_desktop.services.exporter import PasswordError, check_password, password_from_environment

    if args.password_file:
        try:
            lines = Path(args.password_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            return None, f"cannot read the password file {args.password_file}: {exc}"
        password = lines[0] if lines else ""
        if not password:
            return None, f"the password file {args.password_file} is empty"
    elif args.password:
        password = password_from_environment()
        if not password:
            return None, f"--password needs the environment variable {EXPORT_PASSWORD_ENV}"
    else:
        return None, ""
    try:
        check_password(password)
    except PasswordError as exc:
        return None, str(exc)
    return password, ""


USER_ENV, PASSWORD_ENV = "DIVERSION_USER", "DIVERSION_PASSWORD"
_signing_in: dict[str, str | None] = {"user": None}


def remember_user(user: str | None) -> None:
    """``--user`` as given on the command line (main() calls this before the command runs)."""
    _signing_in["user"] = user


def open_data(url: str, sign_in: bool = True) -> AppContext | None:
    """The schemes and the database with the user signed in, or None after saying on stderr why not.

    The user comes from ``--user`` or DIVERSION_USER, the password from DIVERSION_PASSWORD or a
    prompt on a terminal; every command is then held to that user's permissions by the services.
    On a database without any user yet (new, or made before users existed) commands run as the
    installation ("setup") until the first administrator is added with ``users add``; a database
    whose audit trail shows it had users never goes back to that, even with its users table
    emptied."""
    from diversion_desktop.domain.schemes import SchemeConfigError
    from diversion_desktop.services.bootstrap import open_context

    try:
        ctx = open_context(url)
    except SchemeConfigError as exc:
        print(f"Scheme configuration error: {exc}", file=sys.stderr)
        return None
    if sign_in and not sign_in_from_environment(ctx):
        ctx.engine.dispose()
        return None
    return ctx


def using_data(url: str, work: Callable[[AppContext], Result]) -> Result | None:
    """``work`` on the data opened with the user signed in (``open_data``), the database closed
    after; None after saying on stderr why not (the data would not open, or a service refused)."""
    from diversion_desktop.services.errors import ServiceError

    ctx = open_data(url)
    if ctx is None:
        return None
    try:
        return work(ctx)
    except ServiceError as exc:
        print(str(exc), file=sys.stderr)
        return None
    finally:
        ctx.engine.dispose()


def sign_in_from_environment(ctx: AppContext, changing_password: bool = False) -> bool:
    """Sign ``ctx`` in as the command line's user; False after saying why not. An account whose
    password an administrator set may do nothing but change it (``changing_password``: `users
    passwd`); the services refuse everything else to it too."""
    import os

    from diversion_desktop.domain.permissions import setup_principal
    from diversion_desktop.services.context import current_user_name
    from diversion_desktop.services.errors import ServiceError
    from diversion_desktop.services.users import SignInRefused, UserService, has_users

    if not has_users(ctx):
        ctx.sign_in_as(setup_principal(current_user_name()))
        return True
    user = _signing_in["user"] or os.environ.get(USER_ENV)
    if not user:
        print(
            f"Sign in: give your user name with --user NAME or {USER_ENV} (and the password in "
            f"{PASSWORD_ENV}, or type it when asked).",
            file=sys.stderr,
        )
        return False
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            print(
                f"Sign in: no password. Set {PASSWORD_ENV}, or run the command on a terminal to be asked.",
                file=sys.stderr,
            )
            return False
        import getpass

        password = getpass.getpass(f"Password for {user}: ")
    service = UserService(ctx)
    try:
        principal = service.sign_in(user, password)
        must_change = service.must_change_password()
    except SignInRefused as exc:
        print(f"Sign-in refused: {exc}", file=sys.stderr)
        return False
    except ServiceError as exc:  # the database is busy or cannot be read
        print(str(exc), file=sys.stderr)
        return False
    if must_change and not changing_password:
        print(
            f"An administrator has set the password of {principal.username}: choose your own first, with "
            f"'diversion-desktop users passwd --user {principal.username}'. Nothing else was done.",
            file=sys.stderr,
        )
        ctx.sign_in_as(None)
        return False
    return True


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
