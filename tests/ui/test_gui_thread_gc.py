"""Garbage collection runs on the GUI thread only while the application runs (ui/gui_thread_gc.py)."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject

from diversion_desktop.ui.gui_thread_gc import GuiThreadCollector


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def thresholds() -> Iterator[None]:
    before, enabled = gc.get_threshold(), gc.isenabled()
    gc.collect()
    gc.set_threshold(50, 2, 2)
    yield
    gc.set_threshold(*before)
    if enabled:
        gc.enable()


@pytest.fixture
def collections() -> Iterator[list[tuple[int, int]]]:
    """(thread ident, generation) of every collection while the test runs."""
    seen: list[tuple[int, int]] = []

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            seen.append((threading.get_ident(), info["generation"]))

    gc.callbacks.append(note)
    yield seen
    gc.callbacks.remove(note)


def test_a_generation_is_collected_when_due_as_the_interpreter_would(thresholds, collections) -> None:
    gc.disable()
    assert GuiThreadCollector.collect_due() == -1  # nothing allocated since the collection
    cycle = _Cycle()
    gone = weakref.ref(cycle)
    del cycle
    for _ in range(60):
        _Cycle()  # young objects, past the threshold of 50
    assert gone() is not None  # automatic collection is off
    assert GuiThreadCollector.collect_due() == 0 and gone() is None
    for _ in range(3):  # three young collections: the middle generation is due, then the old one
        [_Cycle() for _ in range(60)]
        GuiThreadCollector.collect_due()
    assert [g for _thread, g in collections] == [0, 0, 0, 1]


def test_garbage_made_on_a_worker_is_collected_on_the_gui_thread(qtbot, thresholds, collections) -> None:
    collector = GuiThreadCollector(interval_ms=10)
    collector.start()
    try:
        held: list[weakref.ref] = []

        def worker() -> None:  # makes cyclic garbage holding Qt objects, far past every threshold
            for _ in range(2000):
                cycle = _Cycle()
                cycle.qt = QObject()
                held.append(weakref.ref(cycle))

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert not collections  # none ran on the worker
        qtbot.waitUntil(lambda: all(ref() is None for ref in held), timeout=2000)
        assert collections and {ident for ident, _g in collections} == {threading.get_ident()}
    finally:
        collector.stop()
    assert gc.isenabled()
    collector.start()  # a start queued for after the first paint that comes after the end does nothing
    assert gc.isenabled() and not collector.timer.isActive()
