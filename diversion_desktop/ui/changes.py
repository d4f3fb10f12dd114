"""What an operation changed, announced once so that each view decides whether to read again.

An operation that writes says what it changed (``Op.changes``, ui/operations.py); the window's
one ``DataChanged`` (the task runner's ``data_changed``) carries that to every view that listens,
instead of the main window calling each view's refresh by hand.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget


class Changed(enum.Flag):
    NOTHING = 0
    PEOPLE = enum.auto()
    REFERRALS = enum.auto()  # a referral's state: its status, decision, next step, queues and counts
    APPOINTMENTS = enum.auto()
    DOCUMENTS = enum.auto()
    USERS = enum.auto()
    ALL = PEOPLE | REFERRALS | APPOINTMENTS | DOCUMENTS | USERS


@dataclass(frozen=True)
class Changes:
    what: Changed
    referral_id: int | None = None  # the one referral changed, when it is one
    source: QObject | None = None  # the widget whose operation made the change (None: a refresh asked for)

    def touches(self, what: Changed) -> bool:
        return bool(self.what & what)

    def made_by(self, view: QWidget) -> bool:
        """Whether ``view`` (or a widget inside it) made the change: it has read again already."""
        source = self.source
        if source is None or not shiboken6.isValid(source) or not shiboken6.isValid(view):
            return False
        return source is view or (isinstance(source, QWidget) and view.isAncestorOf(source))


class DataChanged(QObject):
    """One per window (held by its task runner): ``changed`` carries a ``Changes``."""

    changed = Signal(object)

    def announce(self, changes: Changes) -> None:
        if changes.what:
            self.changed.emit(changes)
