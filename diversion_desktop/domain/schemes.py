"""Scheme settings as typed, immutable values, parsed from plain mappings.

A scheme is configuration: its kind decides the consequence of non-attendance,
its limits decide what counts as a small quantity. Parsing is strict so that a
broken scheme file is reported with the file, the key and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property
from typing import Any

# Retention: six years unless the scheme file says otherwise. At least a year, so a number meant
# as years ("retention_months = 6") is refused rather than anonymising records after six months.
DEFAULT_RETENTION_MONTHS = 72
MIN_RETENTION_MONTHS, MAX_RETENTION_MONTHS = 12, 1200


class SchemeKind(StrEnum):
    VOLUNTARY_ATTENDANCE = "voluntary_attendance"
    DEFERRED_PROSECUTION = "deferred_prosecution"

    @property
    def label(self) -> str:
        return {"voluntary_attendance": "Voluntary attendance", "deferred_prosecution": "Deferred prosecution"}[
            self.value
        ]


class SchemeConfigError(ValueError):
    """A scheme file is unusable; the message names the file, key and problem."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: key '{key}': {problem}")
        self.source = source
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class Contact:
    name: str
    address: tuple[str, ...] = ()
    phone: str = ""
    email: str = ""
    signatory: str = ""


@dataclass(frozen=True)
class Centre:
    code: str
    name: str
    address: tuple[str, ...]
    phone: str
    provider: str
    youth: bool = False


@dataclass(frozen=True)
class Provider:
    name: str
    phone: str
    centres: tuple[Centre, ...]


@dataclass(frozen=True)
class QuantityLimit:
    substance: str
    label: str
    max_quantity: Decimal
    unit: str


@dataclass(frozen=True)
class Scheme:
    code: str
    area: str
    kind: SchemeKind
    reference_prefix: str
    example_values: bool
    days_to_first_attendance: int
    days_to_complete: int
    sessions_for_completion: int
    rebookings_allowed: int
    completed_diversions_allowed: int
    officer_hours_per_custody: float
    police: Contact
    provider: Provider
    youth_provider: Provider | None
    yot: Contact
    data_protection_text: str
    limits: Mapping[str, QuantityLimit]
    # Months after a closed referral's last date before retention anonymises it (services/retention.py).
    retention_months: int = DEFAULT_RETENTION_MONTHS
    source: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def settings_hash(self) -> str:
        """Fingerprint of the settings, stored with each decision so history can be explained even
        after the file changes. Worked out when first needed: start-up reads the scheme files before
        the first window, and hashing would load OpenSSL for it."""
        return settings_fingerprint(self.raw)

    def provider_for(self, youth: bool) -> Provider:
        if youth and self.youth_provider is not None:
            return self.youth_provider
        return self.provider

    def centres(self) -> tuple[Centre, ...]:
        centres = list(self.provider.centres)
        if self.youth_provider is not None:
            centres.extend(self.youth_provider.centres)
        return tuple(centres)

    def centre(self, code: str) -> Centre | None:
        return next((c for c in self.centres() if c.code == code), None)

    def default_centre(self, youth: bool) -> Centre:
        return self.provider_for(youth).centres[0]

    def substance_label(self, substance: str) -> str:
        limit = self.limits.get(substance)
        return limit.label if limit else substance


_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PREFIX_RE = re.compile(r"^[A-Z]{1,4}$")


