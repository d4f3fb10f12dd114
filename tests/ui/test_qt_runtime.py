"""Guards against a Qt for Python release that would crash a long session.

PySide6 6.12.0 returns ``True`` from ``SignalInstance.emit()`` without taking a
reference, so every emit from Python lowers True's reference count until the
interpreter aborts ("bool_dealloc"). pyproject.toml excludes that release; this
test fails on any installed version with the same fault.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    sig_plain = Signal()
    sig_object = Signal(object)


def test_emit_keeps_reference_counts(qapp) -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.sig_plain.connect(lambda: received.append(1))
    emitter.sig_object.connect(received.append)
    before = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    for _ in range(50):
        emitter.sig_plain.emit()
        emitter.sig_object.emit(None)
    after = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    assert len(received) == 100
    assert after[0] - before[0] >= 0, "emit() leaks references to True: this PySide6 release crashes long sessions"
    assert after[1] - before[1] >= 0
