"""The intake form: person, incident, substances, and the live eligibility decision.

The decision panel updates on every keystroke from the domain rules (no
database); saving runs on the worker and refuses with messages at the fields.

Nothing that builds the new, empty form names PySide's ``Qt`` namespace: PySide makes Python
enums of all of it on first use, a tenth of the start-up to the first paint. Its settings are
given by property name instead (``setProperty("focusPolicy", "NoFocus")``, Qt's own property
system), and the methods that need ``Qt`` later import it then.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import Decision, EligibilityResult, Offence, PriorHistory, SubstanceFind
from diversion_desktop.domain.fields import PERSON_FIELDS, Kind
from diversion_desktop.domain.intake import IntakeDraft
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.schemes import KNOWN_UNITS, Scheme
from diversion_desktop.domain.units import QuantityError, parse_quantity
from diversion_desktop.services.errors import ValidationError
from diversion_desktop.ui.changes import Changed
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.settings import Settings
from diversion_desktop.ui.tasks import TaskRunner
from diversion_desktop.ui.widgets import DateEdit, DateTimeEdit, Field, add_field, set_required

if TYPE_CHECKING:  # the services load SQLAlchemy: on first use, not before the form is first shown
    from PySide6.QtGui import QKeyEvent

    from diversion_desktop.services.context import AppContext
    from diversion_desktop.services.dto import PersonRecord, PossibleMatch, SavedReferral
    from diversion_desktop.services.intake import IntakeService
    from diversion_desktop.services.people import PeopleService

# A match this close must be chosen or dismissed before a new person is created.
STRONG_MATCH = 80
QUANTITY_NOT_A_NUMBER = "The quantity must be a number more than zero (for example 2.5)."
NOT_SAVED = "Not saved: correct the fields marked in red."


def _text_colour(label: QLabel, colour: str) -> None:
    """By palette rather than a style sheet: the application's first style sheet makes Qt set up
    its style-sheet style, milliseconds before the new form's first paint."""
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(colour))
    label.setPalette(palette)


