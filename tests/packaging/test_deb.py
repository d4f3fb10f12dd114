"""The .deb as an IT department installs it, and the program as a person then uses it.

Builds the bundle and the package with the documented ``python packaging/build.py``, installs it
with dpkg on this machine, uses the installed ``/usr/bin/diversion-desktop`` (the command line, the
letters, and the application under Xvfb with real keystrokes), removes the package and checks
that the user's data outlived it. Needs root, dpkg-deb, objdump, Xvfb and xdotool (installed by
``packaging/install-system-deps.sh --test``); CI runs as root. Several minutes: marked slow.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from diversion_desktop import VERSION

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "diversion-desktop"
COMMAND = Path("/usr/bin/diversion-desktop")
OPT = Path("/opt/diversion-desktop")
PASSWORD = "Installed-and-signed-in-2026!"
UBUNTU_2204_GLIBC = (2, 35)  # the oldest glibc among Debian 12 (2.36) and Ubuntu 22.04 (2.35) / 24.04

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the .deb is built and installed on Linux"),
    pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() != 0, reason="installing a package needs root"),
    pytest.mark.skipif(
        not (shutil.which("dpkg-deb") and shutil.which("objdump")),
        reason="needs dpkg-deb and objdump (binutils): packaging/install-system-deps.sh --test",
    ),
]


def installed() -> bool:
    status = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", PACKAGE], capture_output=True, text=True)
    return status.returncode == 0 and "install ok installed" in status.stdout


class Person:
    """A user of the installed program: a home, data and settings folders of their own, none of ours."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.data = home / ".local" / "share"
        self.config = home / ".config"
        self.config.mkdir(parents=True)
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DIVERSION_", "QT_", "PYTHON", "VIRTUAL_ENV"))
        }
        self.env.update(
            HOME=str(home), XDG_DATA_HOME=str(self.data), XDG_CONFIG_HOME=str(self.config), PATH="/usr/bin:/bin"
        )

    @property
    def database(self) -> Path:
        return self.data / "DiversionDesktop" / "diversion.sqlite3"

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(COMMAND), *args], capture_output=True, text=True, timeout=300, env={**self.env, **env}, cwd=self.home
        )
        assert done.returncode == 0, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done


@pytest.fixture(scope="module")
def deb() -> Path:
    started = time.perf_counter()
    build = subprocess.run(
        [sys.executable, "packaging/build.py"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    seconds = time.perf_counter() - started
    debs = sorted((ROOT / "dist").glob(f"{PACKAGE}_{VERSION}+*.deb"))
    assert len(debs) == 1, debs
    bundle = sum(p.lstat().st_size for p in (ROOT / "dist" / PACKAGE).rglob("*") if not p.is_symlink())
    print(f"\nbuilt in {seconds:.0f} s: bundle {bundle / 2**20:.0f} MiB, .deb {debs[0].stat().st_size / 2**20:.0f} MiB")
    return debs[0]


@pytest.fixture(scope="module")
def person(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Person]:
    """The package installed, and a person with a fresh home; the package is removed after."""
    done = subprocess.run(
        ["dpkg", "-i", str(deb)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    yield Person(tmp_path_factory.mktemp("home"))
    if installed():  # the removal test did not get to it
        subprocess.run(["dpkg", "-r", PACKAGE], capture_output=True, timeout=300)


def test_the_package_holds_what_it_promises(deb: Path) -> None:
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version", "Depends", "Architecture"], capture_output=True, text=True, check=True
    ).stdout
    assert f"Version: {VERSION}+" in fields
    assert "libxcb-cursor0" in fields and "python" not in fields  # no Python from the system
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    for path in (
        "./opt/diversion-desktop/diversion-desktop",
        "./usr/bin/diversion-desktop -> /opt/",
        "./usr/share/applications/diversion-desktop.desktop",
        "./usr/share/icons/hicolor/scalable/apps/diversion-desktop.svg",
        "./lib/systemd/system/diversion-desktop-retention.service",
        "./lib/systemd/system/diversion-desktop-retention.timer",
        "_internal/resources/fonts/DejaVuSans.ttf",
        "_internal/resources/schemes/west-berkshire.toml",
        "_internal/diversion_desktop/store/migrations/versions/0001_initial_schema.py",
    ):
        assert path in listing, path
    assert "root/root" in listing


def test_installed_where_it_belongs_and_the_server_unit_is_off(person: Person) -> None:
    assert COMMAND.resolve() == OPT / PACKAGE
    entry = Path("/usr/share/applications/diversion-desktop.desktop").read_text(encoding="utf-8")
    assert "Exec=diversion-desktop\n" in entry and "Icon=diversion-desktop\n" in entry
    assert Path("/usr/share/icons/hicolor/scalable/apps/diversion-desktop.svg").is_file()
    # Installed, not enabled: nothing links the timer into timers.target.
    assert Path("/lib/systemd/system/diversion-desktop-retention.timer").is_file()
    assert not list(Path("/etc/systemd/system").glob("*/diversion-desktop-retention.*"))
    if shutil.which("systemd-analyze"):
        verify = subprocess.run(
            [
                "systemd-analyze",
                "verify",
                "/lib/systemd/system/diversion-desktop-retention.timer",
                "/lib/systemd/system/diversion-desktop-retention.service",
            ],
            capture_output=True,
            text=True,
        )
        assert "diversion-desktop" not in verify.stderr.replace(
            "/lib/systemd/system/diversion-desktop-retention", ""
        ), verify.stderr


def test_no_bundled_library_needs_a_newer_glibc_than_ubuntu_2204() -> None:
    needed: set[tuple[int, ...]] = set()
    for path in OPT.rglob("*"):
        if path.is_file() and (path.suffix == ".so" or ".so." in path.name or path.name == PACKAGE):
            symbols = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True).stdout
            needed.update(tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_(\d+\.\d+(?:\.\d+)?)", symbols))
    assert needed and max(needed) <= UBUNTU_2204_GLIBC, max(needed)


def test_the_installed_command_line(person: Person) -> None:
    version = person.run("--version").stdout.strip()
    dpkg_version = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", PACKAGE], capture_output=True, text=True, check=True
    ).stdout
    assert version == f"diversion-desktop {dpkg_version}"  # the one version, naming the build
    assert re.fullmatch(rf"diversion-desktop {re.escape(VERSION)}\+\d{{8}}\.(g[0-9a-f]+(\.dirty)?|nogit)", version)

    schemes = person.run("schemes").stdout
    assert "west-berkshire" in schemes and "windsor-and-maidenhead" in schemes
    assert str(OPT) in schemes  # the bundle's own scheme files

    assert not person.database.exists()
    person.run("demo", "--people", "60", "--referrals", "80")  # migrates a fresh database first
    with sqlite3.connect(person.database) as db:
        assert db.execute("SELECT count(*) FROM people").fetchone()[0] == 60
        reference = db.execute(
            "SELECT reference FROM referrals WHERE status = 'completed' ORDER BY id LIMIT 1"
        ).fetchone()[0]

    letters = person.home / "letters"
    person.run("letters", "--referral", reference, "--out", str(letters))
    pdfs = sorted(letters.glob("*.pdf"))
    assert pdfs
    if shutil.which("pdffonts"):  # the letters' own font, from the bundle, embedded
        fonts = subprocess.run(["pdffonts", str(pdfs[0])], capture_output=True, text=True, check=True).stdout
        assert "DejaVuSans" in fonts
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdfs[0]), "-"], capture_output=True, text=True, check=True).stdout
        assert reference in text

    # The bulk generator's worker processes, started from the bundle's executable.
    bulk = person.home / "bulk.sqlite3"
    person.run(
        "demo", "--bulk", "--people", "400", "--referrals", "500", "--workers", "2", "--database", f"sqlite:///{bulk}"
    )
    with sqlite3.connect(bulk) as db:
        assert db.execute("SELECT count(*) FROM referrals").fetchone()[0] == 500


