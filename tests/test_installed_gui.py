"""The installed ``diversion-desktop`` command as people start it: its own process on a real X
server (Xvfb), signed in with keystrokes sent through the X server (xdotool), once for each role.

What the GUI tests in-process cannot see shows here: the console script and its imports, the
real platform plugin (not offscreen), start-up in the order a person meets it, and a window
that stays up after signing in. The data folder is fresh, with users added through the
documented ``users add``, and the settings of a workstation already in use (area, station,
centre), as /work/shared/tools/try-as-user.sh does from the shell.

Xvfb and xdotool come from ``packaging/install-system-deps.sh --test``. Without them the test
is skipped on a developer's machine, and fails in CI (CI=true), where they must be there.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = Path(sys.executable).parent / "diversion-desktop"  # what `pip install` put beside python
PASSWORD = "Installed-GUI-test-2026!"  # the administrator's; the others' too until they change it
OWN_PASSWORD = "Chosen-by-myself-2026!"  # what a user told to change it chooses
WAIT = 60.0  # seconds for anything to appear: the machine may be slow and busy, but never a hang
SETTINGS = "[intake]\narea=west-berkshire\nstation=Newbury\n[appointments]\ncentre=newbury\n"

# user name, and what `users add` is given; the first administrator also coordinates, as in try-as-user.sh
USERS = {
    "administrator": ("tadmin", ["--role", "administrator", "--role", "coordinator"]),
    "station_staff": ("tstation", ["--role", "station_staff"]),
    "support_worker": ("tsupport", ["--role", "support_worker", "--organisation", "Cranstoun"]),
    "coordinator": ("tcoordinator", ["--role", "coordinator"]),
}


def _missing_tools() -> list[str]:
    return [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private X server on a display number it chooses itself (-displayfd: no clash with
    another running at the same time)."""
    missing = _missing_tools()
    if missing:
        reason = f"{' and '.join(missing)} not installed (packaging/install-system-deps.sh --test installs them)"
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"CI must run this test: {reason}")
        pytest.skip(reason)
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1400x900x24", "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], WAIT)
        number = os.read(read_end, 64).decode().strip() if ready else ""
        if not number:
            server.kill()
            pytest.fail(f"Xvfb did not start within {WAIT:.0f} s: {server.communicate(timeout=10)[1]!r}")
        yield f":{number}"
    finally:
        os.close(read_end)
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A fresh home, settings and data folder, used as a workstation is: its settings file has
    an area, station and centre. PYTHONPATH: the installed command runs this checkout's code
    (the same thing in CI, where this checkout is what was installed)."""
    home = tmp_path_factory.mktemp("installed-gui")
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("DIVERSION_", "QT_QPA_"))
    }  # a real X server: not offscreen
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHONPATH=str(ROOT),
    )
    settings = home / "config" / "DiversionDesktop" / "DiversionDesktop.conf"
    settings.parent.mkdir(parents=True)
    settings.write_text(SETTINGS, encoding="utf-8")
    return env


@pytest.fixture(scope="module")
def users(environment: dict[str, str]) -> dict[str, str]:
    """One user per role, added with the documented command (the first one is the first
    administrator, who adds the others); role -> user name."""
    assert COMMAND.exists(), f"{COMMAND} is missing: install the project (pip install -e '.[test]')"
    version = subprocess.run([COMMAND, "--version"], env=environment, capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("diversion-desktop "), version
    # The command's interpreter, outside this checkout (so not finding it as the current folder).
    code = subprocess.run(
        [sys.executable, "-c", "import diversion_desktop; print(diversion_desktop.__file__)"],
        env=environment,
        cwd=environment["HOME"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert Path(code.stdout.strip()).is_relative_to(ROOT), f"the command would run other code: {code}"

    signed_in = {
        **environment,
        "DIVERSION_USER": USERS["administrator"][0],
        "DIVERSION_PASSWORD": PASSWORD,
        "DIVERSION_NEW_PASSWORD": PASSWORD,
    }
    for name, options in USERS.values():
        added = subprocess.run(
            [COMMAND, "users", "add", name, *options],
            env=signed_in,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        assert added.returncode == 0, f"users add {name}: {added.stdout}{added.stderr}"
    return {role: name for role, (name, _options) in USERS.items()}


# -- the X server, through xdotool -------------------------------------------------------------
@dataclass
class Desktop:
    display: str
    app: subprocess.Popen[str]
    log: Path

    def xdotool(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["xdotool", *args],
            env={**os.environ, "DISPLAY": self.display},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def windows(self, title: str) -> list[str]:
        """The visible windows whose title matches the regular expression ``title``."""
        found = self.xdotool("search", "--onlyvisible", "--name", title)
        return found.stdout.split()

    def title(self, window: str) -> str:
        return self.xdotool("getwindowname", window).stdout.strip()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, *titles: str) -> tuple[str, str]:
        """The first of the windows ``titles`` (regular expressions) to appear: (title, window).
        Fails at once if the application has ended, and after WAIT seconds at the latest."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for title in titles:
                found = self.windows(title)
                if found:
                    return title, found[-1]
            if self.app.poll() is not None:
                pytest.fail(
                    f"diversion-desktop ended (exit code {self.app.returncode}) before any of "
                    f"{titles} appeared:\n{self.output()}"
                )
            time.sleep(0.2)
        pytest.fail(
            f"none of {titles} appeared within {WAIT:.0f} s; visible windows: {self.everything()}\n{self.output()}"
        )

    def everything(self) -> list[str]:
        return [self.title(w) for w in self.windows(".")]

    def focus(self, window: str) -> None:
        """Keyboard focus on ``window`` (there is no window manager to give it)."""
        deadline = time.monotonic() + WAIT
        while self.xdotool("getwindowfocus").stdout.strip() != window:
            if time.monotonic() > deadline:
                pytest.fail(f"window {self.title(window)!r} never got the keyboard focus")
            self.xdotool("windowfocus", window)
            time.sleep(0.2)

    def type(self, *keys: str) -> None:
        """Text, and key names in angle brackets: type("tadmin", "<Tab>", "secret", "<Return>")."""
        for key in keys:
            if key.startswith("<") and key.endswith(">"):
                self.xdotool("key", key[1:-1])
            else:
                self.xdotool("type", "--delay", "20", key)


