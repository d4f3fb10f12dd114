"""The whole window driven from the keyboard: shortcuts, saving a referral, sample data."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QScrollArea

from diversion_desktop.ui.main_window import MainWindow
from tests.ui.conftest import type_text
from tests.ui.conftest_views import click, refer, wait_idle


def make_window(qtbot, ctx, settings) -> MainWindow:
    window = MainWindow(ctx, settings)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
    return window


def test_title_names_the_database(qtbot, gui_ctx, gui_settings) -> None:
    window = make_window(qtbot, gui_ctx, gui_settings)
    assert window.windowTitle().startswith("Diversion Desktop — ")
    assert "gui.sqlite3" in window.windowTitle()


def test_new_referral_by_keyboard_then_save_opens_its_page(qtbot, gui_ctx, gui_settings) -> None:
    window = make_window(qtbot, gui_ctx, gui_settings)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.intake
    form = window.intake
    assert QApplication.focusWidget() is form.surname
    type_text(qtbot, form.surname, "Müller")
    type_text(qtbot, form.forenames, "Zoë")
    type_text(qtbot, form.date_of_birth, "14/01/1995")
    form.area.setCurrentIndex(form.area.findData("windsor-and-maidenhead"))
    type_text(qtbot, form.incident_at, "09/03/2026 23:10")
    row = form.substance_rows[0]
    row.substance.setCurrentIndex(row.substance.findData("cocaine"))
    type_text(qtbot, row.quantity, "0.5")
    form.consent.setFocus()
    qtbot.keyClick(form.consent, Qt.Key.Key_Space)
    assert form.decision_label.text() == "Eligible for diversion"
    with qtbot.waitSignal(form.sig_saved, timeout=5000) as saved:
        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    reference = saved.args[0].reference
    assert reference.startswith("WM-2026-")
    assert window.tabs.currentWidget() is window.referral
    qtbot.waitUntil(lambda: reference in window.referral.title.text(), timeout=5000)
    qtbot.waitUntil(lambda: "Awaiting first appointment: 1" in window.counts_label.text(), timeout=5000)

    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.search
    with qtbot.waitSignal(window.search.sig_results_shown, timeout=5000) as shown:
        type_text(qtbot, window.search.search_box, "muller")
    assert shown.args[0] == 1


def test_sample_data_from_the_menu(qtbot, gui_ctx, gui_settings) -> None:
    window = make_window(qtbot, gui_ctx, gui_settings)
    with qtbot.waitSignal(window.sig_demo_filled, timeout=60000) as filled:
        window.demo_action.trigger()
    assert sum(filled.args[0].values()) >= 300
    qtbot.waitUntil(lambda: "Awaiting first appointment: 0" not in window.counts_label.text(), timeout=5000)


def test_evaluation_tab_is_built_on_first_use(qtbot, gui_ctx, gui_settings) -> None:
    import sys

    window = make_window(qtbot, gui_ctx, gui_settings)
    assert window._built("evaluation") is None
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    from diversion_desktop.ui.evaluation_view import EvaluationView

    assert isinstance(window._built("evaluation"), EvaluationView)
    assert window.tabs.currentWidget() is window.evaluation
    assert "diversion_desktop.ui.evaluation_view" in sys.modules


def test_import_menu_opens_the_import_dialog(qtbot, gui_ctx, gui_settings) -> None:
    from diversion_desktop.ui.import_dialog import ImportDialog

    window = make_window(qtbot, gui_ctx, gui_settings)
    window.import_action.trigger()
    dialogs = [d for d in window.findChildren(ImportDialog) if d.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].close()


def test_the_referral_list_tab_opens_a_referral(qtbot, gui_ctx, gui_settings) -> None:
    from diversion_desktop.sample_data.demo import fill

    fill(gui_ctx, people=20, referrals=30, seed=3)
    window = make_window(qtbot, gui_ctx, gui_settings)
    assert not window.referral_list.model.loaded  # nothing read before the tab is shown
    with qtbot.waitSignal(window.referral_list.sig_loaded, timeout=10000) as loaded:
        qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.referral_list
    assert loaded.args[0] == 30
    reference = window.referral_list.model.row_at(0).reference
    window.referral_list.table.setFocus()
    qtbot.keyClick(window.referral_list.table, Qt.Key.Key_Return)
    assert window.tabs.currentWidget() is window.referral
    qtbot.waitUntil(lambda: reference in window.referral.title.text(), timeout=5000)


def test_data_protection_menu_follows_the_role(qtbot, gui_ctx, gui_settings) -> None:
    from diversion_desktop.domain.permissions import Role
    from tests.conftest import as_role

    window = make_window(qtbot, gui_ctx, gui_settings)
    assert window.data_menu.menuAction().isVisible()
    names = {a.objectName() for a in window.data_menu.actions() if a.isVisible()}
    assert {"mergeAction", "undoMergeAction", "subjectAccessAction", "legalHoldAction", "retentionAction"} <= names
    window.close()  # (signed out: the next person's window; two at once may not both be activated offscreen)

    gui_ctx.sign_in_as(as_role(Role.STATION_STAFF))
    station = make_window(qtbot, gui_ctx, gui_settings)
    assert not station.data_menu.menuAction().isVisible()


def test_ctrl_n_after_a_save_gives_an_empty_form_with_the_surname_in_view(qtbot, gui_ctx, gui_settings) -> None:
    window = make_window(qtbot, gui_ctx, gui_settings)
    window.resize(1000, 480)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.intake
    type_text(qtbot, form.surname, "Müller")
    type_text(qtbot, form.forenames, "Zoë")
    type_text(qtbot, form.date_of_birth, "14/01/1995")
    form.area.setCurrentIndex(form.area.findData("windsor-and-maidenhead"))
    type_text(qtbot, form.incident_at, "09/03/2026 23:10")
    type_text(qtbot, form.officer_name, "PC Ward")
    type_text(qtbot, form.station, "Windsor")
    row = form.substance_rows[0]
    row.substance.setCurrentIndex(row.substance.findData("cocaine"))
    type_text(qtbot, row.quantity, "0.5")
    form.offence.setFocus()
    for _ in range(7):  # Tab down to the consent box at the foot of the form, as a person would
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is form.consent
    qtbot.keyClick(form.consent, Qt.Key.Key_Space)
    with qtbot.waitSignal(form.sig_saved, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is form.surname
    QApplication.processEvents()
    viewport = form.findChild(QScrollArea).viewport()
    assert viewport.rect().contains(QRect(form.surname.mapTo(viewport, QPoint(0, 0)), form.surname.size()))
    assert (form.surname.text(), form.officer_name.text(), form.station.text()) == ("", "", "Windsor")
    assert not form.has_unsaved_work()


def test_a_disabled_account_is_signed_out_at_its_next_action(qtbot, gui_ctx, gui_settings, tmp_path) -> None:
    """Issue 14.6: an account disabled by an administrator kept working in its open window."""
    from diversion_desktop.domain.permissions import Role
    from diversion_desktop.services.bootstrap import open_context
    from diversion_desktop.services.users import UserService

    users = UserService(gui_ctx)
    users.create_first_administrator("admin", "a long admin passphrase")
    users.create_user("coord", "the coordinator's phrase", [Role.COORDINATOR], must_change_password=False)
    users.sign_out()
    users.sign_in("coord", "the coordinator's phrase")
    window = make_window(qtbot, gui_ctx, gui_settings)
    admin_desk = open_context(f"sqlite:///{(tmp_path / 'gui.sqlite3').as_posix()}", user="admin-desk", migrate=False)
    try:
        UserService(admin_desk).sign_in("admin", "a long admin passphrase")
        UserService(admin_desk).set_disabled("coord", True)
    finally:
        admin_desk.engine.dispose()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, window.search.search_box, "smith")
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "accountRevoked") is not None, timeout=5000)
    box = window.findChild(QMessageBox, "accountRevoked")
    assert "disabled by an administrator" in box.text()
    assert window.findChild(QMessageBox, "errorDialog") is None  # said once, not as a search error
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert window.signed_out == "sign in" and gui_ctx.principal is None


def test_a_change_made_on_one_page_is_read_again_by_the_others(qtbot, gui_ctx, gui_settings) -> None:
    """Each page listens for the changes the others announce (no refresh by hand): a booking on
    the referral page shows in the day's appointments and leaves the queue; attendance recorded in
    the appointments reloads the referral page showing it."""
    saved = refer(gui_ctx, surname="Follow")
    window = make_window(qtbot, gui_ctx, gui_settings)
    day = window.appointments
    day.centre.setCurrentIndex(day.centre.findData("thatcham"))
    day.day.set_value(datetime(2026, 3, 10).date())
    day.refresh()
    queues = window.queues
    wait_idle(qtbot, window.runner)
    assert day.model.rows == [] and saved.reference in [r.reference for r in queues.models["awaiting_appointment"].rows]

    page = window.referral
    with qtbot.waitSignal(page.sig_loaded, timeout=10000):
        window.open_referral(saved.id)
    click(qtbot, page.book_button)
    dialog = page.book_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.when, "10/03/2026 15:30")
    dialog.centre.setCurrentIndex(dialog.centre.findData("thatcham"))
    qtbot.keyClicks(dialog.worker, "Jo Worker")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: [r.referral_reference for r in day.model.rows] == [saved.reference], timeout=10000)
    qtbot.waitUntil(
        lambda: saved.reference not in [r.reference for r in queues.models["awaiting_appointment"].rows], timeout=10000
    )
    wait_idle(qtbot, window.runner)

    day.table.selectRow(0)
    with qtbot.waitSignal(page.sig_loaded, timeout=10000) as reloaded:  # the referral page, open on it, reloads
        click(qtbot, day.cancelled_button)
    assert reloaded.args == [saved.id]
    qtbot.waitUntil(lambda: page.appointments_model.rows[0].attendance == "cancelled", timeout=10000)
