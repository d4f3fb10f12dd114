#!/usr/bin/env bash
# Installs the system libraries Qt 6 needs (offscreen and on a desktop) and the
# DejaVu fonts, on Debian or Ubuntu. With --test, also what the tests need:
# poppler-utils (to read PDFs back) and the PostgreSQL server (the tests start
# one of their own, on a socket, to check the shared-server option; Debian's
# package also sets up a system-wide server on port 5432, started where
# services run, which the tests do not use), Xvfb and xdotool (one test starts
# the installed command on an X server of its own and signs in with keystrokes),
# and binutils for building the package. Does nothing for packages that are
# already there.
set -euo pipefail

packages=(
  libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3 fonts-dejavu-core
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libx11-xcb1 libxcb-image0
  libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
  libcups2  # Qt's printing (the letters); the installed package takes it from the system too
)
if [ "${1:-}" = "--test" ]; then
  packages+=(poppler-utils postgresql xvfb xdotool)
  packages+=(binutils)  # objdump: PyInstaller's library analysis (tests/packaging builds the .deb)
  packages+=(age)  # tests/store/test_age_backup.py: the age tool opens an encrypted backup
fi
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found: install the equivalents of ${packages[*]} with your package manager." >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
