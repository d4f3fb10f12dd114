"""Starting the GUI: read the schemes (or explain why not), sign in, show the main window.

The window comes first: loading SQLAlchemy and the models and checking the schema take several
times as long as showing a window, so the database is opened on a thread once the window has
been painted, and the window works on an ``OpeningContext`` until then (ui/opening.py: whatever
needs the database waits for it; if it cannot be opened a message says why and the application
ends, as it did before the window existed). So nothing imported before the first paint may load
SQLAlchemy, Alembic, reportlab, openpyxl, scipy, QtPdf or QtCharts (tests/ui/test_start_up.py
checks): the modules that need them are loaded on first use. Anything that comes to stand
between opening the data and the window (a sign-in dialog) gets the database by asking
``ctx`` for it (``ctx.wait_until_open()``, or any attribute an AppContext has), after calling
``ctx.open_in_background()`` once it is shown.

Signing in (ui/sign_in.py) comes before the window: the sign-in dialog is the first thing
painted, the database opens behind it, and a database without users asks for its first
administrator instead. Quitting there ends the application (exit code 0) without a window.
Account → Sign out closes the window and asks again who signs in; "Sign out and quit" on the
lock screen ends the application.

``DIVERSION_READY_PROBE`` (for ``benchmarks/run.py``): when set, the window switches to the
intake form once shown and, after it has been painted, prints ``diversion-ready <unix time>``
on stdout, then ``diversion-database-open <unix time>`` once the database is open; with the
value ``quit`` the application then quits. The probe never asks anyone to sign in: the window
comes first as before, and once the database is open it signs in as ``DIVERSION_USER`` with
``DIVERSION_PASSWORD`` if the database has users (refused: a message on stderr, exit code 1),
or, on a database without users, as the installation (``setup_principal``, every role) as the
command line does. Only the probe reads those variables: the GUI otherwise always asks.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import traceback
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from diversion_desktop.domain.schemes import SchemeConfigError
from diversion_desktop.ui.gui_thread_gc import GuiThreadCollector
from diversion_desktop.ui.opening import OpeningContext
from diversion_desktop.ui.settings import Settings


def run_gui(url: str | None = None) -> int:
    """The application on the database ``url`` (None: DIVERSION_DATABASE_URL, else the embedded
    default); returns the exit code."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Diversion Desktop")
    app.setOrganizationName("DiversionDesktop")
    ctx = open_data(url)
    if ctx is None:
        return 1
    probe = os.environ.get("DIVERSION_READY_PROBE")
    refused: list[str] = []  # the probe's sign-in refusal, if it was
    if probe:
        # Listening before the window does: signed in before the window's first reads.
        ctx.opening.listen(lambda error: error is None and _probe_sign_in(app, ctx, refused))
    settings = Settings()
    # Once the first screen (the sign-in dialog or the window) is painted: collection was off until
    # then (cli.main), and from then on it runs on this thread only.
    collector = GuiThreadCollector(app)
    after_paint(collector.start)
    try:
        return _run_windows(app, ctx, settings, probe, refused)
    finally:
        collector.stop()


def _run_windows(app: QApplication, ctx: OpeningContext, settings: Settings, probe: str | None,
                 refused: list[str]) -> int:
    """The sign-in and the main window, again after each sign-out; the exit code."""
    while True:
        if not probe:
            from diversion_desktop.ui.sign_in import sign_in_at_start  # light: its services load on use

            if not sign_in_at_start(ctx):
                if ctx.opening.error is not None:
                    _opened(app, None, ctx, ctx.opening.error)
                    return 1
                return 0
        from diversion_desktop.ui.main_window import MainWindow  # after the schemes are known to be right

        window = MainWindow(ctx, settings)
        window.sig_signed_out.connect(lambda _then: app.quit())  # even with another window still open
        window.show()
        if probe:
            QTimer.singleShot(0, lambda: _report_ready(app, window, ctx, quit_after=probe == "quit"))
        ctx.opening.listen(lambda error, w=window: _opened(app, w, ctx, error))
        after_paint(ctx.open_in_background)
        code = app.exec()
        if probe:
            return 1 if refused else code
        if window.signed_out != "sign in":
            return code
        window.deleteLater()  # signed out: ask who signs in next


