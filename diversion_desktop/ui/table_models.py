"""Read-only table models over lists of plain service rows, and the column sets the views share.

One ``RowsModel`` serves every list in the views: it is given the rows (frozen
dataclasses from ``services.dto``) and a tuple of ``Column`` saying, for each
column, its title, its text, and how it sorts. Views sort through a
``QSortFilterProxyModel`` on ``SORT_ROLE`` and get a row back with ``ROW_ROLE``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.programme import Attendance, SessionType, Status

if TYPE_CHECKING:
    from diversion_desktop.services.dto import AppointmentRow

SORT_ROLE = Qt.ItemDataRole.UserRole
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex

ATTENDANCE_COLOURS = {
    Attendance.ATTENDED.value: QColor("#1b5e20"),
    Attendance.NOT_ATTENDED.value: QColor("#b00020"),
}


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[Any], str]
    sort: Callable[[Any], Any] | None = None  # one type per column (str or int); defaults to the text
    tooltip: Callable[[Any], str] | None = None
    colour: Callable[[Any], QColor | None] | None = None


# The roles as plain numbers: a view asks ``data`` for about ten roles of every cell it paints or
# measures (8,000 calls to show 50 people found), and naming PySide's enum members each time cost
# more than the answers.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_SORT = int(SORT_ROLE)
_ROW = int(ROW_ROLE)


class RowsModel(QAbstractTableModel):
    """A table over a list of rows, one ``Column`` per column."""

    def __init__(self, columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._rows: list[Any] = []
        self._texts: dict[int, tuple[str, ...]] = {}  # each row's cells, made when first asked for

    # -- the rows ---------------------------------------------------------------
    @property
    def rows(self) -> list[Any]:
        return list(self._rows)

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._texts = {}
        self.endResetModel()

    def row_at(self, row: int) -> Any | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def _row_texts(self, row: int) -> tuple[str, ...]:
        texts = self._texts.get(row)
        if texts is None:
            item = self._rows[row]
            texts = self._texts[row] = tuple(column.text(item) for column in self.columns)
        return texts

    # -- QAbstractTableModel ------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == _DISPLAY:
            if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
                return self.columns[section].title
            if orientation == Qt.Orientation.Vertical:
                return str(section + 1)
        return None

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if role not in (_DISPLAY, _TOOLTIP, _FOREGROUND, _SORT, _ROW):
            return None  # most of what a view asks (font, alignment, size, decoration...)
        row, column = index.row(), index.column()
        if not (index.isValid() and 0 <= row < len(self._rows) and 0 <= column < len(self.columns)):
            return None
        if role == _DISPLAY:
            return self._row_texts(row)[column]
        if role == _ROW:
            return self._rows[row]
        spec = self.columns[column]
        if role == _TOOLTIP:
            return spec.tooltip(self._rows[row]) if spec.tooltip else self._row_texts(row)[column]
        if role == _FOREGROUND:
            return spec.colour(self._rows[row]) if spec.colour is not None else None
        return spec.sort(self._rows[row]) if spec.sort else self._row_texts(row)[column].casefold()


def sorting_proxy(model: RowsModel) -> QSortFilterProxyModel:
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    return proxy


# -- words for stored codes ---------------------------------------------------------
def day_text(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def moment_text(value: datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def iso(value: date | datetime | None) -> str:
    return value.isoformat() if value else ""


def session_type_text(value: str) -> str:
    try:
        return SessionType(value).label
    except ValueError:
        return value.replace("_", " ")


def attendance_text(row: AppointmentRow) -> str:
    if not row.attendance:
        return "Not yet recorded"
    try:
        text = Attendance(row.attendance).label
    except ValueError:
        text = row.attendance.replace("_", " ")
    return f"{text}: {row.rebook_reason}" if row.rebook_reason else text


def status_text(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value.replace("_", " ").capitalize()


def pathway_text(value: str) -> str:
    return {Pathway.YOUTH.value: "Youth", Pathway.ADULT.value: "Adult"}.get(value, value)


def next_step_text(value: str) -> str:
    if not value:
        return ""
    try:
        return NextStep(value).label
    except ValueError:
        return value.replace("_", " ")


def _attendance_colour(row: AppointmentRow) -> QColor | None:
    return ATTENDANCE_COLOURS.get(row.attendance or "")


# -- the column sets -------------------------------------------------------------------
APPOINTMENTS_OF_DAY: tuple[Column, ...] = (
    Column("Time", lambda r: f"{r.scheduled_at:%H:%M}", sort=lambda r: iso(r.scheduled_at)),
    Column("Referral", lambda r: r.referral_reference),
    Column("Person", lambda r: r.person_name),
    Column("Session type", lambda r: session_type_text(r.session_type)),
    Column("Worker", lambda r: r.worker),
    Column("Attendance", attendance_text, colour=_attendance_colour),
)

APPOINTMENTS_OF_REFERRAL: tuple[Column, ...] = (
    Column("Date and time", lambda r: moment_text(r.scheduled_at), sort=lambda r: iso(r.scheduled_at)),
    Column("Centre", lambda r: r.centre_name),
    Column("Session type", lambda r: session_type_text(r.session_type)),
    Column("Worker", lambda r: r.worker),
    Column("Attendance", attendance_text, colour=_attendance_colour),
)

TIMELINE: tuple[Column, ...] = (
    Column("When", lambda e: moment_text(e.at), sort=lambda e: iso(e.at)),
    Column("Event", lambda e: e.kind.replace("_", " ").capitalize()),
    Column("What happened", lambda e: e.text),
    Column("By", lambda e: e.actor),
)

QUEUE: tuple[Column, ...] = (
    Column("Reference", lambda q: q.reference),
    Column("Person", lambda q: q.person_name),
    Column("Area", lambda q: q.area),
    Column("Pathway", lambda q: pathway_text(q.pathway)),
    Column("Status", lambda q: status_text(q.status)),
    Column("Referral date", lambda q: day_text(q.referral_date), sort=lambda q: iso(q.referral_date)),
    Column("Deadline", lambda q: day_text(q.due_date), sort=lambda q: iso(q.due_date)),
    Column("Proposed next step", lambda q: next_step_text(q.proposed_step)),
    Column("Note", lambda q: q.note),
)
