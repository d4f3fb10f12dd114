"""The main window: find a person, take a referral, work appointments and queues."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QProgressDialog, QTabWidget, QWidget

from diversion_desktop import __version__
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.demo import fill, is_empty
from diversion_desktop.services.dto import PersonRecord, SavedReferral
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.ui.appointments_view import AppointmentsView
from diversion_desktop.ui.intake_form import IntakeForm
from diversion_desktop.ui.queues_view import QueuesView
from diversion_desktop.ui.referral_list import ReferralListView
from diversion_desktop.ui.referral_page import ReferralPage
from diversion_desktop.ui.search_panel import SearchPanel
from diversion_desktop.ui.settings import Settings
from diversion_desktop.ui.tasks import TaskRunner
from diversion_desktop.ui.widgets import LazyPage


class ProgressRelay(QObject):
    """Carries progress from the worker thread to the GUI thread (a queued signal)."""

    sig_progress = Signal(int, int)


class MainWindow(QMainWindow):
    sig_demo_filled = Signal(dict)

    def __init__(self, ctx: AppContext, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.settings = settings
        self.runner = TaskRunner(self)
        self.setWindowTitle(f"Diversion Desktop — {ctx.database_label}")
        self.setObjectName("mainWindow")

        self.search = SearchPanel(ctx, self.runner)
        self.intake = IntakeForm(ctx, self.runner, settings)
        self.referral = ReferralPage(ctx, self.runner)
        self.appointments = AppointmentsView(ctx, self.runner, settings)
        self.queues = QueuesView(ctx, self.runner)
        self.referral_list = ReferralListView(ctx, self.runner)  # reads nothing until first shown
        self.evaluation = LazyPage(self._build_evaluation)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        for widget, title in ((self.search, "&Find person"), (self.intake, "New &referral"),
                              (self.referral, "Referral &page"), (self.appointments, "&Appointments"),
                              (self.queues, "&Queues"), (self.referral_list, "All referra&ls"),
                              (self.evaluation, "E&valuation")):
            self.tabs.addTab(widget, title)
        self.setCentralWidget(self.tabs)

        self.counts_label = QLabel()
        self.counts_label.setObjectName("queueCounts")
        self.statusBar().addPermanentWidget(self.counts_label)

        self._wire()
        self._menus()
        geometry = settings.window_geometry
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        self.refresh_counts()

    def _wire(self) -> None:
        self.search.sig_new_referral_for.connect(self.new_referral_for)
        self.search.sig_open_referral.connect(self.open_referral)
        self.intake.sig_saved.connect(self._referral_saved)
        self.appointments.sig_open_referral.connect(self.open_referral)
        self.queues.sig_open_referral.connect(self.open_referral)
        self.referral_list.sig_open_referral.connect(self.open_referral)
        self.queues.sig_counts.connect(self._show_counts)
        for view in (self.referral, self.appointments):
            view.sig_changed.connect(lambda _id: self._data_changed())
        self.queues.sig_changed.connect(lambda _id: self.refresh_counts())
        # An open referral page offers a missed-appointment notice as soon as it is due.
        self.appointments.sig_changed.connect(self.referral.refresh_if_showing)

    def _action(self, menu, text: str, slot, shortcut: QKeySequence | str | None = None) -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.import_action = self._action(file_menu, "&Import records…", self.import_records, "Ctrl+I")
        self.demo_action = self._action(file_menu, "Fill with &sample data…", self.fill_demo)
        from diversion_desktop.ui import backup_dialog  # light: cryptography loads on first use

        self.backup_action = self._action(file_menu, "&Back up database…",
                                          lambda: backup_dialog.open_backup_dialog(self.ctx, self.runner, self))
        self.restore_action = self._action(file_menu, "&Restore a backup…",
                                           lambda: backup_dialog.open_restore_dialog(self.ctx, self.runner, self))
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        referral_menu = bar.addMenu("&Referral")
        self.new_action = self._action(referral_menu, "&New referral", self.new_referral, "Ctrl+N")
        self.save_action = self._action(referral_menu, "&Save referral", self.save_referral, "Ctrl+S")
        documents_menu = bar.addMenu("&Documents")
        self._action(documents_menu, "Print &appointment letters for the chosen centre and day…",
                     self._print_day_letters)
        self._action(documents_menu, "Print &missed-appointment notices for today…",
                     lambda: self.appointments.print_missed_notices(self.ctx.today()))
        view_menu = bar.addMenu("&View")
        self._action(view_menu, "&Find person", self.show_search, "Ctrl+F")
        self._action(view_menu, "&Referral page", lambda: self.tabs.setCurrentWidget(self.referral), "Ctrl+3")
        self._action(view_menu, "&Appointments", self.show_appointments, "Ctrl+4")
        self._action(view_menu, "&Queues", self.show_queues, "Ctrl+5")
        self._action(view_menu, "E&valuation", self.show_evaluation, "Ctrl+6")
        self._action(view_menu, "All referra&ls", self.show_referral_list, "Ctrl+7")
        self._action(view_menu, "Re&fresh", self._data_changed, QKeySequence.StandardKey.Refresh)
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
        self.queues.refresh()
        self.tabs.setCurrentWidget(self.queues)

    def _referral_saved(self, saved: SavedReferral) -> None:
        self.statusBar().showMessage(f"Saved {saved.reference}.", 10000)
        self.open_referral(saved.id)
        self._data_changed()

    def _data_changed(self) -> None:
        self.queues.refresh()
        if self.referral_list.model.loaded:  # a list never opened stays unread
            self.referral_list.refresh()
        self.refresh_counts()

    # -- queue counts ----------------------------------------------------------------
    def refresh_counts(self) -> None:
        service = ReferralService(self.ctx)
        self.runner.run(service.queue_counts, self._show_counts)

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
        self.runner.run(lambda: is_empty(self.ctx), self._ask_demo)

    def _ask_demo(self, empty: bool) -> None:
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
            self.appointments.refresh()
            self.sig_demo_filled.emit(counts)

        def failed(error: BaseException) -> None:
            progress.close()
            self.demo_action.setEnabled(True)
            QMessageBox.warning(self, "Sample data", str(error))

        self.runner.run(lambda: fill(self.ctx, progress=relay.sig_progress.emit), done, failed)

    def _about(self) -> None:
        QMessageBox.about(self, "About Diversion Desktop",
                          f"Diversion Desktop {__version__}\nDatabase: {self.ctx.database_label}\n"
                          f"Schemes: {', '.join(s.area for s in self.ctx.schemes)}")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.window_geometry = self.saveGeometry()
        self.settings.sync()
        self.runner.shutdown()
        super().closeEvent(event)
