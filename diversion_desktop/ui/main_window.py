"""The main window of the signed-in user: only the tabs and actions their roles may use.

It is built once someone has signed in (ui/app.py), for that person: a station user lands on
Find person, a support worker on their centres' referrals awaiting a first appointment, a
coordinator on the queues, an administrator without case work on the administration page
(``RoleView.landing``). Pages other than the first are built the first time they are shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMenu, QMessageBox, QTabWidget, QWidget

from diversion_desktop import __version__
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import Queue
from diversion_desktop.ui.changes import Changed, Changes
from diversion_desktop.ui.operations import Op
from diversion_desktop.ui.role_view import RoleView
from diversion_desktop.ui.settings import Settings
from diversion_desktop.ui.tasks import TaskRunner
from diversion_desktop.ui.widgets import LazyPage

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from diversion_desktop.services.context import AppContext
    from diversion_desktop.services.dto import PersonRecord, SavedReferral
    from diversion_desktop.ui.appointments_view import AppointmentsView
    from diversion_desktop.ui.intake_form import IntakeForm
    from diversion_desktop.ui.queues_view import QueuesView
    from diversion_desktop.ui.referral_list import ReferralListView
    from diversion_desktop.ui.referral_page import ReferralPage
    from diversion_desktop.ui.search_panel import SearchPanel
    from diversion_desktop.ui.session_lock import SessionLock

# The tabs, in their order: (name, title). RoleView says which of them a user sees.
TABS: tuple[tuple[str, str], ...] = (
    ("search", "&Find person"),
    ("intake", "New &referral"),
    ("referral", "Referral &page"),
    ("appointments", "&Appointments"),
    ("queues", "&Queues"),
    ("referral_list", "All referra&ls"),
    ("evaluation", "E&valuation"),
)


def _backup_dialog():  # noqa: ANN202 - the module
    from diversion_desktop.ui import backup_dialog

    return backup_dialog


class MainWindow(QMainWindow):
    sig_demo_filled = Signal(dict)
    sig_signed_out = Signal(str)  # "sign in" (Account → Sign out) or "quit" (from the lock screen)

    def __init__(self, ctx: AppContext, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.settings = settings
        self.principal = ctx.require()  # built for someone signed in, and only for them
        self.role_view = RoleView(self.principal)
        self.runner = TaskRunner(self)
        self.runner.on_account_revoked = self._account_revoked
        self.runner.data_changed.changed.connect(self._data_changed)  # (each page listens for itself)
        self.setObjectName("mainWindow")

        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        builders = {
            "search": self._build_search,
            "intake": self._build_intake,
            "referral": self._build_referral,
            "appointments": self._build_appointments,
            "queues": self._build_queues,
            "referral_list": self._build_referral_list,
            "evaluation": self._build_evaluation,
        }
        # Each permitted page, built the first time it is shown or asked for (the properties below).
        self._pages: dict[str, LazyPage] = {}
        for name, title in TABS:
            if self.role_view.shows_tab(name):
                self._pages[name] = LazyPage(builders[name], in_tabs=self.tabs)
                self.tabs.addTab(self._pages[name], title)
        self.admin_page: QWidget | None = None
        if self.role_view.may_administer():
            self._add_admin_page(self.principal.label)
        self.tabs.setTabBarAutoHide(True)  # one page only (an administrator without case work): no tab bar
        self.setCentralWidget(self.tabs)

        self.counts_label = QLabel()
        self.counts_label.setObjectName("queueCounts")
        self.statusBar().addPermanentWidget(self.counts_label)
        self.user_label = QLabel(f"Signed in: {self.principal.label}")
        self.user_label.setObjectName("signedInUser")
        self.user_label.setContentsMargins(16, 0, 4, 0)  # apart from the queue counts beside it
        self.statusBar().addPermanentWidget(self.user_label)
        self.signed_out = ""  # why the window closed, if by signing out (sig_signed_out's value)
        self._discarding = False  # the person chose to leave a half-typed referral unsaved

        self._menus()
        self.role_view.apply(self)
        self._data_protection_menu()
        self.setWindowTitle(
            " — ".join(
                part
                for part in (
                    "Diversion Desktop",
                    self.principal.display_name or self.principal.username,
                    ctx.database_label,
                )
                if part
            )
        )
        geometry = settings.window_geometry
        if geometry is None or not self.restoreGeometry(geometry):  # a broken setting: the default size
            self.resize(1280, 820)
        self.session_lock = self._make_session_lock()
        self.lock_action.setEnabled(self.session_lock.available)
        self.counts_label.setVisible(self.role_view.may(Permission.VIEW_BOOKING_QUEUE))
        self._land()
        if self._built("queues") is None:  # (the queues, when they are the first page, count as they load)
            self.refresh_counts()

    def _land(self) -> None:
        """Open the page this person's day starts on."""
        landing = self.role_view.landing()
        if landing == "administration" and self.admin_page is not None:
            self.tabs.setCurrentWidget(self.admin_page)
        elif landing in self._pages:
            self.tabs.setCurrentWidget(self._page(landing))
            if landing == "search":
                self.search.focus_search()

    def _data_protection_menu(self) -> None:
        """Merge, undo, subject access, legal hold, retention: for those who may use one of them
        (each action shows itself only to a principal with its permission: ui/data_protection.py)."""
        wanted = any(
            self.role_view.may(p)
            for p in (
                Permission.MERGE_PEOPLE,
                Permission.SUBJECT_ACCESS,
                Permission.SET_LEGAL_HOLD,
                Permission.RETENTION,
            )
        )
        if wanted and not self.data_menu.actions():
            from diversion_desktop.ui.data_protection import add_data_protection_actions

            add_data_protection_actions(self, self.data_menu)
        self.data_menu.menuAction().setVisible(wanted)

    def _make_session_lock(self) -> SessionLock:
        from diversion_desktop.ui.session_lock import SessionLock

        lock = SessionLock(self, self.ctx, self.settings.idle_lock_minutes * 60_000)
        lock.sig_signed_out.connect(lambda: self._signed_out("quit"))
        lock.sig_locked.connect(lambda: self.lock_action.setEnabled(False))
        lock.sig_unlocked.connect(lambda: self.lock_action.setEnabled(True))
        return lock

    def _add_admin_page(self, who: str) -> None:
        from diversion_desktop.ui.admin_page import AdminPage

        may = self.role_view.may
        entries = [
            entry
            for entry, permission in (
                (
                    (
                        "&Users…",
                        "Add users, give them roles, disable them, reset a forgotten password.",
                        self.show_users,
                    ),
                    Permission.MANAGE_USERS,
                ),
                (
                    (
                        "Audit &trail…",
                        "Who did what and when, by user, person, period or action; check that "
                        "nothing was changed; export.",
                        self.show_audit_trail,
                    ),
                    Permission.VIEW_AUDIT,
                ),
                (
                    (
                        "&Back up the database…",
                        "A copy of every record, encrypted with a password.",
                        lambda: self.backup_action.trigger(),
                    ),
                    Permission.BACKUP,
                ),
                (
                    (
                        "R&estore a backup…",
                        "Into a new database file; the one in use is never replaced.",
                        lambda: self.restore_action.trigger(),
                    ),
                    Permission.BACKUP,
                ),
            )
            if may(permission)
        ]
        self.admin_page = AdminPage(who, entries)
        self.tabs.addTab(self.admin_page, "Adm&inistration")

    # -- the tabs, built on first use -------------------------------------------------------
    def _page(self, name: str) -> QWidget:
        """The page of tab ``name``, built if need be (KeyError: this user has no such tab)."""
        return self._pages[name].ensure_built()

    @property
    def search(self) -> SearchPanel:
        return self._page("search")  # type: ignore[return-value]  # the page built for this tab is this class

    @property
    def intake(self) -> IntakeForm:
        return self._page("intake")  # type: ignore[return-value]  # the page built for this tab is this class

    @property
    def referral(self) -> ReferralPage:
        return self._page("referral")  # type: ignore[return-value]  # the page built for this tab is this class

    @property
    def appointments(self) -> AppointmentsView:
        return self._page("appointments")  # type: ignore[return-value]  # the page built for this tab is this class

    @property
    def queues(self) -> QueuesView:
        return self._page("queues")  # type: ignore[return-value]  # the page built for this tab is this class

    @property
    def referral_list(self) -> ReferralListView:
        return self._page("referral_list")  # type: ignore[return-value]  # the page built for this tab is this class

    @property
    def evaluation(self) -> QWidget:
        return self._page("evaluation")

    def _built(self, name: str) -> QWidget | None:
        """The tab's page if it has been built (without building it)."""
        page = self._pages.get(name)
        return page.page if page is not None else None

    def _build_search(self) -> QWidget:
        from diversion_desktop.ui.search_panel import SearchPanel

        page = SearchPanel(self.ctx, self.runner)
        page.sig_new_referral_for.connect(self.new_referral_for)
        page.sig_open_referral.connect(self.open_referral)
        return page

    def _build_referral(self) -> QWidget:
        from diversion_desktop.ui.referral_page import ReferralPage

        return ReferralPage(self.ctx, self.runner)

    def _build_appointments(self) -> QWidget:
        from diversion_desktop.ui.appointments_view import AppointmentsView

        page = AppointmentsView(self.ctx, self.runner, self.settings)
        page.sig_open_referral.connect(self.open_referral)
        return page

    def _build_queues(self) -> QWidget:
        from diversion_desktop.ui.queues_view import QueuesView

        page = QueuesView(self.ctx, self.runner)
        page.sig_open_referral.connect(self.open_referral)
        page.sig_counts.connect(self._show_counts)
        return page

    def _build_referral_list(self) -> QWidget:
        from diversion_desktop.ui.referral_list import ReferralListView

        page = ReferralListView(self.ctx, self.runner)  # reads nothing until first shown
        page.sig_open_referral.connect(self.open_referral)
        return page

    def _build_intake(self) -> QWidget:
        from diversion_desktop.ui.intake_form import IntakeForm

        page = IntakeForm(self.ctx, self.runner, self.settings)
        page.sig_saved.connect(self._referral_saved)
        return page

    def _action(
        self, menu: QMenu, text: str, slot: Callable[[], object], shortcut: QKeySequence | str | None = None
    ) -> QAction:
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
        self.backup_action = self._action(
            file_menu, "&Back up database…", lambda: _backup_dialog().open_backup_dialog(self.ctx, self.runner, self)
        )
        self.restore_action = self._action(
            file_menu, "&Restore a backup…", lambda: _backup_dialog().open_restore_dialog(self.ctx, self.runner, self)
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q")  # (the platform's Quit key is none on Windows)
        referral_menu = bar.addMenu("&Referral")
        self.new_action = self._action(referral_menu, "&New referral", self.new_referral, "Ctrl+N")
        self.save_action = self._action(referral_menu, "&Save referral", self.save_referral, "Ctrl+S")
        documents_menu = bar.addMenu("&Documents")
        self.day_letters_action = self._action(
            documents_menu, "Print &appointment letters for the chosen centre and day…", self._print_day_letters
        )
        self.missed_notices_action = self._action(
            documents_menu,
            "Print &missed-appointment notices for today…",
            lambda: self.appointments.print_missed_notices(self.ctx.today()),
        )
        view_menu = bar.addMenu("&View")
        self.show_search_action = self._action(view_menu, "&Find person", self.show_search, "Ctrl+F")
        self.show_referral_action = self._action(
            view_menu, "&Referral page", lambda: self.tabs.setCurrentWidget(self.referral), "Ctrl+3"
        )
        self.show_appointments_action = self._action(view_menu, "&Appointments", self.show_appointments, "Ctrl+4")
        self.show_queues_action = self._action(view_menu, "&Queues", self.show_queues, "Ctrl+5")
        self.show_evaluation_action = self._action(view_menu, "E&valuation", self.show_evaluation, "Ctrl+6")
        self.show_referral_list_action = self._action(view_menu, "All referra&ls", self.show_referral_list, "Ctrl+7")
        self.refresh_action = self._action(view_menu, "Re&fresh", self.refresh_all, QKeySequence.StandardKey.Refresh)
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
        self.about_action = self._action(help_menu, "&About", self._about)

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

    def refresh_all(self) -> None:
        """View → Refresh: the queues, an opened list and the counts read again (as after a change
        to referrals made elsewhere)."""
        self.runner.data_changed.announce(Changes(Changed.REFERRALS))

    def _data_changed(self, changes: Changes) -> None:
        if changes.what & ~Changed.USERS:  # the counts are the queues': any change to case work
            self.refresh_counts()

    # -- queue counts ----------------------------------------------------------------
    def refresh_counts(self) -> None:
        if not self.role_view.may(Permission.VIEW_BOOKING_QUEUE):  # the counts are the queues'
            return
        ctx = self.ctx

        def counts() -> dict:
            from diversion_desktop.services.referrals import ReferralService  # on the worker

            return ReferralService(ctx).queue_counts()

        Op(self, counts).success(self._show_counts).run_in(self.runner)

    def _show_counts(self, counts: dict) -> None:
        """The count of each queue this user works (a support worker's: awaiting a first appointment)."""
        titles = (
            (Queue.AWAITING_APPOINTMENT, "Awaiting first appointment"),
            (Queue.OVERDUE, "Overdue"),
            (Queue.AWAITING_CONFIRMATION, "Awaiting confirmation"),
        )
        self.counts_label.setText("   ".join(f"{title}: {counts[name]}" for name, title in titles if name in counts))

    # -- import ----------------------------------------------------------------------------
    def import_records(self) -> None:
        from diversion_desktop.ui.import_dialog import open_import_dialog  # spreadsheet readers: on first use

        open_import_dialog(self.ctx, self.runner, self)  # (what it writes is announced: the pages read again)

    # -- sample data -----------------------------------------------------------------
    def fill_demo(self) -> None:
        def empty() -> bool:
            from diversion_desktop.sample_data.demo import is_empty

            return is_empty(self.ctx)

        Op(self, empty).success(self._ask_demo).run_in(self.runner)

    def _ask_demo(self, empty: bool) -> None:
        # (Their Python types are made on first use: not before the window is first painted.)
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox, QProgressDialog

        if not empty:
            QMessageBox.information(
                self,
                "Sample data",
                "This database already holds people. Sample data goes into a fresh "
                "database only, so it can never mix with real records.",
            )
            return
        progress = QProgressDialog("Creating sample people and referrals…", "", 0, 400, self)
        progress.setObjectName("demoProgress")
        progress.setWindowTitle("Sample data")
        progress.setCancelButton(None)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)

        def done(counts: dict) -> None:
            progress.close()
            self.statusBar().showMessage(f"Sample data added: {sum(counts.values())} referrals.", 10000)
            self.sig_demo_filled.emit(counts)

        def failed(error: BaseException) -> bool:
            progress.close()
            QMessageBox.warning(self, "Sample data", str(error))
            return True

        ctx = self.ctx

        def sample(report: Callable[[int, int], None]) -> dict:
            from diversion_desktop.sample_data.demo import fill

            return fill(ctx, progress=report)

        Op(self, sample).with_progress(
            lambda done, total: (progress.setMaximum(total), progress.setValue(done))
        ).disabling(self.demo_action).changes(Changed.ALL).success(done).failure(failed).run_in(self.runner)

    def _about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.about(
            self,
            "About Diversion Desktop",
            f"Diversion Desktop {__version__}\nDatabase: {self.ctx.database_label}\n"
            f"Schemes: {', '.join(s.area for s in self.ctx.schemes)}",
        )

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
        """Sign out and close the window; ui/app.py then asks who signs in next. A half-typed
        referral is saved or discarded first, as at closing."""
        if not self._may_leave(then="sign in"):
            return

        def signed_out(_none: object = None) -> None:
            self._signed_out("sign in")

        def failed(_error: BaseException) -> bool:  # the audit row could not be written: still sign out
            self.ctx.sign_in_as(None)
            signed_out()
            return True

        def work() -> None:
            from diversion_desktop.services.users import UserService

            UserService(self.ctx).sign_out()

        Op(self, work).success(signed_out).failure(failed).run_in(self.runner)

    def _account_revoked(self, error: BaseException) -> None:
        """An action was refused because an administrator disabled this account (or set its
        password) meanwhile: say so, then sign out, without asking about unsaved work (it could
        not be saved any more)."""
        if self.findChild(QMessageBox, "accountRevoked") is not None:
            return  # said already: several actions were refused at once
        box = QMessageBox(QMessageBox.Icon.Warning, "Signed out", str(error), QMessageBox.StandardButton.Ok, self)
        box.setObjectName("accountRevoked")
        box.finished.connect(lambda _result: self._signed_out_revoked())
        box.open()

    def _signed_out_revoked(self) -> None:
        from diversion_desktop.services.context import current_user_name

        self.ctx.sign_in_as(None)
        self.ctx.user = current_user_name()  # the next refusals are the workstation's, as after Sign out
        self._signed_out("sign in")

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

    def has_unsaved_work(self) -> bool:
        intake = self._built("intake")
        return intake is not None and intake.has_unsaved_work()  # type: ignore[attr-defined]  # the intake page is an IntakeForm

    def closeEvent(self, event: QCloseEvent) -> None:
        # (A sign-out has asked already; so has a close the person chose to go on with.)
        if not self.signed_out and not self._may_leave(then="quit"):
            event.ignore()
            return
        self.settings.window_geometry = self.saveGeometry()
        self.settings.sync()
        self.session_lock.stop()
        self.runner.shutdown()
        super().closeEvent(event)
        QApplication.quit()  # the window's end is the event loop's, whatever other window is open

    def _may_leave(self, then: str) -> bool:
        """Never lose a half-typed referral without asking. True if there is none (or the person
        chose to discard it); else ask Save / Discard / Cancel and ``then`` ("quit" or "sign in")
        carry on once answered: Discard goes on at once, Save once the referral is saved (refused:
        its errors show at the fields and the window stays), Cancel stays. (Signing out from the
        lock screen closes without asking: the person chose it there.)"""
        if self._discarding or not self.has_unsaved_work():
            return True
        self.tabs.setCurrentWidget(self.intake)
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved referral",
            "The new referral has not been saved. Save it first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("unsavedWorkQuestion")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.finished.connect(lambda answer: self._unsaved_answered(answer, then))
        box.open()  # (not exec: a close event is not the place for a loop of its own)
        return False

    def _unsaved_answered(self, answer: int, then: str) -> None:
        go_on = self.close if then == "quit" else self.sign_out
        if answer == QMessageBox.StandardButton.Discard:
            self._discarding = True
            go_on()
        elif answer == QMessageBox.StandardButton.Save:

            def saved(_saved: object) -> None:
                self.intake.sig_saved.disconnect(saved)
                go_on()

            self.intake.sig_saved.connect(saved)
            self.intake.save()
