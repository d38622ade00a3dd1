"""Charts as inline SVG, written directly as text: byte-stable, accessible and safe to inline.

* byte-stable: coordinates rounded to two decimals, ids numbered per report, no date, no random id;
* accessible: every ``<svg>`` has ``role="img"`` and a ``<title>`` and ``<desc>``; series differ by
  hatching and marker as well as colour, with the Okabe–Ito colour-blind-safe palette;
* safe: every string drawn goes through :func:`markupsafe.escape` (:mod:`svg`), the title and
  description too.

:class:`ChartBook` numbers the figures of one report; with ``enabled=False`` it draws nothing and
returns a small placeholder with the same text alternative (used by the golden-file tests).
The bar charts are drawn here; points (:mod:`chart_points`), performance charts
(:mod:`chart_performance`) and image galleries (:mod:`chart_images`, the only one that uses
matplotlib) in modules of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from xai_audit.render.chart_axes import (GAP, LINE, Axes, Entry, draw_legend, edge_room, legend_height,
                                         legend_rows, x_axis_room)
from xai_audit.render.chart_style import (BLACK, BLUE, FONT, GREY, INCH, MAX_BARS, ORANGE, widest, wrap_label,
                                          wrap_to)
from xai_audit.render.svg import Drawing, text_width
from xai_audit.render.text import is_number, label

__all__ = ["BLUE", "FONT", "Chart", "ChartBook"]


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
        False gives placeholders (nothing drawn) with the same numbering and text alternatives.

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
        shown = [float(v) if is_number(v) else 0.0 for v in values]
        spans = [s if _is_span(s) else None for s in list(ci or [])[:MAX_BARS]]

        def draw(prefix):
            labels = [wrap_label(n) for n in names]
            most_lines = max((t.count("\n") + 1 for t in labels), default=1)
            low = min([0.0, *shown, *[s[0] for s in spans if s]])
            high = max([0.0, *shown, *[s[1] for s in spans if s], *([line] if line is not None else [])])
            pad = 0.05 * (high - low or 1.0)
            x = (low - pad if low < 0 else 0.0, high + pad)
            left = max(GAP + widest(labels) + 2 * GAP + 1, edge_room(*x))
            right = max(14.0, edge_room(*x))
            plot_width = max(width * INCH - left - right, 2 * INCH)
            total = left + plot_width + right
            title_lines = wrap_to(label(xlabel, 300), max(plot_width, 20 * 0.62 * FONT))
            rows = legend_rows([Entry(text, color, hatch=h or "") for text, color, h in legend or []], total - 2 * GAP)
            top = 8.0 + (LINE + GAP if line is not None and line_label else 0.0)
            row = max(21.6, 11.9 * most_lines + 7.2)
            bottom = x_axis_room(len(title_lines)) + (legend_height(rows) + GAP if rows else 0.0)
            d = Drawing(total, top + row * len(names) + bottom, prefix)
            ax = Axes(d, left=left, top=top, width=plot_width, height=row * len(names), x=x,
                      y=(-0.5, len(names) - 0.5))
            ax.grid(horizontal=False)
            positions = [len(names) - 1 - k for k in range(len(names))]
            for position, value, color, hatch in zip(positions, shown, colors, hatches):
                start, end = sorted((ax.px(0.0), ax.px(value)))
                d.rect(start, ax.py(position + 0.35), end - start, 0.7 * row, fill=color, hatch=hatch or "",
                       kind="bar")
            _error_bars(ax, positions, spans)
            if reference is not None:
                ax.vline(reference, stroke=GREY, dash="1 2")
            if line is not None:
                ax.vline(line, stroke=BLACK, width=1.1, dash="4 2")
                if line_label:
                    text = label(f"{line_label} ({line:g})", 300)
                    half = text_width(text, FONT) / 2
                    d.text(min(max(ax.px(line), half + 2), total - half - 2), top - GAP, text, anchor="middle")
            ax.spines()
            ax.category_labels(positions, labels)
            ax.x_axis(title_lines)
            if rows:
                draw_legend(d, rows, GAP * 2, ax.bottom + x_axis_room(len(title_lines)))
            return d.svg()

        return self._make(draw, title, desc, reading, values=tuple(shown))

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

    def paired_bars(self, names, first, second, *, legend, title, desc, reading, xlabel) -> Chart:
        """Two bars per category (``legend`` names the two series), e.g. observed beside predicted."""
        names = list(names)[:MAX_BARS]
        first = [float(v) if is_number(v) else 0.0 for v in list(first)[:MAX_BARS]]
        second = [float(v) if is_number(v) else 0.0 for v in list(second)[:MAX_BARS]]

        def draw(prefix):
            labels = [wrap_label(n) for n in names]
            most_lines = max((t.count("\n") + 1 for t in labels), default=1)
            low, high = min([0.0, *first, *second]), max([0.0, *first, *second])
            pad = 0.05 * (high - low or 1.0)
            x = (low - pad if low < 0 else low, high + pad if high > 0 else high)
            left = max(GAP + widest(labels) + 2 * GAP + 1, edge_room(*x))
            right = max(14.0, edge_room(*x))
            plot_width = max(5.5 * INCH - left - right, 2 * INCH)
            total = left + plot_width + right
            title_lines = wrap_to(label(xlabel, 300), plot_width)
            rows = legend_rows([Entry(legend[0], BLUE), Entry(legend[1], ORANGE, hatch="//")], total - 2 * GAP)
            row = max(2 * 10.0 + 10.0, 11.9 * most_lines + 8)
            top = 8.0
            d = Drawing(total, top + row * len(names) + x_axis_room(len(title_lines)) + legend_height(rows) + GAP,
                        prefix)
            ax = Axes(d, left=left, top=top, width=plot_width, height=row * len(names), x=x,
                      y=(-0.5, len(names) - 0.5))
            ax.grid(horizontal=False)
            positions = [len(names) - 1 - k for k in range(len(names))]
            for position, a, b in zip(positions, first, second):
                for value, offset, color, hatch in ((a, 0.0, BLUE, ""), (b, 10.0, ORANGE, "//")):
                    start, end = sorted((ax.px(0.0), ax.px(value)))
                    d.rect(start, ax.py(position) - 10.0 + offset, end - start, 9.0, fill=color, hatch=hatch,
                           kind="bar")
            ax.spines()
            ax.category_labels(positions, labels)
            ax.x_axis(title_lines)
            draw_legend(d, rows, GAP * 2, ax.bottom + x_axis_room(len(title_lines)))
            return d.svg()

        return self._make(draw, title, desc, reading, values=tuple(first) + tuple(second))

    def reliability(self, bins, *, title, desc, reading, what) -> Chart:
        """Reliability diagram: observed rate against mean predicted probability per bin, sized by rows."""
        from xai_audit.render.chart_performance import draw_reliability

        return draw_reliability(self, bins, title=title, desc=desc, reading=reading, what=what)

    def scatter(self, x, y, *, title, desc, reading, xlabel, ylabel, line=False, random_state=0) -> Chart:
        """Points (a dependence plot, at most ``MAX_POINTS``, sampled and said so) or a line (partial dependence)."""
        from xai_audit.render.chart_points import draw_scatter

        return draw_scatter(self, x, y, title=title, desc=desc, reading=reading, xlabel=xlabel, ylabel=ylabel,
                            line=line, random_state=random_state)

    def gallery(self, images, maps, captions, *, title, desc, reading, signed=True) -> Chart:
        """Attribution maps under their input images, each on its own colour scale (drawn by matplotlib)."""
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

    # -- machinery ----------------------------------------------------------------------------------

    def _make(self, draw, title, desc, reading, *, values=()) -> Chart:
        """Number the next figure and draw it: ``draw(prefix)`` returns its ``<svg>``, ids prefixed."""
        self.count += 1
        chart_id = f"fig{self.count}"
        if not self.enabled:
            raw = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" class="placeholder"></svg>'
        else:
            raw = draw(chart_id)
        return Chart(id=chart_id, number=self.count, title=title, desc=desc, reading=reading,
                     svg=_labelled(raw, chart_id, title, desc), values=tuple(values))


def _g(value) -> str:
    return f"{value:.3g}" if is_number(value) else "not recorded"


def _is_span(span) -> bool:
    return isinstance(span, (list, tuple)) and len(span) == 2 and all(is_number(v) for v in span)


def _error_bars(ax: Axes, positions, spans) -> None:
    """Horizontal interval lines with caps, one per bar that has an interval."""
    for position, span in zip(positions, spans):
        if span:
            y = ax.py(position)
            low, high = ax.px(span[0]), ax.px(span[1])
            ax.drawing.line([(low, y), (high, y)], stroke=BLACK, width=1.0)
            for end in (low, high):
                ax.drawing.line([(end, y - 2.5), (end, y + 2.5)], stroke=BLACK, width=1.0)


def _labelled(raw: str, chart_id: str, title: str, desc: str) -> Markup:
    """``raw`` (a trusted ``<svg>``, ids already prefixed) with its role, title and description added."""
    head_end = raw.index(">") + 1
    head = raw[:head_end].replace("<svg ", f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" ', 1)
    labels = Markup('<title id="{0}-title">{1}</title><desc id="{0}-desc">{2}</desc>').format(chart_id, title, desc)
    return Markup(head) + labels + Markup(raw[head_end:])
