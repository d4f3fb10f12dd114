"""The page an administrator without case work sees instead of the case tabs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

# (button text, what it says underneath, what it opens)
Entry = tuple[str, str, Callable[[], object]]


class AdminPage(QWidget):
    """A short column of what administration offers; each button opens its dialog."""

    def __init__(self, who: str, entries: Sequence[Entry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adminPage")
        self.buttons: dict[str, QPushButton] = {}
        column = QVBoxLayout(self)
        column.setContentsMargins(48, 36, 48, 36)
        heading = QLabel("Administration")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        heading.setFont(font)
        column.addWidget(heading)
        intro = QLabel(
            f"Signed in as {who}. Case records are not shown to an administrator without a case "
            "role; give yourself one under Users if you also do case work."
        )
        intro.setWordWrap(True)
        column.addWidget(intro)
        column.addSpacing(12)
        for text, note, open_ in entries:
            button = QPushButton(text)
            button.setMinimumWidth(260)
            button.clicked.connect(lambda _checked=False, fn=open_: fn())
            self.buttons[text.replace("&", "")] = button
            explanation = QLabel(note)
            explanation.setWordWrap(True)
            explanation.setIndent(8)
            column.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
            column.addWidget(explanation)
            column.addSpacing(8)
        column.addStretch(1)