class SubstanceRow(QWidget):
    sig_changed = Signal()
    sig_remove = Signal(object)
    sig_done = Signal(object)  # Enter in the row's last field: move on to the next row or field

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.substance = QComboBox()
        self.substance.setAccessibleName(f"Substance {number}")
        self.quantity = QLineEdit()
        self.quantity.setPlaceholderText("quantity")
        self.quantity.setAccessibleName(f"Quantity {number}")
        self.unit = QComboBox()
        self.unit.addItems(KNOWN_UNITS)
        self.unit.setAccessibleName(f"Unit {number}")
        self.remove = QPushButton("Remove")
        self.remove.setAccessibleName(f"Remove substance {number}")
        self.field = Field(f"Substance {number}", self.substance)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field, 3)
        layout.addWidget(self.quantity, 1)
        layout.addWidget(self.unit, 1)
        layout.addWidget(self.remove)
        self.substance.currentIndexChanged.connect(self._substance_chosen)
        self.quantity.textChanged.connect(self.sig_changed)
        self.unit.currentIndexChanged.connect(self.sig_changed)
        self.remove.clicked.connect(lambda: self.sig_remove.emit(self))
        self._scheme: Scheme | None = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter moves on, as on a paper form: substance → quantity → the next row (or field).
        (The line edit and combo boxes pass Enter on to the row.)"""
        from PySide6.QtCore import Qt  # (see the module's docstring)

        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            super().keyPressEvent(event)
            return
        event.accept()
        if self.substance.hasFocus():
            self.quantity.setFocus()
        else:
            self.sig_done.emit(self)

    def set_scheme(self, scheme: Scheme | None) -> None:
        current = self.substance.currentData()
        self._scheme = scheme
        self.substance.blockSignals(True)
        self.substance.clear()
        self.substance.addItem("", "")
        if scheme is not None:
            for code, limit in scheme.limits.items():
                self.substance.addItem(limit.label, code)
        index = self.substance.findData(current)
        self.substance.setCurrentIndex(max(index, 0))
        self.substance.blockSignals(False)

    def _substance_chosen(self) -> None:
        code = self.substance.currentData()
        if self._scheme is not None and code in self._scheme.limits:
            self.unit.setCurrentText(self._scheme.limits[code].unit)
        self.sig_changed.emit()

    def find(self) -> SubstanceFind | None | str:
        """The find, None when the row is empty, or a message when the quantity is unreadable."""
        code = self.substance.currentData() or ""
        text = self.quantity.text().strip()
        if not code and not text:
            return None
        if not code:
            return "Choose the substance."
        if not text:
            return QUANTITY_NOT_A_NUMBER
        try:
            quantity = parse_quantity(text)  # the import reads quantities by the same rule
        except QuantityError as error:
            return QUANTITY_NOT_A_NUMBER if error.not_a_number else f"The quantity {error}."
        return SubstanceFind(code, quantity, self.unit.currentText())


class IntakeForm(QWidget):
    sig_saved = Signal(object)  # SavedReferral
    sig_decision_changed = Signal(object)  # EligibilityResult | None
    # The person's inputs are built from the field list (domain/fields.py), one attribute per
    # field; these are named here because the form itself uses them (the match search, under-18s).
    surname: QLineEdit
    forenames: QLineEdit
    date_of_birth: DateEdit
    guardian_name: QLineEdit

    def __init__(self, ctx: AppContext, runner: TaskRunner, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.settings = settings
        self._service: IntakeService | None = None
        self._people: PeopleService | None = None
        self.person: PersonRecord | None = None
        self.prior = PriorHistory()
        self.result: EligibilityResult | None = None
        self.matches: list[PossibleMatch] = []
        self.new_person_confirmed = False
        self.touched: set[str] = set()
        self.fields: dict[str, Field] = {}
        self.substance_rows: list[SubstanceRow] = []
        self._search_round = 0  # a match search's answer counts only for the form it was asked for
        self._refused = False  # the status line says "Not saved: correct the fields"
        self._saved_state: tuple = ()  # the form as cleared or loaded (has_unsaved_work)
        self._match_timer = QTimer(self, singleShot=True, interval=350)
        self._match_timer.timeout.connect(self._look_for_matches)
        self._build()
        self.clear()
        # A field that takes the focus (Ctrl+N, Enter, a refused save) is scrolled into view.
        QApplication.instance().focusChanged.connect(self._show_focused)

    @property
    def service(self) -> IntakeService:
        if self._service is None:
            from diversion_desktop.services.intake import IntakeService

            self._service = IntakeService(self.ctx)
        return self._service

    @property
    def people(self) -> PeopleService:
        if self._people is None:
            from diversion_desktop.services.people import PeopleService

            self._people = PeopleService(self.ctx)
        return self._people

    # -- layout ------------------------------------------------------------------
    def _build(self) -> None:
        splitter = QSplitter()  # (horizontal; given no parent: QSplitter(parent) makes PySide load Qt)
        scroll = self.scroll_area = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        column = QVBoxLayout(body)
        column.addWidget(QLabel("Fields with bold labels are required."))
        column.addWidget(self._person_group())
        column.addWidget(self._matches_group())
        column.addWidget(self._guardian_group())
        column.addWidget(self._incident_group())
        column.addWidget(self._substances_group())
        column.addStretch(1)
        scroll.setWidget(body)
        splitter.addWidget(scroll)
        splitter.addWidget(self._decision_panel())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _line(
        self, name: str, form: QFormLayout, label: str, required: bool = False, widget: QWidget | None = None
    ) -> QWidget:
        widget = widget or QLineEdit()
        widget.setObjectName(name)
        field = add_field(form, label, widget, required)
        self.fields[name] = field
        if isinstance(widget, QLineEdit):
            widget.textEdited.connect(lambda _t, n=name: self._edited(n))
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(lambda _i, n=name: self._edited(n))
        return widget

    def _combo(self, values: tuple[str, ...], blank: str) -> QComboBox:
        combo = QComboBox()
        combo.addItem(blank, "")
        for value in values:
            combo.addItem(value, value)
        return combo

    def _person_group(self) -> QGroupBox:
        box = QGroupBox("Person")
        outer = QVBoxLayout(box)
        self.person_banner = QLabel()
        self.person_banner.setObjectName("personBanner")
        self.person_banner.setWordWrap(True)
        self.new_person_button = QPushButton("Enter a different person")
        self.new_person_button.clicked.connect(self.forget_person)
        banner = QHBoxLayout()
        banner.addWidget(self.person_banner, 1)
        banner.addWidget(self.new_person_button)
        outer.addLayout(banner)
        form = QFormLayout()
        outer.addLayout(form)
        self._person_inputs("person", form)
        for name in ("surname", "forenames", "date_of_birth"):
            widget = getattr(self, name)
            widget.textEdited.connect(lambda _t: self._schedule_match_search())
        return box

    def _person_inputs(self, group: str, form: QFormLayout) -> None:
        """The inputs of one group of the person's fields, in the field list's order, each kept as
        an attribute of its field's name (``self.postcode``)."""
        for f in PERSON_FIELDS:
            if f.group != group:
                continue
            widget: QWidget
            if f.kind is Kind.DATE:
                widget = DateEdit(today=self.ctx.today)
            elif f.kind is Kind.CHOICE:
                widget = self._combo(f.choices, "(not recorded)")
            else:
                widget = QLineEdit()
                if f.hint:
                    widget.setPlaceholderText(f.hint)
            setattr(self, f.name, self._line(f.name, form, f.label, f.required, widget))

    def _person_values(self) -> dict[str, Any]:
        """The person's fields as typed, by name (for the draft)."""
        values: dict[str, Any] = {}
        for f in PERSON_FIELDS:
            widget = getattr(self, f.name)
            if f.kind is Kind.DATE:
                values[f.name] = widget.value()
            elif f.kind is Kind.CHOICE:
                values[f.name] = widget.currentData() or ""
            else:
                values[f.name] = widget.text().upper() if f.kind is Kind.POSTCODE else widget.text()
        return values

    def _choices(self) -> list[QComboBox]:
        return [getattr(self, f.name) for f in PERSON_FIELDS if f.kind is Kind.CHOICE]

    def _matches_group(self) -> QGroupBox:
        self.matches_box = QGroupBox("Possible matches: is this someone already known?")
        layout = QVBoxLayout(self.matches_box)
        self.matches_list = QListWidget()
        self.matches_list.setObjectName("matchesList")
        self.matches_list.setAccessibleName("Possible matches")
        self.matches_list.itemActivated.connect(lambda _item: self._use_match())
        self.matches_message = QLabel()
        self.matches_message.setWordWrap(True)
        buttons = QHBoxLayout()
        self.use_match_button = QPushButton("&Use selected person")
        self.use_match_button.clicked.connect(self._use_match)
        self.not_a_match_button = QPushButton("None of these: new person")
        self.not_a_match_button.clicked.connect(self._confirm_new_person)
        buttons.addWidget(self.use_match_button)
        buttons.addWidget(self.not_a_match_button)
        buttons.addStretch(1)
        layout.addWidget(self.matches_message)
        layout.addWidget(self.matches_list)
        layout.addLayout(buttons)
        self.matches_box.setVisible(False)
        return self.matches_box

    def _guardian_group(self) -> QGroupBox:
        self.guardian_box = QGroupBox("Parent or guardian")
        form = QFormLayout(self.guardian_box)
        self._person_inputs("guardian", form)
        self.guardian_caption = form.labelForField(self.fields["guardian_name"])
        return self.guardian_box

    def _incident_group(self) -> QGroupBox:
        box = QGroupBox("Incident")
        form = QFormLayout(box)
        area = QComboBox()
        area.addItem("", "")
        for scheme in self.ctx.schemes:
            area.addItem(f"{scheme.area} ({scheme.kind.label.lower()})", scheme.code)
        self.area = self._line("scheme_code", form, "Area", True, area)
        area.currentIndexChanged.connect(self._area_changed)
        self.incident_at = self._line(
            "incident_at", form, "Incident date and time", True, DateTimeEdit(today=self.ctx.today)
        )
        self.incident_place = self._line("incident_place", form, "Place")
        self.crime_reference = self._line("crime_reference", form, "Crime reference")
        self.officer_name = self._line("officer_name", form, "Officer name")
        self.officer_collar_number = self._line("officer_collar_number", form, "Collar number")
        self.station = self._line("station", form, "Station")
        offence = QComboBox()
        for item in Offence:
            offence.addItem(item.label, item.value)
        self.offence = self._line("offence", form, "Offence", True, offence)
        return box

    def _substances_group(self) -> QGroupBox:
        box = QGroupBox("Drugs found")
        layout = QVBoxLayout(box)
        self.substances_layout = QVBoxLayout()
        layout.addLayout(self.substances_layout)
        self.substances_error = Field("Substances", QLabel(""))
        self.fields["substances"] = self.substances_error
        layout.addWidget(self.substances_error)
        self.add_substance_button = QPushButton("&Add another substance")
        self.add_substance_button.clicked.connect(lambda: self.add_substance_row(focus=True))
        add_row = QHBoxLayout()  # the button at its own width, on the left
        add_row.addWidget(self.add_substance_button)
        add_row.addStretch(1)
        layout.addLayout(add_row)
        self.suspected_supply = QCheckBox("Suspected of supplying drugs")
        self.suspected_supply.setAccessibleName("Suspected of supplying drugs")
        self.consent = QCheckBox("The person agrees to take part in the diversion")
        self.consent.setAccessibleName("The person agrees to take part in the diversion")
        for box_widget in (self.suspected_supply, self.consent):
            box_widget.toggled.connect(lambda _c: self._refresh())
            layout.addWidget(box_widget)
        return box

    def _decision_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        title = QLabel("Eligibility decision")
        font = title.font()
        font.setPointSize(font.pointSize() + 2)
        font.setBold(True)
        title.setFont(font)
        self.decision_label = QLabel()
        self.decision_label.setObjectName("decisionLabel")
        self.decision_label.setAccessibleName("Eligibility decision")
        self.decision_label.setWordWrap(True)
        big = QFont(self.decision_label.font())
        big.setPointSize(big.pointSize() + 4)
        big.setBold(True)
        self.decision_label.setFont(big)
        self.pathway_label = QLabel()
        self.pathway_label.setObjectName("pathwayLabel")
        self.pathway_label.setWordWrap(True)
        self.reasons_list = QListWidget()
        self.reasons_list.setObjectName("reasonsList")
        self.reasons_list.setAccessibleName("Reasons")
        self.reasons_list.setWordWrap(True)
        self.reasons_list.setProperty("focusPolicy", "NoFocus")
        self.override_box = QGroupBox("Supervisor override")
        override_layout = QVBoxLayout(self.override_box)
        override_note = QLabel(
            "Only a supervisor may override an ineligible decision, with a written justification. It is recorded."
        )
        override_note.setWordWrap(True)  # (unwrapped, it would widen the panel as it appears)
        override_layout.addWidget(override_note)
        self.override_reason = QPlainTextEdit()
        self.override_reason.setObjectName("override_reason")
        self.override_reason.setTabChangesFocus(True)
        self.override_reason.setMaximumHeight(80)
        self.override_field = Field("Override justification", self.override_reason)
        self.fields["override_reason"] = self.override_field
        override_layout.addWidget(self.override_field)
        self.override_reason.textChanged.connect(self._refresh)
        # Its place is kept while it is hidden, so the fields do not move when it appears.
        policy = self.override_box.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.override_box.setSizePolicy(policy)
        self.status_label = QLabel()
        self.status_label.setObjectName("intakeStatus")
        self.status_label.setWordWrap(True)
        self.save_button = QPushButton("&Save referral")
        self.save_button.setObjectName("saveReferral")
        self.save_button.setToolTip("Save referral (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.clear_button = QPushButton("Clear form")
        self.clear_button.clicked.connect(self.clear)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.clear_button)
        layout.addWidget(title)
        layout.addWidget(self.decision_label)
        layout.addWidget(self.pathway_label)
        layout.addWidget(QLabel("Reasons:"))
        layout.addWidget(self.reasons_list, 1)
        layout.addWidget(self.override_box)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        return panel

    # -- substances ----------------------------------------------------------------
    def add_substance_row(self, focus: bool = False) -> SubstanceRow:
        row = SubstanceRow(len(self.substance_rows) + 1)
        row.set_scheme(self._scheme())
        row.sig_changed.connect(lambda: self._edited("substances"))
        row.sig_remove.connect(self._remove_substance_row)
        row.sig_done.connect(self._substance_row_done)
        self.substance_rows.append(row)
        self.substances_layout.addWidget(row)
        self._order_tabs()
        if focus:
            row.substance.setFocus()
        self._refresh()
        return row

    def _remove_substance_row(self, row: SubstanceRow) -> None:
        if len(self.substance_rows) == 1:
            row.substance.setCurrentIndex(0)
            row.quantity.clear()
            return
        self.substance_rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self._order_tabs()
        self._edited("substances")

    def _order_tabs(self) -> None:
        """Tab follows the form down: the offence, each substance row in turn, then the rest (rows
        made after the form would otherwise come last, after Save)."""
        chain: list[QWidget] = [self.offence]
        for row in self.substance_rows:
            chain += [row.substance, row.quantity, row.unit, row.remove]
        chain += [
            self.add_substance_button,
            self.suspected_supply,
            self.consent,
            self.override_reason,
            self.save_button,
            self.clear_button,
        ]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)

    def _substance_row_done(self, row: SubstanceRow) -> None:
        index = self.substance_rows.index(row) if row in self.substance_rows else -1
        if 0 <= index < len(self.substance_rows) - 1:
            self.substance_rows[index + 1].substance.setFocus()
        else:
            self.suspected_supply.setFocus()

    # -- state ---------------------------------------------------------------------
    def _scheme(self) -> Scheme | None:
        code = self.area.currentData() if hasattr(self, "area") else ""
        return self.ctx.schemes.find(code) if code else None

    def _area_changed(self) -> None:
        for row in self.substance_rows:
            row.set_scheme(self._scheme())
        self._refresh()

    def _edited(self, name: str) -> None:
        self.touched.add(name)
        self._refresh()

    def draft(self) -> IntakeDraft:
        finds = [f for f in (row.find() for row in self.substance_rows) if isinstance(f, SubstanceFind)]
        return IntakeDraft(
            scheme_code=self.area.currentData() or "",
            person_id=self.person.id if self.person else None,
            person_version=self.person.version if self.person else None,
            **self._person_values(),
            incident_at=self.incident_at.value(),
            incident_place=self.incident_place.text(),
            crime_reference=self.crime_reference.text(),
            officer_name=self.officer_name.text(),
            officer_collar_number=self.officer_collar_number.text(),
            station=self.station.text(),
            offence=Offence(self.offence.currentData()),
            substances=finds,
            suspected_supply=self.suspected_supply.isChecked(),
            consent=self.consent.isChecked(),
            override_reason=self.override_reason.toPlainText(),
        )

    def errors(self) -> dict[str, str]:
        """Every problem with the form as it stands, by field name."""
        return self._check(self.draft())[0]

    def _check(self, draft: IntakeDraft) -> tuple[dict[str, str], EligibilityResult | None]:
        """The problems by field name, and the live decision when every fact it needs is usable."""
        errors, result = self.service.check(draft, self.prior)
        for name, widget in (("date_of_birth", self.date_of_birth), ("incident_at", self.incident_at)):
            if widget.problem():
                errors[name] = widget.problem()
        row_problems = [p for p in (row.find() for row in self.substance_rows) if isinstance(p, str)]
        if row_problems:
            errors["substances"] = row_problems[0]
            result = None  # a row left out of the draft: deciding without it would mislead
        for key in [k for k in errors if k.startswith("substances[")]:
            errors.setdefault("substances", errors.pop(key))
        return errors, result

    def _refresh(self) -> None:
        draft = self.draft()
        if self.touched or draft.date_of_birth is not None:
            errors, self.result = self._check(draft)
        else:  # a new form: no field has been left to mark, and there is no decision without a date of birth
            errors, self.result = {}, None
        for name, field in self.fields.items():
            field.set_error(errors.get(name, "") if name in self.touched else "")
        if self._refused and not errors:  # the refusal is answered: its line would now mislead
            self._refused = False
            self.status_label.setText("")
        youth = draft.pathway() is Pathway.YOUTH
        set_required(self.guardian_caption, self.guardian_name, youth)
        self.guardian_box.setTitle("Parent or guardian (required: under 18)" if youth else "Parent or guardian")
        waiting = "Enter the area, the date of birth and the incident date."
        if self.result is None and "substances" in errors and draft.date_of_birth and draft.incident_at:
            waiting = f"Drugs found: {errors['substances']} The decision cannot be made until this is corrected."
        self._show_decision(self.result, waiting)
        self.sig_decision_changed.emit(self.result)

    def _show_decision(self, result: EligibilityResult | None, waiting: str = "") -> None:
        self.reasons_list.clear()
        if result is None:
            self.decision_label.setText("Not yet decided")
            _text_colour(self.decision_label, "#555")
            self.pathway_label.setText(waiting)
            self.override_box.setVisible(False)
            return
        if result.eligible:
            self.decision_label.setText("Eligible for diversion")
            _text_colour(self.decision_label, "#1b5e20")
        else:
            self.decision_label.setText("Not eligible for diversion")
            _text_colour(self.decision_label, "#b00020")
        youth = result.pathway is Pathway.YOUTH
        # What is required and what will happen, not what has not happened yet.
        self.pathway_label.setText(
            f"Aged {result.age} on the incident date: "
            + (
                "youth pathway: a parent or guardian is required; the Youth Offending Team will be "
                "notified when the referral is saved."
                if youth
                else "adult pathway."
            )
        )
        from PySide6.QtCore import Qt  # (see the module's docstring)

        for check in result.checks:
            item = QListWidgetItem(("✔ " if check.passed else "✘ ") + check.reason)
            item.setForeground(Qt.GlobalColor.darkGreen if check.passed else Qt.GlobalColor.darkRed)
            self.reasons_list.addItem(item)
        self.override_box.setVisible(not result.eligible and self._may_override())

    def _may_override(self) -> bool:
        """Only those allowed to override see the override at all (station staff do not)."""
        principal = self.ctx.principal
        return principal is not None and principal.may(Permission.OVERRIDE_ELIGIBILITY)

    # -- people ----------------------------------------------------------------------
    def load_person(self, person: PersonRecord) -> None:
        """Pre-fill from a found person; their history feeds the live decision."""
        self.person = person
        self.prior = PriorHistory(
            barred=person.barred, completed_diversions=person.completed_diversions, open_diversion=person.open_diversion
        )
        for f in PERSON_FIELDS:
            widget, value = getattr(self, f.name), getattr(person, f.name)
            if f.kind is Kind.DATE:
                widget.set_value(value)
            elif f.kind is Kind.CHOICE:
                if value and widget.findData(value) < 0:  # a code no longer offered stays as recorded
                    widget.addItem(value, value)
                widget.setCurrentIndex(max(widget.findData(value), 0))
            else:
                widget.setText(value)
        self.matches_box.setVisible(False)
        self._show_person_banner()
        self._refresh()
        self._saved_state = self._state()

    def forget_person(self) -> None:
        self.person = None
        self.prior = PriorHistory()
        self.new_person_confirmed = False
        self._show_person_banner()
        self._schedule_match_search()
        self._refresh()

    def _show_person_banner(self) -> None:
        person = self.person
        if person is None:
            self.person_banner.setText("New person (not yet known to the scheme).")
            self.new_person_button.setVisible(False)
            return
        history = f"{len(person.referrals)} earlier referral(s)"
        barred = " — BARRED from further diversion" if person.barred else ""
        self.person_banner.setText(
            f"Known person {person.reference}: {person.display_name}, "
            f"born {person.date_of_birth:%d/%m/%Y}; {history}{barred}."
        )
        self.new_person_button.setVisible(True)

    def _schedule_match_search(self) -> None:
        if self.person is None:
            self.new_person_confirmed = False
            self._match_timer.start()

    def _look_for_matches(self) -> None:
        surname, forenames, dob = self.surname.text(), self.forenames.text(), self.date_of_birth.value()
        if self.person is not None or not surname.strip() or dob is None:
            self._show_matches([])
            return
        asked_in = self._search_round
        self.runner.run(
            lambda: self.people.possible_matches(surname, forenames, dob),
            lambda matches: self._show_matches(matches, asked_in),
            owner=self,
        )

    def _show_matches(self, matches: list[PossibleMatch], asked_in: int | None = None) -> None:
        if asked_in is not None and asked_in != self._search_round:
            return  # asked for a form since cleared: another person's matches
        if self.person is not None:
            matches = []
        self.matches = matches
        self.matches_list.clear()
        from PySide6.QtCore import Qt  # (see the module's docstring)

        for match in matches:
            p = match.person
            outcomes = ", ".join(f"{r.reference} {r.outcome or r.status}".replace("_", " ") for r in p.referrals)
            barred = "; BARRED" if p.barred else ""
            item = QListWidgetItem(
                f"{p.reference}  {p.display_name}  born {p.date_of_birth:%d/%m/%Y}"
                f"  {p.postcode}  [{outcomes or 'no referrals'}{barred}]"
            )
            item.setData(Qt.ItemDataRole.UserRole, match)
            self.matches_list.addItem(item)
        if matches:
            self.matches_list.setCurrentRow(0)
            self.matches_message.setText(
                "Someone with the same date of birth and a similar name is already "
                "recorded. Use that person if it is them, so their history counts."
            )
        self.matches_box.setVisible(bool(matches))

    def _use_match(self) -> None:
        item = self.matches_list.currentItem()
        if item is not None:
            from PySide6.QtCore import Qt  # (see the module's docstring)

            self.load_person(item.data(Qt.ItemDataRole.UserRole).person)

    def _confirm_new_person(self) -> None:
        self.new_person_confirmed = True
        self.matches_box.setVisible(False)
        self.status_label.setText("")

    def needs_match_choice(self) -> bool:
        return (
            self.person is None and not self.new_person_confirmed and any(m.score >= STRONG_MATCH for m in self.matches)
        )

    # -- actions ---------------------------------------------------------------------
    def clear(self) -> None:
        """An empty form for the next referral: only the area and the station (settings of this
        workstation) are kept; nothing of the last person, officer or search."""
        self._match_timer.stop()
        self._search_round += 1
        # The form's own line edits (findChildren would make PySide build the Python type of every
        # child Qt made inside its widgets, milliseconds before the form is first shown).
        for widget in (field.widget for field in self.fields.values()):
            if isinstance(widget, QLineEdit):
                widget.clear()
        for combo in (*self._choices(), self.offence):
            combo.setCurrentIndex(0)
        index = self.area.findData(self.settings.last_area)
        # The workstation's remembered area is no one's edit: as one, it had the form checked at
        # once, which a user who may not take referrals is refused (their window never opened).
        with QSignalBlocker(self.area):
            self.area.setCurrentIndex(max(index, 0))
        self.station.setText(self.settings.station)
        self.suspected_supply.setChecked(False)
        self.consent.setChecked(False)
        self.override_reason.clear()
        for row in self.substance_rows:
            row.setParent(None)
            row.deleteLater()
        self.substance_rows = []
        self.add_substance_row()
        self.person = None
        self.prior = PriorHistory()
        self.matches = []
        self.matches_list.clear()
        self.new_person_confirmed = False
        self.matches_box.setVisible(False)
        self.touched.clear()
        self._refused = False
        self.status_label.setText("")
        self._show_person_banner()
        self._refresh()
        self.scroll_area.verticalScrollBar().setValue(0)
        self._saved_state = self._state()

    def has_unsaved_work(self) -> bool:
        """Whether anything has been typed or chosen since the form was cleared, saved or filled
        from a found person (for the question on closing the window)."""
        return self._state() != self._saved_state

    def _state(self) -> tuple:
        """Everything a person can change on the form, as it stands."""
        texts = tuple(field.widget.text() for field in self.fields.values() if isinstance(field.widget, QLineEdit))
        combos = tuple(combo.currentIndex() for combo in (*self._choices(), self.area, self.offence))
        rows = tuple(
            (row.substance.currentIndex(), row.quantity.text(), row.unit.currentIndex()) for row in self.substance_rows
        )
        return (
            texts,
            combos,
            rows,
            self.suspected_supply.isChecked(),
            self.consent.isChecked(),
            self.override_reason.toPlainText(),
            self.person.id if self.person else None,
        )

    def _show_focused(self, _old: QWidget | None, new: QWidget | None) -> None:
        body = self.scroll_area.widget()
        if new is not None and body is not None and body.isAncestorOf(new):
            self.scroll_area.ensureWidgetVisible(new)

    @property
    def saving(self) -> bool:
        return is_busy(self)

    def save(self) -> None:
        if self.saving:
            return
        self.touched.update(self.fields)
        self._refresh()
        errors = self.errors()
        if errors:
            self._refuse(errors)
            return
        if self.needs_match_choice():
            self.matches_box.setVisible(True)
            self.status_label.setText("Not saved yet: choose the matching person, or confirm this is a new person.")
            self.matches_list.setFocus()
            return
        draft = self.draft()
        self.status_label.setText("Saving…")
        Op(self, lambda: self.service.save(draft)).busy().disabling(self.save_button).changes(
            Changed.PEOPLE | Changed.REFERRALS
        ).success(self._saved).failure(self._save_failed).reload_on_stale(self.reload_person).run_in(self.runner)

    def _saved(self, saved: SavedReferral) -> None:
        self.settings.last_area = self.area.currentData() or ""
        if self.station.text().strip():
            self.settings.station = self.station.text().strip()
        self.clear()
        verdict = "eligible" if saved.decision == Decision.ELIGIBLE else "not eligible"
        if saved.overridden:
            verdict += " (overridden by supervisor)"
        self.status_label.setText(f"Saved {saved.reference} ({verdict}) at {datetime.now():%H:%M}.")
        self.sig_saved.emit(saved)

    def _save_failed(self, error: BaseException) -> bool:
        if isinstance(error, ValidationError):
            for name, message in error.errors.items():
                key = "substances" if name.startswith("substances") else name
                if key in self.fields:
                    self.fields[key].set_error(message)
            self._refuse(error.errors)
            return True
        self.status_label.setText("Not saved. Your entries are still here; try again.")
        return False  # (a record changed meanwhile offers a reload; anything else is said in a dialog)

    def reload_person(self) -> None:
        """The chosen person as stored now (someone else changed them): their details replace the
        ones on the form; what was typed about the referral stays."""
        if self.person is None:
            return
        person_id = self.person.id
        people = self.people
        Op(self, lambda: people.get(person_id)).success(self.load_person).run_in(self.runner)

    def _refuse(self, errors: dict[str, str]) -> None:
        self._refused = True
        self.status_label.setText(NOT_SAVED)
        self._focus_first_error(errors)

    def _focus_first_error(self, errors: dict[str, str]) -> None:
        for name, field in self.fields.items():
            if name in errors and field.widget.isVisible():
                field.widget.setFocus()
                return
        if "substances" in errors and self.substance_rows:
            self.substance_rows[0].substance.setFocus()
