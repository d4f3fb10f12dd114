"""The support worker's day: the appointments of one centre, and one action per outcome.

Choose the centre (remembered between sessions) and the day; select an
appointment and record it as attended, not attended, cancelled by the provider,
or rebooked with a reason and a new time; a mistaken record is corrected, with a
reason, by "Correct attendance…" (as on the referral page). Every read and write
runs on the worker through the ``TaskRunner``.

Paperwork for the day: "Print letters for this day…" issues the appointment
letters of the chosen centre and day as one merged PDF, and "Print missed-
appointment notices…" the notices for the non-attendances recorded that day
(every centre); both show a progress bar, then the PDF ready to print.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.documents import DocumentService
from diversion_desktop.services.dto import AppointmentRow
from diversion_desktop.services.errors import ValidationError
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.ui import attendance_correction, dialogs
from diversion_desktop.ui.changes import Changed, Changes
from diversion_desktop.ui.correction_dialogs import CorrectAttendanceDialog, CorrectionRequest
from diversion_desktop.ui.document_batches import run_batch
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.pdf_preview import PdfPreviewDialog
from diversion_desktop.ui.settings import Settings
from diversion_desktop.ui.table_models import APPOINTMENTS_OF_DAY, ROW_ROLE, RowsModel, sorting_proxy
from diversion_desktop.ui.tasks import TaskRunner
from diversion_desktop.ui.widgets import DateEdit, add_field


class AppointmentsView(QWidget):
    sig_open_referral = Signal(int)  # referral id
    sig_changed = Signal(int)  # referral id, after attendance was recorded
    sig_loaded = Signal(int)  # number of appointments shown
    sig_batch_shown = Signal(object)  # the batch's PdfPreviewDialog, or None if nothing was made

    def __init__(self, ctx: AppContext, runner: TaskRunner, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.settings = settings
        self.service = ProgrammeService(ctx)
        self.documents = DocumentService(ctx)
        self.batch_dialog: PdfPreviewDialog | None = None
        self.rebook_dialog: dialogs.RebookDialog | None = None
        self.correction_dialog: CorrectAttendanceDialog | None = None
        self._latest = 0  # only the newest list is shown
        self._shown: tuple[str, date] | None = None
        self._notice = ""  # what was just recorded, kept above the counts after the reload
        self._build()
        self.day.set_value(ctx.today())
        runner.data_changed.changed.connect(self._data_changed)
        self.refresh()

    @property
    def busy(self) -> bool:
        """Recording, or making a batch of letters."""
        return is_busy(self)

    saving = busy

    def _data_changed(self, changes: Changes) -> None:
        # (a booking made on the referral page, a letter issued there, sample data)
        if changes.touches(Changed.APPOINTMENTS | Changed.DOCUMENTS) and not changes.made_by(self):
            self.refresh()

    # -- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        self.centre = QComboBox()
        self.centre.setObjectName("centre")
        self.centre.setAccessibleName("Centre")
        # A support worker sees only their own organisation's centres; coordinators see all.
        for scheme, centre in self.ctx.schemes.centres_for(self.ctx.principal):
            self.centre.addItem(f"{scheme.area} — {centre.name}", centre.code)
        index = self.centre.findData(self.settings.last_centre)
        self.centre.setCurrentIndex(max(index, 0))
        self.centre.currentIndexChanged.connect(self._centre_changed)
        centre_caption = QLabel("&Centre")
        centre_caption.setBuddy(self.centre)

        self.day = DateEdit()
        self.day.setObjectName("day")
        self.day.setMaximumWidth(120)
        self.day.editingFinished.connect(self.refresh)
        day_form = QFormLayout()
        self.day_field = add_field(day_form, "Day", self.day)
        day_form.labelForField(self.day_field).setText("Da&y")
        self.previous_button = QPushButton("Previo&us day")
        self.previous_button.setToolTip("Previous day (Ctrl+Page Up)")
        self.previous_button.clicked.connect(lambda: self.move_day(-1))
        self.today_button = QPushButton("&Today")
        self.today_button.clicked.connect(self.show_today)
        self.next_button = QPushButton("Ne&xt day")
        self.next_button.setToolTip("Next day (Ctrl+Page Down)")
        self.next_button.clicked.connect(lambda: self.move_day(1))
        for keys, step in (("Ctrl+PgUp", -1), ("Ctrl+PgDown", 1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda s=step: self.move_day(s))

        top = QHBoxLayout()
        top.addWidget(centre_caption, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.centre, 2, Qt.AlignmentFlag.AlignTop)
        top.addSpacing(12)
        top.addLayout(day_form)
        top.addWidget(self.previous_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.today_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.next_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addStretch(1)

        self.heading = QLabel()
        self.heading.setObjectName("appointmentsHeading")
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)

        self.model = RowsModel(APPOINTMENTS_OF_DAY, self)
        self.proxy = sorting_proxy(self.model)
        self.table = QTableView()
        self.table.setObjectName("appointmentsTable")
        self.table.setAccessibleName("Appointments")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)  # attendance, with any rebooking reason
        self.table.activated.connect(self._open_index)  # Enter or double-click
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.setFocusProxy(self.table)

        self.attended_button = QPushButton("Att&ended", self)
        self.not_attended_button = QPushButton("&Not attended", self)
        self.cancelled_button = QPushButton("Cance&lled by provider", self)
        self.rebook_button = QPushButton("Re&book…", self)
        # Alt+E, shared with "Att&ended" on purpose: the one is enabled only for a row not yet recorded,
        # the other only for a recorded one, so the key never finds both (Qt skips disabled buttons).
        # Every other letter of the label is another button's here, or a tab's or menu's of the window.
        self.correct_button = QPushButton("Corr&ect attendance…", self)
        self.open_button = QPushButton("&Open referral")
        self.notes_button = QPushButton(
            "Session note&s…", self
        )  # (a parent: setVisible below must not make it a window)
        self.notes_button.setObjectName("sessionNotesButton")
        self.notes_button.clicked.connect(self.edit_notes)
        principal = self.ctx.principal
        self.notes_button.setVisible(principal is not None and principal.may(Permission.RECORD_SESSION_NOTES))
        for button, name in (
            (self.attended_button, "attendedButton"),
            (self.not_attended_button, "notAttendedButton"),
            (self.cancelled_button, "cancelledButton"),
            (self.rebook_button, "rebookButton"),
            (self.correct_button, "correctAttendanceButton"),
            (self.open_button, "openReferralButton"),
        ):
            button.setObjectName(name)
        self.attended_button.clicked.connect(lambda: self.record(Attendance.ATTENDED))
        self.not_attended_button.clicked.connect(lambda: self.record(Attendance.NOT_ATTENDED))
        self.cancelled_button.clicked.connect(lambda: self.record(Attendance.CANCELLED))
        self.rebook_button.clicked.connect(self.rebook)
        self.correct_button.clicked.connect(self.correct_attendance)
        self.open_button.clicked.connect(self.open_selected)
        actions = QHBoxLayout()
        self.record_caption = QLabel("Record the selected appointment:", self)
        actions.addWidget(self.record_caption)
        # (each has a parent: made visible, it must not become a window of its own)
        for button in (self.attended_button, self.not_attended_button, self.cancelled_button, self.rebook_button):
            actions.addWidget(button)
            button.setVisible(self.may(Permission.RECORD_ATTENDANCE))  # a coordinator sees the day, records nothing
        self.record_caption.setVisible(self.may(Permission.RECORD_ATTENDANCE))
        actions.addWidget(self.correct_button)
        self.correct_button.setVisible(self.may(Permission.CORRECT_ATTENDANCE))  # a coordinator's too
        actions.addStretch(1)
        actions.addWidget(self.notes_button)
        actions.addWidget(self.open_button)

        self.letters_button = QPushButton("Print letters for this &day…", self)
        self.letters_button.setObjectName("printDayLettersButton")
        self.letters_button.setToolTip(
            "Issue the appointment letters of every booked appointment at this centre "
            "on this day, and show them as one PDF to print. Each letter is kept on "
            "its referral; a letter issued before is reused."
        )
        self.letters_button.clicked.connect(self.print_day_letters)
        self.missed_button = QPushButton("Print &missed-appointment notices…", self)
        self.missed_button.setObjectName("printMissedNoticesButton")
        self.missed_button.setToolTip(
            "Issue the missed-appointment notices for the non-attendances recorded on "
            "this day, at every centre, and show them as one PDF to print."
        )
        self.missed_button.clicked.connect(lambda: self.print_missed_notices())
        self.export_button = QPushButton("Ex&port this list…", self)  # (a parent, as the notes button)
        self.export_button.setObjectName("exportAppointmentsButton")
        self.export_button.setToolTip("Export this centre's appointments on this day to a spreadsheet")
        self.export_button.clicked.connect(self.export_list)
        principal = self.ctx.principal
        self.export_button.setVisible(principal is not None and principal.may(Permission.EXPORT_PERSONAL_DATA))
        # Each batch only for those who may issue its documents (domain/document_kinds.py).
        self.letters_button.setVisible(self.may(Permission.ISSUE_PROVIDER_DOCUMENTS))
        self.missed_button.setVisible(self.may(Permission.ISSUE_NEXT_STEP_DOCUMENTS))
        paperwork = QHBoxLayout()
        paperwork_caption = QLabel("Paperwork:", self)
        paperwork_caption.setVisible(self.letters_button.isVisibleTo(self) or self.missed_button.isVisibleTo(self))
        paperwork.addWidget(paperwork_caption)
        paperwork.addWidget(self.letters_button)
        paperwork.addWidget(self.missed_button)
        paperwork.addStretch(1)
        paperwork.addWidget(self.export_button)

        self.status = QLabel()
        self.status.setObjectName("appointmentsStatus")
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addLayout(paperwork)
        layout.addWidget(self.status)
        self._update_buttons()

    def may(self, permission: Permission) -> bool:
        """Whether the signed-in user may: nothing is offered or suggested that they may not do."""
        principal = self.ctx.principal
        return principal is not None and principal.may(permission)

    def export_list(self) -> None:
        """Export what the list shows: this centre's appointments on this day."""
        from diversion_desktop.services.exporter import ExportQuery
        from diversion_desktop.ui.export_action import export_list

        day = self.day.value() or self.ctx.today()
        centre = self.centre_code()
        query = ExportQuery(
            kind="appointments",
            centre_code=centre,
            date_from=day,
            date_to=day,
            description=f"Appointments at {self.centre.currentText()} on {day:%d/%m/%Y}",
        )
        self.export_dialog = export_list(
            self,
            self.ctx,
            self.runner,
            query,
            title=f"the appointments at {self.centre.currentText()} on {day:%d/%m/%Y}",
            suggested_name=f"appointments-{centre}-{day.isoformat()}",
        )

    # -- choosing the list ----------------------------------------------------------------
    def _no_centre(self) -> str:
        principal = self.ctx.principal
        if principal is not None and principal.provider_scoped:
            return f"No centre run by {principal.organisation} is configured in any scheme."
        return "No centre is configured in any scheme."

    def centre_code(self) -> str:
        return self.centre.currentData() or ""

    def _centre_changed(self) -> None:
        self.settings.last_centre = self.centre_code()
        self.refresh()

    def move_day(self, days: int) -> None:
        self.day.set_value((self.day.value() or self.ctx.today()) + timedelta(days=days))
        self.refresh()

    def show_today(self) -> None:
        self.day.set_value(self.ctx.today())
        self.refresh()

    def refresh(self, keep_id: int | None = None) -> None:
        """Load the appointments of the chosen centre and day (again)."""
        day = self.day.value()
        self.day_field.set_error(self.day.problem() or ("" if day else "Enter the day as dd/mm/yyyy."))
        centre = self.centre_code()
        if day is None or not centre:
            self._latest += 1  # drop any list still on its way
            self._shown = None
            self.model.set_rows([])
            self.heading.setText(self.centre.currentText())
            self.status.setText("Enter a day as dd/mm/yyyy to see its appointments." if centre else self._no_centre())
            self._update_buttons()
            return
        if keep_id is None:
            selected = self.selected()
            keep_id = selected.id if selected is not None and self._shown == (centre, day) else None
        self._latest += 1
        token = self._latest
        self.heading.setText(f"{self.centre.currentText()}: {day:%A %d %B %Y}")
        self.status.setText(f"{self._notice} Loading…".strip())
        Op(self, lambda: self.service.list_for_centre_day(centre, day)).success(
            lambda rows: self._show(rows, token, centre, day, keep_id)
        ).failure(lambda error: self._load_failed(error, token)).run_in(self.runner)

    def _show(self, rows: list[AppointmentRow], token: int, centre: str, day: date, keep_id: int | None) -> None:
        if token != self._latest:
            return  # a newer list is on its way
        self._shown = (centre, day)
        self.model.set_rows(rows)
        if not rows:
            summary = "No appointments at this centre on this day."
        else:
            open_count = sum(1 for r in rows if not r.attendance)
            summary = f"{len(rows)} appointment(s); {open_count} still to record."
        self.status.setText(f"{self._notice} {summary}".strip())
        self._notice = ""
        self._select(keep_id)
        self._update_buttons()
        self.sig_loaded.emit(len(rows))

    def _load_failed(self, _error: BaseException, token: int) -> bool:
        if token != self._latest:
            return True  # a newer list is on its way: nothing to say
        self.status.setText("The appointments could not be loaded.")
        return False

    def _select(self, appointment_id: int | None) -> None:
        for proxy_row in range(self.proxy.rowCount()):
            row = self.proxy.index(proxy_row, 0).data(ROW_ROLE)
            if appointment_id is None or row.id == appointment_id:
                self.table.selectRow(proxy_row)
                self.table.scrollTo(self.proxy.index(proxy_row, 0))
                return

    # -- the selection -----------------------------------------------------------------------
    def selected(self) -> AppointmentRow | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.selected()
        open_ = row is not None and not row.attendance and not self.saving
        on_the_day = row is not None and row.scheduled_at.date() <= self.ctx.today()
        self.attended_button.setEnabled(open_ and on_the_day)
        self.not_attended_button.setEnabled(open_ and on_the_day)
        self.cancelled_button.setEnabled(open_)
        self.rebook_button.setEnabled(open_)
        # Who may correct which record, and when, is the domain's rule; whether the referral's next
        # step is confirmed this list does not know: the service refuses that, in the dialog.
        refusal = (
            attendance_correction.refusal(self.ctx.principal, row, self.ctx.today(), step_confirmed=False)
            if row is not None
            else "Choose an appointment above."
        )
        self.correct_button.setEnabled(refusal is None and not self.saving)
        self.correct_button.setToolTip(
            refusal or "Correct the attendance recorded for this appointment, with a reason."
        )
        self.open_button.setEnabled(row is not None)
        self.notes_button.setEnabled(row is not None and not self.saving)
        self.letters_button.setEnabled(not self.busy and bool(self.centre_code()) and self.day.value() is not None)
        self.missed_button.setEnabled(not self.busy and self.day.value() is not None)
        if row is not None and row.attendance:
            hint = "Attendance is already recorded for this appointment."
        elif row is not None and not on_the_day:
            hint = "This appointment is in the future: attendance can be recorded on the day."
        else:
            hint = ""
        for button in (self.attended_button, self.not_attended_button):
            button.setToolTip(hint)

    def _open_index(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if row is not None:
            self.sig_open_referral.emit(row.referral_id)

    def open_selected(self) -> None:
        row = self.selected()
        if row is not None:
            self.sig_open_referral.emit(row.referral_id)

    # -- recording -----------------------------------------------------------------------------
    def record(self, attendance: Attendance) -> None:
        """Attended, not attended or cancelled by the provider, for the selected appointment."""
        row = self.selected()
        if row is None or row.attendance or self.saving:
            return
        self.status.setText(f"Recording {attendance.label.lower()} for {row.person_name}…")
        due = (
            " A missed appointment notice is now due: open the referral to preview and print it, or print "
            "the day's notices."
            if attendance is Attendance.NOT_ATTENDED and self.may(Permission.ISSUE_NEXT_STEP_DOCUMENTS)
            else ""
        )
        Op(self, lambda: self.service.record(row.id, attendance, expected_version=row.version)).busy(
            self._update_buttons
        ).changes(Changed.APPOINTMENTS | Changed.REFERRALS, row.referral_id).success(
            lambda _new: self._recorded(
                row,
                f"Recorded: {attendance.label.lower()} — "
                f"{row.person_name}, {row.referral_reference}, "
                f"{row.scheduled_at:%H:%M}.{due}",
            )
        ).failure(self._record_failed).reload_on_stale(self.refresh).run_in(self.runner)

    def correct_attendance(self) -> None:
        """The attendance recorded for the selected appointment was a mistake: correct it, with a reason."""
        row = self.selected()
        if row is None or self.saving or not self.correct_button.isEnabled():
            return

        def done(saved: AppointmentRow, request: CorrectionRequest) -> None:
            self._recorded(
                saved,
                f"Corrected to {request.attendance.label.lower()} — "
                f"{saved.person_name}, {saved.referral_reference}, {saved.scheduled_at:%H:%M}.",
            )

        dialog = attendance_correction.correct_attendance_dialog(
            self,
            self.ctx,
            self.runner,
            row,
            update=self._update_buttons,
            reload=lambda: self.refresh(keep_id=row.id),
            done=done,
            say=self.status.setText,
        )
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.correction_dialog = dialog
        dialog.open()

    def edit_notes(self) -> None:
        row = self.selected()
        if row is None or self.saving:
            return
        dialog = dialogs.SessionNotesDialog(row, parent=self)

        def submit(notes: str) -> None:
            def done(saved: AppointmentRow) -> None:
                self._notice = f"Session notes saved — {saved.person_name}, {saved.referral_reference}."
                self.refresh(keep_id=saved.id)

            Op(self, lambda: self.service.record_session_notes(row.id, notes, row.version)).in_form(dialog).changes(
                Changed.APPOINTMENTS, row.referral_id
            ).success(done).reload_on_stale(lambda: self.refresh(keep_id=row.id)).run_in(self.runner)

        dialog.sig_submitted.connect(submit)
        self.notes_dialog = dialog
        dialog.open()

    def rebook(self) -> None:
        row = self.selected()
        if row is None or row.attendance or self.saving:
            return
        dialog = dialogs.RebookDialog(row, parent=self)
        dialog.sig_submitted.connect(lambda request: self._submit_rebook(dialog, row, request))
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.rebook_dialog = dialog
        dialog.open()

    def _submit_rebook(self, dialog: dialogs.RebookDialog, row: AppointmentRow, request: dialogs.RebookRequest) -> None:
        self.status.setText(f"Rebooking {row.person_name}…")

        def done(new: AppointmentRow | None) -> None:
            when = f" for {new.scheduled_at:%d/%m/%Y %H:%M}" if new is not None else ""
            letter = (
                " Its appointment letter is now due (referral page, or the letters for that day)."
                if new and self.may(Permission.ISSUE_PROVIDER_DOCUMENTS)
                else ""
            )
            self._recorded(
                row, f"Rebooked{when} — {row.person_name}, {row.referral_reference} ({request.reason}).{letter}"
            )

        Op(
            self,
            lambda: self.service.record(
                row.id, Attendance.REBOOKED, request.reason, request.new_time, expected_version=row.version
            ),
        ).busy(self._update_buttons).in_form(dialog).reload_on_stale(lambda: self.refresh(keep_id=row.id)).changes(
            Changed.APPOINTMENTS | Changed.REFERRALS, row.referral_id
        ).success(done).failure(
            lambda _error: self.status.setText("Not rebooked: see the message in the dialog.")
        ).run_in(self.runner)

    def _dialog_closed(self, dialog: dialogs.RebookDialog | CorrectAttendanceDialog) -> None:
        if self.rebook_dialog is dialog:
            self.rebook_dialog = None
        if self.correction_dialog is dialog:
            self.correction_dialog = None
        dialog.deleteLater()
        self.table.setFocus()

    def _recorded(self, row: AppointmentRow, message: str) -> None:
        self._notice = message
        self.refresh(keep_id=row.id)
        self.sig_changed.emit(row.referral_id)
        self.table.setFocus()

    def _record_failed(self, error: BaseException) -> None:
        self._notice = "Not recorded: " + (
            " ".join(error.errors.values()) if isinstance(error, ValidationError) else str(error)
        )
        self.status.setText(self._notice)
        self.refresh()  # show what is stored now (and the error is said: a dialog, or the offer to reload)

    # -- paperwork -------------------------------------------------------------------------------
    def print_day_letters(self) -> None:
        """Appointment letters for the chosen centre and day, merged into one PDF to print."""
        centre, day = self.centre_code(), self.day.value()
        if not centre or day is None or self.busy:
            if day is None:
                self.day_field.set_error("Enter the day as dd/mm/yyyy.")
            return
        name = self.centre.currentText()
        self._run_batch(
            lambda progress: self.documents.appointment_batch(centre, day, progress),
            f"Issuing the appointment letters for {name} on {day:%A %d %B %Y}…",
        )

    def print_missed_notices(self, day: date | None = None) -> None:
        """Missed-appointment notices for the non-attendances recorded on ``day`` (default: the
        chosen day, or today), at every centre, merged into one PDF to print."""
        day = day or self.day.value() or self.ctx.today()
        if self.busy:
            return
        self._run_batch(
            lambda progress: self.documents.missed_batch(day, progress),
            f"Issuing the missed-appointment notices for {day:%A %d %B %Y}…",
        )

    def _run_batch(self, job, label: str) -> None:  # noqa: ANN001 - a documents.BatchJob
        self.status.setText(label)
        run_batch(self, self.runner, job, label, self._batch_done)
        self._update_buttons()

    def _batch_done(self, dialog: PdfPreviewDialog | None) -> None:
        self.batch_dialog = dialog
        if dialog is not None:
            self.status.setText(f"{dialog.title_text}: {dialog.page_count()} page(s) ready to print.")
            dialog.finished.connect(lambda _result: self._batch_closed(dialog))
        else:
            self.status.setText("No letters were printed.")
        self._update_buttons()
        self.sig_batch_shown.emit(dialog)

    def _batch_closed(self, dialog: PdfPreviewDialog) -> None:
        if self.batch_dialog is dialog:
            self.batch_dialog = None
        self.table.setFocus()
