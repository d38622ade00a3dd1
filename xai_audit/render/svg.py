"""SVG written as text: the few elements the report's charts use, nice axis ticks and text widths.

Every string that reaches the drawing goes through :func:`markupsafe.escape`; coordinates are rounded
to two decimals, so the same chart gives the same bytes. Only ``svg``, ``g``, ``defs``, ``pattern``,
``rect``, ``path``, ``polyline``, ``circle`` and ``text`` are written (no ``<line>``: a path does it).
Units are points (1/72 inch): the ``viewBox`` is the figure's size in points, and ``width``/``height``
say the same in ``pt``, so a 9-point label shows at 12 px when the figure is drawn at its own size.
"""

from __future__ import annotations

import math
import unicodedata

from markupsafe import escape

FONT_FAMILY = "'DejaVu Sans', Verdana, sans-serif"
# DejaVu Sans advance widths of the printable ASCII characters (space to ~), in hundredths of an em.
_ASCII_WIDTHS = (
    32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 34, 34,
    84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 29, 29, 66, 56, 86, 75, 79, 60, 79, 69, 63, 61, 73, 68, 99,
    69, 61, 69, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63, 62, 35, 63, 63, 28, 28, 58, 28, 97, 63, 61, 63, 63, 41, 52,
    39, 63, 59, 82, 59, 59, 52, 64, 34, 64, 84)
_OTHER_WIDTH = 80  # any other character: generous (most Latin, Greek and Cyrillic letters are 55-80)
_WIDE_WIDTH = 100  # East Asian wide and full-width characters take a whole em
STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
MINUS = "\u2212"


def text_width(text: str, size: float) -> float:
    """The width of one line of ``text`` at ``size`` points, from DejaVu Sans's advance widths.

    A slight overestimate for any sans-serif font the browser may use instead (DejaVu Sans is
    among the widest), so labels placed by it are never clipped.

    Examples
    --------
    >>> text_width("ii", 10) < text_width("MM", 10)
    True
    >>> round(text_width("0.5", 9), 2)
    14.4
    """
    hundredths = 0
    for char in str(text):
        code = ord(char)
        if 32 <= code < 127:
            hundredths += _ASCII_WIDTHS[code - 32]
        elif unicodedata.combining(char) or unicodedata.category(char) in ("Cf", "Mn", "Me"):
            continue
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            hundredths += _WIDE_WIDTH
        else:
            hundredths += _OTHER_WIDTH
    return hundredths * size / 100


def nice_ticks(low: float, high: float, bins: int = 5, *, at_least: int = 4) -> list[float]:
    """Round tick values between ``low`` and ``high``: steps of 1, 2, 2.5 or 5 × 10^k.

    The step is the smallest of those at least (high - low) / ``bins``, as matplotlib's
    ``MaxNLocator(nbins=5)`` chooses it, or the next smaller one while fewer than ``at_least``
    ticks fall inside [low, high]; only ticks inside are kept.

    Examples
    --------
    >>> nice_ticks(0, 1)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> nice_ticks(-0.074, 0.01)
    [-0.06, -0.04, -0.02, 0.0]
    >>> nice_ticks(0, 1.05, 5)
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> nice_ticks(-0.31, 0.24)
    [-0.3, -0.2, -0.1, 0.0, 0.1, 0.2]
    """
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / bins
    scale = 10.0 ** math.floor(math.log10(raw))
    candidates = sorted(s * scale * f for s in STEPS[:-1] for f in (0.1, 1.0, 10.0))
    k = next(k for k, step in enumerate(candidates) if step >= raw * (1 - 1e-9))
    while True:
        step = candidates[k]
        first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
        if last - first + 1 >= at_least or k == 0:
            return [_clean(n * step) for n in range(first, last + 1)]
        k -= 1


def _clean(value: float) -> float:
    """``k * step`` without binary noise (0.30000000000000004 becomes 0.3), and never -0.0."""
    value = float(f"{value:.12g}")
    return 0.0 if value == 0 else value


