"""The password for an export of personal data: a "protect" checkbox (ticked by default) and the
password typed twice, as the list export and the subject-access export both ask for it.

A dialog makes one, names its fields, and puts them into its form::

    self.secret = PasswordFields("export")   # exportProtect, exportPassword, exportPasswordAgain
    self.secret.add_rows(form)
    ...
    go_on, password = self.secret.check(self.error)   # the problem shown; password None when not protecting

The password then goes to the service, which writes an AES-256 encrypted ZIP
(``services.exporter``: ``OPENS_WITH`` says which tools open it).
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLineEdit, QWidget

from diversion_desktop.services.exporter import MIN_PASSWORD_LENGTH, OPENS_WITH
from diversion_desktop.ui.widgets import ErrorLabel

# What to do with the password, for a dialog's note under the fields.
PASSWORD_NOTE = (
    f"Open the ZIP with {OPENS_WITH}. Give the password to the recipient by another route (a phone "
    "call, not the same e-mail)."
)


class PasswordFields:
    """The checkbox and the two password fields; ``name`` prefixes their object names
    (``<name>Protect``, ``<name>Password``, ``<name>PasswordAgain``). The encrypted backup asks
    the same way with its own words and minimum (``checkbox``, ``untick``, ``min_length``)."""

    def __init__(
        self,
        name: str,
        parent: QWidget | None = None,
        *,
        checkbox: tuple[str, str] = ("Protect", "&Protect with a password (an AES-encrypted ZIP)"),
        untick: str = "untick the protection",
        min_length: int = MIN_PASSWORD_LENGTH,
    ) -> None:
        self.untick, self.min_length = untick, min_length
        suffix, text = checkbox
        self.protect = QCheckBox(text, parent)
        self.protect.setObjectName(f"{name}{suffix}")
        self.protect.setChecked(True)
        self.protect.toggled.connect(self._protect_changed)
        self.password = QLineEdit(parent)
        self.password.setObjectName(f"{name}Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit(parent)
        self.confirm.setObjectName(f"{name}PasswordAgain")
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)

    def add_rows(self, form: QFormLayout) -> None:
        """The checkbox, then the password and again, as rows of ``form``."""
        form.addRow(self.protect)
        form.addRow("Pass&word", self.password)
        form.addRow("&Again", self.confirm)

    def _protect_changed(self, on: bool) -> None:
        self.password.setEnabled(on)
        self.confirm.setEnabled(on)

    def password_or_problem(self) -> tuple[str | None, str]:
        """(the password, or None when not protecting; a problem to show, or "")."""
        if not self.protect.isChecked():
            return None, ""
        password = self.password.text()
        if len(password) < self.min_length:
            return None, f"Choose a password of at least {self.min_length} characters, or {self.untick}."
        if password != self.confirm.text():
            return None, "The two passwords are not the same."
        return password, ""

    def check(self, error: ErrorLabel) -> tuple[bool, str | None]:
        """Before the work: the problem shown in ``error`` (cleared when there is none) with the
        cursor put in the password; (whether to go on, the password or None)."""
        password, problem = self.password_or_problem()
        error.show_message(problem)
        if problem:
            self.password.setFocus()
        return not problem, password
