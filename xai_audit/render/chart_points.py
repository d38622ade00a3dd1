"""Point charts: dependence scatters and partial-dependence lines, light at any number of rows.

A dependence scatter draws at most :data:`MAX_POINTS` points. Above that it draws a seeded sample
stratified by the feature's decile (or category) and the attribution's sign, so the shape of the
cloud and its tails stay visible, and the caption states how many of how many rows are drawn.
A categorical feature is drawn with its categories down the side (labels wrapped, never cut).
"""

from __future__ import annotations

import numpy as np

from xai_audit.numbers import all_numbers
from xai_audit.render.chart_axes import GAP, LINE, Axes, edge_room, limits, x_axis_room, y_title_room
from xai_audit.render.chart_style import BLUE, FONT, GREY, INCH, MAX_BARS, widest, wrap_label, wrap_to
from xai_audit.render.svg import Drawing, nice_ticks
from xai_audit.render.text import is_number, label

MAX_POINTS = 1000
WIDTH = 4.0  # inches
HEIGHT = 3.1  # inches
MAX_CATEGORIES = MAX_BARS


def sample_points(x, y, *, limit: int = MAX_POINTS, random_state=0) -> np.ndarray:
    """Positions of at most ``limit`` points, stratified by the decile (or category) of x and the sign of y.

    Every stratum keeps a share of ``limit`` in proportion to its size (at least one point), so small
    strata such as the tails are not lost. All positions when there are at most ``limit`` points.

    Examples
    --------
    >>> x = np.arange(5000.0); y = np.where(x % 7 == 0, -1.0, 1.0)
    >>> kept = sample_points(x, y, limit=1000)
    >>> len(kept) <= 1000, bool((y[kept] < 0).any()), bool(x[kept].max() > 4500)
    (True, True, True)
    """
    n = len(y)
    if n <= limit:
        return np.arange(n)
    y = np.asarray(y, dtype=float)
    if all_numbers(x):
        values = np.asarray(x, dtype=float)
        edges = np.unique(np.quantile(values, np.linspace(0, 1, 11)[1:-1]))
        place = np.searchsorted(edges, values, side="right")
    else:
        _, place = np.unique(np.asarray([str(a) for a in x], dtype=object), return_inverse=True)
    strata = place * 3 + (np.sign(y).astype(int) + 1)
    rng = np.random.default_rng(random_state)
    kept = []
    groups, counts = np.unique(strata, return_counts=True)
    shares = np.maximum(1, np.floor(counts * (limit - len(groups)) / n).astype(int))
    for group, share in zip(groups, shares):
        members = np.flatnonzero(strata == group)
        kept.append(members if len(members) <= share else rng.choice(members, share, replace=False))
    return np.sort(np.concatenate(kept))[: limit]


def plotted_pairs(x, y) -> list:
    """The ``(x, y)`` points a dependence plot shows: x known and y a finite number.

    Two long lists of plain numbers (50,000 points) are checked in one pass each.

    Examples
    --------
    >>> plotted_pairs([1.0, None, "a", 2.0], [0.5, 0.1, None, float("nan")])
    [(1.0, 0.5)]
    """
    if all_numbers(x) and all_numbers(y):
        return list(zip(x, y))
    return [(a, b) for a, b in zip(x, y) if a is not None and is_number(b)]


