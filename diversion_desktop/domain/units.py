"""Quantity units and the conversions between them that are meaningful."""

from __future__ import annotations

from decimal import Decimal

_TO_GRAMS = {"g": Decimal(1), "mg": Decimal("0.001")}


def convert(quantity: Decimal, unit: str, to_unit: str) -> Decimal | None:
    """Convert between mass units; other units only match themselves."""
    if unit == to_unit:
        return quantity
    if unit in _TO_GRAMS and to_unit in _TO_GRAMS:
        return quantity * _TO_GRAMS[unit] / _TO_GRAMS[to_unit]
    return None


# How a quantity is stored: 12 digits, 3 of them after the point (store.models ReferralSubstance).
QUANTITY_DIGITS = 12
QUANTITY_DECIMALS = 3
_QUANTITY_STEP = Decimal(1).scaleb(-QUANTITY_DECIMALS)
_QUANTITY_CEILING = Decimal(10) ** (QUANTITY_DIGITS - QUANTITY_DECIMALS)
_DIGITS = frozenset("0123456789")
# Spaces people and spreadsheets put between thousands (plain, no-break, thin, narrow no-break).
_SPACES = (" ", "\u00a0", "\u2009", "\u202f")


class QuantityError(ValueError):
    """The quantity cannot be read as it is; ``str(error)`` says why and what to write instead.
    ``not_a_number``: nothing like a number at all (rather than one the rule will not guess at)."""

    def __init__(self, message: str, *, not_a_number: bool = False) -> None:
        super().__init__(message)
        self.not_a_number = not_a_number


def parse_quantity(value: str | int | float | Decimal) -> Decimal:
    """A quantity as typed or read from a spreadsheet cell, exactly as it will be stored.

    A decimal point or a decimal comma (2.5, 2,5); thousands separated by commas, points or
    spaces (1,200.5 or 1.200,5 or 1 200). A comma that could be either (1,200: one thousand two
    hundred, or one point two) is refused naming both readings, never guessed. Exponents (1e-3)
    and more decimal places than are stored are refused rather than rounded away. Whether the
    quantity is more than zero is for ``intake.validate`` to say."""
    if isinstance(value, bool):
        raise QuantityError(f"'{value}' is not a number", not_a_number=True)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):  # a spreadsheet's number cell: its shortest exact spelling
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    else:
        number = _quantity_from_text(str(value))
    if not number.is_finite():
        raise QuantityError(f"'{value}' is not a number", not_a_number=True)
    shown = _plain(number)
    if abs(number) >= _QUANTITY_CEILING:
        raise QuantityError(
            f"{shown} is too large to keep (at most {QUANTITY_DIGITS - QUANTITY_DECIMALS} digits before the point)"
        )
    if number != number.quantize(_QUANTITY_STEP):
        raise QuantityError(
            f"{shown} has more than {QUANTITY_DECIMALS} decimal places, and quantities are kept "
            f"to {QUANTITY_DECIMALS}: round it, or give it in a smaller unit (mg instead of g)"
        )
    return number


def _plain(number: Decimal) -> str:
    """A number written out without an exponent, as a person would read it."""
    return f"{number:f}" if abs(number.adjusted()) < 40 else f"{number:E}"


def _quantity_from_text(typed: str) -> Decimal:
    shown = typed.strip()
    raw = shown
    sign = "-" if raw.startswith("-") else ""
    if raw[:1] in ("+", "-"):
        raw = raw[1:].lstrip()
    if "e" in raw.lower():
        raise QuantityError(f"'{shown}' is written with an exponent: write the number in full (for example 0.005)")
    for space in _SPACES:
        raw = raw.replace(space, " ")
    not_a_number = QuantityError(f"'{shown}' is not a number", not_a_number=True)
    if not raw or set(raw) - _DIGITS - {",", ".", " "}:
        raise not_a_number
    commas, points = raw.count(","), raw.count(".")
    # Which mark separates thousands, and which (if any) is the decimal one.
    if " " in raw:
        grouping, decimal_mark = " ", ("," if commas else ".")
        if commas + points > 1:
            raise not_a_number
    elif commas and points:
        decimal_mark = "," if raw.rfind(",") > raw.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
    elif commas > 1 or points > 1:
        grouping, decimal_mark = ("," if commas else "."), ""
    else:
        grouping, decimal_mark = "", ("," if commas else ".")
        whole, _mark, fraction = raw.partition(decimal_mark)
        if decimal_mark == "," and len(fraction) == 3 and 1 <= len(whole) <= 3 and whole[0] != "0":
            thousands = f"{sign}{whole}{fraction}"
            decimal = f"{Decimal(f'{sign}{whole}.{fraction}').normalize():f}"
            raise QuantityError(
                f"'{shown}' could be {thousands} (a thousands comma) or {decimal} (a decimal "
                f"comma): write {thousands} or {decimal}"
            )
    whole, _mark, fraction = raw.rpartition(decimal_mark) if decimal_mark and decimal_mark in raw else (raw, "", "")
    if grouping:
        if decimal_mark and whole.count(decimal_mark) or not _grouped(whole, grouping):
            raise QuantityError(f"'{shown}' is not a number: thousands are separated in groups of three (1,200,000)")
        whole = whole.replace(grouping, "")
    if not (whole or fraction) or set(whole + fraction) - _DIGITS:
        raise not_a_number
    return Decimal(sign + (whole or "0") + ("." + fraction if fraction else ""))


def _grouped(whole: str, separator: str) -> bool:
    """Whether digits are grouped in thousands: 1 to 3 digits, then groups of exactly 3."""
    groups = whole.split(separator)
    return (
        len(groups) > 1
        and 1 <= len(groups[0]) <= 3
        and groups[0].isdigit()
        and all(len(g) == 3 and g.isdigit() for g in groups[1:])
    )
