"""A figure as the benchmarks print it: the median of all its runs, with their spread."""

from __future__ import annotations

import statistics
from collections.abc import Iterable


def spread(values: Iterable[float]) -> dict[str, float]:
    """The median of every run, the lowest and highest, and how many runs there were."""
    values = list(values)
    return {"median": statistics.median(values), "low": min(values), "high": max(values), "n": len(values)}


def ms(figure: dict[str, float]) -> str:
    """``12.3 ms (10.1–15.0, n=5)``."""
    return f"{figure['median'] * 1000:.1f} ms ({figure['low'] * 1000:.1f}–{figure['high'] * 1000:.1f}, n={figure['n']})"


def seconds(figure: dict[str, float], digits: int = 2) -> str:
    return f"{figure['median']:.{digits}f} s ({figure['low']:.{digits}f}–{figure['high']:.{digits}f}, n={figure['n']})"


def plain(figure: dict[str, float], unit: str, digits: int = 2) -> str:
    """Any other unit: ``1.32 × (1.20–1.45, n=10)``, ``302 MB (298–305, n=5)``."""
    return (
        f"{figure['median']:.{digits}f}{unit} ({figure['low']:.{digits}f}–{figure['high']:.{digits}f}, n={figure['n']})"
    )
