"""Point charts: dependence scatters and partial-dependence lines, light at any number of rows.

A dependence scatter draws at most :data:`MAX_POINTS` points. Above that it draws a seeded sample
stratified by the feature's decile (or category) and the attribution's sign, so the shape of the
cloud and its tails stay visible, and the caption states how many of how many rows are drawn.
A categorical feature is drawn with its categories down the side (labels wrapped, never cut).
"""

from __future__ import annotations

import numpy as np

from xai_audit.render.chart_style import BLUE, GREY, MAX_BARS, axes_at, text_inches, category_labels, wrap_label
from xai_audit.render.text import is_number, label

MAX_POINTS = 1000
WIDTH = 4.0  # inches
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
    if all(is_number(a) for a in x):
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


def draw_scatter(book, x, y, *, title, desc, reading, xlabel, ylabel, line=False, random_state=0):
    """A dependence scatter (``line=False``) or a partial-dependence line, as a :class:`Chart`."""
    from matplotlib.ticker import MaxNLocator

    pairs = [(a, b) for a, b in zip(x, y) if a is not None and is_number(b)]
    categorical = any(not is_number(a) for a, _ in pairs)
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
    left = 0.85

    def draw(fig):
        ax = axes_at(fig, left=left, bottom=0.62, top=0.15, right=0.15)
        if line:
            ax.plot(xs, ys, color=BLUE, marker="o", markersize=3.5, linewidth=1.4)
        else:
            ax.scatter(xs, ys, s=10, color=BLUE, alpha=0.7, marker="o", edgecolor="none", rasterized=False)
            ax.axhline(0, color=GREY, linewidth=0.8, linestyle=":")
        ax.set_xlabel(wrap_label(label(xlabel, 200), 48))
        ax.set_ylabel(wrap_label(label(ylabel, 200), 30))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))

    return book._make(draw, (WIDTH, 3.1), title, desc, reading + note, values=tuple(ys))


def _categorical(book, xs, ys, *, title, desc, reading, xlabel, ylabel, line, random_state):
    """Categories down the side, values across: long category names wrap instead of being cut."""
    from matplotlib.ticker import MaxNLocator

    categories = list(dict.fromkeys(str(a) for a in xs))
    hidden = categories[MAX_CATEGORIES:]
    categories = categories[:MAX_CATEGORIES]
    if hidden:
        reading += f" The {len(hidden)} rarest-listed categories beyond the first {MAX_CATEGORIES} are not drawn."
    where = {c: k for k, c in enumerate(categories)}
    keep = [i for i, a in enumerate(xs) if str(a) in where]
    labels = [wrap_label(c, 22) for c in categories]
    left = text_inches(labels) + 0.3
    lines = sum(t.count("\n") + 1 for t in labels)
    height = 1.15 + 0.2 * lines + 0.1 * len(categories)
    jitter = np.random.default_rng(random_state).uniform(-0.25, 0.25, len(keep)) if not line else np.zeros(len(keep))

    def draw(fig):
        ax = axes_at(fig, left=left, bottom=0.62, top=0.35, right=0.2)
        rows = [len(categories) - 1 - where[str(xs[i])] for i in keep]
        values = [ys[i] for i in keep]
        if line:
            ax.plot(values, rows, linestyle="none", color=BLUE, marker="o", markersize=5)
        else:
            ax.scatter(values, np.asarray(rows) + jitter, s=10, color=BLUE, alpha=0.7, edgecolor="none")
            ax.axvline(0, color=GREY, linewidth=0.8, linestyle=":")
        category_labels(ax, range(len(categories))[::-1], labels)
        ax.set_ylim(-0.6, len(categories) - 0.4)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(wrap_label(label(ylabel, 200), 48))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.set_title(wrap_label(label(xlabel, 200), 48), loc="left")

    return book._make(draw, (max(WIDTH, left + 2.2), height), title, desc, reading,
                      values=tuple(ys[i] for i in keep))
