"""Explanation drift: has what the model relies on changed, and does a moved input matter to it?

The model is explained on a seeded sample of each period (``xai_audit.explain``, method "auto":
SHAP for tabular models); the mean absolute attribution of each feature is its contribution to the
model's output in that period. The change (current − reference) gets a percentile bootstrap
interval, resampling each period's explained rows independently. Each feature is then put in one
of four plain classes by two questions asked separately — did its distribution move (the data-drift
verdict) and did its contribution move (the interval of the change excludes zero) — and whether
the model relies on it (its share of the total contribution in either period is at least
``reliance_share``): an input shift the model ignores is not the same risk as one it relies on.
"""

from __future__ import annotations

import numpy as np

from xai_audit.stats.intervals import percentile_interval

TOP_K = 5
RELIANCE_SHARE = 0.05


def contribution_change(reference_values, current_values, feature_names, *, n_resamples: int = 1000,
                        confidence: float = 0.95, random_state=None) -> dict:
    """Mean |attribution| per feature in both periods, the change and its bootstrap interval.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=(200, 2)) * [1.0, 0.1]
    >>> cur = rng.normal(size=(200, 2)) * [1.0, 1.0]
    >>> table = contribution_change(ref, cur, ["a", "b"], random_state=0)
    >>> table["b"]["ci"][0] > 0, table["a"]["ci"][0] < 0 < table["a"]["ci"][1]
    (True, True)
    """
    ref = np.abs(np.asarray(reference_values, dtype=np.float64))
    cur = np.abs(np.asarray(current_values, dtype=np.float64))
    rng = np.random.default_rng(random_state)
    boot = np.empty((n_resamples, ref.shape[1]))
    for b in range(n_resamples):
        boot[b] = cur[rng.integers(0, len(cur), len(cur))].mean(axis=0) - ref[rng.integers(0, len(ref), len(ref))].mean(axis=0)
    low, high = percentile_interval(boot, confidence)
    mean_ref, mean_cur = ref.mean(axis=0), cur.mean(axis=0)
    return {name: {"reference": float(mean_ref[i]), "current": float(mean_cur[i]),
                   "change": float(mean_cur[i] - mean_ref[i]), "ci": [float(low[i]), float(high[i])]}
            for i, name in enumerate(feature_names)}


def _ranks(values: dict) -> dict:
    order = sorted(values, key=lambda name: (-values[name], name))
    return {name: position + 1 for position, name in enumerate(order)}


def classify(input_moved: bool, use_moved: bool, relied_on: bool) -> str:
    """The plain class of a feature from the three answers.

    Examples
    --------
    >>> classify(True, False, False)
    'input moved; the model makes little use of it'
    """
    if input_moved and relied_on:
        return "input moved; the model relies on it"
    if input_moved:
        return "input moved; the model makes little use of it"
    if use_moved:
        return "the model's use moved; the input did not"
    return "stable"


def explanation_drift(reference_values, current_values, feature_names, drifted: set, *, n_resamples: int = 1000,
                      confidence: float = 0.95, reliance_share: float = RELIANCE_SHARE, top_k: int = TOP_K,
                      random_state=None, meta: dict | None = None) -> dict:
    """The explanation-drift section from two attribution matrices (rows × features).

    Parameters
    ----------
    reference_values, current_values : array-like of shape (n_rows, n_features)
    feature_names : list of str
    drifted : set of str
        The features whose distribution drifted (the data-drift verdicts).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=(300, 2)) * [1.0, 0.001]
    >>> section = explanation_drift(ref, ref.copy(), ["used", "ignored"], {"ignored"}, random_state=0)
    >>> section["features"]["ignored"]["class"], section["relied_on_and_moved"]
    ('input moved; the model makes little use of it', [])
    """
    table = contribution_change(reference_values, current_values, feature_names, n_resamples=n_resamples,
                                confidence=confidence, random_state=random_state)
    total_ref = sum(row["reference"] for row in table.values()) or 1.0
    total_cur = sum(row["current"] for row in table.values()) or 1.0
    rank_ref = _ranks({n: row["reference"] for n, row in table.items()})
    rank_cur = _ranks({n: row["current"] for n, row in table.items()})
    for name, row in table.items():
        row["share_reference"] = row["reference"] / total_ref
        row["share_current"] = row["current"] / total_cur
        row["rank_reference"], row["rank_current"] = rank_ref[name], rank_cur[name]
        row["input_moved"] = name in drifted
        row["use_moved"] = bool(row["ci"][0] > 0 or row["ci"][1] < 0)
        row["relied_on"] = bool(max(row["share_reference"], row["share_current"]) >= reliance_share)
        row["class"] = classify(row["input_moved"], row["use_moved"], row["relied_on"])
    top = sorted(set(n for n in table if rank_ref[n] <= top_k) | set(n for n in table if rank_cur[n] <= top_k),
                 key=lambda n: rank_cur[n])
    return {"features": table, "top_rank_changes": [{"feature": n, "rank_reference": rank_ref[n],
                                                     "rank_current": rank_cur[n]} for n in top],
            "relied_on_and_moved": sorted(n for n, r in table.items() if r["input_moved"] and r["relied_on"]),
            "ignored_and_moved": sorted(n for n, r in table.items() if r["input_moved"] and not r["relied_on"]),
            "use_moved": sorted(n for n, r in table.items() if r["use_moved"]),
            "reliance_share": reliance_share, "confidence": confidence, "n_resamples": n_resamples,
            "rows_reference": int(len(reference_values)), "rows_current": int(len(current_values)),
            "meta": meta or {}}
