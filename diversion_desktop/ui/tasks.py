"""Runs service calls on one background worker and hands results back to the GUI thread.

Database work never blocks the window: each call is queued on a single worker
thread (one writer, as SQLite wants), and its result or error comes back by a
queued signal. Errors from the services show in a dialog unless the caller
handles them. An answer whose widget has gone meanwhile (a form closed while its
search ran) is dropped: nothing may touch a deleted widget.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from diversion_desktop.services.errors import AccountRevoked, ServiceError, StaleRecord
from diversion_desktop.ui.changes import DataChanged

if TYPE_CHECKING:  # loaded with the first task, not before the window is first painted
    from concurrent.futures import ThreadPoolExecutor

Success = Callable[[Any], None]
Failure = Callable[[BaseException], None]


class TaskRunner(QObject):
    """``run(fn, on_success)``: fn runs on the worker; on_success runs on the GUI thread."""

    sig_started = Signal()
    sig_finished = Signal()  # after the callback of every task, success or not
    sig_idle = Signal()  # no task left queued
    _sig_result = Signal(int, object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parent_widget = parent
        self._executor: ThreadPoolExecutor | None = None  # made with the first task
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[Success | None, Failure | None, QObject | None, Callable[[], None] | None]] = {}
        self._closed = False
        # Called instead of a task's own error handling when the account was disabled (or given a
        # new password) by an administrator meanwhile: the main window signs out.
        self.on_account_revoked: Failure | None = None
        # What the operations run here changed (ui/operations.py): the views listen, each reads again or not.
        self.data_changed = DataChanged(self)
        self._sig_result.connect(self._deliver)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(
        self,
        fn: Callable[[], Any],
        on_success: Success | None = None,
        on_error: Failure | None = None,
        owner: QObject | None = None,
        on_finally: Callable[[], None] | None = None,
    ) -> int:
        """Queue ``fn``; returns a task id, or 0 when the runner has shut down (window closing).

        ``owner``: the widget the callbacks work on; when it has been deleted by the time the
        answer comes, the callbacks are not called. Callbacks that are methods of a widget have
        it as their owner without saying so; a lambda names its widget here. ``on_finally`` is
        called after the answer in every case (its owner gone, or the account revoked)."""
        if self._closed:
            return 0
        task_id = next(self._ids)
        owner = owner or _qobject_of(on_success) or _qobject_of(on_error)
        self._pending[task_id] = (on_success, on_error, owner, on_finally)
        self.sig_started.emit()
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="diversion-db")
        self._executor.submit(self._work, task_id, fn)
        return task_id

    def _work(self, task_id: int, fn: Callable[[], Any]) -> None:
        try:
            result, error = fn(), None
        except BaseException as exc:  # noqa: BLE001 (whatever the work raises is handed to the GUI thread, which shows it)
            result, error = None, exc
            if not isinstance(exc, ServiceError):
                import logging
                import traceback

                logging.getLogger(__name__).error(
                    "Background task failed:\n%s", "".join(traceback.format_exception(exc))
                )
        self._sig_result.emit(task_id, result, error)

    @Slot(int, object, object)
    def _deliver(self, task_id: int, result: Any, error: BaseException | None) -> None:
        on_success, on_error, owner, on_finally = self._pending.pop(task_id, (None, None, None, None))
        try:
            if owner is not None and not shiboken6.isValid(owner):
                return  # its widget has gone: nothing left to show the answer in
            if error is None:
                if on_success is not None:
                    on_success(result)
            elif isinstance(error, AccountRevoked) and self.on_account_revoked is not None:
                self.on_account_revoked(error)
            elif on_error is not None:
                on_error(error)
            else:
                show_error(self._parent_widget, error)
        finally:
            if on_finally is not None:
                on_finally()
            self.sig_finished.emit()
            if not self._pending:
                self.sig_idle.emit()

    def shutdown(self) -> None:
        """Finish the task in hand (a save is never cut off half-way), then stop."""
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=False)


def _qobject_of(callback: Callable[..., Any] | None) -> QObject | None:
    """The Qt object a bound method belongs to, if it is one."""
    owner = getattr(callback, "__self__", None)
    return owner if isinstance(owner, QObject) else None


def error_text(error: BaseException) -> str:
    if isinstance(error, ServiceError):
        return str(error)
    return f"Something went wrong: {error}. Nothing that was already saved has been lost."


def show_error(parent: QWidget | None, error: BaseException, title: str = "Diversion Desktop") -> None:
    from PySide6.QtWidgets import QMessageBox  # (its Python type is made on first use: not at start-up)

    box = QMessageBox(QMessageBox.Icon.Warning, title, error_text(error), QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    box.open()


def offer_reload(
    parent: QWidget | None, error: BaseException, reload: Callable[[], None], title: str = "Changed by someone else"
) -> bool:
    """For a save refused because the record changed meanwhile (StaleRecord): say who changed what
    and offer to reload it (Reload / Cancel); True if it was one. Anything else: False, untouched."""
    from PySide6.QtWidgets import QMessageBox

    if not isinstance(error, StaleRecord):
        return False
    buttons = QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel
    box = QMessageBox(QMessageBox.Icon.Information, title, str(error), buttons, parent)
    box.setObjectName("staleRecordDialog")
    box.button(QMessageBox.StandardButton.Ok).setText("&Reload")
    box.setDefaultButton(QMessageBox.StandardButton.Ok)
    box.accepted.connect(reload)
    box.open()
    return True
