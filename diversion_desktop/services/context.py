"""What every service needs: the database, the schemes, a clock and the user.

``unit_of_work`` is the one place a transaction starts; it turns database
failures (locked file, full disk, lost server) into a ``StorageError`` with a
clear message, after rolling back so nothing is half-written.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from diversion_desktop.domain.permissions import Permission, Principal, Role
from diversion_desktop.domain.scheme_registry import SchemeRegistry
from diversion_desktop.services.errors import (
    AccountRevoked,
    NotSignedIn,
    PasswordChangeRequired,
    PermissionDenied,
    ServiceError,
    StaleRecord,
    StorageError,
)
from diversion_desktop.store.database import WRITE_INTENT
from diversion_desktop.store.models import User


def current_user_name() -> str:
    try:
        return os.environ.get("DIVERSION_USER") or getpass.getuser()
    except OSError:  # no login name on some service accounts
        return "unknown"


@dataclass
class AppContext:
    engine: Engine
    session_factory: sessionmaker[Session]
    schemes: SchemeRegistry
    user: str = field(default_factory=current_user_name)
    clock: Callable[[], datetime] = datetime.now
    database_label: str = ""
    # Who is signed in; None until someone is, and then every service refuses.
    principal: Principal | None = None

    def sign_in_as(self, principal: Principal | None) -> None:
        self.principal = principal
        if principal is not None:
            self.user = principal.username

    def require(self, *permissions: Permission, password_change: bool = False) -> Principal:
        """The signed-in user, if they hold every one of ``permissions``; else PermissionDenied
        saying what is missing. Every service calls this before it reads or writes.

        The account is read again each time (one indexed SELECT), so an administrator's change
        applies to an open session at its next action: a disabled account gets AccountRevoked,
        new roles are the ones checked, and an account whose password an administrator set gets
        PasswordChangeRequired unless ``password_change`` (the calls that change it)."""
        principal = self._current(password_change)
        missing = [p for p in permissions if not principal.may(p)]
        if missing:
            what = ", ".join(p.value.replace("_", " ") for p in missing)
            raise PermissionDenied(
                f"{principal.username} may not do this (it needs: {what}). Nothing was read or changed."
            )
        return principal

    def _current(self, password_change: bool) -> Principal:
        principal = self.principal
        if principal is None:
            raise NotSignedIn("Sign in first: no one is signed in.")
        if principal.user_id is None:  # the installation before any user exists (setup_principal)
            return principal
        try:
            with self.engine.connect() as connection:
                row = connection.execute(
                    select(User.disabled, User.must_change_password, User.roles, User.organisation).where(
                        User.id == principal.user_id
                    )
                ).first()
        except SQLAlchemyError as exc:
            raise StorageError(f"The database could not be read: {exc}") from exc
        if row is None or row.disabled:
            raise AccountRevoked(
                f"The account {principal.username} has been disabled by an administrator, "
                "so it is signed out. Nothing was read or changed."
            )
        if row.must_change_password and not password_change:
            raise PasswordChangeRequired(
                f"An administrator has set a new password for {principal.username}: choose your own before "
                "anything else (on the command line: users passwd). Nothing was read or changed."
            )
        roles = frozenset(Role(r) for r in row.roles)
        if roles != principal.roles or row.organisation != principal.organisation:
            principal = replace(principal, roles=roles, organisation=row.organisation)
            self.principal = principal  # demoted or promoted: the new roles from now on
        return principal

    def require_any(self, *permissions: Permission) -> Principal:
        """The signed-in user, if they hold at least one of ``permissions``."""
        principal = self._current(password_change=False)
        if not any(principal.may(p) for p in permissions):
            what = " or ".join(p.value.replace("_", " ") for p in permissions)
            raise PermissionDenied(
                f"{principal.username} may not do this (it needs: {what}). Nothing was read or changed."
            )
        return principal

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    def today(self) -> date:
        return self.clock().date()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        try:
            with self.session_factory.begin() as session:
                session.connection(execution_options={WRITE_INTENT: True})
                yield session
        except ServiceError:
            raise
        except StaleDataError as exc:
            # Another writer's UPDATE came first (services/concurrency.py): ours matched no row.
            raise StaleRecord(_stale_message(exc)) from exc
        except DBAPIError as exc:
            raise StorageError(_storage_message(exc)) from exc
        except SQLAlchemyError as exc:
            raise StorageError(f"The database could not complete this action: {exc}. Nothing was saved.") from exc

    @contextmanager
    def reading(self) -> Iterator[Session]:
        try:
            with self.session_factory() as session:
                yield session
        except ServiceError:
            raise
        except SQLAlchemyError as exc:
            raise StorageError(f"The database could not be read: {exc}") from exc


_TABLE_NAMES = {"people": "This person's record", "referrals": "This referral", "appointments": "This appointment"}


def _stale_message(exc: StaleDataError) -> str:
    what = next((name for table, name in _TABLE_NAMES.items() if f"'{table}'" in str(exc)), "This record")
    return (
        f"{what} was changed by someone else while you were saving it. Your change was not saved. "
        "Reload to see the record as it is now, then make your change again."
    )


def _storage_message(exc: DBAPIError) -> str:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    if "disk" in text and ("full" in text or "space" in text):
        return "The disk is full, so this was not saved. Free some space and try again; nothing already saved is lost."
    if "locked" in text or "busy" in text:
        return (
            "The database is busy in another window or on another workstation. "
            "Nothing was saved; try again in a moment."
        )
    if "readonly" in text or "read-only" in text:
        return "The database file is read-only, so this was not saved. Ask your administrator."
    if "unique" in text:
        return "This record already exists (a reference is used twice). Nothing was saved."
    return f"The database refused the change ({exc.orig}). Nothing was saved."
