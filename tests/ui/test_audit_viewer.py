"""Administration → Audit trail: filters, paging, the chain check (also of a tampered file), export."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.users import UserService
from diversion_desktop.ui import audit_viewer
from diversion_desktop.ui.audit_viewer import AuditViewer
from diversion_desktop.ui.tasks import TaskRunner

ADMIN_PASSWORD = "admin keeps the keys"


@pytest.fixture
def viewer(qtbot, gui_ctx: AppContext, gui_runner: TaskRunner) -> AuditViewer:
    service = UserService(gui_ctx)
    service.create_first_administrator("admin", ADMIN_PASSWORD, "Ada Admin")
    service.create_user("pc1234", "station desk passphrase", [Role.STATION_STAFF], must_change_password=False)
    admin = gui_ctx.principal
    gui_ctx.sign_in_as(None)
    service.sign_in("pc1234", "station desk passphrase")  # pc1234's own rows
    gui_ctx.sign_in_as(admin)
    window = AuditViewer(gui_ctx, gui_runner)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.sig_loaded, timeout=5000):
        window.show()
    qtbot.waitUntil(lambda: window.action.count() > 1, timeout=5000)
    return window


def column(viewer: AuditViewer, index: int) -> list[str]:
    model = viewer.model
    return [model.data(model.index(row, index)) for row in range(model.rowCount())]


def apply(qtbot, viewer: AuditViewer, widget) -> None:
    with qtbot.waitSignal(viewer.sig_loaded, timeout=5000):
        qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_every_row_newest_first(viewer: AuditViewer) -> None:
    actions = column(viewer, 2)
    assert actions[0] == "sign_in" and "user_created" in actions
    assert viewer.count.text() == f"Showing {len(actions)} of {len(actions)} event(s)"
    assert not viewer.more_button.isEnabled()


def test_filter_by_user(qtbot, viewer: AuditViewer) -> None:
    assert viewer.focusWidget() is viewer.username
    qtbot.keyClicks(viewer.username, "PC1234")
    apply(qtbot, viewer, viewer.username)
    assert set(column(viewer, 1)) == {"pc1234"}
    assert column(viewer, 2) == ["sign_in"]


def test_filter_by_action_and_period(qtbot, viewer: AuditViewer) -> None:
    viewer.action.setFocus()
    viewer.action.setCurrentIndex(viewer.action.findData("user_created"))
    apply(qtbot, viewer, viewer.action)
    assert set(column(viewer, 2)) == {"user_created"} and len(column(viewer, 2)) == 2
    assert "roles:  → ['station_staff']" in column(viewer, 5)[0]
    qtbot.keyClicks(viewer.date_from, "11/03/2026")  # the day after the tests' clock
    apply(qtbot, viewer, viewer.date_from)
    assert viewer.count.text() == "No events match these filters."


def test_bad_filters_are_answered_at_their_fields(qtbot, viewer: AuditViewer) -> None:
    qtbot.keyClicks(viewer.date_to, "31/02/2026")
    qtbot.keyClick(viewer.date_to, Qt.Key.Key_Return)
    assert "real date" in viewer.fields["date_to"].error.text()
    viewer.date_to.clear()
    qtbot.keyClicks(viewer.person, "P-999999")
    with qtbot.waitSignal(viewer.runner.sig_idle, timeout=5000):
        qtbot.keyClick(viewer.person, Qt.Key.Key_Return)
    assert "no person with the reference P-999999" in viewer.fields["person"].error.text()


def test_more_rows_a_page_at_a_time(qtbot, viewer: AuditViewer, monkeypatch) -> None:
    monkeypatch.setattr(audit_viewer, "PAGE", 1)
    with qtbot.waitSignal(viewer.sig_loaded, timeout=5000):
        viewer.load()
    total = viewer.model.total
    assert total >= 3 and viewer.model.rowCount() == 1 and viewer.more_button.isEnabled()
    with qtbot.waitSignal(viewer.sig_loaded, timeout=5000):
        qtbot.mouseClick(viewer.more_button, Qt.MouseButton.LeftButton)
    assert viewer.model.rowCount() == 2
    assert viewer.count.text() == f"Showing 2 of {total} event(s)"
    assert viewer.model.rows[0].id > viewer.model.rows[1].id  # still newest first


def test_verify_an_intact_chain_then_a_tampered_one(qtbot, viewer: AuditViewer, tmp_path: Path) -> None:
    with qtbot.waitSignal(viewer.sig_verified, timeout=10000) as verified:
        qtbot.mouseClick(viewer.verify_button, Qt.MouseButton.LeftButton)
    assert verified.args[0].ok
    assert viewer.verify_result.text().startswith("The audit trail is intact")
    assert "b00020" not in viewer.verify_result.styleSheet()

    with sqlite3.connect(tmp_path / "gui.sqlite3") as connection:
        connection.execute("DROP TRIGGER audit_events_no_update")
        connection.execute("UPDATE audit_events SET username = 'someone-else' WHERE id = 2")
    with qtbot.waitSignal(viewer.sig_verified, timeout=10000) as verified:
        qtbot.mouseClick(viewer.verify_button, Qt.MouseButton.LeftButton)
    assert not verified.args[0].ok
    assert viewer.verify_result.text().startswith("The audit trail has been changed")
    assert "row 2" in viewer.verify_result.text()
    assert "#b00020" in viewer.verify_result.styleSheet()  # red
    assert viewer.verify_result.accessibleName() == "Chain changed"


def test_export_what_the_filters_select(qtbot, viewer: AuditViewer, monkeypatch, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    asked: list[str] = []
    monkeypatch.setattr(audit_viewer, "ask_audit_export_path", lambda _parent, name: asked.append(name) or str(out))
    qtbot.keyClicks(viewer.username, "pc1234")
    apply(qtbot, viewer, viewer.username)
    with qtbot.waitSignal(viewer.sig_exported, timeout=10000) as exported:
        qtbot.mouseClick(viewer.export_button, Qt.MouseButton.LeftButton)
    assert asked == ["audit-trail-2026-03-10.csv"]
    assert exported.args == [1]
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["username"], r["action"]) for r in rows] == [("pc1234", "sign_in")]
    assert "Exported 1 event(s)" in viewer.status.text()
