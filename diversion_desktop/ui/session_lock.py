"""Locking the session when the workstation is left alone, and unlocking it with the password.

``SessionLock`` watches every input event of the application (an application-wide event
filter: keys, mouse, wheel, touch) and locks once none has come for the idle time (a setting,
10 minutes by default; tests pass milliseconds). Locking covers every open window of the
application with an opaque page, so no record stays readable, and opens an application-modal
``LockDialog`` asking for the signed-in user's password; while locked, input meant for anything
but that dialog is dropped, shortcuts included. Nothing underneath is rebuilt or cleared, so a
half-typed form is exactly as it was after unlocking, with the focus where it was.

Wrong passwords count towards the account's lockout (``UserService.unlock``); once the account
is locked the dialog says so, and "Sign out and quit" is the other way out. A principal that is
no stored user (setup, before the first administrator) has no password to ask for: nothing
locks then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.ui.operations import Op
from diversion_desktop.ui.sign_in import password_edit
from diversion_desktop.ui.tasks import TaskRunner, error_text
from diversion_desktop.ui.widgets import ErrorLabel

if TYPE_CHECKING:  # the services load SQLAlchemy: on first use, never before the window is painted
    from diversion_desktop.services.context import AppContext
    from diversion_desktop.services.users import UserService

_T = QEvent.Type
# What a person does; any of these, anywhere in the application, restarts the idle time.
INPUT_EVENTS = frozenset(
    {
        _T.KeyPress,
        _T.KeyRelease,
        _T.MouseButtonPress,
        _T.MouseButtonRelease,
        _T.MouseButtonDblClick,
        _T.MouseMove,
        _T.Wheel,
        _T.TouchBegin,
        _T.TouchUpdate,
        _T.TouchEnd,
        _T.TabletPress,
        _T.TabletMove,
        _T.InputMethod,
    }
)
# Dropped while locked unless meant for the lock dialog: shortcuts would otherwise still work
# the menus of a covered window.
_BLOCKED_WHILE_LOCKED = INPUT_EVENTS | {_T.Shortcut, _T.ShortcutOverride, _T.ContextMenu, _T.ToolTip, _T.WhatsThis}
_NOT_COVERED = (Qt.WindowType.ToolTip, Qt.WindowType.Popup)


class Cover(QWidget):
    """An opaque page over the whole of one window (menus, tabs and status bar included)."""

    def __init__(self, window: QWidget, text: str) -> None:
        super().__init__(window)
        self.setObjectName("lockCover")
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, palette.color(QPalette.ColorRole.Dark))
        palette.setColor(QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.BrightText))
        self.setPalette(palette)
        label = QLabel(text, self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        label.setFont(font)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        self.follow()
        self.show()
        self.raise_()

    def follow(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())


class LockDialog(QDialog):
    """The password, and the other way out. Escape and the title bar's close do nothing: the
    session stays locked until one of the two buttons succeeds."""

    sig_unlock = Signal(str)
    sig_sign_out = Signal()

    def __init__(self, who: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockDialog")
        self.setWindowTitle("Locked — Diversion Desktop")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlags(Qt.WindowType.Dialog | Qt.WindowType.CustomizeWindowHint | Qt.WindowType.WindowTitleHint)
        self.busy = False
        title = QLabel("Diversion Desktop is locked")
        title.setObjectName("lockTitle")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        title.setFont(font)
        explanation = QLabel(
            f"Signed in as {who}. Type your password to carry on where you left off: what "
            "you were typing is kept.\n\nSigning out closes the application; anything not "
            "saved is lost."
        )
        explanation.setWordWrap(True)
        self.password = password_edit()
        self.password.setObjectName("lockPassword")
        self.password.setAccessibleName("Password")
        caption = QLabel("&Password")
        caption.setBuddy(self.password)
        form = QFormLayout()
        form.addRow(caption, self.password)
        self.message = ErrorLabel()
        self.message.setObjectName("lockMessage")
        self.message.setAccessibleName("Unlock message")
        self.buttons = QDialogButtonBox()
        self.unlock_button: QPushButton = self.buttons.addButton("&Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_out_button: QPushButton = self.buttons.addButton(
            "Sign out and &quit", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.unlock_button.setDefault(True)
        self.sign_out_button.setAutoDefault(False)  # Enter unlocks; it never signs out
        self.unlock_button.clicked.connect(self._unlock)
        self.sign_out_button.clicked.connect(self._sign_out)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)
        self.password.setFocus()

    def _unlock(self) -> None:
        if self.busy:
            return
        if not self.password.text():
            self.show_message("Type your password.")
            return
        self.set_busy(True)
        self.sig_unlock.emit(self.password.text())

    def _sign_out(self) -> None:
        if not self.busy:
            self.set_busy(True)
            self.sig_sign_out.emit()

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.buttons.setEnabled(not busy)
        self.password.setEnabled(not busy)
        if busy:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        else:
            QApplication.restoreOverrideCursor()

    def refused(self, message: str) -> None:
        self.set_busy(False)
        self.show_message(message)
        self.password.clear()
        self.password.setFocus()

    def show_message(self, message: str) -> None:
        self.message.show_message(message)
        self.password.setAccessibleDescription(message)
        self.adjustSize()

    # -- never closed but by the two buttons --------------------------------------------------
    def reject(self) -> None:
        pass

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()


class SessionLock(QObject):
    """Watches for input and locks ``window`` (and every other window of the application) after
    ``idle_ms`` without any. ``lock()`` locks at once (Ctrl+L)."""

    sig_locked = Signal()
    sig_unlocked = Signal()
    sig_signed_out = Signal()  # "Sign out and quit" chosen and done: the owner closes the application

    def __init__(self, window: QWidget, ctx: AppContext, idle_ms: int) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = ctx
        self.idle_ms = max(int(idle_ms), 1)
        self.dialog: LockDialog | None = None
        self._covers: dict[QWidget, Cover] = {}
        self._focus: QWidget | None = None
        self._since_input = QElapsedTimer()
        self._since_input.start()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._check)
        # Its own worker: unlocking never waits behind a long task (a batch of letters, an import).
        self._runner = TaskRunner(self)
        self._users: UserService | None = None
        self._watching = False  # the application's event filter is installed (_watch)
        self.arm()

    @property
    def _service(self) -> UserService:
        if self._users is None:
            from diversion_desktop.services.users import UserService

            self._users = UserService(self.ctx)
        return self._users

    @property
    def available(self) -> bool:
        """Whether there is a password to ask for: the signed-in principal is a stored user."""
        principal = self.ctx.principal
        return principal is not None and principal.user_id is not None

    @property
    def locked(self) -> bool:
        return self.dialog is not None

    def set_idle_ms(self, idle_ms: int) -> None:
        self.idle_ms = max(int(idle_ms), 1)
        self.arm()

    def stop(self) -> None:
        """The window is closing: stop watching."""
        self._timer.stop()
        self._watch(False)
        self._runner.shutdown()

    def _watch(self, on: bool) -> None:
        """Filter the application's events only while someone signed in could be locked out:
        every event of every widget then goes through Python (measured: 60 ms more to the first
        paint of the window when it was installed from the start, before anyone had signed in)."""
        app = QApplication.instance()
        if app is None or on == self._watching:
            return
        if on:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)
        self._watching = on

    def arm(self) -> None:
        self._since_input.restart()
        self._watch(self.available)
        if self.available and not self.locked:
            self._timer.start(self.idle_ms)
        else:
            self._timer.stop()

    def _check(self) -> None:
        # Input only notes the time (a timer restart per mouse move would be wasteful); the
        # timer wakes at the earliest moment the idle time could be over, and looks.
        remaining = self.idle_ms - self._since_input.elapsed()
        if remaining > 0:
            self._timer.start(remaining)
        else:
            self.lock()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if self.dialog is None:
            if kind in INPUT_EVENTS:
                self._since_input.restart()
            return False
        if kind in _BLOCKED_WHILE_LOCKED:
            return not self._for_dialog(watched)
        if kind == _T.Resize and watched in self._covers:
            self._covers[watched].follow()  # type: ignore[index]  # watched is one of the covered windows (checked above)
        elif (
            kind == _T.Show
            and isinstance(watched, QWidget)
            and watched.isWindow()
            and watched is not self.dialog
            and watched not in self._covers
        ):
            # A window opened while locked (a task's message): cover it too, after it has shown.
            QTimer.singleShot(0, self, lambda: self._cover_late(watched))  # (cancelled if the lock goes first)
        return False

    def _cover(self, top: QWidget) -> None:
        if top.windowType() in _NOT_COVERED or top in self._covers:
            return
        text = (
            "Diversion Desktop is locked." if top is self.window else "Locked: unlock in the Diversion Desktop window."
        )
        self._covers[top] = Cover(top, text)

    def _cover_late(self, top: QWidget) -> None:
        dialog = self.dialog
        if dialog is None or not shiboken6.isValid(top) or not top.isVisible():
            return
        self._cover(top)
        # Shown again, the lock dialog is the newest modal window, so it still takes the input.
        dialog.hide()
        self._show_dialog(dialog)

    def _show_dialog(self, dialog: LockDialog) -> None:
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        dialog.password.setFocus()

    def _for_dialog(self, watched: QObject) -> bool:
        dialog = self.dialog
        if dialog is None:
            return True
        if isinstance(watched, QWidget):
            return watched is dialog or dialog.isAncestorOf(watched)
        # Events for a QWindow or an action: only the dialog's own window.
        return watched is dialog.windowHandle()

    # -- locking -------------------------------------------------------------------------------
    def lock(self) -> None:
        if self.locked or not self.available:
            return
        self._watch(True)  # (it blocks input to every other window while locked)
        self._timer.stop()
        self._focus = QApplication.focusWidget()
        while (popup := QApplication.activePopupWidget()) is not None:  # an open menu or list
            popup.close()
        for top in QApplication.topLevelWidgets():
            if top.isVisible() and top.isWindow():
                self._cover(top)
        principal = self.ctx.principal
        who = principal.label if principal is not None else ""
        self.dialog = LockDialog(who, self.window)
        self.dialog.sig_unlock.connect(self._try_password)
        self.dialog.sig_sign_out.connect(self._sign_out)
        self._show_dialog(self.dialog)
        self.sig_locked.emit()

    def _try_password(self, password: str) -> None:
        Op(self, lambda: self._service.unlock(password)).success(lambda _none: self._unlock()).failure(
            self._refused
        ).run_in(self._runner)

    def _refused(self, error: BaseException) -> bool:
        if self.dialog is not None:
            self.dialog.refused(error_text(error))
        return True

    def _unlock(self) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        dialog.set_busy(False)
        self.dialog = None  # unlocked from here on: input counts again
        dialog.hide()
        dialog.deleteLater()
        for cover in self._covers.values():
            cover.hide()
            cover.deleteLater()
        self._covers.clear()
        focus, self._focus = self._focus, None
        if focus is not None and shiboken6.isValid(focus):
            focus.window().activateWindow()
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.window.activateWindow()
        self.arm()
        self.sig_unlocked.emit()

    def _sign_out(self) -> None:
        def signed_out(_none: object) -> None:
            # The covers stay until the windows close; only the dialog goes.
            dialog, self.dialog = self.dialog, None
            if dialog is not None:
                dialog.set_busy(False)
                dialog.hide()
                dialog.deleteLater()
            self._timer.stop()
            self.sig_signed_out.emit()

        def failed(error: BaseException) -> bool:  # the audit row could not be written: still leave
            self.ctx.sign_in_as(None)
            signed_out(None)
            return True

        Op(self, self._service.sign_out).success(signed_out).failure(failed).run_in(self._runner)
