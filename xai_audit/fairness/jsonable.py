"""Numbers as the JSON record holds them: plain floats, or ``None`` where a value is undefined."""

from __future__ import annotations

import math


def as_number(value) -> float | None:
    """``value`` as a plain float, or ``None`` for NaN, infinity and ``None``.

    Examples
    --------
    >>> as_number(0.5), as_number(float("nan")), as_number(None)
    (0.5, None, None)
    """
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def as_interval(low, high) -> list[float] | None:
    """``[low, high]`` as plain floats, or ``None`` when either end is undefined.

    Examples
    --------
    >>> as_interval(0.1, 0.3), as_interval(float("nan"), 0.3)
    ([0.1, 0.3], None)
    """
    low, high = as_number(low), as_number(high)
    return None if low is None or high is None else [low, high]