class _Reader:
    """Reads typed values out of a nested mapping, naming the key on failure."""

    def __init__(self, data: Mapping[str, Any], source: str, prefix: str = "") -> None:
        self.data = data
        self.source = source
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def fail(self, key: str, problem: str) -> SchemeConfigError:
        return SchemeConfigError(self.source, self._key(key), problem)

    def _get(self, key: str, required: bool) -> object:
        if key not in self.data:
            if required:
                raise self.fail(key, "is missing")
            return None
        return self.data[key]

    def text(self, key: str, required: bool = True, default: str = "") -> str:
        value = self._get(key, required)
        if value is None:
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(key, f"must be non-empty text, got {value!r}")
        return value.strip()

    def lines(self, key: str, required: bool = True) -> tuple[str, ...]:
        value = self._get(key, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of text lines")
        return tuple(v.strip() for v in value)

    def integer(self, key: str, minimum: int, maximum: int, default: int | None = None) -> int:
        """A whole number in range; an optional key (``default`` given) may be left out."""
        value = self._get(key, default is None)
        if value is None and default is not None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole number, got {value!r}")
        if not minimum <= value <= maximum:
            raise self.fail(key, f"must be between {minimum} and {maximum}, got {value}")
        return value

    def number(self, key: str, minimum: float, maximum: float) -> Decimal:
        value = self._get(key, True)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.fail(key, f"must be a number, got {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(key, f"must be a number, got {value!r}") from None
        if not (Decimal(str(minimum)) <= number <= Decimal(str(maximum))):
            raise self.fail(key, f"must be between {minimum} and {maximum}, got {value}")
        return number

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def table(self, key: str, required: bool = True) -> _Reader | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be a table")
        return _Reader(value, self.source, f"{self._key(key)}.")

    def tables(self, key: str) -> list[_Reader]:
        value = self._get(key, True)
        if not isinstance(value, list) or not value or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(key, "must be a non-empty list of tables")
        return [_Reader(v, self.source, f"{self._key(key)}[{i}].") for i, v in enumerate(value)]


KNOWN_UNITS = ("g", "mg", "tablets", "ml")


def _contact(reader: _Reader, key: str) -> Contact:
    table = reader.table(key)
    assert table is not None
    return Contact(
        name=table.text("name"),
        address=table.lines("address", required=False),
        phone=table.text("phone", required=False),
        email=table.text("email", required=False),
        signatory=table.text("signatory", required=False),
    )


def _provider(reader: _Reader, key: str, required: bool, youth: bool) -> Provider | None:
    table = reader.table(key, required)
    if table is None:
        return None
    name = table.text("name")
    centres = tuple(
        Centre(
            code=_code(c, "code"),
            name=c.text("name"),
            address=c.lines("address"),
            phone=c.text("phone"),
            provider=name,
            youth=youth,
        )
        for c in table.tables("centres")
    )
    return Provider(name=name, phone=table.text("phone", required=False), centres=centres)


def _code(reader: _Reader, key: str) -> str:
    value = reader.text(key)
    if not _CODE_RE.match(value):
        raise reader.fail(key, f"must be lower-case letters, digits, '-' or '_', got {value!r}")
    return value


def parse_scheme(data: Mapping[str, Any], source: str) -> Scheme:
    """Build a :class:`Scheme` from a parsed scheme file, or raise SchemeConfigError."""
    r = _Reader(data, source)
    kind_text = r.text("kind")
    try:
        kind = SchemeKind(kind_text)
    except ValueError:
        allowed = ", ".join(k.value for k in SchemeKind)
        raise r.fail("kind", f"must be one of {allowed}, got {kind_text!r}") from None
    prefix = r.text("reference_prefix")
    if not _PREFIX_RE.match(prefix):
        raise r.fail("reference_prefix", f"must be 1 to 4 capital letters, got {prefix!r}")

    limits_table = r.table("limits")
    assert limits_table is not None
    limits: dict[str, QuantityLimit] = {}
    for substance in limits_table.data:
        entry = limits_table.table(substance)
        assert entry is not None
        if not _CODE_RE.match(substance):
            raise limits_table.fail(substance, "substance keys must be lower-case letters, digits, '-' or '_'")
        unit = entry.text("unit")
        if unit not in KNOWN_UNITS:
            raise entry.fail("unit", f"must be one of {', '.join(KNOWN_UNITS)}, got {unit!r}")
        limits[substance] = QuantityLimit(
            substance=substance,
            label=entry.text("label"),
            max_quantity=entry.number("max", 0, 100000),
            unit=unit,
        )
    if not limits:
        raise r.fail("limits", "must list at least one substance")

    dp = r.table("data_protection")
    assert dp is not None
    scheme = Scheme(
        code=_code(r, "code"),
        area=r.text("area"),
        kind=kind,
        reference_prefix=prefix,
        example_values=r.boolean("example_values", False),
        days_to_first_attendance=r.integer("days_to_first_attendance", 1, 365),
        days_to_complete=r.integer("days_to_complete", 1, 730),
        sessions_for_completion=r.integer("sessions_for_completion", 1, 52),
        rebookings_allowed=r.integer("rebookings_allowed", 0, 20),
        completed_diversions_allowed=r.integer("completed_diversions_allowed", 0, 20),
        officer_hours_per_custody=float(r.number("officer_hours_per_custody", 0, 100)),
        police=_contact(r, "police"),
        provider=_provider(r, "provider", True, youth=False),  # type: ignore[arg-type]  # required: never None
        youth_provider=_provider(r, "youth_provider", False, youth=True),
        yot=_contact(r, "yot"),
        data_protection_text=dp.text("text"),
        limits=limits,
        retention_months=r.integer(
            "retention_months", MIN_RETENTION_MONTHS, MAX_RETENTION_MONTHS, default=DEFAULT_RETENTION_MONTHS
        ),
        source=source,
        raw=dict(data),
    )
    if scheme.days_to_complete < scheme.days_to_first_attendance:
        raise r.fail("days_to_complete", "must not be shorter than days_to_first_attendance")
    codes = [c.code for c in scheme.centres()]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise r.fail("provider.centres", f"centre codes must be unique, repeated: {', '.join(duplicates)}")
    return scheme


def settings_fingerprint(data: Mapping[str, Any]) -> str:
    import hashlib
    import json

    canonical = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
