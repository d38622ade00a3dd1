"""The performance section from a merged summary.

Accuracy and balanced accuracy are functions of the confusion cell counts and equal the row path's;
their intervals resample the overall cells as one multinomial draw per resample (the distribution of
the row path's row bootstrap for these metrics, not its draws: the interval ends differ by Monte Carlo
error). ROC AUC comes from the score histograms within ``roc_auc_error_bound``; Brier score, log loss
and ECE from exact sums, without intervals. Regression: MAE, RMSE and R² from sums of residuals.
"""

from __future__ import annotations

import numpy as np

from xai_audit.summaries.core import GroupSummary, Summary
from xai_audit.summaries.fairness import computed_from
from xai_audit.summaries.scores import score_metrics_from_summary
from xai_audit.stats.bootstrap import resample_counts
from xai_audit.stats.intervals import BIAS_CORRECTED, bias_corrected_interval

CONFUSION_BASED = ("accuracy", "balanced_accuracy")


def performance_from_summary(summary: Summary, *, n_resamples: int = 200, confidence: float = 0.95,
                             random_state=None) -> dict:
    """``{"overall", "overall_ci", "bootstrap", "interval_method", "by_group", "computed_from"}`` as
    :func:`xai_audit.performance.performance_report` returns them, from ``summary``.

    Examples
    --------
    >>> import pandas as pd
    >>> from xai_audit.summaries.core import summarize
    >>> s = summarize([1, 0, 1, 1], [1, 1, 0, 1], pd.DataFrame({"g": ["a", "a", "b", "b"]}))
    >>> report = performance_from_summary(s, n_resamples=50, random_state=0)
    >>> report["overall"]["accuracy"], report["by_group"]["g"]["b"]["accuracy"]
    (0.5, 0.5)
    """
    overall = {"n": summary.n_rows, **group_metrics(summary.overall, summary.task)}
    report = {"overall": overall, "by_group": {}, "computed_from": computed_from(summary)}
    for name in summary.sensitive:
        groups = summary.tables[name]
        report["by_group"][name] = {label: {"n": groups[label].n, **group_metrics(groups[label], summary.task)}
                                    for label in summary.ordered_labels(name) if groups[label].withheld == 0}
    if summary.task == "binary" and n_resamples:
        report["overall_ci"], report["bootstrap"] = _cell_intervals(summary.overall.cells, overall, n_resamples,
                                                                    confidence, random_state)
        report["interval_method"] = report["bootstrap"]
    return report


def group_metrics(group: GroupSummary, task: str) -> dict:
    """The performance metrics of one group from its counts and sums; None where undefined."""
    if task == "regression":
        return _regression(group.moments)
    values = {"accuracy": None, "balanced_accuracy": None, "roc_auc": None, "log_loss": None, "brier": None,
              "ece": None}
    if group.cells is not None:
        values.update(_confusion(np.asarray(group.cells, dtype=np.float64)[None])[0])
    if group.scores is not None:
        scores = score_metrics_from_summary(group.scores)
        values.update(roc_auc=scores["auc"], roc_auc_error_bound=scores["auc_error_bound"], log_loss=scores["log_loss"],
                      brier=scores["brier"], ece=scores["ece"])
    return values


def _confusion(cells: np.ndarray) -> list[dict]:
    """Accuracy and balanced accuracy (mean recall over the classes present) per row of ``cells``."""
    tn, fp, fn, tp = cells.T
    n = cells.sum(axis=1)
    out = []
    for i in range(len(cells)):
        recalls = [float(k / m) for k, m in ((tn[i], tn[i] + fp[i]), (tp[i], tp[i] + fn[i])) if m > 0]
        out.append({"accuracy": float((tp[i] + tn[i]) / n[i]) if n[i] else None,
                    "balanced_accuracy": float(np.mean(recalls)) if recalls else None})
    return out


def _regression(moments) -> dict:
    if moments is None or moments[0] == 0:
        return {"mae": None, "rmse": None, "r2": None}
    n, sum_true, sum_true_squares, _, sum_abs, _, sum_squared = moments
    total = sum_true_squares - sum_true * sum_true / n
    constant = n < 2 or total <= 1e-12 * max(sum_true_squares, np.finfo(float).tiny)
    return {"mae": float(sum_abs / n), "rmse": float(np.sqrt(sum_squared / n)),
            "r2": None if constant else float(1 - sum_squared / total)}


def _cell_intervals(cells, point: dict, n_resamples: int, confidence: float, random_state):
    draws = resample_counts(np.asarray(cells)[None], int(n_resamples), np.random.default_rng(random_state))[:, 0]
    values = _confusion(draws.astype(np.float64))
    intervals = {}
    for metric in point:
        if metric in ("n", "roc_auc_error_bound"):
            continue
        estimate = point[metric]
        if metric not in CONFUSION_BASED or estimate is None:
            intervals[metric] = None
            continue
        samples = np.array([np.nan if v[metric] is None else v[metric] for v in values])[:, None]
        low, high = bias_corrected_interval(samples, np.array([estimate]), confidence)
        intervals[metric] = None if np.isnan(low[0]) else [float(low[0]), float(high[0])]
    method = {"n_resamples": int(n_resamples), "n_resamples_requested": int(n_resamples), "confidence": confidence,
              "level": confidence, "resample_cap": None,
              "method": (f"{BIAS_CORRECTED}, the overall confusion cells resampled as a multinomial draw "
                         "(accuracy, balanced accuracy); score metrics from summaries have no interval")}
    return intervals, method