def tick_labels(ticks) -> list[str]:
    """Tick values written alike: the decimals the step needs, a true minus sign, thousands grouped.

    Examples
    --------
    >>> tick_labels([0.0, 0.25, 0.5])
    ['0.00', '0.25', '0.50']
    >>> tick_labels([-0.06, 0.0])
    ['\u22120.06', '0.00']
    >>> tick_labels([0, 20000, 40000])
    ['0', '20,000', '40,000']
    >>> tick_labels([0.0, 2e-05, 4e-05])
    ['0', '2e\u221205', '4e\u221205']
    """
    ticks = [float(t) for t in ticks]
    if not ticks:
        return []
    largest = max(abs(t) for t in ticks)
    steps = [abs(b - a) for a, b in zip(ticks, ticks[1:]) if b != a]
    step = min(steps) if steps else (largest or 1.0)
    if largest >= 1e9 or step < 1e-4:
        return [_minus(f"{t:.3g}") if t else "0" for t in ticks]
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > step * 1e-6:
        decimals += 1
    return [_minus(f"{t:,.{decimals}f}") for t in ticks]


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def number(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros (stable bytes, small files).

    Examples
    --------
    >>> number(12.3456), number(3.0), number(-0.001)
    ('12.35', '3', '0')
    """
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class Drawing:
    """One figure's SVG elements, in drawing order, with its hatch patterns defined once each.

    Parameters
    ----------
    width, height : float
        The figure's size in points.
    prefix : str
        Prepended to every id, so that ids stay unique across the figures of one page.

    Examples
    --------
    >>> d = Drawing(100, 50, "fig1")
    >>> d.text(10, 20, "a < b")
    >>> "a &lt; b" in d.svg()
    True
    """

    def __init__(self, width: float, height: float, prefix: str):
        self.width, self.height, self.prefix = width, height, prefix
        self.parts: list[str] = []
        self.patterns: dict[tuple, str] = {}

    # -- elements -----------------------------------------------------------------------------------

    def rect(self, x, y, width, height, *, fill, hatch="", stroke=None, kind=None) -> None:
        """A rectangle; ``hatch`` (one of :data:`HATCH_PATHS`' keys) fills it with white lines over ``fill``."""
        paint = self.hatch(fill, hatch) if hatch else fill
        attrs = f' class="{kind}"' if kind else ""
        attrs += f' x="{number(x)}" y="{number(y)}" width="{number(max(width, 0))}" height="{number(max(height, 0))}"'
        attrs += f' fill="{escape(paint)}"'
        if stroke:
            attrs += f' stroke="{stroke}" stroke-width="0.6"'
        self.parts.append(f"<rect{attrs}/>")

    def line(self, points, *, stroke, width=1.0, dash=None, fill="none", kind=None) -> None:
        """A path through ``points`` ([(x, y), ...]): a segment, an axis, a curve."""
        data = " ".join(("M" if k == 0 else "L") + f"{number(x)} {number(y)}" for k, (x, y) in enumerate(points))
        attrs = f' class="{kind}"' if kind else ""
        attrs += f' d="{data}" fill="{fill}" stroke="{stroke}" stroke-width="{number(width)}"'
        if dash:
            attrs += f' stroke-dasharray="{dash}"'
        self.parts.append(f"<path{attrs}/>")

    def polyline(self, points, *, stroke, width=1.0) -> None:
        """A long polyline (a curve of many points), written compactly."""
        data = " ".join(f"{number(x)},{number(y)}" for x, y in points)
        self.parts.append(f'<polyline points="{data}" fill="none" stroke="{stroke}" stroke-width="{number(width)}"/>')

    def marker(self, x, y, *, shape="o", size=4.0, fill, stroke="none", opacity=None) -> None:
        """A point: ``o`` circle, ``s`` square, ``D`` diamond; ``size`` is its width in points."""
        half = size / 2
        paint = f' fill="{fill}"' + (f' stroke="{stroke}" stroke-width="0.6"' if stroke != "none" else "")
        paint += f' fill-opacity="{opacity}"' if opacity is not None else ""
        if shape == "s":
            self.parts.append(f'<rect x="{number(x - half)}" y="{number(y - half)}" width="{number(size)}" '
                              f'height="{number(size)}"{paint}/>')
        elif shape == "D":
            self.parts.append(f'<path d="M{number(x)} {number(y - half)}L{number(x + half)} {number(y)}'
                              f'L{number(x)} {number(y + half)}L{number(x - half)} {number(y)}Z"{paint}/>')
        else:
            self.parts.append(f'<circle cx="{number(x)}" cy="{number(y)}" r="{number(half)}"{paint}/>')

    def text(self, x, y, text, *, anchor="start", size=None, rotate=False, bold=False, fill=None) -> None:
        """One line of text, escaped; ``y`` is its baseline; ``rotate`` turns it to read bottom to top."""
        attrs = f' x="{number(x)}" y="{number(y)}"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if size is not None:
            attrs += f' font-size="{number(size)}"'
        if bold:
            attrs += ' font-weight="bold"'
        if fill:  # a style, not an attribute: the report's stylesheet sets the fill of chart text
            attrs += f' style="fill: {escape(fill)}"'
        if rotate:
            attrs += f' transform="rotate(-90 {number(x)} {number(y)})"'
        self.parts.append(f"<text{attrs}>{escape(text)}</text>")

    def group(self, name: str, parts: list[str]) -> None:
        """Elements drawn elsewhere, kept together under the id ``<prefix>-<name>`` (a legend, say)."""
        self.parts.append(f'<g id="{self.prefix}-{name}">' + "".join(parts) + "</g>")

    def hatch(self, color: str, hatch: str) -> str:
        """A fill of ``color`` crossed by ``hatch``'s white lines, as ``url(#...)``; defined once per figure."""
        key = (color, hatch)
        if key not in self.patterns:
            self.patterns[key] = f"{self.prefix}-hatch{len(self.patterns)}"
        return f"url(#{self.patterns[key]})"

    # -- the whole figure ---------------------------------------------------------------------------

    def svg(self) -> str:
        """The ``<svg>`` element, with the hatch patterns it uses defined first."""
        width, height = number(self.width), number(self.height)
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}pt" height="{height}pt" '
                f'viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}" font-size="9">')
        defs = ""
        if self.patterns:
            defs = "<defs>" + "".join(_pattern(ident, color, hatch)
                                      for (color, hatch), ident in self.patterns.items()) + "</defs>"
        return head + defs + "\n" + "\n".join(self.parts) + "\n</svg>"


