"""Performance charts: the reliability diagram, the ROC curve with the decisions' operating point, and
the confusion matrix, written as SVG."""

from __future__ import annotations

import math

import numpy as np

from xai_audit.render.chart_axes import (ASCENT, GAP, LINE, TICK, Axes, Entry, draw_legend, legend_height,
                                         legend_rows, x_axis_room, y_title_room)
from xai_audit.render.chart_style import AXIS, BLACK, BLUE, FONT, GREY, INCH, VERMILION, widest, wrap_label, wrap_to
from xai_audit.render.svg import Drawing, nice_ticks, text_width
from xai_audit.render.text import is_number, label

# matplotlib's "Blues" (ColorBrewer), light to dark: the colour of a cell holding that share of its row.
BLUES = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")
UNIT = (-0.01, 1.01)  # the axis range of a rate, with room for the points on its edges
RATE_BINS = 8  # ticks every 0.2 on a rate axis


def blues(share: float) -> str:
    """The colour of ``share`` (0 to 1) on the Blues scale, interpolated between its nine steps.

    Examples
    --------
    >>> blues(0.0), blues(1.0), blues(0.5)
    ('#f7fbff', '#08306b', '#6baed6')
    """
    share = min(max(float(share), 0.0), 1.0) * (len(BLUES) - 1)
    k = min(int(share), len(BLUES) - 2)
    t = share - k
    a, b = (tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in (BLUES[k], BLUES[k + 1]))
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def draw_reliability(book, bins, *, title, desc, reading, what):
    """Observed rate against mean predicted probability per bin, markers sized by rows, and the diagonal."""
    points = [(b.get("mean_predicted"), b.get("observed_rate"), b.get("n", 1)) for b in bins]
    points = [(x, y, n if is_number(n) else 1) for x, y, n in points if is_number(x) and is_number(y)]
    most = max((n for _, _, n in points), default=1) or 1

    def draw(prefix):
        size = 4.2 * INCH
        x_title = wrap_to(f"mean predicted {label(what, 60)}", 40 * 0.62 * FONT)
        left = 6.0 + y_title_room(["observed rate"], nice_ticks(-0.02, 1.02, RATE_BINS))
        side = size - left - 14.0
        d = Drawing(size, 10.0 + side + x_axis_room(len(x_title)), prefix)
        ax = Axes(d, left=left, top=10.0, width=side, height=side, x=(-0.02, 1.02), y=(-0.02, 1.02),
                  bins=RATE_BINS)
        ax.grid()
        d.line([(ax.px(0), ax.py(0)), (ax.px(1), ax.py(1))], stroke=GREY, width=1.0, dash="4 2")
        d.line([(ax.px(x), ax.py(y)) for x, y, _ in points], stroke=BLUE, width=1.4)
        for x, y, n in points:
            area = 12 + 60 * n / most  # square points, as matplotlib's marker size
            d.marker(ax.px(x), ax.py(y), shape="s", size=math.sqrt(area), fill=BLUE, stroke=BLACK)
        ax.spines()
        ax.x_axis(x_title)
        ax.y_axis(["observed rate"])
        rows = legend_rows([Entry("perfect calibration", GREY, kind="line", dash="4 2"),
                            Entry("observed (marker area \u221d rows)", BLUE, kind="marker", shape="s")], side - 12)
        draw_legend(d, rows, ax.left + 8, ax.top + 6, background=True)
        return d.svg()

    return book._make(draw, title, desc, reading)


def draw_roc(book, decisions, *, title, desc, reading):
    """ROC curve(s) from the record's ``performance.decisions``; the operating point marked when known.

    Binary: one curve and the point the model's decisions reach. Multiclass: one thin line per class
    (one-vs-rest), all in one colour, named once in the legend.
    """
    curves = [c for c in decisions.get("roc") or [] if isinstance(c.get("fpr"), list)]
    point = decisions.get("operating_point") or {}
    binary = len(curves) == 1 and "positive_label" in decisions
    marked = binary and is_number(point.get("fpr")) and is_number(point.get("tpr"))

    def draw(prefix):
        size = 4.0 * INCH
        left = 6.0 + y_title_room(["true positive rate"], nice_ticks(*UNIT, RATE_BINS))
        side = size - left - 14.0
        entries = [Entry("chance (AUC 0.5)", GREY, kind="line", dash="1 2")]
        if binary:
            entries.append(Entry(f"ROC curve (AUC {_auc(curves[0])})", BLUE, kind="line"))
        elif curves:
            entries.append(Entry(f"one-vs-rest curve of each class ({len(curves)})", BLUE, kind="line"))
        if marked:
            cut = decisions.get("cut_off")
            entries.append(Entry("the model's decisions" + (f" (cut-off {cut:g})" if cut else ""), VERMILION,
                                 kind="marker", shape="D"))
        rows = legend_rows(entries, size - 4 * GAP)
        d = Drawing(size, 10.0 + side + x_axis_room(1) + legend_height(rows) + GAP, prefix)
        ax = Axes(d, left=left, top=10.0, width=side, height=side, x=UNIT, y=UNIT, bins=RATE_BINS)
        ax.grid()
        d.line([(ax.px(0), ax.py(0)), (ax.px(1), ax.py(1))], stroke=GREY, width=1.0, dash="1 2")
        for curve in curves:
            pairs = [(f, t) for f, t in zip(curve["fpr"], curve.get("tpr") or []) if is_number(f) and is_number(t)]
            d.polyline([(ax.px(f), ax.py(t)) for f, t in pairs], stroke=BLUE, width=1.6 if binary else 0.9)
        if marked:
            d.marker(ax.px(point["fpr"]), ax.py(point["tpr"]), shape="D", size=10.0, fill=VERMILION, stroke=BLACK)
        ax.spines()
        ax.x_axis(["false positive rate"])
        ax.y_axis(["true positive rate"])
        draw_legend(d, rows, 2 * GAP, ax.bottom + x_axis_room(1))
        return d.svg()

    return book._make(draw, title, desc, reading, values=tuple(c.get("auc") for c in curves))


