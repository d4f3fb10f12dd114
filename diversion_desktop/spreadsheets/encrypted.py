"""Password-protected output: an AES-256 encrypted ZIP holding the exported file(s).

No common library writes an encrypted XLSX, so exports of personal data go into
a ZIP encrypted with AES-256 (the WinZip AE-2 format). It opens with 7-Zip,
WinZip, PeaZip or Keka, and with ``7z x FILE.zip`` on Linux (p7zip). Windows
Explorer's built-in ZIP support and Info-ZIP's ``unzip`` cannot open AES-encrypted
ZIPs. Entries are streamed into the archive as they are written, so the
unencrypted data never touches the disk.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

MIN_PASSWORD_LENGTH = 8
OPENS_WITH = (
    "7-Zip, WinZip, PeaZip or Keka (or `7z x` on Linux); Windows Explorer's built-in ZIP "
    "support cannot open AES-encrypted files"
)


class PasswordError(ValueError):
    """The password is not acceptable; the message says why."""


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if password != password.strip():
        raise PasswordError("The password must not start or end with a space.")


class EncryptedZip:
    """An AES-encrypted ZIP being written; ``entry(name)`` gives a binary stream for one file."""

    def __init__(self, archive: zipfile.ZipFile) -> None:  # a pyzipper.AESZipFile
        self._archive = archive

    @contextmanager
    def entry(self, name: str) -> Iterator[IO[bytes]]:
        with self._archive.open(name, "w") as stream:
            yield stream


@contextmanager
def encrypted_zip(path: Path, password: str) -> Iterator[EncryptedZip]:
    """Write an AES-256 encrypted ZIP at ``path``; removed again if writing fails."""
    import pyzipper

    check_password(password)
    try:
        with pyzipper.AESZipFile(path, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as archive:
            archive.setpassword(password.encode("utf-8"))
            archive.setencryption(pyzipper.WZ_AES, nbits=256)
            yield EncryptedZip(archive)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def read_entries(path: Path, password: str) -> dict[str, bytes]:
    """Every file in an encrypted ZIP (for checks and tests)."""
    import pyzipper

    with pyzipper.AESZipFile(path) as archive:
        archive.setpassword(password.encode("utf-8"))
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}
