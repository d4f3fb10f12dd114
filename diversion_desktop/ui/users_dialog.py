"""Administration → Users: list the accounts, add one, disable or enable, reset a password, change roles.

Every change goes through ``UserService`` on the worker, which checks the permission and the
rules again (hiding the menu from other roles is not the control); its refusals come back to
the field they concern, or under the list.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.domain.permissions import POLICE, Role
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.users import UserInfo, UserService
from diversion_desktop.ui.changes import Changed
from diversion_desktop.ui.dialogs import ask_confirmation
from diversion_desktop.ui.operations import Op
from diversion_desktop.ui.sign_in import PasswordHint, _ServiceDialog, password_edit
from diversion_desktop.ui.tasks import TaskRunner
from diversion_desktop.ui.widgets import ErrorLabel

# Mnemonics chosen not to clash with the form's other labels (User name, Display name,
# Organisation, Password, Password again).
ROLE_LABELS: tuple[tuple[Role, str], ...] = (
    (Role.STATION_STAFF, "&Station staff"),
    (Role.SUPPORT_WORKER, "Support &worker"),
    (Role.COORDINATOR, "&Coordinator"),
    (Role.ADMINISTRATOR, "&Administrator"),
)
COLUMNS = ("User name", "Display name", "Roles", "Organisation", "State", "Last sign-in")


def state_text(user: UserInfo) -> str:
    parts = ["disabled" if user.disabled else "active"]
    if user.locked_until is not None:
        parts.append(f"locked until {user.locked_until:%d/%m/%Y %H:%M}")
    if user.must_change_password:
        parts.append("must change password")
    return ", ".join(parts)


class UserFormDialog(_ServiceDialog):
    """Add a user (``user`` None), change a user's roles, or reset a user's password."""

    ADD, ROLES, PASSWORD = "add", "roles", "password"

    def __init__(
        self,
        ctx: AppContext,
        runner: TaskRunner,
        mode: str,
        providers: list[str],
        user: UserInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        titles = {
            self.ADD: ("Add a user", "C&reate user"),
            self.ROLES: ("Change roles", "C&hange roles"),
            self.PASSWORD: ("Reset password", "&Reset password"),
        }
        title, ok_text = titles[mode]
        super().__init__(ctx, runner, f"{title} — Diversion Desktop", ok_text, parent)
        self.setObjectName("userFormDialog")
        self.mode = mode
        self.user = user
        self.result_user: UserInfo | None = None
        self.role_boxes: dict[Role, QCheckBox] = {}
        name = user.username if user is not None else ""
        if mode == self.ADD:
            self.intro.setText("The new user signs in with the password given here and must then choose their own.")
            self.username = self._add("username", "&User name", QLineEdit(), required=True)
            self.username.setPlaceholderText("for example pc1234 or j.smith")
            self.display_name = self._add("display_name", "&Display name", QLineEdit())
        else:
            self.intro.setText(
                f"{'Roles of' if mode == self.ROLES else 'A new password for'} {name}"
                + (
                    ": they must change it at their next sign-in; this also unlocks the account."
                    if mode == self.PASSWORD
                    else "."
                )
            )
        if mode in (self.ADD, self.ROLES):
            self._roles_and_organisation(providers, user)
        if mode in (self.ADD, self.PASSWORD):
            label = "Initial &password" if mode == self.ADD else "New &password"
            self.password = self._add("password", label, password_edit(), required=True)
            self.again = self._add("again", "Password a&gain", password_edit(), required=True)
            username = (lambda: self.username.text()) if mode == self.ADD else (lambda: name)
            self.hint = self._add_hint(PasswordHint(self.password, self.again, username))
        first = (
            self.username
            if mode == self.ADD
            else (self.role_boxes[Role.STATION_STAFF] if mode == self.ROLES else self.password)
        )
        first.setFocus()

    def _roles_and_organisation(self, providers: list[str], user: UserInfo | None) -> None:
        group = QGroupBox()
        group.setFlat(True)
        column = QVBoxLayout(group)
        column.setContentsMargins(0, 0, 0, 0)
        for role, label in ROLE_LABELS:
            box = QCheckBox(label)
            box.setObjectName(f"role_{role.value}")
            box.setAccessibleName(role.label)
            box.setChecked(user is not None and role in user.roles)
            box.toggled.connect(lambda checked, r=role: self._role_toggled(r, checked))
            self.role_boxes[role] = box
            column.addWidget(box)
        self._add("roles", "Roles", group, required=True)
        self.organisation = QComboBox()
        for name in [POLICE, *providers]:
            self.organisation.addItem(name, name)
        if user is not None:
            index = self.organisation.findData(user.organisation)
            if index < 0:
                self.organisation.addItem(user.organisation, user.organisation)
                index = self.organisation.count() - 1
            self.organisation.setCurrentIndex(index)
        self._add("organisation", "&Organisation", self.organisation, required=True)

    def _role_toggled(self, role: Role, checked: bool) -> None:
        """Follow the rule the service enforces: a support worker belongs to a provider, station
        staff, coordinators and administrators to the police; move the organisation along instead
        of refusing."""
        if not checked or self.organisation.count() < 2:
            return
        current = self.organisation.currentData()
        if role is Role.SUPPORT_WORKER and current == POLICE:
            self.organisation.setCurrentIndex(1)
        elif role in (Role.STATION_STAFF, Role.COORDINATOR, Role.ADMINISTRATOR) and current != POLICE:
            self.organisation.setCurrentIndex(0)

    def roles(self) -> list[Role]:
        return [role for role, box in self.role_boxes.items() if box.isChecked()]

    def _read(self) -> tuple[dict[str, Any] | None, dict[str, str]]:
        errors: dict[str, str] = {}
        request: dict[str, Any] = {}
        if self.mode == self.ADD:
            if not self.username.text().strip():
                errors["username"] = "Give the user a user name."
            request.update(username=self.username.text(), display_name=self.display_name.text())
        if self.mode in (self.ADD, self.ROLES):
            if not self.roles():
                errors["roles"] = "Give the user at least one role."
            request.update(roles=self.roles(), organisation=self.organisation.currentData())
        if self.mode in (self.ADD, self.PASSWORD):
            errors.update(self.hint.errors())
            request.update(password=self.password.text())
        return request, errors

    def _work(self, request: dict[str, Any]) -> UserInfo:
        if self.mode == self.ADD:
            return self.service.create_user(
                request["username"],
                request["password"],
                request["roles"],
                request["organisation"],
                request["display_name"],
            )
        assert self.user is not None
        if self.mode == self.ROLES:
            return self.service.set_roles(self.user.username, request["roles"], request["organisation"])
        return self.service.reset_password(self.user.username, request["password"])

    def _succeeded(self, result: UserInfo) -> None:
        self.result_user = result
        self.accept()


class UsersDialog(QDialog):
    """The accounts, newest state first read from the service; actions on the selected one."""

    sig_loaded = Signal(int)  # how many users are listed
    sig_changed = Signal(str)  # what was done, as shown under the list

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usersDialog")
        self.setWindowTitle("Users — Diversion Desktop")
        self.ctx = ctx
        self.runner = runner
        self.service = UserService(ctx)
        self.users: list[UserInfo] = []
        self.providers: list[str] = []
        self.form: UserFormDialog | None = None

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("usersTable")
        self.table.setAccessibleName("Users")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.change_roles())
        caption = QLabel("&Users")
        caption.setBuddy(self.table)

        self.add_button = QPushButton("&Add user…")
        self.disable_button = QPushButton("&Disable")
        self.reset_button = QPushButton("&Reset password…")
        self.roles_button = QPushButton("Change r&oles…")
        self.add_button.clicked.connect(self.add_user)
        self.disable_button.clicked.connect(self.toggle_disabled)
        self.reset_button.clicked.connect(self.reset_password)
        self.roles_button.clicked.connect(self.change_roles)
        actions = QHBoxLayout()
        for button in (self.add_button, self.disable_button, self.reset_button, self.roles_button):
            button.setAutoDefault(False)
            actions.addWidget(button)
        actions.addStretch(1)

        self.message = ErrorLabel()
        self.message.setObjectName("usersMessage")
        self.message.setAccessibleName("Message")
        self.status = QLabel()
        self.status.setObjectName("usersStatus")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(caption)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(900, 440)
        self._selection_changed()
        self.refresh()

    # -- reading -------------------------------------------------------------------------------
    def refresh(self, select: str = "") -> None:
        def load() -> tuple[list[UserInfo], list[str]]:
            return self.service.list_users(), self.service.providers()

        Op(self, load).success(lambda result: self._show(*result, select=select)).errors_in(
            self.message.show_message
        ).run_in(self.runner)

    def _show(self, users: list[UserInfo], providers: list[str], select: str = "") -> None:
        keep = select or (self.selected().username if self.selected() else "")
        self.users, self.providers = users, providers
        self.table.setRowCount(len(users))
        for row, user in enumerate(users):
            values = (
                user.username,
                user.display_name,
                ", ".join(r.label for r in user.roles),
                user.organisation,
                state_text(user),
                f"{user.last_sign_in_at:%d/%m/%Y %H:%M}" if user.last_sign_in_at else "never",
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if user.disabled:
                    item.setForeground(
                        self.palette().color(self.palette().ColorGroup.Disabled, self.palette().ColorRole.Text)
                    )
                self.table.setItem(row, column, item)
        index = next((i for i, u in enumerate(users) if u.username == keep), 0 if users else -1)
        if index >= 0:
            self.table.selectRow(index)
        self._selection_changed()
        self.sig_loaded.emit(len(users))

    def selected(self) -> UserInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.users):
            return None
        return self.users[rows[0].row()]

    def _selection_changed(self) -> None:
        user = self.selected()
        for button in (self.disable_button, self.reset_button, self.roles_button):
            button.setEnabled(user is not None)
        self.disable_button.setText("&Enable" if user is not None and user.disabled else "&Disable")

    def _done(self, text: str, select: str) -> None:
        self.message.show_message("")
        self.status.setText(text)
        self.refresh(select)
        self.sig_changed.emit(text)

    # -- changing --------------------------------------------------------------------------------
    def _open_form(self, mode: str, user: UserInfo | None, done: str) -> UserFormDialog:
        self.message.show_message("")
        self.form = UserFormDialog(self.ctx, self.runner, mode, self.providers, user, self)
        form = self.form

        def accepted() -> None:
            changed = form.result_user
            if changed is not None:
                self._done(done.format(name=changed.username), changed.username)

        form.accepted.connect(accepted)
        form.open()
        return form

    def add_user(self) -> UserFormDialog:
        return self._open_form(
            UserFormDialog.ADD, None, "Added {name}: they must choose their own password when they first sign in."
        )

    def change_roles(self) -> UserFormDialog | None:
        user = self.selected()
        if user is None:
            return None
        return self._open_form(UserFormDialog.ROLES, user, "Changed the roles of {name}.")

    def reset_password(self) -> UserFormDialog | None:
        user = self.selected()
        if user is None:
            return None
        return self._open_form(
            UserFormDialog.PASSWORD, user, "New password for {name}, who must change it at the next sign-in."
        )

    def toggle_disabled(self) -> None:
        user = self.selected()
        if user is None:
            return
        disable = not user.disabled
        if disable and not ask_confirmation(
            self,
            "Disable user",
            f"Disable {user.username}? They can no longer sign in; their records and the audit trail "
            "keep their name. You can enable the account again later.",
        ):
            return
        name = user.username
        Op(self, lambda: self.service.set_disabled(name, disable)).changes(Changed.USERS).success(
            lambda _info: self._done(f"{'Disabled' if disable else 'Enabled'} {name}.", name)
        ).errors_in(self.message.show_message).run_in(self.runner)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter on the list changes the selected user's roles rather than closing the dialog.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.table.hasFocus():
            self.change_roles()
            return
        super().keyPressEvent(event)
