"""Model performance, overall and per sensitive group, with calibration.

Every number comes from scikit-learn's own metric functions on the same predictions, so an auditor
can reproduce it; a metric that is undefined for a group (ROC AUC with one class present, say) is
``None`` rather than a guess.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "roc_auc", "log_loss", "brier", "ece")
REGRESSION_METRICS = ("mae", "rmse", "r2")
ECE_BINS = 10


BOOTSTRAP_ROW_BUDGET = 20_000_000  # rows × resamples; beyond it fewer resamples are drawn (stated)


def performance_report(y_true, y_pred, *, proba=None, classes=None, positive_index=None, task,
                       groups: pd.DataFrame | None = None, n_resamples: int = 200, confidence: float = 0.95,
                       random_state=None) -> dict:
    """Performance overall and per group of every sensitive attribute.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted labels (classification) or values (regression).
    proba : ndarray, optional
        (n, n_classes) class probabilities in the order of ``classes``.
    classes : sequence, optional
        Class labels for classification.
    positive_index : int, optional
        Column of the favourable class in ``proba`` (binary).
    task : {"binary", "multiclass", "regression"}
    groups : DataFrame, optional
        Group label per row for each sensitive attribute.
    n_resamples, confidence, random_state
        Percentile bootstrap intervals of the overall metrics (rows resampled with replacement).

    Returns
    -------
    dict
        ``{"overall": {metric: value}, "overall_ci": {metric: [lo, hi]}, "bootstrap": {...},
        "by_group": {attr: {group: {"n": ..., metric: value}}}, "calibration": {...}}``.

    Examples
    --------
    >>> report = performance_report([0, 1, 1, 0], [0, 1, 0, 0], task="binary", classes=[0, 1],
    ...                             proba=np.array([[.9, .1], [.2, .8], [.6, .4], [.7, .3]]),
    ...                             positive_index=1)
    >>> report["overall"]["accuracy"]
    0.75
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    compute = (_regression_metrics if task == "regression"
               else lambda t, p, pr: _classification_metrics(t, p, pr, classes, positive_index, task))
    report = {"overall": {"n": int(len(y_true)), **compute(y_true, y_pred, proba)}, "by_group": {}}
    if n_resamples:
        resampled = compute
        if task == "binary":
            resampled = lambda t, p, pr: fast_binary_metrics(t, p, pr, classes, positive_index)  # noqa: E731
        elif task == "regression":
            resampled = fast_regression_metrics
        report["overall_ci"], report["bootstrap"] = bootstrap_intervals(
            resampled, y_true, y_pred, proba, n_resamples=n_resamples, confidence=confidence,
            random_state=random_state)
    if task != "regression" and proba is not None:
        report["calibration"] = calibration_curve(y_true, proba, classes, positive_index, task)
    if groups is not None:
        for attribute in groups.columns:
            labels = groups[attribute].to_numpy()
            report["by_group"][attribute] = {
                str(group): {"n": int(mask.sum()),
                             **compute(y_true[mask], y_pred[mask], None if proba is None else proba[mask])}
                for group in sorted(pd.unique(labels), key=str)
                for mask in [labels == group]
            }
    return report


def _classification_metrics(y_true, y_pred, proba, classes, positive_index, task) -> dict:
    values = {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": _balanced_accuracy(y_true, y_pred),
        "roc_auc": None, "log_loss": None, "brier": None, "ece": None,
    }
    if proba is None:
        return values
    labels = list(classes)
    present = np.unique(y_true)
    if task == "binary":
        positive = proba[:, positive_index]
        is_positive = (y_true == labels[positive_index]).astype(int)
        if len(present) == 2:
            values["roc_auc"] = float(skm.roc_auc_score(is_positive, positive))
        values["brier"] = float(skm.brier_score_loss(is_positive, positive))
        values["ece"] = expected_calibration_error(is_positive, positive)
    else:
        if len(present) == len(labels):
            values["roc_auc"] = float(skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=labels))
        one_hot = (y_true[:, None] == np.asarray(labels, dtype=object)[None, :]).astype(float)
        values["brier"] = float(np.mean(np.sum((proba - one_hot) ** 2, axis=1)))
        correct = (np.asarray(labels, dtype=object)[proba.argmax(axis=1)] == y_true).astype(int)
        values["ece"] = expected_calibration_error(correct, proba.max(axis=1))
    values["log_loss"] = float(skm.log_loss(y_true, proba, labels=labels))
    return values


def _balanced_accuracy(y_true, y_pred) -> float:
    # sklearn warns when y_pred holds a class absent from y_true (common in small groups); the value
    # it returns is still the mean recall over the classes present in y_true, which is what we report.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(skm.balanced_accuracy_score(y_true, y_pred))


def _regression_metrics(y_true, y_pred, _proba) -> dict:
    y_true = y_true.astype(float)
    y_pred = y_pred.astype(float)
    return {
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(skm.mean_squared_error(y_true, y_pred))),
        "r2": float(skm.r2_score(y_true, y_pred)) if len(y_true) > 1 and np.ptp(y_true) > 0 else None,
    }


