"""File → Back up database… and File → Restore a backup…: the dialogs over services/backup.py.

Both run their work on the ``TaskRunner``'s worker (a backup of a large database takes a while)
with a progress bar fed by a queued signal, and show the service's message when it refuses.
Restoring never touches the database in use: it makes a new file and says how to open it. The
system file dialogs are module-level functions so tests can replace them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.domain.permissions import Permission
from diversion_desktop.services.backup import (
    ENCRYPTED_SUFFIX,
    MIN_PASSWORD_LENGTH,
    BackupInfo,
    BackupResult,
    BackupService,
    RestoreResult,
)
from diversion_desktop.services.context import AppContext
from diversion_desktop.ui import file_dialogs
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.password_fields import PasswordFields
from diversion_desktop.ui.tasks import TaskRunner
from diversion_desktop.ui.widgets import ErrorLabel

_ENCRYPTED_FILTER = f"Encrypted backup (*{ENCRYPTED_SUFFIX})"
_DATABASE_FILTER = "SQLite database (*.sqlite3 *.sqlite *.db)"
_PERMILLE = 1000  # progress in thousandths: byte counts of a large database overflow Qt's int

T = TypeVar("T")
Report = Callable[[int, int], None]


def _in_permille(report: Report) -> Report:
    """``report`` in thousandths (called on the worker thread)."""
    return lambda done, total: report(done * _PERMILLE // max(total, 1), _PERMILLE)


def ask_backup_path(parent: QWidget | None, suggested_name: str, encrypted: bool) -> str:
    """The system "Save as" dialog for the backup (it asks before replacing a file); "" if cancelled."""
    return file_dialogs.save_path(
        parent, "Back up the database", suggested_name, _ENCRYPTED_FILTER if encrypted else _DATABASE_FILTER
    )


def ask_backup_file(parent: QWidget | None) -> str:
    """The system "Open" dialog for a backup to restore; "" if cancelled."""
    return file_dialogs.open_path(
        parent,
        "Choose the backup to restore",
        f"Backups ({'*' + ENCRYPTED_SUFFIX} *.sqlite3 *.sqlite *.db);;All files (*)",
    )


def ask_restore_path(parent: QWidget | None, suggested_name: str) -> str:
    """The system "Save as" dialog for the new database file; "" if cancelled. It does not offer to
    replace a file: the service refuses an existing one and says so."""
    return file_dialogs.save_path(
        parent, "Restore into a new database file", suggested_name, _DATABASE_FILTER, confirm_overwrite=False
    )


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class _WorkDialog(QDialog):
    """What both dialogs share: the error line, progress bar, status text, buttons and busy state."""

    def __init__(self, ctx: AppContext, runner: TaskRunner, name: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.service = BackupService(ctx)
        self.setObjectName(f"{name}Dialog")
        self.error = ErrorLabel()
        self.error.setObjectName(f"{name}Error")
        self.progress = QProgressBar()
        self.progress.setObjectName(f"{name}Progress")
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setObjectName(f"{name}Status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.close_button: QPushButton = self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.rejected.connect(self.reject)
        self.setMinimumWidth(560)

    def _finish_layout(self, layout: QVBoxLayout) -> None:
        for widget in (self.error, self.progress, self.status, self.buttons):
            layout.addWidget(widget)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self._grow_to_fit()
        return handled

    def _grow_to_fit(self) -> None:
        """Grow taller when a message (the result, an error, what a backup holds) needs it. The
        layout's minimum size ignores how tall a word-wrapped label is at the dialog's width, so
        without this the new text was cut off and the password fields squeezed flat."""
        layout = self.layout()
        if layout is None or not self.isVisible() or not layout.hasHeightForWidth():
            return
        needed = layout.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    @property
    def busy(self) -> bool:
        return is_busy(self)

    def _op(self, work: Callable[[Report], T], message: str) -> Op[T]:
        """Work with the progress bar (given ``report``); refused, the reason shows on the error line."""
        self.status.setText(message)
        return (
            Op(self, lambda report: work(_in_permille(report)))
            .with_progress(self.progress)
            .busy(self._busy_changed)
            .failure(lambda _error: self.status.setText(""))
            .errors_in(self.error.show_message)
        )

    def _refuse_unless_allowed(self, action: QPushButton) -> None:
        """Say at once when the signed-in user may not do this (the service refuses it anyway)."""
        principal = self.ctx.principal
        if principal is not None and not principal.may(Permission.BACKUP):
            action.setEnabled(False)
            self.error.show_message(
                f"{principal.username} may not back up or restore the database (it needs an administrator)."
            )

    def _busy_changed(self) -> None:
        busy = self.busy
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)  # until the first report
        self.buttons.setEnabled(not busy)

    def reject(self) -> None:
        if not self.busy:
            super().reject()


class BackupDialog(_WorkDialog):
    sig_backed_up = Signal(object)  # BackupResult

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(ctx, runner, "backup", parent)
        self.result: BackupResult | None = None
        self.setWindowTitle("Back up the database")
        intro = QLabel(
            f"Copy the database {ctx.database_label} into a backup file. The copy is consistent even "
            "while this and other workstations keep working."
        )
        intro.setWordWrap(True)
        self.secret = PasswordFields(
            "backup",
            self,
            untick="untick encryption",
            min_length=MIN_PASSWORD_LENGTH,
            checkbox=("Encrypt", "&Encrypt the backup with a password (age format)"),
        )
        self.encrypt, self.password, self.confirm = self.secret.protect, self.secret.password, self.secret.confirm
        note = QLabel(
            f"The backup holds every record, so encrypt it unless it stays on secure storage. The "
            f"password needs at least {MIN_PASSWORD_LENGTH} characters; keep it safe and apart from the "
            "backup: without it the backup cannot be restored. Diversion Desktop's Restore (File → Restore "
            "a backup…, or `diversion-desktop restore`) opens an encrypted backup, and so does `age -d`."
        )
        note.setWordWrap(True)
        form = QFormLayout()
        self.secret.add_rows(form)
        self.backup_button: QPushButton = self.buttons.addButton("&Back up…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.backup_button.setObjectName("backupButton")
        self.buttons.accepted.connect(self.back_up)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(note)
        self._finish_layout(layout)
        self._refuse_unless_allowed(self.backup_button)

    def back_up(self) -> None:
        if self.busy or not self.backup_button.isEnabled():
            return
        go_on, password = self.secret.check(self.error)
        if not go_on:
            return
        suffix = ENCRYPTED_SUFFIX if password is not None else ".sqlite3"
        path = ask_backup_path(self, f"diversion-backup-{self.ctx.today():%Y-%m-%d}{suffix}", password is not None)
        if not path:
            return
        service = self.service

        def done(result: BackupResult) -> None:
            self.result = result
            self.status.setText(result.summary())
            self.password.clear()
            self.confirm.clear()
            self.close_button.setFocus()
            self.sig_backed_up.emit(result)

        # force: the system dialog has already asked before replacing a file.
        self._op(
            lambda report: service.backup(Path(path), password, progress=report, force=True), "Backing up…"
        ).success(done).run_in(self.runner)

    def _busy_changed(self) -> None:
        super()._busy_changed()
        self.encrypt.setEnabled(not self.busy)


class RestoreDialog(_WorkDialog):
    sig_inspected = Signal(object)  # BackupInfo
    sig_restored = Signal(object)  # RestoreResult

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(ctx, runner, "restore", parent)
        self.info: BackupInfo | None = None
        self.result: RestoreResult | None = None
        self.setWindowTitle("Restore a backup")
        intro = QLabel(
            "Restore a backup into a new database file, after checking it. The database in use is not "
            "changed; the restored file is opened separately."
        )
        intro.setWordWrap(True)
        self.source = QLineEdit()
        self.source.setObjectName("restoreSource")
        self.source.setReadOnly(True)
        self.choose_button = QPushButton("&Choose…")
        self.choose_button.setObjectName("restoreChoose")
        self.choose_button.clicked.connect(self.choose_backup)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source, 1)
        source_row.addWidget(self.choose_button)
        self.about = QLabel()
        self.about.setObjectName("restoreAbout")
        self.about.setWordWrap(True)
        self.password = _password_field("restorePassword")
        self.password.setEnabled(False)
        form = QFormLayout()
        source_label = QLabel("&Backup")  # a row of a layout gets no buddy: without one the & showed
        source_label.setBuddy(self.choose_button)
        form.addRow(source_label, source_row)
        form.addRow("", self.about)
        form.addRow("Pass&word", self.password)
        self.restore_button: QPushButton = self.buttons.addButton("&Restore…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setObjectName("restoreButton")
        self.restore_button.setEnabled(False)
        self.buttons.accepted.connect(self.restore)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        self._finish_layout(layout)
        self._refuse_unless_allowed(self.choose_button)

    def choose_backup(self) -> None:
        if self.busy:
            return
        path = ask_backup_file(self)
        if not path:
            return
        self.source.setText(path)
        self.info = None
        self.about.setText("")
        self.status.setText("")
        self.error.show_message("")
        self.restore_button.setEnabled(False)
        service = self.service
        Op(self, lambda: service.inspect(Path(path))).success(self._inspected).failure(self._not_a_backup).errors_in(
            self.error.show_message
        ).run_in(self.runner)

    def _inspected(self, info: BackupInfo) -> None:
        self.info = info
        self.about.setText(info.describe())
        self.password.setEnabled(info.encrypted)
        self.restore_button.setEnabled(not info.newer)
        if info.encrypted:
            self.password.setFocus()
        self.sig_inspected.emit(info)

    def _not_a_backup(self, _error: BaseException) -> None:
        self.info = None  # (the reason shows on the error line)

    def restore(self) -> None:
        info = self.info
        if self.busy or info is None or not self.restore_button.isEnabled():
            return
        password = self.password.text() if info.encrypted else None
        if info.encrypted and not password:
            self.error.show_message("This backup is encrypted: type its password.")
            self.password.setFocus()
            return
        self.error.show_message("")
        target = ask_restore_path(self, f"{info.path.stem}-restored.sqlite3")
        if not target:
            return
        service = self.service

        def done(result: RestoreResult) -> None:
            self.result = result
            self.password.clear()
            self.status.setText(
                f"{result.summary()}\n\nOr set DIVERSION_DATABASE_URL to {result.url} before starting the application."
            )
            self.restore_button.setEnabled(False)
            self.close_button.setFocus()
            self.sig_restored.emit(result)

        self._op(
            lambda report: service.restore(info.path, Path(target), password, progress=report),
            "Checking and restoring…",
        ).success(done).run_in(self.runner)

    def _busy_changed(self) -> None:
        super()._busy_changed()
        busy = self.busy
        self.choose_button.setEnabled(not busy)
        self.password.setEnabled(not busy and self.info is not None and self.info.encrypted)


def open_backup_dialog(ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> BackupDialog:
    """File → Back up database…: show the dialog (not modal: the window stays usable meanwhile)."""
    dialog = BackupDialog(ctx, runner, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def open_restore_dialog(ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> RestoreDialog:
    """File → Restore a backup…: show the dialog (not modal)."""
    dialog = RestoreDialog(ctx, runner, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
