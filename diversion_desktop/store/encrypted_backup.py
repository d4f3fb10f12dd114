"""The encrypted backup file: a SQLite database streamed through AES-256-GCM in 1 MiB chunks.

Layout (integers big-endian)::

    b"DDBACKUP" | format version (1 byte) | header length (2 bytes) | header (UTF-8 JSON)
    key check (16 bytes)
    chunk, chunk, ...: last flag (1 byte, 0 or 1) | length (4 bytes) | ciphertext and its 16-byte tag

The JSON header names the cipher ("AES-256-GCM"), the key derivation ("scrypt" with its n, r
and p), the random 16-byte salt, a random 4-byte nonce prefix, the chunk size, the size of the
database inside and its schema revision. The key is scrypt(password as NFC UTF-8, salt); the
salt is new for every file, so every file has its own key. Chunk *i* is sealed with the nonce
``prefix || i`` (8 bytes) and, as associated data, everything before the key check, *i* and its
last flag: a changed header, chunks reordered, dropped or added, and a file cut short (no chunk
flagged last) all fail. The key check is the GCM tag of nothing under a reserved nonce, so a wrong
password is told apart from a damaged file. Only ``diversion-desktop restore`` (or the
application's Restore dialog) decrypts these files; no other tool knows the format.

cryptography is imported on first use (it costs start-up time for a window that never backs up).
"""

from __future__ import annotations

import json
import os
import struct
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from diversion_desktop.store.private_files import open_private

MAGIC = b"DDBACKUP"
SQLITE_MAGIC = b"SQLite format 3\x00"
FORMAT_VERSION = 1
CIPHER = "AES-256-GCM"
KDF = "scrypt"
CHUNK_SIZE = 1 << 20
# scrypt cost: 2**17 x 8 is 128 MiB and under a second to derive once per backup or restore,
# which makes guessing a 12-character password expensive (OWASP's recommended minimum).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 17, 8, 1
_SALT_BYTES, _PREFIX_BYTES, _TAG_BYTES = 16, 4, 16
_CHECK_INDEX = 2 ** 64 - 1  # the key check's nonce: a chunk index never reaches it
_FRAME = struct.Struct(">BI")  # last flag, ciphertext length
_PREAMBLE = struct.Struct(">8sBH")  # magic, format version, header length
# Limits on what a header may ask for, so a crafted file cannot make the reader allocate gigabytes.
_MAX_HEADER = 4096
_MAX_SCRYPT_MEMORY = 512 * 1024 * 1024
_MIN_CHUNK, _MAX_CHUNK = 1024, 64 * 1024 * 1024

Progress = Callable[[int, int], None]


class EncryptedBackupError(Exception):
    """The file cannot be decrypted; the message says why in plain words."""


class NotAnEncryptedBackup(EncryptedBackupError):
    pass


class UnsupportedBackupFormat(EncryptedBackupError):
    """Written by a newer version of the application, in a format this one does not know."""


class BackupDamaged(EncryptedBackupError):
    """Cut short, changed or corrupted after it was written."""


class BackupPasswordWrong(EncryptedBackupError):
    pass


@dataclass(frozen=True)
class BackupHeader:
    n: int
    r: int
    p: int
    salt: bytes
    nonce_prefix: bytes
    chunk_size: int
    size: int  # bytes of the database inside
    revision: str | None
    created: str  # ISO 8601, as the writer's clock said
    raw: bytes  # the file's bytes up to the key check: every chunk's associated data starts with them


def file_kind(path: Path) -> Literal["encrypted", "sqlite"] | None:
    """What a file holds, from its first bytes: an encrypted backup, a SQLite database, or neither."""
    with path.open("rb") as stream:
        start = stream.read(len(SQLITE_MAGIC))
    if start.startswith(MAGIC) or (start and MAGIC.startswith(start)):
        return "encrypted"  # a file cut inside the magic is still ours, and damaged
    if start == SQLITE_MAGIC:
        return "sqlite"
    return None


