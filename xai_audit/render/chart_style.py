"""The look shared by every chart module: the colour-blind-safe palette, matplotlib settings, label
wrapping and axes placed by margins. Kept apart from :mod:`charts` so the modules that draw one kind
of figure (:mod:`chart_points`, :mod:`chart_images`, :mod:`chart_performance`) need not import it."""

from __future__ import annotations

import re

from xai_audit.render.text import label

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
BLUE, ORANGE, SKY, GREEN, YELLOW, VERMILION, PURPLE, BLACK = (
    "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00", "#CC79A7", "#000000")
GREY = "#6b6b6b"
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
MAX_BARS = 20
LABEL_WIDTH = 26  # characters per line of a category label; longer labels wrap, never cut
FONT = 9.0  # points; an SVG drawn at its own size shows it at 12 px (the report never shrinks it below 10 px)
POINT = 1 / 72  # inches per point

RC = {
    "svg.hashsalt": "xai-audit",
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": FONT,
    "axes.titlesize": FONT,
    "axes.labelsize": FONT,
    "xtick.labelsize": FONT,
    "ytick.labelsize": FONT,
    "legend.fontsize": FONT,
    "figure.titlesize": FONT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#333333",
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "hatch.linewidth": 0.7,
    "hatch.color": "#ffffff",
    "legend.frameon": False,
    "figure.dpi": 72,
    "savefig.dpi": 72,
    "image.interpolation": "nearest",
}

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


def legend_handles(entries):
    """Legend patches for ``[(label, colour, hatch), ...]``: every colour and hatching a chart uses, named."""
    from matplotlib.patches import Patch

    return [Patch(facecolor=color, hatch=hatch or None, edgecolor="#ffffff", label=text) for text, color, hatch in entries]


def text_inches(lines, size=FONT) -> float:
    """A generous estimate of the width of the longest line (DejaVu Sans averages about 0.6 em)."""
    return max((len(line) for text in lines for line in str(text).split("\n")), default=0) * 0.62 * size * POINT


def category_labels(ax, positions, labels):
    """Labels left of the axes at ``positions``, drawn as plain text.

    Cheaper than one matplotlib tick per category (a tick is five artists), which made the bar
    charts the largest cost of a report.
    """
    ax.set_yticks([])
    transform = ax.get_yaxis_transform()
    for position, text in zip(positions, labels):
        ax.text(-0.012, position, text, transform=transform, ha="right", va="center", linespacing=1.05)


def axes_at(fig, *, left, bottom, top, right):
    """One axes placed by margins in inches (no layout engine: it costs a second drawing pass)."""
    width, height = fig.get_size_inches()
    return fig.add_axes((left / width, bottom / height, max(width - left - right, 0.5) / width,
                         max(height - bottom - top, 0.3) / height))
