"""The fairness tables at a decision threshold other than the model's own.

An analyst exploring a cut-off needs every number of the fairness tables (group rates with their
intervals, differences, ratios, the four-fifths rule, Local Law 144) recomputed as if the favourable
decision were ``score >= threshold``; this module turns scores into those decisions and hands them to
:func:`xai_audit.fairness.fairness_report`, so the tables have exactly the audit's shape.
"""

from __future__ import annotations

import numpy as np

from xai_audit.exceptions import InvalidInputError
from xai_audit.fairness.report import fairness_report


def decisions_at(scores, threshold: float) -> np.ndarray:
    """The favourable decision (1) where ``score >= threshold``, else 0.

    Examples
    --------
    >>> decisions_at([0.2, 0.5, 0.9], 0.5).tolist()
    [0, 1, 1]
    """
    scores = np.asarray(scores, dtype=float)
    if not 0.0 <= float(threshold) <= 1.0:
        raise InvalidInputError(f"The decision threshold must be between 0 and 1; got {threshold}.")
    if np.isnan(scores).any():
        raise InvalidInputError(
            f"{int(np.isnan(scores).sum())} scores are missing; a threshold needs a score for every row.")
    return (scores >= float(threshold)).astype(int)


def fairness_at_threshold(y_true, scores, groups, threshold: float, **options) -> dict:
    """The fairness report when the favourable decision is ``score >= threshold``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 outcomes, 1 the favourable one.
    scores : array-like of shape (n,)
        Probability of the favourable outcome, per row.
    groups : DataFrame
        One column per sensitive attribute.
    threshold : float
        The cut-off in [0, 1].
    **options
        Passed to :func:`~xai_audit.fairness.fairness_report` (``reference_groups``,
        ``intersections``, ``n_resamples``, ``confidence``, ``min_group_size``, ``random_state``):
        give the audit's own to get tables comparable with the audit's.

    Returns
    -------
    dict
        ``{attribute: table}`` as in ``AuditResult.fairness``, for the decisions at ``threshold``.

    Examples
    --------
    >>> import pandas as pd
    >>> groups = pd.DataFrame({"sex": ["f", "f", "m", "m"]})
    >>> report = fairness_at_threshold([1, 0, 1, 0], [0.9, 0.6, 0.7, 0.2], groups, 0.65, n_resamples=0,
    ...                                min_group_size=1)
    >>> report["sex"]["groups"]["f"]["selection_rate"], report["sex"]["groups"]["m"]["selection_rate"]
    (0.5, 0.5)
    """
    decided = decisions_at(scores, threshold)
    return fairness_report(y_true, decided, groups, scores=np.asarray(scores, dtype=float), task="binary", **options)


def performance_at_threshold(y_true, scores, threshold: float, **options) -> dict:
    """Overall decision metrics with intervals, and the confusion matrix, at ``threshold``.

    The metrics and their bootstrap intervals come from the same tables as the fairness report
    (every row in one group), so they agree with the Fairness page at the same cut-off.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 outcomes, 1 the favourable one.
    scores : array-like of shape (n,)
        Probability of the favourable outcome.
    threshold : float
        The cut-off in [0, 1].
    **options
        ``n_resamples``, ``confidence``, ``random_state`` as for :func:`fairness_report`.

    Returns
    -------
    dict
        ``{"threshold", "confusion": {"tn", "fp", "fn", "tp"}, "metrics": {name: value},
        "ci": {name: [low, high]}}`` with the group metric names (``selection_rate``, ``tpr``,
        ``fpr``, ``ppv``, ``accuracy``, ...).

    Examples
    --------
    >>> out = performance_at_threshold([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.2], 0.5, n_resamples=0)
    >>> out["confusion"], out["metrics"]["accuracy"]
    ({'tn': 1, 'fp': 1, 'fn': 1, 'tp': 1}, 0.5)
    """
    import pandas as pd

    y_true = np.asarray(y_true).astype(int)
    decided = decisions_at(scores, threshold)
    everyone = pd.DataFrame({"all": np.full(len(y_true), "all rows")})
    table = fairness_report(y_true, decided, everyone, scores=np.asarray(scores, dtype=float), task="binary",
                            intersections=False, min_group_size=1, **options)["all"]["groups"]["all rows"]
    confusion = {"tn": int(((decided == 0) & (y_true == 0)).sum()), "fp": int(((decided == 1) & (y_true == 0)).sum()),
                 "fn": int(((decided == 0) & (y_true == 1)).sum()), "tp": int(((decided == 1) & (y_true == 1)).sum())}
    metrics = {k: v for k, v in table.items() if k not in ("n", "ci", "small_group", "share")
               and (v is None or isinstance(v, (int, float)))}
    return {"threshold": float(threshold), "confusion": confusion, "metrics": metrics, "ci": dict(table.get("ci") or {})}


def threshold_curves(y_true, scores) -> dict:
    """The ROC and precision-recall curves of ``scores`` against ``y_true`` (1 favourable).

    Returns
    -------
    dict
        ``{"roc": {"fpr", "tpr", "threshold"}, "pr": {"recall", "precision", "threshold"}}``, lists
        of floats; the thresholds of each curve point (``inf`` is dropped from ROC's first point).

    Examples
    --------
    >>> curves = threshold_curves([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> curves["roc"]["tpr"][-1], curves["pr"]["recall"][0]
    (1.0, 1.0)
    """
    from sklearn.metrics import precision_recall_curve, roc_curve

    y_true = np.asarray(y_true).astype(int)
    scores = np.asarray(scores, dtype=float)
    if len(np.unique(y_true)) < 2:
        raise InvalidInputError("ROC and precision-recall curves need both outcomes among the rows; only one is present.")
    fpr, tpr, roc_thresholds = roc_curve(y_true, scores)
    precision, recall, pr_thresholds = precision_recall_curve(y_true, scores)
    roc_thresholds = np.minimum(roc_thresholds, 1.0)
    return {"roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "threshold": roc_thresholds.tolist()},
            "pr": {"recall": recall[:-1].tolist(), "precision": precision[:-1].tolist(),
                   "threshold": pr_thresholds.tolist()}}
