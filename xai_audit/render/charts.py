"""Charts as inline SVG, drawn with matplotlib and made byte-stable, accessible and safe to inline.

* byte-stable: a fixed ``svg.hashsalt``, no date in the metadata, ids numbered per report;
* accessible: every ``<svg>`` has ``role="img"`` and a ``<title>`` and ``<desc>``; series differ by
  hatching and marker as well as colour, with the Okabe–Ito colour-blind-safe palette;
* safe: matplotlib escapes the text it writes; ids are rewritten only inside tags, never in text;
  the title and description go through :func:`markupsafe.escape`.

:class:`ChartBook` numbers the figures of one report; with ``enabled=False`` it draws nothing and
returns a small placeholder with the same text alternative (used by the golden-file tests).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from markupsafe import Markup

from xai_audit.render.text import is_number, label

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
BLUE, ORANGE, SKY, GREEN, YELLOW, VERMILION, PURPLE, BLACK = (
    "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00", "#CC79A7", "#000000")
GREY = "#6b6b6b"
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
MAX_BARS = 20

RC = {
    "svg.hashsalt": "xai-audit",
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.labelsize": 8.5,
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
_STYLE_BLOCK = re.compile(r"<defs>\s*<style[^>]*>.*?</style>\s*</defs>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_REFERENCE = re.compile(r"(url\(#|href=\"#)([^)\"]+)")
_ID = re.compile(r"\sid=\"([^\"]*)\"")


@dataclass(frozen=True)
class Chart:
    """One figure of the report: its number, inline SVG, text alternative and plain-language reading."""

    id: str
    number: int
    title: str
    desc: str
    reading: str
    svg: Markup


class ChartBook:
    """Draws the figures of one report, numbering them in order.

    Parameters
    ----------
    enabled : bool
        False gives placeholders (no matplotlib) with the same numbering and text alternatives.

    Examples
    --------
    >>> book = ChartBook()
    >>> chart = book.bars(["a", "b"], [0.2, 0.5], title="Two bars", desc="a is 0.2, b is 0.5.",
    ...                   reading="b is larger.", xlabel="value")
    >>> chart.number, chart.svg.startswith("<svg"), "<title id=\\"fig1-title\\">Two bars</title>" in chart.svg
    (1, True, True)
    """

    def __init__(self, *, enabled: bool = True):
        self.enabled = enabled
        self.count = 0

    # -- the figure kinds the report uses ------------------------------------------------------------

    def bars(self, names, values, *, title, desc, reading, xlabel, ci=None, colors=None, hatches=None,
             line=None, line_label=None, reference=None) -> Chart:
        """Horizontal bars, largest at the top as given, with optional intervals and a reference line."""
        names, values = list(names)[:MAX_BARS], list(values)[:MAX_BARS]

        def draw(fig):
            ax = fig.add_subplot()
            y = list(range(len(names)))[::-1]
            shown = [v if is_number(v) else 0.0 for v in values]
            ax.barh(y, shown, color=colors or BLUE, hatch=None, edgecolor="#ffffff", height=0.7, zorder=2)
            for bar, hatch in zip(ax.patches, hatches or []):
                bar.set_hatch(hatch)
            if ci is not None:
                _error_bars(ax, y, shown, ci[:MAX_BARS], horizontal=True)
            if line is not None:
                ax.axvline(line, color=BLACK, linestyle="--", linewidth=1.1, zorder=3)
                if line_label:
                    ax.annotate(f"{line_label} ({line:g})", xy=(line, 1.0), xycoords=("data", "axes fraction"),
                                xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=7.5)
            if reference is not None:
                ax.axvline(reference, color=GREY, linestyle=":", linewidth=1, zorder=3)
            ax.set_yticks(y, [label(n) for n in names])
            ax.set_xlabel(label(xlabel, 80))
            ax.grid(axis="y", visible=False)
            ax.set_xlim(left=min(0.0, *[v for v in shown]) * 1.1 if shown else 0.0)

        return self._make(draw, (6.4, 0.9 + 0.26 * max(len(names), 2)), title, desc, reading)

    def signed_bars(self, names, values, *, title, desc, reading, xlabel) -> Chart:
        """Bars left and right of zero: positive ones orange and hatched, negative ones blue and plain."""
        colors = [ORANGE if is_number(v) and v > 0 else BLUE for v in values][:MAX_BARS]
        hatches = ["//" if is_number(v) and v > 0 else "" for v in values][:MAX_BARS]
        return self.bars(names, values, title=title, desc=desc, reading=reading, xlabel=xlabel, colors=colors,
                         hatches=hatches, reference=0.0)

    def reliability(self, bins, *, title, desc, reading, what) -> Chart:
        """Reliability diagram: observed rate against mean predicted probability per bin, sized by rows."""

        def draw(fig):
            ax = fig.add_subplot()
            ax.plot([0, 1], [0, 1], linestyle="--", color=GREY, linewidth=1, label="perfect calibration")
            xs = [b.get("mean_predicted") for b in bins]
            ys = [b.get("observed_rate") for b in bins]
            sizes = [12 + 60 * (b.get("n", 1) / max(max(c.get("n", 1) for c in bins), 1)) for b in bins]
            ax.plot(xs, ys, color=BLUE, linewidth=1.4, zorder=2)
            ax.scatter(xs, ys, s=sizes, marker="s", color=BLUE, edgecolor=BLACK, linewidth=0.5, zorder=3,
                       label="observed (marker area \u221d rows)")
            ax.set_xlim(-0.02, 1.02)
            ax.set_ylim(-0.02, 1.02)
            ax.set_aspect("equal")
            ax.set_xlabel(f"mean predicted {label(what, 60)}")
            ax.set_ylabel("observed rate")
            ax.legend(loc="upper left", fontsize=7.5)

        return self._make(draw, (4.2, 3.9), title, desc, reading)

    def scatter(self, x, y, *, title, desc, reading, xlabel, ylabel, line=False) -> Chart:
        """Points (a dependence plot) or a line with markers (partial dependence)."""
        pairs = [(a, b) for a, b in zip(x, y) if b is not None and a is not None and is_number(b)]
        categorical = any(not is_number(a) for a, _ in pairs)
        if categorical:
            pairs = [(label(a, 18), b) for a, b in pairs]

        def draw(fig):
            ax = fig.add_subplot()
            xs, ys = [a for a, _ in pairs], [b for _, b in pairs]
            if line and not categorical:
                ax.plot(xs, ys, color=BLUE, marker="o", markersize=3.5, linewidth=1.4)
            else:
                ax.scatter(xs, ys, s=14, color=BLUE, alpha=0.85, marker="o", edgecolor="none")
            if not line:
                ax.axhline(0, color=GREY, linewidth=0.8, linestyle=":")
            ax.set_xlabel(label(xlabel, 60))
            ax.set_ylabel(label(ylabel, 50))
            if categorical:
                ax.tick_params(axis="x", labelrotation=30)
                for tick in ax.get_xticklabels():
                    tick.set_horizontalalignment("right")

        return self._make(draw, (4.2, 3.0), title, desc, reading)

    def gallery(self, images, maps, captions, *, title, desc, reading) -> Chart:
        """Attribution maps (2-D lists) under their input images, on one diverging colour-blind-safe scale."""
        import numpy as np

        maps = [_shrink(np.asarray(m, dtype=float)) for m in maps]
        inputs = [_as_picture(np.asarray(i, dtype=float)) for i in images] if images else []
        limit = max((float(np.nanmax(np.abs(m))) for m in maps if m.size), default=1.0) or 1.0
        columns = max(len(maps), 1)
        rows = 2 if inputs else 1

        def draw(fig):
            axes = fig.subplots(rows, columns, squeeze=False)
            shown = None
            for k in range(columns):
                if inputs:
                    axes[0][k].imshow(inputs[k], cmap="gray" if inputs[k].ndim == 2 else None)
                    axes[0][k].set_title(label(captions[k], 30), fontsize=6.5)
                shown = axes[-1][k].imshow(maps[k], cmap="PuOr_r", vmin=-limit, vmax=limit)
                if not inputs:
                    axes[-1][k].set_title(label(captions[k], 30), fontsize=6.5)
            for ax in axes.flat:
                ax.set_xticks([])
                ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_visible(False)
            if inputs:
                axes[0][0].set_ylabel("input", fontsize=7)
            axes[-1][0].set_ylabel("attribution", fontsize=7)
            if shown is not None:
                fig.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8, label="attribution")

        return self._make(draw, (1.25 * columns + 1.0, 1.35 * rows + 0.4), title, desc, reading)

    # -- machinery ----------------------------------------------------------------------------------

    def _make(self, draw, size, title, desc, reading) -> Chart:
        self.count += 1
        chart_id = f"fig{self.count}"
        if not self.enabled:
            svg = _wrap('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" class="placeholder">'
                        "</svg>", chart_id, title, desc)
        else:
            svg = _wrap(_draw_svg(draw, size), chart_id, title, desc)
        return Chart(id=chart_id, number=self.count, title=title, desc=desc, reading=reading, svg=svg)


def _shrink(array, size: int = 48):
    """Average down to at most ``size`` pixels a side, so large images stay light in the report."""
    if array.ndim == 3:
        array = array.sum(axis=0) if array.shape[0] <= 4 else array.mean(axis=-1)
    step = max(1, -(-max(array.shape) // size))
    if step == 1:
        return array
    h, w = (array.shape[0] // step) * step, (array.shape[1] // step) * step
    return array[:h, :w].reshape(h // step, step, w // step, step).mean(axis=(1, 3))


def _as_picture(image):
    """C×H×W (or H×W) scaled to [0, 1] for display: grey for one channel, RGB for three."""
    import numpy as np

    if image.ndim == 3 and image.shape[0] in (3, 4):
        picture = np.stack([_shrink(channel) for channel in image[:3]], axis=-1)
    else:
        picture = _shrink(image)
    low, high = float(np.min(picture)), float(np.max(picture))
    return (picture - low) / (high - low) if high > low else np.zeros_like(picture)


def _error_bars(ax, positions, values, ci, *, horizontal):
    lows, highs, where, at = [], [], [], []
    for position, value, span in zip(positions, values, ci):
        if isinstance(span, (list, tuple)) and len(span) == 2 and all(is_number(v) for v in span):
            where.append(position)
            at.append(value)
            lows.append(max(value - span[0], 0.0))
            highs.append(max(span[1] - value, 0.0))
    if where:
        kwargs = {"xerr": [lows, highs]} if horizontal else {"yerr": [lows, highs]}
        ax.errorbar(at if horizontal else where, where if horizontal else at, fmt="none", ecolor=BLACK,
                    elinewidth=1, capsize=2.5, zorder=4, **kwargs)


def _draw_svg(draw, size) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(RC):
        fig = Figure(figsize=size, layout="constrained")
        draw(fig)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return buffer.getvalue()


def _wrap(raw: str, chart_id: str, title: str, desc: str) -> Markup:
    """Trusted matplotlib SVG, made inline-ready: no prolog, ids prefixed, title and desc added."""
    svg = raw[raw.index("<svg"):]
    svg = _STYLE_BLOCK.sub("", svg, count=1)
    referenced = {match.group(2) for tag in _TAG.findall(svg) for match in _REFERENCE.finditer(tag)}

    def fix_tag(match):
        tag = match.group(0)
        tag = _ID.sub(lambda m: f' id="{chart_id}-{m.group(1)}"' if m.group(1) in referenced else "", tag)
        return _REFERENCE.sub(lambda m: f"{m.group(1)}{chart_id}-{m.group(2)}", tag)

    svg = _TAG.sub(fix_tag, svg)
    svg = re.sub(r"\n\s*", "\n", svg)
    head_end = svg.index(">") + 1
    head = svg[:head_end].replace("<svg ", f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" ', 1)
    labels = Markup('<title id="{0}-title">{1}</title><desc id="{0}-desc">{2}</desc>').format(chart_id, title, desc)
    return Markup(head) + labels + Markup(svg[head_end:])

