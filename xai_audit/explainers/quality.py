"""Is an explanation trustworthy? Additivity, completeness, agreement, faithfulness, stability.

Each function measures one property and returns plain numbers (None where it does not apply);
:mod:`xai_audit.checks.explanations` judges them against the policy.

- additivity: SHAP's local accuracy, ``sum(values) + base == output`` (Lundberg & Lee 2017);
- completeness: Integrated Gradients' convergence delta (Sundararajan et al. 2017), read from ``meta``;
- agreement: Spearman rank correlation and top-k overlap of two methods' global importances
  (the "disagreement problem", Krishna et al. 2022);
- faithfulness: a deletion curve — replace the most-attributed features by a reference value, in
  order, and measure how far the output moves, against random orders (AOPC, Samek et al. 2017);
- stability: the same rows explained again with another seed or background sample (Alvarez-Melis
  & Jaakkola 2018).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from xai_audit.explainers._tabular import CategoryCodec, distinct_rows, explained_class, output_matrix, pick

DELTA_KEYS = ("convergence_delta", "max_convergence_delta", "delta", "completeness_delta")


def additivity_error(explanation) -> float | None:
    """Largest ``|sum(values) + base - output|`` over the rows, relative to ``max(1, |output|)``.

    Below 1 (probabilities, log-odds) this is the absolute gap; for large outputs (regression
    values) it is relative, so float32 models (XGBoost) are judged at their own precision.

    Examples
    --------
    >>> from xai_audit.explainers.base import Explanation
    >>> e = Explanation(np.array([[0.2, 0.1]]), np.array([0.5]), np.array([0.8]), None, ("a", "b"), np.array([0]), "shap")
    >>> round(additivity_error(e), 12)
    0.0
    """
    if explanation.n_rows == 0:
        return None
    values = explanation.values.reshape(explanation.n_rows, -1)
    total = values.sum(axis=1) + np.asarray(explanation.base_values, dtype=float)
    output = np.asarray(explanation.output, dtype=float)
    return float(np.max(np.abs(total - output) / np.maximum(1.0, np.abs(output))))


def completeness_error(explanation) -> float | None:
    """The largest absolute convergence delta the explainer recorded in ``meta`` (IG, DeepLIFT), or None.

    Examples
    --------
    >>> from xai_audit.explainers.base import Explanation
    >>> e = Explanation(np.zeros((2, 1)), np.zeros(2), np.zeros(2), None, ("a",), np.arange(2), "integrated_gradients",
    ...                 meta={"convergence_delta": [0.01, -0.03]})
    >>> completeness_error(e)
    0.03
    >>> completeness_error(Explanation(np.zeros((1, 1)), np.zeros(1), np.zeros(1), None, ("a",), np.arange(1), "ig",
    ...                                meta={"convergence_delta": {"max_abs": 0.002, "mean_abs": 0.001}}))
    0.002
    """
    for key in DELTA_KEYS:
        delta = explanation.meta.get(key)
        if isinstance(delta, dict):  # a summary such as {"max_abs": ..., "mean_abs": ...}
            delta = delta.get("max_abs", delta.get("max"))
        if delta is not None:
            delta = np.abs(np.asarray(delta, dtype=float))
            return float(np.max(delta)) if delta.size else None
    return None


def global_scores(explanation) -> dict:
    """Importance per feature: mean |attribution| for local methods, the mean score drop for
    global ones (permutation importance, which can be negative).

    Examples
    --------
    >>> from xai_audit.explainers.base import Explanation
    >>> e = Explanation(np.array([[1.0, -3.0], [-1.0, 1.0]]), np.zeros(2), np.zeros(2), None, ("a", "b"), np.arange(2), "shap")
    >>> global_scores(e)
    {'a': 1.0, 'b': 2.0}
    """
    if explanation.meta.get("global_only"):
        return {f: float(v) for f, v in zip(explanation.feature_names, explanation.values[0])}
    values = np.abs(explanation.values.reshape(explanation.n_rows, -1)).mean(axis=0)
    return {f: float(v) for f, v in zip(explanation.feature_names, values)}


def bootstrap_interval(values: np.ndarray, *, n_resamples=200, confidence=0.95, rng=None) -> np.ndarray:
    """Percentile bootstrap interval of mean |values| per column over rows: (n_features, 2).

    Rows are resampled by :func:`xai_audit.stats.bootstrap.resample_weights` (the one bootstrap) and
    the interval is :func:`xai_audit.stats.intervals.percentile_interval` at level ``confidence``.

    Examples
    --------
    >>> bootstrap_interval(np.ones((10, 2)), rng=np.random.default_rng(0)).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    from xai_audit.stats.bootstrap import resample_weights
    from xai_audit.stats.intervals import percentile_interval

    rng = rng or np.random.default_rng()
    absolute = np.abs(values)
    n = len(absolute)
    means = np.vstack([weights @ absolute / n for weights in resample_weights(n, int(n_resamples), rng)])
    low, high = percentile_interval(means, confidence)
    return np.column_stack([low, high])