def draw_scatter(book, x, y, *, title, desc, reading, xlabel, ylabel, line=False, random_state=0):
    """A dependence scatter (``line=False``) or a partial-dependence line, as a :class:`Chart`."""
    pairs = plotted_pairs(x, y)
    categorical = not all_numbers([a for a, _ in pairs])
    xs, ys = [a for a, _ in pairs], [float(b) for _, b in pairs]
    note = ""
    if not line and len(pairs) > MAX_POINTS:
        kept = sample_points(xs, ys, limit=MAX_POINTS, random_state=random_state)
        xs, ys = [xs[i] for i in kept], [ys[i] for i in kept]
        note = (f" Drawn: {len(kept):,} of {len(pairs):,} points, a seeded sample stratified by the feature's "
                "decile (or category) and the attribution's sign.")
    if categorical:
        return _categorical(book, xs, ys, title=title, desc=desc, reading=reading + note, xlabel=xlabel,
                            ylabel=ylabel, line=line, random_state=random_state)
    xs = [float(a) for a in xs]

    def draw(prefix):
        x_range, y_range = limits(xs), limits(ys + ([] if line else [0.0]))
        y_title = wrap_to(label(ylabel, 200), HEIGHT * INCH - 40)
        left = 6.0 + y_title_room(y_title, nice_ticks(*y_range))
        right = max(10.0, edge_room(*x_range))
        plot_width = WIDTH * INCH - left - right
        x_title = wrap_to(label(xlabel, 200), WIDTH * INCH - 8)
        plot_height = HEIGHT * INCH - 10.0 - x_axis_room(2)
        d = Drawing(WIDTH * INCH, 10.0 + plot_height + x_axis_room(len(x_title)), prefix)
        ax = Axes(d, left=left, top=10.0, width=plot_width, height=plot_height, x=x_range, y=y_range)
        ax.grid()
        if line:
            order = sorted(range(len(xs)), key=lambda i: xs[i])
            d.line([(ax.px(xs[i]), ax.py(ys[i])) for i in order], stroke=BLUE, width=1.4)
            for i in order:
                d.marker(ax.px(xs[i]), ax.py(ys[i]), size=3.5, fill=BLUE)
        else:
            ax.hline(0.0, stroke=GREY, width=0.8, dash="1 2")
            for a, b in zip(xs, ys):
                d.marker(ax.px(a), ax.py(b), size=3.6, fill=BLUE, opacity=0.7)
        ax.spines()
        ax.x_axis(x_title)
        ax.y_axis(y_title)
        return d.svg()

    return book._make(draw, title, desc, reading + note, values=tuple(ys))


def _categorical(book, xs, ys, *, title, desc, reading, xlabel, ylabel, line, random_state):
    """Categories down the side, values across: long category names wrap instead of being cut."""
    categories = list(dict.fromkeys(str(a) for a in xs))
    hidden = categories[MAX_CATEGORIES:]
    categories = categories[:MAX_CATEGORIES]
    if hidden:
        reading += f" The {len(hidden)} rarest-listed categories beyond the first {MAX_CATEGORIES} are not drawn."
    where = {c: k for k, c in enumerate(categories)}
    keep = [i for i, a in enumerate(xs) if str(a) in where]
    # Jitter spreads the many points of one category; one point per category (a partial dependence) stays put.
    spread = not line and len(keep) > len({str(xs[i]) for i in keep})
    jitter = np.random.default_rng(random_state).uniform(-0.25, 0.25, len(keep)) if spread else np.zeros(len(keep))

    def draw(prefix):
        labels = [wrap_label(c, 22) for c in categories]
        most_lines = max((t.count("\n") + 1 for t in labels), default=1)
        values = [ys[i] for i in keep]
        x_range = limits(values + ([] if line else [0.0]))
        left = max(GAP + widest(labels) + 2 * GAP + 1, edge_room(*x_range))
        right = max(10.0, edge_room(*x_range))
        total = max(WIDTH * INCH, left + 2.2 * INCH + right)
        plot_width = total - left - right
        heading = wrap_to(label(xlabel, 200), total - left)
        x_title = wrap_to(label(ylabel, 200), total - 8)
        row = max(18.0, most_lines * LINE + 6.0)
        top = 8.0 + len(heading) * LINE + GAP
        d = Drawing(total, top + row * len(categories) + x_axis_room(len(x_title)), prefix)
        ax = Axes(d, left=left, top=top, width=plot_width, height=row * len(categories), x=x_range,
                  y=(-0.5, len(categories) - 0.5))
        ax.grid(horizontal=False)
        rows = [len(categories) - 1 - where[str(xs[i])] for i in keep]
        if not line:
            ax.vline(0.0, stroke=GREY, width=0.8, dash="1 2")
        for value, position, shift in zip(values, rows, jitter):
            if spread:
                d.marker(ax.px(value), ax.py(position + shift), size=3.6, fill=BLUE, opacity=0.7)
            else:
                d.marker(ax.px(value), ax.py(position), size=5.0, fill=BLUE)
        ax.spines()
        ax.category_labels(range(len(categories))[::-1], labels)
        ax.x_axis(x_title)
        for k, text in enumerate(heading):
            d.text(left, 8.0 + k * LINE + 0.72 * FONT, text)
        return d.svg()

    return book._make(draw, title, desc, reading, values=tuple(ys[i] for i in keep))
