"""The coordinator's queues: counts, opening a referral, confirming a next step."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.ui import dialogs
from diversion_desktop.ui.queues_view import QueuesView
from tests.ui.conftest_views import (  # noqa: F401 - fixtures are used by name
    FIXED_NOW,
    WINDSOR,
    cell,
    click,
    click_row,
    column_texts,
    find_row,
    missed_twice,
    refer,
    views_ctx,
    views_runner,
    wait_idle,
)

REFERENCE, PERSON, AREA, PATHWAY, STATUS, REFERRAL_DATE, DEADLINE, NEXT_STEP, NOTE = range(9)


class Questions:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, _parent, _title: str, text: str) -> bool:
        self.asked.append(text)
        return self.answer


@pytest.fixture
def queue_data(views_ctx):
    return {
        "fresh": refer(views_ctx, surname="Fresh", forenames="Fay"),
        "overdue": refer(views_ctx, surname="Overdue", forenames="Otto", taken=FIXED_NOW - timedelta(days=70)),
        "missed": missed_twice(views_ctx, WINDSOR, surname="Missed"),
    }


@pytest.fixture
def view(qtbot, views_ctx, views_runner, queue_data):
    widget = QueuesView(views_ctx, views_runner)
    qtbot.addWidget(widget)
    widget.resize(1280, 700)
    with qtbot.waitActive(widget):
        widget.show()
    wait_idle(qtbot, views_runner)
    return widget


def table(view: QueuesView, name: str):
    return view.tables[name]


def test_counts_are_in_the_tab_titles_and_signalled(qtbot, views_ctx, views_runner, queue_data):
    counts: list[dict] = []
    widget = QueuesView(views_ctx, views_runner)  # the first refresh comes back through the event loop
    widget.sig_counts.connect(counts.append)
    qtbot.addWidget(widget)
    wait_idle(qtbot, views_runner)
    assert counts == [{"awaiting_appointment": 2, "overdue": 1, "awaiting_confirmation": 2}]
    assert counts[0] == ReferralService(views_ctx).queue_counts()
    titles = [widget.tabs.tabText(i) for i in range(widget.tabs.count())]
    assert titles == ["Awaiting first appointment (2)", "Overdue (1)", "Awaiting confirmation (2)"]


def test_queue_rows_show_the_columns_in_words(view, queue_data):
    overdue = table(view, "overdue")
    assert column_texts(overdue, PERSON) == ["OVERDUE, Otto"]
    assert cell(overdue, 0, AREA) == "West Berkshire"
    assert cell(overdue, 0, PATHWAY) == "Adult"
    assert cell(overdue, 0, STATUS) == "Awaiting appointment"
    assert cell(overdue, 0, REFERRAL_DATE) == "30/12/2025"
    assert cell(overdue, 0, DEADLINE) == "24/02/2026"
    assert cell(overdue, 0, NEXT_STEP) == "Barred from future diversion"
    assert cell(overdue, 0, NOTE) == "Deadline 24/02/2026 passed."

    confirming = table(view, "awaiting_confirmation")
    row = find_row(confirming, PERSON, "MISSED, Alex")
    assert cell(confirming, row, AREA) == "Windsor and Maidenhead"
    assert cell(confirming, row, NEXT_STEP) == "Report for the original offence (prosecution) and bar"
    assert cell(confirming, row, NOTE) == "Not attended after 1 allowed rebooking(s)."
    assert [overdue.model().headerData(i, Qt.Orientation.Horizontal) for i in range(9)] == [
        "Reference",
        "Person",
        "Area",
        "Pathway",
        "Status",
        "Referral date",
        "Deadline",
        "Proposed next step",
        "Note",
    ]


def test_confirm_button_only_on_the_confirmation_queue(qtbot, view):
    assert view.current_queue() == "awaiting_appointment"
    assert not view.confirm_button.isVisible()
    waiting = table(view, "awaiting_appointment")
    waiting.setFocus()
    qtbot.keyClick(waiting, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert view.current_queue() == "overdue"
    assert not view.confirm_button.isVisible()
    table(view, "overdue").setFocus()
    qtbot.keyClick(table(view, "overdue"), Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert view.current_queue() == "awaiting_confirmation"
    assert view.confirm_button.isVisible()
    assert view.confirm_button.isEnabled()  # the first row is selected


def test_confirming_from_the_queue_asks_then_closes_the_referral(
    qtbot, view, views_ctx, views_runner, queue_data, monkeypatch
):
    view.tabs.setCurrentIndex(2)
    confirming = table(view, "awaiting_confirmation")
    click_row(qtbot, confirming, find_row(confirming, PERSON, "MISSED, Alex"))

    no = Questions(False)
    monkeypatch.setattr(dialogs, "ask_confirmation", no)
    click(qtbot, view.confirm_button)
    assert "MISSED, Alex will be reported for the original offence" in no.asked[0]
    assert view.status.text() == "Not confirmed: nothing has changed."
    assert confirming.model().rowCount() == 2

    yes = Questions(True)
    monkeypatch.setattr(dialogs, "ask_confirmation", yes)
    with qtbot.waitSignal(view.sig_counts, timeout=10000) as counted:
        click(qtbot, view.confirm_button)
    assert counted.args == [{"awaiting_appointment": 2, "overdue": 1, "awaiting_confirmation": 1}]
    wait_idle(qtbot, views_runner)
    assert column_texts(confirming, PERSON) == ["OVERDUE, Otto"]
    assert view.tabs.tabText(2) == "Awaiting confirmation (1)"
    assert view.status.text().startswith(f"Confirmed for {queue_data['missed'].reference}: Report for the original")
    detail = ReferralService(views_ctx).detail(queue_data["missed"].id)
    assert detail.status == "closed"
    assert detail.for_case_file
    assert detail.person.barred
    assert detail.next_step_confirmed_by == "tester"


def test_an_overdue_referral_is_confirmed_from_the_queue(
    qtbot,
    view,
    views_ctx,
    views_runner,
    queue_data,
    monkeypatch,
) -> None:
    view.tabs.setCurrentIndex(2)
    confirming = table(view, "awaiting_confirmation")
    click_row(qtbot, confirming, find_row(confirming, PERSON, "OVERDUE, Otto"))
    yes = Questions(True)
    monkeypatch.setattr(dialogs, "ask_confirmation", yes)
    with qtbot.waitSignal(view.sig_changed, timeout=10000) as changed:
        qtbot.keyClick(view, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)  # "Confir&m next step…"
    assert changed.args == [queue_data["overdue"].id]
    assert "barred from any future diversion" in yes.asked[0]
    wait_idle(qtbot, views_runner)
    assert view.counts == {"awaiting_appointment": 1, "overdue": 0, "awaiting_confirmation": 1}
    assert view.tabs.tabText(1) == "Overdue (0)"
    view.tabs.setCurrentIndex(1)
    assert view.status.text() == "No referral is past a deadline."


def test_enter_double_click_and_button_open_the_referral(qtbot, view, queue_data):
    waiting = table(view, "awaiting_appointment")
    row = find_row(waiting, PERSON, "FRESH, Fay")
    with qtbot.waitSignal(view.sig_open_referral) as opened:
        click_row(qtbot, waiting, row, double=True)
    assert opened.args == [queue_data["fresh"].id]

    waiting.setFocus()
    click_row(qtbot, waiting, find_row(waiting, PERSON, "OVERDUE, Otto"))
    with qtbot.waitSignal(view.sig_open_referral) as opened:
        qtbot.keyClick(waiting, Qt.Key.Key_Return)
    assert opened.args == [queue_data["overdue"].id]

    with qtbot.waitSignal(view.sig_open_referral) as opened:
        click(qtbot, view.open_button)
    assert opened.args == [queue_data["overdue"].id]


def test_refresh_picks_up_new_referrals(qtbot, view, views_ctx, views_runner):
    refer(views_ctx, surname="Newcomer")
    with qtbot.waitSignal(view.sig_counts, timeout=10000) as counted:
        click(qtbot, view.refresh_button)
    assert counted.args[0]["awaiting_appointment"] == 3
    assert "NEWCOMER, Alex" in column_texts(table(view, "awaiting_appointment"), PERSON)


def test_export_the_queue_shown(qtbot, view, views_ctx, queue_data, monkeypatch, tmp_path) -> None:
    import csv

    from PySide6.QtCore import QPoint

    from diversion_desktop.ui import export_action

    monkeypatch.setattr(export_action, "ask_export_path", lambda _p, name, fmt: str(tmp_path / f"{name}.{fmt}"))
    view.tabs.setCurrentIndex(1)  # overdue
    shown = {row.reference for row in view.models["overdue"].rows}
    assert shown
    click(qtbot, view.export_button)
    dialog = view.export_dialog
    qtbot.waitUntil(lambda: f"{len(shown)} row(s)" in dialog.intro.text(), timeout=10000)
    qtbot.mouseClick(dialog.protect, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.protect.height() // 2))
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    with qtbot.waitSignal(dialog.sig_exported, timeout=10000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    with (tmp_path / "overdue-queue.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert {row["reference"] for row in csv.DictReader(handle)} == shown
    dialog.close()


def test_no_export_button_without_the_permission(qtbot, views_ctx, views_runner, queue_data) -> None:
    from diversion_desktop.domain.permissions import Principal, Role

    views_ctx.sign_in_as(Principal("support-worker", frozenset({Role.SUPPORT_WORKER}), organisation="Cranstoun"))
    widget = QueuesView(views_ctx, views_runner)
    qtbot.addWidget(widget)
    assert not widget.export_button.isVisibleTo(widget)
    wait_idle(qtbot, views_runner)
