"""Merge two records of one person, and undo a merge (coordinators).

``MergeDialog`` shows two pickers side by side, each a search with its results and the chosen
record's diversion history, so the coordinator compares the two before merging; a reason is
required and the merge is confirmed once more. ``UndoMergeDialog`` lists a person's merges and
undoes the chosen one, with a reason. Both run the service on the window's ``TaskRunner``; the
service checks the permission (the menu only hides what a role cannot do).
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.services.context import AppContext
from diversion_desktop.services.dto import PersonRecord
from diversion_desktop.services.errors import ValidationError
from diversion_desktop.services.free_text import MAX_REASON
from diversion_desktop.services.merge import MergeRecord, MergeResult, MergeService, UndoResult
from diversion_desktop.services.people import PeopleService
from diversion_desktop.ui.changes import Changed
from diversion_desktop.ui.dialogs import ask_confirmation
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.search_panel import HISTORY, PEOPLE
from diversion_desktop.ui.table_models import Column, RowsModel, day_text
from diversion_desktop.ui.tasks import TaskRunner, error_text
from diversion_desktop.ui.widgets import ErrorLabel


def _table(model: RowsModel, name: str) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _reason_box(name: str, placeholder: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(name)
    box.setAccessibleName("Reason")
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)
    box.setMaximumHeight(80)
    return box


def _reason_problem(text: str) -> str:
    """The service's own check, run before asking for confirmation."""
    if not text.strip():
        return "Give the reason."
    if len(text.strip()) > MAX_REASON:
        return f"The reason is too long ({len(text.strip()):,} characters): at most {MAX_REASON:,} are kept."
    return ""


class PersonPicker(QWidget):
    """Search for a person, see the results and the chosen one's history."""

    sig_chosen = Signal(object)  # PersonRecord or None

    def __init__(
        self, title: str, people: PeopleService, runner: TaskRunner, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.people = people
        self.runner = runner
        self.excluded: int | None = None  # the other picker's record
        self.chosen: PersonRecord | None = None
        self._latest = 0
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.search_now)
        self.title = QLabel(f"<b>{title}</b>")
        self.search_box = QLineEdit()
        self.search_box.setObjectName(f"{name}Search")
        self.search_box.setAccessibleName(f"{title}: search")
        self.search_box.setPlaceholderText("Surname, date of birth or reference")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(self._typed)
        self.search_box.returnPressed.connect(self.search_now)
        self.summary = QLabel("Type to search.")
        self.summary.setObjectName(f"{name}Summary")
        self.results = RowsModel(PEOPLE, self)
        self.results_view = _table(self.results, f"{title}: people found")
        self.results_view.setObjectName(f"{name}Results")
        self.results_view.selectionModel().selectionChanged.connect(self._selected)
        self.chosen_label = QLabel("No record chosen.")
        self.chosen_label.setObjectName(f"{name}Chosen")
        self.chosen_label.setWordWrap(True)
        self.history = RowsModel(HISTORY, self)
        self.history_view = _table(self.history, f"{title}: diversion history")
        self.history_view.setObjectName(f"{name}History")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            self.title,
            self.search_box,
            self.summary,
            self.results_view,
            self.chosen_label,
            self.history_view,
        ):
            layout.addWidget(widget)

    def _typed(self, _text: str) -> None:
        self._timer.start()  # keystrokes that arrive together make one search

    def search_now(self) -> None:
        self._timer.stop()
        text = self.search_box.text()
        self._latest += 1
        token = self._latest
        if not text.strip():
            self._show([], token, "")
            return
        self.summary.setText("Searching…")
        people = self.people  # the worker's function holds no widget: one must never be freed there
        # (An answer that comes once the dialog has closed is dropped: ui/operations.py.)
        Op(self, lambda: people.search(text)).success(lambda found: self._show(found, token, text)).failure(
            lambda error: self._failed(error, token)
        ).run_in(self.runner)

    def _failed(self, error: BaseException, token: int) -> bool:
        if token == self._latest:
            self.summary.setText(error_text(error))
        return True

    def _show(self, found: list[PersonRecord], token: int, text: str) -> None:
        if token != self._latest:
            return  # a newer search is on its way
        shown = [p for p in found if p.id != self.excluded]
        self.results.set_rows(shown)
        self.summary.setText(
            "Type to search."
            if not text.strip()
            else f"{len(shown)} found."
            if shown
            else f"No one found for “{text}”."
        )
        if shown:
            self.results_view.selectRow(0)
        else:
            self._choose(None)

    def _selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.results_view.selectionModel().selectedRows()
        self._choose(self.results.row_at(rows[0].row()) if rows else None)

    def _choose(self, person: PersonRecord | None) -> None:
        self.chosen = person
        self.history.set_rows(list(reversed(person.referrals)) if person else [])
        if person is None:
            self.chosen_label.setText("No record chosen.")
        else:
            barred = " — BARRED from further diversion" if person.barred else ""
            self.chosen_label.setText(
                f"{person.display_name} ({person.reference}), born "
                f"{day_text(person.date_of_birth)}; {person.postcode or 'no postcode'}; "
                f"{len(person.referrals)} referral(s){barred}."
            )
        self.sig_chosen.emit(person)


