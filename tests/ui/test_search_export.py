"""Find person: export the people the search shows (and no button without the permission)."""

from __future__ import annotations

import csv

from PySide6.QtCore import QPoint, Qt

from diversion_desktop.domain.permissions import Role
from diversion_desktop.sample_data.demo import fill
from diversion_desktop.ui import export_action
from diversion_desktop.ui.search_panel import SearchPanel
from tests.conftest import as_role


def test_export_the_people_found(qtbot, gui_ctx, gui_runner, monkeypatch, tmp_path) -> None:
    fill(gui_ctx, people=30, referrals=40, seed=4)
    monkeypatch.setattr(export_action, "ask_export_path", lambda _p, name, fmt: str(tmp_path / f"{name}.{fmt}"))
    panel = SearchPanel(gui_ctx, gui_runner)
    qtbot.addWidget(panel)
    panel.show()
    from diversion_desktop.services.people import PeopleService

    surname = PeopleService(gui_ctx).search("a")[0].surname
    with qtbot.waitSignal(panel.sig_results_shown, timeout=5000) as shown:
        qtbot.keyClicks(panel.search_box, surname[:3])
    found = {p.reference for p in panel.people_model.rows}
    assert shown.args[0] == len(found) > 0
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    dialog = panel.export_dialog
    qtbot.waitUntil(lambda: f"{len(found)} row(s)" in dialog.intro.text(), timeout=10000)
    qtbot.mouseClick(dialog.protect, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.protect.height() // 2))
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    with qtbot.waitSignal(dialog.sig_exported, timeout=10000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    with (tmp_path / "people-found.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["person_reference"] for r in rows} == found
    dialog.close()


def test_no_export_for_station_staff(qtbot, gui_ctx, gui_runner) -> None:
    gui_ctx.sign_in_as(as_role(Role.STATION_STAFF))
    panel = SearchPanel(gui_ctx, gui_runner)
    qtbot.addWidget(panel)
    assert not panel.export_button.isVisibleTo(panel)
