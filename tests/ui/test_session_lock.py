"""The idle lock: it comes after the (short, injected) idle time, hides every window's contents,
and gives back exactly what was being typed once the right password is given."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.users import UserService
from diversion_desktop.ui.main_window import MainWindow
from diversion_desktop.ui.session_lock import Cover, LockDialog, SessionLock
from tests.ui.conftest import type_text

PASSWORD = "tea at eleven sharp"


@pytest.fixture
def window(qtbot, gui_ctx: AppContext, gui_settings) -> MainWindow:
    UserService(gui_ctx).create_first_administrator("sam", PASSWORD, "Sam Patel", also=(Role.COORDINATOR,))
    main = MainWindow(gui_ctx, gui_settings)
    qtbot.addWidget(main)
    with qtbot.waitExposed(main):
        main.show()
    return main


def lock_dialog(window: MainWindow) -> LockDialog:
    dialog = window.session_lock.dialog
    assert dialog is not None
    return dialog


def unlock_with(qtbot, window: MainWindow, password: str) -> None:
    dialog = lock_dialog(window)
    qtbot.keyClicks(dialog.password, password)
    with qtbot.waitSignal(dialog.sig_unlock, timeout=2000):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)


def covered(window: MainWindow) -> bool:
    """Whether what is on top at the window's centre, and at its corners, is the opaque cover."""
    rect = window.rect()
    for point in (rect.center(), QPoint(5, 5), QPoint(rect.width() - 5, rect.height() - 5)):
        widget = window.childAt(point)
        while widget is not None and not isinstance(widget, Cover):
            widget = widget.parentWidget()
        if widget is None:
            return False
    return True


def test_idle_lock_hides_the_data_and_keeps_what_was_typed(qtbot, window: MainWindow) -> None:
    window.new_referral()
    form = window.intake
    type_text(qtbot, form.surname, "Müller")
    qtbot.keyClick(form.surname, Qt.Key.Key_Tab)
    type_text(qtbot, form.forenames, "Zoë")
    window.session_lock.set_idle_ms(200)
    with qtbot.waitSignal(window.session_lock.sig_locked, timeout=5000):
        pass  # no input: the idle time runs out
    dialog = lock_dialog(window)
    assert dialog.isVisible() and dialog.isModal()
    assert covered(window)
    assert dialog.sign_out_button.text() == "Sign out and &quit"

    # Typing at the covered form, or its shortcuts, does nothing while locked.
    qtbot.keyClicks(form.surname, "x")
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert form.surname.text() == "Müller"

    unlock_with(qtbot, window, "not my password")
    qtbot.waitUntil(lambda: "not your password" in dialog.message.text(), timeout=10000)
    assert window.session_lock.locked and covered(window)
    assert dialog.password.text() == ""

    with qtbot.waitSignal(window.session_lock.sig_unlocked, timeout=10000):
        unlock_with(qtbot, window, PASSWORD)
    assert not window.session_lock.locked and not covered(window)
    assert form.surname.text() == "Müller" and form.forenames.text() == "Zoë"
    assert window.focusWidget() is form.forenames  # where the person was typing
    assert window.tabs.currentWidget() is form


def test_the_lock_names_the_user_and_enter_unlocks(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.session_lock.sig_locked, timeout=2000):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # Account → Lock now
    dialog = lock_dialog(window)
    assert any("Signed in as Sam Patel" in label.text() for label in dialog.findChildren(QLabel))
    assert dialog.focusWidget() is dialog.password
    qtbot.keyClick(dialog.password, Qt.Key.Key_Escape)  # Escape does not unlock
    assert dialog.isVisible() and window.session_lock.locked
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # nothing typed: asked for it
    assert dialog.message.text() == "Type your password."
    with qtbot.waitSignal(window.session_lock.sig_unlocked, timeout=10000):
        unlock_with(qtbot, window, PASSWORD)


def test_five_wrong_passwords_lock_the_account_and_the_lock_says_so(qtbot, window: MainWindow) -> None:
    window.lock_now()
    dialog = lock_dialog(window)
    for _ in range(5):
        with qtbot.waitSignal(window.session_lock._runner.sig_idle, timeout=10000):
            unlock_with(qtbot, window, "a wrong guess")
    assert "this account is locked until" in dialog.message.text()
    with qtbot.waitSignal(window.session_lock._runner.sig_idle, timeout=10000):
        unlock_with(qtbot, window, PASSWORD)  # the right one, too late
    assert "this account is locked until" in dialog.message.text()
    assert window.session_lock.locked


def test_sign_out_and_quit(qtbot, window: MainWindow) -> None:
    window.lock_now()
    dialog = lock_dialog(window)
    with qtbot.waitSignal(window.sig_signed_out, timeout=10000) as signed_out:
        qtbot.mouseClick(dialog.sign_out_button, Qt.MouseButton.LeftButton)
    assert signed_out.args == ["quit"]
    assert window.ctx.principal is None and not window.isVisible()


def test_a_window_opened_while_locked_is_covered_too(qtbot, window: MainWindow) -> None:
    window.lock_now()
    box = QMessageBox(
        QMessageBox.Icon.Warning, "A task's message", "Something about a person.", QMessageBox.StandardButton.Ok, window
    )
    qtbot.addWidget(box)
    box.open()  # as a background task's error would
    qtbot.waitUntil(lambda: box in window.session_lock._covers, timeout=2000)
    cover = window.session_lock._covers[box]
    assert cover.isVisible() and cover.geometry() == box.rect()
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is lock_dialog(window), timeout=2000)
    with qtbot.waitSignal(window.session_lock.sig_unlocked, timeout=10000):
        unlock_with(qtbot, window, PASSWORD)
    assert not cover.isVisible() or box not in window.session_lock._covers
    assert box.isVisible()


def test_input_restarts_the_idle_time(qtbot, window: MainWindow) -> None:
    lock: SessionLock = window.session_lock
    lock.set_idle_ms(60_000)
    qtbot.waitUntil(lambda: lock._since_input.elapsed() >= 20, timeout=2000)
    qtbot.keyClick(window.intake.surname, Qt.Key.Key_A)
    assert lock._since_input.elapsed() < 20
    assert lock.available and not lock.locked


def test_nothing_locks_without_a_stored_user(qtbot, gui_ctx: AppContext, gui_settings) -> None:
    window = MainWindow(gui_ctx, gui_settings)  # the tests' principal holding every role: no password
    qtbot.addWidget(window)
    window.show()
    assert not window.session_lock.available and not window.lock_action.isEnabled()
    window.lock_now()
    assert not window.session_lock.locked


def test_the_idle_time_is_a_setting(gui_settings) -> None:
    assert gui_settings.idle_lock_minutes == 10
    gui_settings.idle_lock_minutes = 3
    assert gui_settings.idle_lock_minutes == 3
    gui_settings.idle_lock_minutes = 0
    assert gui_settings.idle_lock_minutes == 1  # never off