def top_k(n_features: int) -> int:
    """How many top features agreement compares: half of them, at most five, at least one.

    Examples
    --------
    >>> top_k(4), top_k(30), top_k(1)
    (2, 5, 1)
    """
    return max(1, min(5, n_features // 2))


def rank_agreement(first: dict, second: dict, *, k: int | None = None) -> dict:
    """Spearman correlation and top-k overlap of two importance dicts over their common features.

    Examples
    --------
    >>> rank_agreement({"a": 3, "b": 2, "c": 1, "d": 0}, {"a": 2.5, "b": 3, "c": 0.1, "d": 0})
    {'spearman': 0.8, 'top_k_overlap': 1.0, 'k': 2}
    """
    common = [f for f in first if f in second]
    if len(common) < 2:
        return {"spearman": None, "top_k_overlap": None, "k": None}
    a = np.array([first[f] for f in common], dtype=float)
    b = np.array([second[f] for f in common], dtype=float)
    k = k or top_k(len(common))
    rho = _spearman(a, b)
    top_a = {common[i] for i in np.argsort(-a, kind="stable")[:k]}
    top_b = {common[i] for i in np.argsort(-b, kind="stable")[:k]}
    return {"spearman": rho, "top_k_overlap": len(top_a & top_b) / k, "k": k}


def agreement(importances: dict) -> dict:
    """Pairwise :func:`rank_agreement` of several methods' global importances, and the worst pair.

    Examples
    --------
    >>> result = agreement({"shap": {"a": 2, "b": 1}, "lime": {"a": 1, "b": 2}})
    >>> result["pairs"][0]["methods"], result["min_spearman"]
    (['shap', 'lime'], -1.0)
    """
    methods = list(importances)
    pairs = []
    for i, first in enumerate(methods):
        for second in methods[i + 1:]:
            pairs.append({"methods": [first, second], **rank_agreement(importances[first], importances[second])})
    rhos = [p["spearman"] for p in pairs if p["spearman"] is not None]
    overlaps = [p["top_k_overlap"] for p in pairs if p["top_k_overlap"] is not None]
    return {"pairs": pairs, "min_spearman": min(rhos) if rhos else None,
            "min_top_k_overlap": min(overlaps) if overlaps else None}


def stability(first, second) -> float | None:
    """Median over shared rows of the Spearman correlation of two explanations' attributions.

    Rows whose attributions are constant in either explanation are left out; None if none is left.

    Examples
    --------
    >>> from xai_audit.explainers.base import Explanation
    >>> make = lambda v: Explanation(np.array(v), np.zeros(1), np.zeros(1), None, ("a", "b", "c"), np.array([7]), "lime")
    >>> stability(make([[1.0, 2.0, 3.0]]), make([[0.1, 0.2, 0.3]]))
    1.0
    """
    if first.meta.get("global_only") or second.meta.get("global_only"):
        return _spearman(first.values[0], second.values[0])
    where = {int(r): i for i, r in enumerate(second.row_index)}
    rhos = []
    for i, row in enumerate(first.row_index):
        j = where.get(int(row))
        if j is None:
            continue
        rho = _spearman(first.values[i], second.values[j])
        if rho is not None:
            rhos.append(rho)
    return float(np.median(rhos)) if rhos else None


def reference_row(data, features) -> pd.DataFrame:
    """One row of reference values: the median of numeric features, the mode of the others.

    Examples
    --------
    >>> from xai_audit import AuditDataset
    >>> data = AuditDataset.from_frame(pd.DataFrame({"x": [1.0, 2.0, 9.0], "c": ["a", "b", "b"]}))
    >>> reference_row(data, ["x", "c"]).to_dict("records")
    [{'x': 2.0, 'c': 'b'}]
    """
    frame = data.frame.loc[:, list(features)]
    values = {}
    for name in features:
        column = frame[name]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        if numeric and data.feature_kinds.get(name) != "categorical":
            values[name] = [column.median()]
        else:
            mode = column.mode(dropna=True)
            values[name] = [mode.iloc[0] if len(mode) else column.iloc[0]]
    return pd.DataFrame(values)


def deletion_faithfulness(adapter, data, features, explanation, *, max_rows=100, n_random=3, rng=None) -> dict:
    """Deletion curves: how fast the output moves when the most-attributed features are replaced.

    For each row (at most ``max_rows`` of the explained ones), features are replaced one by one by
    :func:`reference_row`'s values in the order of decreasing |attribution| (the same global order
    for global methods), and ``|f(x) - f(x with k features replaced)|`` is recorded for k = 1..F; the
    same for ``n_random`` random orders. The areas are the means over k and rows.

    Returns
    -------
    dict
        ``faithfulness`` = (area − random area) / max(area, random area): 1 when the attributed
        order moves the output at once and random orders barely, 0 when no better than random,
        negative when worse (None when no order moves the output); the areas and both curves.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    >>> df["y"] = 4 * df["a"] + 0.1 * df["b"]
    >>> model = load_model(LinearRegression().fit(df[["a", "b", "c"]], df["y"]))
    >>> data = AuditDataset.from_frame(df, target="y", features=["a", "b", "c"])
    >>> from xai_audit.explainers import explain
    >>> e = explain(model, data, method="shap", rows=20, random_state=0)
    >>> deletion_faithfulness(model, data, ["a", "b", "c"], e, rng=np.random.default_rng(0))["faithfulness"] > 0.2
    True
    """
    rng = rng or np.random.default_rng()
    features = list(features)
    n_features = len(features)
    local = not explanation.meta.get("global_only")
    positions = np.asarray(explanation.row_index)[:max_rows] if local else np.asarray(explanation.row_index)
    if not local and len(positions) > max_rows:
        positions = np.sort(rng.choice(positions, max_rows, replace=False))
    if n_features == 0 or len(positions) == 0:
        return {"faithfulness": None, "deletion_area": None, "random_deletion_area": None, "rows": 0}
    X = data.frame.iloc[positions].loc[:, features]
    codec = CategoryCodec(data.frame.loc[:, features], features, data.feature_kinds)
    encoded = codec.encode(X)
    reference = codec.encode(reference_row(data, features))[0]
    attributions = np.abs(explanation.values[:len(positions)] if local else np.repeat(explanation.values[:1], len(positions), 0))
    orders = [np.argsort(-attributions, axis=1, kind="stable")]
    orders += [np.argsort(rng.random((len(positions), n_features)), axis=1) for _ in range(n_random)]
    n_orders, n_rows = len(orders), len(positions)
    rank = np.empty((n_orders, n_rows, n_features), dtype=int)
    for o, order in enumerate(orders):
        np.put_along_axis(rank[o], order, np.arange(n_features)[None, :], axis=1)
    steps = np.arange(1, n_features + 1)[None, None, :, None]
    replaced = rank[:, :, None, :] < steps  # (orders, rows, k, F)
    mixed = np.where(replaced, reference[None, None, None, :], encoded[None, :, None, :])
    columns = explained_class(adapter, X)
    original = pick(output_matrix(adapter, X), columns)
    # many curves pass through the same rows (every curve ends at the reference row; replacing a value
    # by the reference's own value changes nothing): each distinct row is scored once
    first, inverse = distinct_rows(mixed.reshape(-1, n_features))
    decoded = codec.decode(mixed.reshape(-1, n_features)[first])
    moved = output_matrix(adapter, decoded)[inverse].reshape(n_orders, n_rows, n_features, -1)
    moved = np.take_along_axis(moved, np.broadcast_to(columns[None, :, None, None], (n_orders, n_rows, n_features, 1)), axis=3)[..., 0]
    change = np.abs(moved - original[None, :, None])  # (orders, rows, k)
    curve = change[0].mean(axis=0)
    random_curve = change[1:].mean(axis=(0, 1))
    area, random_area = float(curve.mean()), float(random_curve.mean())
    scale = max(area, random_area)
    return {"faithfulness": None if scale < 1e-12 else (area - random_area) / scale,
            "deletion_area": area, "random_deletion_area": random_area, "rows": int(n_rows),
            "curve": curve.tolist(), "random_curve": random_curve.tolist(),
            "reference": "median of numeric features, mode of categorical ones"}


def _spearman(a, b) -> float | None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    rho = spearmanr(a, b)[0]
    return None if not np.isfinite(rho) else round(float(rho), 12)  # no 0.7999999999999999
