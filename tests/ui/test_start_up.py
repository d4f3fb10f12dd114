"""Start-up: the sign-in first, the database opening behind it (ui/app.py, ui/opening.py), the
window's tabs built when first used, and nothing slow loaded before the sign-in is painted."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from diversion_desktop.cli import build_parser, gui_arguments
from diversion_desktop.services.context import AppContext
from diversion_desktop.ui.main_window import MainWindow
from diversion_desktop.ui.opening import DatabaseOpening

ROOT = Path(__file__).resolve().parents[2]

# Slow to load, and not needed to show the first screen: see ui/app.py.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "reportlab",
    "openpyxl",
    "scipy",
    "numpy",
    "PySide6.QtPdf",
    "PySide6.QtCharts",
    "diversion_desktop.store",
    "diversion_desktop.services.context",
    "diversion_desktop.ui.evaluation_view",
    "diversion_desktop.ui.referral_page",
    "diversion_desktop.ui.appointments_view",
    # The window's: built once someone has signed in.
    "diversion_desktop.ui.search_panel",
    "diversion_desktop.ui.session_lock",
    "diversion_desktop.services.dto",
)


def _url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def test_the_database_opens_on_a_thread_and_is_told_once(qtbot, tmp_path: Path) -> None:
    opening = DatabaseOpening(_url(tmp_path / "new.sqlite3"))
    assert not opening.done()
    with qtbot.waitSignal(opening.sig_done, timeout=30000):
        opening.start()
        opening.start()  # once only
    opened = opening.result()
    assert isinstance(opened.ctx, AppContext) and opened.has_users is False
    assert opened.ctx.database_label.endswith("new.sqlite3")
    assert opened.ctx.principal is None  # no one has signed in
    assert opening.error() is None
    opening.wait()
    opened.ctx.engine.dispose()


def test_whoever_needs_the_database_waits_for_it_on_the_worker(tmp_path: Path) -> None:
    opening = DatabaseOpening(_url(tmp_path / "new.sqlite3"))
    found: list[object] = []
    worker = threading.Thread(target=lambda: found.append(opening.result().ctx))  # as a sign-in on the worker
    worker.start()
    worker.join(30)
    assert found and isinstance(found[0], AppContext)
    opening.wait()
    found[0].engine.dispose()


def test_a_database_that_cannot_be_opened_is_reported(qtbot, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    opening = DatabaseOpening(_url(tmp_path / "a-file" / "db.sqlite3"))
    with qtbot.waitSignal(opening.sig_done, timeout=30000):
        opening.start()
    assert isinstance(opening.error(), OSError)
    with pytest.raises(OSError):
        opening.result()


def test_tabs_are_built_on_first_use_and_then_are_the_tabs_pages(qtbot, gui_ctx, gui_settings) -> None:
    window = MainWindow(gui_ctx, gui_settings)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
    # Every role (gui_ctx): lands on the queues; nothing else is built yet.
    assert window.tabs.currentWidget() is window.queues
    assert [name for name, page in window._pages.items() if page.page is not None] == ["queues"]
    placeholder = window._pages["appointments"]
    index = window.tabs.indexOf(placeholder)
    window.tabs.setCurrentIndex(index)  # shown by its tab: built as it is shown, in its tab a turn later
    assert placeholder.page is not None
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.appointments, timeout=5000)
    assert window.tabs.indexOf(window.appointments) == index
    assert window.tabs.indexOf(placeholder) == -1
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)  # still the active window
    assert window.tabs.currentWidget() is window.queues
    for name in window._pages:
        window.tabs.setCurrentWidget(getattr(window, name))
    qtbot.wait(50)
    # A page built late opens no window of its own (a widget made visible before it has a parent would).
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == [window]
    assert QApplication.activeWindow() is window
    window.close()


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--database", "sqlite:///x.sqlite3"],
        ["--database=sqlite:///x=y"],
        ["--user", "ann", "--database", "d"],
        ["--user=ann"],
        ["--database", ""],
    ],
)
def test_the_command_line_that_opens_the_application_is_read_without_every_parser(argv: list[str]) -> None:
    assert gui_arguments(argv) == build_parser().parse_args(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["schemes"],
        ["--database"],
        ["--database", "-x"],
        ["--data", "x"],
        ["demo", "--database", "x"],
    ],
)
def test_any_other_command_line_goes_to_the_parser(argv: list[str]) -> None:
    assert gui_arguments(argv) is None


def test_the_fast_reading_knows_every_option_of_the_application() -> None:
    assert set(vars(build_parser().parse_args([]))) == set(vars(gui_arguments([])))


def test_nothing_slow_is_loaded_before_the_sign_in_is_painted(tmp_path: Path) -> None:
    """The GUI started as ``diversion-desktop`` starts it; the test's own event filter reports what
    has been loaded once the sign-in dialog has been painted, then quits from the dialog."""
    script = (
        "import sys\n"
        "from PySide6.QtCore import QObject, QEvent, QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        f"heavy = {HEAVY!r}\n"
        "class Painted(QObject):\n"
        "    def eventFilter(self, obj, event):\n"
        "        if event.type() == QEvent.Type.Paint and obj.objectName() == 'signInDialog' and not done:\n"
        "            done.append(obj)\n"
        "            loaded = sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in heavy))\n"
        "            print('painted loaded:', ' '.join(loaded) or '-', flush=True)\n"
        "            QTimer.singleShot(0, obj.reject)\n"
        "        return False\n"
        "done = []\n"
        "app = QApplication(sys.argv)\n"
        "watch = Painted()\n"
        "app.installEventFilter(watch)\n"
        "from diversion_desktop.cli import main\n"
        f"sys.exit(main(['--database', {_url(tmp_path / 'probe.sqlite3')!r}]))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" loaded: ", 1) for line in out.stdout.splitlines() if " loaded: " in line)
    assert lines.get("painted") == "-", f"loaded before the sign-in was painted: {lines.get('painted')}"
