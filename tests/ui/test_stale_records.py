"""A save over someone else's change (issue 14 §2), as a person sees it: the message says who
changed the record, and Reload shows it as it is now. The other person works on a workstation of
their own: a second context on the same database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from diversion_desktop.domain.permissions import Principal, Role
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.ui import dialogs
from diversion_desktop.ui.appointments_view import AppointmentsView
from diversion_desktop.ui.referral_page import ReferralPage
from tests.ui.conftest import type_text
from tests.ui.conftest_views import (  # noqa: F401 - fixtures are used by name
    FIXED_NOW,
    WINDSOR,
    book,
    click,
    click_row,
    find_row,
    missed_twice,
    refer,
    replace_text,
    views_ctx,
    views_runner,
    views_settings,
    wait_idle,
)

PERSON = 2  # the appointments table's person column


@pytest.fixture
def elsewhere(views_ctx: AppContext) -> Iterator[AppContext]:
    """Dana, signed in on another workstation."""
    other = open_context(
        str(views_ctx.engine.url),
        clock=views_ctx.clock,
        migrate=False,
        principal=Principal(username="dana", roles=frozenset(Role)),
    )
    yield other
    other.engine.dispose()


def stale_box(qtbot, parent) -> QMessageBox:
    qtbot.waitUntil(
        lambda: any(b.isVisible() for b in parent.findChildren(QMessageBox, "staleRecordDialog")), timeout=10000
    )
    return next(b for b in parent.findChildren(QMessageBox, "staleRecordDialog") if b.isVisible())


def test_session_notes_over_someone_elses_are_refused_and_reload_shows_theirs(
    qtbot, views_ctx, views_runner, views_settings, elsewhere
) -> None:
    saved = refer(views_ctx, surname="Late", forenames="Lee")
    appointment_id = book(views_ctx, saved.id, FIXED_NOW.replace(hour=14), "newbury")
    views_settings.last_centre = "newbury"
    view = AppointmentsView(views_ctx, views_runner, views_settings)
    qtbot.addWidget(view)
    view.show()
    wait_idle(qtbot, views_runner)
    click_row(qtbot, view.table, find_row(view.table, PERSON, "LATE, Lee"))
    click(qtbot, view.notes_button)
    dialog = view.notes_dialog
    type_text(qtbot, dialog.notes, "My notes of the session.")

    ProgrammeService(elsewhere).record_session_notes(appointment_id, "Dana's notes, saved first.")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    box = stale_box(qtbot, dialog)
    assert "changed by dana at" in box.text() and "Your change was not saved" in box.text()
    assert box.button(QMessageBox.StandardButton.Ok).text() == "&Reload"
    with qtbot.waitSignal(dialog.finished, timeout=10000):
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, views_runner)
    assert view.selected().session_notes == "Dana's notes, saved first."
    detail = ReferralService(views_ctx).detail(saved.id)
    assert [a.session_notes for a in detail.appointments] == ["Dana's notes, saved first."]


def test_confirming_a_step_someone_else_changed_offers_reload(
    qtbot, views_ctx, views_runner, elsewhere, monkeypatch
) -> None:
    saved = missed_twice(views_ctx, WINDSOR, surname="Absent")
    page = ReferralPage(views_ctx, views_runner)
    qtbot.addWidget(page)
    page.show()
    replace_text(qtbot, page.reference_edit, saved.reference)
    with qtbot.waitSignal(page.sig_loaded, timeout=10000):
        qtbot.keyClick(page.reference_edit, Qt.Key.Key_Return)

    ProgrammeService(elsewhere).confirm_next_step(saved.id, "Confirmed at the other desk.")
    monkeypatch.setattr(dialogs, "ask_confirmation", lambda _parent, _title, _text: True)
    click(qtbot, page.confirm_button)
    box = stale_box(qtbot, page)
    assert f"Referral {saved.reference} was changed by dana" in box.text()
    with qtbot.waitSignal(page.sig_loaded, timeout=10000):
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert page.detail is not None and page.detail.next_step_confirmed_by == "dana"
    assert not page.confirm_button.isEnabled()