@pytest.fixture
def start(display: str, environment: dict[str, str], tmp_path: Path) -> Iterator[Callable[[], Desktop]]:
    """Start the installed command on the X server; whatever is left running is ended afterwards."""
    started: list[Desktop] = []

    def start_() -> Desktop:
        log = tmp_path / "diversion-desktop.log"
        with log.open("w", encoding="utf-8") as out:
            app = subprocess.Popen(
                [COMMAND],
                env={**environment, "DISPLAY": display},
                cwd=environment["HOME"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
            )
        started.append(Desktop(display, app, log))
        return started[-1]

    yield start_
    for desktop in started:
        if desktop.app.poll() is None:
            desktop.app.send_signal(signal.SIGTERM)
            try:
                desktop.app.wait(timeout=10)
            except subprocess.TimeoutExpired:
                desktop.app.kill()
                desktop.app.wait(timeout=10)


MAIN_WINDOW = "^Diversion Desktop — "
SIGN_IN, CHANGE_PASSWORD = "^Sign in — ", "^Change password — "
STAYS_UP = 4.0  # seconds the window must stay after signing in (the opening of the data, the first lists)


@pytest.mark.parametrize("role", list(USERS))
def test_signing_in_opens_the_main_window_and_it_stays(
    role: str, users: dict[str, str], start: Callable[[], Desktop], environment: dict[str, str]
) -> None:
    name = users[role]
    desktop = start()
    _title, dialog = desktop.wait_for(SIGN_IN)
    desktop.focus(dialog)
    desktop.type(name, "<Tab>", PASSWORD, "<Return>")

    title, window = desktop.wait_for(MAIN_WINDOW, CHANGE_PASSWORD)
    if title == CHANGE_PASSWORD:  # an administrator set this password: the user chooses their own
        desktop.focus(window)
        desktop.type(PASSWORD, "<Tab>", OWN_PASSWORD, "<Tab>", OWN_PASSWORD, "<Return>")
        title, window = desktop.wait_for(MAIN_WINDOW)
    assert name in desktop.title(window)

    time.sleep(STAYS_UP)
    assert desktop.app.poll() is None, f"diversion-desktop ended after signing in:\n{desktop.output()}"
    assert desktop.windows(MAIN_WINDOW) == [window], desktop.everything()
    assert "Traceback" not in desktop.output(), desktop.output()

    # File → Quit (Ctrl+Q): the application ends by itself, and the window's place is kept in the
    # settings of this test's home, beside the workstation's own.
    desktop.focus(window)
    desktop.type("<ctrl+q>")
    try:
        code = desktop.app.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"diversion-desktop did not end after Ctrl+Q; windows: {desktop.everything()}")
    assert code == 0, desktop.output()
    assert "Traceback" not in desktop.output(), desktop.output()
    settings = (Path(environment["XDG_CONFIG_HOME"]) / "DiversionDesktop" / "DiversionDesktop.conf").read_text()
    assert "geometry=" in settings and "station=Newbury" in settings
