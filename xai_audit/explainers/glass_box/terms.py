"""The inputs an interpretable model actually sees: its terms, and how each maps back to a feature.

A bare estimator sees the data's features. A scikit-learn ``Pipeline`` whose last step is the
interpretable model sees the preprocessor's output (one-hot columns, scaled numbers), named by
``get_feature_names_out``; each such term is traced back to the original feature it came from and,
for a numeric feature passed through an affine step (a ``StandardScaler``), to the size of one of
its units in the feature's own units, measured from the fitted preprocessor itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# A term counts as an affine image of its feature when two probe steps give slopes this close.
AFFINE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Terms:
    """The interpretable model's input on some rows, and where each of its columns came from.

    Attributes
    ----------
    matrix : ndarray of shape (n_rows, n_terms)
        What the final estimator receives.
    names : tuple of str
        Its columns' names (the data's features for a bare estimator).
    features : tuple of str or None
        The original feature behind each term (None when the term cannot be traced).
    per_unit : tuple of float or None
        For a term that is an affine image of one numeric feature: how much the term moves when the
        feature rises by one of its own units (``1 / scale_`` behind a StandardScaler, 1 when passed
        through); None otherwise (one-hot columns, untraceable terms).
    offset : tuple of float or None
        For the same terms: the term's value where the feature is zero (term = offset + per_unit * feature).
    transformed : bool
        True when the terms are a preprocessor's output rather than the data's features.
    preprocessing : str
        A short description of the preprocessing steps ("" when none).
    """

    matrix: np.ndarray
    names: tuple
    features: tuple
    per_unit: tuple
    offset: tuple
    transformed: bool
    preprocessing: str


def model_terms(adapter, frame: pd.DataFrame, features) -> Terms:
    """The terms of ``adapter``'s final estimator on the rows of ``frame``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from xai_audit import load_model
    >>> df = pd.DataFrame({"x": [0.0, 2, 4, 6], "y": [0, 0, 1, 1]})
    >>> adapter = load_model(make_pipeline(StandardScaler(), LogisticRegression()).fit(df[["x"]], df["y"]))
    >>> terms = model_terms(adapter, df, ["x"])
    >>> terms.names, terms.features, round(terms.per_unit[0], 4), terms.transformed
    (('x',), ('x',), 0.4472, True)
    """
    X = frame.loc[:, list(features)]
    preprocessor = getattr(adapter, "preprocessor", None)
    if preprocessor is None:
        matrix = X.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        ones = tuple(1.0 for _ in features)
        return Terms(matrix, tuple(features), tuple(features), ones, tuple(0.0 for _ in features), False, "")
    matrix = _dense(preprocessor.transform(X))
    try:
        names = tuple(str(n) for n in preprocessor.get_feature_names_out())
    except Exception:  # a transformer that cannot name its output
        names = tuple(f"term_{i}" for i in range(matrix.shape[1]))
    owners = [None] * len(names)
    for group in adapter.column_groups() or []:
        for column in group.columns:
            owners[column] = group.feature
    per_unit, offset = _affine(preprocessor, X, owners)
    steps = ", ".join(f"{name} ({type(step).__name__})" for name, step in adapter.estimator.steps[:-1])
    return Terms(matrix, names, tuple(owners), per_unit, offset, True, steps)


def _dense(matrix) -> np.ndarray:
    return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix, dtype=float)


def _affine(preprocessor, X: pd.DataFrame, owners) -> tuple:
    """For each term, its change per unit of its numeric feature and its value at zero when the term is
    affine in the feature; else None for both.

    Probed on the first row: the feature is raised by 1 and by 10 and every term is re-read; a term
    counts only when it moves for its own feature alone, by the same amount per unit at both steps.
    """
    base_row = X.iloc[[0]].copy()
    base = _dense(preprocessor.transform(base_row))[0]
    result, offsets = [None] * len(owners), [None] * len(owners)
    for feature in X.columns:
        if not pd.api.types.is_numeric_dtype(X[feature]) or pd.isna(base_row[feature].iloc[0]):
            continue
        slopes = []
        for step in (1.0, 10.0):
            moved = base_row.copy()
            moved[feature] = float(moved[feature].iloc[0]) + step
            slopes.append((_dense(preprocessor.transform(moved))[0] - base) / step)
        for index, owner in enumerate(owners):
            if owner == feature and abs(slopes[0][index] - slopes[1][index]) <= AFFINE_TOLERANCE * max(
                    1.0, abs(slopes[0][index])) and slopes[0][index] != 0:
                result[index] = float(slopes[0][index])
                offsets[index] = float(base[index] - slopes[0][index] * float(base_row[feature].iloc[0]))
    return tuple(result), tuple(offsets)