def window(name: str, env: dict[str, str]) -> bool:
    return (
        subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name], env=env, capture_output=True).returncode
        == 0
    )


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_the_installed_application_opens_and_signs_in(person: Person) -> None:
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        pytest.skip("needs Xvfb and xdotool: packaging/install-system-deps.sh --test")
    # On the demo's database (no users yet): the first user added becomes an administrator.
    person.run("users", "add", "tstaff", "--role", "station_staff", DIVERSION_NEW_PASSWORD=PASSWORD)
    display = f":{90 + os.getpid() % 50}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {**person.env, "DISPLAY": display}
    log = person.home / "gui.log"
    app = None
    try:
        assert wait_for(
            lambda: subprocess.run(["xdotool", "getdisplaygeometry"], env=env, capture_output=True).returncode == 0, 10
        )
        with log.open("w") as out:
            app = subprocess.Popen([str(COMMAND)], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=person.home)
        assert wait_for(lambda: window("Sign in", env), 60), "no sign-in dialog: " + log.read_text()[-2000:]
        time.sleep(0.5)  # the dialog has the focus once it is shown
        for keys in (
            ["type", "--delay", "15", "tstaff"],
            ["key", "Tab"],
            ["type", "--delay", "15", PASSWORD],
            ["key", "Return"],
        ):
            subprocess.run(["xdotool", *keys], env=env, check=True)
        assert wait_for(lambda: window("Diversion Desktop —", env), 60), (
            "no main window after signing in: " + log.read_text()[-2000:]
        )
        time.sleep(2)
        assert app.poll() is None, "the application stopped: " + log.read_text()[-2000:]
    finally:
        if app is not None and app.poll() is None:
            app.terminate()
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()
        xvfb.terminate()
        xvfb.wait(10)


def test_removing_the_package_keeps_the_users_data(person: Person) -> None:
    assert person.database.is_file()
    with sqlite3.connect(person.database) as db:
        people = db.execute("SELECT count(*) FROM people").fetchone()[0]
    letters = sorted((person.home / "letters").glob("*.pdf"))
    done = subprocess.run(["dpkg", "--purge", PACKAGE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not installed() and not COMMAND.exists() and not OPT.exists()
    assert not Path("/usr/share/applications/diversion-desktop.desktop").exists()
    with sqlite3.connect(person.database) as db:  # every row is still there
        assert db.execute("SELECT count(*) FROM people").fetchone()[0] == people == 60
    assert letters and all(p.is_file() for p in letters)
