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
import pandas as pd
from sklearn.metrics import accuracy_score, r2_score

from xai_audit.exceptions import InvalidInputError
from xai_audit.explainers._tabular import (
    distinct_rows,
    explainable_table_model,
    output_matrix,
    output_space,
    require_table_model,
)
from xai_audit.explainers.base import Explainer, Explanation


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
        outputs_of, score_of = self._scorer(adapter, data, X, rows, scoring)
        baseline, permuted = permuted_scores(X, outputs_of, score_of, n_repeats=self.n_repeats,
                                             random_state=random_state)
        repeats = baseline - permuted  # (F, n_repeats): the drop in the score when a column is shuffled
        mean = repeats.mean(axis=1)
        half = 1.96 * repeats.std(axis=1, ddof=1) / np.sqrt(self.n_repeats)
        meta = {
            "algorithm": ("permutation importance on the original features, through the whole model: the "
                          "shuffles of sklearn.inspection.permutation_importance, every shuffled copy scored in "
                          "one batch"),
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
        """``(outputs_of, score_of)``: the model outputs a score needs for a table of rows (one call,
        so stacked copies are scored together), and the score of the outputs of one copy."""
        if scoring == "output_change":
            reference = output_matrix(adapter, X)

            def change(outputs):  # 0 unshuffled; more negative as the output moves
                return -float(np.mean(np.abs(outputs - reference)))

            return (lambda table: output_matrix(adapter, table)), change
        y = data.frame[data.target].to_numpy()[rows]
        if scoring == "roc_auc":
            positive = np.asarray([str(v) == str(adapter.positive_class) for v in y])
            if positive.all() or not positive.any():
                raise InvalidInputError("ROC AUC needs both outcomes among the rows scored; use scoring='output_change'.")
            return (lambda table: output_matrix(adapter, table)[:, 0]), (lambda outputs: roc_auc(positive, outputs))
        if scoring == "accuracy":
            labels = np.asarray([str(v) for v in y])
            return (lambda table: np.asarray([str(v) for v in adapter.predict(table)])), (
                lambda outputs: float(accuracy_score(labels, outputs)))
        truth = np.asarray(y, dtype=float)
        return (lambda table: adapter.predict(table).astype(float)), (lambda outputs: float(r2_score(truth, outputs)))


def roc_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """``sklearn.metrics.roc_auc_score(positive, scores)`` to the last bit, without its input checks.

    Permutation importance scores the same labels some 200 times, and the checks cost ten times the
    arithmetic. The arithmetic is scikit-learn's: the ROC curve's counts at each distinct score
    (whole numbers, so exact whatever the order of ties), collinear points dropped, the rates as
    the counts over their totals, and the trapezoid rule summed as ``scipy.integrate.trapezoid``
    sums it. ``positive`` must hold both outcomes (the caller checks).

    Examples
    --------
    >>> roc_auc(np.array([False, False, True, True]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    order = np.argsort(scores, kind="mergesort")[::-1]
    ordered = scores[order]
    last = np.r_[np.flatnonzero(np.diff(ordered)), len(ordered) - 1]  # the last row at each distinct score
    tps = np.cumsum(positive[order].astype(float))[last]
    fps = 1 + last.astype(float) - tps
    if len(fps) > 2:
        corners = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        fps, tps = fps[corners], tps[corners]
    fpr = np.r_[0.0, fps] / fps[-1]
    tpr = np.r_[0.0, tps] / tps[-1]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0, dtype=np.float64))


# Most rows scored in one call: the distinct shuffled rows are scored in blocks of about this many (one
# column's rows, at most rows x repeats, are never split).
MAX_STACKED_ROWS = 200_000


def permuted_scores(X, outputs_of, score_of, *, n_repeats: int, random_state=None) -> tuple[float, np.ndarray]:
    """The score of ``X`` itself, and of every shuffled copy of ``X``, ``(n_features, n_repeats)``.

    The shuffles are exactly those of ``sklearn.inspection.permutation_importance`` with the same
    ``random_state`` (one seed drawn from it; per column a generator from that seed shuffling one index
    array again for each repeat, applied to the column as already shuffled), so the importances equal
    scikit-learn's. Unlike it, the model is called once per block of rows rather than once per copy
    (per-call overhead — thread start-up in tree ensembles, validation, a Pipeline's encoders —
    dominates a model's cost on a few hundred rows), and each distinct row is scored once: a shuffled
    copy differs from ``X`` in one column only, so its row ``i`` is ``X``'s own row wherever the
    shuffled value equals the row's value, and the same row wherever two copies put the same value
    there (a column of few categories has few distinct rows). Each copy's outputs are then exactly
    those a call on the copy itself returns, for any model that scores a row on its own.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 0.0, 0.0, 0.0]})
    >>> baseline, scores = permuted_scores(X, lambda t: t["a"].to_numpy(), lambda out: float(out[0]),
    ...                                    n_repeats=3, random_state=0)
    >>> baseline, scores.shape, bool((scores[1] == 1.0).all())
    (1.0, (2, 3), True)
    """
    from sklearn.utils import check_random_state

    n_rows, n_features = X.shape
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max + 1)
    shuffles = shuffled_positions(n_rows, n_repeats, seed)  # the same for every column: one seed
    rows = np.arange(n_rows)
    plans = []  # per column: the shuffled copies' rows as positions in the scored rows
    parts = [(None, rows, rows)]  # (column, row, source of the column's value): X's own rows first
    n_scored = n_rows
    for column in range(n_features):
        codes = exact_codes(X.iloc[:, column])
        moved = codes[shuffles] != codes[None, :]  # (n_repeats, n_rows): the value differs from the row's
        width = int(codes.max()) + 1
        keys = rows[None, :] * width + codes[shuffles]
        distinct, first = np.unique(keys[moved], return_index=True)
        sources = shuffles[moved][first]
        parts.append((column, distinct // width, sources))
        plan = np.broadcast_to(rows, shuffles.shape).copy()
        plan[moved] = n_scored + np.searchsorted(distinct, keys[moved])
        plans.append(plan)
        n_scored += len(distinct)
    outputs = _score_parts(X, parts, outputs_of)
    baseline = score_of(outputs[:n_rows])
    scores = [[score_of(outputs[plan[repeat]]) for repeat in range(n_repeats)] for plan in plans]
    return baseline, np.asarray(scores, dtype=float).reshape(n_features, n_repeats)


def shuffled_positions(n_rows: int, n_repeats: int, seed: int) -> np.ndarray:
    """``(n_repeats, n_rows)``: the positions each repeat's shuffled column takes its values from,
    as ``permutation_importance`` shuffles (one index array shuffled again for each repeat and
    applied to the column as already shuffled).

    Examples
    --------
    >>> shuffled_positions(4, 2, 0).shape
    (2, 4)
    """
    generator = np.random.RandomState(seed)
    order = np.arange(n_rows)
    positions = np.arange(n_rows)
    out = np.empty((n_repeats, n_rows), dtype=int)
    for repeat in range(n_repeats):
        generator.shuffle(order)
        positions = positions[order]
        out[repeat] = positions
    return out


def exact_codes(column: pd.Series) -> np.ndarray:
    """Integer codes of a column's values, equal only where the values are the same to the bit (and type).

    Floats are compared by their bits (``0.0`` and ``-0.0`` differ, every NaN of one pattern is
    one value), categories by their codes, other values by type and value.

    Examples
    --------
    >>> codes = exact_codes(pd.Series([1.5, 1.5, -0.0, 0.0]))
    >>> bool(codes[0] == codes[1]), bool(codes[2] == codes[3])
    (True, False)
    >>> exact_codes(pd.Series(["a", 1, True, "a"], dtype=object)).tolist()
    [0, 1, 2, 0]
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy().astype(int) + 1  # -1 (missing) becomes 0
    values = column.to_numpy()
    if values.dtype.kind in "biufcmM":
        return distinct_rows(values.reshape(-1, 1))[1]
    seen: dict = {}
    try:
        return np.array([seen.setdefault((type(v), v), len(seen)) for v in values], dtype=int)
    except TypeError:  # an unhashable value: every row its own value, nothing shared
        return np.arange(len(values))


