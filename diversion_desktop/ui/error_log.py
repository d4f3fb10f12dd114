"""Unexpected errors: written to a log file, shown in words, and never the end of the window.

Qt calls ``sys.excepthook`` for an exception raised in a slot or an event handler and then goes
on with the event loop, so the hook is the one place that sees every fault of the GUI: it writes
the traceback to ``diversion-desktop.log`` in the user's data directory and shows a message that
says the typed work is still there. Faults on worker threads reach the same log through
``threading.excepthook`` (the task runner reports a failed task's error itself).
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

import platformdirs
from PySide6.QtWidgets import QApplication, QMessageBox

APP_NAME = "DiversionDesktop"
LOG_NAME = "diversion-desktop.log"
KEEP_BYTES = 1_000_000  # a longer log is moved aside (one older copy kept) when the application starts
log = logging.getLogger("diversion_desktop")


def log_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, APP_NAME)) / "logs" / LOG_NAME


def start_logging() -> Path:
    """Log warnings and errors of the whole application to the log file."""
    path = log_path()
    if not any(isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path for h in log.handlers):
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > KEEP_BYTES:
            path.replace(path.with_name(LOG_NAME + ".1"))
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)  # (the file is made at the first line)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return path


class ErrorReporter:
    """Installed as ``sys.excepthook`` while the GUI runs (``install``/``uninstall``)."""

    def __init__(self) -> None:
        self.path = start_logging()
        self.shown = 0  # messages shown (a fault repeated in a loop shows one box at a time)
        self._box: QMessageBox | None = None
        self._previous = (sys.excepthook, threading.excepthook)

    def install(self) -> None:
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def excepthook(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        log.error("Unexpected error in the window:\n%s", "".join(traceback.format_exception(kind, error, tb)))
        print("".join(traceback.format_exception(kind, error, tb)), file=sys.stderr)
        self._show(error)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        log.error(
            "Unexpected error on thread %s:\n%s",
            args.thread.name if args.thread else "?",
            "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)),
        )

    def _show(self, error: BaseException) -> None:
        if self._box is not None and self._box.isVisible():
            return  # one message at a time; the log has every one
        self.shown += 1
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Something went wrong",
            "Diversion Desktop met an unexpected problem and did not finish what it was doing:\n\n"
            f"{error}\n\nWhat you typed is still in the window, and nothing already saved is "
            f"lost. The details were written to:\n{self.path}",
            QMessageBox.StandardButton.Ok,
            QApplication.activeWindow(),
        )
        box.setObjectName("unexpectedErrorDialog")
        self._box = box
        box.open()
