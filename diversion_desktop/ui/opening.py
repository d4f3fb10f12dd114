"""The application's context while its database is still opening: the window first, then the data.

Loading SQLAlchemy and the models, opening the database and checking its schema take several
times as long as showing the window (and an upgrade after an update longer still). So the GUI
starts on an ``OpeningContext``: the scheme files are read at once (a wrong one stops start-up
with a message naming the file and the key, as before), the window is built and painted with
what they give (the intake form's live decision needs nothing else), and ``open_in_background``
then opens the database on a thread with ``open_context``, as every other way in does.

Once it is open, the ``OpeningContext`` *becomes* the ``AppContext`` that ``open_context`` made:
the same object, so every view and service made with it holds the real context from then on,
with nothing in between. Until then it answers ``schemes``, ``now()`` and ``today()``; anything
else asked of it (the engine, a unit of work, the user) waits on the thread that asks until the
database is open (so a referral saved meanwhile is saved once it is open, on the worker), or
raises ``StorageError`` saying why the database could not be opened. Nothing in this module
loads SQLAlchemy: that happens on the thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from diversion_desktop.domain.scheme_registry import SchemeRegistry
from diversion_desktop.resources import schemes_dir
from diversion_desktop.services.errors import StorageError

Listener = Callable[[BaseException | None], None]


class Opening(QObject):
    """How the opening goes: ``listen`` to hear, on the GUI thread, None once the database is
    open or the exception that stopped it."""

    _sig_done = Signal(object)

    def __init__(self, database: str | None) -> None:
        super().__init__()
        self.database = database  # as given (--database); None: DIVERSION_DATABASE_URL, else the default
        self.url = database or ""  # the URL, once the thread has resolved it
        self.done = threading.Event()  # set on the thread, when open or failed
        self.error: BaseException | None = None
        self._started = False
        self._lock = threading.Lock()
        self._delivered = False  # the listeners have been told (GUI thread)
        self._listeners: list[Listener] = []
        self._sig_done.connect(self._deliver)  # queued from the thread to this object's, the GUI's

    def start(self, target: Callable[[], None]) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        # Not a daemon: quitting during an upgrade waits for it rather than cutting it off.
        threading.Thread(target=target, name="diversion-open-database").start()

    def finish(self, error: BaseException | None) -> None:
        """On the thread: the database is open (None) or cannot be."""
        self.error = error
        self.done.set()
        self._sig_done.emit(error)

    def listen(self, listener: Listener) -> None:
        """On the GUI thread: ``listener(error)`` once the opening is over (at once if it is)."""
        if self._delivered:
            listener(self.error)
        else:
            self._listeners.append(listener)

    @Slot(object)
    def _deliver(self, error: BaseException | None) -> None:
        self._delivered = True
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener(error)


class OpeningContext:
    """An ``AppContext`` to be: see the module's docstring."""

    database_label = ""  # the window's title names the database once it is open
    clock: Callable[[], datetime] = datetime.now

    def __init__(self, database: str | None, schemes: SchemeRegistry) -> None:
        self.schemes = schemes
        self.opening = Opening(database)

    @classmethod
    def load(cls, database: str | None) -> OpeningContext:
        """Read the scheme files now (raises SchemeConfigError naming file and key); the database later."""
        return cls(database, SchemeRegistry.load(schemes_dir()))

    # -- what the window needs before the database is open, answered as AppContext answers it ---------
    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    def today(self) -> date:
        return self.clock().date()

    # -- opening ---------------------------------------------------------------------------------------
    def open_in_background(self) -> None:
        """Open the database on a thread (once, however often this is called)."""
        self.opening.start(self._open)

    def wait_until_open(self) -> None:
        """Block until the database is open, opening it if no one has yet; StorageError if it cannot be."""
        opening = self.opening
        if not opening.done.is_set():
            self.open_in_background()
            opening.done.wait()
        if opening.error is not None:
            raise StorageError(f"The database could not be opened, so this could not be done: {opening.error}") \
                from opening.error

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - whatever the AppContext holds
        # Called only for what this object lacks: never again once it has become the AppContext.
        if name.startswith("_") or "opening" not in vars(self):
            raise AttributeError(name)
        self.wait_until_open()
        return object.__getattribute__(self, name)  # the AppContext's, now that this is one

    def _open(self) -> None:
        opening = self.opening
        error: BaseException | None = None
        try:
            # The services the first actions use (search, save, the counts), and with them the
            # models, before open_context: it configures the mappers of the models loaded.
            import diversion_desktop.services.intake
            import diversion_desktop.services.people
            import diversion_desktop.services.referrals  # noqa: F401
            from diversion_desktop.services.bootstrap import open_context, resolve_database_url

            opening.url = resolve_database_url(opening.database)
            ctx = open_context(opening.url)
            # Become that AppContext: its state first (this object's methods go on working with
            # it), then its class. ``opening`` stays, done.
            vars(self).update(vars(ctx))
            self.__class__ = type(ctx)  # type: ignore[assignment]
        except BaseException as exc:  # told to the listeners (run_gui: a message, then the end)
            error = exc
        finally:
            opening.finish(error)


def is_opening(ctx: object) -> bool:
    """Whether ``ctx`` is a context whose database is not open yet (False for an AppContext)."""
    return isinstance(ctx, OpeningContext)
