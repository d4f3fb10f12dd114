"""``users``: add, list, disable, enable and reset users; change your own password.

``users add`` on a database with no users yet creates the first administrator without
signing in, so an installation can be scripted. New passwords come from
DIVERSION_NEW_PASSWORD, or (first administrator only) DIVERSION_PASSWORD, or are asked for
twice on a terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, open_data

if TYPE_CHECKING:
    from diversion_desktop.services.users import UserService

NEW_PASSWORD_ENV = "DIVERSION_NEW_PASSWORD"


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from diversion_desktop.domain.permissions import Role

    roles = ", ".join(r.value for r in Role)
    parser = commands.add_parser(
        "users",
        parents=[common],
        help="manage users (add, list, disable, enable, reset-password, set-roles, passwd)",
        description="Manage who may sign in. Administrators only, except 'passwd' (your own password) and "
        "'add' on a database without users (it creates the first administrator). Passwords: at "
        "least 12 characters, not a common one; a new user's password is taken from "
        f"{NEW_PASSWORD_ENV} (for the first administrator also DIVERSION_PASSWORD) or asked for.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        parents=[common],
        help="add a user",
        description=f"Add a user with one or more roles ({roles}). A support worker's "
        "organisation is their provider, as named in the scheme files; police "
        "roles belong to 'police'.",
    )
    add.add_argument("name", help="user name (letters, digits, . _ - @)")
    add.add_argument("--role", action="append", required=True, help=f"a role: {roles} (repeat for several)")
    add.add_argument("--organisation", default="", help="police (default) or the provider's name")
    add.add_argument("--display-name", default="", help="the name shown in the application")
    actions.add_parser("list", parents=[common], help="list users")
    for name, text in (
        ("disable", "stop a user signing in"),
        ("enable", "let a disabled user sign in again"),
        ("reset-password", "give a user a new password (to change at next sign-in); unlocks"),
    ):
        sub = actions.add_parser(name, parents=[common], help=text)
        sub.add_argument("name", help="user name")
    roles_parser = actions.add_parser("set-roles", parents=[common], help="replace a user's roles")
    roles_parser.add_argument("name", help="user name")
    roles_parser.add_argument("--role", action="append", required=True, help="a role (repeat for several)")
    roles_parser.add_argument("--organisation", default=None, help="change the organisation too")
    actions.add_parser("passwd", parents=[common], help="change your own password")


def _new_password(first_user: bool) -> str | None:
    password = os.environ.get(NEW_PASSWORD_ENV)
    if password is None and first_user:
        password = os.environ.get("DIVERSION_PASSWORD")
    if password is not None:
        return password
    if not sys.stdin.isatty():
        print(f"No password: set {NEW_PASSWORD_ENV}, or run the command on a terminal to be asked.", file=sys.stderr)
        return None
    import getpass

    password = getpass.getpass("New password (at least 12 characters): ")
    if getpass.getpass("The same again: ") != password:
        print("The two passwords are not the same; nothing was changed.", file=sys.stderr)
        return None
    return password


def run(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.domain.permissions import Role, parse_role
    from diversion_desktop.services.errors import ServiceError, ValidationError
    from diversion_desktop.services.users import UserService, has_users

    ctx = open_data(url, sign_in=False)
    if ctx is None:
        return EXIT_REFUSED
    try:
        service = UserService(ctx)
        first = not has_users(ctx)
        if args.action == "add" and first:
            try:
                roles = [parse_role(r) for r in args.role]
            except ValueError as exc:
                print(str(exc), file=sys.stderr)
                return EXIT_USAGE
            password = _new_password(first_user=True)
            if password is None:
                return EXIT_REFUSED
            also = tuple(r for r in roles if r is not Role.ADMINISTRATOR)
            principal = service.create_first_administrator(
                args.name, password, args.display_name, also=also, organisation=args.organisation or "police"
            )
            added = "" if Role.ADMINISTRATOR in roles else " (the first user is always an administrator)"
            print(
                f"Created the first administrator {principal.username}: "
                f"{', '.join(sorted(r.value for r in principal.roles))}{added}."
            )
            return EXIT_OK
        from diversion_desktop.cli.common import sign_in_from_environment

        if first:
            print(
                "This database has no users yet: add the first administrator with 'users add NAME "
                "--role administrator'.",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        if not sign_in_from_environment(ctx, changing_password=args.action == "passwd"):
            return EXIT_REFUSED
        return _act(args, service)
    except ValidationError as exc:
        print("\n".join(exc.errors.values()), file=sys.stderr)
        return EXIT_REFUSED
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except ServiceError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    finally:
        ctx.engine.dispose()


def _act(args: argparse.Namespace, service: UserService) -> int:
    from diversion_desktop.domain.permissions import Permission, parse_role

    if args.action == "add":
        roles = [parse_role(r) for r in args.role]
        service.ctx.require(Permission.MANAGE_USERS)  # before asking for a password
        password = _new_password(first_user=False)
        if password is None:
            return EXIT_REFUSED
        info = service.create_user(args.name, password, roles, args.organisation or "police", args.display_name)
        print(
            f"Added {info.username}: {', '.join(r.value for r in info.roles)} ({info.organisation}); "
            "they choose their own password at their first sign-in."
        )
    elif args.action == "list":
        for info in service.list_users():
            state = "disabled" if info.disabled else ("locked" if info.locked_until else "active")
            print(f"{info.username}\t{','.join(r.value for r in info.roles)}\t{info.organisation}\t{state}")
    elif args.action in ("disable", "enable"):
        info = service.set_disabled(args.name, args.action == "disable")
        print(f"{info.username} is now {'disabled' if info.disabled else 'enabled'}.")
    elif args.action == "reset-password":
        service.ctx.require(Permission.MANAGE_USERS)
        password = _new_password(first_user=False)
        if password is None:
            return EXIT_REFUSED
        info = service.reset_password(args.name, password)
        print(f"{info.username} has a new password, to change at their next sign-in; the account is unlocked.")
    elif args.action == "set-roles":
        info = service.set_roles(args.name, [parse_role(r) for r in args.role], args.organisation)
        print(f"{info.username}: {', '.join(r.value for r in info.roles)} ({info.organisation}).")
    elif args.action == "passwd":
        import getpass

        current = os.environ.get("DIVERSION_PASSWORD") or getpass.getpass("Current password: ")
        password = _new_password(first_user=False)
        if password is None:
            return EXIT_REFUSED
        service.change_own_password(current, password)
        print("Your password is changed.")
    return EXIT_OK
