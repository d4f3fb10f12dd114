"""Start-up and signing in (ui/app.py): the GUI always asks; only the ready probe signs in by itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.users import UserService
from diversion_desktop.ui import app as app_module
from diversion_desktop.ui import sign_in as sign_in_module
from diversion_desktop.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "probe passphrase here"


def _url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def _probe(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DIVERSION_USER", "DIVERSION_PASSWORD")}
    return subprocess.run([sys.executable, "-m", "diversion_desktop", "--database", url], cwd=ROOT,
                          env={**clean, "QT_QPA_PLATFORM": "offscreen", "DIVERSION_READY_PROBE": "quit", **env},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def database_with_users(tmp_path: Path) -> str:
    url = _url(tmp_path / "users.sqlite3")
    ctx = open_context(url)
    UserService(ctx).create_first_administrator("admin", PASSWORD, also=(Role.COORDINATOR,))
    ctx.engine.dispose()
    return url


def test_the_probe_signs_in_from_the_environment(database_with_users: str) -> None:
    out = _probe(database_with_users, DIVERSION_USER="admin", DIVERSION_PASSWORD=PASSWORD)
    assert out.returncode == 0, out.stderr
    assert "diversion-ready " in out.stdout and "diversion-database-open " in out.stdout


def test_the_probe_is_refused_a_wrong_password(database_with_users: str) -> None:
    out = _probe(database_with_users, DIVERSION_USER="admin", DIVERSION_PASSWORD="not the password")
    assert out.returncode == 1
    assert "sign-in refused" in out.stderr


def test_quitting_at_sign_in_ends_without_a_window(qtbot, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("DIVERSION_READY_PROBE", raising=False)
    monkeypatch.setattr(app_module, "Settings", lambda: None)  # the user's own settings stay untouched
    asked: list[object] = []
    monkeypatch.setattr(sign_in_module, "sign_in_at_start", lambda ctx: asked.append(ctx) or False)
    assert app_module.run_gui(_url(tmp_path / "quit.sqlite3")) == 0
    assert len(asked) == 1
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
