"""One start of the application (or of a bare dialog), timed from outside the application's code.

    python benchmarks/startup_driver.py --started UNIX_TIME --bare
    python benchmarks/startup_driver.py --started UNIX_TIME --user NAME --landing search|queues --database URL

``--started`` is ``time.time()`` as the parent took it just before starting this process. The
driver makes the ``QApplication``, puts an event filter on it, and runs the application as the
``diversion-desktop`` command does (``diversion_desktop.cli.main``): nothing in the application
knows it is measured. Like a person, the driver types its user name into the sign-in dialog, then
its password (from BENCHMARK_PASSWORD) and Enter. It prints one JSON line, in seconds:

* ``painted``: process start → the first paint of the first screen (the sign-in dialog; the bare
  dialog, whose baseline ``--bare`` is: a ``QDialog`` with two line edits, nothing else);
* ``keys``: process start → a key typed at that first paint is in the focused line edit. The key
  is posted as the paint begins, so it is handled once the paint is over, as a key pressed then;
* ``database_open``: process start → the dialog names the database it opened (signing in then
  waits for nothing else);
* ``signed_in``: Enter on the right password → the main window painted and usable for the user:
  for station staff, Find person with a key typed into its focused search box taken; for a
  support worker, the queue of referrals awaiting a first appointment loaded and painted;
  ``window_painted`` beside it: Enter → the main window's first paint;
* ``rss_mb``: the process's peak resident memory by then (Linux).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's application

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QVBoxLayout, QWidget

PASSWORD_ENV = "BENCHMARK_PASSWORD"
PAUSE_BEFORE_ENTER_MS = 200  # a person takes longer than this to type a password: nothing is left pending
GIVE_UP_MS = 60_000  # no window this long after Enter: the sign-in was refused, or something hangs
LOADING = ("", "Loading…")  # the queues' status line until the rows are shown (ui/queues_view.py)


def post_key(widget: QWidget, text: str) -> None:
    """A key press and release for ``widget``, handled when the event loop next gets to them."""
    key = ord(text.upper())
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QCoreApplication.postEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text))


class Driver(QObject):
    """Watches the application's paint events; types and presses Enter as a person would."""

    def __init__(
        self, started: float, first_screen: str, user: str = "", password: str = "", landing: str = ""
    ) -> None:
        super().__init__()
        self.started = started
        self.first_screen = first_screen  # the objectName of the first dialog
        self.user, self.password, self.landing = user, password, landing
        self.figures: dict[str, float | str] = {}
        self.dialog: QWidget | None = None
        self.window: QWidget | None = None
        self.entered = 0.0  # time.time() at Enter

    def since_start(self) -> float:
        return time.time() - self.started

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            name = watched.objectName()
            if self.dialog is None and name == self.first_screen:
                self.dialog = watched  # type: ignore[assignment]  # the watched widget
                self.figures["painted"] = self.since_start()
                self._type_first_key(self.dialog)
            elif self.entered and self.window is None and name == "mainWindow":
                self.window = watched  # type: ignore[assignment]  # the watched widget
                self.figures["window_painted"] = time.time() - self.entered
                if self.landing == "search":
                    self._type_first_key(self.window)
            elif (
                self.entered
                and self.landing == "queues"
                and "signed_in" not in self.figures
                and name == "queuesStatus"
                and watched.text() not in LOADING
            ):  # type: ignore[attr-defined]  # a QLabel
                self.figures["landing_text"] = watched.text()  # type: ignore[attr-defined]  # a QLabel
                QTimer.singleShot(0, self._landed)  # once this paint (the table's too) is over
        return False

    # -- a key typed at the first paint ---------------------------------------------------------
    def _type_first_key(self, window: QWidget) -> None:
        edit = window.focusWidget()
        if not isinstance(edit, QLineEdit):
            fail(f"{window.objectName()}: the focus is on {edit!r}, not a line edit")
        first = self.user[:1] or "a"

        def changed(text: str) -> None:
            if text.endswith(first):
                edit.textChanged.disconnect(changed)  # (the application's own handlers of the key ran first)
                self._key_taken(edit)

        edit.textChanged.connect(changed)
        post_key(edit, first)

    def _key_taken(self, edit: QLineEdit) -> None:
        if self.window is None:  # the first screen
            self.figures["keys"] = self.since_start()
            if not self.user:  # the bare dialog: nothing more
                self.finish()
            else:
                self._wait_for_database()
        else:  # Find person's search box
            self.figures["landing_text"] = edit.objectName()
            self._landed()

    # -- signing in --------------------------------------------------------------------------------
    def _wait_for_database(self) -> None:
        label = self.dialog.findChild(QWidget, "signInDatabase")  # type: ignore[union-attr]  # set once painted
        if label is not None and label.text().startswith("Database:"):  # type: ignore[attr-defined]  # a QLabel
            self.figures["database_open"] = self.since_start()
            self._type_and_enter()
        else:
            QTimer.singleShot(10, self._wait_for_database)

    def _type_and_enter(self) -> None:
        from PySide6.QtTest import QTest  # (not before the first paint: the bare dialog has no need of it)

        name = self.dialog.focusWidget()  # type: ignore[union-attr]  # set once painted
        QTest.keyClicks(name, self.user[1:])
        QTest.keyClick(name, Qt.Key.Key_Tab)
        password = self.dialog.focusWidget()  # type: ignore[union-attr]  # set once painted
        if password is None or password.objectName() != "password":
            fail(f"Tab from the user name went to {password!r}, not the password")
        QTest.keyClicks(password, self.password)

        def enter() -> None:
            self.entered = time.time()
            QTimer.singleShot(GIVE_UP_MS, self._give_up)
            QTest.keyClick(password, Qt.Key.Key_Return)

        QTimer.singleShot(PAUSE_BEFORE_ENTER_MS, enter)

    def _give_up(self) -> None:
        message = self.dialog.findChild(QWidget, "signInMessage")  # type: ignore[union-attr]  # set once painted
        said = message.text() if message is not None and self.window is None else ""  # type: ignore[attr-defined]  # a QLabel
        fail(f"not usable {GIVE_UP_MS / 1000:.0f} s after Enter (figures so far {self.figures}) {said}")

    def _landed(self) -> None:
        if "signed_in" not in self.figures:
            self.figures["signed_in"] = time.time() - self.entered
            self.finish()

    def finish(self) -> None:
        self.figures["rss_mb"] = peak_rss_mb()
        print(json.dumps(self.figures), flush=True)
        (self.window or self.dialog).close()  # type: ignore[union-attr]  # the window's close quits


