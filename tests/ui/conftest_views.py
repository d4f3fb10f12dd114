"""Fixtures and helpers for the appointments, referral page and queue view tests.

A real SQLite file in tmp_path, a fixed clock, private settings and one worker
per test (shut down at teardown). Referrals are made through the real services
with the clock set to the day each step happened, as the demo data does.

Test modules import the fixtures they use from here (tests/ui/conftest.py belongs
to the lead).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QMessageBox, QWidget

from diversion_desktop.domain.eligibility import SubstanceFind
from diversion_desktop.domain.intake import IntakeDraft
from diversion_desktop.domain.permissions import Role
from diversion_desktop.domain.programme import Attendance, SessionType
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.dto import SavedReferral
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.ui.settings import Settings
from diversion_desktop.ui.tasks import TaskRunner
from tests.conftest import as_role

FIXED_NOW = datetime(2026, 3, 10, 12, 0)  # a Tuesday
TODAY = FIXED_NOW.date()
WEST_BERKS = "west-berkshire"  # voluntary attendance; centres newbury, thatcham, newbury-youth
WINDSOR = "windsor-and-maidenhead"  # deferred prosecution; centres maidenhead, windsor
# The people of the corrections tests: two Cranstoun workers, a coordinator, a station officer.
SAM = as_role(Role.SUPPORT_WORKER, organisation="Cranstoun", username="sam")
ALEX = as_role(Role.SUPPORT_WORKER, organisation="Cranstoun", username="alex")
CORA = as_role(Role.COORDINATOR, username="cora")
STATION = as_role(Role.STATION_STAFF, username="pc1")


# The views' tests use the shared GUI fixtures of tests/ui/conftest.py under these names.
@pytest.fixture
def views_ctx(gui_ctx: AppContext) -> AppContext:
    assert gui_ctx.now() == FIXED_NOW
    return gui_ctx


@pytest.fixture
def views_settings(gui_settings: Settings) -> Settings:
    return gui_settings


@pytest.fixture
def views_runner(gui_runner: TaskRunner) -> TaskRunner:
    return gui_runner


# -- making data through the real services --------------------------------------------------
def at(ctx: AppContext, moment: datetime) -> AppContext:
    """The same database and schemes with the clock set to ``moment``."""
    return replace(ctx, clock=lambda: moment)


def refer(
    ctx: AppContext,
    scheme_code: str = WEST_BERKS,
    surname: str = "Smith",
    forenames: str = "Alex",
    date_of_birth: date = date(1990, 5, 1),
    taken: datetime | None = None,
    address: str = "1 Test Street, Newbury",
) -> SavedReferral:
    """An eligible, consenting referral taken at ``taken`` (default: now), of a person living at
    ``address`` ("" for no postal address)."""
    moment = taken or ctx.now()
    draft = IntakeDraft(
        scheme_code=scheme_code,
        surname=surname,
        forenames=forenames,
        date_of_birth=date_of_birth,
        address=address,
        postcode="RG14 1AA" if address else "",
        incident_at=moment - timedelta(hours=3),
        incident_place="High Street",
        crime_reference="43000001/26",
        officer_name="PC Test",
        officer_collar_number="1234",
        station="Newbury",
        substances=[SubstanceFind("cannabis", Decimal("2"), "g")],
        consent=True,
        guardian_name="Pat Guardian",
        guardian_relationship="Parent",
    )
    saved = IntakeService(at(ctx, moment)).save(draft)
    assert saved.decision == "eligible", saved.reasons
    return saved


def book(
    ctx: AppContext,
    referral_id: int,
    when: datetime,
    centre_code: str = "",
    session_type: SessionType = SessionType.ASSESSMENT,
    booked_at: datetime | None = None,
) -> int:
    moment = booked_at or min(when - timedelta(hours=2), ctx.now())
    # Sessions an hour apart (``completed``) are warned of: booked as by a user who said "book anyway".
    return ProgrammeService(at(ctx, moment)).book(referral_id, when, centre_code, session_type, confirmed=True).id


def record(ctx: AppContext, appointment_id: int, attendance: Attendance, moment: datetime) -> None:
    ProgrammeService(at(ctx, moment)).record(appointment_id, attendance)


def missed_twice(
    ctx: AppContext, scheme_code: str = WEST_BERKS, surname: str = "Missed", date_of_birth: date = date(1990, 5, 1)
) -> SavedReferral:
    """A referral taken five days ago whose two appointments were not attended: awaiting confirmation."""
    taken = FIXED_NOW - timedelta(days=5)
    saved = refer(ctx, scheme_code, surname=surname, date_of_birth=date_of_birth, taken=taken)
    for days_ago in (4, 2):
        when = datetime.combine(TODAY - timedelta(days=days_ago), time(10, 0))
        appointment = book(ctx, saved.id, when, booked_at=when - timedelta(hours=2))
        record(ctx, appointment, Attendance.NOT_ATTENDED, when + timedelta(hours=1))
    return saved


def completed(ctx: AppContext, surname: str = "Done") -> SavedReferral:
    """A referral taken this morning whose two sessions were both attended this morning."""
    saved = refer(ctx, surname=surname, taken=FIXED_NOW.replace(hour=8))
    for hour in (9, 10):
        when = FIXED_NOW.replace(hour=hour)
        appointment = book(ctx, saved.id, when, booked_at=FIXED_NOW.replace(hour=8, minute=30))
        record(ctx, appointment, Attendance.ATTENDED, when + timedelta(minutes=50))
    return saved


# -- driving the widgets -------------------------------------------------------------------------
def wait_idle(qtbot, runner: TaskRunner) -> None:
    """Until every queued service call has come back and its callback has run."""
    qtbot.waitUntil(lambda: not runner.busy, timeout=10000)


def click(qtbot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def click_row(qtbot, table: QAbstractItemView, row: int, double: bool = False) -> None:
    index = table.model().index(row, 0)
    table.scrollTo(index)
    centre: QPoint = table.visualRect(index).center()
    if double:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    else:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def cell(table: QAbstractItemView, row: int, column: int) -> str:
    return str(table.model().index(row, column).data())


def column_texts(table: QAbstractItemView, column: int) -> list[str]:
    return [cell(table, row, column) for row in range(table.model().rowCount())]


def find_row(table: QAbstractItemView, column: int, text: str) -> int:
    texts = column_texts(table, column)
    assert text in texts, f"{text!r} not in {texts}"
    return texts.index(text)


def open_message_boxes(parent: QWidget) -> list[QMessageBox]:
    return [box for box in parent.findChildren(QMessageBox) if box.isVisible()]


def replace_text(qtbot, edit: QWidget, text: str) -> None:
    """Select all in a line edit and type over it, as a person would."""
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    if text:
        qtbot.keyClicks(edit, text)


# -- the referral page ------------------------------------------------------------------------------
class Questions:
    """Stands in for the confirmation message box: records each question, gives a set answer."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str]] = []

    def __call__(self, _parent, title: str, text: str) -> bool:
        self.asked.append((title, text))
        return self.answer


def show_referral_page(qtbot, ctx: AppContext, runner: TaskRunner):
    from diversion_desktop.ui.referral_page import ReferralPage

    widget = ReferralPage(ctx, runner)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    with qtbot.waitActive(widget):
        widget.show()
    return widget


@pytest.fixture
def page(qtbot, views_ctx: AppContext, views_runner: TaskRunner):
    return show_referral_page(qtbot, views_ctx, views_runner)


def open_by_reference(qtbot, page, reference: str) -> None:
    """Type the reference into the page's box and press Enter, as a person does; wait for it."""
    replace_text(qtbot, page.reference_edit, reference)
    with qtbot.waitSignal(page.sig_loaded, timeout=10000):
        qtbot.keyClick(page.reference_edit, Qt.Key.Key_Return)