def expected_calibration_error(outcome, confidence, *, n_bins: int = ECE_BINS) -> float:
    """Expected calibration error over equal-width bins of the predicted probability.

    ECE = sum over bins of (rows in bin / rows) × |observed rate − mean predicted probability|.

    Examples
    --------
    >>> expected_calibration_error(np.array([0, 1]), np.array([0.0, 1.0]))
    0.0
    """
    outcome = np.asarray(outcome, dtype=float)
    confidence = np.asarray(confidence, dtype=float)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    observed = np.bincount(bins, weights=outcome, minlength=n_bins)
    predicted = np.bincount(bins, weights=confidence, minlength=n_bins)
    used = counts > 0
    gap = np.abs(observed[used] - predicted[used]) / counts[used]
    return float(np.sum(gap * counts[used]) / len(outcome))


def calibration_curve(y_true, proba, classes, positive_index, task, *, n_bins: int = ECE_BINS) -> dict:
    """Reliability diagram data: per probability bin, the rows, mean predicted and observed rate."""
    labels = list(classes)
    if task == "binary":
        confidence = proba[:, positive_index]
        outcome = (y_true == labels[positive_index]).astype(float)
        what = f"probability of '{labels[positive_index]}'"
    else:
        confidence = proba.max(axis=1)
        outcome = (np.asarray(labels, dtype=object)[proba.argmax(axis=1)] == y_true).astype(float)
        what = "probability of the predicted class"
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            rows.append({"bin": [b / n_bins, (b + 1) / n_bins], "n": int(mask.sum()),
                         "mean_predicted": float(confidence[mask].mean()),
                         "observed_rate": float(outcome[mask].mean())})
    return {"what": what, "bins": rows}


def bootstrap_intervals(compute, y_true, y_pred, proba, *, n_resamples, confidence, random_state):
    """Percentile intervals of every metric ``compute`` returns, over rows resampled with replacement.

    Large data gets fewer resamples (at most ``BOOTSTRAP_ROW_BUDGET`` rows in all, and never fewer
    than 20); the number used is returned with the intervals so the report can state it.
    """
    import warnings

    n = len(y_true)
    used = int(max(20, min(n_resamples, BOOTSTRAP_ROW_BUDGET // max(n, 1))))
    rng = np.random.default_rng(random_state)
    draws: dict[str, list] = {}
    for _ in range(used):
        rows = rng.integers(0, n, n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = compute(y_true[rows], y_pred[rows], None if proba is None else proba[rows])
        for metric, value in values.items():
            draws.setdefault(metric, []).append(np.nan if value is None else value)
    tail = (1 - confidence) / 2 * 100
    intervals = {}
    for metric, values in draws.items():
        values = np.asarray(values, dtype=float)
        values = values[~np.isnan(values)]
        intervals[metric] = None if len(values) < used // 2 else [
            float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))]
    return intervals, {"n_resamples": used, "confidence": confidence, "method": "percentile, rows resampled"}


def fast_binary_metrics(y_true, y_pred, proba, classes, positive_index) -> dict:
    """The binary metrics of :func:`performance_report` in plain numpy, for bootstrap resamples.

    Same definitions as scikit-learn's (tests check equality on real data) without its input
    validation, which costs more than the arithmetic on a resample.
    """
    is_positive = y_true == classes[positive_index]
    correct = y_true == y_pred
    recalls = [correct[mask].mean() for mask in (is_positive, ~is_positive) if mask.any()]
    values = {"accuracy": float(correct.mean()), "balanced_accuracy": float(np.mean(recalls)),
              "roc_auc": None, "log_loss": None, "brier": None, "ece": None}
    if proba is None:
        return values
    positive = proba[:, positive_index]
    n_pos, n_neg = int(is_positive.sum()), int((~is_positive).sum())
    if n_pos and n_neg:
        from scipy.stats import rankdata

        ranks = rankdata(positive)
        values["roc_auc"] = float((ranks[is_positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    eps = np.finfo(proba.dtype).eps
    normalised = proba / proba.sum(axis=1, keepdims=True)
    chosen = np.clip(np.where(is_positive, normalised[:, positive_index], 1 - normalised[:, positive_index]), eps, 1)
    values["log_loss"] = float(-np.mean(np.log(chosen)))
    values["brier"] = float(np.mean((positive - is_positive) ** 2))
    values["ece"] = expected_calibration_error(is_positive.astype(int), positive)
    return values


def fast_regression_metrics(y_true, y_pred, _proba) -> dict:
    """MAE, RMSE and R² in plain numpy, for bootstrap resamples."""
    y_true = y_true.astype(float)
    residual = y_true - y_pred.astype(float)
    total = np.sum((y_true - y_true.mean()) ** 2)
    return {"mae": float(np.mean(np.abs(residual))), "rmse": float(np.sqrt(np.mean(residual ** 2))),
            "r2": float(1 - np.sum(residual ** 2) / total) if total > 0 else None}
