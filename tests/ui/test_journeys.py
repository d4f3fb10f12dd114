"""Each role's day, through the real entry point (``cli.main``), the real sign-in and the real window.

See tests/ui/journey.py for how a journey runs. The journeys share one workstation and one
database in order, as a force's first week would: the administrator sets up the team, station
staff take referrals, a support worker books and records, a coordinator confirms next steps.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from tests.ui.journey import (
    PASSWORD,
    Steps,
    later,
    modal,
    quit_by_keyboard,
    run,
    sign_in,
    tab_titles,
    type_into,
    until,
    window,
    workstation,  # noqa: F401 - the fixture
)

TEAM = (("pc1234", "PC Jo Example", "role_station_staff", "police"),
        ("cw.smith", "Casey Smith", "role_support_worker", "Cranstoun"),
        ("coord.lee", "Lee Coordinator", "role_coordinator", "police"))


def table_texts(table: QTableView, column: int = 0) -> list[str]:
    model = table.model()
    return [str(model.index(row, column).data()) for row in range(model.rowCount())]


def first_administrator(qtbot) -> Steps:  # noqa: ANN001
    first = yield modal("firstAdministratorDialog")
    assert first.focusWidget() is first.username
    type_into(qtbot, first.username, "admin")
    type_into(qtbot, first.display_name, "Sam Patel")
    type_into(qtbot, first.password, PASSWORD)
    type_into(qtbot, first.again, PASSWORD)
    assert first.coordinator.isChecked()
    qtbot.keyClick(first.again, Qt.Key.Key_Return)
    return (yield window())


def add_user(qtbot, users, name: str, display: str, role_box: str, organisation: str) -> Steps:  # noqa: ANN001
    qtbot.mouseClick(users.add_button, Qt.MouseButton.LeftButton)
    form = yield modal("userFormDialog")
    type_into(qtbot, form.username, name)
    type_into(qtbot, form.display_name, display)
    box = next(b for b in form.role_boxes.values() if b.objectName() == role_box)
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked()
    assert form.organisation.currentData() == organisation  # moved along with the role
    type_into(qtbot, form.password, PASSWORD)
    type_into(qtbot, form.again, PASSWORD)
    qtbot.keyClick(form.again, Qt.Key.Key_Return)
    yield until(f"{name} in the list of users", lambda: name in table_texts(users.table))


def test_first_start_creates_the_administrator_who_adds_the_team(qtbot, workstation) -> None:  # noqa: ANN001, F811
    seen: dict[str, object] = {}

    def journey() -> Steps:
        main = yield from first_administrator(qtbot)
        assert main.windowTitle().startswith("Diversion Desktop — Sam Patel — ")
        seen["tabs"] = tab_titles(main)
        later(main.users_action.trigger)  # Administration → Users…
        users = yield modal("usersDialog")
        for name, display, role_box, organisation in TEAM:
            yield from add_user(qtbot, users, name, display, role_box, organisation)
        seen["status"] = users.status.text()
        users.close()
        yield from quit_by_keyboard(qtbot, main)

    assert run(journey(), "--database", workstation.database_url) == 0
    # Administrator and coordinator (ticked by default): the case tabs and the administration page.
    assert "Queues" in seen["tabs"] and "Administration" in seen["tabs"]
    assert "New referral" in seen["tabs"]
    assert "they must choose their own password" in str(seen["status"])
