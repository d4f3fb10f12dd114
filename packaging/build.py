"""Build Diversion Desktop for installation: ``python packaging/build.py``.

Writes under ``dist/``:

* ``dist/diversion-desktop/`` — the self-contained bundle (PyInstaller, one folder: Python, Qt,
  the resources and the migrations inside), on every platform;
* on Linux, ``dist/diversion-desktop_<version>_<arch>.deb`` (dpkg-deb), installing under /opt;
* on Windows, ``dist/DiversionDesktop-<version>-setup.exe`` when Inno Setup's ISCC is on the PATH
  (otherwise it says what to run).

Run it with the Python of a virtual environment that has the project installed
(``pip install -e '.[packaging]'``); PyInstaller is installed into that environment if missing.
See packaging/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
BUILD = ROOT / "build"
DIST = ROOT / "dist"
NAME = "diversion-desktop"
ICON_SVG = ROOT / "resources" / "icons" / "diversion-desktop.svg"

# The system libraries the bundled Qt loads that the bundle does not carry (PyInstaller leaves out
# the X11, OpenGL, fontconfig and D-Bus libraries a desktop provides), as named on Debian 12 and
# Ubuntu 22.04/24.04 (24.04 renamed GLib for its 64-bit time, hence the alternative).
DEB_DEPENDS = [
    "libc6 (>= 2.34)",
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libfreetype6",
    "libxkbcommon0",
    "libglib2.0-0t64 | libglib2.0-0",
    "libdbus-1-3",
    "libxkbcommon-x11-0",
    "libx11-xcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xinerama0",
    "libxcb-xkb1",
    "fonts-dejavu-core",
    # taken from the system, not the build machine (diversion-desktop.spec, FROM_THE_SYSTEM)
    "libstdc++6",
    "libgcc-s1",
    "libexpat1",
    "libcups2t64 | libcups2",
]


def version() -> str:
    """The version as written in diversion_desktop/__init__.py (read, not imported: the bundle's
    copy is what names the build)."""
    for line in (ROOT / "diversion_desktop" / "__init__.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("VERSION = "):
            return line.split("=", 1)[1].strip().strip('"')
    raise SystemExit("diversion_desktop/__init__.py has no VERSION line")


def build_name() -> str:
    """This build's local version label: the date and the commit, "+20261206.gcd92a33" (".dirty"
    when the working tree has changes, "+20261206.nogit" outside a git checkout)."""
    day = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d")

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = "g" + git("rev-parse", "--short=8", "HEAD")
        if git("status", "--porcelain", "--untracked-files=no"):
            commit += ".dirty"
    except (OSError, subprocess.CalledProcessError):
        commit = "nogit"
    return f"+{day}.{commit}"


def ensure_pyinstaller() -> None:
    try:
        import PyInstaller  # noqa: F401 - only: is it installed?
    except ImportError:
        if sys.prefix == sys.base_prefix:
            raise SystemExit(
                "PyInstaller is missing. Run this with a virtual environment's Python: "
                "python3 -m venv .venv && .venv/bin/pip install -e '.[packaging]'"
            ) from None
        print("+ installing PyInstaller into", sys.prefix, flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pyinstaller>=6.10"], check=True)


def render_icon_png(size: int) -> bytes:
    """The SVG icon as a PNG of ``size`` pixels, drawn by Qt (already a dependency)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(ICON_SVG)).render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def write_ico(path: Path) -> None:
    """A Windows .ico holding PNG images (allowed since Windows Vista) at the usual sizes."""
    sizes = (16, 32, 48, 256)
    images = [render_icon_png(s) for s in sizes]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries = b""
    for size, png in zip(sizes, images):
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset)
        offset += len(png)
    path.write_bytes(header + entries + b"".join(images))


def run_pyinstaller(build_file: Path) -> Path:
    env = dict(os.environ, DIVERSION_BUILD_FILE=str(build_file))
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(DIST),
        "--workpath",
        str(BUILD / "pyinstaller"),
        str(PACKAGING / "diversion-desktop.spec"),
    ]
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    bundle = DIST / NAME
    # PyInstaller links the Qt libraries next to the executable, also those the spec dropped.
    for link in [p for p in bundle.rglob("*") if p.is_symlink() and not p.exists()]:
        link.unlink()
    return bundle


def installed_size_kib(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink()) // 1024 + 1


