"""Find person as a person types: a search at each change, the newest text always answered last,
"Searching…" only for a slow search, and the first person's history shown with the results."""

from __future__ import annotations

import threading

from diversion_desktop.sample_data.demo import fill
from diversion_desktop.services.people import PeopleService
from diversion_desktop.ui import search_panel
from diversion_desktop.ui.search_panel import SearchPanel
from tests.ui.conftest import type_text


def _panel(qtbot, gui_ctx, gui_runner) -> SearchPanel:
    fill(gui_ctx, people=30, referrals=40, seed=4)
    panel = SearchPanel(gui_ctx, gui_runner)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_typing_ends_with_the_results_for_the_whole_text(qtbot, gui_ctx, gui_runner) -> None:
    panel = _panel(qtbot, gui_ctx, gui_runner)
    someone = PeopleService(gui_ctx).search("a")[0]
    surname = someone.surname
    searched: list[str] = []
    original = PeopleService.search

    def noting(self, text, *args, **kwargs):
        searched.append(text)
        return original(self, text, *args, **kwargs)

    PeopleService.search = noting
    try:
        type_text(qtbot, panel.search_box, surname)
        qtbot.waitUntil(lambda: not panel._searching and searched and searched[-1] == surname, timeout=5000)
    finally:
        PeopleService.search = original
    assert len(searched) <= len(surname)  # keys typed while a search ran made one search, not one each
    assert all(p.surname == surname for p in panel.people_model.rows)
    first = panel.people_model.rows[0]
    assert panel.selected_person() == first
    assert panel.history_model.rows == list(reversed(first.referrals))
    assert panel.summary.text().startswith(f"{len(panel.people_model.rows)} found")


def test_searching_is_said_only_for_a_slow_search(qtbot, gui_ctx, gui_runner, monkeypatch) -> None:
    panel = _panel(qtbot, gui_ctx, gui_runner)
    release = threading.Event()
    original = PeopleService.search

    def slow(self, text, *args, **kwargs):
        release.wait(10)
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(search_panel, "SLOW_SEARCH_MS", 50)
    monkeypatch.setattr(PeopleService, "search", slow)
    panel._slow.setInterval(50)
    panel.search_box.setText("a")
    assert panel.summary.text() != "Searching…"  # not at once: most searches take milliseconds
    qtbot.waitUntil(lambda: panel.summary.text() == "Searching…", timeout=2000)
    with qtbot.waitSignal(panel.sig_results_shown, timeout=5000):
        release.set()
    assert "found" in panel.summary.text()


def test_clearing_the_box_clears_the_results(qtbot, gui_ctx, gui_runner) -> None:
    panel = _panel(qtbot, gui_ctx, gui_runner)
    with qtbot.waitSignal(panel.sig_results_shown, timeout=5000):
        panel.search_box.setText("a")
    assert panel.people_model.rowCount() > 0 and panel.history_model.rowCount() >= 0
    panel.search_box.clear()
    assert panel.people_model.rowCount() == 0 and panel.history_model.rowCount() == 0
    assert panel.summary.text() == "Type to search."
