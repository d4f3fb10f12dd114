"""Signing in: the first administrator on a new database, the sign-in dialog, and changing a password.

``sign_in_at_start`` is the whole start-up conversation: a database without users asks for
its first administrator, any other asks for a user name and password; a password that an
administrator set must then be changed before the window opens. Each dialog runs its service
call (argon2 takes 50-100 ms on purpose) on a worker thread with a busy cursor, so the
dialog keeps painting; refusals are shown in the dialog, at their field where there is one.

The sign-in dialog is the first thing painted at start-up, before the database is open (see
ui/app.py and ui/opening.py): nothing here loads the services (and SQLAlchemy) until it is used,
the dialog can be typed into at once, and a sign-in asked for early waits for the database on
the worker. Once the database is open and turns out to have no users, the dialog gives way to
the first administrator's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from diversion_desktop.domain.passwords import MIN_LENGTH, password_problem
from diversion_desktop.domain.permissions import Principal, Role
from diversion_desktop.ui.dialogs import _SubmitDialog
from diversion_desktop.ui.opening import DatabaseOpening
from diversion_desktop.ui.operations import Op
from diversion_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:  # the services load SQLAlchemy: not before the first paint
    from diversion_desktop.services.context import AppContext
    from diversion_desktop.services.users import UserService

POLICY = (
    f"A password has at least {MIN_LENGTH} characters, is not on the list of common passwords and "
    "is not the user name. A short sentence is long enough and easy to remember."
)
_PROBLEM_STYLE = "color: #b00020;"
_GOOD_STYLE = "color: #1b5e20;"
# SignInDialog's result when the database, once open, has no users yet.
NO_USERS = 2


def _common_passwords() -> frozenset[str]:
    from diversion_desktop.services.users import common_passwords

    return common_passwords()


def password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(256)
    return edit


class PasswordHint(QLabel):
    """What is wrong with the new password as it is typed (✗ …), or that it will do (✓ …).

    The mark is there besides the colour so the state does not rest on colour alone."""

    def __init__(
        self, password: QLineEdit, again: QLineEdit | None, username: Callable[[], str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("passwordHint")
        self.setWordWrap(True)
        self.setAccessibleName("Password check")
        self._password, self._again, self._username = password, again, username
        password.textChanged.connect(self.refresh)
        if again is not None:
            again.textChanged.connect(self.refresh)
        self.refresh()

    def problem(self) -> tuple[str, str]:
        """("password" or "again", the first problem in words); ("", "") when the password will do."""
        text = self._password.text()
        problem = password_problem(text, self._username(), _common_passwords())
        if problem:
            return "password", problem
        if self._again is not None and self._again.text() != text:
            return "again", (
                "Type the same password again in the second box."
                if not self._again.text()
                else "The two passwords are not the same."
            )
        return "", ""

    def errors(self) -> dict[str, str]:
        field, problem = self.problem()
        return {field: problem} if problem else {}

    def refresh(self) -> None:
        if not self._password.text():
            self.setText(POLICY)
            self.setStyleSheet("")
            return
        _field, problem = self.problem()
        self.setText(f"✗ {problem}" if problem else "✓ This password will do.")
        self.setStyleSheet(_PROBLEM_STYLE if problem else _GOOD_STYLE)


class _ServiceDialog(_SubmitDialog):
    """A form whose accepted request is run on a worker thread (its own unless given one);
    the dialog stays open, with a busy cursor, until the service answers."""

    def __init__(
        self, ctx: AppContext | None, runner: TaskRunner | None, title: str, ok_text: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(title, ok_text, parent)
        self.ctx = ctx  # (the sign-in's is set once the database is open)
        self.hint: PasswordHint | None = None  # a new password's live check, if the form has one
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertStretch(layout.indexOf(self.buttons), 1)  # spare height above the buttons, not the intro
        self._service: UserService | None = None
        self._own_runner = runner is None
        self.runner = runner or TaskRunner(self)
        self.sig_submitted.connect(self._run)

    @property
    def service(self) -> UserService:
        if self._service is None:
            from diversion_desktop.services.users import UserService

            assert self.ctx is not None
            self._service = UserService(self.ctx)
        return self._service

    def _add_hint(self, hint: PasswordHint) -> PasswordHint:
        """Put the live check under the new password. A refusal of the password shows at its
        field instead (the check would say the same twice), until the password is edited."""
        self.hint = hint
        self.form.addRow("", hint)
        for name in ("password", "again"):
            edit = self.fields[name].widget
            assert isinstance(edit, QLineEdit)
            edit.textEdited.connect(self._password_edited)
        return hint

    def _password_edited(self) -> None:
        for name in ("password", "again"):
            self.fields[name].set_error("")
        if self.hint is not None:
            self.hint.setVisible(True)

    def show_errors(self, errors: dict[str, str]) -> None:
        super().show_errors(errors)
        if self.hint is not None:
            self.hint.setVisible(not {"password", "again"} & errors.keys())

    def _run(self, request: Any) -> None:
        Op(self, lambda: self._work(request)).wait_cursor().success(self._answered).failure(self._refused).run_in(
            self.runner
        )

    def _answered(self, result: Any) -> None:
        self.set_busy(False)
        self._succeeded(result)

    def _refused(self, error: BaseException) -> bool:
        self.show_failure(error)
        self._after_refusal()
        return True

    def _work(self, request: Any) -> Any:
        raise NotImplementedError

    def _succeeded(self, result: Any) -> None:
        self.accept()

    def _after_refusal(self) -> None:
        """Refused: clear what must be typed again."""

    def done(self, result: int) -> None:
        super().done(result)
        if self._own_runner:
            self.runner.shutdown()


class SignInDialog(_ServiceDialog):
    """User name and password; the refusal (always the same words for a wrong name or a wrong
    password) is shown under the form. ``ctx`` (signed in) and ``must_change`` once accepted.

    Shown while the database may still be opening (ui/opening.py): a sign-in asked for early
    waits for it on the worker; once it is open, a database without users ends the dialog with
    ``NO_USERS`` so the first administrator's takes its place."""

    def __init__(
        self, opening: DatabaseOpening, runner: TaskRunner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(None, runner, "Sign in — Diversion Desktop", "&Sign in", parent)
        self.setObjectName("signInDialog")
        self.opening = opening
        self.must_change = False
        self.intro.setText("Sign in to use the diversion records.")
        self.database = QLabel()
        self.database.setObjectName("signInDatabase")
        self.database.setWordWrap(True)
        self.database.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.layout().insertWidget(1, self.database)
        self.username = self._add("username", "&User name", QLineEdit(), required=True)
        self.password = self._add("password", "&Password", password_edit(), required=True)
        self.message = self.general_error
        self.message.setObjectName("signInMessage")
        self.message.setAccessibleName("Sign-in message")
        self.cancel_button.setText("&Quit")
        self.setMinimumWidth(460)
        self.username.setFocus()
        if opening.done():
            self._name_database()
        else:
            self.database.setText("Opening the database…")
            opening.sig_done.connect(self.database_opened)

    def _name_database(self) -> None:
        opened = self.opening.result()
        self.ctx = opened.ctx
        self.database.setText(f"Database: {opened.ctx.database_label}")

    def database_opened(self) -> None:
        """The opening is settled while the dialog is up: name the database, or end the dialog
        (no users yet: NO_USERS; it could not be opened: rejected, ``opening.error()`` says why)."""
        if self.opening.error() is not None:
            self.done(QDialog.DialogCode.Rejected)
            return
        self._name_database()
        if not self.opening.result().has_users:
            self.done(NO_USERS)

    def _read(self) -> tuple[tuple[str, str] | None, dict[str, str]]:
        errors: dict[str, str] = {}
        if not self.username.text().strip():
            errors["username"] = "Type your user name."
        if not self.password.text():
            errors["password"] = "Type your password."
        return (self.username.text(), self.password.text()), errors

    def _work(self, request: tuple[str, str]) -> tuple[AppContext, bool]:
        from diversion_desktop.services.users import UserService

        ctx = self.opening.result().ctx  # waits here, on the worker, if it is still opening
        service = UserService(ctx)
        service.sign_in(*request)
        return ctx, service.must_change_password()

    def _succeeded(self, result: tuple[AppContext, bool]) -> None:
        self.ctx, self.must_change = result
        self.accept()

    def _after_refusal(self) -> None:
        self.password.clear()
        self.password.setFocus()


class FirstAdministratorDialog(_ServiceDialog):
    """A database without users: name the first administrator, who is then signed in."""

    def __init__(self, ctx: AppContext, runner: TaskRunner | None = None, parent: QWidget | None = None) -> None:
        super().__init__(ctx, runner, "First administrator — Diversion Desktop", "&Create and sign in", parent)
        self.setObjectName("firstAdministratorDialog")
        self.principal: Principal | None = None
        self.intro.setText(
            "This database has no users yet. Create the first administrator: they add the "
            "other users and give them their roles.\n"
            f"Database: {ctx.database_label}"
        )
        self.username = self._add("username", "&User name", QLineEdit(), required=True)
        self.display_name = self._add("display_name", "&Display name", QLineEdit())
        self.display_name.setPlaceholderText("for example Sam Patel")
        self.password = self._add("password", "&Password", password_edit(), required=True)
        self.again = self._add("again", "Password a&gain", password_edit(), required=True)
        self.hint = self._add_hint(PasswordHint(self.password, self.again, self.username.text))
        self.username.textChanged.connect(self.hint.refresh)
        # Checked by default: on a one-person installation the administrator can then try the
        # whole application (referrals, queues, evaluation) without adding a second user first.
        self.coordinator = QCheckBox("Also do case work as a &coordinator")
        self.coordinator.setObjectName("alsoCoordinator")
        self.coordinator.setChecked(True)
        self.coordinator.setAccessibleName("Also do case work as a coordinator")
        self.form.addRow("", self.coordinator)
        self.cancel_button.setText("&Quit")
        self.username.setFocus()

    def _read(self) -> tuple[tuple[str, str, str, bool] | None, dict[str, str]]:
        errors: dict[str, str] = {}
        if not self.username.text().strip():
            errors["username"] = "Choose a user name, for example your initials and surname."
        errors.update(self.hint.errors())
        return (
            self.username.text(),
            self.password.text(),
            self.display_name.text(),
            self.coordinator.isChecked(),
        ), errors

    def _work(self, request: tuple[str, str, str, bool]) -> Principal:
        username, password, display_name, coordinator = request
        return self.service.create_first_administrator(
            username, password, display_name, also=(Role.COORDINATOR,) if coordinator else ()
        )

    def _succeeded(self, result: Principal) -> None:
        self.principal = result
        self.accept()


class ChangePasswordDialog(_ServiceDialog):
    """The signed-in user's own password. ``forced`` after an administrator set it: cancelling
    then means not using the application (the caller quits)."""

    def __init__(
        self, ctx: AppContext, forced: bool = False, runner: TaskRunner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, runner, "Change password — Diversion Desktop", "&Change password", parent)
        self.setObjectName("changePasswordDialog")
        self.forced = forced
        name = ctx.principal.username if ctx.principal else ""
        if forced:
            self.intro.setText(
                f"{name}: an administrator set your password. Choose your own now; without it "
                "the application cannot be used (Quit closes it)."
            )
            self.cancel_button.setText("&Quit")
        else:
            self.intro.setText(f"Change the password of {name}.")
        self.current = self._add("current", "C&urrent password", password_edit(), required=True)
        self.password = self._add("password", "&New password", password_edit(), required=True)
        self.again = self._add("again", "New password a&gain", password_edit(), required=True)
        self.hint = self._add_hint(PasswordHint(self.password, self.again, lambda: name))
        self.current.setFocus()

    def _read(self) -> tuple[tuple[str, str] | None, dict[str, str]]:
        errors: dict[str, str] = {}
        if not self.current.text():
            errors["current"] = "Type the password you signed in with."
        errors.update(self.hint.errors())
        return (self.current.text(), self.password.text()), errors

    def _work(self, request: tuple[str, str]) -> None:
        self.service.change_own_password(*request)

    def _after_refusal(self) -> None:
        if self.fields["current"].error.text():
            self.current.clear()


def sign_in_at_start(opening: DatabaseOpening, parent: QWidget | None = None) -> AppContext | None:
    """Sign someone in before the window opens: their (signed-in) context, or None to quit (every
    dialog's Quit, or a database that could not be opened: ``opening.error()`` says why).
    A database without users asks for its first administrator; a password an administrator set
    is changed here, or the application quits."""
    dialog = SignInDialog(opening, parent=parent)
    if not opening.done():
        # The database opens once the dialog has been painted (Qt paints in the next turn of the event
        # loop): the thread's imports would otherwise hold the interpreter while the dialog is drawn.
        QTimer.singleShot(0, lambda: QTimer.singleShot(0, opening.start))
        result = dialog.exec()
    elif opening.error() is not None:
        return None
    else:  # open already (signed out, someone else signs in); users may have been added since
        result = dialog.exec() if _has_users(opening.result().ctx) else NO_USERS
    if result == NO_USERS:
        first = FirstAdministratorDialog(opening.result().ctx, parent=parent)
        return first.ctx if first.exec() == QDialog.DialogCode.Accepted else None
    if result != QDialog.DialogCode.Accepted or dialog.ctx is None:
        return None
    if dialog.must_change:
        change = ChangePasswordDialog(dialog.ctx, forced=True, parent=parent)
        if change.exec() != QDialog.DialogCode.Accepted:
            change.service.sign_out()
            return None
    return dialog.ctx


def _has_users(ctx: AppContext) -> bool:
    from diversion_desktop.services.users import has_users

    return has_users(ctx)
