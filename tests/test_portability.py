"""The application must run on Windows too (packaging/README.md), which cannot be built or run here.

What can be proved here: no module of the application uses a POSIX-only call — ``os.fork``,
``fcntl``, ``signal.SIGKILL`` and their kind — or a hard-coded ``/…`` path, except in code that
checks the platform first (an ``if`` or a conditional expression on ``sys.platform``, ``os.name``,
``platform.system()``, ``hasattr(os, …)`` or the start methods multiprocessing offers, or a
``try`` that catches the ImportError or AttributeError Windows raises).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "diversion_desktop").rglob("*.py")) + [ROOT / "packaging" / "entry.py"]

POSIX_MODULES = {
    "fcntl",
    "termios",
    "tty",
    "pty",
    "pwd",
    "grp",
    "resource",
    "posix",
    "syslog",
    "crypt",
    "curses",
    "readline",
}
POSIX_ATTRIBUTES = {
    "os": {
        "fork",
        "forkpty",
        "getuid",
        "geteuid",
        "getgid",
        "getegid",
        "setuid",
        "setgid",
        "setsid",
        "getpgid",
        "setpgrp",
        "killpg",
        "chown",
        "lchown",
        "fchown",
        "mkfifo",
        "getloadavg",
        "uname",
        "sync",
        "WNOHANG",
        "posix_spawn",
        "sched_getaffinity",
        "getpriority",
        "setpriority",
        "nice",
    },
    "signal": {
        "SIGKILL",
        "SIGHUP",
        "SIGQUIT",
        "SIGUSR1",
        "SIGUSR2",
        "SIGALRM",
        "SIGCHLD",
        "SIGPIPE",
        "SIGSTOP",
        "SIGCONT",
        "alarm",
        "setitimer",
        "getitimer",
        "pause",
        "siginterrupt",
    },
}
POSIX_PATH = re.compile(r"^/(tmp|home|usr|opt|var|etc|dev|proc|run|root|bin|sbin|lib|srv|mnt|media|sys)(/|$)")
PLATFORM_CHECK = re.compile(
    r"sys\.platform|os\.name|platform\.system|hasattr\((os|signal)\b|"
    r"get_all_start_methods"
)
CAUGHT_ON_WINDOWS = {"ImportError", "ModuleNotFoundError", "AttributeError", "Exception"}


def _checks_platform(node: ast.AST) -> bool:
    return isinstance(node, (ast.If, ast.IfExp, ast.While)) and bool(PLATFORM_CHECK.search(ast.unparse(node.test)))


def _catches_windows_failure(node: ast.AST) -> bool:
    if not isinstance(node, ast.Try):
        return False
    for handler in node.handlers:
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(isinstance(n, ast.Name) and n.id in CAUGHT_ON_WINDOWS for n in names):
            return True
    return False


def posix_only_uses(source: str) -> list[tuple[int, str]]:
    """(line, what) for every POSIX-only use in ``source`` that no platform check guards."""
    tree = ast.parse(source)
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }

    def guarded(node: ast.AST) -> bool:
        while node in parents:
            node = parents[node]
            if _checks_platform(node) or _catches_windows_failure(node):
                return True
        return False

    found = []
    for node in ast.walk(tree):
        what = None
        if isinstance(node, ast.Import):
            what = next((f"import {a.name}" for a in node.names if a.name.split(".")[0] in POSIX_MODULES), None)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in POSIX_MODULES:
            what = f"from {node.module} import …"
        elif isinstance(node, ast.ImportFrom) and node.module in POSIX_ATTRIBUTES:
            what = next(
                (f"from {node.module} import {a.name}" for a in node.names if a.name in POSIX_ATTRIBUTES[node.module]),
                None,
            )
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.attr in POSIX_ATTRIBUTES.get(node.value.id, ())
        ):
            what = f"{node.value.id}.{node.attr}"
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and POSIX_PATH.match(node.value)
        ):
            what = f"hard-coded path {node.value!r}"
        if what and not guarded(node):
            found.append((node.lineno, what))
    return found


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("import os\nos.fork()", ["os.fork"]),
        ("import fcntl", ["import fcntl"]),
        ("from signal import SIGKILL", ["from signal import SIGKILL"]),
        ("import os, signal\nos.kill(1, signal.SIGKILL)", ["signal.SIGKILL"]),
        ("from pathlib import Path\nFONTS = Path('/usr/share/fonts')", ["hard-coded path '/usr/share/fonts'"]),
        ("import os, signal\nif os.name == 'posix':\n    os.kill(1, signal.SIGKILL)", []),
        ("import sys\nFONTS = ['/usr/share/fonts'] if sys.platform.startswith('linux') else []", []),
        ("try:\n    import fcntl\nexcept ImportError:\n    fcntl = None", []),
        ("import os\nif hasattr(os, 'fork'):\n    os.fork()", []),
        ("import multiprocessing as mp\nm = 'fork' if 'fork' in mp.get_all_start_methods() else 'spawn'", []),
        ('"""Files under /usr/share are not read."""', []),  # a docstring is no path
        ("import os, signal\nos.kill(1, signal.SIGTERM)\nURL = 'sqlite:///x.db'", []),  # portable
    ],
)
def test_the_check_finds_what_windows_lacks(source: str, flagged: list[str]) -> None:
    assert [what for _line, what in posix_only_uses(source)] == flagged


def test_no_shipped_module_uses_posix_only_calls_unchecked() -> None:
    assert len(SHIPPED) > 50  # the application's modules were found
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in SHIPPED
        for line, what in posix_only_uses(path.read_text(encoding="utf-8"))
    ]
    assert problems == []
