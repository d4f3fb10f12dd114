"""Which part of the application may import which: one table, checked against every module's imports.

The parts are the folders of ``diversion_desktop/`` and its top-level modules. Every import of
every module (inside functions too) is read with ``ast`` and held against ``ALLOWED``; an import
the table does not allow fails with the module and the import named. A new folder fails until it
is given its row.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "diversion_desktop"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)

# part: the other parts of the application it may import (its own modules always).
ALLOWED: dict[str, frozenset[str]] = {
    "domain": frozenset(),  # the rules: nothing of the application but itself
    "store": frozenset({"domain", "owner_only"}),  # tables, engine, migrations
    "spreadsheets": frozenset({"domain", "owner_only"}),  # CSV/XLSX/encrypted ZIP: a leaf the services use
    "documents": frozenset({"domain", "resources"}),  # letters, from plain data
    "reports": frozenset({"domain", "documents", "spreadsheets"}),  # the evaluation's PDF and workbook, from its result
    "services": frozenset({"domain", "store", "documents", "spreadsheets", "resources", "owner_only", "version"}),
    "sample_data": frozenset({"domain", "services", "store"}),  # a tool that drives the services, like cli
    "ui": frozenset({"domain", "services", "reports", "resources", "owner_only", "version"}),
    "cli": frozenset({"domain", "services", "reports", "sample_data", "resources", "owner_only", "version"}),
    "__main__": frozenset({"cli"}),
    "resources": frozenset(),  # where the resource files are
    "owner_only": frozenset(),  # files readable by their owner only
    "version": frozenset(),  # diversion_desktop/__init__.py: the version
}

# One module may import one thing more, for the reason given.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("diversion_desktop.cli", "diversion_desktop.ui.app"): "the command line starts the GUI (run_gui)",
    ("diversion_desktop.ui.main_window", "diversion_desktop.sample_data.demo"): "File → Fill with sample data…",
}

# Libraries that belong to some parts only.
LIBRARIES: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "Qt": (("PySide6", "PyQt5", "PyQt6", "PySide2", "shiboken6", "pytestqt"), frozenset({"ui"})),
    "SQL": (("sqlalchemy", "alembic"), frozenset({"store", "services", "sample_data"})),
}


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
            if node.level:  # relative import: resolve against this file's package
                base = package[: len(package) - node.level + 1]
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


def part_of(name: str, root: Path = PACKAGE) -> str | None:
    """The part an imported module of the application belongs to; None for anything else."""
    parts = name.split(".")
    if parts[0] != root.name:
        return None
    if len(parts) == 1:
        return "version"
    if parts[1] in ALLOWED or (root / parts[1]).is_dir() or (root / f"{parts[1]}.py").is_file():
        return parts[1]
    return "version"  # a name from the package's __init__ (``from diversion_desktop import __version__``)


def part_of_file(path: Path, root: Path = PACKAGE) -> str:
    """The part a file is in: its folder, or a top-level module's own name."""
    relative = path.relative_to(root)
    if len(relative.parts) > 1:
        return relative.parts[0]
    return "version" if path.stem == "__init__" else path.stem


def starts(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def wrong_way(root: Path = PACKAGE) -> list[str]:
    """Every import of the application's own modules that the table does not allow."""
    found = []
    for path in sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts):
        module = module_name(path, root)
        here = part_of_file(path, root)
        allowed = ALLOWED.get(here, frozenset())
        named: list[str] = []  # a module once, not each name taken from it as well
        for name in sorted(imported(path, root)):
            there = part_of(name, root)
            if there is None or there == here or there in allowed or starts(name, *named):
                continue
            if any(module == who and starts(name, what) for who, what in EXCEPTIONS):
                continue
            named.append(name)
            found.append(
                f"{path.relative_to(root.parent).as_posix()} imports {name}: "
                f"{here} may import {', '.join(sorted(allowed)) or 'nothing of the application'}"
            )
    return found


def libraries_out_of_place(root: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts):
        here = part_of_file(path, root)
        named: list[str] = []
        for name in sorted(imported(path, root)):
            for kind, (prefixes, parts) in LIBRARIES.items():
                if starts(name, *prefixes) and here not in parts and not starts(name, *named):
                    named.append(name)
                    found.append(
                        f"{path.relative_to(root.parent).as_posix()} imports {name}: {kind} only in "
                        f"{', '.join(sorted(parts))}"
                    )
    return found


