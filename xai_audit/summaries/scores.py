"""Score summaries of one group: a fixed-bin histogram per outcome, the calibration bins and the
moments that the score metrics need, and those metrics computed back from them.

The histogram has ``SCORE_BINS`` equal-width bins on [0, 1] (bin ``floor(score * SCORE_BINS)``, a
score of 1 in the last bin), one for the negatives and one for the positives. ROC AUC from it counts
every pair of a negative and a positive in the same bin as a tie (one half), so its error against the
exact Mann-Whitney AUC is at most ``0.5 * sum_b negatives_b * positives_b / (negatives * positives)``:
:func:`auc_from_histogram` returns that bound with the value. The calibration bins (``ECE_BINS``),
score sums and the log and squared-error moments are exact sums, so ECE, mean score,
calibration-in-the-large, Brier score and log loss equal the row values up to float rounding.
"""

from __future__ import annotations

import numpy as np

from xai_audit.stats.calibration import ECE_BINS, ece_from_bins, score_bins

SCORE_BINS = 4096
# Per outcome (negatives, positives): rows, sum of scores, sum of squared scores, sum of log(score),
# sum of log(1 - score), the logs clipped as scikit-learn's log_loss clips (machine epsilon).
MOMENTS = ("count", "sum", "sum_squares", "sum_log", "sum_log_complement")


def score_summary(y_true: np.ndarray, scores: np.ndarray) -> dict:
    """The score summary of one group's rows (``y_true`` 0/1, ``scores`` in [0, 1]).

    Examples
    --------
    >>> s = score_summary(np.array([0, 1, 1]), np.array([0.2, 0.7, 0.9]))
    >>> s["histogram"].shape, int(s["histogram"].sum()), float(s["moments"][1, 0])
    ((2, 4096), 3, 2.0)
    """
    y_true = np.asarray(y_true).astype(np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    fine = np.minimum((scores * SCORE_BINS).astype(np.int64), SCORE_BINS - 1)
    histogram = np.bincount(y_true * SCORE_BINS + fine, minlength=2 * SCORE_BINS).reshape(2, SCORE_BINS)
    coarse = score_bins(scores)
    calibration = np.stack([
        np.bincount(coarse, minlength=ECE_BINS).astype(np.float64),
        np.bincount(coarse, weights=y_true.astype(np.float64), minlength=ECE_BINS),
        np.bincount(coarse, weights=scores, minlength=ECE_BINS),
    ])
    eps = np.finfo(np.float64).eps
    clipped = np.clip(scores, eps, 1 - eps)
    moments = np.zeros((2, len(MOMENTS)))
    for outcome in (0, 1):
        s, c = scores[y_true == outcome], clipped[y_true == outcome]
        moments[outcome] = [len(s), s.sum(), (s * s).sum(), np.log(c).sum(), np.log1p(-c).sum()]
    return {"histogram": histogram, "calibration": calibration, "moments": moments}


def empty_score_summary() -> dict:
    """The score summary of no rows (the identity of :func:`merge_scores`)."""
    return {"histogram": np.zeros((2, SCORE_BINS), dtype=np.int64),
            "calibration": np.zeros((3, ECE_BINS)), "moments": np.zeros((2, len(MOMENTS)))}


def merge_scores(first: dict, second: dict) -> dict:
    """The score summary of the union of two sets of rows: every part is a sum."""
    return {key: first[key] + second[key] for key in ("histogram", "calibration", "moments")}


def auc_from_histogram(histogram: np.ndarray) -> tuple[float | None, float | None]:
    """ROC AUC from a ``(2, bins)`` histogram (negatives, positives), with its error bound.

    Pairs in the same bin count one half; the exact AUC differs by at most the returned bound.
    ``(None, None)`` when one outcome is absent.

    Examples
    --------
    >>> h = np.zeros((2, 4096), dtype=int); h[0, 100] = 3; h[1, 3000] = 2; h[1, 100] = 1
    >>> auc, bound = auc_from_histogram(h)
    >>> round(auc, 4), round(bound, 4)
    (0.8333, 0.1667)
    """
    negative, positive = np.asarray(histogram[0], dtype=np.float64), np.asarray(histogram[1], dtype=np.float64)
    pairs = negative.sum() * positive.sum()
    if pairs == 0:
        return None, None
    below = np.concatenate([[0.0], np.cumsum(negative)[:-1]])
    concordant = float(np.dot(positive, below) + 0.5 * np.dot(positive, negative))
    return float(concordant / pairs), float(0.5 * np.dot(positive, negative) / pairs)


def score_metrics_from_summary(scores: dict) -> dict:
    """AUC (with ``auc_error_bound``), ECE, mean score, calibration-in-the-large, Brier score and log
    loss of one group from its score summary; None where undefined.

    Examples
    --------
    >>> m = score_metrics_from_summary(score_summary(np.array([0, 1]), np.array([0.25, 0.75])))
    >>> m["auc"], m["brier"], m["mean_score"]
    (1.0, 0.0625, 0.5)
    """
    auc, bound = auc_from_histogram(scores["histogram"])
    count, total, squares, logs, complements = scores["moments"].T
    n = count.sum()
    if n == 0:
        return {"auc": None, "auc_error_bound": None, "ece": None, "mean_score": None,
                "calibration_in_the_large": None, "brier": None, "log_loss": None}
    calibration = scores["calibration"]
    ece = float(ece_from_bins(calibration[0][None], calibration[1][None], calibration[2][None])[0])
    mean_score = float(total.sum() / n)
    # Brier: negatives contribute s², positives (1 - s)² = 1 - 2s + s².
    brier = float((squares.sum() + count[1] - 2 * total[1]) / n)
    return {"auc": auc, "auc_error_bound": bound, "ece": ece, "mean_score": mean_score,
            "calibration_in_the_large": mean_score - float(count[1] / n), "brier": brier,
            "log_loss": float(-(complements[0] + logs[1]) / n)}
