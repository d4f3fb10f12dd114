"""Progress from the worker thread to a progress bar on the GUI thread, by a queued signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QProgressBar


class ProgressRelay(QObject):
    """Lives on the GUI thread; ``report(done, total)`` may be called from the worker.

    The signal crosses threads as a queued connection, so the bar is only ever
    touched on the GUI thread.
    """

    sig_progress = Signal(int, int)

    def __init__(self, bar: QProgressBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bar = bar
        self.sig_progress.connect(self._show)

    def report(self, done: int, total: int) -> None:
        self.sig_progress.emit(done, total)

    @Slot(int, int)
    def _show(self, done: int, total: int) -> None:
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(min(done, max(total, 1)))