def _auc(curve) -> str:
    return f"{curve['auc']:.3f}" if is_number(curve.get("auc")) else "not recorded"


def draw_confusion(book, matrix, labels, *, title, desc, reading):
    """Counts with each true class's share in the cell; darker cells hold a larger share of their row.

    Up to four classes a cell shows its count and its row share; beyond, its count only. Class
    names stand upright under the columns when they fit a cell, else they turn to read upwards.
    """
    counts = np.asarray(matrix, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)

    def draw(prefix):
        k = len(labels)
        rows = [wrap_label(str(n), 24).split("\n") for n in labels]
        cell = 0.9 * INCH if k <= 4 else max(min(0.42, 3.0 / k) * INCH, FONT * 1.4)
        cell = max(cell, max(text_width(f"{int(c)}", FONT) for c in counts.ravel()) + 4,
                   max(len(r) for r in rows) * LINE + 2)
        columns = [wrap_label(str(n), 14).split("\n") for n in labels]
        turned = widest(line for c in columns for line in c) > cell - 4
        if turned:
            columns = rows
            cell = max(cell, max(len(c) for c in columns) * LINE + 2)
            under = widest(line for c in columns for line in c) + GAP
        else:
            under = max(len(c) for c in columns) * LINE
        left = 6.0 + LINE + GAP + widest(line for r in rows for line in r) + GAP + TICK
        top = LINE + 2 * GAP
        side = cell * k
        right = 10.0 + 10.0 + TICK + GAP + text_width("1.0", FONT) + GAP + LINE + 4.0
        d = Drawing(left + side + right, top + side + TICK + GAP + under + GAP, prefix)
        _cells(d, counts, shares, left, top, cell)
        d.line([(left, top), (left, top + side), (left + side, top + side)], stroke=AXIS, width=0.8)
        for n in range(k):
            centre = top + n * cell + cell / 2
            d.line([(left - TICK, centre), (left, centre)], stroke=BLACK, width=0.8)
            _lines(d, left - TICK - GAP, centre, rows[n], anchor="end")
            middle = left + n * cell + cell / 2
            d.line([(middle, top + side), (middle, top + side + TICK)], stroke=BLACK, width=0.8)
            if turned:
                for m, line in enumerate(columns[n]):
                    x = middle + ASCENT / 2 + (m - (len(columns[n]) - 1) / 2) * LINE
                    d.text(x, top + side + TICK + GAP, line, anchor="end", rotate=True)
            else:
                for m, line in enumerate(columns[n]):
                    d.text(middle, top + side + TICK + GAP + ASCENT + m * LINE, line, anchor="middle")
        d.text(left + side / 2, top - GAP - 1, "predicted class", anchor="middle")
        d.text(6.0 + ASCENT, top + side / 2, "true class", anchor="middle", rotate=True)
        _colour_bar(d, left + side + 10.0, top, side)
        return d.svg()

    return book._make(draw, title, desc, reading, values=tuple(counts.ravel().tolist()))


def _cells(d: Drawing, counts, shares, left: float, top: float, cell: float) -> None:
    """One square per (true, predicted) pair, shaded by its row share, its count (and share) written in it."""
    k = len(counts)
    for i in range(k):
        for j in range(k):
            x, y = left + j * cell, top + i * cell
            d.rect(x, y, cell, cell, fill=blues(shares[i, j]), kind="cell")
            lines = [f"{int(counts[i, j])}"] + ([f"{shares[i, j]:.0%}"] if k <= 4 else [])
            _lines(d, x + cell / 2, y + cell / 2, lines, anchor="middle",
                   fill="#ffffff" if shares[i, j] > 0.55 else "#1b1b1b")


def _lines(d: Drawing, x: float, middle: float, lines, *, anchor: str, fill=None) -> None:
    """Lines of text centred vertically on ``middle``."""
    first = middle - (len(lines) - 1) * LINE / 2 + ASCENT / 2
    for n, line in enumerate(lines):
        d.text(x, first + n * LINE, line, anchor=anchor, fill=fill)


def _colour_bar(d: Drawing, left: float, top: float, height: float, steps: int = 32) -> None:
    """The Blues scale from 0 (bottom) to 1 (top), ticked every 0.2, with its title."""
    width = 10.0
    for s in range(steps):
        d.rect(left, top + height * (steps - 1 - s) / steps, width, height / steps + 0.3,
               fill=blues((s + 0.5) / steps))
    d.rect(left, top, width, height, fill="none", stroke=AXIS)
    for tick in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        y = top + height * (1 - tick)
        d.line([(left + width, y), (left + width + TICK, y)], stroke=BLACK, width=0.8)
        d.text(left + width + TICK + GAP, y + ASCENT / 2, f"{tick:.1f}")
    x = left + width + TICK + GAP + text_width("1.0", FONT) + GAP + ASCENT
    d.text(x, top + height / 2, "share of the true class", anchor="middle", rotate=True)
