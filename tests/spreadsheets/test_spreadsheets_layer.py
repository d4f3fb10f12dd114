"""The spreadsheets package is plain Python: no Qt, no database, no services."""

from __future__ import annotations

from tests.test_layers import PACKAGE, imported, starts

FORBIDDEN = (
    "PySide6",
    "shiboken6",
    "sqlalchemy",
    "alembic",
    "diversion_desktop.services",
    "diversion_desktop.store",
    "diversion_desktop.ui",
    "diversion_desktop.cli",
    "diversion_desktop.documents",
)


def test_spreadsheets_import_neither_qt_nor_the_database() -> None:
    files = sorted((PACKAGE / "spreadsheets").glob("*.py"))
    assert len(files) >= 5
    found = [
        f"{path.name} imports {name}" for path in files for name in sorted(imported(path)) if starts(name, *FORBIDDEN)
    ]
    assert found == []
