"""Users: the first administrator, sign-in with lockout, and administration, on a real file."""

from __future__ import annotations

import pytest

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.audit_trail import AuditFilters, AuditTrailService
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ConflictError, PermissionDenied, ValidationError
from diversion_desktop.services.users import SIGN_IN_REFUSED, SignInRefused, UserService, has_users
from tests.conftest import FakeClock, as_role

GOOD = "correct horse battery"


@pytest.fixture
def admin(ctx: AppContext) -> UserService:
    service = UserService(ctx)
    service.create_first_administrator("Admin", GOOD, "Ada Admin")
    return service


def test_first_administrator_only_once(ctx: AppContext) -> None:
    assert not has_users(ctx)
    principal = UserService(ctx).create_first_administrator("Admin", GOOD, also=(Role.COORDINATOR,))
    assert principal.username == "admin" and principal.roles == {Role.ADMINISTRATOR, Role.COORDINATOR}
    assert ctx.principal == principal and has_users(ctx)
    with pytest.raises(ConflictError, match="already has users"):
        UserService(ctx).create_first_administrator("second", GOOD)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 12"),
        ("Password2024!", "common passwords"),
        ("passwordpassword", "common passwords"),
        ("aaaaaaaaaaaaaa", "too few"),
        ("coordinator-in-chief", "the user name"),
    ],
)
def test_password_policy(ctx: AppContext, password: str, problem: str) -> None:
    with pytest.raises(ValidationError) as refused:
        UserService(ctx).create_first_administrator("coordinator-in-chief", password)
    assert problem in refused.value.errors["password"]
    assert not has_users(ctx)


def test_hash_is_argon2id(admin: UserService) -> None:
    from diversion_desktop.store.models import User

    with admin.ctx.reading() as session:
        stored = session.query(User).one().password_hash
    assert stored.startswith("$argon2id$") and GOOD not in stored


def test_sign_in_and_the_same_refusal_for_a_wrong_name_or_password(admin: UserService) -> None:
    admin.ctx.sign_in_as(None)
    assert admin.sign_in("ADMIN", GOOD).username == "admin"
    with pytest.raises(SignInRefused) as wrong_password:
        admin.sign_in("admin", "not the password at all")
    with pytest.raises(SignInRefused) as unknown:
        admin.sign_in("nobody", "not the password at all")
    assert str(wrong_password.value) == str(unknown.value) == SIGN_IN_REFUSED
    assert "locked for 15 minutes" in SIGN_IN_REFUSED


def test_five_failures_lock_for_fifteen_minutes(admin: UserService, clock: FakeClock) -> None:
    for _ in range(5):
        with pytest.raises(SignInRefused):
            admin.sign_in("admin", "wrong wrong wrong")
    # While locked, the right password and a wrong one get the same answer: no oracle.
    with pytest.raises(SignInRefused) as right:
        admin.sign_in("admin", GOOD)
    with pytest.raises(SignInRefused) as guessed:
        admin.sign_in("admin", "another wrong guess")
    assert str(right.value) == str(guessed.value) == SIGN_IN_REFUSED
    clock.advance(minutes=15, seconds=1)
    assert admin.sign_in("admin", GOOD).username == "admin"


def test_disabled_user_is_refused(admin: UserService) -> None:
    admin.create_user("pc123", GOOD, [Role.STATION_STAFF])
    admin.set_disabled("pc123", True)
    with pytest.raises(SignInRefused, match="disabled"):
        admin.sign_in("pc123", GOOD)
    with pytest.raises(SignInRefused) as wrong:
        admin.sign_in("pc123", "wrong wrong wrong")
    assert str(wrong.value) == SIGN_IN_REFUSED  # a wrong password does not learn it is disabled


def test_support_worker_belongs_to_a_provider(admin: UserService) -> None:
    with pytest.raises(ValidationError) as refused:
        admin.create_user("sw1", GOOD, [Role.SUPPORT_WORKER], organisation="Acme")
    assert "Cranstoun" in refused.value.errors["organisation"]
    info = admin.create_user("sw1", GOOD, ["support worker"], organisation="cranstoun")
    assert info.organisation == "Cranstoun" and info.must_change_password


def test_reset_and_change_own_password(admin: UserService) -> None:
    admin.create_user("pc123", GOOD, [Role.STATION_STAFF])
    admin.reset_password("pc123", "a brand new passphrase")
    admin.sign_in("pc123", "a brand new passphrase")
    assert admin.must_change_password()
    with pytest.raises(ValidationError):
        admin.change_own_password("wrong current one", "yet another passphrase")
    admin.change_own_password("a brand new passphrase", "yet another passphrase")
    assert not admin.must_change_password()


def test_only_administrators_manage_users(admin: UserService) -> None:
    admin.ctx.sign_in_as(as_role(Role.COORDINATOR))
    for call in (
        lambda: admin.create_user("x1", GOOD, [Role.STATION_STAFF]),
        admin.list_users,
        lambda: admin.set_disabled("admin", True),
        lambda: admin.reset_password("admin", GOOD + "x"),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_the_last_administrator_stays(admin: UserService) -> None:
    with pytest.raises(ConflictError):
        admin.set_disabled("admin", True)


def test_sign_ins_are_audited(admin: UserService) -> None:
    with pytest.raises(SignInRefused):
        admin.sign_in("nobody", "wrong wrong wrong")
    admin.sign_in("admin", GOOD)
    total, rows = AuditTrailService(admin.ctx).events(AuditFilters())
    assert [r.action for r in rows][:3] == ["sign_in", "sign_in_failed", "user_created"]
    assert rows[1].reference == "nobody" and rows[1].detail == "unknown user name"


def test_an_emptied_users_table_never_reopens_setup(admin: UserService) -> None:
    """Issue 14 item 10: once the chain shows a user was created, ``DELETE FROM users`` does not
    put the database back in setup mode (where everything runs as the installation)."""
    ctx = admin.ctx
    admin.create_user("sam", GOOD, [Role.STATION_STAFF])
    with ctx.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM users")
    assert has_users(ctx)
    with pytest.raises(ConflictError, match="had users"):
        UserService(ctx).create_first_administrator("mallory", GOOD)
    with pytest.raises(SignInRefused):
        UserService(ctx).sign_in("admin", GOOD)


def test_verify_reports_a_user_inserted_or_promoted_by_hand(admin: UserService) -> None:
    """Issue 14 item 10: the users table is checked against the rows that created them."""
    ctx = admin.ctx
    admin.create_user("sam", GOOD, [Role.STATION_STAFF])
    assert AuditTrailService(ctx).verify().ok
    with ctx.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO users (username, display_name, password_hash, roles, organisation, disabled, failed_attempts, "
            "must_change_password, created_at, created_by) SELECT 'mallory', 'M', password_hash, roles, organisation, "
            "0, 0, 0, created_at, 'admin' FROM users WHERE username = 'admin'"
        )
        connection.exec_driver_sql(
            "UPDATE users SET roles = '[\"station_staff\", \"administrator\"]' WHERE username = 'sam'"
        )
    result = AuditTrailService(ctx).verify()
    assert not result.ok
    assert "user mallory: not created through the application" in result.summary()
    assert "user sam: roles administrator, station_staff are not the ones" in result.summary()