class MergeDialog(QDialog):
    """Choose the record to keep and the other record, compare, give a reason, confirm."""

    sig_merged = Signal(object)  # MergeResult

    def __init__(self, ctx: AppContext, runner: TaskRunner, keep_text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.service = MergeService(ctx)
        self.result: MergeResult | None = None
        self.setObjectName("mergeDialog")
        self.setWindowTitle("Merge records of one person")
        people = PeopleService(ctx)
        self.keep = PersonPicker("Record to keep", people, runner, "keep", self)
        self.other = PersonPicker("Other record (its history moves to the kept record)", people, runner, "other", self)
        self.keep.sig_chosen.connect(self._changed)
        self.other.sig_chosen.connect(self._changed)
        intro = QLabel(
            "Merge two records only when you are sure they are one person. The other record's "
            "referrals and aliases move to the kept record, its name becomes an alias, and its "
            "reference will still find the person. The merge is audited and can be undone."
        )
        intro.setWordWrap(True)
        self.dates_differ = QCheckBox()
        self.dates_differ.setObjectName("mergeDatesDiffer")
        self.dates_differ.setVisible(False)
        self.reason = _reason_box("mergeReason", "Why these are one person (required)")
        reason_label = QLabel("&Reason")
        reason_label.setBuddy(self.reason)
        self.error = ErrorLabel()
        self.error.setObjectName("mergeError")
        self.status = QLabel()
        self.status.setObjectName("mergeStatus")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.merge_button: QPushButton = self.buttons.addButton("&Merge…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge_button.setObjectName("mergeButton")
        self.close_button: QPushButton = self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.merge)
        self.buttons.rejected.connect(self.reject)
        pickers = QHBoxLayout()
        pickers.addWidget(self.keep)
        pickers.addWidget(self.other)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(pickers, 1)
        layout.addWidget(self.dates_differ)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(1100, 700)
        self._changed(None)
        if keep_text:
            self.keep.search_box.setText(keep_text)

    def _changed(self, _person: PersonRecord | None) -> None:
        keep, other = self.keep.chosen, self.other.chosen
        self.other.excluded = keep.id if keep else None
        self.keep.excluded = other.id if other else None
        differ = bool(keep and other and keep.date_of_birth != other.date_of_birth)
        if differ:
            assert keep is not None and other is not None
            self.dates_differ.setText(
                f"The dates of birth differ ({day_text(keep.date_of_birth)} and {day_text(other.date_of_birth)}): "
                f"I have checked they are one person; keep {day_text(keep.date_of_birth)}."
            )
        else:
            self.dates_differ.setChecked(False)
        self.dates_differ.setVisible(differ)
        self.merge_button.setEnabled(
            not self.busy and self.result is None and bool(keep and other) and keep.id != other.id
        )

    def merge(self) -> None:
        if self.busy or self.result is not None:
            return
        keep, other = self.keep.chosen, self.other.chosen
        if keep is None or other is None or keep.id == other.id:
            self.error.show_message("Choose two different records.")
            return
        problem = _reason_problem(self.reason.toPlainText())
        if not problem and self.dates_differ.isVisible() and not self.dates_differ.isChecked():
            problem = "The dates of birth differ: tick the box to say you have checked, or choose another record."
        self.error.show_message(problem)
        if problem:
            self.reason.setFocus()
            return
        if not ask_confirmation(
            self,
            "Merge records",
            f"Merge {other.display_name} ({other.reference}) into {keep.display_name} "
            f"({keep.reference})? {len(other.referrals)} referral(s) will move.",
        ):
            return
        reason, allow = self.reason.toPlainText(), self.dates_differ.isChecked()
        self.status.setText("Merging…")
        service = self.service  # the worker's function holds no widget
        Op(self, lambda: service.merge(keep.id, other.id, reason, allow_different_birth_dates=allow)).busy(
            self._busy_changed
        ).changes(Changed.PEOPLE | Changed.REFERRALS).success(self._done).failure(self._failed).run_in(self.runner)

    @property
    def busy(self) -> bool:
        return is_busy(self)

    def _done(self, result: MergeResult) -> None:
        self.result = result
        self.sig_merged.emit(result)
        self.status.setText(result.summary())
        self.close_button.setFocus()

    def _failed(self, error: BaseException) -> bool:
        self.status.setText("")
        message = error_text(error)
        if isinstance(error, ValidationError):
            message = "\n".join(error.errors.values())
        self.error.show_message(message)
        return True

    def _busy_changed(self) -> None:
        self.reason.setReadOnly(self.busy)
        self._changed(None)

    def reject(self) -> None:
        if not self.busy:
            super().reject()


MERGES: tuple[Column, ...] = (
    Column("No.", lambda m: str(m.id), lambda m: m.id),
    Column("Merged on", lambda m: f"{m.merged_at:%d/%m/%Y %H:%M}", lambda m: m.merged_at.isoformat()),
    Column("Kept", lambda m: f"{m.kept_name} ({m.kept_reference})"),
    Column("Merged record", lambda m: f"{m.merged_name} ({m.merged_reference})"),
    Column("Referrals moved", lambda m: ", ".join(m.referral_references)),
    Column("By", lambda m: m.merged_by),
    Column("Reason", lambda m: m.reason),
    Column("Undo", lambda m: "can be undone" if m.can_undo else f"not possible: {m.undo_blocked}"),
)


class UndoMergeDialog(QDialog):
    """A person's merges; the chosen one undone with a reason."""

    sig_undone = Signal(object)  # UndoResult

    def __init__(
        self, ctx: AppContext, runner: TaskRunner, person_reference: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.service = MergeService(ctx)
        self.setObjectName("undoMergeDialog")
        self.setWindowTitle("Undo a merge")
        self.reference = QLineEdit(person_reference)
        self.reference.setObjectName("undoReference")
        self.reference.setAccessibleName("Person reference")
        self.reference.setPlaceholderText("Person reference, e.g. P000123 (either record)")
        self.reference.returnPressed.connect(self.show_merges)
        self.show_button = QPushButton("&Show merges")
        self.show_button.setObjectName("undoShow")
        self.show_button.clicked.connect(self.show_merges)
        self.merges = RowsModel(MERGES, self)
        self.view = _table(self.merges, "Merges")
        self.view.setObjectName("undoMerges")
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.reason = _reason_box("undoReason", "Why the merge was wrong (required)")
        self.error = ErrorLabel()
        self.error.setObjectName("undoError")
        self.status = QLabel()
        self.status.setObjectName("undoStatus")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.undo_button: QPushButton = self.buttons.addButton("&Undo merge…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.undo_button.setObjectName("undoButton")
        self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.undo)
        self.buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(self.reference, 1)
        top.addWidget(self.show_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(QLabel("Reason"))
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(1000, 480)
        self._update()
        if person_reference:
            self.show_merges()

    def selected(self) -> MergeRecord | None:
        rows = self.view.selectionModel().selectedRows()
        return self.merges.row_at(rows[0].row()) if rows else None

    def show_merges(self) -> None:
        reference = self.reference.text()
        self.error.show_message("")

        service = self.service  # the worker's function holds no widget

        def load() -> list[MergeRecord]:
            return service.merges_for(service.person_id(reference))

        Op(self, load).success(self._show).errors_in(self.error.show_message).run_in(self.runner)

    @property
    def busy(self) -> bool:
        return is_busy(self)

    def _show(self, merges: list[MergeRecord]) -> None:
        self.merges.set_rows(merges)
        self.status.setText(f"{len(merges)} merge(s)." if merges else "This record has not been merged.")
        first = next((i for i, m in enumerate(merges) if m.can_undo), 0 if merges else None)
        if first is not None:
            self.view.selectRow(first)
        self._update()

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update()

    def _update(self) -> None:
        chosen = self.selected()
        self.undo_button.setEnabled(not self.busy and chosen is not None and chosen.can_undo)

    def undo(self) -> None:
        chosen = self.selected()
        if self.busy or chosen is None or not chosen.can_undo:
            return
        problem = _reason_problem(self.reason.toPlainText())
        self.error.show_message(problem)
        if problem:
            self.reason.setFocus()
            return
        if not ask_confirmation(
            self,
            "Undo merge",
            f"Undo merge {chosen.id}? {chosen.merged_reference} becomes a record of its own "
            f"again, with {', '.join(chosen.referral_references) or 'no referrals'}.",
        ):
            return
        reason = self.reason.toPlainText()

        def done(result: UndoResult) -> None:
            self.sig_undone.emit(result)
            self.status.setText(result.summary())
            self.show_merges()

        service = self.service
        Op(self, lambda: service.undo(chosen.id, reason)).busy(self._update).changes(
            Changed.PEOPLE | Changed.REFERRALS
        ).success(done).errors_in(self.error.show_message).run_in(self.runner)

    def reject(self) -> None:
        if not self.busy:
            super().reject()
