"""Administration → Users, driven from the keyboard: add a support worker, refusals at their fields,
disable, reset a password, change roles."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.users import UserService
from diversion_desktop.ui import users_dialog
from diversion_desktop.ui.tasks import TaskRunner
from diversion_desktop.ui.users_dialog import UserFormDialog, UsersDialog

ADMIN_PASSWORD = "admin keeps the keys"


@pytest.fixture
def dialog(qtbot, gui_ctx: AppContext, gui_runner: TaskRunner) -> UsersDialog:
    UserService(gui_ctx).create_first_administrator("admin", ADMIN_PASSWORD, "Ada Admin")
    users = UsersDialog(gui_ctx, gui_runner)
    qtbot.addWidget(users)
    with qtbot.waitSignal(users.sig_loaded, timeout=5000):
        users.show()
    return users


def row_of(dialog: UsersDialog, username: str) -> list[str]:
    for row in range(dialog.table.rowCount()):
        if dialog.table.item(row, 0).text() == username:
            return [dialog.table.item(row, c).text() for c in range(dialog.table.columnCount())]
    raise AssertionError(f"{username} is not listed")


def open_form(qtbot, dialog: UsersDialog, button) -> UserFormDialog:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    form = dialog.form
    assert form is not None
    qtbot.waitExposed(form)
    return form


def submit(qtbot, form: UserFormDialog, dialog: UsersDialog, widget) -> None:
    """Enter in ``widget``; waits for the answer (accepted, or refused at the fields)."""
    with qtbot.waitSignal(form.runner.sig_idle, timeout=10000):
        qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_the_list_shows_the_administrator(dialog: UsersDialog) -> None:
    assert row_of(dialog, "admin")[:5] == ["admin", "Ada Admin", "administrator", "police", "active"]
    assert dialog.disable_button.text() == "&Disable"


def test_add_a_support_worker(qtbot, dialog: UsersDialog) -> None:
    providers = UserService(dialog.ctx).providers()
    form = open_form(qtbot, dialog, dialog.add_button)
    assert form.focusWidget() is form.username
    qtbot.keyClicks(form.username, "j.smith")
    qtbot.keyClick(form.username, Qt.Key.Key_Tab)
    qtbot.keyClicks(form.display_name, "Jo Smith")
    support = form.role_boxes[Role.SUPPORT_WORKER]
    support.setFocus()
    qtbot.keyClick(support, Qt.Key.Key_Space)
    assert support.isChecked()
    assert form.organisation.currentText() == providers[0]  # a support worker belongs to a provider
    qtbot.keyClicks(form.password, "first day password")
    qtbot.keyClicks(form.again, "first day password")
    assert form.hint.text() == "✓ This password will do."
    with qtbot.waitSignal(dialog.sig_loaded, timeout=10000):
        submit(qtbot, form, dialog, form.again)
    assert not form.isVisible()
    assert row_of(dialog, "j.smith")[:5] == [
        "j.smith",
        "Jo Smith",
        "support worker",
        providers[0],
        "active, must change password",
    ]
    assert "Added j.smith" in dialog.status.text()
    assert dialog.selected() is not None and dialog.selected().username == "j.smith"


def test_refusals_are_shown_at_their_fields(qtbot, dialog: UsersDialog) -> None:
    form = open_form(qtbot, dialog, dialog.add_button)
    qtbot.keyClicks(form.username, "admin")  # taken
    qtbot.keyClicks(form.password, "first day password")
    qtbot.keyClicks(form.again, "first day password")
    qtbot.keyClick(form.again, Qt.Key.Key_Return)  # no role yet: said before asking the service
    assert form.fields["roles"].error.text() == "Give the user at least one role."
    station = form.role_boxes[Role.STATION_STAFF]
    station.setFocus()
    qtbot.keyClick(station, Qt.Key.Key_Space)
    submit(qtbot, form, dialog, form.again)
    assert form.isVisible()
    assert "already a user called admin" in form.general_error.text()
    support = form.role_boxes[Role.SUPPORT_WORKER]
    support.setFocus()
    qtbot.keyClick(support, Qt.Key.Key_Space)  # a police role and a provider's: the service refuses
    form.username.selectAll()
    qtbot.keyClicks(form.username, "both.sides")
    submit(qtbot, form, dialog, form.again)
    assert "cannot also hold a police role" in form.fields["roles"].error.text()
    with qtbot.waitSignal(form.rejected, timeout=2000):
        qtbot.keyClick(form.username, Qt.Key.Key_Escape)


def test_disable_enable_and_reset(qtbot, dialog: UsersDialog, monkeypatch) -> None:
    service = UserService(dialog.ctx)
    service.create_user("pc1234", "station desk passphrase", [Role.STATION_STAFF], must_change_password=False)
    with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):
        dialog.refresh("pc1234")
    assert dialog.selected().username == "pc1234"
    monkeypatch.setattr(users_dialog, "ask_confirmation", lambda *_args: True)
    with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):
        qtbot.mouseClick(dialog.disable_button, Qt.MouseButton.LeftButton)
    assert row_of(dialog, "pc1234")[4] == "disabled"
    assert dialog.disable_button.text() == "&Enable"
    with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):
        qtbot.mouseClick(dialog.disable_button, Qt.MouseButton.LeftButton)
    assert row_of(dialog, "pc1234")[4] == "active"

    form = open_form(qtbot, dialog, dialog.reset_button)
    assert form.focusWidget() is form.password
    qtbot.keyClicks(form.password, "a temporary phrase")
    qtbot.keyClicks(form.again, "a temporary phrase")
    with qtbot.waitSignal(dialog.sig_loaded, timeout=10000):
        submit(qtbot, form, dialog, form.again)
    assert row_of(dialog, "pc1234")[4] == "active, must change password"


def test_an_administrator_cannot_disable_themselves(qtbot, dialog: UsersDialog, monkeypatch) -> None:
    monkeypatch.setattr(users_dialog, "ask_confirmation", lambda *_args: True)
    dialog.table.selectRow(0)
    with qtbot.waitSignal(dialog.runner.sig_idle, timeout=5000):
        qtbot.mouseClick(dialog.disable_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "You cannot disable your own account."


def test_change_roles_from_the_list_with_enter(qtbot, dialog: UsersDialog) -> None:
    UserService(dialog.ctx).create_user("pc1234", "station desk passphrase", [Role.STATION_STAFF])
    with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):
        dialog.refresh("pc1234")
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    form = dialog.form
    assert form is not None and form.mode == UserFormDialog.ROLES
    qtbot.waitExposed(form)
    assert form.role_boxes[Role.STATION_STAFF].isChecked()
    coordinator = form.role_boxes[Role.COORDINATOR]
    coordinator.setFocus()
    qtbot.keyClick(coordinator, Qt.Key.Key_Space)
    with qtbot.waitSignal(dialog.sig_loaded, timeout=10000):
        submit(qtbot, form, dialog, coordinator)
    assert row_of(dialog, "pc1234")[2] == "station staff, coordinator"
    assert QApplication.activeModalWidget() is not form


def test_ticking_administrator_moves_the_organisation_to_the_police(qtbot, dialog: UsersDialog) -> None:
    """Issue 14.7: administrators are police; the form follows the rule rather than refusing."""
    form = open_form(qtbot, dialog, dialog.add_button)
    support = form.role_boxes[Role.SUPPORT_WORKER]
    support.setFocus()
    qtbot.keyClick(support, Qt.Key.Key_Space)
    assert form.organisation.currentText() != "police"
    qtbot.keyClick(support, Qt.Key.Key_Space)  # not a support worker after all
    administrator = form.role_boxes[Role.ADMINISTRATOR]
    administrator.setFocus()
    qtbot.keyClick(administrator, Qt.Key.Key_Space)
    assert administrator.isChecked() and form.organisation.currentText() == "police"
