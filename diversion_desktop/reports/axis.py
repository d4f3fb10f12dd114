"""Where a chart's value axis puts its ticks, for the PDF's charts and the screen's alike.

Plain arithmetic (no reportlab, no Qt), so the screen can use it without loading the PDF's drawing code.
"""

from __future__ import annotations

import math

_SLACK = 1e-9  # so that 0.6 / 0.2 = 2.9999999999999996 still counts as 3 steps


def nice_step(span: float, count: int = 5, whole: bool = False) -> float:
    """The step for about ``count`` intervals over ``span``: 1, 2, 2.5 or 5 times a power of ten.

    ``whole``: the ticks are printed as whole numbers (counts, hours or percentages without decimals), so
    the step is a whole number: at least 1, and not 2.5, or small counts would print as "0 0 0 1 1 1" and
    multiples of 2.5 as "0 2 5 8".
    """
    raw = span / max(count, 1)
    if raw <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= raw * (1 - _SLACK) and (not whole or step.is_integer()):
            return step
    return 1.0  # whole, and even 10 times the magnitude is a fraction: the smallest whole step


def ticks(low: float, high: float, count: int = 5, whole: bool = False) -> list[float]:
    """The multiples of a nice step from ``low`` to ``high`` (0 among them when the range spans it)."""
    step = nice_step(high - low, count, whole)
    first = math.ceil(low / step - _SLACK)
    last = math.floor(high / step + _SLACK)
    return [n * step for n in range(first, last + 1)]


def ticks_from_zero(largest: float, count: int = 5, whole: bool = True) -> list[float]:
    """Ticks from 0 up to the first at or above ``largest``: the last is the axis' end.

    With nothing to show (every count hidden, or none above 0) the axis runs from 0 to 1.
    """
    largest = largest if largest > 0 else 1.0
    step = nice_step(largest, count, whole)
    return [n * step for n in range(math.ceil(largest / step - _SLACK) + 1)]
