"""The tests' own home (tests/conftest.py, ``isolated_home``): the application's settings and data
land under a temporary folder, in this process and in the processes the tests start, never in the
home of the person running the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import platformdirs

from diversion_desktop.store.database import default_database_path
from diversion_desktop.ui.settings import Settings


def test_settings_are_written_under_the_tests_home(isolated_home: Path) -> None:
    settings = Settings()
    where = Path(settings._q.fileName())
    # Checked before writing: without the isolation this would be the user's own file.
    assert where.is_relative_to(isolated_home), where
    settings.station = "Isolation Test Station"
    settings.sync()
    assert "Isolation Test Station" in where.read_text(encoding="utf-8")


def test_the_embedded_database_is_under_the_tests_home(isolated_home: Path) -> None:
    assert default_database_path().is_relative_to(isolated_home)
    assert Path(platformdirs.user_config_dir()).is_relative_to(isolated_home)
    assert Path.home() == isolated_home


def test_a_process_a_test_starts_sees_the_same_home(isolated_home: Path) -> None:
    script = (
        "from PySide6.QtCore import QSettings\n"
        "from diversion_desktop.store.database import default_database_path\n"
        "print(QSettings('DiversionDesktop', 'DiversionDesktop').fileName())\n"
        "print(default_database_path())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    settings_file, database = (Path(line) for line in out.stdout.splitlines())
    assert settings_file.is_relative_to(isolated_home), settings_file
    assert database.is_relative_to(isolated_home), database


def test_the_shells_diversion_variables_are_not_seen() -> None:
    assert not [name for name in os.environ if name.startswith("DIVERSION_")]
