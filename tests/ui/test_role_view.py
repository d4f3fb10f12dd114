"""What the main window shows each role (ui/role_view.py); the services refuse the rest anyway."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.users import UserService
from diversion_desktop.ui.main_window import MainWindow
from tests.conftest import EVERY_ROLE, as_role

CASE_TABS = [
    "&Find person",
    "New &referral",
    "Referral &page",
    "&Appointments",
    "&Queues",
    "All referra&ls",
    "E&valuation",
]


def open_window(qtbot, ctx: AppContext, settings) -> MainWindow:
    window = MainWindow(ctx, settings)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)
    return window


def tab_titles(window: MainWindow) -> list[str]:
    return [window.tabs.tabText(i) for i in range(window.tabs.count())]


def visible_menus(window: MainWindow) -> list[str]:
    return [a.text() for a in window.menuBar().actions() if a.isVisible()]


def no_error_shown(window: MainWindow) -> bool:
    return not [box for box in window.findChildren(QMessageBox) if box.isVisible()]


def provider(ctx: AppContext) -> str:
    return UserService(ctx).providers()[0]


@pytest.mark.parametrize(
    ("roles", "tabs"),
    [
        ((Role.STATION_STAFF,), ["&Find person", "New &referral", "Referral &page", "All referra&ls"]),
        ((Role.SUPPORT_WORKER,), ["&Find person", "Referral &page", "&Appointments", "&Queues", "All referra&ls"]),
        ((Role.COORDINATOR,), CASE_TABS),
        ((Role.ADMINISTRATOR,), ["Adm&inistration"]),
        ((Role.ADMINISTRATOR, Role.COORDINATOR), [*CASE_TABS, "Adm&inistration"]),
    ],
)
def test_each_role_sees_its_tabs(
    qtbot, gui_ctx: AppContext, gui_settings, roles: tuple[Role, ...], tabs: list[str]
) -> None:
    organisation = provider(gui_ctx) if Role.SUPPORT_WORKER in roles else "police"
    gui_ctx.sign_in_as(as_role(*roles, organisation=organisation))
    window = open_window(qtbot, gui_ctx, gui_settings)
    assert tab_titles(window) == tabs
    assert no_error_shown(window)  # nothing hidden was read (and refused) behind the scenes
    # The queues: a coordinator's, and the booking queue a support worker's.
    may_queues = bool({Role.COORDINATOR, Role.SUPPORT_WORKER} & set(roles))
    assert window.show_queues_action.isVisible() is may_queues
    assert window.show_queues_action.isEnabled() is may_queues
    assert window.counts_label.isVisible() is may_queues
    assert ("Ad&ministration" in visible_menus(window)) is (Role.ADMINISTRATOR in roles)
    assert window.new_action.isVisible() is bool({Role.STATION_STAFF, Role.COORDINATOR} & set(roles))
    assert "A&ccount" in visible_menus(window)
    assert window.user_label.text().startswith("Signed in: ")


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_its_window_on_a_workstation_already_used(
    qtbot, gui_ctx: AppContext, gui_settings, role: Role
) -> None:
    """The workstation remembers an area, station and centre (saved by whoever used it last): a
    role that may not take referrals still gets its window (the new referral form's check of the
    remembered area was refused, and the application ended, for a support worker)."""
    gui_settings.last_area, gui_settings.station, gui_settings.last_centre = "west-berkshire", "Newbury", "newbury"
    gui_ctx.sign_in_as(as_role(role, organisation=provider(gui_ctx) if role is Role.SUPPORT_WORKER else "police"))
    window = open_window(qtbot, gui_ctx, gui_settings)
    assert tab_titles(window) and no_error_shown(window)
    if role in (Role.STATION_STAFF, Role.COORDINATOR):  # those who take referrals find the form as they left it
        window.new_referral()
        assert window.intake.area.currentData() == "west-berkshire"
        assert window.intake.station.text() == "Newbury"
    else:
        assert "intake" not in window._pages


def test_station_staff_cannot_reach_hidden_tabs_by_shortcut(qtbot, gui_ctx: AppContext, gui_settings) -> None:
    gui_ctx.sign_in_as(as_role(Role.STATION_STAFF))
    window = open_window(qtbot, gui_ctx, gui_settings)
    window.activateWindow()
    before = window.tabs.currentWidget()
    for key in (Qt.Key.Key_4, Qt.Key.Key_5, Qt.Key.Key_6):  # Appointments, Queues, Evaluation
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is before
    assert not {"appointments", "queues", "evaluation"} & set(window._pages)  # not even built
    assert "&Documents" not in visible_menus(window)


def test_an_administrator_alone_gets_the_administration_page(qtbot, gui_ctx: AppContext, gui_settings) -> None:
    gui_ctx.sign_in_as(as_role(Role.ADMINISTRATOR))
    window = open_window(qtbot, gui_ctx, gui_settings)
    assert window.tabs.currentWidget() is window.admin_page
    assert window.tabs.tabBar().isHidden()  # one page: no tab bar
    assert set(window.admin_page.buttons) == {"Users…", "Audit trail…", "Back up the database…", "Restore a backup…"}
    # retention and subject access are data protection: an administrator's, not case work
    assert visible_menus(window) == ["&File", "Data &protection", "Ad&ministration", "A&ccount", "&Help"]
    assert window.import_action.isVisible() and window.backup_action.isVisible()


def test_the_title_and_status_bar_name_who_is_signed_in(qtbot, gui_ctx: AppContext, gui_settings) -> None:
    window = open_window(qtbot, gui_ctx, gui_settings)
    assert window.windowTitle().startswith(f"Diversion Desktop — {EVERY_ROLE.username} — ")
    assert window.user_label.text() == f"Signed in: {EVERY_ROLE.label}"


def test_no_window_is_built_for_no_one(qtbot, gui_ctx: AppContext, gui_settings) -> None:
    from diversion_desktop.services.errors import NotSignedIn

    gui_ctx.sign_in_as(None)
    with pytest.raises(NotSignedIn):
        MainWindow(gui_ctx, gui_settings)


# -- the Account and Administration menus ---------------------------------------------------------
def test_administration_opens_users_and_the_audit_trail(qtbot, gui_ctx: AppContext, gui_settings) -> None:
    from diversion_desktop.ui.audit_viewer import AuditViewer
    from diversion_desktop.ui.users_dialog import UsersDialog

    gui_ctx.sign_in_as(as_role(Role.ADMINISTRATOR))
    window = open_window(qtbot, gui_ctx, gui_settings)
    qtbot.mouseClick(window.admin_page.buttons["Users…"], Qt.MouseButton.LeftButton)
    users = window.users_dialog
    assert isinstance(users, UsersDialog) and users.isVisible()
    qtbot.waitUntil(lambda: users.table.rowCount() == 0 and not window.runner.busy, timeout=5000)
    users.close()
    window.audit_action.trigger()
    viewer = window.audit_viewer
    assert isinstance(viewer, AuditViewer) and viewer.isVisible()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)
    viewer.close()


def test_account_change_password_and_sign_out(qtbot, gui_ctx: AppContext, gui_settings) -> None:
    from diversion_desktop.ui.sign_in import ChangePasswordDialog

    window = open_window(qtbot, gui_ctx, gui_settings)
    window.change_password_action.trigger()
    dialog = window.findChild(ChangePasswordDialog)
    assert dialog is not None and dialog.isVisible() and not dialog.forced
    dialog.reject()
    with qtbot.waitSignal(window.sig_signed_out, timeout=5000) as signed_out:
        window.sign_out_action.trigger()
    assert signed_out.args == ["sign in"] and window.signed_out == "sign in"
    assert gui_ctx.principal is None and not window.isVisible()
