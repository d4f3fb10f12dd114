"""Starting the GUI: sign in, then the main window for that person's roles.

The path every person takes, and the only one:

1. The sign-in dialog is shown (or, on a database without users, the first administrator's); the
   scheme files are read and the database opened on a thread behind it (ui/opening.py) while the
   person types. A wrong scheme file ends it with a message naming the file and the key.
2. Once someone is signed in, the main window is built for their roles (ui/main_window.py) and
   shown. Account → Sign out closes it and goes back to 1; Quit anywhere ends the application.

An unexpected error anywhere in the GUI is logged and shown by ``ErrorReporter`` (ui/error_log.py)
and never closes the window.
"""

from __future__ import annotations

import gc
import importlib
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from diversion_desktop.resources import resource_path
from diversion_desktop.ui.error_log import ErrorReporter, log
from diversion_desktop.ui.gui_thread_gc import GuiThreadCollector
from diversion_desktop.ui.opening import DatabaseOpening
from diversion_desktop.ui.settings import Settings

if TYPE_CHECKING:
    from diversion_desktop.domain.schemes import SchemeConfigError


def run_gui(url: str | None = None) -> int:
    """The application on the database ``url`` (None: DIVERSION_DATABASE_URL, else the embedded
    default); returns the exit code."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Diversion Desktop")
    app.setOrganizationName("DiversionDesktop")
    # The main window ends the event loop itself when it closes (MainWindow.closeEvent). Qt's own
    # quit at the last window closed is a posted event: left in the queue, it would end the sign-in
    # dialog shown next after a sign-out.
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(QIcon(str(resource_path("icons", "diversion-desktop.svg"))))  # (Windows' taskbar too)
    reporter = ErrorReporter()
    reporter.install()
    collector = GuiThreadCollector(app)  # cyclic garbage collected on this thread only
    collector.start()
    opening = DatabaseOpening(url)
    try:
        return _sign_in_and_work(app, opening, Settings())
    finally:
        opening.wait()  # quitting during a schema upgrade lets it finish
        collector.stop()
        reporter.uninstall()


def _sign_in_and_work(app: QApplication, opening: DatabaseOpening, settings: Settings) -> int:
    """Sign in, work in the window, and again after each sign-out; the exit code."""
    from diversion_desktop.ui.main_window import MainWindow
    from diversion_desktop.ui.sign_in import sign_in_at_start

    first = True
    QTimer.singleShot(_PREPARE_AFTER_MS, _prepare_the_window)
    while True:
        ctx = sign_in_at_start(opening)
        if ctx is None:
            error = opening.error() if opening.done() else None
            if error is not None:
                _cannot_open(opening, error)
                return 1
            return 0
        window = MainWindow(ctx, settings)
        window.show()
        window.raise_()
        window.activateWindow()  # the keyboard goes to the window the sign-in gave way to
        if first:
            _keep_start_up_out_of_collections()
            first = False
        code = app.exec()
        if window.signed_out != "sign in":
            return code
        window.deleteLater()  # signed out: ask who signs in next


# The window's own modules, loaded while the person types their name and password (about a tenth of a
# second, PySide making the Python types of Qt's enums among it), so that Enter is followed by the
# window and not by imports. One a turn of the event loop: typing never waits more than a moment.
_WINDOW_MODULES = (
    "diversion_desktop.ui.session_lock",
    "diversion_desktop.ui.search_panel",
    "diversion_desktop.ui.queues_view",
    "diversion_desktop.ui.intake_form",
    "diversion_desktop.ui.appointments_view",
    "diversion_desktop.ui.referral_page",
)
_PREPARE_AFTER_MS = 400  # after the sign-in dialog is up and the database has started to open


def _prepare_the_window(remaining: tuple[str, ...] = _WINDOW_MODULES) -> None:
    if remaining:
        importlib.import_module(remaining[0])
        QTimer.singleShot(0, lambda: _prepare_the_window(remaining[1:]))


def _keep_start_up_out_of_collections() -> None:
    """What start-up made (modules, the database's metadata) lives until the end: leave it out of
    every collection, and make full passes rarer (measured: 60-180 ms stalls of the GUI while a
    batch of letters was made, each pass walking every object)."""
    gc.freeze()
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, 1000)


def _cannot_open(opening: DatabaseOpening, error: BaseException) -> None:
    from diversion_desktop.domain.schemes import SchemeConfigError

    if isinstance(error, SchemeConfigError):  # a wrong scheme file: say which, and which key
        _scheme_error(error)
        return
    where = opening.database or "the default database"
    log.error("Database %s cannot be opened", where, exc_info=error)
    QMessageBox.critical(None, "Database cannot be opened", f"The database ({where}) could not be opened:\n\n{error}")
    print(f"Database cannot be opened: {error}", file=sys.stderr)


def _scheme_error(exc: SchemeConfigError) -> None:
    QMessageBox.critical(
        None,
        "Scheme configuration error",
        f"Diversion Desktop cannot start because a scheme file is wrong.\n\n"
        f"File: {exc.source}\nKey: {exc.key}\nProblem: {exc.problem}",
    )
    print(f"Scheme configuration error: {exc}", file=sys.stderr)
