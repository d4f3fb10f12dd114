"""GUI fixtures: a real SQLite file, a fixed clock, private settings, one worker per test."""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.context import AppContext
from diversion_desktop.ui.settings import Settings
from diversion_desktop.ui.tasks import TaskRunner
from tests.conftest import EVERY_ROLE

GUI_NOW = datetime(2026, 3, 10, 12, 0)


@pytest.fixture(scope="session", autouse=True)
def no_collection_on_a_worker() -> Iterator[None]:
    """No automatic garbage collection while the GUI tests run, as in the application
    (ui/gui_thread_gc.py): a collection starts on whichever thread allocates, and one started on
    a worker (the database opening, the task runner) frees the Qt objects of an earlier test
    there, which crashes Qt. Seen: segmentation faults painting a label's text (a freed font
    engine's glyph cache) in about one run in four of the backup dialog tests followed by the
    export tests; none in 16 runs with automatic collection off."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def collect_widgets_on_the_gui_thread(qapp) -> Iterator[None]:
    """After each GUI test, let Qt finish its deferred deletions and collect Python's garbage
    here, on the GUI thread (see ``no_collection_on_a_worker``)."""
    yield
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    gc.collect()
    gc.disable()  # again, if the test turned automatic collection on (the application's end does)


@pytest.fixture
def gui_ctx(tmp_path: Path) -> AppContext:
    return open_context(
        f"sqlite:///{(tmp_path / 'gui.sqlite3').as_posix()}", clock=lambda: GUI_NOW, user="tester", principal=EVERY_ROLE
    )


@pytest.fixture
def gui_settings(tmp_path: Path) -> Settings:
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def gui_runner(qtbot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def type_text(qtbot, widget: QWidget, text: str) -> None:
    """Type as a person would, key by key. QTest.keyClicks aborts on letters outside
    ASCII (Seán, Łukasz), so those are sent as key events carrying their text."""
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))
