"""Start-up: the window first, the database once it is painted (ui/app.py, ui/opening.py), the
other tabs when first used, and nothing slow loaded before the first paint."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from diversion_desktop.cli import build_parser, gui_arguments
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import StorageError
from diversion_desktop.ui.main_window import MainWindow
from diversion_desktop.ui.opening import OpeningContext, is_opening

ROOT = Path(__file__).resolve().parents[2]

# Slow to load, and not needed to show the first screen: see ui/app.py.
HEAVY = ("sqlalchemy", "alembic", "reportlab", "openpyxl", "scipy", "numpy", "PySide6.QtPdf", "PySide6.QtCharts",
         "diversion_desktop.store", "diversion_desktop.services.context", "diversion_desktop.ui.evaluation_view",
         "diversion_desktop.ui.referral_page", "diversion_desktop.ui.appointments_view",
         # Not needed to paint the form either: Find person is built when first painted, the lock
         # once someone has signed in.
         "diversion_desktop.ui.search_panel", "diversion_desktop.ui.session_lock", "diversion_desktop.services.dto")


def _url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def test_the_opening_context_becomes_the_app_context(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    ctx = OpeningContext.load(_url(tmp_path / "new.sqlite3"))
    assert is_opening(ctx)
    assert ctx.schemes.find("west-berkshire") is not None  # the schemes are read at once
    assert ctx.now().microsecond == 0 and ctx.today() == ctx.now().date()
    assert ctx.database_label == ""
    heard: list[BaseException | None] = []
    ctx.opening.listen(heard.append)
    ctx.open_in_background()
    ctx.open_in_background()  # once only
    qtbot.waitUntil(lambda: bool(heard), timeout=30000)
    assert heard == [None]
    assert isinstance(ctx, AppContext) and not is_opening(ctx)
    assert ctx.database_label.endswith("new.sqlite3")
    assert ctx.principal is None  # no one has signed in
    with ctx.reading() as session:
        assert session.connection() is not None
    late: list[BaseException | None] = []
    ctx.opening.listen(late.append)  # after the event: told at once
    assert late == [None]
    ctx.engine.dispose()


def test_the_database_is_waited_for_and_opened_by_whoever_needs_it(tmp_path: Path) -> None:
    ctx = OpeningContext.load(_url(tmp_path / "new.sqlite3"))
    found: list[object] = []
    worker = threading.Thread(target=lambda: found.append(ctx.session_factory))  # as a task on the worker
    worker.start()
    worker.join(30)
    assert found and found[0] is not None
    assert isinstance(ctx, AppContext)
    ctx.engine.dispose()


def test_a_database_that_cannot_be_opened_is_reported(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "a-file").write_text("not a folder")
    ctx = OpeningContext.load(_url(tmp_path / "a-file" / "db.sqlite3"))
    heard: list[BaseException | None] = []
    ctx.opening.listen(heard.append)
    ctx.open_in_background()
    qtbot.waitUntil(lambda: bool(heard), timeout=30000)
    assert isinstance(heard[0], OSError)
    assert is_opening(ctx)
    with pytest.raises(StorageError, match="could not be opened"):
        ctx.engine  # noqa: B018 - what a task on the worker would ask for


def test_the_window_is_shown_before_the_database_is_open(qtbot, tmp_path: Path, gui_settings) -> None:  # noqa: ANN001
    ctx = OpeningContext.load(_url(tmp_path / "gui.sqlite3"))
    window = MainWindow(ctx, gui_settings)
    qtbot.addWidget(window)
    window.show()
    assert window.windowTitle() == "Diversion Desktop"
    assert window.statusBar().currentMessage() == "Opening the database…"
    window.new_referral()
    assert window.intake.decision_label.text() == "Not yet decided"
    opened: list[BaseException | None] = []
    ctx.opening.listen(opened.append)
    ctx.open_in_background()
    qtbot.waitUntil(lambda: bool(opened), timeout=30000)
    assert opened == [None]
    assert "gui.sqlite3" in window.windowTitle()
    assert window.statusBar().currentMessage() == ""
    window.close()
    ctx.engine.dispose()


def test_tabs_are_built_on_first_use_and_then_are_the_tabs_pages(qtbot, gui_ctx, gui_settings) -> None:  # noqa: ANN001
    window = MainWindow(gui_ctx, gui_settings)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
    assert all(page.page is None for page in window._later.values())  # only the first screens exist
    window.show_queues()  # asked for: built, and in its tab at once
    assert window.tabs.currentWidget() is window.queues
    assert window.tabs.tabText(window.tabs.indexOf(window.queues)) == "&Queues"
    placeholder = window._later["appointments"]
    index = window.tabs.indexOf(placeholder)
    window.tabs.setCurrentIndex(index)  # shown by its tab: built as it is shown, in its tab a turn later
    assert placeholder.page is not None
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.appointments, timeout=5000)
    assert window.tabs.indexOf(window.appointments) == index
    assert window.tabs.indexOf(placeholder) == -1
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)  # still the active window
    assert window.tabs.currentWidget() is window.queues
    for name in window._later:
        window.tabs.setCurrentWidget(getattr(window, name))
    qtbot.wait(50)
    # A page built late opens no window of its own (a widget made visible before it has a parent would).
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == [window]
    assert QApplication.activeWindow() is window
    window.close()


def test_find_person_is_built_when_first_painted(qtbot, gui_ctx, gui_settings) -> None:  # noqa: ANN001
    window = MainWindow(gui_ctx, gui_settings)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.new_referral()  # before the first paint, as Ctrl+N at once: Find person is never painted
    qtbot.wait(50)
    assert window._search.page is None
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # asked for: built, in its tab
    assert window.tabs.currentWidget() is window.search
    assert window.tabs.tabText(window.tabs.currentIndex()) == "&Find person"
    assert QApplication.focusWidget() is window.search.search_box

    shown = MainWindow(gui_ctx, gui_settings)
    qtbot.addWidget(shown)
    with qtbot.waitActive(shown):
        shown.show()  # painted on Find person: built as it is painted, then in its tab itself
    qtbot.waitUntil(lambda: shown._search.page is not None and shown.tabs.currentWidget() is shown.search,
                    timeout=5000)
    # Built after its window was shown, it opened no window of its own (its buttons are shown once in it).
    assert {w for w in QApplication.topLevelWidgets() if w.isVisible()} == {window, shown}


@pytest.mark.parametrize("argv", [[], ["--database", "sqlite:///x.sqlite3"], ["--database=sqlite:///x=y"],
                                  ["--user", "ann", "--database", "d"], ["--user=ann"], ["--database", ""]])
def test_the_command_line_that_opens_the_application_is_read_without_every_parser(argv: list[str]) -> None:
    assert gui_arguments(argv) == build_parser().parse_args(argv)


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["schemes"], ["--database"], ["--database", "-x"],
                                  ["--data", "x"], ["demo", "--database", "x"]])
def test_any_other_command_line_goes_to_the_parser(argv: list[str]) -> None:
    assert gui_arguments(argv) is None


def test_the_fast_reading_knows_every_option_of_the_application() -> None:
    assert set(vars(build_parser().parse_args([]))) == set(vars(gui_arguments([])))


def test_nothing_slow_is_loaded_before_the_first_paint(tmp_path: Path) -> None:
    """The GUI started as ``python -m diversion_desktop`` starts it, told to report what it has
    loaded when the intake form has been painted, then once the database is open."""
    script = (
        "import sys, time\n"
        "import diversion_desktop.ui.app as app\n"
        f"heavy = {HEAVY!r}\n"
        "def announce(what):\n"
        "    loaded = sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in heavy))\n"
        "    if 'Qt' in vars(sys.modules['PySide6.QtCore']):  # PySide builds all of it on first use\n"
        "        loaded.append('the Qt namespace')\n"
        "    print(what, 'loaded:', ' '.join(loaded) or '-', flush=True)\n"
        "app._announce = announce\n"
        "from diversion_desktop.cli import main\n"
        f"sys.exit(main(['--database', {_url(tmp_path / 'probe.sqlite3')!r}]))\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DIVERSION_READY_PROBE": "quit"}
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" loaded: ", 1) for line in out.stdout.splitlines() if " loaded: " in line)
    assert lines.get("diversion-ready") == "-", f"loaded before the first paint: {lines.get('diversion-ready')}"
    assert "sqlalchemy" in lines.get("diversion-database-open", ""), out.stdout  # and then the database opened
    assert time.perf_counter() - started < 120
