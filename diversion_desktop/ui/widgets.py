"""Small reusable widgets: date entry by typing, and labelled fields with their error line.

Dates are typed as text (dd/mm/yyyy): faster for officers than spin sections,
and what people expect from paper forms.
"""

from __future__ import annotations

from datetime import date, datetime

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
TIME_FORMATS = ("%H:%M", "%H.%M", "%H%M")


def parse_date(text: str) -> date | None:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_datetime(text: str) -> datetime | None:
    parts = text.strip().split()
    if len(parts) != 2:
        return None
    day = parse_date(parts[0])
    if day is None:
        return None
    for fmt in TIME_FORMATS:
        try:
            moment = datetime.strptime(parts[1], fmt).time()
        except ValueError:
            continue
        return datetime.combine(day, moment)
    return None


class DateEdit(QLineEdit):
    """A date typed as dd/mm/yyyy; ``value()`` is None while empty or impossible."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("dd/mm/yyyy")
        self.setMaxLength(10)

    def value(self) -> date | None:
        return parse_date(self.text())

    def set_value(self, value: date | None) -> None:
        self.setText(value.strftime("%d/%m/%Y") if value else "")

    def problem(self) -> str:
        if self.text().strip() and self.value() is None:
            return "Enter a real date as dd/mm/yyyy (for example 14/01/2020)."
        return ""


class DateTimeEdit(QLineEdit):
    """A date and time typed as dd/mm/yyyy hh:mm (24-hour)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("dd/mm/yyyy hh:mm")
        self.setMaxLength(16)

    def value(self) -> datetime | None:
        return parse_datetime(self.text())

    def set_value(self, value: datetime | None) -> None:
        self.setText(value.strftime("%d/%m/%Y %H:%M") if value else "")

    def problem(self) -> str:
        if self.text().strip() and self.value() is None:
            return "Enter a real date and time as dd/mm/yyyy hh:mm (for example 14/01/2020 21:30)."
        return ""


class ErrorLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet("color: #b00020;")
        self.setWordWrap(True)
        self.setVisible(False)

    def show_message(self, message: str) -> None:
        self.setText(message)
        self.setVisible(bool(message))


class Field(QWidget):
    """A widget with its error line underneath, for use in a form row."""

    sig_changed = Signal()

    def __init__(self, label: str, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label_text = label
        self.widget = widget
        self.error = ErrorLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        layout.addWidget(self.error)
        widget.setAccessibleName(label)
        self.error.setAccessibleName(f"{label} error")

    def set_error(self, message: str) -> None:
        self.error.show_message(message)
        self.widget.setAccessibleDescription(message)
        self.widget.setProperty("invalid", bool(message))
        self.widget.setStyleSheet("border: 1px solid #b00020;" if message else "")


def add_field(form: QFormLayout, label: str, widget: QWidget, required: bool = False) -> Field:
    """A labelled row whose label is the widget's buddy and, word for word, its accessible name.

    Required fields are marked by a bold label (not a "*", which would make
    the visible label differ from what a screen reader announces).
    """
    field = Field(label, widget)
    caption = QLabel(label)
    caption.setBuddy(widget)
    caption.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    set_required(caption, widget, required)
    form.addRow(caption, field)
    return field


def set_required(caption: QLabel, widget: QWidget, required: bool) -> None:
    font = caption.font()
    font.setBold(required)
    caption.setFont(font)
    caption.setToolTip("Required" if required else "")
    widget.setToolTip("Required" if required else "")


class LazyPage(QWidget):
    """Holds a page whose module is slow to import (charts, statistics) and builds it
    the first time it is shown, so start-up does only what the first screen needs."""

    sig_built = Signal(object)

    def __init__(self, build: Callable[[], QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build = build
        self.page: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def ensure_built(self) -> QWidget:
        if self.page is None:
            self.page = self._build()
            self._layout.addWidget(self.page)
            self.sig_built.emit(self.page)
        return self.page

    def showEvent(self, event: QShowEvent) -> None:
        self.ensure_built()
        super().showEvent(event)
