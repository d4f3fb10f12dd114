"""One place that knows where bundled resource files live.

Works from a source checkout, an editable install and a frozen bundle
(PyInstaller puts data under ``sys._MEIPASS``). ``DIVERSION_RESOURCES`` lets an
installation point at its own folder of scheme files and letter assets.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    override = os.environ.get("DIVERSION_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def schemes_dir() -> Path:
    return resource_path("schemes")
