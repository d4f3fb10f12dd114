"""Users: the first administrator, signing in (with lockout), and managing accounts.

Passwords are stored as argon2id hashes (argon2-cffi's defaults). A failed sign-in says the
same thing whether or not the user name exists, and takes as long (a dummy hash is checked
for an unknown name); five failures in a row lock the account for fifteen minutes. While it is
locked no password is checked and every answer is the same. Only someone who gives the right
password learns that their account is disabled.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diversion_desktop.domain.passwords import load_common, password_problem
from diversion_desktop.domain.permissions import (
    POLICE,
    ROLE_ORGANISATION,
    Permission,
    Principal,
    Role,
    is_police,
    parse_role,
)
from diversion_desktop.domain.typed_text import text_problem
from diversion_desktop.resources import resource_path
from diversion_desktop.services.audit import had_users, lock_chain, log, record
from diversion_desktop.services.context import AppContext, current_user_name
from diversion_desktop.services.errors import ConflictError, NotFound, NotSignedIn, ServiceError, ValidationError
from diversion_desktop.store.models import User

MAX_FAILURES = 5
LOCK_MINUTES = 15
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
SIGN_IN_REFUSED = (
    f"The user name or password is not right. After {MAX_FAILURES} failed sign-ins in a row an "
    f"account is locked for {LOCK_MINUTES} minutes."
)

_hasher = PasswordHasher()  # argon2id, time cost 3, 64 MiB


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("not a password anyone has")


@functools.cache
def common_passwords() -> frozenset[str]:
    path = resource_path("security", "common-passwords.txt")
    if not path.exists():  # an installation's own resources folder without the list: use ours
        from pathlib import Path

        path = Path(__file__).resolve().parents[2] / "resources" / "security" / "common-passwords.txt"
    return load_common(path) if path.exists() else frozenset()


class SignInRefused(ServiceError):
    """Wrong name or password, a locked or a disabled account."""


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    roles: tuple[Role, ...]
    organisation: str
    disabled: bool
    locked_until: datetime | None
    must_change_password: bool
    created_at: datetime
    last_sign_in_at: datetime | None


def _info(user: User) -> UserInfo:
    return UserInfo(
        user.id,
        user.username,
        user.display_name,
        tuple(Role(r) for r in user.roles),
        user.organisation,
        user.disabled,
        user.locked_until,
        user.must_change_password,
        user.created_at,
        user.last_sign_in_at,
    )


def principal_of(user: User) -> Principal:
    return Principal(
        username=user.username,
        roles=frozenset(Role(r) for r in user.roles),
        organisation=user.organisation,
        user_id=user.id,
        display_name=user.display_name,
    )


def normalise_username(name: str) -> str:
    return name.strip().lower()


def has_users(ctx: AppContext) -> bool:
    """Whether the database is past setup (no permission needed: the sign-in screen asks): it has
    a user, or the audit trail shows it once had one. Emptying the users table by hand therefore
    never reopens setup mode, where commands run as the installation with every role."""
    with ctx.reading() as session:
        return _past_setup(session)


def _past_setup(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(User)) or 0) > 0 or had_users(session)


class UserService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    # -- checks ------------------------------------------------------------------------------------
    def _check_password(self, password: str, username: str) -> None:
        problem = password_problem(password, username, common_passwords())
        if problem:
            raise ValidationError({"password": problem})

    def _check_new_user(
        self, username: str, roles: list[Role], organisation: str, display_name: str = ""
    ) -> tuple[str, str]:
        name = normalise_username(username)
        errors: dict[str, str] = {}
        problem = text_problem(display_name, name=True)
        if problem:  # a display name is printed on letters and in the audit trail: only visible text
            errors["display_name"] = f"The display name {problem}."
        if not USERNAME.match(name):
            errors["username"] = (
                "A user name is 2 to 64 letters, digits, dots, hyphens, underscores or @, "
                "starting with a letter or digit."
            )
        if not roles:
            errors["roles"] = "Give the user at least one role."
        organisation = organisation.strip() or POLICE
        if is_police(organisation):
            organisation = POLICE
        # Administrators are police too: they read the audit trail, backups and subject-access
        # exports, which carry police data (docs/security.md).
        police_roles = {r for r in roles if ROLE_ORGANISATION[r] == POLICE}
        if Role.SUPPORT_WORKER in roles:
            providers = self.providers()
            match = next((p for p in providers if p.lower() == organisation.lower()), None)
            if match is None:
                errors["organisation"] = (
                    "A support worker belongs to a provider named in the scheme files: " + ", ".join(providers) + "."
                )
            else:
                organisation = match
            if police_roles:
                errors["roles"] = (
                    "A support worker (provider) cannot also hold a police role (station staff, "
                    "coordinator or administrator)."
                )
        elif police_roles and organisation != POLICE:
            errors["organisation"] = (
                f"Station staff, coordinators and administrators belong to the police "
                f"(organisation '{POLICE}'): a provider's staff are support workers."
            )
        if len(organisation) > 150:
            errors["organisation"] = "The organisation is at most 150 characters."
        if errors:
            raise ValidationError(errors)
        return name, organisation

    def providers(self) -> list[str]:
        """The providers named in the scheme files (a support worker's organisation is one of them)."""
        names: list[str] = []
        for _scheme, centre in self.ctx.schemes.all_centres():
            if centre.provider not in names:
                names.append(centre.provider)
        return names

    # -- the first administrator ---------------------------------------------------------------------
    def create_first_administrator(
        self,
        username: str,
        password: str,
        display_name: str = "",
        also: tuple[Role, ...] = (),
        organisation: str = POLICE,
    ) -> Principal:
        """On a database with no users: create the first administrator (with any case roles in
        ``also``) and sign them in. Refused once any user exists."""
        roles = [Role.ADMINISTRATOR, *[r for r in also if r is not Role.ADMINISTRATOR]]
        name, organisation = self._check_new_user(username, roles, organisation, display_name)
        self._check_password(password, name)
        with self.ctx.unit_of_work() as session:
            if session.scalar(select(func.count()).select_from(User)):
                raise ConflictError("This database already has users: sign in as an administrator to add more.")
            if had_users(session):
                raise ConflictError(
                    "This database had users, but its users table is now empty: it was changed "
                    "outside the application. Restore a backup (`audit verify` on it first); no "
                    "new first administrator is made here."
                )
            user = self._add(session, name, password, roles, organisation, display_name, created_by=name)
            principal = principal_of(user)
            # Under their own name: no one was signed in (the context's user is the computer's login).
            record(
                session,
                name,
                self.ctx.now(),
                "user_created",
                entity="user",
                record_id=user.id,
                reference=name,
                changes=[("roles", None, [r.value for r in roles]), ("organisation", None, organisation)],
                detail="first administrator",
            )
        self.ctx.sign_in_as(principal)
        return principal

    def _add(
        self,
        session: Session,
        name: str,
        password: str,
        roles: list[Role],
        organisation: str,
        display_name: str,
        created_by: str,
        must_change: bool = False,
    ) -> User:
        if session.scalar(select(User.id).where(User.username == name)) is not None:
            raise ConflictError(f"There is already a user called {name}.")
        now = self.ctx.now()
        user = User(
            username=name,
            display_name=display_name.strip()[:150],
            password_hash=_hasher.hash(password),
            roles=[r.value for r in roles],
            organisation=organisation,
            disabled=False,
            failed_attempts=0,
            must_change_password=must_change,
            created_at=now,
            created_by=created_by,
            password_changed_at=now,
        )
        session.add(user)
        session.flush()
        return user

    # -- signing in ------------------------------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> Principal:
        """Check the password and sign ``ctx`` in; SignInRefused (saying the same for a wrong name
        and a wrong password) otherwise. The failure is counted and audited either way.

        The password is checked outside any transaction (argon2 takes a while, and SQLite would
        hold its write lock for that long); the outcome is then written in a short transaction
        that reads the account again under a lock, so parallel attempts each count."""
        name = normalise_username(username)
        now = self.ctx.now()
        with self.ctx.reading() as session:
            found = (
                session.execute(
                    select(User.id, User.password_hash, User.locked_until).where(User.username == name)
                ).first()
                if name
                else None
            )
        if found is None:
            _verify(_dummy_hash(), password)  # as long as a real check
            self._refuse(name, None, "unknown user name")
        if _locked(found.locked_until, now):
            # Locked: the password is not tried (a dummy hash takes as long), and every answer is
            # the same, so the lockout tells nothing about the password.
            _verify(_dummy_hash(), password)
            self._refuse(name, found.id, "account locked")
        right = _verify(found.password_hash, password)
        new_hash = _hasher.hash(password) if right and _hasher.check_needs_rehash(found.password_hash) else None
        refusal: tuple[str, str] | None = None  # (the detail audited, what the user is told)
        principal: Principal | None = None
        with self.ctx.unit_of_work() as session:
            # The audit chain's lock first, as every audited change takes it: the account row is
            # then locked after it, in the same order as an administrator's change, so no deadlock.
            lock_chain(session)
            user = session.scalar(select(User).where(User.id == found.id).with_for_update())
            if user is None or user.password_hash != found.password_hash:
                refusal = ("password changed during the sign-in", SIGN_IN_REFUSED)
            elif _locked(user.locked_until, now):  # by parallel attempts meanwhile
                refusal = ("account locked", SIGN_IN_REFUSED)
            elif not right:
                user.failed_attempts += 1  # read under the lock: parallel failures each count
                detail = "wrong password"
                if user.failed_attempts >= MAX_FAILURES:
                    user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                    user.failed_attempts = 0
                    detail = f"wrong password; locked for {LOCK_MINUTES} minutes"
                refusal = (detail, SIGN_IN_REFUSED)
            elif user.disabled:
                refusal = ("account disabled", "This account is disabled. Ask an administrator.")
            else:
                user.failed_attempts = 0
                user.locked_until = None
                user.last_sign_in_at = now
                if new_hash is not None:
                    user.password_hash = new_hash
                principal = principal_of(user)
                # Under the name signed in with, so the audit trail finds a user's sign-ins by user;
                # refusals stay under whoever the context names (the workstation's login).
                record(
                    session,
                    name,
                    now,
                    "sign_in",
                    entity="user",
                    record_id=user.id,
                    reference=name,
                    detail=f"user {name}",
                )
            if refusal is not None:
                log(
                    session,
                    self.ctx,
                    "sign_in_failed",
                    entity="user",
                    record_id=found.id,
                    reference=name,
                    detail=refusal[0],
                )
        if refusal is not None or principal is None:
            raise SignInRefused(refusal[1] if refusal else SIGN_IN_REFUSED)
        self.ctx.sign_in_as(principal)
        return principal

    def _refuse(self, name: str, user_id: int | None, detail: str) -> NoReturn:
        """Audit a refused sign-in (a short transaction: nothing is checked in it) and refuse."""
        with self.ctx.unit_of_work() as session:
            log(
                session,
                self.ctx,
                "sign_in_failed",
                entity="user",
                record_id=user_id,
                reference=name if user_id is not None else name[:40],
                detail=detail,
            )
        raise SignInRefused(SIGN_IN_REFUSED)

    def unlock(self, password: str) -> None:
        """Unlocking a locked session: SignInRefused unless ``password`` is the signed-in user's.
        Failures count towards the lockout like a sign-in's. The user is known here (the lock
        screen names them), so the refusal may say plainly that the account is now locked."""
        principal = self.ctx.principal
        if principal is None:
            raise NotSignedIn("Sign in first: no one is signed in.")
        # Not ``require``: signing in again checks the account afresh (disabled, locked) itself.
        try:
            self.sign_in(principal.username, password)
        except SignInRefused as refused:
            with self.ctx.reading() as session:
                until = session.scalar(select(User.locked_until).where(User.username == principal.username))
            if until is not None and until > self.ctx.now():
                raise SignInRefused(
                    f"{MAX_FAILURES} wrong passwords in a row: this account is locked until "
                    f"{until:%H:%M}. Sign out and quit, then sign in again after that time, "
                    "or ask an administrator."
                ) from None
            if str(refused) == SIGN_IN_REFUSED:
                raise SignInRefused(
                    f"That is not your password. After {MAX_FAILURES} wrong passwords in a row "
                    f"the account is locked for {LOCK_MINUTES} minutes."
                ) from None
            raise

    def must_change_password(self) -> bool:
        principal = self.ctx.require(password_change=True)
        with self.ctx.reading() as session:
            return bool(session.scalar(select(User.must_change_password).where(User.username == principal.username)))

    def sign_out(self) -> None:
        principal = self.ctx.principal
        if principal is None:
            return
        with self.ctx.unit_of_work() as session:
            log(session, self.ctx, "sign_out", entity="user", record_id=principal.user_id, reference=principal.username)
        self.ctx.sign_in_as(None)
        # The next refusals are the workstation's (its login name), not the last user's.
        self.ctx.user = current_user_name()

    def change_own_password(self, current: str, new: str) -> None:
        principal = self.ctx.require(password_change=True)
        self._check_password(new, principal.username)
        with self.ctx.unit_of_work() as session:
            user = session.scalar(select(User).where(User.username == principal.username))
            if user is None or user.disabled:
                raise NotFound("This account no longer exists or is disabled.")
            if not _verify(user.password_hash, current):
                raise ValidationError({"current": "The current password is not right."})
            if _verify(user.password_hash, new):
                raise ValidationError({"password": "The new password must differ from the current one."})
            user.password_hash = _hasher.hash(new)
            user.password_changed_at = self.ctx.now()
            user.must_change_password = False
            log(
                session,
                self.ctx,
                "password_changed",
                entity="user",
                record_id=user.id,
                reference=user.username,
                detail="by the user",
            )

    # -- administration ---------------------------------------------------------------------------------
    def create_user(
        self,
        username: str,
        password: str,
        roles: list[Role] | list[str],
        organisation: str = POLICE,
        display_name: str = "",
        must_change_password: bool = True,
    ) -> UserInfo:
        principal = self.ctx.require(Permission.MANAGE_USERS)
        wanted = [r if isinstance(r, Role) else parse_role(r) for r in roles]
        wanted = list(dict.fromkeys(wanted))
        name, organisation = self._check_new_user(username, wanted, organisation, display_name)
        self._check_password(password, name)
        with self.ctx.unit_of_work() as session:
            user = self._add(
                session,
                name,
                password,
                wanted,
                organisation,
                display_name,
                principal.username,
                must_change=must_change_password,
            )
            log(
                session,
                self.ctx,
                "user_created",
                entity="user",
                record_id=user.id,
                reference=name,
                changes=[
                    ("roles", None, [r.value for r in wanted]),
                    ("organisation", None, organisation),
                    ("display_name", None, user.display_name),
                ],
            )
            return _info(user)

    def list_users(self) -> list[UserInfo]:
        self.ctx.require(Permission.MANAGE_USERS)
        with self.ctx.reading() as session:
            return [_info(u) for u in session.scalars(select(User).order_by(User.username))]

    def _user(self, session: Session, username: str) -> User:
        user = session.scalar(select(User).where(User.username == normalise_username(username)))
        if user is None:
            raise NotFound(f"There is no user called {normalise_username(username)}.")
        return user

    def set_disabled(self, username: str, disabled: bool) -> UserInfo:
        principal = self.ctx.require(Permission.MANAGE_USERS)
        with self.ctx.unit_of_work() as session:
            user = self._user(session, username)
            if disabled and user.username == principal.username:
                raise ConflictError("You cannot disable your own account.")
            if (
                disabled
                and Role.ADMINISTRATOR.value in user.roles
                and self._active_admins(session) <= 1
                and not user.disabled
            ):
                raise ConflictError("This is the last administrator who can sign in: add another first.")
            if user.disabled != disabled:
                log(
                    session,
                    self.ctx,
                    "user_disabled" if disabled else "user_enabled",
                    entity="user",
                    record_id=user.id,
                    reference=user.username,
                    changes=[("disabled", user.disabled, disabled)],
                )
                user.disabled = disabled
            return _info(user)

    def _active_admins(self, session: Session) -> int:
        users = session.scalars(select(User).where(User.disabled.is_(False)))
        return sum(1 for u in users if Role.ADMINISTRATOR.value in u.roles)

    def reset_password(self, username: str, new_password: str) -> UserInfo:
        """Give a user a new password (they must change it at their next sign-in); also unlocks."""
        self.ctx.require(Permission.MANAGE_USERS)
        with self.ctx.unit_of_work() as session:
            user = self._user(session, username)
            self._check_password(new_password, user.username)
            user.password_hash = _hasher.hash(new_password)
            user.password_changed_at = self.ctx.now()
            user.must_change_password = True
            user.failed_attempts = 0
            user.locked_until = None
            log(
                session,
                self.ctx,
                "password_reset",
                entity="user",
                record_id=user.id,
                reference=user.username,
                detail="by an administrator; unlocked",
            )
            return _info(user)

    def set_roles(self, username: str, roles: list[Role] | list[str], organisation: str | None = None) -> UserInfo:
        principal = self.ctx.require(Permission.MANAGE_USERS)
        wanted = list(dict.fromkeys(r if isinstance(r, Role) else parse_role(r) for r in roles))
        with self.ctx.unit_of_work() as session:
            user = self._user(session, username)
            _name, org = self._check_new_user(user.username, wanted, organisation or user.organisation)
            if user.username == principal.username and Role.ADMINISTRATOR not in wanted:
                raise ConflictError("You cannot remove your own administrator role.")
            before = {"roles": list(user.roles), "organisation": user.organisation}
            user.roles = [r.value for r in wanted]
            user.organisation = org
            changes = [(k, before[k], v) for k, v in (("roles", user.roles), ("organisation", org)) if before[k] != v]
            if changes:
                log(
                    session,
                    self.ctx,
                    "user_roles_changed",
                    entity="user",
                    record_id=user.id,
                    reference=user.username,
                    changes=changes,
                )
            return _info(user)


def _locked(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
