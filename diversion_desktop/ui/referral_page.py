"""A referral's page: documents, who and what, the decision and its reasons, appointments, timeline, next step.

Open a referral by its reference (or from a list elsewhere through
``show_referral``). Booking an appointment and confirming the proposed next
step are offered only when the referral's status allows them; confirming asks
first and says what will happen, because a consequence never takes effect by
itself.

The Documents group comes first: whenever the referral's state calls for a
letter or notice (saved, booked, attendance recorded, next step confirmed),
the page is reloaded and the document shows at the top of the group, not yet
issued, ready to preview, print or save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import Decision, Offence
from diversion_desktop.domain.next_step import HOME_OFFICE_OUTCOME_COMPLETED, NextStep
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import BOOKABLE_STATUSES, Attendance, SessionType, Status
from diversion_desktop.domain.schemes import SchemeKind
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.corrections import CorrectionService
from diversion_desktop.services.documents import DueDocument, IssuedInfo
from diversion_desktop.services.dto import AppointmentRow, ReferralDetail
from diversion_desktop.services.errors import NeedsConfirmation, NotFound, ServiceError
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.ui import attendance_correction, dialogs
from diversion_desktop.ui.changes import Changed, Changes
from diversion_desktop.ui.correction_dialogs import (
    CorrectAttendanceDialog,
    CorrectionRequest,
    WithdrawConfirmationDialog,
)
from diversion_desktop.ui.documents_panel import DocumentsPanel
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.table_models import (
    APPOINTMENTS_OF_REFERRAL,
    TIMELINE,
    RowsModel,
    day_text,
    moment_text,
    next_step_text,
    pathway_text,
    status_text,
)
from diversion_desktop.ui.tasks import TaskRunner
from diversion_desktop.ui.widgets import add_field

_WITHHELD = "Not shown to your role"  # recorded, maybe, but withheld (services/scope.py), never "Not recorded"
_SESSION_ORDER = (
    SessionType.ASSESSMENT,
    SessionType.HARM_REDUCTION,
    SessionType.PSYCHOSOCIAL,
    SessionType.PRESCRIBING_REVIEW,
)


def _words(value: str) -> str:
    return value.replace("_", " ")


def _kind_text(value: str) -> str:
    try:
        return SchemeKind(value).label
    except ValueError:
        return _words(value).capitalize()


def _offence_text(value: str) -> str:
    try:
        return Offence(value).label
    except ValueError:
        return _words(value).capitalize()


@dataclass(frozen=True)
class _Loaded:
    """A referral and its documents, read together on the worker."""

    detail: ReferralDetail
    due: list[DueDocument] | None
    issued: list[IssuedInfo] | None
    problem: str = ""  # why the documents could not be worked out


def _quantity_text(quantity: object) -> str:
    text = f"{quantity}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class ReferralPage(QWidget):
    sig_changed = Signal(int)  # referral id, after a booking, a confirmation or issuing a document
    sig_loaded = Signal(int)  # referral id, once its page is shown

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.referrals = ReferralService(ctx)
        self.programme = ProgrammeService(ctx)
        self.corrections = CorrectionService(ctx)
        self.correction_dialog: CorrectAttendanceDialog | WithdrawConfirmationDialog | None = None
        self.detail: ReferralDetail | None = None
        self.book_dialog: dialogs.BookAppointmentDialog | None = None
        self._latest = 0
        self._notice = ""  # what was just done, shown once the page is reloaded
        self._values: dict[str, QLabel] = {}
        self.documents = DocumentsPanel(ctx, runner)
        self.documents.sig_issued.connect(self._changed)
        runner.data_changed.changed.connect(self._data_changed)
        self._build()
        self._show_empty()

    @property
    def busy(self) -> bool:
        return is_busy(self)

    def _data_changed(self, changes: Changes) -> None:
        # An open referral page offers a missed-appointment notice as soon as it is due.
        if changes.touches(Changed.APPOINTMENTS) and changes.referral_id is not None and not changes.made_by(self):
            self.refresh_if_showing(changes.referral_id)

    # -- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        self.reference_edit = QLineEdit()
        self.reference_edit.setObjectName("referralReference")
        self.reference_edit.setPlaceholderText("for example WB-2026-0001")
        self.reference_edit.setMaximumWidth(220)
        self.reference_edit.returnPressed.connect(self.open_reference)
        reference_form = QFormLayout()
        self.reference_field = add_field(reference_form, "Referral reference", self.reference_edit)
        reference_form.labelForField(self.reference_field).setText("Referral r&eference")
        self.open_button = QPushButton("&Open")
        self.open_button.setObjectName("openReferenceButton")
        self.open_button.clicked.connect(self.open_reference)
        top = QHBoxLayout()
        top.addLayout(reference_form)
        top.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addStretch(1)

        self.title = QLabel()
        self.title.setObjectName("referralTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.title.setFont(font)
        self.message = QLabel()
        self.message.setObjectName("referralMessage")
        self.message.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.documents)
        left_layout.addWidget(self._details_group())
        left_layout.addWidget(self._decision_group())
        left_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(left)
        self.left_scroll = scroll

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self._next_step_group())
        right_layout.addWidget(self._appointments_group(), 2)
        right_layout.addWidget(self._timeline_group(), 3)

        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.addWidget(scroll)
        self.body.addWidget(right)
        self.body.setStretchFactor(0, 2)
        self.body.setStretchFactor(1, 3)
        self.body.setSizes([580, 680])
        self.body.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        layout.addWidget(self.body, 1)
        self.setFocusProxy(self.reference_edit)

    def _value(self, form: QFormLayout, name: str, label: str) -> QLabel:
        value = QLabel()
        value.setObjectName(name)
        value.setWordWrap(True)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setAccessibleName(label)
        caption = QLabel(label + ":")
        caption.setBuddy(value)
        form.addRow(caption, value)
        self._values[name] = value
        return value

    def _details_group(self) -> QGroupBox:
        box = QGroupBox("Referral")
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        for name, label in (
            ("person", "Person"),
            ("person_reference", "Person reference"),
            ("date_of_birth", "Date of birth"),
            ("pathway", "Pathway"),
            ("guardian", "Parent or guardian"),
            ("area", "Area"),
            ("scheme", "Scheme"),
            ("status", "Status"),
            ("referral_date", "Referral date"),
            ("first_attendance_due", "First attendance by"),
            ("due_date", "Deadline"),
            ("centre", "Centre"),
            ("sessions", "Sessions"),
            ("incident", "Incident"),
            ("crime_reference", "Crime reference"),
            ("officer", "Officer"),
            ("station", "Station"),
            ("offence", "Offence"),
            ("substances", "Substances"),
        ):
            self._value(form, name, label)
        return box

    def _decision_group(self) -> QGroupBox:
        box = QGroupBox("Eligibility decision")
        layout = QVBoxLayout(box)
        self.decision_label = QLabel()
        self.decision_label.setObjectName("decision")
        font = self.decision_label.font()
        font.setBold(True)
        self.decision_label.setFont(font)
        self.reasons_label = QLabel()
        self.reasons_label.setObjectName("decisionReasons")
        self.reasons_label.setWordWrap(True)
        self.reasons_label.setTextFormat(Qt.TextFormat.PlainText)
        self.reasons_label.setAccessibleName("Reasons")
        self.override_label = QLabel()
        self.override_label.setObjectName("override")
        self.override_label.setWordWrap(True)
        self.override_label.setTextFormat(Qt.TextFormat.PlainText)
        self.rule_label = QLabel()
        self.rule_label.setObjectName("ruleVersion")
        self.rule_label.setWordWrap(True)
        self.rule_label.setStyleSheet("color: #555;")
        for widget in (self.decision_label, self.reasons_label, self.override_label, self.rule_label):
            widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(widget)
        return box

    def _next_step_group(self) -> QGroupBox:
        box = QGroupBox("Next step")
        layout = QVBoxLayout(box)
        self.next_step_label = QLabel()
        self.next_step_label.setObjectName("nextStep")
        self.next_step_label.setWordWrap(True)
        self.next_step_label.setTextFormat(Qt.TextFormat.PlainText)
        self.next_step_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.next_step_label.setAccessibleName("Next step")
        self.confirm_button = QPushButton("&Confirm next step…")
        self.confirm_button.setObjectName("confirmNextStepButton")
        self.confirm_button.clicked.connect(self.confirm_next_step)
        self.withdraw_button = QPushButton("&Withdraw confirmation…")
        self.withdraw_button.setObjectName("withdrawConfirmationButton")
        self.withdraw_button.setToolTip(
            "Undo a confirmation made by mistake, with a reason, so that the attendance can be corrected."
        )
        self.withdraw_button.clicked.connect(self.withdraw_confirmation)
        layout.addWidget(self.next_step_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.withdraw_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return box

    def _table(self, model: RowsModel, name: str) -> QTableView:
        table = QTableView()
        table.setObjectName(name.replace(" ", "") + "Table")
        table.setAccessibleName(name)
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)
        table.setAlternatingRowColors(True)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    def _appointments_group(self) -> QGroupBox:
        box = QGroupBox("Appointments")
        layout = QVBoxLayout(box)
        self.appointments_model = RowsModel(APPOINTMENTS_OF_REFERRAL, self)
        self.appointments_table = self._table(self.appointments_model, "Appointments")
        self.appointments_table.horizontalHeader().setStretchLastSection(True)
        self.book_button = QPushButton("&Book appointment…")
        self.book_button.setObjectName("bookAppointmentButton")
        self.book_button.clicked.connect(self.book_appointment)
        self.booking_note = QLabel()
        self.booking_note.setObjectName("bookingNote")
        self.booking_note.setWordWrap(True)
        self.correct_button = QPushButton("Co&rrect attendance…")
        self.correct_button.setObjectName("correctAttendanceButton")
        self.correct_button.clicked.connect(self.correct_attendance)
        self.appointments_table.selectionModel().selectionChanged.connect(lambda *_a: self._update_correction_buttons())
        row = QHBoxLayout()
        row.addWidget(self.book_button)
        row.addWidget(self.correct_button)
        row.addWidget(self.booking_note, 1)
        layout.addWidget(self.appointments_table)
        layout.addLayout(row)
        return box

    def _timeline_group(self) -> QGroupBox:
        box = QGroupBox("Timeline")
        layout = QVBoxLayout(box)
        self.timeline_model = RowsModel(TIMELINE, self)
        self.timeline_table = self._table(self.timeline_model, "Timeline")
        self.timeline_table.setWordWrap(True)
        header = self.timeline_table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_a: self.timeline_table.resizeRowsToContents())
        layout.addWidget(self.timeline_table)
        return box

    # -- opening ----------------------------------------------------------------------------
    def open_reference(self) -> None:
        reference = self.reference_edit.text().strip()
        if not reference:
            self.reference_field.set_error("Enter a referral reference, for example WB-2026-0001.")
            self.reference_edit.setFocus()
            return
        self.reference_field.set_error("")
        self._load(lambda: self.referrals.find(reference), f"Opening {reference.upper()}…")

    def show_referral(self, referral_id: int) -> None:
        """Load and show the referral with this id."""
        self._load(lambda: self.referrals.detail(referral_id), "Loading…")

    def refresh(self) -> None:
        """Show the current referral again, as stored now."""
        if self.detail is not None:
            self.show_referral(self.detail.id)

    def refresh_if_showing(self, referral_id: int) -> None:
        """After a change made elsewhere (the appointments view): reload if this referral is open."""
        if self.detail is not None and self.detail.id == referral_id:
            self.show_referral(referral_id)

    def _load(self, fetch: Callable[[], ReferralDetail], message: str) -> None:
        self._latest += 1
        token = self._latest
        self.message.setText(message)
        documents = self.documents.service

        def fetch_all() -> _Loaded:
            detail = fetch()
            try:
                return _Loaded(detail, documents.due(detail.id), documents.issued_for(detail.id))
            except ServiceError as error:  # the referral still shows; the group says what is wrong
                return _Loaded(detail, None, None, str(error))

        Op(self, fetch_all).success(lambda loaded: self._loaded(loaded, token)).failure(
            lambda error: self._load_failed(error, token)
        ).run_in(self.runner)

    def _loaded(self, loaded: _Loaded, token: int) -> None:
        if token != self._latest:
            return
        detail = loaded.detail
        self.message.setText(self._notice)
        self._notice = ""
        self.reference_field.set_error("")
        self.reference_edit.setText(detail.reference)
        self.show_detail(detail)
        self.documents.show_documents(detail, loaded.due, loaded.issued, loaded.problem)
        if self.documents.pending():  # a document is due: the group (first on the left) is in view
            self.left_scroll.verticalScrollBar().setValue(0)
        self.sig_loaded.emit(detail.id)

    def _load_failed(self, error: BaseException, token: int) -> bool:
        if token != self._latest:
            return True
        if isinstance(error, NotFound):
            self.message.setText("")
            self.reference_field.set_error(str(error))
            self.reference_edit.setFocus()
            self.reference_edit.selectAll()
            return True
        self.message.setText("The referral could not be loaded.")
        return False

    # -- showing ------------------------------------------------------------------------------
    def _show_empty(self) -> None:
        self.title.setText("No referral open")
        self.message.setText(
            "Type a referral reference and press Enter, or open a referral from the "
            "search, the appointments list or a queue."
        )
        self.body.setVisible(False)
        self.documents.clear()
        self._update_buttons()

    def show_detail(self, d: ReferralDetail) -> None:
        """Fill the page from a referral's details (already loaded)."""
        self.detail = d
        self.body.setVisible(True)
        person = d.person
        self.title.setText(f"{d.reference} — {person.display_name}")
        today = self.ctx.today()
        values = self._values
        values["person"].setText(person.display_name + ("  (BARRED from further diversion)" if person.barred else ""))
        values["person_reference"].setText(person.reference)
        values["date_of_birth"].setText(day_text(person.date_of_birth))
        values["pathway"].setText(f"{pathway_text(d.pathway)} (aged {d.age_at_incident} on the incident date)")
        guardian = " — ".join(
            p
            for p in (
                person.guardian_name,
                person.guardian_relationship,
                person.guardian_phone,
                person.guardian_address,
            )
            if p
        )
        values["guardian"].setText(guardian or ("Not recorded" if d.pathway == Pathway.YOUTH else "Not needed (adult)"))
        values["area"].setText(d.area)
        values["scheme"].setText(_kind_text(d.scheme_kind))
        status = status_text(d.status)
        if d.outcome:
            status += f" — outcome: {_words(d.outcome)}" + (f" on {day_text(d.outcome_date)}" if d.outcome_date else "")
        values["status"].setText(status)
        values["referral_date"].setText(day_text(d.referral_date))
        values["first_attendance_due"].setText(
            self._deadline_text(d.first_attendance_due, d, today, d.sessions_attended > 0)
        )
        values["due_date"].setText(self._deadline_text(d.due_date, d, today, False))
        centre = f"{d.centre_name} ({d.provider})" if d.provider else d.centre_name
        values["centre"].setText(centre or "None (not diverted)")
        if d.is_open or d.status == Status.COMPLETED:
            values["sessions"].setText(
                f"{d.sessions_attended} of {d.sessions_required} attended; {d.rebookings_left} rebooking(s) left"
            )
        else:
            values["sessions"].setText(f"{d.sessions_attended} attended")
        place = f" at {d.incident_place}" if d.incident_place else ""
        values["incident"].setText(f"{moment_text(d.incident_at)}{place}")
        values["crime_reference"].setText(
            _WITHHELD if "crime_reference" in d.withheld else d.crime_reference or "Not recorded"
        )
        officer = d.officer_name + (f" ({d.officer_collar_number})" if d.officer_collar_number else "")
        values["officer"].setText(
            _WITHHELD if "officer_name" in d.withheld else officer or "Not recorded"
        )  # (never the station in its place)
        values["station"].setText(_WITHHELD if "station" in d.withheld else d.station or "Not recorded")
        values["offence"].setText(_offence_text(d.offence) + ("; suspected of supply" if d.suspected_supply else ""))
        values["substances"].setText(
            "\n".join(f"{s.label}: {_quantity_text(s.quantity)} {s.unit}" for s in d.substances) or "None recorded"
        )
        self._show_decision(d)
        self._show_next_step(d)
        self.appointments_model.set_rows(d.appointments)
        self.timeline_model.set_rows(d.timeline)
        self.timeline_table.resizeRowsToContents()
        if d.timeline:
            self.timeline_table.scrollToBottom()
        self._update_buttons()

    @staticmethod
    def _deadline_text(deadline: date | None, d: ReferralDetail, today: date, met: bool) -> str:
        if deadline is None:
            return "None (not diverted)"
        text = day_text(deadline)
        if d.is_open and not met and deadline < today:
            text += " — PASSED"
        elif d.is_open and not met:
            text += f" ({(deadline - today).days} day(s) left)"
        return text

    def _show_decision(self, d: ReferralDetail) -> None:
        eligible = d.decision == Decision.ELIGIBLE
        overridden = bool(d.override_reason)
        if eligible:
            self.decision_label.setText("Eligible for diversion")
            self.decision_label.setStyleSheet("color: #1b5e20;")
        elif overridden:
            self.decision_label.setText("Not eligible — overridden by a supervisor: diverted")
            self.decision_label.setStyleSheet("color: #8a4b00;")
        else:
            declined = d.status == Status.DECLINED
            self.decision_label.setText("Declined to take part" if declined else "Not eligible for diversion")
            self.decision_label.setStyleSheet("color: #b00020;")
        heading = "Every rule met:" if eligible else "Reasons:"
        self.reasons_label.setText(heading + "\n" + "\n".join(f"• {reason}" for reason in d.reasons))
        if overridden:
            self.override_label.setText(f"Override justification ({d.override_by or 'unknown'}): {d.override_reason}")
        self.override_label.setVisible(overridden)
        self.rule_label.setText(
            f"Decided by {d.decided_by or 'unknown'} under rule version {d.rule_version}"
            f" (scheme settings {d.settings_hash[:12]})."
        )

    def _show_next_step(self, d: ReferralDetail) -> None:
        lines: list[str] = []
        if d.status == Status.COMPLETED:
            lines.append(f"Programme completed: {next_step_text(d.next_step or NextStep.NO_FURTHER_ACTION)}.")
            lines.append(
                f"Home Office outcome {HOME_OFFICE_OUTCOME_COMPLETED} "
                "(diversionary, educational or intervention activity)."
            )
            if d.next_step_confirmed_at:
                lines.append(f"Recorded by {d.next_step_confirmed_by} on {moment_text(d.next_step_confirmed_at)}.")
        elif d.next_step:
            lines.append(f"Confirmed next step: {next_step_text(d.next_step)}.")
            lines.append(
                f"Confirmed by {d.next_step_confirmed_by or 'unknown'} on {moment_text(d.next_step_confirmed_at)}."
            )
            if d.proposed_reason:
                lines.append(f"Why: {d.proposed_reason}")
            if d.for_case_file:
                lines.append("Marked for the case file (report for the original offence).")
        elif d.proposed_step:
            lines.append(f"Proposed next step: {next_step_text(d.proposed_step)}.")
            if d.proposed_reason:
                lines.append(f"Why: {d.proposed_reason}")
            consequence = dialogs.consequence_text(
                NextStep(d.proposed_step), d.person.display_name, d.reference, d.scheme_kind, d.pathway
            )
            lines.append(f"If confirmed: {consequence}")
            lines.append("Nothing happens until a coordinator confirms it.")
        elif d.is_open:
            lines.append("None proposed: the programme is under way.")
        else:
            lines.append(
                "None: "
                + (
                    "the person declined to take part."
                    if d.status == Status.DECLINED
                    else "the referral was not diverted."
                )
            )
        if d.for_case_file and not d.next_step:
            lines.append("Marked for the case file.")
        self.next_step_label.setText("\n".join(lines))

    # -- what may be done ------------------------------------------------------------------------
    def can_book(self) -> bool:
        d = self.detail
        return (
            d is not None
            and not self.busy
            and self.may(Permission.BOOK_APPOINTMENTS)
            and d.status in BOOKABLE_STATUSES
            and d.due_date is not None
            and d.due_date >= self.ctx.today()
        )

    def can_confirm(self) -> bool:
        d = self.detail
        # No further action is proposed for confirmation only once a completion has been withdrawn.
        return (
            d is not None
            and not self.busy
            and self.may(Permission.CONFIRM_NEXT_STEP)
            and d.is_open
            and bool(d.proposed_step)
            and not d.next_step
        )

    def may(self, permission: Permission) -> bool:
        """Whether the signed-in user may: nothing is offered or suggested that they may not do."""
        principal = self.ctx.principal
        return principal is not None and principal.may(permission)

    def _update_buttons(self) -> None:
        d = self.detail
        may_book, may_confirm = self.may(Permission.BOOK_APPOINTMENTS), self.may(Permission.CONFIRM_NEXT_STEP)
        self.book_button.setEnabled(self.can_book())
        self.book_button.setVisible(may_book)
        self.confirm_button.setEnabled(self.can_confirm())
        self.confirm_button.setVisible((d is None or d.is_open) and may_confirm)
        if d is None:
            note = ""
        elif d.status in BOOKABLE_STATUSES and d.due_date is not None and d.due_date < self.ctx.today():
            note = "The deadline has passed: no appointment can be booked. " + (
                "Confirm the next step instead." if may_confirm else "A coordinator confirms the next step."
            )
        elif d.status not in BOOKABLE_STATUSES:
            note = f"No booking: the referral is {status_text(d.status).lower()}."
        elif may_book:
            note = f"Book by the deadline, {day_text(d.due_date)}."
        else:
            note = f"Deadline {day_text(d.due_date)}."
        self.booking_note.setText(note)
        self.book_button.setToolTip(note if not self.can_book() else "")
        self._update_correction_buttons()

    # -- actions ---------------------------------------------------------------------------------
    def book_appointment(self) -> None:
        d = self.detail
        if d is None or not self.can_book():
            return
        scheme = self.ctx.schemes.find(d.scheme_code)
        centres = scheme.centres() if scheme is not None else ()
        attended = sum(1 for a in d.appointments if a.attendance == Attendance.ATTENDED)
        dialog = dialogs.BookAppointmentDialog(
            d.reference,
            d.person.display_name,
            centres,
            d.centre_code,
            _SESSION_ORDER[min(attended, len(_SESSION_ORDER) - 1)],
            earliest=max(d.referral_date, self.ctx.today()),
            deadline=d.due_date,
            parent=self,
        )
        dialog.sig_submitted.connect(lambda request: self._submit_booking(dialog, d, request))
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.book_dialog = dialog
        dialog.open()

    def _submit_booking(
        self, dialog: dialogs.BookAppointmentDialog, d: ReferralDetail, request: dialogs.BookingRequest
    ) -> None:
        self.message.setText("Booking…")

        def done(row: AppointmentRow) -> None:
            self._changed(d.id, f"Booked {row.scheduled_at:%d/%m/%Y %H:%M} at {row.centre_name}.")

        def failed(error: BaseException) -> bool:
            if isinstance(error, NeedsConfirmation) and dialogs.confirm_close_booking(dialog, error.warnings):
                self._submit_booking(dialog, d, replace(request, confirmed=True))
                return True
            self.message.setText("Not booked: see the message in the dialog.")
            return False

        Op(
            self,
            lambda: self.programme.book(
                d.id,
                request.when,
                request.centre_code,
                request.session_type,
                request.worker,
                confirmed=request.confirmed,
                expected_version=d.version,
            ),
        ).busy(self._update_buttons).in_form(dialog).reload_on_stale(self.refresh).changes(
            Changed.APPOINTMENTS | Changed.REFERRALS, d.id
        ).success(done).failure(failed).run_in(self.runner)

    def _dialog_closed(self, dialog: dialogs.BookAppointmentDialog) -> None:
        if self.book_dialog is dialog:
            self.book_dialog = None
        dialog.deleteLater()

    def confirm_next_step(self) -> None:
        d = self.detail
        if d is None or not self.can_confirm():
            return
        if not dialogs.confirm_next_step(
            self, d.reference, d.person.display_name, d.proposed_step, d.proposed_reason, d.scheme_kind, d.pathway
        ):
            self.message.setText("Not confirmed: nothing has changed.")
            return
        self.message.setText("Confirming…")

        def done(step: str) -> None:
            self._changed(d.id, f"Confirmed: {next_step_text(step)}.")

        def failed(_error: BaseException) -> None:
            self.message.setText("Not confirmed.")
            self.refresh()

        Op(self, lambda: self.programme.confirm_next_step(d.id, expected_version=d.version)).busy(
            self._update_buttons
        ).reload_on_stale(self.refresh).changes(Changed.REFERRALS | Changed.APPOINTMENTS, d.id).success(done).failure(
            failed
        ).run_in(self.runner)

    # -- corrections (issue 13 §4) ------------------------------------------------------------------
    def _may(self, permission: Permission) -> bool:
        principal = self.ctx.principal
        return principal is not None and principal.may(permission)

    def correction_refusal(self, appointment: AppointmentRow) -> str | None:
        """Why the signed-in user may not correct this appointment's attendance now (None: they may)."""
        d = self.detail
        if d is None:
            return "You may not correct attendance."
        refusal = attendance_correction.refusal(self.ctx.principal, appointment, self.ctx.today(), bool(d.next_step))
        if refusal is None and not d.is_open:
            refusal = f"The referral is {status_text(d.status).lower()}: nothing can be corrected."
        return refusal

    def selected_appointment(self) -> AppointmentRow | None:
        rows = self.appointments_table.selectionModel().selectedRows()
        return self.appointments_model.row_at(rows[0].row()) if rows else None

    def can_withdraw(self) -> bool:
        d = self.detail
        return d is not None and not self.busy and bool(d.next_step) and self._may(Permission.WITHDRAW_NEXT_STEP)

    def _update_correction_buttons(self) -> None:
        """Shown only to those who may: the correction when an appointment here is theirs to correct,
        the withdrawal to a coordinator when a next step is confirmed."""
        d = self.detail
        appointments = d.appointments if d is not None else ()
        correctable = [a for a in appointments if self.correction_refusal(a) is None]
        self.correct_button.setVisible(bool(correctable))
        selected = self.selected_appointment()
        refusal = self.correction_refusal(selected) if selected is not None else "Choose an appointment above."
        self.correct_button.setEnabled(not self.busy and refusal is None)
        self.correct_button.setToolTip(
            refusal or "Correct the attendance recorded for the chosen appointment, with a reason."
        )
        self.withdraw_button.setVisible(self.can_withdraw())
        self.withdraw_button.setEnabled(self.can_withdraw())

    def correct_attendance(self) -> None:
        appointment = self.selected_appointment()
        d = self.detail
        if d is None or appointment is None or self.busy or self.correction_refusal(appointment) is not None:
            return

        def done(row: AppointmentRow, request: CorrectionRequest) -> None:
            self._changed(
                d.id,
                f"Attendance on {row.scheduled_at:%d/%m/%Y %H:%M} corrected to {request.attendance.label.lower()}.",
            )

        dialog = attendance_correction.correct_attendance_dialog(
            self,
            self.ctx,
            self.runner,
            appointment,
            update=self._update_buttons,
            reload=self.refresh,
            done=done,
            say=self.message.setText,
        )
        self._open_correction(dialog)

    def withdraw_confirmation(self) -> None:
        d = self.detail
        if d is None or not self.can_withdraw():
            return
        dialog = WithdrawConfirmationDialog(d.reference, d.person.display_name, d.next_step, parent=self)
        dialog.sig_submitted.connect(lambda reason: self._submit_withdrawal(dialog, d, reason))
        self._open_correction(dialog)

    def _submit_withdrawal(self, dialog: WithdrawConfirmationDialog, d: ReferralDetail, reason: str) -> None:
        self.message.setText("Withdrawing…")

        def done(references: list[str]) -> None:
            marked = f" Marked withdrawn: {', '.join(references)}." if references else ""
            self._changed(d.id, f"Confirmation withdrawn ({next_step_text(d.next_step)}).{marked}")

        Op(self, lambda: self.corrections.withdraw_next_step(d.id, reason, d.version)).busy(
            self._update_buttons
        ).in_form(dialog).reload_on_stale(self.refresh).changes(
            Changed.REFERRALS | Changed.APPOINTMENTS | Changed.DOCUMENTS, d.id
        ).success(done).failure(
            lambda _error: self.message.setText("Not withdrawn: see the message in the dialog.")
        ).run_in(self.runner)

    def _open_correction(self, dialog: CorrectAttendanceDialog | WithdrawConfirmationDialog) -> None:
        def closed(_result: int) -> None:
            if self.correction_dialog is dialog:
                self.correction_dialog = None
            dialog.deleteLater()

        dialog.finished.connect(closed)
        self.correction_dialog = dialog
        dialog.open()

    def _changed(self, referral_id: int, message: str) -> None:
        self._notice = message
        self.show_referral(referral_id)
        self.sig_changed.emit(referral_id)
