"""Diversion Desktop: run a drugs diversion scheme from intake to the next step."""

import sys
from pathlib import Path

# The one place the version is written: the wheel (pyproject.toml), the bundle, the .deb and the
# Windows installer (packaging/build.py) all take it from here.
VERSION = "0.1.0"

# A bundle made by packaging/build.py carries a file BUILD naming the build (the date and the
# commit, as a PEP 440 local version: "+20261206.gcd92a33"), so `--version`, the About box and a
# subject-access export say exactly which build made them. From source there is none.
_BUILD_FILE = Path(getattr(sys, "_MEIPASS", "")) / "BUILD" if getattr(sys, "frozen", False) else None


def _build() -> str:
    try:
        return _BUILD_FILE.read_text(encoding="utf-8").strip() if _BUILD_FILE else ""
    except OSError:
        return ""


__version__ = VERSION + _build()
