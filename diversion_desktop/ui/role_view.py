"""What the main window shows to each role: one table of tabs and one of menu actions.

Hiding is for clarity only, never the control: every service checks the permission again
(``AppContext.require``). A tab or action the signed-in principal lacks the permission for is
removed (tabs) or hidden and disabled (actions, so their shortcuts do nothing either); a menu
left with nothing in it goes too. Read with domain/permissions.py ROLE_PERMISSIONS:

- station staff: Find person, New referral, Referral page, All referrals; lands on Find person
- support worker: Find person, Referral page, Appointments, Queues (only the referrals awaiting a
  first appointment, their provider's), All referrals; lands on that queue
- coordinator: every case tab; lands on the queues
- administrator without a case role: only the Administration page (users, audit trail, backups)
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from diversion_desktop.domain.permissions import Permission, Principal

P = Permission

# The tab's name (its main-window attribute) → the permission needed to see the tab.
TAB_PERMISSIONS: tuple[tuple[str, Permission], ...] = (
    ("search", P.SEARCH_PEOPLE),
    ("intake", P.TAKE_REFERRAL),
    ("referral", P.VIEW_REFERRALS),
    ("appointments", P.VIEW_APPOINTMENTS),
    ("queues", P.VIEW_BOOKING_QUEUE),
    ("referral_list", P.VIEW_REFERRALS),
    ("evaluation", P.RUN_REPORTS),
)
# The administration page: for anyone holding one of these.
ADMINISTRATION = (P.MANAGE_USERS, P.VIEW_AUDIT, P.BACKUP)

# Main-window attribute holding the action → the permission needed to see and use it.
ACTION_PERMISSIONS: tuple[tuple[str, Permission], ...] = (
    ("import_action", P.IMPORT_RECORDS),
    ("demo_action", P.LOAD_SAMPLE_DATA),
    ("new_action", P.TAKE_REFERRAL),
    ("save_action", P.TAKE_REFERRAL),
    ("day_letters_action", P.ISSUE_PROVIDER_DOCUMENTS),
    ("missed_notices_action", P.ISSUE_NEXT_STEP_DOCUMENTS),
    ("show_search_action", P.SEARCH_PEOPLE),
    ("show_referral_action", P.VIEW_REFERRALS),
    ("show_appointments_action", P.VIEW_APPOINTMENTS),
    ("show_queues_action", P.VIEW_BOOKING_QUEUE),
    ("show_evaluation_action", P.RUN_REPORTS),
    ("show_referral_list_action", P.VIEW_REFERRALS),
    ("refresh_action", P.VIEW_REFERRALS),
    ("users_action", P.MANAGE_USERS),
    ("audit_action", P.VIEW_AUDIT),
    ("backup_action", P.BACKUP),
    ("restore_action", P.BACKUP),
)


class RoleView:
    """The signed-in principal's view of the window. No principal: nothing is shown."""

    def __init__(self, principal: Principal | None) -> None:
        self.principal = principal

    def may(self, permission: Permission) -> bool:
        return self.principal is not None and self.principal.may(permission)

    def may_administer(self) -> bool:
        return any(self.may(p) for p in ADMINISTRATION)

    def shows_tab(self, name: str) -> bool:
        return any(self.may(permission) for tab, permission in TAB_PERMISSIONS if tab == name)

    def landing(self) -> str:
        """The tab a person's day starts on: the queues for a coordinator (and, as the referrals
        awaiting a first appointment, for a support worker), Find person for station staff; the
        administration page for an administrator without case work."""
        if self.may(P.WORK_QUEUES):
            return "queues"
        if self.may(P.TAKE_REFERRAL):
            return "search"
        if self.may(P.VIEW_BOOKING_QUEUE):
            return "queues"
        for name, _permission in TAB_PERMISSIONS:
            if self.shows_tab(name):
                return name
        return "administration"

    def apply(self, window: QMainWindow) -> None:
        """Hide and disable the actions this principal lacks (so their shortcuts do nothing
        either), and the menus left with nothing in them. (The window adds only the tabs
        ``shows_tab`` allows.)"""
        for name, permission in ACTION_PERMISSIONS:
            action = getattr(window, name, None)
            if isinstance(action, QAction) and not self.may(permission):
                action.setVisible(False)
                action.setEnabled(False)
        for menu in window.menuBar().findChildren(QMenu):
            actions = [a for a in menu.actions() if not a.isSeparator()]
            if actions and not any(a.isVisible() for a in actions):
                menu.menuAction().setVisible(False)