def test_the_scan_sees_the_package() -> None:
    parts = {part_of_file(p) for p in MODULES}
    assert {"domain", "store", "services", "ui", "cli", "reports", "documents", "spreadsheets"} <= parts
    assert len(MODULES) > 20
    assert "sqlalchemy" in imported(PACKAGE / "store" / "models.py")
    assert "diversion_desktop.domain.schemes" in imported(PACKAGE / "domain" / "eligibility.py")


def test_every_part_has_its_row() -> None:
    """A new folder or top-level module is placed in the table before anything is allowed to it."""
    assert {part_of_file(p) for p in MODULES} <= set(ALLOWED)


def test_every_import_goes_the_allowed_way() -> None:
    assert wrong_way() == []


def test_every_exception_is_still_used() -> None:
    by_name = {module_name(p): p for p in MODULES}
    for who, what in EXCEPTIONS:
        assert any(starts(name, what) for name in imported(by_name[who])), f"{who} no longer imports {what}"


def test_qt_and_sql_only_where_they_belong() -> None:
    assert libraries_out_of_place() == []


def _probe_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "diversion_desktop"
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source + "\n", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("relative", "source", "message"),
    [
        (
            "reports/probe.py",
            "from diversion_desktop.services.evaluation import EvaluationResult",
            "diversion_desktop/reports/probe.py imports diversion_desktop.services.evaluation: "
            "reports may import documents, domain, spreadsheets",
        ),
        (
            "ui/probe.py",
            "def f():\n    from diversion_desktop.store import models",
            "diversion_desktop/ui/probe.py imports diversion_desktop.store: "
            "ui may import domain, owner_only, reports, resources, services, version",
        ),
        (
            "ui/probe.py",
            "import diversion_desktop.spreadsheets.encrypted",
            "diversion_desktop/ui/probe.py imports diversion_desktop.spreadsheets.encrypted: "
            "ui may import domain, owner_only, reports, resources, services, version",
        ),
        (
            "domain/probe.py",
            "from diversion_desktop.resources import resource_path",
            "diversion_desktop/domain/probe.py imports diversion_desktop.resources: "
            "domain may import nothing of the application",
        ),
        (
            "spreadsheets/probe.py",
            "from ..services import exporter",
            "diversion_desktop/spreadsheets/probe.py imports diversion_desktop.services: "
            "spreadsheets may import domain, owner_only",
        ),
        (
            "cli/demo.py",
            "from diversion_desktop.ui.app import run_gui",  # the exception is cli/__init__.py's only
            "diversion_desktop/cli/demo.py imports diversion_desktop.ui.app: "
            "cli may import domain, owner_only, reports, resources, sample_data, services, version",
        ),
    ],
)
def test_a_wrong_way_import_is_named(tmp_path: Path, relative: str, source: str, message: str) -> None:
    root = _probe_package(tmp_path, {relative: source, "cli/__init__.py": "from diversion_desktop.ui.app import x"})
    assert wrong_way(root) == [message]  # and not cli/__init__.py's, which is allowed


def test_qt_outside_ui_is_named(tmp_path: Path) -> None:
    root = _probe_package(tmp_path, {"services/probe.py": "from PySide6.QtCore import QObject"})
    assert libraries_out_of_place(root) == ["diversion_desktop/services/probe.py imports PySide6.QtCore: Qt only in ui"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import PySide6.QtWidgets", "PySide6.QtWidgets"),
        ("from PySide6 import QtCore", "PySide6.QtCore"),
        ("def f():\n    from sqlalchemy import select", "sqlalchemy.select"),
        ("__import__('PySide6')", "PySide6"),
        ("from ..services import intake", "diversion_desktop.services.intake"),
        ("from . import names", "diversion_desktop.domain.names"),
    ],
)
def test_scanner_finds_every_form_of_import(tmp_path: Path, source: str, expected: str) -> None:
    package = tmp_path / "diversion_desktop"
    (package / "domain").mkdir(parents=True)
    path = package / "domain" / "probe.py"
    path.write_text(source + "\n", encoding="utf-8")
    assert expected in imported(path, root=package)
