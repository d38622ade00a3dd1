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

from xai_audit.render.chart_style import (BLACK, BLUE, FONT, GREY, MAX_BARS, ORANGE, POINT, RC,
                                          axes_at, category_labels, legend_handles, text_inches,
                                          wrap_label)
from xai_audit.render.text import is_number, label

_STYLE_BLOCK = re.compile(r"<defs>\s*<style[^>]*>.*?</style>\s*</defs>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_REFERENCE = re.compile(r"(url\(#|href=\"#)([^)\"]+)")
_ID = re.compile(r"\sid=\"([^\"]*)\"")


@dataclass(frozen=True)
class Chart:
    """One figure of the report: its number, inline SVG, text alternative and plain-language reading.

    ``values`` are the numbers drawn, in the order drawn (bars top to bottom), so tests can check a
    figure against the record it came from.
    """

    id: str
    number: int
    title: str
    desc: str
    reading: str
    svg: Markup
    values: tuple = ()


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
             line=None, line_label=None, reference=None, legend=None, width=5.5) -> Chart:
        """Horizontal bars, first at the top, with optional intervals, a reference line and a legend.

        A chart whose bars differ in colour or hatching must name every style in ``legend``
        (``[(label, colour, hatch), ...]``); a ValueError says so otherwise.
        """
        names, values = list(names)[:MAX_BARS], list(values)[:MAX_BARS]
        colors = list(colors or [BLUE] * len(names))[:MAX_BARS]
        hatches = list(hatches or [""] * len(names))[:MAX_BARS]
        styles = {(c, h or "") for c, h in zip(colors, hatches)}
        if len(styles) > 1 and not legend:
            raise ValueError(f"The bar chart '{title}' uses {len(styles)} colours or hatchings but has no legend; "
                             "pass legend=[(label, colour, hatch), ...].")
        shown = [v if is_number(v) else 0.0 for v in values]
        labels = [wrap_label(n) for n in names]
        most_lines = max((t.count("\n") + 1 for t in labels), default=1)
        left = text_inches(labels) + 0.25
        axis_label = wrap_label(label(xlabel, 300), max(int((width - left - 0.25) / (0.62 * FONT * POINT)), 20))
        legend_rows = len(legend or [])
        top_room = 0.25 + (0.22 if line is not None and line_label else 0.0)
        bottom = 0.38 + 0.17 * (axis_label.count("\n") + 1) + 0.2 * legend_rows
        height = bottom + top_room + len(names) * max(0.3, 0.165 * most_lines + 0.1)

        from matplotlib.ticker import MaxNLocator

        def draw(fig):
            ax = axes_at(fig, left=left, bottom=bottom, top=top_room, right=0.25)
            y = list(range(len(names)))[::-1]
            ax.barh(y, shown, color=colors, edgecolor="#ffffff", height=0.7, zorder=2)
            for bar, hatch in zip(ax.patches, hatches):
                bar.set_hatch(hatch or None)
            if ci is not None:
                _error_bars(ax, y, shown, ci[:MAX_BARS], horizontal=True)
            if line is not None:
                ax.axvline(line, color=BLACK, linestyle="--", linewidth=1.1, zorder=3)
                if line_label:
                    ax.annotate(f"{line_label} ({line:g})", xy=(line, 1.0), xycoords=("data", "axes fraction"),
                                xytext=(0, 3), textcoords="offset points", ha="center", va="bottom")
            if reference is not None:
                ax.axvline(reference, color=GREY, linestyle=":", linewidth=1, zorder=3)
            category_labels(ax, y, labels)
            ax.set_ylim(-0.6, len(names) - 0.4)
            ax.set_xlabel(axis_label)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.grid(axis="y", visible=False)
            low = min([0.0, *shown, *[s[0] for s in (ci or []) if _is_span(s)]])
            high = max([0.0, *shown, *[s[1] for s in (ci or []) if _is_span(s)], *([line] if line is not None else [])])
            pad = 0.05 * (high - low or 1.0)
            ax.set_xlim(low - pad if low < 0 else 0.0, high + pad)
            if legend:
                ax.legend(handles=legend_handles(legend), loc="lower left", bbox_to_anchor=(0.01, 0.01),
                          bbox_transform=fig.transFigure, borderaxespad=0.2)

        return self._make(draw, (width, height), title, desc, reading, values=tuple(shown))

    def signed_bars(self, names, values, *, title, desc, reading, xlabel, width=6.4, up="raises the output",
                    down="lowers the output") -> Chart:
        """Bars left and right of zero: positive ones orange and hatched, negative ones blue and plain."""
        values = list(values)[:MAX_BARS]
        positive = [is_number(v) and v > 0 for v in values]
        colors = [ORANGE if p else BLUE for p in positive]
        hatches = ["//" if p else "" for p in positive]
        legend = ([(up, ORANGE, "//")] if any(positive) else []) + ([(down, BLUE, "")] if not all(positive) else [])
        return self.bars(names, values, title=title, desc=desc, reading=reading, xlabel=xlabel, colors=colors,
                         hatches=hatches, reference=0.0, legend=legend if len(legend) > 1 else None, width=width)

    def local_bars(self, names, contributions, *, base, output, top, title, desc_start, reading, xlabel,
                   width=5.2) -> Chart:
        """One row's explanation: its ``top`` largest contributions and one bar for all the others.

        The bars add up to ``output - base`` (the other features' bar holds the sum of the rest),
        so the chart accounts for the whole distance from the base value to the output.
        """
        known = [j for j in range(len(contributions)) if is_number(contributions[j])]
        order = sorted(known, key=lambda j: -abs(contributions[j]))
        kept, rest = order[:top], order[top:]
        shown_names = list(names[j] for j in kept)
        shown_values = [float(contributions[j]) for j in kept]
        if rest:
            shown_names.append(f"other {len(rest)} features (sum)")
            shown_values.append(float(sum(contributions[j] for j in rest)))
        desc = (desc_start + " " + "; ".join(f"{label(n, 80)}: {v:.3g}" for n, v in zip(shown_names, shown_values))
                + f". Base value {_g(base)}, output {_g(output)}.")
        return self.signed_bars(shown_names, shown_values, title=title, desc=desc, reading=reading, xlabel=xlabel,
                                width=width)

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
            ax.set_xlabel(wrap_label(f"mean predicted {label(what, 60)}", 40))
            ax.set_ylabel("observed rate")
            ax.legend(loc="upper left")

        return self._make(draw, (4.2, 4.2), title, desc, reading, layout=True)

    def scatter(self, x, y, *, title, desc, reading, xlabel, ylabel, line=False, random_state=0) -> Chart:
        """Points (a dependence plot, at most ``MAX_POINTS``, sampled and said so) or a line (partial dependence)."""
        from xai_audit.render.chart_points import draw_scatter

        return draw_scatter(self, x, y, title=title, desc=desc, reading=reading, xlabel=xlabel, ylabel=ylabel,
                            line=line, random_state=random_state)

    def gallery(self, images, maps, captions, *, title, desc, reading, signed=True) -> Chart:
        """Attribution maps under their input images, each on its own colour scale."""
        from xai_audit.render.chart_images import draw_gallery

        return draw_gallery(self, images, maps, captions, title=title, desc=desc, reading=reading, signed=signed)

    def roc(self, curve, *, title, desc, reading) -> Chart:
        """ROC curve(s) with the decision cut-off's operating point (see :mod:`chart_performance`)."""
        from xai_audit.render.chart_performance import draw_roc

        return draw_roc(self, curve, title=title, desc=desc, reading=reading)

    def confusion(self, matrix, labels, *, title, desc, reading) -> Chart:
        """A confusion matrix: rows the true class, columns the predicted one, counts and row shares."""
        from xai_audit.render.chart_performance import draw_confusion

        return draw_confusion(self, matrix, labels, title=title, desc=desc, reading=reading)

    def paired_bars(self, names, first, second, *, legend, title, desc, reading, xlabel) -> Chart:
        """Two bars per category (``legend`` names the two series), e.g. observed beside predicted."""
        names = list(names)[:MAX_BARS]
        first = [v if is_number(v) else 0.0 for v in list(first)[:MAX_BARS]]
        second = [v if is_number(v) else 0.0 for v in list(second)[:MAX_BARS]]
        labels = [wrap_label(n) for n in names]
        lines = sum(t.count("\n") + 1 for t in labels)
        left = text_inches(labels) + 0.25
        height = 1.25 + 0.3 * max(lines, len(names)) + 0.2 * len(names)

        def draw(fig):
            ax = axes_at(fig, left=left, bottom=0.95, top=0.2, right=0.25)
            y = [2.0 * k for k in range(len(names))][::-1]
            styles = [(legend[0], BLUE, ""), (legend[1], ORANGE, "//")]
            ax.barh([v + 0.4 for v in y], first, height=0.75, color=BLUE, edgecolor="#ffffff", zorder=2)
            ax.barh([v - 0.4 for v in y], second, height=0.75, color=ORANGE, hatch="//", edgecolor="#ffffff", zorder=2)
            category_labels(ax, y, labels)
            ax.grid(axis="y", visible=False)
            ax.set_xlabel(label(xlabel, 90))
            ax.legend(handles=legend_handles(styles), loc="lower left", bbox_to_anchor=(0.01, 0.0),
                      bbox_transform=fig.transFigure, ncols=2)

        return self._make(draw, (5.5, height), title, desc, reading, values=tuple(first) + tuple(second))

    # -- machinery ----------------------------------------------------------------------------------

    def _make(self, draw, size, title, desc, reading, *, values=(), layout=False) -> Chart:
        self.count += 1
        chart_id = f"fig{self.count}"
        if not self.enabled:
            svg = _wrap('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" class="placeholder">'
                        "</svg>", chart_id, title, desc)
        else:
            svg = _wrap(_draw_svg(draw, size, layout), chart_id, title, desc)
        return Chart(id=chart_id, number=self.count, title=title, desc=desc, reading=reading, svg=svg,
                     values=tuple(values))


def _g(value) -> str:
    return f"{value:.3g}" if is_number(value) else "not recorded"


def _is_span(span) -> bool:
    return isinstance(span, (list, tuple)) and len(span) == 2 and all(is_number(v) for v in span)


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


def _draw_svg(draw, size, layout=False) -> str:
    import gc

    import matplotlib
    from matplotlib.figure import Figure

    # A figure is thousands of small linked objects; the cyclic collector would otherwise walk the
    # whole heap (the loaded record included) many times per figure. It runs again once drawn.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _savefig(draw, size, layout, matplotlib, Figure)
    finally:
        if collecting:
            gc.enable()


def _savefig(draw, size, layout, matplotlib, Figure) -> str:
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=size, layout="constrained" if layout else None)
        draw(fig)
        for ax in fig.axes:  # the tests find every legend by this id (kept by _wrap, prefixed per figure)
            if ax.get_legend() is not None:
                ax.get_legend().set_gid("legend")
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
        tag = _ID.sub(lambda m: f' id="{chart_id}-{m.group(1)}"' if m.group(1) in referenced or m.group(1) == "legend"
                      else "", tag)
        return _REFERENCE.sub(lambda m: f"{m.group(1)}{chart_id}-{m.group(2)}", tag)

    svg = _TAG.sub(fix_tag, svg)
    svg = re.sub(r"\n\s*", "\n", svg)
    head_end = svg.index(">") + 1
    head = svg[:head_end].replace("<svg ", f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" ', 1)
    labels = Markup('<title id="{0}-title">{1}</title><desc id="{0}-desc">{2}</desc>').format(chart_id, title, desc)
    return Markup(head) + labels + Markup(svg[head_end:])

