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

from xai_audit.stats.bootstrap import weighted_sums
from xai_audit.stats.calibration import ECE_BINS, ece_from_bins, score_bins

TN, FP, FN, TP = range(4)

CONFUSION_METRICS = ("base_rate", "selection_rate", "tpr", "fpr", "fnr", "tnr", "ppv", "npv", "fdr", "for",
                     "accuracy")
SCORE_METRICS = ("auc", "ece", "mean_score", "calibration_in_the_large")
REGRESSION_METRICS = ("mean_prediction", "mae", "rmse", "r2", "mean_residual")
# Each confusion metric is a proportion: (numerator cells, denominator cells).
PROPORTIONS = {
    "base_rate": ((TP, FN), (TN, FP, FN, TP)),
    "selection_rate": ((TP, FP), (TN, FP, FN, TP)),
    "tpr": ((TP,), (TP, FN)),
    "fpr": ((FP,), (FP, TN)),
    "fnr": ((FN,), (TP, FN)),
    "tnr": ((TN,), (FP, TN)),
    "ppv": ((TP,), (TP, FP)),
    "npv": ((TN,), (TN, FN)),
    "fdr": ((FP,), (TP, FP)),
    "for": ((FN,), (TN, FN)),
    "accuracy": ((TP, TN), (TN, FP, FN, TP)),
}


def confusion_counts(codes: np.ndarray, n_groups: int, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per-group cell counts, shape ``(n_groups, 4)`` in the order TN, FP, FN, TP.

    Examples
    --------
    >>> confusion_counts(np.array([0, 0, 1, 1]), 2, np.array([1, 0, 1, 1]), np.array([1, 1, 0, 1])).tolist()
    [[0, 1, 0, 1], [0, 0, 1, 1]]
    """
    cell = 2 * y_true.astype(np.int64) + y_pred
    return np.bincount(codes * 4 + cell, minlength=4 * n_groups).reshape(n_groups, 4)


def proportion_parts(counts: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{metric: (numerator, denominator)}`` counts of every confusion metric, from counts ``(..., 4)``.

    Examples
    --------
    >>> k, n = proportion_parts(np.array([40, 10, 5, 45]))["tpr"]
    >>> int(k), int(n)
    (45, 50)
    """
    counts = np.asarray(counts)
    return {metric: (counts[..., list(top)].sum(axis=-1), counts[..., list(bottom)].sum(axis=-1))
            for metric, (top, bottom) in PROPORTIONS.items()}


def rates_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Every confusion metric from counts of shape ``(..., 4)``; NaN where a denominator is zero.

    Examples
    --------
    >>> rates = rates_from_counts(np.array([40, 10, 5, 45]))
    >>> float(rates["selection_rate"]), float(rates["tpr"]), float(rates["fpr"])
    (0.55, 0.9, 0.2)
    """
    counts = np.asarray(counts, dtype=np.float64)
    return {metric: _divide(k, n) for metric, (k, n) in proportion_parts(counts).items()}


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
    ordered = np.concatenate([negative, positive])
    one_hot = np.zeros((len(ordered), ECE_BINS))
    one_hot[np.arange(len(ordered)), score_bins(ordered)] = 1.0
    return {
        "n_rows": len(scores),
        "n_negative": len(negative),
        "bin_one_hot": one_hot,
        "scores": ordered,
        "negative": _binned(negative),
        "positive": _binned(positive),
        "below": below,
        "up_to": None if np.array_equal(below, up_to) else up_to,
    }


def _binned(sorted_scores: np.ndarray) -> dict:
    """Sorted scores (kept for callers that read them)."""
    return {"score": sorted_scores}


def score_metrics(weights: np.ndarray, rows: dict) -> dict[str, np.ndarray]:
    """ROC AUC, debiased expected calibration error (:mod:`xai_audit.stats.calibration`), mean score
    and calibration-in-the-large (mean score − observed rate; positive: over-predicts) for each row of
    ``weights`` (shape ``(resamples, rows)``, in the order of :func:`prepare_score_rows`).

    AUC is the Mann-Whitney statistic, ties counting one half — what ``roc_auc_score`` computes.

    Examples
    --------
    >>> rows = prepare_score_rows(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> {k: round(float(v[0]), 4) for k, v in score_metrics(np.ones((1, 4)), rows).items()}
    {'auc': 0.75, 'ece': 0.3375, 'mean_score': 0.4125, 'calibration_in_the_large': -0.0875}
    """
    weights = np.asarray(weights, dtype=np.float64)
    negative_weight = weights[:, :rows["n_negative"]]
    positive_weight = weights[:, rows["n_negative"]:]
    negatives_up_to = np.zeros((len(weights), rows["n_negative"] + 1))
    np.cumsum(negative_weight, axis=1, out=negatives_up_to[:, 1:])
    concordant = negatives_up_to[:, rows["below"]]
    if rows["up_to"] is not None:
        concordant = 0.5 * (concordant + negatives_up_to[:, rows["up_to"]])
    pairs = negatives_up_to[:, -1] * positive_weight.sum(axis=1)

    counts = weighted_sums(weights, rows["bin_one_hot"])
    observed = weighted_sums(positive_weight, rows["bin_one_hot"][rows["n_negative"]:])
    predicted = weighted_sums(weights * rows["scores"], rows["bin_one_hot"])
    total = weights.sum(axis=1)
    mean_score = _divide(predicted.sum(axis=1), total)
    return {
        "auc": _divide(np.einsum("ij,ij->i", positive_weight, concordant), pairs),
        "ece": ece_from_bins(counts, observed, predicted),
        "mean_score": mean_score,
        "calibration_in_the_large": mean_score - _divide(positive_weight.sum(axis=1), total),
    }


def prepare_regression_rows(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """One group's per-row terms; every regression metric is a weighted sum of these columns.

    The target is centred on the group mean before squaring, so the R² denominator does not lose
    precision when the target sits far from zero.
    """
    residual = y_pred - y_true  # ŷ − y: positive means the model over-predicts
    centred = y_true - y_true.mean() if y_true.size else y_true
    terms = np.column_stack([y_pred, np.abs(residual), residual**2, residual, centred, centred**2])
    return {"n_rows": len(y_true), "terms": terms}


def regression_metrics(weights: np.ndarray, rows: dict) -> dict[str, np.ndarray]:
    """Mean prediction, MAE, RMSE, R² and mean residual for each row of ``weights``.

    The residual is ŷ − y (prediction minus truth): a positive mean residual means the model
    over-predicts the group, a negative one that it under-predicts.

    Examples
    --------
    >>> rows = prepare_regression_rows(np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.5, 3.5]))
    >>> {k: round(float(v[0]), 4) for k, v in regression_metrics(np.ones((1, 3)), rows).items()}
    {'mean_prediction': 2.5, 'mae': 0.5, 'rmse': 0.5, 'r2': 0.625, 'mean_residual': 0.5}
    """
    weights = np.asarray(weights, dtype=np.float64)
    total = weights.sum(axis=1)
    sums = weighted_sums(weights, rows["terms"])
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
