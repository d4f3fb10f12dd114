"""Shared fixtures for the domain, store and services tests (no Qt here, but for QSettings' folders).

The services run on a real SQLite file: one template database is migrated
once per test run and copied for each test, so every test starts from an
empty, fully migrated schema in a few milliseconds. No test, and no process
a test starts, sees the real user's home, settings or data (``isolated_home``).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
import sqlite3
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from diversion_desktop.domain.eligibility import Offence, SubstanceFind
from diversion_desktop.domain.intake import IntakeDraft
from diversion_desktop.domain.permissions import Principal, Role
from diversion_desktop.domain.scheme_registry import SchemeRegistry
from diversion_desktop.domain.schemes import Scheme, parse_scheme
from diversion_desktop.resources import schemes_dir
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.context import AppContext
from diversion_desktop.store import models

SCHEMES_DIR = schemes_dir()
WEST_BERKS_FILE = SCHEMES_DIR / "west-berkshire.toml"
WINDSOR_FILE = SCHEMES_DIR / "windsor-and-maidenhead.toml"

# The day the tests "take" referrals: a Monday, the day after the incident.
START = datetime(2026, 3, 2, 10, 0)
INCIDENT = datetime(2026, 3, 1, 21, 30)
ADULT_DOB = date(1990, 5, 17)
YOUTH_DOB = date(2009, 6, 1)  # 16 on the incident date


class FakeClock:
    """A clock the test moves by hand: ``clock.advance(days=30)``."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when


# -- the user's own files stay untouched ---------------------------------------------------
# What the application reads and writes in the user's home: QSettings (window geometry, the
# workstation's area, station and centre) and the embedded database (platformdirs). A test that
# read them failed on a machine where the application had been used (a saved area changed what
# the window showed), and one that wrote them would change that user's workstation.


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test, and every process a test starts (they inherit the environment), gets a home,
    configuration, data and cache folder of its own under a temporary folder; the application's
    own variables (DIVERSION_DATABASE_URL, DIVERSION_USER, ...) set in the shell running the tests
    are dropped, so no test reaches the user's database or signs in as them."""
    root = tmp_path_factory.mktemp("home")
    folders = {
        "HOME": root,
        "XDG_CONFIG_HOME": root / ".config",
        "XDG_DATA_HOME": root / ".local" / "share",
        "XDG_CACHE_HOME": root / ".cache",
        "XDG_STATE_HOME": root / ".local" / "state",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, folder in folders.items():
            folder.mkdir(parents=True, exist_ok=True)
            patch.setenv(name, str(folder))
        for name in [n for n in os.environ if n.startswith("DIVERSION_")]:
            patch.delenv(name)
        # QSettings keeps the folders it found at its first use; these are set whatever came
        # first (and cover the machine-wide folder, /etc/xdg, that it falls back to).
        from PySide6.QtCore import QSettings

        for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(folders["XDG_CONFIG_HOME"]))
            QSettings.setPath(settings_format, QSettings.Scope.SystemScope, str(root / "etc-xdg"))
        yield root


# -- schemes -------------------------------------------------------------------------
@pytest.fixture(scope="session")
def registry() -> SchemeRegistry:
    return SchemeRegistry.load(SCHEMES_DIR)


@pytest.fixture(scope="session")
def west_berks(registry: SchemeRegistry) -> Scheme:
    return registry.get("west-berkshire")


@pytest.fixture(scope="session")
def windsor(registry: SchemeRegistry) -> Scheme:
    return registry.get("windsor-and-maidenhead")


@pytest.fixture(scope="session")
def scheme_data() -> Callable[[], dict[str, Any]]:
    """A fresh, mutable copy of the West Berkshire scheme file as parsed TOML."""
    text = WEST_BERKS_FILE.read_text(encoding="utf-8")

    def load() -> dict[str, Any]:
        return tomllib.loads(text)

    return load


