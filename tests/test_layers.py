"""The layers import only downwards: ui → services → store/domain; only ui imports Qt."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "diversion_desktop"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every module a file imports, absolute, including imports inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:   # relative import: resolve against this file's package
                base = package[:len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.add(arg.value)
    return names


def layer(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else ""


def starts(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(forbidden: tuple[str, ...], layers: tuple[str, ...] | None = None,
               exclude: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in MODULES:
        where = layer(path)
        if layers is not None and where not in layers:
            continue
        if where in exclude:
            continue
        for name in sorted(imported(path)):
            if starts(name, *forbidden):
                found.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    return found


def test_the_scan_sees_the_package() -> None:
    layers = {layer(p) for p in MODULES}
    assert {"domain", "store", "services"} <= layers
    assert len(MODULES) > 20
    assert "sqlalchemy" in imported(PACKAGE / "store" / "models.py")
    assert "diversion_desktop.domain.schemes" in imported(PACKAGE / "domain" / "eligibility.py")


def test_only_ui_imports_qt() -> None:
    qt = ("PySide6", "PyQt5", "PyQt6", "PySide2", "shiboken6", "pytestqt")
    assert violations(qt, exclude=("ui",)) == []


def test_domain_is_pure() -> None:
    assert violations(("sqlalchemy", "alembic", "diversion_desktop.services", "diversion_desktop.store",
                       "diversion_desktop.ui", "diversion_desktop.documents", "diversion_desktop.cli"),
                      layers=("domain",)) == []


def test_store_does_not_reach_up() -> None:
    assert violations(("diversion_desktop.services", "diversion_desktop.ui", "diversion_desktop.cli"),
                      layers=("store",)) == []


def test_services_do_not_import_the_ui() -> None:
    assert violations(("diversion_desktop.ui", "diversion_desktop.cli"), layers=("services",)) == []


@pytest.mark.parametrize(("source", "expected"), [
    ("import PySide6.QtWidgets", "PySide6.QtWidgets"),
    ("from PySide6 import QtCore", "PySide6.QtCore"),
    ("def f():\n    from sqlalchemy import select", "sqlalchemy.select"),
    ("__import__('PySide6')", "PySide6"),
    ("from ..services import intake", "diversion_desktop.services.intake"),
    ("from . import names", "diversion_desktop.domain.names"),
])
def test_scanner_finds_every_form_of_import(tmp_path: Path, source: str, expected: str) -> None:
    package = tmp_path / "diversion_desktop"
    (package / "domain").mkdir(parents=True)
    path = package / "domain" / "probe.py"
    path.write_text(source + "\n", encoding="utf-8")
    assert expected in imported(path, root=package)
