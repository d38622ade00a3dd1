"""Group metrics: confusion-matrix rates from cell counts, and the metrics that need rows.

Confusion metrics depend only on a group's four cell counts (TN, FP, FN, TP), so they are computed
from counts of shape ``(..., 4)`` — one group, every group, or every group in every bootstrap
resample at once. Metrics that need rows (ROC AUC, calibration error, mean score, regression
metrics) are computed from row *weights* of shape ``(resamples, rows)``: a weight is how often a
row was drawn, and all ones gives the point estimate, so one function serves both.

Definitions follow ``fairlearn.metrics`` (``selection_rate``, ``true_positive_rate``, ...), except
that a rate whose denominator is zero is undefined (NaN here, ``None`` in the report) where
scikit-learn's ``confusion_matrix(normalize="true")`` — and so fairlearn — reports 0.
"""

from __future__ import annotations

import numpy as np

TN, FP, FN, TP = range(4)

CONFUSION_METRICS = ("base_rate", "selection_rate", "tpr", "fpr", "fnr", "tnr", "ppv", "npv", "fdr", "for",
                     "accuracy")
SCORE_METRICS = ("auc", "ece", "mean_score")
REGRESSION_METRICS = ("mean_prediction", "mae", "rmse", "r2", "mean_residual")
ECE_BINS = 10


def confusion_counts(codes: np.ndarray, n_groups: int, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per-group cell counts, shape ``(n_groups, 4)`` in the order TN, FP, FN, TP.

    Examples
    --------
    >>> confusion_counts(np.array([0, 0, 1, 1]), 2, np.array([1, 0, 1, 1]), np.array([1, 1, 0, 1])).tolist()
    [[0, 1, 0, 1], [0, 0, 1, 1]]
    """
    cell = 2 * y_true.astype(np.int64) + y_pred
    return np.bincount(codes * 4 + cell, minlength=4 * n_groups).reshape(n_groups, 4)


def rates_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Every confusion metric from counts of shape ``(..., 4)``; NaN where a denominator is zero.

    Examples
    --------
    >>> rates = rates_from_counts(np.array([40, 10, 5, 45]))
    >>> float(rates["selection_rate"]), float(rates["tpr"]), float(rates["fpr"])
    (0.55, 0.9, 0.2)
    """
    counts = np.asarray(counts, dtype=np.float64)
    tn, fp, fn, tp = (counts[..., cell] for cell in (TN, FP, FN, TP))
    n = tn + fp + fn + tp
    return {
        "base_rate": _divide(tp + fn, n),
        "selection_rate": _divide(tp + fp, n),
        "tpr": _divide(tp, tp + fn),
        "fpr": _divide(fp, fp + tn),
        "fnr": _divide(fn, tp + fn),
        "tnr": _divide(tn, fp + tn),
        "ppv": _divide(tp, tp + fp),
        "npv": _divide(tn, tn + fn),
        "fdr": _divide(fp, tp + fp),
        "for": _divide(fn, tn + fn),
        "accuracy": _divide(tp + tn, n),
    }


def _divide(numerator, denominator):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def prepare_score_rows(y_true: np.ndarray, scores: np.ndarray) -> dict:
    """One group's rows for :func:`score_metrics`: negatives then positives, each sorted by score.

    For each positive, ``below`` and ``up_to`` count the negatives scored strictly lower and lower or
    equal, so AUC needs one cumulative sum of negative weights and no pairwise comparison.
    """
    negative = np.sort(scores[y_true == 0])
    positive = np.sort(scores[y_true == 1])
    below = np.searchsorted(negative, positive, side="left")
    up_to = np.searchsorted(negative, positive, side="right")
    return {
        "n_rows": len(scores),
        "n_negative": len(negative),
        "negative": _binned(negative),
        "positive": _binned(positive),
        "below": below,
        "up_to": None if np.array_equal(below, up_to) else up_to,
    }


def _binned(sorted_scores: np.ndarray) -> dict:
    """Sorted scores with the start and index of each non-empty calibration bin."""
    bins = np.minimum((sorted_scores * ECE_BINS).astype(int), ECE_BINS - 1)
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]]) if bins.size else np.zeros(0, dtype=np.int64)
    return {"score": sorted_scores, "bin_starts": starts, "bins": bins[starts]}


