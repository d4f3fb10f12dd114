"""The encrypted backup file: a SQLite database in the standard age format (age-encryption.org/v1),
encrypted with a passphrase, so the ordinary ``age -d`` or ``rage -d`` tools open it too and give
back the plain database file.

age, as written here (the specification is at c2sp.org/age)::

    age-encryption.org/v1
    -> scrypt <salt, 16 bytes in base64> <log2 of scrypt's N>
    <the 16-byte file key sealed with ChaCha20-Poly1305 under scrypt(password), base64>
    --- <HMAC-SHA-256 of the lines above, keyed from the file key, base64>
    nonce (16 bytes) | chunk, chunk, ...: 64 KiB of the database each, ChaCha20-Poly1305, the last flagged

A wrong password fails on the sealed file key, before anything is written; a changed header fails
its HMAC; chunks reordered, dropped or added and a file cut short fail the chunks' nonces, which
count them and flag the last. Everything restore needs is in the database itself (its schema
revision), so nothing is kept outside the encrypted part: without the password, ``inspect`` can
tell only that a file is an encrypted backup and how big the database inside is.

Backups made before age (format 1, ``DDBACKUP``: AES-256-GCM in 1 MiB chunks, layout below) are
still read; nothing writes them any more.

    b"DDBACKUP" | format version (1 byte) | header length (2 bytes) | header (UTF-8 JSON)
    key check (16 bytes)
    chunk, chunk, ...: last flag (1 byte, 0 or 1) | length (4 bytes) | ciphertext and its 16-byte tag

Its JSON header names the cipher ("AES-256-GCM"), the key derivation ("scrypt" with its n, r
and p), the random 16-byte salt, a random 4-byte nonce prefix, the chunk size, the size of the
database inside and its schema revision. The key is scrypt(password as NFC UTF-8, salt). Chunk
*i* is sealed with the nonce ``prefix || i`` (8 bytes) and, as associated data, everything
before the key check, *i* and its last flag. The key check is the GCM tag of nothing under a
reserved nonce, so a wrong password is told apart from a damaged file.

cryptography is imported on first use (it costs start-up time for a window that never backs up).
"""

from __future__ import annotations

import base64
import json
import os
import re
import struct
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from diversion_desktop.store.private_files import open_private

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

AGE_MAGIC = b"age-encryption.org/"
AGE_VERSION_LINE = b"age-encryption.org/v1"
MAGIC = b"DDBACKUP"  # format 1, read only
SQLITE_MAGIC = b"SQLite format 3\x00"
FORMAT_VERSION = 1
CIPHER = "AES-256-GCM"
KDF = "scrypt"
# scrypt cost: 2**17 x 8 is 128 MiB and under a second to derive once per backup or restore,
# which makes guessing a 12-character password expensive (OWASP's recommended minimum).
SCRYPT_N = 2**17
SCRYPT_R, SCRYPT_P = 8, 1  # age fixes r and p
AGE_CHUNK = 64 * 1024  # age fixes its chunk size
_AGE_TAG, _AGE_NONCE = 16, 16
_AGE_SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
_MAX_AGE_LOG_N = 20  # 1 GiB of memory: what ``age -p`` or ``rage -p`` choose stays well below
_B64 = re.compile(rb"[A-Za-z0-9+/]*")
_SALT_BYTES, _PREFIX_BYTES, _TAG_BYTES = 16, 4, 16
_CHECK_INDEX = 2**64 - 1  # the key check's nonce: a chunk index never reaches it
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
    """A format-1 file's header."""

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


@dataclass(frozen=True)
class BackupDescription:
    """What can be told of an encrypted backup without its password."""

    size: int  # bytes of the database inside
    revision: str | None  # None for age files: the revision is inside, read when restored
    created: str  # "" for age files


@dataclass(frozen=True)
class _AgeHeader:
    salt: bytes
    log_n: int
    sealed_key: bytes
    mac: bytes
    signed: bytes  # the header's bytes up to and including "---": what the MAC covers
    length: int  # bytes of the header, its last newline included


def file_kind(path: Path) -> Literal["encrypted", "sqlite"] | None:
    """What a file holds, from its first bytes: an encrypted backup, a SQLite database, or neither."""
    with path.open("rb") as stream:
        start = stream.read(len(AGE_MAGIC))
    for magic in (AGE_MAGIC, MAGIC):
        if start.startswith(magic) or (start and magic.startswith(start)):
            return "encrypted"  # a file cut inside the magic is still ours, and damaged
    if start[: len(SQLITE_MAGIC)] == SQLITE_MAGIC:
        return "sqlite"
    return None