def _probe_sign_in(app: QApplication, ctx: OpeningContext, refused: list[str]) -> None:
    """The probe's sign-in, once the database is open (see the module's docstring)."""
    from diversion_desktop.domain.permissions import setup_principal
    from diversion_desktop.services.users import SignInRefused, UserService, has_users

    if not has_users(ctx):
        ctx.sign_in_as(setup_principal(ctx.user))
        return
    try:
        UserService(ctx).sign_in(os.environ.get("DIVERSION_USER", ""), os.environ.get("DIVERSION_PASSWORD", ""))
    except SignInRefused as exc:
        print(f"DIVERSION_READY_PROBE: sign-in refused: {exc}", file=sys.stderr)
        refused.append(str(exc))
        app.exit(1)


def open_data(url: str | None) -> OpeningContext | None:
    """The context to start on: the scheme files read, the database still to open (see
    ui/opening.py); None after saying why not."""
    try:
        return OpeningContext.load(url)
    except SchemeConfigError as exc:
        _scheme_error(exc)
        return None


def after_paint(fn: Callable[[], None]) -> None:
    """Call ``fn`` once what has just been shown has been painted. Qt paints in the next turn of
    the event loop, before what that turn posts runs: two turns (as ``benchmarks/run.py`` allows
    a bare window, and as the probe reports)."""
    QTimer.singleShot(0, lambda: QTimer.singleShot(0, fn))


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


def _opened(app: QApplication, window: QMainWindow | None, ctx: OpeningContext,
            error: BaseException | None) -> None:
    if error is None:
        after_start()  # the modules and the database's metadata are loaded now
        return
    from PySide6.QtWidgets import QMessageBox

    if window is not None:
        window.hide()
    if isinstance(error, SchemeConfigError):  # a scheme file changed since the start
        _scheme_error(error)
    else:
        QMessageBox.critical(None, "Database cannot be opened",
                             f"The database {_label(ctx.opening.url)} could not be opened:\n\n{error}")
        print(f"Database cannot be opened: {error}", file=sys.stderr)
        if not _expected(error):
            traceback.print_exception(error, file=sys.stderr)
    app.exit(1)


def _scheme_error(exc: SchemeConfigError) -> None:
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.critical(None, "Scheme configuration error",
                         f"Diversion Desktop cannot start because a scheme file is wrong.\n\n"
                         f"File: {exc.source}\nKey: {exc.key}\nProblem: {exc.problem}")
    print(f"Scheme configuration error: {exc}", file=sys.stderr)


def _label(url: str) -> str:
    """The database as the title bar names it, for a message (the URL itself if it cannot be read)."""
    try:
        from diversion_desktop.store.database import describe

        return describe(url)
    except Exception:  # noqa: BLE001 - only words for a message about a failure already caught
        return url or "(the default database)"


def _expected(error: BaseException) -> bool:
    """A database that cannot be opened (rather than a fault in the program, worth its traceback)."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    kinds: tuple[type[BaseException], ...] = (OSError,)
    if sqlalchemy_exc is not None:
        kinds += (sqlalchemy_exc.SQLAlchemyError,)
    return isinstance(error, kinds)


def _report_ready(app: QApplication, window: QMainWindow, ctx: OpeningContext, quit_after: bool) -> None:
    """Show the intake form, report once the event loop has painted it, then once the database is open."""
    window.new_referral()  # type: ignore[attr-defined]

    def database_open(error: BaseException | None) -> None:
        if error is not None:
            return  # _opened says why and ends the application
        _announce("diversion-database-open")
        if quit_after:
            window.close()
            app.quit()

    def report() -> None:
        _announce("diversion-ready")
        ctx.opening.listen(database_open)

    QTimer.singleShot(0, report)


def _announce(what: str) -> None:
    print(f"{what} {time.time():.6f}", flush=True)
