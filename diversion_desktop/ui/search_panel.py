"""Find a person: type a name, date of birth or reference; see their diversion history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.domain.permissions import Permission, Principal
from diversion_desktop.ui.operations import Op
from diversion_desktop.ui.table_models import Column, RowsModel, day_text, next_step_text, status_text
from diversion_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:  # the service loads SQLAlchemy: on the first search, not before the panel is first shown
    from diversion_desktop.services.context import AppContext
    from diversion_desktop.services.dto import PersonRecord
    from diversion_desktop.services.people import PeopleService

# Each change of the text searches at once, with no timer: a timer, even of 0 ms, let the
# paint of the previous results go first (10-20 ms). While a search runs, further typing waits
# for it and then searches once for the newest text, so fast typing or a paste makes one search.
# "Searching…" is shown only for a search still running after this long: most take a few
# milliseconds, and the line would flicker (and be laid out and painted) at every key.
SLOW_SEARCH_MS = 300


def _words(value: str) -> str:
    return value.replace("_", " ")


PEOPLE: tuple[Column, ...] = (
    Column("Reference", lambda p: p.reference),
    Column("Name", lambda p: p.display_name),
    Column("Date of birth", lambda p: day_text(p.date_of_birth)),
    Column("Postcode", lambda p: p.postcode),
    Column("Also known as", lambda p: "; ".join(p.aliases)),
    Column("Referrals", lambda p: str(len(p.referrals))),
    Column("Diversion", lambda p: "BARRED" if p.barred else "may be offered"),
)

HISTORY: tuple[Column, ...] = (
    Column("Reference", lambda r: r.reference),
    Column("Date", lambda r: day_text(r.referral_date)),
    Column("Area", lambda r: r.area),
    Column("Scheme", lambda r: _words(r.scheme_kind)),
    Column("Decision", lambda r: _words(r.decision)),
    Column("Status", lambda r: status_text(r.status)),
    Column("Outcome", lambda r: _words(r.outcome)),
    Column("Next step", lambda r: next_step_text(r.next_step)),
)


class SearchPanel(QWidget):
    sig_new_referral_for = Signal(object)  # PersonRecord
    sig_open_referral = Signal(int)
    sig_results_shown = Signal(int)

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._service: PeopleService | None = None
        self.runner = runner
        self._latest = 0  # only the newest query's results are shown
        self._searching = False  # a search is on the worker
        self._stale = False  # the text changed while it was
        self._slow = QTimer(self, singleShot=True, interval=SLOW_SEARCH_MS)
        self._slow.timeout.connect(lambda: self._searching and self.summary.setText("Searching…"))

        caption = QLabel("&Search")
        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")
        self.search_box.setAccessibleName("Search")
        self.search_box.setPlaceholderText("Surname or part of it, forenames, date of birth (dd/mm/yyyy) or reference")
        self.search_box.setClearButtonEnabled(True)
        caption.setBuddy(self.search_box)
        self.search_box.textChanged.connect(lambda _t: self.search_now())
        self.search_box.returnPressed.connect(self.search_now)
        self.summary = QLabel("Type to search.")
        self.summary.setObjectName("searchSummary")

        self.people_model = RowsModel(PEOPLE, self)
        self.people_view = self._table(self.people_model, "People found")
        self.people_view.selectionModel().selectionChanged.connect(self._person_selected)
        self.people_view.doubleClicked.connect(lambda _i: self._new_referral())

        self.history_model = RowsModel(HISTORY, self)
        self.history_view = self._table(self.history_model, "Diversion history")
        self.history_view.doubleClicked.connect(lambda _i: self._open_referral())
        self.history_label = QLabel("Diversion history of the selected person")

        self.may_refer = False  # set by show_permitted
        self.new_referral_button = QPushButton("&New referral for this person")
        self.new_referral_button.clicked.connect(self._new_referral)
        self.open_referral_button = QPushButton("&Open referral")
        self.open_referral_button.clicked.connect(self._open_referral)
        self.export_button = QPushButton("E&xport the people found…")
        self.export_button.setObjectName("exportPeopleButton")
        self.export_button.clicked.connect(self.export_people)

        top = QHBoxLayout()
        top.addWidget(caption)
        top.addWidget(self.search_box, 1)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.history_label)
        lower_layout.addWidget(self.history_view)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_referral_button)
        buttons.addWidget(self.open_referral_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        lower_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.people_view)
        splitter.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        # Once the buttons are in the panel: a widget without a parent made visible would be a
        # window of its own for a moment (the panel is built after the main window is shown).
        self.show_permitted(self.ctx.principal)
        self._update_buttons()

    @property
    def service(self) -> PeopleService:
        if self._service is None:
            from diversion_desktop.services.people import PeopleService

            self._service = PeopleService(self.ctx)
        return self._service

    def _table(self, model: RowsModel, name: str) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.setAccessibleName(name)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().setVisible(False)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.horizontalHeader().setStretchLastSection(True)
        view.setAlternatingRowColors(True)
        return view

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def search_now(self) -> None:
        if self._searching:
            self._stale = True  # searched again for the newest text when this one comes back
            return
        text = self.search_box.text()
        self._latest += 1
        token = self._latest
        if not text.strip():
            self._show([], token, "")
            return
        self._slow.start()
        self._searching = True
        Op(self, lambda: self.service.search(text)).success(lambda people: self._arrived(people, token, text)).failure(
            lambda error: self._arrived(None, token, text, error)
        ).run_in(self.runner)

    def _arrived(
        self, people: list[PersonRecord] | None, token: int, text: str, error: BaseException | None = None
    ) -> bool:
        """True unless an error is left to be said (in a dialog)."""
        self._searching = False
        self._slow.stop()
        if self._stale:
            self._stale = False
            self.search_now()  # the text changed meanwhile: these results are already stale
            return True
        if error is not None:
            self.summary.setText("The search could not be made.")
            return False
        self._show(people or [], token, text)
        return True

    def _show(self, people: list[PersonRecord], token: int, text: str) -> None:
        if token != self._latest:
            return  # a newer search is on its way; drop stale results
        self.people_model.set_rows(people)
        if not people:  # else selecting the first person below shows their history
            self.history_model.set_rows([])
        if not text.strip():
            self.summary.setText("Type to search.")
        elif not people:
            self.summary.setText(f"No one found for “{text}”. Check the spelling or search by date of birth.")
        else:
            more = " (showing the first 50: add a forename or date of birth)" if len(people) >= 50 else ""
            self.summary.setText(f"{len(people)} found{more}.")
        if people:
            self.people_view.selectRow(0)
        self._update_buttons()
        self.sig_results_shown.emit(len(people))

    def export_people(self) -> None:
        """Export what the list shows: the people found, in a spreadsheet."""
        from diversion_desktop.ui.export_action import export_rows

        people = self.people_model.rows
        self.export_dialog = export_rows(
            self,
            self.ctx,
            self.runner,
            "people",
            [p.id for p in people],
            f"People found for “{self.search_box.text().strip()}”",
            suggested_name="people-found",
        )

    def selected_person(self) -> PersonRecord | None:
        rows = self.people_view.selectionModel().selectedRows()
        return self.people_model.row_at(rows[0].row()) if rows else None

    def _person_selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        person = self.selected_person()
        self.history_model.set_rows(list(reversed(person.referrals)) if person else [])
        if person:
            barred = " — barred from further diversion" if person.barred else ""
            self.history_label.setText(f"Diversion history of {person.display_name} ({person.reference}){barred}")
            if person.referrals:
                self.history_view.selectRow(0)
        self._update_buttons()

    def show_permitted(self, principal: Principal | None) -> None:
        """Offer only what the user may do: a new referral (station staff, coordinators), an export."""
        self.export_button.setVisible(principal is not None and principal.may(Permission.EXPORT_PERSONAL_DATA))
        # Only those who take referrals are offered one (a support worker searches too).
        self.may_refer = principal is not None and principal.may(Permission.TAKE_REFERRAL)
        self.new_referral_button.setVisible(self.may_refer)

    def _update_buttons(self) -> None:
        person = self.selected_person()
        self.new_referral_button.setEnabled(person is not None)
        self.open_referral_button.setEnabled(bool(person and person.referrals))
        self.export_button.setEnabled(self.people_model.rowCount() > 0)

    def _new_referral(self) -> None:
        person = self.selected_person()
        if person is not None and self.may_refer:
            self.sig_new_referral_for.emit(person)

    def _open_referral(self) -> None:
        rows = self.history_view.selectionModel().selectedRows()
        if rows:
            self.sig_open_referral.emit(self.history_model.row_at(rows[0].row()).id)