def _secret(password: str) -> bytes:
    # NFC: the same password typed on systems that compose accents differently gives the same key.
    return unicodedata.normalize("NFC", password).encode("utf-8")


def _hkdf(key: bytes, salt: bytes, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


def _header_mac(file_key: bytes, signed: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes, hmac

    mac = hmac.HMAC(_hkdf(file_key, b"", b"header"), hashes.SHA256())
    mac.update(signed)
    return mac.finalize()


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    """age's base64: standard alphabet, no padding, canonical; ValueError otherwise."""
    if not _B64.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64")
    data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    if _b64(data) != text:
        raise ValueError("not canonical base64")
    return data


def _chunk_nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def encrypt(plain: Path, out: Path, password: str, progress: Progress | None = None) -> int:
    """Write ``plain`` to ``out`` (replaced if present) as an age file for ``password``, chunk by
    chunk; returns the bytes written. ``progress(done, total)`` counts bytes of ``plain``. The
    caller renames ``out`` into place: an interrupted write leaves a file the reader refuses as
    cut short."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    log_n = SCRYPT_N.bit_length() - 1
    salt, file_key, nonce = os.urandom(16), os.urandom(16), os.urandom(_AGE_NONCE)
    wrap = Scrypt(salt=_AGE_SCRYPT_LABEL + salt, length=32, n=2**log_n, r=SCRYPT_R, p=SCRYPT_P).derive(
        _secret(password)
    )
    sealed = ChaCha20Poly1305(wrap).encrypt(bytes(12), file_key, None)
    signed = b"%s\n-> scrypt %s %d\n%s\n---" % (AGE_VERSION_LINE, _b64(salt), log_n, _b64(sealed))
    header = signed + b" " + _b64(_header_mac(file_key, signed)) + b"\n"
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    total = plain.stat().st_size
    done = 0
    with plain.open("rb") as source, open_private(out) as target:
        target.write(header + nonce)
        index, chunk = 0, source.read(AGE_CHUNK)
        while True:
            following = source.read(AGE_CHUNK)  # read ahead: the last chunk must be flagged as such
            last = not following
            target.write(aead.encrypt(_chunk_nonce(index, last), chunk, None))
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


def _age_line(stream: IO[bytes], read: int) -> bytes:
    line = stream.readline(_MAX_HEADER - read + 1)
    if not line.endswith(b"\n"):
        if read + len(line) > _MAX_HEADER:
            raise BackupDamaged("The backup's header is damaged.")
        raise BackupDamaged(
            "The backup is incomplete: it ends inside its header (the file was cut short, "
            "perhaps by a copy that did not finish)."
        )
    return line


def _read_age_header(stream: IO[bytes]) -> _AgeHeader:
    """The age header at the start of ``stream``, checked for sense (its MAC needs the key)."""
    version = stream.readline(len(AGE_VERSION_LINE) + 1)
    if version != AGE_VERSION_LINE + b"\n":
        if AGE_VERSION_LINE.startswith(version) or (AGE_VERSION_LINE + b"\n").startswith(version):
            raise BackupDamaged("The backup is incomplete: it ends inside its header.")
        if version.startswith(AGE_MAGIC):
            raise UnsupportedBackupFormat(
                "This backup is in a version of the age format that this version of Diversion Desktop does not "
                "know (it reads age-encryption.org/v1): it was made by a newer version. Restore it with that "
                "version or a newer one."
            )
        raise NotAnEncryptedBackup("This is not an encrypted Diversion Desktop backup.")
    lines = [version]
    while not lines[-1].startswith(b"---"):
        lines.append(_age_line(stream, sum(map(len, lines))))
    stanzas = [line for line in lines if line.startswith(b"-> ")]
    if len(stanzas) != 1 or not stanzas[0].startswith(b"-> scrypt "):
        raise BackupDamaged(
            "This age file is not protected by a password alone (it was made for age keys or "
            "several recipients): only a password-protected backup can be restored here."
        )
    stanza, body, mac_line = (lines[1:] + [b"", b"", b""])[:3]
    arguments = stanza.rstrip(b"\n").split(b" ")
    try:
        if len(lines) != 4 or len(arguments) != 4 or not mac_line.startswith(b"--- "):
            raise ValueError("layout")  # the version, the stanza's two lines, the MAC
        salt, log_text = _unb64(arguments[2]), arguments[3].decode("ascii")
        sealed, mac = _unb64(body.rstrip(b"\n")), _unb64(mac_line[4:-1])
        if (
            len(salt) != 16
            or not log_text.isdigit()
            or log_text != str(int(log_text))
            or not 1 <= int(log_text) <= _MAX_AGE_LOG_N
            or len(sealed) != 32
            or len(mac) != 32
        ):
            raise ValueError("values")
    except (ValueError, UnicodeDecodeError):
        raise BackupDamaged("The backup's header is damaged or was changed.") from None
    signed = b"".join(lines)[: -len(mac_line) + 3]
    return _AgeHeader(
        salt=salt, log_n=int(log_text), sealed_key=sealed, mac=mac, signed=signed, length=len(b"".join(lines))
    )


def describe(path: Path) -> BackupDescription:
    """What an encrypted backup says of itself without its password (refused like ``decrypt``
    when it is not one, or its header is damaged)."""
    with path.open("rb") as stream:
        if stream.read(len(MAGIC)) == MAGIC:
            stream.seek(0)
            header = read_header(stream)
            return BackupDescription(size=header.size, revision=header.revision, created=header.created)
        stream.seek(0)
        age = _read_age_header(stream)
    payload = path.stat().st_size - age.length - _AGE_NONCE
    chunks = max(1, -(-payload // (AGE_CHUNK + _AGE_TAG)))
    return BackupDescription(size=max(0, payload - chunks * _AGE_TAG), revision=None, created="")


def decrypt(source: Path, out: Path, password: str, progress: Progress | None = None) -> None:
    """Decrypt ``source`` (age, or format 1) into ``out`` (replaced if present). Raises
    BackupPasswordWrong before writing anything, BackupDamaged on the first chunk that fails
    (``out`` then holds a part of the database: the caller deletes it). ``progress(done, total)``
    counts bytes of ``source``."""
    with source.open("rb") as stream:
        legacy = stream.read(len(MAGIC)) == MAGIC
    if legacy:
        _decrypt_legacy(source, out, password, progress)
    else:
        _decrypt_age(source, out, password, progress)


def _decrypt_age(source: Path, out: Path, password: str, progress: Progress | None) -> None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    total = source.stat().st_size
    with source.open("rb") as stream:
        header = _read_age_header(stream)
        wrap = Scrypt(
            salt=_AGE_SCRYPT_LABEL + header.salt, length=32, n=2**header.log_n, r=SCRYPT_R, p=SCRYPT_P
        ).derive(_secret(password))
        try:
            file_key = ChaCha20Poly1305(wrap).decrypt(bytes(12), header.sealed_key, None)
        except InvalidTag:
            raise BackupPasswordWrong(
                "The password is not this backup's password (or the backup's header was changed)."
            ) from None
        if _header_mac(file_key, header.signed) != header.mac:
            raise BackupDamaged("The backup's header was changed after it was made.")
        nonce = _read_exactly(stream, _AGE_NONCE, "its header")
        aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
        index = 0
        with open_private(out) as target:  # owner only: it is the plaintext database
            sealed = stream.read(AGE_CHUNK + _AGE_TAG)
            while True:
                following = stream.read(AGE_CHUNK + _AGE_TAG)  # read ahead: is this chunk the last?
                last = not following
                if len(sealed) < _AGE_TAG or (not last and len(sealed) < AGE_CHUNK + _AGE_TAG):
                    raise BackupDamaged(
                        f"The backup is incomplete: it ends inside part {index + 1} of the "
                        "database (the file was cut short)."
                    )
                try:
                    chunk = aead.decrypt(_chunk_nonce(index, last), sealed, None)
                except InvalidTag:
                    if last and _opens(aead, index, sealed):
                        raise BackupDamaged(
                            f"The backup is incomplete: it ends after part {index + 1} of the "
                            "database, before the last part (the file was cut short)."
                        ) from None
                    if last:  # a cut inside the last part cannot be told from a change to it
                        raise BackupDamaged(
                            "The backup is incomplete or was changed: its last part fails its check "
                            "(the file was cut short, or changed after it was made)."
                        ) from None
                    raise BackupDamaged(
                        f"Part {index + 1} of the backup fails its check: the file was changed, "
                        "damaged or put together from pieces after it was made."
                    ) from None
                if last and not chunk and index > 0:
                    raise BackupDamaged("The backup ends with an empty part: it was changed after it was made.")
                target.write(chunk)
                if progress is not None:
                    progress(stream.tell() - len(following), total)
                if last:
                    break
                index, sealed = index + 1, following
            target.flush()
            os.fsync(target.fileno())


def _opens(aead: ChaCha20Poly1305, index: int, sealed: bytes) -> bool:
    """Whether ``sealed`` is a sound chunk that is not the last: the file was cut after it."""
    from cryptography.exceptions import InvalidTag

    try:
        aead.decrypt(_chunk_nonce(index, False), sealed, None)
    except InvalidTag:
        return False
    return True


# -- format 1 (read only) ----------------------------------------------------------------
def _key(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(_secret(password))


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(8, "big")


def _chunk_data(header: bytes, index: int, last: bool) -> bytes:
    return header + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def _check_data(header: bytes) -> bytes:
    return b"key check\x00" + header


def _read_exactly(stream: IO[bytes], size: int, what: str) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise BackupDamaged(
            f"The backup is incomplete: it ends inside {what} (the file was cut short, "
            "perhaps by a copy that did not finish)."
        )
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
            "version or a newer one."
        )
    if length > _MAX_HEADER:
        raise BackupDamaged("The backup's header is damaged.")
    body = _read_exactly(stream, length, "its header")
    try:
        fields = json.loads(body.decode("utf-8"))
        header = BackupHeader(
            n=int(fields["n"]),
            r=int(fields["r"]),
            p=int(fields["p"]),
            salt=bytes.fromhex(fields["salt"]),
            nonce_prefix=bytes.fromhex(fields["nonce_prefix"]),
            chunk_size=int(fields["chunk_size"]),
            size=int(fields["size"]),
            revision=fields.get("revision"),
            created=str(fields.get("created", "")),
            raw=_PREAMBLE.pack(MAGIC, version, length) + body,
        )
        sound = (
            fields["cipher"] == CIPHER
            and fields["kdf"] == KDF
            and header.n >= 2**10
            and header.n & (header.n - 1) == 0
            and 1 <= header.r <= 32
            and 1 <= header.p <= 16
            and 128 * header.n * header.r * header.p <= _MAX_SCRYPT_MEMORY
            and len(header.salt) == _SALT_BYTES
            and len(header.nonce_prefix) == _PREFIX_BYTES
            and _MIN_CHUNK <= header.chunk_size <= _MAX_CHUNK
            and header.size >= 0
            and (header.revision is None or isinstance(header.revision, str))
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        sound = False
    if not sound:
        raise BackupDamaged("The backup's header is damaged or was changed.")
    return header


def _decrypt_legacy(source: Path, out: Path, password: str, progress: Progress | None = None) -> BackupHeader:
    """Decrypt the format-1 file ``source`` into ``out``, as ``decrypt`` does, and return its header."""
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
            raise BackupPasswordWrong(
                "The password is not this backup's password (or the backup's header was changed)."
            ) from None
        written = index = 0
        with open_private(out) as target:  # owner only: it is the plaintext database
            while True:
                frame = stream.read(_FRAME.size)
                if not frame:
                    raise BackupDamaged(
                        f"The backup is incomplete: it ends after part {index} of the database, "
                        "before the last part (the file was cut short)."
                    )
                if len(frame) < _FRAME.size:
                    _read_exactly(stream, _FRAME.size, f"part {index + 1}")
                flag, length = _FRAME.unpack(frame)
                if flag not in (0, 1) or not _TAG_BYTES <= length <= header.chunk_size + _TAG_BYTES:
                    raise BackupDamaged(f"Part {index + 1} of the backup is damaged or was changed.")
                sealed = _read_exactly(stream, length, f"part {index + 1}")
                try:
                    chunk = aead.decrypt(
                        _nonce(header.nonce_prefix, index), sealed, _chunk_data(header.raw, index, flag == 1)
                    )
                except InvalidTag:
                    raise BackupDamaged(
                        f"Part {index + 1} of the backup fails its check: the file was changed, "
                        "damaged or put together from pieces after it was made."
                    ) from None
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