def _key(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    # NFC: the same password typed on systems that compose accents differently gives the same key.
    secret = unicodedata.normalize("NFC", password).encode("utf-8")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(8, "big")


def _chunk_data(header: bytes, index: int, last: bool) -> bytes:
    return header + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def _check_data(header: bytes) -> bytes:
    return b"key check\x00" + header


def encrypt(plain: Path, out: Path, password: str, *, revision: str | None, created: str,
            progress: Progress | None = None, chunk_size: int | None = None,
            scrypt: tuple[int, int, int] | None = None) -> int:
    """Write ``plain`` encrypted to ``out`` (replaced if present), chunk by chunk; returns the bytes
    written. ``progress(done, total)`` counts bytes of ``plain``. The caller renames ``out`` into
    place: an interrupted write leaves a file the reader refuses as cut short."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    n, r, p = scrypt or (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    chunk_size = chunk_size or CHUNK_SIZE
    salt, prefix = os.urandom(_SALT_BYTES), os.urandom(_PREFIX_BYTES)
    total = plain.stat().st_size
    fields = {"cipher": CIPHER, "kdf": KDF, "n": n, "r": r, "p": p, "salt": salt.hex(),
              "nonce_prefix": prefix.hex(), "chunk_size": chunk_size, "size": total,
              "revision": revision, "created": created}
    body = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")
    header = _PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(body)) + body
    aead = AESGCM(_key(password, salt, n, r, p))
    done = 0
    with plain.open("rb") as source, open_private(out) as target:
        target.write(header)
        target.write(aead.encrypt(_nonce(prefix, _CHECK_INDEX), b"", _check_data(header)))
        index, chunk = 0, source.read(chunk_size)
        while True:
            following = source.read(chunk_size)  # read ahead: the last chunk must be flagged as such
            last = not following
            sealed = aead.encrypt(_nonce(prefix, index), chunk, _chunk_data(header, index, last))
            target.write(_FRAME.pack(int(last), len(sealed)))
            target.write(sealed)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
            if last:
                break
            index, chunk = index + 1, following
        if done != total:
            raise OSError(f"{plain} changed size while it was being encrypted")
        target.flush()
        os.fsync(target.fileno())
        return target.tell()


def _read_exactly(stream: IO[bytes], size: int, what: str) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise BackupDamaged(f"The backup is incomplete: it ends inside {what} (the file was cut short, "
                            "perhaps by a copy that did not finish).")
    return data


def read_header(stream: IO[bytes]) -> BackupHeader:
    """The header at the start of ``stream``, checked for sense (not yet for authenticity:
    that needs the key)."""
    start = stream.read(len(MAGIC))
    if not start.startswith(MAGIC):
        if start and MAGIC.startswith(start):
            raise BackupDamaged("The backup is incomplete: it ends inside its header.")
        raise NotAnEncryptedBackup("This is not an encrypted Diversion Desktop backup.")
    version, length = struct.unpack(">BH", _read_exactly(stream, 3, "its header"))
    if version != FORMAT_VERSION:
        raise UnsupportedBackupFormat(
            f"This backup is in format version {version}, which this version of Diversion Desktop does not "
            f"know (it reads version {FORMAT_VERSION}): it was made by a newer version. Restore it with that "
            "version or a newer one.")
    if length > _MAX_HEADER:
        raise BackupDamaged("The backup's header is damaged.")
    body = _read_exactly(stream, length, "its header")
    try:
        fields = json.loads(body.decode("utf-8"))
        header = BackupHeader(
            n=int(fields["n"]), r=int(fields["r"]), p=int(fields["p"]), salt=bytes.fromhex(fields["salt"]),
            nonce_prefix=bytes.fromhex(fields["nonce_prefix"]), chunk_size=int(fields["chunk_size"]),
            size=int(fields["size"]), revision=fields.get("revision"), created=str(fields.get("created", "")),
            raw=_PREAMBLE.pack(MAGIC, version, length) + body)
        sound = (fields["cipher"] == CIPHER and fields["kdf"] == KDF
                 and header.n >= 2 ** 10 and header.n & (header.n - 1) == 0 and 1 <= header.r <= 32
                 and 1 <= header.p <= 16 and 128 * header.n * header.r * header.p <= _MAX_SCRYPT_MEMORY
                 and len(header.salt) == _SALT_BYTES and len(header.nonce_prefix) == _PREFIX_BYTES
                 and _MIN_CHUNK <= header.chunk_size <= _MAX_CHUNK and header.size >= 0
                 and (header.revision is None or isinstance(header.revision, str)))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        sound = False
    if not sound:
        raise BackupDamaged("The backup's header is damaged or was changed.")
    return header


def decrypt(source: Path, out: Path, password: str, progress: Progress | None = None) -> BackupHeader:
    """Decrypt ``source`` into ``out`` (replaced if present) and return its header. Raises
    BackupPasswordWrong before writing anything, BackupDamaged on the first chunk that fails
    (``out`` then holds a part of the database: the caller deletes it). ``progress(done, total)``
    counts bytes of ``source``."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    total = source.stat().st_size
    with source.open("rb") as stream:
        header = read_header(stream)
        aead = AESGCM(_key(password, header.salt, header.n, header.r, header.p))
        check = _read_exactly(stream, _TAG_BYTES, "its header")
        try:
            aead.decrypt(_nonce(header.nonce_prefix, _CHECK_INDEX), check, _check_data(header.raw))
        except InvalidTag:
            raise BackupPasswordWrong("The password is not this backup's password (or the backup's header "
                                      "was changed).") from None
        written = index = 0
        with open_private(out) as target:  # owner only: it is the plaintext database
            while True:
                frame = stream.read(_FRAME.size)
                if not frame:
                    raise BackupDamaged(f"The backup is incomplete: it ends after part {index} of the database, "
                                        "before the last part (the file was cut short).")
                if len(frame) < _FRAME.size:
                    _read_exactly(stream, _FRAME.size, f"part {index + 1}")
                flag, length = _FRAME.unpack(frame)
                if flag not in (0, 1) or not _TAG_BYTES <= length <= header.chunk_size + _TAG_BYTES:
                    raise BackupDamaged(f"Part {index + 1} of the backup is damaged or was changed.")
                sealed = _read_exactly(stream, length, f"part {index + 1}")
                try:
                    chunk = aead.decrypt(_nonce(header.nonce_prefix, index), sealed,
                                         _chunk_data(header.raw, index, flag == 1))
                except InvalidTag:
                    raise BackupDamaged(f"Part {index + 1} of the backup fails its check: the file was changed, "
                                        "damaged or put together from pieces after it was made.") from None
                written += len(chunk)
                if written > header.size or (flag == 0 and len(chunk) != header.chunk_size):
                    raise BackupDamaged("The backup's parts do not add up to the database it says it holds.")
                target.write(chunk)
                if progress is not None:
                    progress(stream.tell(), total)
                index += 1
                if flag == 1:
                    break
            if stream.read(1):
                raise BackupDamaged("The backup has data after its last part: it was changed after it was made.")
            if written != header.size:
                raise BackupDamaged("The backup's parts do not add up to the database it says it holds.")
            target.flush()
            os.fsync(target.fileno())
    return header
