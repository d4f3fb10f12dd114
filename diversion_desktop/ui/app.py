"""Starting the GUI: open the data (or explain why not), then show the main window.

``DIVERSION_READY_PROBE`` (for ``benchmarks/run.py``): when set, the window switches to the
intake form once shown and, after it has been painted, prints ``diversion-ready <unix time>``
on stdout; with the value ``quit`` the application then quits.
"""

from __future__ import annotations

import gc
import os
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox
from sqlalchemy.exc import SQLAlchemyError

from diversion_desktop.domain.schemes import SchemeConfigError
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.store.database import describe
from diversion_desktop.ui.settings import Settings


def run_gui(url: str) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Diversion Desktop")
    app.setOrganizationName("DiversionDesktop")
    try:
        ctx = open_context(url)
    except SchemeConfigError as exc:
        QMessageBox.critical(None, "Scheme configuration error",
                             f"Diversion Desktop cannot start because a scheme file is wrong.\n\n"
                             f"File: {exc.source}\nKey: {exc.key}\nProblem: {exc.problem}")
        print(f"Scheme configuration error: {exc}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, OSError) as exc:
        QMessageBox.critical(None, "Database cannot be opened",
                             f"The database {describe(url)} could not be opened:\n\n{exc}")
        print(f"Database cannot be opened: {exc}", file=sys.stderr)
        return 1
    from diversion_desktop.ui.main_window import MainWindow  # after the data is known to open

    window = MainWindow(ctx, Settings())
    window.show()
    after_start()
    probe = os.environ.get("DIVERSION_READY_PROBE")
    if probe:
        QTimer.singleShot(0, lambda: _report_ready(app, window, quit_after=probe == "quit"))
    return app.exec()


def after_start() -> None:
    """Keep the garbage collector's full passes short and rare: each stops every thread,
    the GUI's too, while it walks every object (measured: stalls of 60-180 ms while a batch
    of letters was being made on the worker).

    What start-up made (modules, the window, the database's metadata) lives until the end,
    so it is left out of every pass; and a full pass waits for a hundred times more young
    collections than Python's default, since nearly all garbage goes by reference counting."""
    gc.freeze()
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, 1000)


def _report_ready(app: QApplication, window: QMainWindow, quit_after: bool) -> None:
    """Show the intake form, then report once the event loop has painted it."""
    window.new_referral()  # type: ignore[attr-defined]

    def report() -> None:
        print(f"diversion-ready {time.time():.6f}", flush=True)
        if quit_after:
            window.close()
            app.quit()

    QTimer.singleShot(0, report)
