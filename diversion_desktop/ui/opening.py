"""Opening the database on a thread while the sign-in dialog is on screen.

Loading SQLAlchemy and the models, opening the database and upgrading its schema take longer
than showing a dialog, and a person starts typing their name at once. So ``DatabaseOpening``
opens it on a thread of its own and keeps the result in a ``Future``: the sign-in, which runs
on a worker, waits for that future; the GUI thread hears ``sig_done`` once it is settled.
Nothing in this module loads SQLAlchemy: the thread does.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from diversion_desktop.services.context import AppContext


@dataclass(frozen=True)
class OpenedDatabase:
    ctx: AppContext
    has_users: bool  # False: a new database, whose first administrator is still to be named


class DatabaseOpening(QObject):
    """``start()`` opens the database given (None: DIVERSION_DATABASE_URL, else the embedded
    default) on a thread; ``result()`` waits for it (not on the GUI thread) and returns it or
    raises what stopped it; ``sig_done`` tells the GUI thread when it is settled."""

    sig_done = Signal()

    def __init__(self, database: str | None) -> None:
        super().__init__()
        self.database = database
        self._future: Future[OpenedDatabase] = Future()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            # Not a daemon: quitting during an upgrade waits for it rather than cutting it off.
            self._thread = threading.Thread(target=self._open, name="diversion-open-database")
            self._thread.start()

    def _open(self) -> None:
        try:
            from diversion_desktop.services.bootstrap import open_context, resolve_database_url
            from diversion_desktop.services.users import has_users

            ctx = open_context(resolve_database_url(self.database))
            self._future.set_result(OpenedDatabase(ctx, has_users(ctx)))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the result
            self._future.set_exception(exc)
        self.sig_done.emit()  # queued to the GUI thread, where this object lives

    def done(self) -> bool:
        return self._future.done()

    def result(self) -> OpenedDatabase:
        """The open database; waits for it (call from a worker, or once ``done()``)."""
        self.start()
        return self._future.result()

    def error(self) -> BaseException | None:
        """What stopped the opening, once ``done()``; None if it opened."""
        return self._future.exception() if self._future.done() else None

    def wait(self) -> None:
        """Let the thread finish (an upgrade is never cut off when the application quits)."""
        if self._thread is not None:
            self._thread.join()
