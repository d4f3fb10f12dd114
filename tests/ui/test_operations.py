"""The one way views run background work (ui/operations.py) and announce what changed (ui/changes.py)."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from diversion_desktop.services.errors import AccountRevoked, ConflictError, StaleRecord
from diversion_desktop.ui.changes import Changed, Changes
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.tasks import TaskRunner

TIMEOUT = 5000


def _view(qtbot) -> tuple[QWidget, QPushButton]:
    view = QWidget()
    button = QPushButton("Go", view)
    qtbot.addWidget(view)
    return view, button


def test_the_work_runs_on_the_worker_and_the_answer_on_the_gui_thread_busy_meanwhile(
    qtbot, gui_runner: TaskRunner
) -> None:
    view, button = _view(qtbot)
    release = threading.Event()
    threads: list[threading.Thread] = []
    answers: list[tuple[int, bool, bool]] = []
    updates: list[bool] = []

    def work() -> int:
        threads.append(threading.current_thread())
        release.wait(TIMEOUT / 1000)
        return 42

    Op(view, work).busy(lambda: updates.append(is_busy(view))).disabling(button).success(
        lambda result: answers.append((result, is_busy(view), button.isEnabled()))
    ).run_in(gui_runner)
    assert is_busy(view) and not button.isEnabled() and updates == [True]
    release.set()
    qtbot.waitUntil(lambda: bool(answers), timeout=TIMEOUT)
    assert threads[0] is not threading.main_thread()
    assert answers == [(42, False, True)]  # the view is idle again when its answer comes
    assert updates == [True, False, False]  # started; ended (before the answer); after the answer
    assert not is_busy(view) and button.isEnabled()


def test_an_error_is_said_in_a_dialog_unless_the_view_says_it_itself(qtbot, gui_runner: TaskRunner) -> None:
    view, _button = _view(qtbot)

    def refuse() -> None:
        raise ConflictError("Already confirmed.")

    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        Op(view, refuse).run_in(gui_runner)
    box = view.findChild(QMessageBox, "errorDialog")
    assert box is not None and box.text() == "Already confirmed."

    line = QLabel(view)
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        Op(view, refuse).errors_in(line.setText).run_in(gui_runner)
    assert line.text() == "Already confirmed."

    seen: list[str] = []
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        Op(view, refuse).failure(lambda error: seen.append(str(error)) or True).run_in(gui_runner)
    assert seen == ["Already confirmed."] and len(view.findChildren(QMessageBox, "errorDialog")) == 1


def test_a_record_changed_meanwhile_offers_a_reload(qtbot, gui_runner: TaskRunner) -> None:
    view, _button = _view(qtbot)
    reloaded: list[bool] = []

    def stale() -> None:
        raise StaleRecord("Changed by jo at 10:02.")

    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        Op(view, stale).reload_on_stale(lambda: reloaded.append(True)).run_in(gui_runner)
    box = view.findChild(QMessageBox, "staleRecordDialog")
    assert box is not None and "jo" in box.text() and view.findChild(QMessageBox, "errorDialog") is None
    box.button(QMessageBox.StandardButton.Ok).click()
    assert reloaded == [True]


def test_a_closed_dialog_hears_nothing_but_the_change_is_still_announced(qtbot, gui_runner: TaskRunner) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    inside = QLabel(dialog)
    QVBoxLayout(dialog).addWidget(inside)
    dialog.show()
    release = threading.Event()
    heard: list[object] = []
    announced: list[Changes] = []
    gui_runner.data_changed.changed.connect(announced.append)

    def work() -> str:
        release.wait(TIMEOUT / 1000)
        return "merged"

    Op(inside, work).busy().changes(Changed.PEOPLE, 7).success(heard.append).run_in(gui_runner)
    with qtbot.waitSignal(gui_runner.sig_idle, timeout=TIMEOUT):
        dialog.reject()
        release.set()
    assert heard == []
    assert announced[0].what == Changed.PEOPLE and announced[0].referral_id == 7
    assert announced[0].made_by(dialog) and not announced[0].made_by(QWidget())


def test_changes_are_announced_only_on_success_and_when_something_was_written(qtbot, gui_runner: TaskRunner) -> None:
    view, _button = _view(qtbot)
    announced: list[Changes] = []
    gui_runner.data_changed.changed.connect(announced.append)

    def refuse() -> None:
        raise ConflictError("No.")

    for work, when in (
        (refuse, None),
        (lambda: 0, lambda written: written > 0),
        (lambda: 3, lambda written: written > 0),
    ):
        with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
            Op(view, work).changes(Changed.REFERRALS, when=when).failure(lambda _error: True).run_in(gui_runner)
    assert [c.what for c in announced] == [Changed.REFERRALS]
    assert announced[0].touches(Changed.REFERRALS | Changed.APPOINTMENTS) and not announced[0].touches(Changed.USERS)


def test_progress_reaches_the_gui_thread(qtbot, gui_runner: TaskRunner) -> None:
    view, _button = _view(qtbot)
    shown: list[tuple[int, int, bool]] = []

    def work(report) -> str:
        for done in range(1, 4):
            report(done, 3)
        return "done"

    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        Op(view, work).with_progress(
            lambda done, total: shown.append((done, total, threading.current_thread() is threading.main_thread()))
        ).run_in(gui_runner)
    qtbot.waitUntil(lambda: len(shown) == 3, timeout=TIMEOUT)
    assert shown == [(1, 3, True), (2, 3, True), (3, 3, True)]


def test_the_wait_cursor_goes_even_when_the_view_has_gone(qtbot, gui_runner: TaskRunner) -> None:
    view = QWidget()
    release = threading.Event()
    Op(view, lambda: release.wait(TIMEOUT / 1000)).wait_cursor().run_in(gui_runner)
    assert QApplication.overrideCursor() is not None
    assert QApplication.overrideCursor().shape() == Qt.CursorShape.WaitCursor
    shiboken6.delete(view)
    with qtbot.waitSignal(gui_runner.sig_idle, timeout=TIMEOUT):
        release.set()
    assert QApplication.overrideCursor() is None


def test_an_account_revoked_meanwhile_leaves_nothing_busy(qtbot, gui_runner: TaskRunner) -> None:
    view, button = _view(qtbot)
    revoked: list[str] = []
    refused: list[str] = []
    gui_runner.on_account_revoked = lambda error: revoked.append(str(error))

    def work() -> None:
        raise AccountRevoked("Your account was disabled.")

    with qtbot.waitSignal(gui_runner.sig_idle, timeout=TIMEOUT):
        Op(view, work).busy().disabling(button).wait_cursor().failure(lambda e: refused.append(str(e)) or True).run_in(
            gui_runner
        )
    assert revoked == ["Your account was disabled."] and refused == []  # the window signs out instead
    assert not is_busy(view) and button.isEnabled() and QApplication.overrideCursor() is None
