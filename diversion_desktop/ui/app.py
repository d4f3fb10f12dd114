"""Starting the GUI: open the data (or explain why not), then show the main window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMessageBox
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
    return app.exec()
