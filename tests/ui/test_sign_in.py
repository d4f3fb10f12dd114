"""Signing in, as a person does it: the first administrator, refusals, the lockout, a forced change."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.users import SIGN_IN_REFUSED, UserService
from diversion_desktop.ui.opening import DatabaseOpening
from diversion_desktop.ui.sign_in import (
    ChangePasswordDialog,
    FirstAdministratorDialog,
    SignInDialog,
    sign_in_at_start,
)

ADMIN_PASSWORD = "admin keeps the keys"
STAFF_PASSWORD = "station desk passphrase"


@pytest.fixture
def users(gui_ctx: AppContext) -> AppContext:
    """A database with an administrator and a station officer; no one signed in."""
    service = UserService(gui_ctx)
    service.create_first_administrator("admin", ADMIN_PASSWORD, "Ada Admin")
    service.create_user(
        "pc1234", STAFF_PASSWORD, [Role.STATION_STAFF], display_name="PC Example", must_change_password=False
    )
    gui_ctx.sign_in_as(None)
    return gui_ctx


def opening_of(qtbot, ctx: AppContext) -> DatabaseOpening:
    """The database of ``ctx`` opened as the application opens it, behind the sign-in (its own context)."""
    opening = DatabaseOpening(ctx.engine.url.render_as_string(hide_password=False))
    with qtbot.waitSignal(opening.sig_done, timeout=30000):
        opening.start()
    return opening


def show(qtbot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    return dialog


def sign_in_by_keyboard(qtbot, dialog: SignInDialog, name: str, password: str) -> None:
    """Type the name (unless it is there from the last try) and password, press Enter, wait."""
    if dialog.username.text() != name:
        dialog.username.setFocus()
        qtbot.keyClick(dialog.username, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(dialog.username, name)
        qtbot.keyClick(dialog.username, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.password
    qtbot.keyClicks(dialog.password, password)
    with qtbot.waitSignal(dialog.runner.sig_idle, timeout=10000):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)


def when_modal(action: Callable[[QWidget], None], after: QWidget | None = None) -> None:
    """Run ``action`` on the next modal dialog (other than ``after``), once ``exec`` has shown it."""

    def attempt() -> None:
        widget = QApplication.activeModalWidget()
        if widget is None or widget is after or not widget.isVisible():
            QTimer.singleShot(10, attempt)
            return
        try:
            action(widget)
        except BaseException:
            if isinstance(widget, QDialog):  # a failed step must not leave exec() waiting for ever
                widget.done(QDialog.DialogCode.Rejected)
            raise

    QTimer.singleShot(0, attempt)


# -- the first administrator ---------------------------------------------------------------------------
def test_first_start_creates_the_administrator_and_signs_in(qtbot, gui_ctx: AppContext) -> None:
    gui_ctx.sign_in_as(None)
    dialog = show(qtbot, FirstAdministratorDialog(gui_ctx))
    assert dialog.focusWidget() is dialog.username
    assert "at least 12 characters" in dialog.hint.text()  # the policy, before anything is typed
    qtbot.keyClicks(dialog.username, "samuel.patel1")
    qtbot.keyClick(dialog.username, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.display_name, "Sam Patel")
    qtbot.keyClick(dialog.display_name, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.password, "password1")
    assert dialog.hint.text().startswith("✗") and "at least 12" in dialog.hint.text()
    qtbot.keyClicks(dialog.password, "234")  # "password1234": long enough, and common
    assert "common passwords" in dialog.hint.text()
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, "Samuel.Patel1")
    assert "user name" in dialog.hint.text()
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, "kettle on at seven")
    assert "same password again" in dialog.hint.text()
    qtbot.keyClick(dialog.password, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.again, "kettle on at seven")
    assert dialog.hint.text() == "✓ This password will do."
    assert dialog.coordinator.isChecked()  # a one-person installation can try everything
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        qtbot.keyClick(dialog.again, Qt.Key.Key_Return)
    principal = gui_ctx.principal
    assert principal is not None and principal.username == "samuel.patel1"
    assert principal.roles == {Role.ADMINISTRATOR, Role.COORDINATOR}
    assert principal.display_name == "Sam Patel"


def test_the_administrator_alone_and_a_refusal_at_its_field(qtbot, gui_ctx: AppContext) -> None:
    gui_ctx.sign_in_as(None)
    dialog = show(qtbot, FirstAdministratorDialog(gui_ctx))
    qtbot.keyClicks(dialog.username, "x")  # too short for a user name: the service says so
    for edit in (dialog.password, dialog.again):
        qtbot.keyClicks(edit, "kettle on at seven")
    dialog.coordinator.setFocus()
    qtbot.keyClick(dialog.coordinator, Qt.Key.Key_Space)
    assert not dialog.coordinator.isChecked()
    with qtbot.waitSignal(dialog.runner.sig_idle, timeout=10000):
        qtbot.keyClick(dialog.again, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "2 to 64" in dialog.fields["username"].error.text()
    assert dialog.focusWidget() is dialog.username
    dialog.username.clear()
    qtbot.keyClicks(dialog.username, "admin")
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        qtbot.keyClick(dialog.username, Qt.Key.Key_Return)
    assert gui_ctx.principal is not None and gui_ctx.principal.roles == {Role.ADMINISTRATOR}


def test_different_passwords_are_refused_before_asking_the_service(qtbot, gui_ctx: AppContext) -> None:
    gui_ctx.sign_in_as(None)
    dialog = show(qtbot, FirstAdministratorDialog(gui_ctx))
    qtbot.keyClicks(dialog.username, "admin")
    qtbot.keyClicks(dialog.password, "kettle on at seven")
    qtbot.keyClicks(dialog.again, "kettle on at eight")
    qtbot.keyClick(dialog.again, Qt.Key.Key_Return)
    assert dialog.fields["again"].error.text() == "The two passwords are not the same."
    assert dialog.hint.isHidden()  # said once, at the field
    assert gui_ctx.principal is None
    qtbot.keyClick(dialog.again, Qt.Key.Key_Backspace)  # editing: the live check again
    assert dialog.fields["again"].error.text() == "" and not dialog.hint.isHidden()


def test_a_new_database_asks_for_the_first_administrator_at_start(qtbot, gui_ctx: AppContext) -> None:
    gui_ctx.sign_in_as(None)
    seen: list[str] = []

    def create(dialog: QWidget) -> None:
        seen.append(dialog.objectName())
        assert isinstance(dialog, FirstAdministratorDialog)
        qtbot.keyClicks(dialog.username, "admin")
        for edit in (dialog.password, dialog.again):
            qtbot.keyClicks(edit, "kettle on at seven")
        qtbot.keyClick(dialog.again, Qt.Key.Key_Return)

    when_modal(create)
    ctx = sign_in_at_start(opening_of(qtbot, gui_ctx))
    assert seen == ["firstAdministratorDialog"]
    assert ctx is not None and ctx.principal is not None and ctx.principal.username == "admin"


# -- signing in ------------------------------------------------------------------------------------------
def test_sign_in_by_keyboard(qtbot, users: AppContext) -> None:
    dialog = show(qtbot, SignInDialog(opening_of(qtbot, users)))
    assert dialog.focusWidget() is dialog.username
    assert "gui.sqlite3" in dialog.database.text()
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        sign_in_by_keyboard(qtbot, dialog, "PC1234", STAFF_PASSWORD)
    principal = dialog.ctx.principal
    assert principal is not None and principal.roles == {Role.STATION_STAFF} and not dialog.must_change


def test_a_wrong_password_and_an_unknown_name_get_the_same_message(qtbot, users: AppContext) -> None:
    dialog = show(qtbot, SignInDialog(opening_of(qtbot, users)))
    sign_in_by_keyboard(qtbot, dialog, "pc1234", "not the password")
    assert dialog.isVisible() and dialog.message.text() == SIGN_IN_REFUSED
    assert dialog.password.text() == "" and dialog.focusWidget() is dialog.password
    assert dialog.username.text() == "pc1234"  # kept: only the password is typed again
    sign_in_by_keyboard(qtbot, dialog, "nobody-here", "not the password")
    assert dialog.message.text() == SIGN_IN_REFUSED
    assert dialog.ctx.principal is None


def test_five_failures_lock_and_the_right_password_learns_nothing(qtbot, users: AppContext) -> None:
    dialog = show(qtbot, SignInDialog(opening_of(qtbot, users)))
    for _ in range(5):
        sign_in_by_keyboard(qtbot, dialog, "pc1234", "a wrong guess")
        assert dialog.message.text() == SIGN_IN_REFUSED  # says nothing about the account yet
    assert "locked for 15 minutes" in dialog.message.text()  # the rule is in the message all along
    sign_in_by_keyboard(qtbot, dialog, "pc1234", STAFF_PASSWORD)  # the right password, too late
    assert dialog.message.text() == SIGN_IN_REFUSED  # while locked, the same words for every password
    assert dialog.ctx.principal is None and dialog.isVisible()


def test_a_disabled_user_is_refused(qtbot, users: AppContext) -> None:
    users.sign_in_as(UserService(users).sign_in("admin", ADMIN_PASSWORD))
    UserService(users).set_disabled("pc1234", True)
    users.sign_in_as(None)
    dialog = show(qtbot, SignInDialog(opening_of(qtbot, users)))
    sign_in_by_keyboard(qtbot, dialog, "pc1234", STAFF_PASSWORD)
    assert dialog.message.text() == "This account is disabled. Ask an administrator."
    assert dialog.ctx.principal is None


def test_an_empty_form_is_answered_at_its_fields(qtbot, users: AppContext) -> None:
    dialog = show(qtbot, SignInDialog(opening_of(qtbot, users)))
    qtbot.keyClick(dialog.username, Qt.Key.Key_Return)
    assert dialog.fields["username"].error.text() == "Type your user name."
    assert dialog.fields["password"].error.text() == "Type your password."


def test_escape_quits(qtbot, users: AppContext) -> None:
    dialog = show(qtbot, SignInDialog(opening_of(qtbot, users)))
    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        qtbot.keyClick(dialog.username, Qt.Key.Key_Escape)
    assert dialog.cancel_button.text() == "&Quit"


# -- a password an administrator set -------------------------------------------------------------------
def _reset_by_admin(ctx: AppContext) -> None:
    service = UserService(ctx)
    service.sign_in("admin", ADMIN_PASSWORD)
    service.reset_password("pc1234", "temporary password 1")
    ctx.sign_in_as(None)


def test_a_reset_password_must_be_changed_before_the_window(qtbot, users: AppContext) -> None:
    _reset_by_admin(users)
    seen: list[str] = []

    def sign_in(dialog: QWidget) -> None:
        seen.append(dialog.objectName())
        qtbot.keyClicks(dialog.username, "pc1234")
        qtbot.keyClicks(dialog.password, "temporary password 1")
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
        when_modal(change, after=dialog)

    def change(dialog: QWidget) -> None:
        seen.append(dialog.objectName())
        assert isinstance(dialog, ChangePasswordDialog) and dialog.forced
        assert dialog.cancel_button.text() == "&Quit"
        assert dialog.focusWidget() is dialog.current
        qtbot.keyClicks(dialog.current, "temporary password 1")
        qtbot.keyClick(dialog.current, Qt.Key.Key_Tab)
        qtbot.keyClicks(dialog.password, "my own long phrase")
        qtbot.keyClick(dialog.password, Qt.Key.Key_Tab)
        qtbot.keyClicks(dialog.again, "my own long phrase")
        qtbot.keyClick(dialog.again, Qt.Key.Key_Return)

    when_modal(sign_in)
    ctx = sign_in_at_start(opening_of(qtbot, users))
    assert ctx is not None
    assert seen == ["signInDialog", "changePasswordDialog"]
    assert not UserService(ctx).must_change_password()
    ctx.sign_in_as(None)
    assert UserService(ctx).sign_in("pc1234", "my own long phrase").username == "pc1234"


def test_cancelling_the_forced_change_quits_and_signs_out(qtbot, users: AppContext) -> None:
    _reset_by_admin(users)

    def sign_in(dialog: QWidget) -> None:
        qtbot.keyClicks(dialog.username, "pc1234")
        qtbot.keyClicks(dialog.password, "temporary password 1")
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
        when_modal(lambda change: qtbot.keyClick(change.current, Qt.Key.Key_Escape), after=dialog)

    when_modal(sign_in)
    opening = opening_of(qtbot, users)
    assert sign_in_at_start(opening) is None
    assert opening.result().ctx.principal is None


def test_changing_ones_own_password_with_a_wrong_current_one(qtbot, users: AppContext) -> None:
    UserService(users).sign_in("pc1234", STAFF_PASSWORD)
    dialog = show(qtbot, ChangePasswordDialog(users))
    assert dialog.cancel_button.text() != "&Quit"
    qtbot.keyClicks(dialog.current, "not my password")
    qtbot.keyClicks(dialog.password, "a better phrase now")
    qtbot.keyClicks(dialog.again, "a better phrase now")
    with qtbot.waitSignal(dialog.runner.sig_idle, timeout=10000):
        qtbot.keyClick(dialog.again, Qt.Key.Key_Return)
    assert dialog.fields["current"].error.text() == "The current password is not right."
    assert dialog.current.text() == "" and dialog.focusWidget() is dialog.current
    qtbot.keyClicks(dialog.current, STAFF_PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        qtbot.keyClick(dialog.current, Qt.Key.Key_Return)