def build_deb(bundle: Path, full_version: str) -> Path:
    """The .deb: the bundle under /opt, the command on the PATH, the menu entry and icon, and the
    retention service and timer (not enabled). Built by dpkg-deb with root as owner."""
    root = BUILD / "deb" / "root"
    shutil.rmtree(root.parent, ignore_errors=True)
    opt = root / "opt" / NAME
    shutil.copytree(bundle, opt, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / NAME).symlink_to(f"/opt/{NAME}/{NAME}")
    linux = PACKAGING / "linux"
    installs = {
        linux / "diversion-desktop.desktop": "usr/share/applications/diversion-desktop.desktop",
        ICON_SVG: "usr/share/icons/hicolor/scalable/apps/diversion-desktop.svg",
        linux / "diversion-desktop-retention.service": "lib/systemd/system/diversion-desktop-retention.service",
        linux / "diversion-desktop-retention.timer": "lib/systemd/system/diversion-desktop-retention.timer",
        linux / "server.env.example": "usr/share/doc/diversion-desktop/server.env.example",
        PACKAGING / "README.md": "usr/share/doc/diversion-desktop/README.md",
        ROOT / "resources" / "fonts" / "LICENSE-DejaVu.txt": "usr/share/doc/diversion-desktop/LICENSE-DejaVu.txt",
    }
    for source, target in installs.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / target)
        (root / target).chmod(0o644)
    debian = root / "DEBIAN"
    debian.mkdir()
    for script in ("postinst", "prerm", "postrm"):
        shutil.copyfile(linux / script, debian / script)
        (debian / script).chmod(0o755)
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    deb_version = full_version  # "0.1.0+20261206.gcd92a33": also a valid Debian version
    (debian / "control").write_text(
        f"Package: {NAME}\n"
        f"Version: {deb_version}\n"
        f"Architecture: {arch}\n"
        "Maintainer: Diversion Desktop maintainers <diversion-desktop@localhost>\n"
        f"Installed-Size: {installed_size_kib(root)}\n"
        f"Depends: {', '.join(DEB_DEPENDS)}\n"
        "Section: misc\n"
        "Priority: optional\n"
        "Description: run a police drugs-diversion scheme\n"
        " Referrals and eligibility at intake, appointments and attendance at the\n"
        " providers' centres, next steps and letters. Self-contained: Python and Qt\n"
        " are inside /opt/diversion-desktop.\n",
        encoding="utf-8",
    )
    deb = DIST / f"{NAME}_{deb_version}_{arch}.deb"
    for old in DIST.glob(f"{NAME}_*.deb"):
        old.unlink()
    # zstd: the dpkg of Debian 12 and of Ubuntu 22.04 and later read it. Measured on 2 cores for
    # this bundle: level 9 takes 6 s for 122 MiB; xz -6 took 295 s for 101 MiB.
    command = ["dpkg-deb", "--root-owner-group", "-Zzstd", "-z9", "--build", str(root), str(deb)]
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return deb


def build_windows_installer(full_version: str) -> Path | None:
    default = Path(os.environ.get("ProgramFiles(x86)", r"C:\Program Files (x86)")) / "Inno Setup 6" / "ISCC.exe"
    iscc = shutil.which("iscc") or (str(default) if default.is_file() else None)
    script = PACKAGING / "windows" / "diversion-desktop.iss"
    numeric = ".".join(full_version.split("+")[0].split(".")[:3] + ["0"])
    command = [
        iscc or "ISCC.exe",
        f"/DAppVersion={full_version}",
        f"/DAppNumericVersion={numeric}",
        f"/DSourceDir={DIST / NAME}",
        f"/DOutputDir={DIST}",
        f"/DIconFile={BUILD / 'diversion-desktop.ico'}",
        str(script),
    ]
    if not iscc:
        print(
            "Inno Setup's ISCC.exe is not on the PATH: install Inno Setup 6, then run\n  "
            + subprocess.list2cmdline(command)
        )
        return None
    print("+", subprocess.list2cmdline(command), flush=True)
    subprocess.run(command, check=True)
    return DIST / f"DiversionDesktop-{numeric}-setup.exe"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-package", action="store_true", help="make the bundle only (no .deb or installer)")
    args = parser.parse_args()
    started = time.perf_counter()
    ensure_pyinstaller()
    full_version = version() + build_name()
    BUILD.mkdir(exist_ok=True)
    build_file = BUILD / "BUILD"
    build_file.write_text(full_version[len(version()) :] + "\n", encoding="utf-8")
    if sys.platform == "win32":
        write_ico(BUILD / "diversion-desktop.ico")
    bundle = run_pyinstaller(build_file)
    print(
        f"bundle: {bundle} ({installed_size_kib(bundle) / 1024:.0f} MiB) after {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    if not args.no_package:
        package = None
        if sys.platform.startswith("linux"):
            package = build_deb(bundle, full_version)
        elif sys.platform == "win32":
            package = build_windows_installer(full_version)
        if package:
            print(f"package: {package} ({package.stat().st_size / 2**20:.0f} MiB)")
    print(f"Diversion Desktop {full_version} built in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
