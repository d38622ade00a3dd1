"""Performance charts: the ROC curve with the decisions' operating point, and the confusion matrix."""

from __future__ import annotations

import numpy as np

from xai_audit.render.chart_style import BLUE, GREY, VERMILION, axes_at, text_inches, wrap_label
from xai_audit.render.text import is_number


def draw_roc(book, decisions, *, title, desc, reading):
    """ROC curve(s) from the record's ``performance.decisions``; the operating point marked when known.

    Binary: one curve and the point the model's decisions reach. Multiclass: one thin line per class
    (one-vs-rest), all in one colour, named once in the legend.
    """
    curves = [c for c in decisions.get("roc") or [] if isinstance(c.get("fpr"), list)]
    point = decisions.get("operating_point") or {}
    binary = len(curves) == 1 and "positive_label" in decisions

    def draw(fig):
        ax = axes_at(fig, left=0.75, bottom=0.62 + (0.5 if binary else 0.3), top=0.15, right=0.2)
        ax.plot([0, 1], [0, 1], color=GREY, linestyle=":", linewidth=1, label="chance (AUC 0.5)")
        for k, curve in enumerate(curves):
            name = (f"ROC curve (AUC {curve['auc']:.3f})" if binary else
                    f"one-vs-rest curve of each class ({len(curves)})" if k == 0 else None)
            ax.plot(curve["fpr"], curve["tpr"], color=BLUE, linewidth=1.6 if binary else 0.9, label=name)
        if binary and is_number(point.get("fpr")) and is_number(point.get("tpr")):
            cut = decisions.get("cut_off")
            ax.plot([point["fpr"]], [point["tpr"]], linestyle="none", marker="D", markersize=7, color=VERMILION,
                    markeredgecolor="#000000", label="the model's decisions" + (f" (cut-off {cut:g})" if cut else ""))
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.01)
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.legend(loc="lower left", bbox_to_anchor=(0.01, 0.01), bbox_transform=fig.transFigure)

    return book._make(draw, (4.0, 4.3 if binary else 4.1), title, desc, reading,
                      values=tuple(c.get("auc") for c in curves))


def draw_confusion(book, matrix, labels, *, title, desc, reading):
    """Counts with each true class's share in the cell; darker cells hold a larger share of their row."""
    counts = np.asarray(matrix, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    names = [wrap_label(str(n), 14) for n in labels]
    k = len(names)
    cell = 0.9 if k <= 4 else min(0.42, 3.0 / k)  # the figure stays narrow enough for its column
    left = text_inches(names) + 0.55
    side = cell * k

    def draw(fig):
        ax = axes_at(fig, left=left, bottom=0.55 + 0.16 * max(n.count("\n") + 1 for n in names), top=0.45,
                   right=0.9)
        shown = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        for i in range(k):
            for j in range(k):
                text = f"{int(counts[i, j])}" if k > 4 else f"{int(counts[i, j])}\n{shares[i, j]:.0%}"
                ax.text(j, i, text, ha="center", va="center", color="#ffffff" if shares[i, j] > 0.55 else "#1b1b1b")
        ax.set_xticks(range(k), names)
        ax.set_yticks(range(k), names)
        ax.xaxis.set_label_position("top")
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.grid(False)
        bar = fig.colorbar(shown, ax=ax, fraction=0.08, pad=0.03)
        bar.set_label("share of the true class")

    size = (left + side + 0.9, 0.55 + 0.45 + side + 0.16 * max(n.count("\n") + 1 for n in names))
    return book._make(draw, size, title, desc, reading, values=tuple(counts.ravel().tolist()))
