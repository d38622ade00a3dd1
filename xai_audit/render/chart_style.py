"""The look shared by every chart module: the colour-blind-safe palette, sizes in points, label
wrapping and the width of text. Kept apart from :mod:`charts` so the modules that draw one kind of
figure (:mod:`chart_points`, :mod:`chart_images`, :mod:`chart_performance`) need not import it."""

from __future__ import annotations

import re

from xai_audit.render.svg import text_width
from xai_audit.render.text import label

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
BLUE, ORANGE, SKY, GREEN, YELLOW, VERMILION, PURPLE, BLACK = (
    "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00", "#CC79A7", "#000000")
GREY = "#6b6b6b"
GRID = "#dddddd"
AXIS = "#333333"
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
MAX_BARS = 20
LABEL_WIDTH = 26  # characters per line of a category label; longer labels wrap, never cut
FONT = 9.0  # points; an SVG drawn at its own size shows it at 12 px (the report never shrinks it below 10 px)
LINE = 11.0  # points from one line of text to the next
INCH = 72.0  # points per inch: figure sizes are given in inches, drawn in points
POINT = 1 / INCH  # inches per point


def wrap_label(text, width: int = LABEL_WIDTH) -> str:
    r"""A category label on lines of at most ``width`` characters, whole (never cut with an ellipsis).

    Examples
    --------
    >>> wrap_label("credit history: existing credits paid back duly till now")
    'credit history: existing\ncredits paid back duly\ntill now'
    >>> wrap_label("x" * 30, 10)
    'xxxxxxxxxx\nxxxxxxxxxx\nxxxxxxxxxx'
    >>> wrap_label("installment_rate_pct_income")
    'installment_rate_pct_\nincome'
    """
    import textwrap

    text = label(text, 10_000)
    # Column names such as installment_rate_pct_income may break after an underscore.
    marked = re.sub(r"_(?=\S)", "_\x1f ", text)
    lines = textwrap.wrap(marked, width, break_long_words=True, break_on_hyphens=False)
    return "\n".join(line.replace("\x1f ", "").replace("\x1f", "") for line in lines) or text


def wrap_to(text, points: float, size: float = FONT) -> list[str]:
    """``text`` (made a plain label) on as many lines as it takes for each to fit ``points`` wide.

    Examples
    --------
    >>> wrap_to("mean predicted probability of 'good'", 100)
    ['mean predicted', 'probability of', "'good'"]
    """
    characters = max(int(points / (0.62 * size)), 8)
    while True:
        lines = wrap_label(text, characters).split("\n")
        if characters <= 8 or max(text_width(line, size) for line in lines) <= points:
            return lines
        characters -= 1


def widest(lines, size: float = FONT) -> float:
    """The width in points of the widest line of ``lines`` (each may hold line breaks)."""
    return max((text_width(line, size) for text in lines for line in str(text).split("\n")), default=0.0)

