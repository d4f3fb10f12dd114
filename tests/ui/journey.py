"""Journeys: the real program, started as ``diversion-desktop`` starts it, used as a person uses it.

A journey is a generator of steps. It runs while ``cli.main`` runs the application: each
``yield`` hands the driver something to wait for (a dialog, the main window, any condition), and
the journey goes on with what it waited for once it is there, typing and clicking with qtbot.
Nothing is built directly and no service is called behind the screen's back.

A step must not open a modal dialog itself (its ``exec`` would not return until the dialog is
answered, and the answer is the journey's next step): ``later(...)`` clicks or presses in the
next turn of the event loop instead, and the journey then waits for the dialog.

Anything that goes wrong (an assertion, a wait that times out, the application's own
"Something went wrong" message) ends the journey: open dialogs are closed and the window is
told to go, so ``cli.main`` returns, and the error is raised in the test.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from diversion_desktop import cli
from diversion_desktop.ui.main_window import MainWindow

PASSWORD = "a long journey passphrase"
NEW_PASSWORD = "my very own passphrase"


@dataclass
class Wait:
    """What a step waits for: ``found()`` returns it (anything true) once it is there; ``state()``
    says what the screen showed instead, if it never came."""

    what: str
    found: Callable[[], Any]
    seconds: float = 30.0
    state: Callable[[], str] | None = None


Steps = Generator[Wait, Any, None]


def modal(object_name: str, seconds: float = 30.0) -> Wait:
    """The modal dialog called ``object_name``, once it is shown and has the focus."""

    def found() -> QWidget | None:
        widget = QApplication.activeModalWidget()
        return widget if widget is not None and widget.objectName() == object_name and widget.isVisible() else None

    return Wait(f"the {object_name} dialog", found, seconds)


def window(seconds: float = 30.0) -> Wait:
    """The main window, once it is shown and no dialog stands in front of it."""

    def found() -> MainWindow | None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible() and QApplication.activeModalWidget() is None:
                return widget
        return None

    return Wait("the main window", found, seconds)


def until(
    what: str, condition: Callable[[], Any], seconds: float = 30.0, state: Callable[[], str] | None = None
) -> Wait:
    return Wait(what, condition, seconds, state)


def later(action: Callable[[], Any]) -> None:
    """Do ``action`` in the next turn of the event loop (it opens a modal dialog: see the module)."""
    QTimer.singleShot(0, action)


def type_into(qtbot, widget: QWidget, text: str, replace: bool = True) -> None:
    """Type as a person does, key by key, into ``widget`` (its old text selected first and typed over).
    Letters outside ASCII go as key events carrying their text (QTest's keyClicks refuses them)."""
    widget.setFocus()
    if replace:
        qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


def message_text(box: QWidget) -> str:
    return box.text() if isinstance(box, QMessageBox) else ""


class Driver(QObject):
    """Runs a journey's steps from a timer while the application runs (see the module)."""

    def __init__(self, steps: Steps, errors_expected: bool = False) -> None:
        super().__init__()
        self.steps = steps
        self.errors_expected = errors_expected  # a journey that provokes the "Something went wrong" message
        self.waiting: Wait | None = None
        self.deadline = 0.0
        self.error: BaseException | None = None
        self.finished = False
        self.aborting = False
        self._in_step = False
        self._step_started = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(15)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.timer.start()

    def _tick(self) -> None:
        if self.aborting:
            self._close_everything()
            return
        if self._in_step:  # a step waits in a nested event loop: a modal it should have opened with later()
            if time.monotonic() - self._step_started > 30:
                self._fail(AssertionError("a step opened a modal dialog itself and waited on it: use later()"))
            return
        problem = "" if self.errors_expected else self._unexpected_error()
        if problem:
            self._fail(AssertionError(f"the application met an unexpected error: {problem}"))
            return
        value: Any = None
        if self.waiting is not None:
            try:
                value = self.waiting.found()
            except Exception as exc:  # noqa: BLE001 - a failed condition ends the journey
                self._fail(exc)
                return
            if not value:
                if time.monotonic() > self.deadline:
                    shown = self.waiting.state() if self.waiting.state is not None else ""
                    self._fail(
                        TimeoutError(
                            f"waited {self.waiting.seconds:.0f} s for {self.waiting.what}"
                            + (f"; the screen showed: {shown}" if shown else "")
                        )
                    )
                return
        if self.finished:
            return
        self._in_step, self._step_started = True, time.monotonic()
        try:
            self.waiting = self.steps.send(value) if self.waiting is not None else next(self.steps)
            self.deadline = time.monotonic() + self.waiting.seconds
        except StopIteration:
            self.finished = True
            # The journey's last step ends the application: it must be gone within seconds.
            self.waiting = until("the application to end after the journey", lambda: False, 15)
            self.deadline = time.monotonic() + self.waiting.seconds
        except BaseException as exc:  # noqa: BLE001 - raised again in the test
            self._fail(exc)
        finally:
            self._in_step = False

    @staticmethod
    def _unexpected_error() -> str:
        for widget in QApplication.topLevelWidgets():
            if widget.objectName() == "unexpectedErrorDialog" and widget.isVisible():
                return message_text(widget)
        return ""

    def _fail(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        self.aborting = True

    def _close_everything(self) -> None:
        """End the application whatever state the journey left it in."""
        modal_widget = QApplication.activeModalWidget()
        if isinstance(modal_widget, QDialog):
            modal_widget.done(QDialog.DialogCode.Rejected)
            return
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                widget.signed_out = "quit"  # no question about unsaved work: the journey has failed
                widget.close()


def run(steps: Steps, *argv: str, errors_expected: bool = False) -> int:
    """Run the application (``diversion-desktop ARGV…``) through the journey; its exit code.
    Raises what went wrong in the journey; fails if the journey did not reach its end."""
    driver = Driver(steps, errors_expected)
    driver.start()
    try:
        code = cli.main(list(argv))
    finally:
        driver.timer.stop()
    if driver.error is not None:
        raise driver.error
    assert driver.finished, (
        f"the application ended while the journey waited for {driver.waiting and driver.waiting.what}"
    )
    return code


# -- a workstation of one's own --------------------------------------------------------------------------
@dataclass
class Workstation:
    """A home, data and settings folder of the journey's own (as a fresh or a used workstation has)."""

    root: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{(self.root / 'data' / 'DiversionDesktop' / 'diversion.sqlite3').as_posix()}"

    @property
    def settings_file(self) -> Path:
        return self.root / "config" / "DiversionDesktop" / "DiversionDesktop.conf"

    @property
    def log_file(self) -> Path:
        return self.root / "data" / "DiversionDesktop" / "logs" / "diversion-desktop.log"

    def remember(self, text: str) -> None:
        """Leave a settings file behind, as earlier use of the workstation would."""
        self.settings_file.parent.mkdir(parents=True, exist_ok=True)
        self.settings_file.write_text(text, encoding="utf-8")


@pytest.fixture
def workstation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workstation]:
    root = tmp_path / "workstation"
    session_config = os.environ["XDG_CONFIG_HOME"]  # the tests' own (tests/conftest.py isolated_home)
    for name, sub in (
        ("HOME", "home"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        (root / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(root / sub))
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(root / "config"))
    yield Workstation(root)
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, session_config)


# -- steps many journeys take ----------------------------------------------------------------------------
def sign_in(qtbot, name: str, password: str = PASSWORD, new_password: str = NEW_PASSWORD) -> Steps:
    """Sign in at the dialog; a forced change of password is answered with ``new_password``."""
    dialog = yield modal("signInDialog")
    type_into(qtbot, dialog.username, name)
    qtbot.keyClick(dialog.username, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.password
    type_into(qtbot, dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    answer = yield until("the window or a password change", lambda: _window_or_change())
    if isinstance(answer, QDialog):
        type_into(qtbot, answer.current, password)
        qtbot.keyClick(answer.current, Qt.Key.Key_Tab)
        type_into(qtbot, answer.password, new_password)
        qtbot.keyClick(answer.password, Qt.Key.Key_Tab)
        type_into(qtbot, answer.again, new_password)
        qtbot.keyClick(answer.again, Qt.Key.Key_Return)
    return (yield window())


def _window_or_change() -> QWidget | None:
    found = modal("changePasswordDialog").found() or modal("signInDialog").found()
    if found is not None and found.objectName() == "signInDialog":
        message = found.message.text()
        assert not message, f"sign-in refused: {message}"
        return None
    return found or window().found()


def focus_window(main: MainWindow) -> Steps:
    """Bring the window to the front (as a click on it does), for its shortcuts to reach it."""
    main.activateWindow()
    yield until("the main window to be active", lambda: QApplication.activeWindow() is main, 5)


def quit_by_keyboard(qtbot, main: MainWindow) -> Steps:
    yield from focus_window(main)
    qtbot.keyClick(main, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)


def tab_titles(main: MainWindow) -> list[str]:
    return [main.tabs.tabText(i).replace("&", "") for i in range(main.tabs.count())]


# -- the team, added as an installation script adds it -----------------------------------------------------
TEAM_ROLES = {
    "admin": ("administrator", ""),
    "pc1234": ("station_staff", ""),
    "cw.smith": ("support_worker", "Cranstoun"),
    "coord.lee": ("coordinator", ""),
}


def add_team(workstation: Workstation, monkeypatch: pytest.MonkeyPatch) -> None:
    """The administrator and one user of each role, with the documented ``users add`` command
    (each but the administrator must choose their own password at their first sign-in)."""
    monkeypatch.setenv("DIVERSION_USER", "admin")
    monkeypatch.setenv("DIVERSION_PASSWORD", PASSWORD)
    monkeypatch.setenv("DIVERSION_NEW_PASSWORD", PASSWORD)
    for name, (role, organisation) in TEAM_ROLES.items():
        words = ["users", "add", name, "--role", role, "--database", workstation.database_url]
        if organisation:
            words += ["--organisation", organisation]
        assert cli.main(words) == 0
    for name in ("DIVERSION_USER", "DIVERSION_PASSWORD", "DIVERSION_NEW_PASSWORD"):
        monkeypatch.delenv(name)


def choose(combo, data: str) -> None:
    """Pick the entry whose data is ``data``, as a click on it in the open list does."""
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setFocus()
    combo.setCurrentIndex(index)


def file_dialog(seconds: float = 30.0) -> Wait:
    from PySide6.QtWidgets import QFileDialog

    def found() -> QFileDialog | None:
        widget = QApplication.activeModalWidget()
        return widget if isinstance(widget, QFileDialog) and widget.isVisible() else None

    return Wait("a file dialog", found, seconds)


def save_as(qtbot, dialog, path: Path) -> Steps:
    """Go to the file's folder, type its name and click Save. (Only the name is typed: a whole path
    would open the name box's completer list over the dialog, and it would take the click.)"""
    from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

    dialog.setDirectory(str(path.parent))
    yield until(f"the folder {path.parent.name} open", lambda: Path(dialog.directory().absolutePath()) == path.parent)
    edit = dialog.findChild(QLineEdit, "fileNameEdit")
    type_into(qtbot, edit, path.name)
    buttons = dialog.findChild(QDialogButtonBox, "buttonBox")
    save = buttons.button(QDialogButtonBox.StandardButton.Save) or buttons.button(QDialogButtonBox.StandardButton.Open)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)


def pdf_text(path: Path) -> str:
    import subprocess

    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())
