"""An Explainable Boosting Machine read as itself: its term importances and its shape functions.

An EBM's output (log-odds for a classifier, the value for a regressor) is its intercept plus one
score per term, read from a table per term (``term_scores_``, indexed by the bins in ``bins_``). The
record keeps every term's importance (InterpretML's ``term_importances()``: the mean absolute score
over the training rows) and, for the most important single-feature terms, the whole table: each bin
(an interval of a numeric feature, or a category) with its score, exactly as the model holds it.
"""

from __future__ import annotations

import numpy as np

SHAPE_TERMS = 5


def is_ebm(adapter) -> bool:
    """True for InterpretML's Explainable Boosting Machines, binary or regression."""
    final = getattr(adapter, "final_estimator", None)
    return (final is not None and type(final).__name__ in ("ExplainableBoostingClassifier",
                                                            "ExplainableBoostingRegressor")
            and adapter.task in ("binary", "regression") and hasattr(final, "term_scores_"))


def ebm_reading(adapter, terms, *, top: int = SHAPE_TERMS) -> dict:
    """Term importances, the shape functions of the ``top`` single-feature terms, and the fidelity of
    intercept + term scores to the model's own output on the rows of ``terms``.

    Examples
    --------
    >>> import pandas as pd
    >>> from interpret.glassbox import ExplainableBoostingRegressor
    >>> from xai_audit import load_model
    >>> from xai_audit.explainers.glass_box.terms import model_terms
    >>> df = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5] * 10, "y": [0.0, 0, 0, 1, 1, 1] * 10})
    >>> ebm = ExplainableBoostingRegressor(interactions=0, outer_bags=2, n_jobs=1, random_state=0)
    >>> adapter = load_model(ebm.fit(df[["x"]], df["y"]))
    >>> reading = ebm_reading(adapter, model_terms(adapter, df, ["x"]))
    >>> reading["fidelity"]["value"], list(reading["shapes"])
    (1.0, ['x'])
    """
    from xai_audit.explainers.glass_box.linear import _as_input

    ebm = adapter.final_estimator
    binary = adapter.task == "binary"
    sign = -1.0 if binary and adapter.positive_class != list(ebm.classes_)[-1] else 1.0
    names = [str(n) for n in ebm.term_names_]
    importances = np.asarray(ebm.term_importances(), dtype=float)
    order = [int(i) for i in np.argsort(-importances, kind="stable")]
    shapes = {}
    for i in order:
        if len(shapes) == top:
            break
        if len(ebm.term_features_[i]) == 1:
            shapes[names[i]] = _shape(ebm, i, sign)
    X = _as_input(ebm, terms)
    own = np.asarray(ebm.decision_function(X) if binary else ebm.predict(X), dtype=float).reshape(-1) * sign
    intercept = sign * float(np.asarray(ebm.intercept_, dtype=float).reshape(-1)[0])
    reproduced = intercept + sign * np.asarray(ebm.eval_terms(X), dtype=float).sum(axis=1)
    gap = np.abs(own - reproduced)
    return {
        "kind": "ebm",
        "scale": "log-odds" if binary else "predicted value",
        "intercept": intercept,
        "importances": [{"term": names[i], "importance": float(importances[i]),
                         "features": [str(ebm.feature_names_in_[f]) for f in ebm.term_features_[i]]} for i in order],
        "importance_measure": "mean absolute term score over the training rows (InterpretML term_importances)",
        "shapes": shapes,
        "fidelity": {"measure": "share of rows whose output intercept + sum of term scores reproduces to 1e-6",
                     "value": float(np.mean(gap <= 1e-6 * np.maximum(1.0, np.abs(own)))),
                     "max_abs_gap": float(gap.max(initial=0.0))},
    }


def _shape(ebm, i, sign) -> dict:
    """One term's table: bins in order with their scores (the missing and unknown bins left out)."""
    feature = int(ebm.term_features_[i][0])
    scores = sign * np.asarray(ebm.term_scores_[i], dtype=float)
    bins = ebm.bins_[feature][0]
    if isinstance(bins, dict):  # categories -> bin index
        categories = sorted(bins, key=lambda c: bins[c])
        return {"kind": "categorical", "bins": [str(c) for c in categories],
                "scores": [float(scores[bins[c]]) for c in categories]}
    cuts = [float(c) for c in np.asarray(bins, dtype=float)]
    return {"kind": "numeric", "cuts": cuts, "scores": [float(s) for s in scores[1:len(cuts) + 2]],
            "bins_note": "bin k covers values from cut k-1 (inclusive) to cut k (exclusive); the first and last are open"}
