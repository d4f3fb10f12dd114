"""The main window: find a person, take a referral, work appointments and queues.

Start-up builds the New referral form only; every other tab is built, and its module loaded, the
first time it is shown or asked for (``window.queues`` and the like build it), so nothing here may
import a view, a service or SQLAlchemy at module level. Find person, the tab current when the
window is shown, is built when it is first painted (``PaintedLazyPage``): a window switched to the
form before its first paint (Ctrl+N) never paints it, and its tables are what would make PySide
build its whole ``Qt`` namespace (see ui/intake_form.py) before the form could be painted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

from diversion_desktop import __version__
from diversion_desktop.ui.intake_form import IntakeForm
from diversion_desktop.ui.opening import is_opening
from diversion_desktop.ui.settings import Settings
from diversion_desktop.ui.tasks import TaskRunner
from diversion_desktop.ui.widgets import LazyPage, PaintedLazyPage

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from diversion_desktop.services.context import AppContext
    from diversion_desktop.services.dto import PersonRecord, SavedReferral
    from diversion_desktop.ui.appointments_view import AppointmentsView
    from diversion_desktop.ui.queues_view import QueuesView
    from diversion_desktop.ui.referral_list import ReferralListView
    from diversion_desktop.ui.referral_page import ReferralPage
    from diversion_desktop.ui.role_view import RoleView
    from diversion_desktop.ui.search_panel import SearchPanel
    from diversion_desktop.ui.session_lock import SessionLock


def _backup_dialog():  # noqa: ANN202 - the module
    from diversion_desktop.ui import backup_dialog  # its services load SQLAlchemy: on first use

    return backup_dialog


class ProgressRelay(QObject):
    """Carries progress from the worker thread to the GUI thread (a queued signal)."""

    sig_progress = Signal(int, int)


class MainWindow(QMainWindow):
    sig_demo_filled = Signal(dict)
    sig_signed_out = Signal(str)  # "sign in" (Account → Sign out) or "quit" (from the lock screen)

    def __init__(self, ctx: AppContext, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.settings = settings
        # Who is signed in: _apply_principal, once known. (The roles' tables, and the permissions
        # they name, are loaded then: not before the first paint.)
        self._role_view: RoleView | None = None
        self.runner = TaskRunner(self)
        self.setObjectName("mainWindow")
        self._show_title()

        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self._search = PaintedLazyPage(self._build_search, in_tabs=self.tabs)
        self.intake = IntakeForm(ctx, self.runner, settings)
        # Built when first shown or asked for (the properties below), each then in its tab itself.
        self._later = {name: LazyPage(build, in_tabs=self.tabs) for name, build in (
            ("referral", self._build_referral), ("appointments", self._build_appointments),
            ("queues", self._build_queues), ("referral_list", self._build_referral_list))}
        self.evaluation = LazyPage(self._build_evaluation)
        for widget, title in ((self._search, "&Find person"), (self.intake, "New &referral"),
                              (self._later["referral"], "Referral &page"),
                              (self._later["appointments"], "&Appointments"),
                              (self._later["queues"], "&Queues"), (self._later["referral_list"], "All referra&ls"),
                              (self.evaluation, "E&valuation")):
            self.tabs.addTab(widget, title)
        self.setCentralWidget(self.tabs)

        self.counts_label = QLabel()
        self.counts_label.setObjectName("queueCounts")
        self.statusBar().addPermanentWidget(self.counts_label)
        self.user_label = QLabel()
        self.user_label.setObjectName("signedInUser")
        self.user_label.setContentsMargins(16, 0, 4, 0)  # apart from the queue counts beside it
        self.statusBar().addPermanentWidget(self.user_label)
        self.admin_page: QWidget | None = None
        self.signed_out = ""  # why the window closed, if by signing out (sig_signed_out's value)

        self._wire()
        self._menus()
        # Made once someone is signed in (_apply_principal): before, there is no one to lock out,
        # and its module (the lock dialog, the sign-in's widgets) need not load before the first paint.
        self.session_lock: SessionLock | None = None
        geometry = settings.window_geometry
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        if is_opening(ctx):  # the window is up before the database is open (ui/app.py)
            self.statusBar().showMessage("Opening the database…")
            ctx.opening.listen(self._database_opened)
        else:
            self._apply_principal()
            self.refresh_counts()

    def _data_protection_menu(self) -> None:
        """Merge, undo, subject access, legal hold, retention: for those who may use one of them
        (each action shows itself only to a principal with its permission: ui/data_protection.py)."""
        from diversion_desktop.domain.permissions import Permission

        wanted = any(self.role_view.may(p) for p in (Permission.MERGE_PEOPLE, Permission.SUBJECT_ACCESS,
                                                     Permission.SET_LEGAL_HOLD, Permission.RETENTION))
        if wanted and not self.data_menu.actions():
            from diversion_desktop.ui.data_protection import add_data_protection_actions

            add_data_protection_actions(self, self.data_menu, on_changed=self._data_changed)
        self.data_menu.menuAction().setVisible(wanted)

    def _show_title(self) -> None:
        label = "" if is_opening(self.ctx) else self.ctx.database_label
        principal = self._role_view.principal if self._role_view is not None else None
        who = (principal.display_name or principal.username) if principal is not None else ""
        parts = ["Diversion Desktop", *(part for part in (who, label) if part)]
        self.setWindowTitle(" — ".join(parts))

    def _database_opened(self, error: BaseException | None) -> None:
        if error is None:
            self._apply_principal()
            self.statusBar().clearMessage()
            self.refresh_counts()

    # -- who is signed in ------------------------------------------------------------------
    def _apply_principal(self) -> None:
        """Show what the signed-in principal may use (ui/role_view.py), and who they are."""
        from diversion_desktop.domain.permissions import Permission
        from diversion_desktop.ui.role_view import RoleView

        principal = self.ctx.principal
        self._role_view = RoleView(principal)
        if self.role_view.may_administer() and self.admin_page is None:
            self._add_admin_page(principal.label if principal is not None else "")
        self._data_protection_menu()
        self.role_view.apply(self, self.tabs, self._tab_page)
        if self._search.page is not None:  # (one built later asks the context itself)
            self.search.show_permitted(principal)
        self.user_label.setText(f"Signed in: {principal.label}" if principal is not None else "Not signed in")
        self.counts_label.setVisible(self.role_view.may(Permission.WORK_QUEUES))
        lock = self._session_lock()
        self.lock_action.setEnabled(lock.available)
        lock.arm()
        self._show_title()

    @property
    def role_view(self) -> RoleView:
        """What the signed-in principal may see and use: nothing until someone is known."""
        if self._role_view is None:
            from diversion_desktop.ui.role_view import RoleView

            self._role_view = RoleView(None)
        return self._role_view

    def _session_lock(self) -> SessionLock:
        if self.session_lock is None:
            from diversion_desktop.ui.session_lock import SessionLock

            lock = SessionLock(self, self.ctx, self.settings.idle_lock_minutes * 60_000)
            lock.sig_signed_out.connect(lambda: self._signed_out("quit"))
            lock.sig_locked.connect(lambda: self.lock_action.setEnabled(False))
            lock.sig_unlocked.connect(lambda: self.lock_action.setEnabled(True))
            self.session_lock = lock
        return self.session_lock

    def _tab_page(self, name: str) -> QWidget | None:
        """The widget in the tab called ``name``, without building a page not built yet."""
        later = self._search if name == "search" else self._later.get(name)
        if later is not None:
            return later.page or later
        return getattr(self, name, None)

    def _add_admin_page(self, who: str) -> None:
        from diversion_desktop.domain.permissions import Permission
        from diversion_desktop.ui.admin_page import AdminPage

        may = self.role_view.may
        entries = [entry for entry, permission in (
            (("&Users…", "Add users, give them roles, disable them, reset a forgotten password.",
              self.show_users), Permission.MANAGE_USERS),
            (("Audit &trail…", "Who did what and when, by user, person, period or action; check that "
              "nothing was changed; export.", self.show_audit_trail), Permission.VIEW_AUDIT),
            (("&Back up the database…", "A copy of every record, encrypted with a password.",
              lambda: self.backup_action.trigger()), Permission.BACKUP),
            (("R&estore a backup…", "Into a new database file; the one in use is never replaced.",
              lambda: self.restore_action.trigger()), Permission.BACKUP),
        ) if may(permission)]
        self.admin_page = AdminPage(who, entries)
        self.tabs.addTab(self.admin_page, "Adm&inistration")

    # -- the tabs built on first use ---------------------------------------------------
    @property
    def search(self) -> SearchPanel:
        return self._search.ensure_built()  # type: ignore[return-value]

    @property
    def referral(self) -> ReferralPage:
        return self._later["referral"].ensure_built()  # type: ignore[return-value]

    @property
    def appointments(self) -> AppointmentsView:
        return self._later["appointments"].ensure_built()  # type: ignore[return-value]

    @property
    def queues(self) -> QueuesView:
        return self._later["queues"].ensure_built()  # type: ignore[return-value]

    @property
    def referral_list(self) -> ReferralListView:
        return self._later["referral_list"].ensure_built()  # type: ignore[return-value]

    def _built(self, name: str) -> QWidget | None:
        """The tab's page if it has been built (without building it)."""
        return self._later[name].page

    def _build_search(self) -> QWidget:
        from diversion_desktop.ui.search_panel import SearchPanel

        page = SearchPanel(self.ctx, self.runner)
        page.sig_new_referral_for.connect(self.new_referral_for)
        page.sig_open_referral.connect(self.open_referral)
        return page

    def _build_referral(self) -> QWidget:
        from diversion_desktop.ui.referral_page import ReferralPage

        page = ReferralPage(self.ctx, self.runner)
        page.sig_changed.connect(lambda _id: self._data_changed())
        return page

    def _build_appointments(self) -> QWidget:
        from diversion_desktop.ui.appointments_view import AppointmentsView

        page = AppointmentsView(self.ctx, self.runner, self.settings)
        page.sig_open_referral.connect(self.open_referral)
        page.sig_changed.connect(lambda _id: self._data_changed())
        page.sig_changed.connect(self._appointment_changed)
        return page

    def _build_queues(self) -> QWidget:
        from diversion_desktop.ui.queues_view import QueuesView

        page = QueuesView(self.ctx, self.runner)
        page.sig_open_referral.connect(self.open_referral)
        page.sig_counts.connect(self._show_counts)
        page.sig_changed.connect(lambda _id: self.refresh_counts())
        return page

    def _build_referral_list(self) -> QWidget:
        from diversion_desktop.ui.referral_list import ReferralListView

        page = ReferralListView(self.ctx, self.runner)  # reads nothing until first shown
        page.sig_open_referral.connect(self.open_referral)
        return page

    def _wire(self) -> None:  # the tabs built later are wired as they are built (_build_...)
        self.intake.sig_saved.connect(self._referral_saved)

    def _appointment_changed(self, referral_id: int) -> None:
        # An open referral page offers a missed-appointment notice as soon as it is due.
        referral = self._built("referral")
        if referral is not None:
            referral.refresh_if_showing(referral_id)  # type: ignore[attr-defined]

    def _action(self, menu, text: str, slot, shortcut: QKeySequence | str | None = None) -> QAction:  # noqa: ANN001
        action = QAction(self)  # then its text: QAction(text, parent)'s overloads make PySide build QIcon's type
        action.setText(text)
        if shortcut is not None:  # (a window shortcut: QAction's default context)
            # As setShortcut does; that overload makes PySide build its Qt namespace (ui/intake_form.py).
            sequence = QKeySequence(shortcut)
            action.setShortcuts([sequence] if not sequence.isEmpty() else [])
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.import_action = self._action(file_menu, "&Import records…", self.import_records, "Ctrl+I")
        self.demo_action = self._action(file_menu, "Fill with &sample data…", self.fill_demo)
        self.backup_action = self._action(file_menu, "&Back up database…",
                                          lambda: _backup_dialog().open_backup_dialog(self.ctx, self.runner, self))
        self.restore_action = self._action(file_menu, "&Restore a backup…",
                                           lambda: _backup_dialog().open_restore_dialog(self.ctx, self.runner, self))
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        referral_menu = bar.addMenu("&Referral")
        self.new_action = self._action(referral_menu, "&New referral", self.new_referral, "Ctrl+N")
        self.save_action = self._action(referral_menu, "&Save referral", self.save_referral, "Ctrl+S")
        documents_menu = bar.addMenu("&Documents")
        self.day_letters_action = self._action(
            documents_menu, "Print &appointment letters for the chosen centre and day…", self._print_day_letters)
        self.missed_notices_action = self._action(
            documents_menu, "Print &missed-appointment notices for today…",
            lambda: self.appointments.print_missed_notices(self.ctx.today()))
        view_menu = bar.addMenu("&View")
        self.show_search_action = self._action(view_menu, "&Find person", self.show_search, "Ctrl+F")
        self.show_referral_action = self._action(view_menu, "&Referral page",
                                                 lambda: self.tabs.setCurrentWidget(self.referral), "Ctrl+3")
        self.show_appointments_action = self._action(view_menu, "&Appointments", self.show_appointments, "Ctrl+4")
        self.show_queues_action = self._action(view_menu, "&Queues", self.show_queues, "Ctrl+5")
        self.show_evaluation_action = self._action(view_menu, "E&valuation", self.show_evaluation, "Ctrl+6")
        self.show_referral_list_action = self._action(view_menu, "All referra&ls", self.show_referral_list,
                                                      "Ctrl+7")
        self.refresh_action = self._action(view_menu, "Re&fresh", self._data_changed,
                                           QKeySequence.StandardKey.Refresh)
        # Filled once someone is signed in (its dialogs load the services: not before the first paint).
        self.data_menu = bar.addMenu("Data &protection")
        self.data_menu.menuAction().setVisible(False)
        admin_menu = bar.addMenu("Ad&ministration")
        self.users_action = self._action(admin_menu, "&Users…", self.show_users)
        self.audit_action = self._action(admin_menu, "&Audit trail…", self.show_audit_trail)
        # "A&ccount", not "&Account": Alt+A is the Appointments tab's.
        account_menu = bar.addMenu("A&ccount")
        self.change_password_action = self._action(account_menu, "&Change password…", self.change_password)
        self.lock_action = self._action(account_menu, "&Lock now", self.lock_now, "Ctrl+L")
        account_menu.addSeparator()
        self.sign_out_action = self._action(account_menu, "&Sign out", self.sign_out)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About", self._about)

    # -- navigation ------------------------------------------------------------------
    def show_search(self) -> None:
        self.tabs.setCurrentWidget(self.search)
        self.search.focus_search()

    def new_referral(self) -> None:
        self.tabs.setCurrentWidget(self.intake)
        self.intake.surname.setFocus()

    def new_referral_for(self, person: PersonRecord) -> None:
        self.intake.clear()
        self.intake.load_person(person)
        self.tabs.setCurrentWidget(self.intake)
        self.intake.incident_at.setFocus()

    def save_referral(self) -> None:
        if self.tabs.currentWidget() is not self.intake:
            self.tabs.setCurrentWidget(self.intake)
        self.intake.save()

    def open_referral(self, referral_id: int) -> None:
        self.referral.show_referral(referral_id)
        self.tabs.setCurrentWidget(self.referral)

    def show_appointments(self) -> None:
        if self._built("appointments") is not None:  # one just built reads as it is built
            self.appointments.refresh()
        self.tabs.setCurrentWidget(self.appointments)

    def _build_evaluation(self) -> QWidget:
        from diversion_desktop.ui.evaluation_view import EvaluationView  # charts and statistics: on first use

        return EvaluationView(self.ctx, self.runner)

    def show_evaluation(self) -> None:
        self.tabs.setCurrentWidget(self.evaluation)

    def show_referral_list(self) -> None:
        self.tabs.setCurrentWidget(self.referral_list)
        self.referral_list.setFocus()

    def _print_day_letters(self) -> None:
        self.tabs.setCurrentWidget(self.appointments)
        self.appointments.print_day_letters()

    def show_queues(self) -> None:
        if self._built("queues") is not None:  # one just built reads as it is built
            self.queues.refresh()
        self.tabs.setCurrentWidget(self.queues)

    def _referral_saved(self, saved: SavedReferral) -> None:
        self.statusBar().showMessage(f"Saved {saved.reference}.", 10000)
        self.open_referral(saved.id)
        self._data_changed()

    def _data_changed(self) -> None:
        queues = self._built("queues")
        if queues is not None:  # queues not built yet read when they are
            queues.refresh()  # type: ignore[attr-defined]
        referral_list = self._built("referral_list")
        if referral_list is not None and referral_list.model.loaded:  # type: ignore[attr-defined]
            referral_list.refresh()  # type: ignore[attr-defined]  # a list never opened stays unread
        self.refresh_counts()

    # -- queue counts ----------------------------------------------------------------
    def refresh_counts(self) -> None:
        from diversion_desktop.domain.permissions import Permission

        if not self.role_view.may(Permission.WORK_QUEUES):  # the counts are the queues'
            return
        ctx = self.ctx

        def counts() -> dict:
            from diversion_desktop.services.referrals import ReferralService  # on the worker

            return ReferralService(ctx).queue_counts()

        self.runner.run(counts, self._show_counts)

    def _show_counts(self, counts: dict) -> None:
        self.counts_label.setText(
            f"Awaiting first appointment: {counts.get('awaiting_appointment', 0)}   "
            f"Overdue: {counts.get('overdue', 0)}   "
            f"Awaiting confirmation: {counts.get('awaiting_confirmation', 0)}")

    # -- import ----------------------------------------------------------------------------
    def import_records(self) -> None:
        from diversion_desktop.ui.import_dialog import open_import_dialog  # spreadsheet readers: on first use

        dialog = open_import_dialog(self.ctx, self.runner, self)
        dialog.sig_imported.connect(lambda report: report.written and self._data_changed())

    # -- sample data -----------------------------------------------------------------
    def fill_demo(self) -> None:
        def empty() -> bool:
            from diversion_desktop.services.demo import is_empty

            return is_empty(self.ctx)

        self.runner.run(empty, self._ask_demo)

    def _ask_demo(self, empty: bool) -> None:
        # (Their Python types are made on first use: not before the window is first painted.)
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox, QProgressDialog

        if not empty:
            QMessageBox.information(self, "Sample data",
                                    "This database already holds people. Sample data goes into a fresh "
                                    "database only, so it can never mix with real records.")
            return
        progress = QProgressDialog("Creating sample people and referrals…", "", 0, 400, self)
        progress.setObjectName("demoProgress")
        progress.setWindowTitle("Sample data")
        progress.setCancelButton(None)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        relay = ProgressRelay(self)
        relay.sig_progress.connect(lambda done, total: (progress.setMaximum(total), progress.setValue(done)))
        self.demo_action.setEnabled(False)

        def done(counts: dict) -> None:
            progress.close()
            self.demo_action.setEnabled(True)
            self.statusBar().showMessage(f"Sample data added: {sum(counts.values())} referrals.", 10000)
            self._data_changed()
            appointments = self._built("appointments")
            if appointments is not None:
                appointments.refresh()  # type: ignore[attr-defined]
            self.sig_demo_filled.emit(counts)

        def failed(error: BaseException) -> None:
            progress.close()
            self.demo_action.setEnabled(True)
            QMessageBox.warning(self, "Sample data", str(error))

        def sample() -> dict:
            from diversion_desktop.services.demo import fill

            return fill(self.ctx, progress=relay.sig_progress.emit)

        self.runner.run(sample, done, failed)

    def _about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.about(self, "About Diversion Desktop",
                          f"Diversion Desktop {__version__}\nDatabase: {self.ctx.database_label}\n"
                          f"Schemes: {', '.join(s.area for s in self.ctx.schemes)}")

    # -- account and administration -----------------------------------------------------------
    def change_password(self) -> None:
        from diversion_desktop.ui.sign_in import ChangePasswordDialog

        dialog = ChangePasswordDialog(self.ctx, runner=self.runner, parent=self)
        dialog.accepted.connect(lambda: self.statusBar().showMessage("Your password has been changed.", 10000))
        dialog.open()

    def lock_now(self) -> None:
        if self.session_lock is not None:  # (none before anyone has signed in)
            self.session_lock.lock()

    def sign_out(self) -> None:
        """Sign out and close the window; ui/app.py then asks who signs in next."""
        def signed_out(_none: object = None) -> None:
            self._signed_out("sign in")

        def failed(_error: BaseException) -> None:  # the audit row could not be written: still sign out
            self.ctx.sign_in_as(None)
            signed_out()

        def work() -> None:
            from diversion_desktop.services.users import UserService

            UserService(self.ctx).sign_out()

        self.runner.run(work, signed_out, failed)

    def _signed_out(self, then: str) -> None:
        self.signed_out = then
        self.close()
        self.sig_signed_out.emit(then)

    def show_users(self) -> None:
        from diversion_desktop.ui.users_dialog import UsersDialog

        self.users_dialog = UsersDialog(self.ctx, self.runner, self)
        self.users_dialog.open()

    def show_audit_trail(self) -> None:
        from diversion_desktop.ui.audit_viewer import AuditViewer

        self.audit_viewer = AuditViewer(self.ctx, self.runner, self)
        self.audit_viewer.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.window_geometry = self.saveGeometry()
        self.settings.sync()
        if self.session_lock is not None:
            self.session_lock.stop()
        self.runner.shutdown()
        super().closeEvent(event)
