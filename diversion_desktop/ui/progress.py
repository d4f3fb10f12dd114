"""Progress from the worker thread to the GUI thread, by a queued signal: the one relay."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QProgressBar


class ProgressRelay(QObject):
    """Lives on the GUI thread; ``report(done, total)`` may be called from the worker.

    The signal crosses threads as a queued connection, so ``show`` (a progress bar, or a function
    of ``done, total``) is only ever reached on the GUI thread.
    """

    sig_progress = Signal(int, int)

    def __init__(self, show: QProgressBar | Callable[[int, int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.show = show
        self.sig_progress.connect(self._show)

    def report(self, done: int, total: int) -> None:
        try:
            self.sig_progress.emit(done, total)
        except RuntimeError:  # its window has gone meanwhile: the work goes on, unwatched
            pass

    @Slot(int, int)
    def _show(self, done: int, total: int) -> None:
        show = self.show
        if not isinstance(show, QProgressBar):
            show(done, total)
        elif shiboken6.isValid(show):  # (its window may have closed meanwhile)
            show.setMaximum(max(total, 1))
            show.setValue(min(done, max(total, 1)))
