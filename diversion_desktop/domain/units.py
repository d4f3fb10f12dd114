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
