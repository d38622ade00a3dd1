"""How a number is written, everywhere: the report, findings' messages, the app and the command line.

One module, so the same value reads the same in every output:

- :func:`format_number`: a metric as a finding or a table states it (three decimals; a value just short
  of a whole number keeps the decimals that show it; tiny values in scientific notation);
- :func:`format_decimal`: a fixed number of decimals, counts with thousands separators;
- :func:`format_line`: a policy line as the policy states it (``0.15``, not ``0.150``);
- :func:`format_interval`: a value and its interval, ``0.812 [0.790, 0.833]``;
- :func:`format_signed`: a change with its sign, ``+0.012`` or ``-0.110``;
- :func:`format_percent`: a share as a percentage, ``12.5%``.

Undefined values (None, NaN, infinity) are written ``n/a``.
"""

from __future__ import annotations

import math
import numbers

NOT_AVAILABLE = "n/a"


def is_number(value) -> bool:
    """True for a finite int or float (bools are not numbers here).

    Examples
    --------
    >>> is_number(0.5), is_number(float("nan")), is_number(True), is_number("1")
    (True, False, False, False)
    """
    kind = type(value)
    if kind is float:  # the common case first: a report checks hundreds of thousands of values
        return math.isfinite(value)
    if kind is int:
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def all_numbers(values) -> bool:
    """True when every value is a finite int or float (bools are not numbers), as :func:`is_number`.

    A long list of floats (a dependence plot's 50,000 points) is checked in one pass at C speed.

    Examples
    --------
    >>> all_numbers([0.5, 2, 1e300]), all_numbers([0.5, float("inf")]), all_numbers([1.0, True]), all_numbers([])
    (True, False, False, True)
    """
    if all(type(value) is float for value in values):
        return all(map(math.isfinite, values))
    return all(is_number(value) for value in values)


def format_number(value) -> str:
    """A metric as a finding states it: three decimals, or 'n/a'; a value just short of a whole number
    keeps the decimals that show it is short (0.99979 is never written 1.000); a value under 0.001 in
    scientific notation; a whole number as is.

    Examples
    --------
    >>> format_number(0.16666), format_number(None), format_number(0.00001234), format_number(3)
    ('0.167', 'n/a', '1.23e-05', '3')
    >>> format_number(0.99979), format_number(1.0), format_number(-0.99996)
    ('0.9998', '1.000', '-0.99996')
    >>> import numpy as np; format_number(np.float32(0.25)), format_number(np.int64(7))
    ('0.250', '7')
    """
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral)):
        value = float(value)  # numpy's float32 and float16 are not subclasses of float
    if isinstance(value, float):
        if not math.isfinite(value):
            return NOT_AVAILABLE
        if value != 0 and abs(value) < 0.001:
            return f"{value:.2e}"
        for decimals in range(3, 7):
            text = f"{value:.{decimals}f}"
            if float(text) != round(value) or value == round(value):
                return text
        return text
    return str(value)


def format_decimal(value, digits: int = 3, *, sci: bool = True) -> str:
    """A number with ``digits`` decimals, a count with thousands separators, 'n/a' when undefined.

    With ``sci`` (and ``digits`` of at least 3), a value under 0.001 is written in scientific notation
    so that it does not read as zero.

    Examples
    --------
    >>> format_decimal(0.71234), format_decimal(0.71234, 2), format_decimal(1000), format_decimal(None)
    ('0.712', '0.71', '1,000', 'n/a')
    >>> format_decimal(0.00004), format_decimal(0.0022, 2), format_decimal(12345.678, 1)
    ('4.0e-05', '0.00', '12,345.7')
    """
    if not is_number(value):
        return NOT_AVAILABLE
    if isinstance(value, int):
        return f"{value:,}"
    if sci and value != 0 and abs(value) < 0.001 and digits >= 3:
        return f"{value:.1e}"
    return f"{value:,.{digits}f}"


def format_line(value) -> str:
    """A rule's line as the policy states it, without padding zeros.

    Examples
    --------
    >>> format_line(0.15), format_line(1e-4), format_line(0.8), format_line(30)
    ('0.15', '0.0001', '0.8', '30')
    """
    return f"{value:g}" if isinstance(value, float) else format_number(value)


def format_interval(value, interval, digits: int = 3) -> str:
    """A value and its interval: ``0.812 [0.790, 0.833]``; the value alone where there is no interval.

    Examples
    --------
    >>> format_interval(0.8123, (0.79, 0.8333))
    '0.812 [0.790, 0.833]'
    >>> format_interval(0.8123, None), format_interval(None, (0.1, 0.2), 2)
    ('0.812', 'n/a [0.10, 0.20]')
    """
    text = format_decimal(value, digits)
    if interval is None or any(not is_number(end) for end in interval):
        return text
    low, high = interval
    return f"{text} [{format_decimal(low, digits)}, {format_decimal(high, digits)}]"


def format_signed(value, digits: int = 3) -> str:
    """A change with its sign always written: ``+0.012``, ``-0.110``, ``0.000``; 'n/a' when undefined.

    Examples
    --------
    >>> format_signed(0.0123), format_signed(-0.11), format_signed(0.0), format_signed(None)
    ('+0.012', '-0.110', '0.000', 'n/a')
    >>> format_signed(-0.00002), format_signed(1500.0, 1)
    ('-2.0e-05', '+1,500.0')
    """
    if not is_number(value):
        return NOT_AVAILABLE
    text = format_decimal(value, digits)
    return text if value <= 0 or text.startswith("-") else f"+{text}"


def format_percent(share, digits: int = 0) -> str:
    """A share (0 to 1) as a percentage: ``12.5%`` with ``digits=1``; 'n/a' when undefined.

    Examples
    --------
    >>> format_percent(0.125, 1), format_percent(0.5), format_percent(None)
    ('12.5%', '50%', 'n/a')
    """
    if not is_number(share):
        return NOT_AVAILABLE
    return f"{share * 100:,.{digits}f}%"
