"""Data protection menu: merge and undo, subject-access export, legal hold, anonymise old records.

The main window adds these with one call, ``add_data_protection_actions(window, menu)`` (the
window gives ``ctx`` and ``runner``). Each action shows only to a principal holding its
permission, checked again every time the menu opens (another user may have signed in); the
services are the control and refuse anyone else. All work runs on the window's ``TaskRunner``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.domain.permissions import Permission
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.retention import LegalHoldState, RetentionPlan, RetentionReport, RetentionService
from diversion_desktop.services.subject_access import PersonBrief, SubjectAccessResult, SubjectAccessService
from diversion_desktop.ui import file_dialogs
from diversion_desktop.ui.changes import Changed
from diversion_desktop.ui.dialogs import ask_confirmation
from diversion_desktop.ui.merge_dialog import MergeDialog, UndoMergeDialog
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.password_fields import PASSWORD_NOTE, PasswordFields
from diversion_desktop.ui.tasks import TaskRunner
from diversion_desktop.ui.widgets import ErrorLabel


class _Window(Protocol):
    ctx: AppContext
    runner: TaskRunner


def ask_folder(parent: QWidget | None) -> str:
    """The system folder chooser; the chosen folder, or "" if cancelled."""
    return file_dialogs.folder_path(parent, "Save the subject-access export in")


def _status_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class SubjectAccessDialog(QDialog):
    """Find the person by reference, confirm who it is, choose a password (or untick the protection),
    choose a folder, export."""

    sig_exported = Signal(object)  # SubjectAccessResult

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.service = SubjectAccessService(ctx)
        self.person: PersonBrief | None = None
        self.setObjectName("subjectAccessDialog")
        self.setWindowTitle("Subject-access export")
        self.reference = QLineEdit()
        self.reference.setObjectName("sarReference")
        self.reference.setAccessibleName("Person reference")
        self.reference.setPlaceholderText("P000123")
        self.reference.returnPressed.connect(self.find)
        self.find_button = QPushButton("&Find")
        self.find_button.setObjectName("sarFind")
        self.find_button.clicked.connect(self.find)
        self.who = _status_label("sarPerson")
        self.secret = PasswordFields("sar", self)
        note = QLabel(
            "The export is a readable PDF and a JSON file with everything held about the person, "
            "including police and provider notes. It holds personal data: with a password, both go into "
            f"one AES-256 encrypted ZIP. {PASSWORD_NOTE}"
        )
        note.setObjectName("sarNote")
        note.setWordWrap(True)
        self.error = ErrorLabel()
        self.error.setObjectName("sarError")
        self.status = _status_label("sarStatus")
        self.buttons = QDialogButtonBox()
        self.export_button: QPushButton = self.buttons.addButton("&Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("sarExport")
        self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Person &reference", self.reference)
        form.addRow("", self.find_button)
        form.addRow(self.who)
        self.secret.add_rows(form)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self._update()

    @property
    def busy(self) -> bool:
        return is_busy(self)

    def _update(self) -> None:
        self.export_button.setEnabled(self.person is not None and not self.busy)
        self.secret.protect.setEnabled(not self.busy)

    def find(self) -> None:
        reference = self.reference.text()
        self.person = None
        self.error.show_message("")
        self._update()

        def found(person: PersonBrief) -> None:
            self.person = person
            merged = (
                (
                    f" This record was merged into {person.merged_into_reference}: the export covers that "
                    "person and every record merged into them."
                )
                if person.merged_into_reference
                else ""
            )
            self.who.setText(f"{person.name} ({person.reference}), born {person.date_of_birth:%d/%m/%Y}.{merged}")
            self._update()

        service = self.service  # the worker's function holds no widget: one must never be freed there
        Op(self, lambda: service.find(reference)).success(found).failure(self._failed).errors_in(
            self.error.show_message
        ).run_in(self.runner)

    def _failed(self, _error: BaseException) -> None:
        self._update()
        self.status.setText("")

    def export(self) -> None:
        person = self.person
        if person is None or self.busy:
            return
        go_on, password = self.secret.check(self.error)
        if not go_on:
            return
        folder = ask_folder(self)
        if not folder:
            return
        self.status.setText("Exporting…")

        def done(result: SubjectAccessResult) -> None:
            self.sig_exported.emit(result)
            self._update()
            self.status.setText(result.summary())

        service = self.service
        Op(self, lambda: service.export_with_summary(person.id, Path(folder), password)).busy(self._update).success(
            done
        ).failure(self._failed).errors_in(self.error.show_message).run_in(self.runner)

    def reject(self) -> None:
        if not self.busy:
            super().reject()


class RetentionDialog(QDialog):
    """Shows what would be anonymised first; anonymises on request, with progress."""

    sig_planned = Signal(object)  # RetentionPlan
    sig_finished = Signal(object)  # RetentionReport

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.service = RetentionService(ctx)
        self.plan: RetentionPlan | None = None
        self.setObjectName("retentionDialog")
        self.setWindowTitle("Anonymise old records")
        intro = QLabel(
            "Closed referrals older than their scheme's retention period are anonymised, except under "
            "a legal hold: names, addresses, contact details and free text are removed; sex, year and "
            "month of birth, area, dates and outcomes are kept for the statistics. This cannot be "
            "undone. Every record anonymised is audited."
        )
        intro.setWordWrap(True)
        self.summary = _status_label("retentionPlan")
        self.summary.setText("Counting the records past their retention period…")
        self.progress = QProgressBar()
        self.progress.setObjectName("retentionProgress")
        self.progress.setVisible(False)
        self.error = ErrorLabel()
        self.error.setObjectName("retentionError")
        self.status = _status_label("retentionStatus")
        self.buttons = QDialogButtonBox()
        self.run_button: QPushButton = self.buttons.addButton("&Anonymise…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.setObjectName("retentionRun")
        self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro, self.summary, self.progress, self.error, self.status, self.buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(560)
        Op(self, self.service.plan).busy(self._update).success(self._planned).failure(self._failed).errors_in(
            self.error.show_message
        ).run_in(self.runner)

    @property
    def busy(self) -> bool:
        """Counting, or anonymising."""
        return is_busy(self)

    def _update(self) -> None:
        plan = self.plan
        self.run_button.setEnabled(not self.busy and plan is not None and (plan.referrals + plan.people) > 0)

    def _planned(self, plan: RetentionPlan) -> None:
        self.plan = plan
        shown = ", ".join(plan.sample[:10]) + (" …" if plan.referrals > 10 else "")
        self.summary.setText(plan.summary() + (f"\nFirst: {shown}" if plan.sample else "\nNothing to anonymise."))
        self._update()
        self.sig_planned.emit(plan)

    def _failed(self, _error: BaseException) -> None:
        self.progress.setVisible(False)
        self.status.setText("")

    def run(self) -> None:
        plan = self.plan
        if self.busy or plan is None:
            return
        if not ask_confirmation(
            self,
            "Anonymise old records",
            f"Anonymise {plan.referrals:,} referral(s) and {plan.people:,} person record(s)? This cannot be undone.",
        ):
            return
        self.progress.setVisible(True)
        self.progress.setRange(0, max(plan.referrals + plan.people, 1))
        self.status.setText("Anonymising…")

        def done(report: RetentionReport) -> None:
            self.progress.setVisible(False)
            self.status.setText(report.summary())
            self.plan = None  # done: run again only after a fresh count
            self._update()
            self.sig_finished.emit(report)

        service = self.service  # no widget held by the worker's function
        Op(self, lambda report: service.run(report)).with_progress(self.progress).busy(self._update).changes(
            Changed.PEOPLE | Changed.REFERRALS
        ).success(done).failure(self._failed).errors_in(self.error.show_message).run_in(self.runner)

    def reject(self) -> None:
        if not self.busy or self.plan is None:  # never closed while anonymising
            super().reject()


class LegalHoldDialog(QDialog):
    """Set or release a referral's legal hold, by its reference, with a reason."""

    sig_changed = Signal(object)  # LegalHoldState

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.service = RetentionService(ctx)
        self.setObjectName("legalHoldDialog")
        self.setWindowTitle("Legal hold")
        self.reference = QLineEdit()
        self.reference.setObjectName("holdReference")
        self.reference.setPlaceholderText("WB-2026-00001")
        self.on = QRadioButton("&Set a hold (never anonymised while it lasts)")
        self.on.setObjectName("holdOn")
        self.on.setChecked(True)
        self.off = QRadioButton("&Release the hold")
        self.off.setObjectName("holdOff")
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("holdReason")
        self.reason.setTabChangesFocus(True)
        self.reason.setMaximumHeight(80)
        self.error = ErrorLabel()
        self.error.setObjectName("holdError")
        self.status = _status_label("holdStatus")
        self.buttons = QDialogButtonBox()
        self.apply_button: QPushButton = self.buttons.addButton("&Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setObjectName("holdApply")
        self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Referral &reference", self.reference)
        form.addRow(self.on)
        form.addRow(self.off)
        form.addRow("Reason", self.reason)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for widget in (self.error, self.status, self.buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(480)

    def apply(self) -> None:
        if self.busy:
            return
        reference, on, reason = self.reference.text(), self.on.isChecked(), self.reason.toPlainText()
        self.error.show_message("")

        service = self.service  # the worker's function holds no widget

        def work() -> LegalHoldState:
            return service.set_legal_hold(service.referral_id(reference), on, reason)

        def done(state: LegalHoldState) -> None:
            self.sig_changed.emit(state)
            self.status.setText(state.summary())

        Op(self, work).busy().changes(Changed.REFERRALS).success(done).errors_in(self.error.show_message).run_in(
            self.runner
        )

    @property
    def busy(self) -> bool:
        return is_busy(self)

    def reject(self) -> None:
        if not self.busy:
            super().reject()


# Dialogs opened without a parent window, kept until closed (a parent would own them otherwise).
_WITHOUT_PARENT: set[QDialog] = set()


def _open(dialog: QDialog) -> QDialog:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if dialog.parent() is None:
        _WITHOUT_PARENT.add(dialog)
        dialog.finished.connect(lambda _result: _WITHOUT_PARENT.discard(dialog))
    dialog.show()
    return dialog


def _selected_reference(window: QWidget | None) -> str:
    """The person chosen in the window's search panel, if it has one, to start a merge from."""
    search = getattr(window, "search", None)
    chooser: Callable[[], object] | None = getattr(search, "selected_person", None)
    person = chooser() if chooser is not None else None
    return getattr(person, "reference", "") or ""


def add_data_protection_actions(window: _Window, menu: QMenu, on_changed: Callable[[], None] | None = None) -> None:
    """Add the data-protection actions to ``menu`` (e.g. a "Data &protection" menu of the main
    window); each is shown only to a principal who holds its permission. ``on_changed`` (for
    example the window's refresh) is called after a merge, an undo, a hold or an anonymisation."""
    ctx, runner = window.ctx, window.runner
    parent = window if isinstance(window, QWidget) else None

    def changed(_result: object) -> None:
        if on_changed is not None:
            on_changed()

    def merge(_checked: bool = False) -> None:
        dialog = MergeDialog(ctx, runner, _selected_reference(parent), parent)
        dialog.sig_merged.connect(changed)
        _open(dialog)

    def undo(_checked: bool = False) -> None:
        dialog = UndoMergeDialog(ctx, runner, _selected_reference(parent), parent)
        dialog.sig_undone.connect(changed)
        _open(dialog)

    def subject_access(_checked: bool = False) -> None:
        _open(SubjectAccessDialog(ctx, runner, parent))

    def legal_hold(_checked: bool = False) -> None:
        dialog = LegalHoldDialog(ctx, runner, parent)
        dialog.sig_changed.connect(changed)
        _open(dialog)

    def retention(_checked: bool = False) -> None:
        dialog = RetentionDialog(ctx, runner, parent)
        dialog.sig_finished.connect(changed)
        _open(dialog)

    entries: list[tuple[str, str, Permission, Callable[[bool], None]]] = [
        ("mergeAction", "&Merge records of one person…", Permission.MERGE_PEOPLE, merge),
        ("undoMergeAction", "&Undo a merge…", Permission.MERGE_PEOPLE, undo),
        ("subjectAccessAction", "&Subject-access export…", Permission.SUBJECT_ACCESS, subject_access),
        ("legalHoldAction", "&Legal hold…", Permission.SET_LEGAL_HOLD, legal_hold),
        ("retentionAction", "&Anonymise old records…", Permission.RETENTION, retention),
    ]
    actions: list[tuple[QAction, Permission]] = []
    for name, text, permission, slot in entries:
        action = QAction(text, menu)
        action.setObjectName(name)
        action.triggered.connect(slot)
        menu.addAction(action)
        actions.append((action, permission))

    def refresh() -> None:
        principal = ctx.principal
        for action, permission in actions:
            action.setVisible(principal is not None and principal.may(permission))

    refresh()
    menu.aboutToShow.connect(refresh)
