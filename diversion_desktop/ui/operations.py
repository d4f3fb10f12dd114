"""One way for a view to run work in the background: ``Op``, after Anki's CollectionOp and QueryOp.

    Op(self, lambda: service.book(...)).busy(self._update_buttons).changes(Changed.APPOINTMENTS, id)
        .success(self._booked).reload_on_stale(self.refresh).run_in(self.runner)

The work runs on the window's one worker (``TaskRunner``); what comes back is handled on the GUI
thread, and only while the view is still there (a widget deleted, or a dialog closed, meanwhile
hears nothing). While it runs the view counts as busy (``is_busy``) and the widgets named are
disabled, so no view keeps flags of its own. Errors show one way: a record changed meanwhile
offers a reload, a form shows its messages at its fields, anything else is said in a dialog (or
where the view asks); a failure callback may deal with an error itself first. Long work is given a
``report(done, total)`` that reaches a progress bar through the one relay (ui/progress.py). What
was changed is announced once on the runner's ``data_changed`` (ui/changes.py): each view decides
whether to read again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QProgressBar, QWidget

from diversion_desktop.ui.changes import Changed, Changes
from diversion_desktop.ui.progress import ProgressRelay
from diversion_desktop.ui.tasks import error_text, offer_reload, show_error

if TYPE_CHECKING:
    from diversion_desktop.ui.tasks import TaskRunner

T = TypeVar("T")

_BUSY = "opsBusy"  # (dynamic Qt properties: how many busy operations a widget has running)
_WATCHED = "opsWatched"  # a dialog whose closing is watched
_CLOSED = "opsClosed"  # ... and has been closed


class _Form(Protocol):
    """A dialog of fields (ui/dialogs.py ``_SubmitDialog``): its messages show at its fields."""

    def set_busy(self, busy: bool) -> None: ...
    def show_failure(self, error: BaseException) -> None: ...
    def accept(self) -> None: ...
    def reject(self) -> None: ...


class _Switch(Protocol):
    def setEnabled(self, enabled: bool) -> None: ...


def is_busy(widget: QObject) -> bool:
    """Whether a busy operation of ``widget`` is running (``Op.busy``)."""
    return bool(widget.property(_BUSY))


def _add_busy(widget: QObject, step: int) -> None:
    widget.setProperty(_BUSY, max(int(widget.property(_BUSY) or 0) + step, 0))


def _watch_closing(owner: QObject) -> None:
    window = owner.window() if isinstance(owner, QWidget) else None
    if isinstance(window, QDialog) and not window.property(_WATCHED):
        window.setProperty(_WATCHED, True)
        window.finished.connect(lambda _result: window.setProperty(_CLOSED, True))


def _gone(owner: QObject) -> bool:
    """Deleted, or in a dialog closed since: nothing left to show an answer in."""
    if not shiboken6.isValid(owner):
        return True
    window = owner.window() if isinstance(owner, QWidget) else None
    return isinstance(window, QDialog) and bool(window.property(_CLOSED)) and not window.isVisible()


class Op(Generic[T]):
    """Work for the background, said once and run by ``run_in(runner)``; each setter returns the op."""

    def __init__(self, parent: QObject, work: Callable[..., T]) -> None:
        """``parent``: the view (or model) the answer is for; dialogs about errors are its children."""
        self.parent = parent
        self._work = work
        self._success: Callable[[T], object] | None = None
        self._failure: Callable[[BaseException], bool | None] | None = None
        self._busy = False
        self._update: Callable[[], None] | None = None
        self._disabling: tuple[_Switch, ...] = ()
        self._wait_cursor = False
        self._progress: ProgressRelay | None = None
        self._changes = Changes(Changed.NOTHING)
        self._changed_when: Callable[[T], bool] | None = None
        self._reload: Callable[[], None] | None = None
        self._form: _Form | None = None
        self._errors_in: Callable[[str], None] | None = None
        self._runner: TaskRunner | None = None
        self._running = False

    def success(self, callback: Callable[[T], object]) -> Op[T]:
        self._success = callback
        return self

    def failure(self, callback: Callable[[BaseException], bool | None]) -> Op[T]:
        """``callback(error)`` runs first; when it returns True it has dealt with the error and
        nothing more is shown."""
        self._failure = callback
        return self

    def busy(self, update: Callable[[], None] | None = None) -> Op[T]:
        """The parent is busy while this runs; ``update`` (its buttons) is called once it has
        started, once it has ended (before the answer is handled: what that emits finds the view
        idle) and again after (what the answer changed shows)."""
        self._busy, self._update = True, update
        return self

    def disabling(self, *switches: _Switch) -> Op[T]:
        """Widgets or actions disabled while this runs."""
        self._disabling = switches
        return self

    def wait_cursor(self) -> Op[T]:
        """The application's wait cursor while this runs (put back even if the view has gone)."""
        self._wait_cursor = True
        return self

    def with_progress(self, show: ProgressRelay | QProgressBar | Callable[[int, int], None]) -> Op[T]:
        """The work is called with ``report(done, total)``, shown on the GUI thread by ``show``."""
        # (Owned by the parent, as a Qt child: never freed by the worker dropping the last reference.)
        self._progress = show if isinstance(show, ProgressRelay) else ProgressRelay(show, self.parent)
        return self

    def changes(self, what: Changed, referral_id: int | None = None, when: Callable[[T], bool] | None = None) -> Op[T]:
        """Announced on the runner's ``data_changed`` once the work has succeeded (and ``when(result)``
        says it wrote something, if given)."""
        self._changes, self._changed_when = Changes(what, referral_id, self.parent), when
        return self

    def reload_on_stale(self, reload: Callable[[], None]) -> Op[T]:
        """A record changed by someone else meanwhile: say so and offer ``reload``."""
        self._reload = reload
        return self

    def in_form(self, form: _Form) -> Op[T]:
        """Submitted from ``form``: its errors show in it; on success it is accepted."""
        self._form = form
        return self

    def errors_in(self, show: Callable[[str], None]) -> Op[T]:
        """Errors said by ``show(text)`` (a line of the view) rather than in a dialog."""
        self._errors_in = show
        return self

    def run_in(self, runner: TaskRunner) -> int:
        """Queue the work; the task id, or 0 if the runner has stopped (the window is closing)."""
        work, relay = self._work, self._progress
        if relay is not None:
            report = relay.report  # (the worker holds the relay's method only: never a widget)

            def task() -> Any:
                return work(report)

        else:
            task = work
        self._runner = runner
        _watch_closing(self.parent)
        self._set_running(True)
        task_id = runner.run(task, self._succeeded, self._failed, on_finally=self._ended)
        if not task_id:
            self._set_running(False)
        return task_id

    def _ended(self) -> None:
        """After the answer, whatever it was: nothing stays busy (an answer not handed to this op,
        for an account revoked meanwhile, included)."""
        if self._running:
            self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self._running = running
        if self._wait_cursor:
            from PySide6.QtCore import Qt
            from PySide6.QtWidgets import QApplication

            if running:
                QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            else:
                QApplication.restoreOverrideCursor()
        for switch in self._disabling:
            if shiboken6.isValid(switch):
                switch.setEnabled(not running)
        if self._busy and shiboken6.isValid(self.parent):
            _add_busy(self.parent, 1 if running else -1)
            if self._update is not None and (running or not _gone(self.parent)):
                self._update()

    def _succeeded(self, result: T) -> None:
        self._ended()
        if not _gone(self.parent):
            form = self._form
            if form is not None and shiboken6.isValid(form):
                form.set_busy(False)
                form.accept()
            if self._success is not None:
                self._success(result)
            if self._update is not None:
                self._update()
        if self._runner is not None and (self._changed_when is None or self._changed_when(result)):
            self._runner.data_changed.announce(self._changes)  # (even when the view has gone: the data did change)

    def _failed(self, error: BaseException) -> None:
        self._ended()
        if _gone(self.parent):
            return
        if self._failure is None or not self._failure(error):
            self._show(error)
        if self._update is not None:
            self._update()

    def _show(self, error: BaseException) -> None:
        form, reload = self._form, self._reload
        if form is not None and shiboken6.isValid(form):
            form.show_failure(error)
            if reload is not None:

                def reload_form() -> None:
                    form.reject()
                    reload()

                offer_reload(form if isinstance(form, QWidget) else None, error, reload_form)
            return
        parent = self.parent if isinstance(self.parent, QWidget) else None
        if reload is not None and offer_reload(parent, error, reload):
            return
        if self._errors_in is not None:
            self._errors_in(error_text(error))
        else:
            show_error(parent, error)