# Each hatch as the path drawn in one 6 x 6 tile (white lines on the fill colour).
HATCH_PATHS = {
    "//": "M0 6L6 0M-1.5 1.5L1.5 -1.5M4.5 7.5L7.5 4.5",
    "\\\\": "M0 0L6 6M4.5 -1.5L7.5 1.5M-1.5 4.5L1.5 7.5",
    "xx": "M0 6L6 0M-1.5 1.5L1.5 -1.5M4.5 7.5L7.5 4.5M0 0L6 6M4.5 -1.5L7.5 1.5M-1.5 4.5L1.5 7.5",
    "--": "M0 3L6 3",
    "++": "M0 3L6 3M3 0L3 6",
    "..": "M1.5 1.5h0.01M4.5 4.5h0.01",
    "oo": "M3 1.4a1.6 1.6 0 1 0 0.01 0",
}


def _pattern(ident: str, color: str, hatch: str) -> str:
    path = HATCH_PATHS.get(hatch, HATCH_PATHS["//"])
    cap = ' stroke-linecap="round"' if hatch == ".." else ""
    width = "1.6" if hatch == ".." else "0.8"
    return (f'<pattern id="{ident}" patternUnits="userSpaceOnUse" width="6" height="6">'
            f'<rect width="6" height="6" fill="{color}"/>'
            f'<path d="{path}" stroke="#ffffff" stroke-width="{width}" fill="none"{cap}/></pattern>')