def score_metrics(weights: np.ndarray, rows: dict) -> dict[str, np.ndarray]:
    """ROC AUC, expected calibration error (10 equal-width bins) and mean score for each row of
    ``weights`` (shape ``(resamples, rows)``, in the order of :func:`prepare_score_rows`).

    AUC is the Mann-Whitney statistic, ties counting one half — what ``roc_auc_score`` computes.

    Examples
    --------
    >>> rows = prepare_score_rows(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> {k: round(float(v[0]), 4) for k, v in score_metrics(np.ones((1, 4)), rows).items()}
    {'auc': 0.75, 'ece': 0.3375, 'mean_score': 0.4125}
    """
    negative_weight = weights[:, :rows["n_negative"]]
    positive_weight = weights[:, rows["n_negative"]:]
    negatives_up_to = np.zeros((len(weights), rows["n_negative"] + 1))
    np.cumsum(negative_weight, axis=1, out=negatives_up_to[:, 1:])
    concordant = negatives_up_to[:, rows["below"]]
    if rows["up_to"] is not None:
        concordant = 0.5 * (concordant + negatives_up_to[:, rows["up_to"]])
    pairs = negatives_up_to[:, -1] * positive_weight.sum(axis=1)

    observed = np.zeros((len(weights), ECE_BINS))
    predicted = np.zeros((len(weights), ECE_BINS))
    for part, part_weight in (("negative", negative_weight), ("positive", positive_weight)):
        scores = rows[part]
        if scores["score"].size:
            bins, starts = scores["bins"], scores["bin_starts"]
            predicted[:, bins] += np.add.reduceat(part_weight * scores["score"], starts, axis=1)
            if part == "positive":
                observed[:, bins] += np.add.reduceat(part_weight, starts, axis=1)
    total = weights.sum(axis=1)
    return {
        "auc": _divide(np.einsum("ij,ij->i", positive_weight, concordant), pairs),
        "ece": _divide(np.abs(observed - predicted).sum(axis=1), total),
        "mean_score": _divide(predicted.sum(axis=1), total),
    }


def prepare_regression_rows(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """One group's per-row terms; every regression metric is a weighted sum of these columns.

    The target is centred on the group mean before squaring, so the R² denominator does not lose
    precision when the target sits far from zero.
    """
    residual = y_true - y_pred
    centred = y_true - y_true.mean() if y_true.size else y_true
    terms = np.column_stack([y_pred, np.abs(residual), residual**2, residual, centred, centred**2])
    return {"n_rows": len(y_true), "terms": terms}


def regression_metrics(weights: np.ndarray, rows: dict) -> dict[str, np.ndarray]:
    """Mean prediction, MAE, RMSE, R² and mean residual (y_true − y_pred) for each row of ``weights``.

    Examples
    --------
    >>> rows = prepare_regression_rows(np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 2.5]))
    >>> {k: round(float(v[0]), 4) for k, v in regression_metrics(np.ones((1, 3)), rows).items()}
    {'mean_prediction': 2.0, 'mae': 0.3333, 'rmse': 0.4082, 'r2': 0.75, 'mean_residual': 0.0}
    """
    weights = np.asarray(weights, dtype=np.float64)
    total = weights.sum(axis=1)
    sums = weights @ rows["terms"]
    prediction, absolute, squared, residual, centred, centred_squared = sums.T
    total_squares = centred_squared - _divide(centred**2, total)
    # Rounding leaves a tiny positive total for a constant target; treat it as the zero it is.
    constant = total_squares <= 1e-12 * np.maximum(centred_squared, np.finfo(float).tiny)
    return {
        "mean_prediction": _divide(prediction, total),
        "mae": _divide(absolute, total),
        "rmse": np.sqrt(_divide(squared, total)),
        "r2": np.where(constant, np.nan, 1 - _divide(squared, np.where(constant, 1.0, total_squares))),
        "mean_residual": _divide(residual, total),
    }
