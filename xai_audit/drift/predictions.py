"""Prediction, score, label and performance drift between two periods.

Every change is ``current − reference`` with an interval for two independent samples: Newcombe's
hybrid score interval for a difference of proportions (decision rate, accuracy, the favourable
outcome's share), and a normal interval ``Δ ± z·sqrt(s₁²/n₁ + s₂²/n₂)`` for a difference of means
(Brier score, calibration in the large, mean absolute error). Whether a proportion changed is
tested with :func:`xai_audit.stats.tests.two_proportion_test`; whether the scores' distribution
changed, with the Kolmogorov–Smirnov test of :mod:`xai_audit.drift.features`.
"""

from __future__ import annotations

import math

import numpy as np

from xai_audit.drift.features import categorical_drift, numeric_drift
from xai_audit.stats.intervals import newcombe_interval, z_value
from xai_audit.stats.tests import two_proportion_test


def proportion_change(successes_ref: int, n_ref: int, successes_cur: int, n_cur: int, *,
                      confidence: float = 0.95) -> dict:
    """A proportion in both periods, its change (current − reference) with Newcombe's interval, and a test.

    Examples
    --------
    >>> row = proportion_change(71, 100, 64, 100)
    >>> row["reference"], row["current"], round(row["change"], 2)
    (0.71, 0.64, -0.07)
    """
    if n_ref == 0 or n_cur == 0:
        return {"reference": None, "current": None, "change": None, "ci": None, "p_value": None,
                "n_reference": int(n_ref), "n_current": int(n_cur)}
    low, high = newcombe_interval(successes_cur, n_cur, successes_ref, n_ref, confidence)
    test = two_proportion_test(int(successes_cur), int(n_cur), int(successes_ref), int(n_ref))
    p_ref, p_cur = successes_ref / n_ref, successes_cur / n_cur
    return {"reference": float(p_ref), "current": float(p_cur), "change": float(p_cur - p_ref),
            "ci": [float(low), float(high)], "p_value": float(test["p_value"]), "test": test["test"],
            "n_reference": int(n_ref), "n_current": int(n_cur)}


def mean_change(reference_values, current_values, *, confidence: float = 0.95) -> dict:
    """A mean in both periods and its change (current − reference) with a normal (Welch) interval.

    Examples
    --------
    >>> row = mean_change([0.0, 1.0] * 50, [1.0] * 100)
    >>> row["change"], row["ci"][0] > 0
    (0.5, True)
    """
    ref = np.asarray(reference_values, dtype=np.float64)
    cur = np.asarray(current_values, dtype=np.float64)
    if ref.size < 2 or cur.size < 2:
        return {"reference": None, "current": None, "change": None, "ci": None,
                "n_reference": int(ref.size), "n_current": int(cur.size)}
    change = float(cur.mean() - ref.mean())
    se = math.sqrt(ref.var(ddof=1) / ref.size + cur.var(ddof=1) / cur.size)
    z = z_value(confidence)
    return {"reference": float(ref.mean()), "current": float(cur.mean()), "change": change,
            "ci": [change - z * se, change + z * se], "n_reference": int(ref.size), "n_current": int(cur.size)}


def prediction_drift(reference: dict, current: dict, *, task: str, confidence: float = 0.95) -> dict:
    """The predictions section: decisions, scores, the outcome's share and performance in both periods.

    Parameters
    ----------
    reference, current : dict
        Per period: ``"decisions"`` (binary: 1 for the favourable decision; regression: the
        predicted values; multiclass: the predicted labels), ``"scores"`` (binary: the favourable
        class's probability, or None) and ``"y_true"`` (binary: 1 for the favourable outcome;
        otherwise the target values; None without a target).
    task : {"binary", "multiclass", "regression"}

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ref = {"decisions": rng.integers(0, 2, 500), "scores": None, "y_true": None}
    >>> cur = {"decisions": np.ones(500, dtype=int), "scores": None, "y_true": None}
    >>> section = prediction_drift(ref, cur, task="binary")
    >>> section["decision_rate"]["current"], section["decision_rate"]["p_value"] < 1e-6
    (1.0, True)
    """
    section = {"task": task, "confidence": confidence}
    d_ref, d_cur = np.asarray(reference["decisions"]), np.asarray(current["decisions"])
    if task == "binary":
        section["decision_rate"] = proportion_change(int(d_ref.sum()), d_ref.size, int(d_cur.sum()), d_cur.size,
                                                     confidence=confidence)
    elif task == "regression":
        section["predictions"] = numeric_drift(d_ref, d_cur, confidence=confidence)
    else:
        section["predictions"] = categorical_drift(d_ref, d_cur, confidence=confidence)
    s_ref, s_cur = reference.get("scores"), current.get("scores")
    if s_ref is not None and s_cur is not None:
        section["scores"] = numeric_drift(s_ref, s_cur, confidence=confidence)
    y_ref, y_cur = reference.get("y_true"), current.get("y_true")
    if y_ref is not None and y_cur is not None:
        section["performance"] = _performance_change(d_ref, d_cur, np.asarray(y_ref), np.asarray(y_cur),
                                                     s_ref, s_cur, task=task, confidence=confidence)
    return section


def _performance_change(d_ref, d_cur, y_ref, y_cur, s_ref, s_cur, *, task, confidence) -> dict:
    """Performance and calibration in both periods and their changes (see the module's note)."""
    if task == "regression":
        y_ref, y_cur = y_ref.astype(float), y_cur.astype(float)
        return {"outcome_mean": mean_change(y_ref, y_cur, confidence=confidence),
                "mae": mean_change(np.abs(d_ref - y_ref), np.abs(d_cur - y_cur), confidence=confidence)}
    correct_ref, correct_cur = int((d_ref == y_ref).sum()), int((d_cur == y_cur).sum())
    table = {"accuracy": proportion_change(correct_ref, d_ref.size, correct_cur, d_cur.size, confidence=confidence)}
    if task == "binary":
        table["outcome_rate"] = proportion_change(int(y_ref.sum()), y_ref.size, int(y_cur.sum()), y_cur.size,
                                                  confidence=confidence)
        if s_ref is not None and s_cur is not None:
            s_ref, s_cur = np.asarray(s_ref, dtype=float), np.asarray(s_cur, dtype=float)
            table["brier"] = mean_change((s_ref - y_ref) ** 2, (s_cur - y_cur) ** 2, confidence=confidence)
            table["calibration_in_the_large"] = mean_change(s_ref - y_ref, s_cur - y_cur, confidence=confidence)
    return table
