"""Model performance, overall and per sensitive group, with calibration.

Every number comes from scikit-learn's own metric functions on the same predictions, so an auditor
can reproduce it; a metric that is undefined for a group (ROC AUC with one class present, say) is
``None`` rather than a guess.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from xai_audit.adapters.threads import one_thread
from xai_audit.parallel import map_in_threads
from xai_audit.stats.bootstrap import cap_note, resample_weights, row_resamples
from xai_audit.stats.calibration import (
    ECE_BINS,
    ECE_INTERVAL_NOTE,
    ECE_METHOD,
    NO_INTERVAL_METRICS,
    ece,
    ece_from_bins,
    score_bins,
)
from xai_audit.stats.intervals import BIAS_CORRECTED, bias_corrected_interval

CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "roc_auc", "log_loss", "brier", "ece")
REGRESSION_METRICS = ("mae", "rmse", "r2")


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
        Bias-corrected percentile bootstrap intervals of the overall metrics at level ``confidence``
        (rows resampled with replacement; fewer resamples on large data, stated in the record).

    Returns
    -------
    dict
        ``{"overall": {metric: value}, "overall_ci": {metric: [lo, hi]}, "bootstrap": {...},
        "interval_method": {...},
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
    labels_true, labels, labels_pred = y_true, classes, y_pred
    if task != "regression":  # once here, not once per group and metric
        y_true, y_pred, classes = encode_labels(y_true, y_pred, classes)
    compute = (_regression_metrics if task == "regression"
               else lambda t, p, pr: _classification_metrics(t, p, pr, classes, positive_index, task))
    report = {"overall": {"n": int(len(y_true)), **compute(y_true, y_pred, proba)}, "by_group": {}}
    if n_resamples:
        if task == "binary":
            metrics_of_weights = WeightedBinaryMetrics(y_true, y_pred, proba, classes, positive_index)
        elif task == "regression":
            metrics_of_weights = WeightedRegressionMetrics(y_true, y_pred)
        else:
            metrics_of_weights = rows_of_weights(compute, y_true, y_pred, proba)
        report["overall_ci"], report["bootstrap"] = bootstrap_intervals(
            metrics_of_weights, len(y_true), n_resamples=n_resamples, confidence=confidence,
            random_state=random_state, point=report["overall"])
        report["interval_method"] = report["bootstrap"]
    if task != "regression" and proba is not None:
        report["calibration"] = calibration_curve(labels_true, proba, labels, positive_index, task)
    if task != "regression" and labels is not None:
        report["decisions"] = decision_curves(labels_true, labels_pred, proba, labels, positive_index, task)
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


def encode_labels(y_true, y_pred, classes):
    """Labels as their positions in ``classes`` (0..k-1), when every label is one of them.

    scikit-learn's metrics give the same numbers on the codes as on the labels, and on object
    arrays of strings they spend most of their time sorting the strings. Otherwise unchanged.

    Examples
    --------
    >>> encode_labels(np.array(["b", "a"], dtype=object), np.array(["a", "a"], dtype=object), ["a", "b"])
    (array([1, 0]), array([0, 0]), [0, 1])
    """
    index = pd.Index(list(classes))
    if not index.is_unique:
        return y_true, y_pred, classes
    true_codes, pred_codes = index.get_indexer(y_true), index.get_indexer(y_pred)
    if (true_codes < 0).any() or (pred_codes < 0).any():
        return y_true, y_pred, classes
    return true_codes, pred_codes, list(range(len(index)))


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
        values["ece"] = ece(is_positive, positive)
    else:
        if len(present) == len(labels):
            values["roc_auc"] = float(skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=labels))
        one_hot = (y_true[:, None] == np.asarray(labels, dtype=object)[None, :]).astype(float)
        values["brier"] = float(np.mean(np.sum((proba - one_hot) ** 2, axis=1)))
        correct = (np.asarray(labels, dtype=object)[proba.argmax(axis=1)] == y_true).astype(int)
        values["ece"] = ece(correct, proba.max(axis=1))
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


ROC_POINTS = 200  # points kept of each ROC curve in the record


def decision_curves(y_true, y_pred, proba, classes, positive_index, task, *, max_points: int = ROC_POINTS) -> dict:
    """Confusion counts at the model's decisions and ROC curve points, for the report's charts.

    The confusion matrix counts the model's own decisions (``y_pred``), so it is the matrix at the
    decision cut-off the model applies; ``cut_off`` is 0.5 on the favourable class's probability
    when every decision follows it, else None (the cut-off is not known from the record).
    Binary: one ROC curve of the favourable class's probability, with the decisions' operating
    point (its false and true positive rates). Multiclass: one-vs-rest curves, one per class present
    in both kinds. Each curve keeps at most ``max_points`` points (evenly spaced along the curve,
    both ends kept).

    Returns
    -------
    dict
        ``{"labels": [class, ...], "confusion": [[count, ...], ...] (rows: true class, columns:
        predicted), "roc": [{"class", "fpr", "tpr", "threshold", "auc", "n_points", "n_points_full"}],
        "operating_point": {"fpr", "tpr"} (binary), "cut_off": 0.5 or None, "positive_label"}``

    Examples
    --------
    >>> out = decision_curves(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]),
    ...                       np.array([[.9, .1], [.2, .8], [.6, .4], [.7, .3]]), [0, 1], 1, "binary")
    >>> out["confusion"], out["operating_point"], out["roc"][0]["auc"]
    ([[2, 0], [1, 1]], {'fpr': 0.0, 'tpr': 0.5}, 1.0)
    """
    labels = list(classes)
    truth = pd.Index(labels).get_indexer(np.asarray(y_true, dtype=object) if len(labels) and isinstance(
        labels[0], str) else np.asarray(y_true))
    decided = pd.Index(labels).get_indexer(np.asarray(y_pred, dtype=object) if len(labels) and isinstance(
        labels[0], str) else np.asarray(y_pred))
    known = (truth >= 0) & (decided >= 0)
    k = len(labels)
    confusion = np.bincount(truth[known] * k + decided[known], minlength=k * k).reshape(k, k)
    out = {"labels": [_plain_label(c) for c in labels], "confusion": confusion.tolist(), "roc": [],
           "cut_off": None, "rows_counted": int(known.sum())}
    if task == "binary" and positive_index is not None:
        out["positive_label"] = _plain_label(labels[positive_index])
        positives, decided_positive = truth == positive_index, decided == positive_index
        n_pos, n_neg = int((positives & known).sum()), int((~positives & known).sum())
        out["operating_point"] = {
            "fpr": float((decided_positive & ~positives & known).sum() / n_neg) if n_neg else None,
            "tpr": float((decided_positive & positives & known).sum() / n_pos) if n_pos else None}
    if proba is None:
        return out
    proba = np.asarray(proba, dtype=float)
    if task == "binary" and positive_index is not None:
        score = proba[:, positive_index]
        approved = decided == positive_index
        if np.array_equal(approved[known], (score >= 0.5)[known]) or np.array_equal(approved[known], (score > 0.5)[known]):
            out["cut_off"] = 0.5
        wanted = [positive_index]
    else:
        wanted = list(range(k))
    for j in wanted:
        is_class = (truth[known] == j).astype(int)
        if is_class.min(initial=1) == is_class.max(initial=0):
            continue  # one kind only: no curve
        fpr, tpr, threshold = skm.roc_curve(is_class, proba[known, j])
        keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), max_points)).round().astype(int))
        out["roc"].append({"class": _plain_label(labels[j]), "fpr": fpr[keep].tolist(), "tpr": tpr[keep].tolist(),
                           "threshold": [float(t) if np.isfinite(t) else None for t in threshold[keep]],
                           "auc": float(skm.auc(fpr, tpr)), "n_points": int(len(keep)),
                           "n_points_full": int(len(fpr))})
    return out


def _plain_label(value):
    return value.item() if isinstance(value, np.generic) else value


def bootstrap_draws(metrics_of_weights, n: int, *, n_resamples, random_state) -> tuple[dict, int]:
    """Resampled values of every metric, ``({metric: [value per resample]}, resamples used)``.

    Rows are resampled with replacement as row weights by :func:`xai_audit.stats.bootstrap.resample_weights`;
    large data gets fewer resamples (:func:`xai_audit.stats.bootstrap.row_resamples`). A
    ``metrics_of_weights`` with an ``of_chunk`` method is given each chunk of resamples at once
    (``(chunk, rows)`` weights, a few matrix products); any other is called once per resample.
    """
    import warnings

    used = row_resamples(int(n_resamples), n)
    rng = np.random.default_rng(random_state)
    draws: dict[str, list] = {}
    # The products are small (a chunk of resamples by a few columns): a second BLAS thread only waits
    # for the first, and on a busy machine the waiting costs more than the work.
    # Chunks are drawn in order from one stream here and measured on every core (numpy releases the
    # GIL), so the draws are the same on any number of threads.
    with one_thread("blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chunks = resample_weights(n, used, rng)
        for values in map_in_threads(lambda chunk: _chunk_metrics(metrics_of_weights, chunk), chunks):
            for metric, column in values.items():
                draws.setdefault(metric, []).extend(column)
    return draws, used


def _chunk_metrics(metrics_of_weights, chunk) -> dict:
    """``{metric: [value per resample]}`` for a chunk of resamples (``(resamples, rows)`` counts), NaN
    where undefined."""
    if hasattr(metrics_of_weights, "of_chunk"):
        return {metric: values.tolist() for metric, values in metrics_of_weights.of_chunk(chunk.astype(float)).items()}
    columns: dict[str, list] = {}
    for weights in chunk.astype(float):
        for metric, value in metrics_of_weights(weights).items():
            columns.setdefault(metric, []).append(np.nan if value is None else value)
    return columns


def bootstrap_intervals(metrics_of_weights, n: int, *, n_resamples, confidence, random_state, point=None):
    """Bias-corrected percentile intervals of every metric, over rows resampled with replacement.

    A resample is given to ``metrics_of_weights`` as row weights (how often each row was drawn,
    :func:`xai_audit.stats.bootstrap.resample_weights`), so the metrics are weighted sums over the
    original rows. Large data gets fewer resamples (:func:`xai_audit.stats.bootstrap.row_resamples`);
    the number used, the level and the method are returned with the intervals, and a cap is stated
    in ``resample_cap``. An interval is None where fewer than half of the resamples define the metric
    or the estimate lies outside the central ``confidence`` share of its bootstrap distribution.
    """
    draws, used = bootstrap_draws(metrics_of_weights, n, n_resamples=n_resamples, random_state=random_state)
    point = point or metrics_of_weights(np.ones(n))
    intervals = {}
    for metric, values in draws.items():
        estimate = point.get(metric)
        if estimate is None or metric in NO_INTERVAL_METRICS:
            intervals[metric] = None
            continue
        low, high = bias_corrected_interval(np.asarray(values, dtype=float)[:, None], np.array([estimate]), confidence)
        intervals[metric] = None if np.isnan(low[0]) else [float(low[0]), float(high[0])]
    method = {"n_resamples": used, "n_resamples_requested": int(n_resamples), "confidence": confidence,
              "level": confidence, "method": f"{BIAS_CORRECTED}, rows resampled with replacement",
              "resample_cap": cap_note(int(n_resamples), used, n)}
    if "ece" in draws:
        method["ece"] = f"{ECE_METHOD}; {ECE_INTERVAL_NOTE}"
    return intervals, method


def rows_of_weights(compute, y_true, y_pred, proba):
    """``metrics_of_weights`` for any ``compute(y_true, y_pred, proba)``: rebuilds the resampled rows."""

    def metrics_of_weights(weights):
        rows = np.repeat(np.arange(len(weights)), weights.astype(int))
        return compute(y_true[rows], y_pred[rows], None if proba is None else proba[rows])

    return metrics_of_weights


def one_resample(of_chunk, weights) -> dict:
    """``{metric: value}`` for one set of row weights from a chunk function (None where undefined)."""
    return {metric: None if np.isnan(values[0]) else float(values[0])
            for metric, values in of_chunk(np.asarray(weights, dtype=float)[None, :]).items()}


class WeightedBinaryMetrics:
    """The binary metrics of :func:`performance_report` for row weights, in plain numpy.

    Same definitions as scikit-learn's (tests check equality on real data). Everything that does not
    depend on the weights (which rows are positive or correct, the rows in score order, their tie
    groups and calibration bins) is computed once, so a chunk of bootstrap resamples costs one matrix
    product and, for ROC AUC and calibration, sums over the rows in score order. ROC AUC is the
    Mann-Whitney statistic with tied scores counted one half, from weighted counts of positives and
    negatives per distinct score; the calibration bins are runs of distinct scores.
    """

    def __init__(self, y_true, y_pred, proba, classes, positive_index):
        is_positive = (np.asarray(y_true) == classes[positive_index]).astype(float)
        correct = (np.asarray(y_true) == np.asarray(y_pred)).astype(float)
        columns = {"rows": np.ones_like(correct), "positive": is_positive, "correct": correct,
                   "correct_positive": correct * is_positive, "correct_negative": correct * (1 - is_positive)}
        self.has_proba = proba is not None
        if self.has_proba:
            score = np.asarray(proba[:, positive_index], dtype=float)
            eps = np.finfo(proba.dtype).eps
            normalised = proba[:, positive_index] / proba.sum(axis=1)
            chosen = np.clip(np.where(is_positive == 1, normalised, 1 - normalised), eps, 1)
            columns.update({"log_loss": -np.log(chosen), "brier": (score - is_positive) ** 2})
            self.order = np.argsort(score, kind="stable")  # rows by score: tied scores are neighbours
            self.is_positive_in_order = is_positive[self.order]
            in_order = score[self.order]
            self.tie_starts = np.flatnonzero(np.r_[True, in_order[1:] != in_order[:-1]]) if len(score) else np.array([], int)
            self.tie_score = in_order[self.tie_starts]
            tie_bins = score_bins(self.tie_score)  # equal scores share a bin, so each bin is a run of ties
            self.bins_present = np.unique(tie_bins)
            self.bin_starts = np.searchsorted(tie_bins, self.bins_present)
        self.names = list(columns)
        self.matrix = np.column_stack(list(columns.values()))

    def __call__(self, weights) -> dict:
        """The metrics for one set of row weights (None where undefined)."""
        return one_resample(self.of_chunk, weights)

    def of_chunk(self, weights) -> dict:
        """The metrics for each row of ``weights`` (``(resamples, rows)``): arrays, NaN where undefined."""
        total = dict(zip(self.names, (weights @ self.matrix).T))
        n, n_pos = total["rows"], total["positive"]
        n_neg = n - n_pos
        with np.errstate(invalid="ignore", divide="ignore"):
            recall_pos = np.where(n_pos > 0, total["correct_positive"] / n_pos, np.nan)
            recall_neg = np.where(n_neg > 0, total["correct_negative"] / n_neg, np.nan)
            values = {"accuracy": total["correct"] / n, "balanced_accuracy": np.nanmean([recall_pos, recall_neg], axis=0)}
        undefined = np.full(len(weights), np.nan)
        values.update({"roc_auc": undefined, "log_loss": undefined, "brier": undefined, "ece": undefined})
        if not self.has_proba or not weights.shape[1]:
            return values
        in_order = weights[:, self.order]
        pos_per_score = self._per_score(in_order * self.is_positive_in_order)
        neg_per_score = self._per_score(in_order) - pos_per_score
        below = np.cumsum(neg_per_score, axis=1) - neg_per_score
        with np.errstate(invalid="ignore", divide="ignore"):
            auc = np.einsum("ij,ij->i", pos_per_score, below + 0.5 * neg_per_score) / (n_pos * n_neg)
        values["roc_auc"] = np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)
        values["log_loss"] = total["log_loss"] / n
        values["brier"] = total["brier"] / n
        values["ece"] = ece_from_bins(*(self._per_bin(a) for a in (pos_per_score + neg_per_score, pos_per_score,
                                                                   (pos_per_score + neg_per_score) * self.tie_score)))
        return values

    def _per_score(self, per_row) -> np.ndarray:
        """Sums over the distinct scores of per-row values in score order ``(resamples, rows)``."""
        if len(self.tie_starts) == per_row.shape[1]:  # no tied scores: nothing to add up
            return per_row
        return np.add.reduceat(per_row, self.tie_starts, axis=1)

    def _per_bin(self, per_score) -> np.ndarray:
        """Sums over the calibration bins of per-score sums ``(resamples, distinct scores)``."""
        out = np.zeros((len(per_score), ECE_BINS))
        out[:, self.bins_present] = np.add.reduceat(per_score, self.bin_starts, axis=1)
        return out


class WeightedRegressionMetrics:
    """MAE, RMSE and R² for row weights, in plain numpy. The residual is ŷ − y (positive: over-predicts).

    The target is centred on its plain mean first, so the weighted total sum of squares taken from
    matrix products (sum of squares minus the squared sum over n) loses no precision to a large mean.
    """

    def __init__(self, y_true, y_pred, _proba=None):
        y_true = np.asarray(y_true, dtype=float)
        residual = np.asarray(y_pred, dtype=float) - y_true
        centred = y_true - (y_true.mean() if len(y_true) else 0.0)
        self.matrix = np.column_stack([np.ones_like(y_true), np.abs(residual), residual ** 2, centred, centred ** 2])

    def __call__(self, weights) -> dict:
        """The metrics for one set of row weights (None where undefined)."""
        return one_resample(self.of_chunk, weights)

    def of_chunk(self, weights) -> dict:
        """The metrics for each row of ``weights`` (``(resamples, rows)``): arrays, NaN where undefined."""
        n, absolute, squared, centred, centred_squared = (weights @ self.matrix).T
        total = centred_squared - centred ** 2 / n
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"mae": absolute / n, "rmse": np.sqrt(squared / n),
                    "r2": np.where(total > 1e-12 * np.maximum(centred_squared, 1e-300), 1 - squared / total, np.nan)}