def fail(message: str) -> None:
    print(f"startup_driver: {message}", file=sys.stderr, flush=True)
    os._exit(2)


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def bare_dialog() -> QDialog:
    """The baseline: a dialog with two line edits, the first focused, shown as the sign-in is."""
    dialog = QDialog()
    dialog.setObjectName("bareDialog")
    layout = QVBoxLayout(dialog)
    name, password = QLineEdit(), QLineEdit()
    password.setEchoMode(QLineEdit.EchoMode.Password)
    layout.addWidget(name)
    layout.addWidget(password)
    name.setFocus()
    return dialog


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--started", type=float, required=True, help="time.time() just before this process started")
    parser.add_argument("--bare", action="store_true", help="the bare dialog instead of the application")
    parser.add_argument("--user", default="", help="the user name to sign in with")
    parser.add_argument("--landing", choices=("search", "queues"), help="the page this user lands on")
    parser.add_argument("--database", help="the database URL, as given to diversion-desktop")
    args = parser.parse_args()

    app = QApplication(sys.argv[:1])
    if args.bare:
        driver = Driver(args.started, "bareDialog")
        app.installEventFilter(driver)
        dialog = bare_dialog()
        dialog.show()
        return app.exec()
    driver = Driver(args.started, "signInDialog", args.user, os.environ[PASSWORD_ENV], args.landing)
    app.installEventFilter(driver)
    from diversion_desktop.cli import main as diversion_desktop

    return diversion_desktop(["--database", args.database])


if __name__ == "__main__":
    raise SystemExit(main())