def _score_parts(X, parts, outputs_of) -> np.ndarray:
    """The model's outputs for the rows ``parts`` describe, in their order, in blocks of at most
    about ``MAX_STACKED_ROWS`` rows. A part ``(column, row, source)`` is ``X``'s rows ``row`` with
    ``column``'s values taken from the rows ``source`` (``column`` None: ``X``'s rows as they are)."""
    blocks, block, size = [], [], 0
    for part in parts:
        if block and size + len(part[1]) > MAX_STACKED_ROWS:
            blocks.append(block)
            block, size = [], 0
        block.append(part)
        size += len(part[1])
    blocks.append(block)
    return np.concatenate([np.asarray(outputs_of(_stacked_rows(X, block))) for block in blocks])


def _stacked_rows(X, parts) -> pd.DataFrame:
    """One frame of the rows ``parts`` describe (see :func:`_score_parts`), every column's dtype kept."""
    rows = np.concatenate([part[1] for part in parts])
    stops = np.cumsum([len(part[1]) for part in parts])
    columns = {}
    for j, name in enumerate(X.columns):
        taken = rows.copy()
        for (column, _, sources), stop in zip(parts, stops):
            if column == j:
                taken[stop - len(sources):stop] = sources
        columns[name] = X.iloc[:, j].take(taken).reset_index(drop=True)
    return pd.DataFrame(columns)
