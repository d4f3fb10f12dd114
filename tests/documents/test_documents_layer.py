"""documents/ is a pure layer: plain data in, PDF bytes out; no Qt, no database."""

from __future__ import annotations

from pathlib import Path

from tests.test_layers import PACKAGE, imported, starts

FORBIDDEN = (
    "PySide6",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "shiboken6",
    "sqlalchemy",
    "alembic",
    "diversion_desktop.store",
    "diversion_desktop.services",
    "diversion_desktop.ui",
    "diversion_desktop.cli",
)


def test_documents_import_no_qt_and_no_database() -> None:
    files = sorted((PACKAGE / "documents").glob("*.py"))
    assert len(files) >= 12
    found = [
        f"{path.name} imports {name}" for path in files for name in sorted(imported(path)) if starts(name, *FORBIDDEN)
    ]
    assert found == []


def test_the_font_and_its_licence_ship_with_the_application() -> None:
    fonts = Path(PACKAGE).parent / "resources" / "fonts"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert (fonts / name).is_file(), name
    assert "Bitstream Vera" in (fonts / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")
