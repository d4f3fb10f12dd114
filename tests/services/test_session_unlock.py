"""Unlocking a locked session (``UserService.unlock``) and the person's reference on audit rows."""

from __future__ import annotations

import pytest

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.audit_trail import AuditFilters, AuditTrailService
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.users import MAX_FAILURES, SignInRefused, UserService
from tests.conftest import FakeClock

GOOD = "correct horse battery"


@pytest.fixture
def signed_in(ctx: AppContext) -> UserService:
    service = UserService(ctx)
    service.create_first_administrator("Admin", GOOD, "Ada Admin", also=(Role.COORDINATOR,))
    return service


def test_unlock_with_the_right_password_keeps_the_user_signed_in(signed_in: UserService) -> None:
    signed_in.unlock(GOOD)
    assert signed_in.ctx.principal is not None and signed_in.ctx.principal.username == "admin"


def test_a_wrong_password_says_so_and_counts(signed_in: UserService) -> None:
    with pytest.raises(SignInRefused, match="not your password") as refused:
        signed_in.unlock("not the password at all")
    assert f"After {MAX_FAILURES} wrong passwords" in str(refused.value)
    assert signed_in.ctx.principal is not None  # still signed in: the session stays locked, not ended


def test_the_fifth_wrong_password_locks_the_account_and_the_message_says_so(
    signed_in: UserService, clock: FakeClock
) -> None:
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(SignInRefused, match="not your password"):
            signed_in.unlock("wrong wrong wrong")
    with pytest.raises(SignInRefused, match="this account is locked until"):
        signed_in.unlock("wrong wrong wrong")
    with pytest.raises(SignInRefused, match="this account is locked until"):
        signed_in.unlock(GOOD)  # the right password no longer unlocks
    clock.advance(minutes=16)
    signed_in.unlock(GOOD)


def test_a_disabled_account_cannot_unlock(signed_in: UserService) -> None:
    admins_session = signed_in.ctx.principal
    signed_in.create_user("second", "another long passphrase", [Role.ADMINISTRATOR], must_change_password=False)
    signed_in.sign_in("second", "another long passphrase")
    signed_in.set_disabled("admin", True)
    signed_in.ctx.sign_in_as(admins_session)  # admin's session, left locked meanwhile
    with pytest.raises(SignInRefused, match="disabled"):
        signed_in.unlock(GOOD)


def test_audit_rows_name_the_person_by_reference(ctx: AppContext, make_draft) -> None:
    from diversion_desktop.services.intake import IntakeService

    saved = IntakeService(ctx).save(make_draft())
    total, rows = AuditTrailService(ctx).events(AuditFilters())
    with_person = [r for r in rows if r.person_id is not None]
    assert total >= 1 and with_person
    assert all(r.person_reference.startswith("P") for r in with_person), [r.person_reference for r in with_person]
    assert saved.reference


def test_a_sign_in_is_recorded_under_the_name_signed_in_with(ctx: AppContext) -> None:
    ctx.user = "workstation-login"  # what the context names before anyone signs in
    service = UserService(ctx)
    service.create_first_administrator("Admin", GOOD)
    ctx.sign_in_as(None)
    ctx.user = "workstation-login"
    service.sign_in("admin", GOOD)
    total, rows = AuditTrailService(ctx).events(AuditFilters(username="admin"))
    assert [r.action for r in rows] == ["sign_in", "user_created"]


def test_after_signing_out_refusals_are_not_put_on_the_last_user(ctx: AppContext, monkeypatch) -> None:
    monkeypatch.setenv("DIVERSION_USER", "workstation-7")
    service = UserService(ctx)
    service.create_first_administrator("Admin", GOOD)
    service.sign_out()
    assert ctx.principal is None and ctx.user == "workstation-7"
    with pytest.raises(SignInRefused):
        service.sign_in("admin", "a wrong guess here")
    service.sign_in("admin", GOOD)  # reading the audit trail needs an administrator
    total, rows = AuditTrailService(ctx).events(AuditFilters(action="sign_in_failed"))
    assert [r.username for r in rows] == ["workstation-7"]
