"""Permutation importance on the original features, through the whole model (any framework).

``sklearn.inspection.permutation_importance`` shuffles one original column at a time — before any
preprocessing, so a one-hot encoded feature is shuffled as one — and measures the drop in a score:
ROC AUC (binary), accuracy (multiclass) or R² (regression) against the target, or, without a
target, the mean absolute change of the model's own output. Repeats give an interval.

The result is global: ``values`` has one row (the mean importance per feature); ``meta`` holds the
repeats, the 95% interval per feature, the score, the baseline and the rows scored.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.inspection import permutation_importance
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

from xai_audit.exceptions import InvalidInputError
from xai_audit.explainers._tabular import explainable_table_model, output_matrix, output_space, require_table_model
from xai_audit.explainers.base import Explainer, Explanation


class _AdapterEstimator:
    """The adapter as the minimal estimator ``permutation_importance`` calls a scorer with."""

    def __init__(self, adapter):
        self.adapter = adapter

    def fit(self, X, y=None):  # the model is already fitted; sklearn only checks the method exists
        return self


class PermutationExplainer(Explainer):
    """Permutation importance of the original features (global).

    Parameters
    ----------
    n_repeats : int
        Shuffles per feature.
    max_rows : int
        Rows scored (a seeded sample beyond that; stated in ``meta``).
    scoring : {"auto", "roc_auc", "accuracy", "r2", "output_change"}
        ``"auto"``: ROC AUC / accuracy / R² against the target when the data has one, else the mean
        absolute change of the model's output.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> df = pd.DataFrame({"a": np.arange(40.0), "b": np.ones(40), "y": [0] * 20 + [1] * 20})
    >>> model = load_model(LogisticRegression().fit(df[["a", "b"]], df["y"]))
    >>> e = PermutationExplainer(n_repeats=3).explain(model, AuditDataset.from_frame(df, target="y"), ["a", "b"], np.arange(40), random_state=0)
    >>> e.values.shape, e.meta["scoring"], bool(e.values[0, 0] > e.values[0, 1])
    ((1, 2), 'roc_auc', True)
    """

    name = "permutation"
    additive = False
    local = False
    SCORINGS = ("auto", "roc_auc", "accuracy", "r2", "output_change")

    def __init__(self, *, n_repeats=10, max_rows=2000, scoring="auto"):
        if not isinstance(n_repeats, (int, np.integer)) or n_repeats < 2:
            raise InvalidInputError(f"n_repeats must be an integer of at least 2 (for an interval); got {n_repeats!r}.")
        if scoring not in self.SCORINGS:
            raise InvalidInputError(f"scoring must be one of {list(self.SCORINGS)}; got {scoring!r}.")
        self.n_repeats = int(n_repeats)
        self.max_rows = int(max_rows)
        self.scoring = scoring

    @classmethod
    def supports(cls, adapter) -> bool:
        return explainable_table_model(adapter)

    def row_limit(self, adapter) -> int | None:
        return self.max_rows

    def explain(self, adapter, data, features, rows, *, random_state=None) -> Explanation:
        require_table_model(adapter, self.name)
        started = time.perf_counter()
        rows = np.asarray(rows, dtype=int)
        X = data.frame.iloc[rows].loc[:, list(features)].reset_index(drop=True)
        scoring = self._scoring(adapter, data)
        scorer, y = self._scorer(adapter, data, X, rows, scoring)
        result = permutation_importance(_AdapterEstimator(adapter), X, y, scoring=scorer, n_repeats=self.n_repeats,
                                        random_state=random_state)
        repeats = result.importances  # (F, n_repeats)
        mean = repeats.mean(axis=1)
        half = 1.96 * repeats.std(axis=1, ddof=1) / np.sqrt(self.n_repeats)
        baseline = float(scorer(_AdapterEstimator(adapter), X, y))
        meta = {
            "algorithm": "sklearn.inspection.permutation_importance on the original features, through the whole model",
            "scoring": scoring,
            "baseline_score": baseline,
            "n_repeats": self.n_repeats,
            "importances": repeats.T.tolist(),
            "ci": {f: [float(m - h), float(m + h)] for f, m, h in zip(features, mean, half)},
            "ci_method": "mean ± 1.96 standard errors over the repeats",
            "output_space": output_space(adapter),
            "global_only": True,
            "uses_background": True,
            "seconds": round(time.perf_counter() - started, 4),
        }
        return Explanation(values=mean[None, :], base_values=np.array([baseline]), output=np.array([baseline]),
                           data=X, feature_names=tuple(features), row_index=rows, method=self.name, meta=meta)

    def _scoring(self, adapter, data) -> str:
        if self.scoring != "auto":
            if self.scoring != "output_change" and data.target is None:
                raise InvalidInputError(f"scoring={self.scoring!r} needs a target column in the data; use 'output_change'.")
            return self.scoring
        if data.target is None:
            return "output_change"
        return {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}[adapter.task]

    @staticmethod
    def _scorer(adapter, data, X, rows, scoring):
        if scoring == "output_change":
            reference = output_matrix(adapter, X)

            def score(estimator, X_perm, y):  # 0 unshuffled; more negative as the output moves
                return -float(np.mean(np.abs(output_matrix(estimator.adapter, X_perm) - reference)))

            return score, None
        y = data.frame[data.target].to_numpy()[rows]
        if scoring == "roc_auc":
            positive = np.asarray([str(v) == str(adapter.positive_class) for v in y])
            if positive.all() or not positive.any():
                raise InvalidInputError("ROC AUC needs both outcomes among the rows scored; use scoring='output_change'.")

            def score(estimator, X_perm, y_true):
                return float(roc_auc_score(positive, output_matrix(estimator.adapter, X_perm)[:, 0]))

            return score, y
        if scoring == "accuracy":
            labels = np.asarray([str(v) for v in y])

            def score(estimator, X_perm, y_true):
                return float(accuracy_score(labels, np.asarray([str(v) for v in estimator.adapter.predict(X_perm)])))

            return score, y

        def score(estimator, X_perm, y_true):
            return float(r2_score(np.asarray(y_true, dtype=float), estimator.adapter.predict(X_perm).astype(float)))

        return score, y
