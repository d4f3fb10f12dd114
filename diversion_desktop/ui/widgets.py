"""Small reusable widgets: date entry by typing, and labelled fields with their error line.

Dates are typed as text (dd/mm/yyyy): faster for officers than spin sections,
and what people expect from paper forms.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QFormLayout, QLabel, QLineEdit, QTabWidget, QVBoxLayout, QWidget

from diversion_desktop.domain import dates

ERROR_COLOUR = QColor("#b00020")

if TYPE_CHECKING:  # only named in annotations: Qt makes its Python type (and QEvent's) on first use
    from PySide6.QtGui import QPaintEvent, QShowEvent


class DateEdit(QLineEdit):
    """A date typed as dd/mm/yyyy (or 14031990, 14/03/90); ``value()`` is None while empty or
    impossible. When the field is left, a date understood is shown back as dd/mm/yyyy, so the
    person sees which one was read. ``today``, for a date that cannot be in the future (a date of
    birth), lets a two-digit year be read (see domain/dates.py)."""

    def __init__(self, parent: QWidget | None = None, today: Callable[[], date] | None = None) -> None:
        super().__init__(parent)
        self._today = today
        self.setPlaceholderText("dd/mm/yyyy")
        self.setMaxLength(10)
        self.editingFinished.connect(self._show_understood)

    def value(self) -> date | None:
        return dates.parse_date(self.text(), self._today() if self._today else None)

    def _show_understood(self) -> None:
        value = self.value()
        if value is not None and self.text() != f"{value:%d/%m/%Y}":
            self.set_value(value)

    def set_value(self, value: date | None) -> None:
        self.setText(value.strftime("%d/%m/%Y") if value else "")

    def problem(self) -> str:
        if self.text().strip() and self.value() is None:
            return "Enter a real date as dd/mm/yyyy (for example 14/01/2020)."
        return ""


class DateTimeEdit(QLineEdit):
    """A date and time typed as dd/mm/yyyy hh:mm (24-hour); ``today`` as for ``DateEdit``."""

    def __init__(self, parent: QWidget | None = None, today: Callable[[], date] | None = None) -> None:
        super().__init__(parent)
        self._today = today
        self.setPlaceholderText("dd/mm/yyyy hh:mm")
        self.setMaxLength(16)

    def value(self) -> datetime | None:
        return dates.parse_datetime(self.text(), self._today() if self._today else None)

    def set_value(self, value: datetime | None) -> None:
        self.setText(value.strftime("%d/%m/%Y %H:%M") if value else "")

    def problem(self) -> str:
        if self.text().strip() and self.value() is None:
            return "Enter a real date and time as dd/mm/yyyy hh:mm (for example 14/01/2020 21:30)."
        return ""


class ErrorLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The colour by palette rather than a style sheet: a style sheet on each of a form's
        # error lines costs a third of a millisecond apiece at start-up.
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.WindowText, ERROR_COLOUR)
        self.setPalette(palette)
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
        # The error line is made with the first message: most fields never show one, and a
        # form's start-up makes a few dozen fields.
        self._error: ErrorLabel | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._layout.addWidget(widget)
        widget.setAccessibleName(label)

    @property
    def error(self) -> ErrorLabel:
        if self._error is None:
            self._error = ErrorLabel(self)
            self._error.setAccessibleName(f"{self.label_text} error")
            self._layout.addWidget(self._error)
        return self._error

    def set_error(self, message: str) -> None:
        if not message and self._error is None:
            return  # never marked: nothing to clear
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
    # By property name: naming Qt's namespace would make PySide build all of it (ui/intake_form.py).
    caption.setProperty("textInteractionFlags", "NoTextInteraction")
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
    """Holds the place of a page that is slow to build, or whose module is slow to import (charts,
    statistics, the services and SQLAlchemy behind them), and builds it the first time it is shown
    or ``ensure_built`` is called, so start-up does only what the first screen needs.

    Without ``in_tabs`` the page is shown inside this placeholder. With it, the placeholder is a
    page of that QTabWidget and the page built takes its place there (at once; or, when it is
    built because its tab is being shown or painted, after that turn of the event loop), so the
    tab widget's ``currentWidget``, ``indexOf`` and ``setCurrentWidget`` deal with the page itself.

    ``PaintedLazyPage`` is one built the first time it is painted instead."""

    sig_built = Signal(object)

    def __init__(
        self, build: Callable[[], QWidget], parent: QWidget | None = None, in_tabs: QTabWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._build = build
        self._tabs = in_tabs
        self.page: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def ensure_built(self, in_event: bool = False) -> QWidget:
        """The page, built if need be. ``in_event``: from this placeholder's own show or paint
        event, when the tab widget must not be changed (the page goes inside the placeholder and
        takes its place a turn later)."""
        if self.page is None:
            self.page = self._build()
            if self._tabs is not None and not (in_event and self.isVisible()):
                self._take_place()
            else:
                self._layout.addWidget(self.page)
                if self._tabs is not None:
                    QTimer.singleShot(0, self, self._take_place)
            self.sig_built.emit(self.page)
        return self.page

    def _take_place(self) -> None:
        tabs, page = self._tabs, self.page
        index = tabs.indexOf(self) if tabs is not None else -1
        if tabs is None or page is None or index < 0:
            return
        focus = QApplication.focusWidget()
        focus = focus if focus is not None and page.isAncestorOf(focus) else None
        current = tabs.currentIndex() == index
        tabs.insertTab(index, page, tabs.tabIcon(index), tabs.tabText(index))
        tabs.setTabToolTip(index, tabs.tabToolTip(index + 1))
        if current:
            tabs.setCurrentIndex(index)
        tabs.removeTab(index + 1)
        self.setParent(None)  # hidden, and kept only by whoever holds it
        if focus is not None:
            focus.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        self.ensure_built(in_event=True)
        super().showEvent(event)


class PaintedLazyPage(LazyPage):
    """A ``LazyPage`` built the first time it is painted rather than shown: for the tab current
    when the window is shown (Find person), since the window may be switched to another tab
    before its first paint (Ctrl+N at once), and a page never painted need not be built. Built
    as it is first painted, it is drawn in that same paint.

    (No showEvent of its own, nor LazyPage's: a Python event handler makes PySide build the
    Python type of the event, QEvent's among them, at the window's first show.)"""

    showEvent = QWidget.showEvent  # type: ignore[assignment]  # QWidget's own handler, on purpose (see above)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.page is None:
            page = self.ensure_built(in_event=True)
            # Shown and laid out now, so that this paint, which goes on to the placeholder's
            # children, draws it (added to a layout, it would show itself a turn later).
            page.show()
            self._layout.activate()
        super().paintEvent(event)
