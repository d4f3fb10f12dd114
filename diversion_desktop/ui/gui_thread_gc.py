"""Python's cyclic garbage collection, on the GUI thread only.

CPython runs a collection on whichever thread allocates when a generation's count passes its
threshold: here often the worker (a search, a batch of letters, the database opening). A
collection frees every unreachable cycle it finds, and a cycle can hold a Qt object (a closed
dialog's widget, a model), whose C++ side must be destroyed on the GUI thread: destroyed on the
worker, Qt may crash (seen once in the GUI tests, which now collect after each test for that
reason). So while the application runs, automatic collection is off and a timer on the GUI
thread collects each generation when it is due, by the interpreter's own thresholds: the same
work, on the one thread where it is safe.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250  # a burst of garbage waits at most this long; each check costs microseconds


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect_due)
        self.stopped = False

    def start(self) -> None:
        if self.stopped:  # a start queued for after the first paint, which came after the end
            return
        gc.disable()
        self.timer.start()

    def stop(self) -> None:
        """Back to the interpreter's automatic collection (the application is ending)."""
        self.stopped = True
        self.timer.stop()
        gc.enable()

    @staticmethod
    def collect_due() -> int:
        """Once the youngest generation's count (allocations less deallocations) passes its
        threshold, collect the oldest generation whose count (collections of the one younger)
        has passed its own, as the interpreter does; the generation collected, or -1."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return -1
        due = max(g for g in range(3) if counts[g] > thresholds[g])
        gc.collect(due)
        return due