@pytest.fixture(scope="session")
def make_scheme(scheme_data: Callable[[], dict[str, Any]]) -> Callable[..., Scheme]:
    """The West Berkshire scheme with some top-level settings changed."""

    def build(**overrides: Any) -> Scheme:
        data = scheme_data()
        data.update(overrides)
        return parse_scheme(data, "test-scheme.toml")

    return build


# -- intake drafts -------------------------------------------------------------------
@pytest.fixture(scope="session")
def make_draft() -> Callable[..., IntakeDraft]:
    """A complete, valid adult West Berkshire draft; keyword arguments change fields."""

    def build(**changes: Any) -> IntakeDraft:
        draft = IntakeDraft(
            scheme_code="west-berkshire",
            surname="Smith",
            forenames="John",
            date_of_birth=ADULT_DOB,
            sex="Male",
            ethnicity_self="White: English, Welsh, Scottish, Northern Irish or British",
            address="1 Test Street, Newbury",
            postcode="RG14 1AA",
            phone="07700 900000",
            incident_at=INCIDENT,
            incident_place="Northbrook Street",
            crime_reference="43260001234",
            officer_name="PC Example",
            officer_collar_number="1234",
            station="Newbury",
            offence=Offence.POSSESSION,
            substances=[SubstanceFind("cannabis", Decimal("3.5"), "g")],
            suspected_supply=False,
            consent=True,
        )
        return replace(draft, **changes)

    return build


@pytest.fixture(scope="session")
def make_youth_draft(make_draft: Callable[..., IntakeDraft]) -> Callable[..., IntakeDraft]:
    def build(**changes: Any) -> IntakeDraft:
        base: dict[str, Any] = dict(
            surname="Young",
            forenames="Amy",
            date_of_birth=YOUTH_DOB,
            sex="Female",
            guardian_name="Pat Young",
            guardian_relationship="Mother",
            guardian_phone="07700 900001",
        )
        base.update(changes)
        return make_draft(**base)

    return build


# -- who is signed in -------------------------------------------------------------------
# Tests of everything but permissions act as one user holding every role; tests of the
# permissions sign in as one role (``ctx.sign_in_as(as_role(Role.X))``).
EVERY_ROLE = Principal(username="tester", roles=frozenset(Role), organisation="police")


def as_role(*roles: Role, organisation: str = "police", username: str = "") -> Principal:
    return Principal(
        username=username or "-".join(r.value for r in roles), roles=frozenset(roles), organisation=organisation
    )


# -- database ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated to head once per run; tests get copies of it."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    ctx = open_context(f"sqlite:///{path.as_posix()}", migrate=True)
    ctx.engine.dispose()
    # Fold any write-ahead log into the main file so a plain copy is complete.
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    return path


@pytest.fixture(scope="session")
def open_copy(template_db: Path) -> Callable[..., AppContext]:
    """Copy the template into ``folder`` and open it with its own clock (``ctx.clock``).

    For fixtures wider than one test; the caller disposes ``ctx.engine``.
    """

    def open_(folder: Path, **options: Any) -> AppContext:
        path = folder / "diversion.sqlite3"
        shutil.copyfile(template_db, path)
        options.setdefault("clock", FakeClock())
        options.setdefault("user", "tester")
        options.setdefault("principal", EVERY_ROLE)
        return open_context(f"sqlite:///{path.as_posix()}", **options)

    return open_


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "diversion.sqlite3"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path.as_posix()}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ctx(db_url: str, clock: FakeClock) -> Iterator[AppContext]:
    context = open_context(db_url, clock=clock, user="tester", principal=EVERY_ROLE)
    yield context
    context.engine.dispose()


@pytest.fixture
def count_rows(ctx: AppContext) -> Callable[[], dict[str, int]]:
    """Rows in every table, to show that a refused action wrote nothing."""

    def count() -> dict[str, int]:
        with ctx.session_factory() as session:
            return {
                table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in models.Base.metadata.sorted_tables
            }

    return count
