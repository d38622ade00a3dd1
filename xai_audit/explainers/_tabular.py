"""Helpers every tabular explainer shares: which rows, which output, which columns belong together.

- :func:`select_rows`: an int (a seeded sample), a list of positions, or None, as positions.
- :func:`output_matrix` / :func:`explained_class`: the model's outputs as columns, and which column
  each row's explanation is about (the positive class, the predicted class, or the value).
- :class:`CategoryCodec`: original features <-> a float matrix (categories as codes), for
  explainers that perturb rows numerically (sampling SHAP, LIME) and must still call the model with
  the original categories.
- :func:`group_matrix`: encoded model-input columns -> original features (one-hot columns summed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xai_audit.exceptions import InvalidInputError, UnsupportedModelError


def select_rows(n_total: int, rows=None, *, random_state=None, limit: int | None = None) -> tuple[np.ndarray, bool]:
    """Positions of the rows to explain, and whether they are a sample of the data.

    Parameters
    ----------
    n_total : int
        Rows in the data.
    rows : None, int or sequence of int
        None: every row (or a seeded sample of ``limit`` rows); an int: a seeded sample of that
        many rows; a sequence: those positions, in the order given.
    random_state : int, optional
    limit : int, optional
        The most rows this explainer takes when ``rows`` is None or a larger int.

    Examples
    --------
    >>> select_rows(5, [3, 1])
    (array([3, 1]), True)
    >>> positions, sampled = select_rows(100, 10, random_state=0)
    >>> len(positions), sampled
    (10, True)
    """
    if rows is None or isinstance(rows, (int, np.integer)):
        if isinstance(rows, bool) or (rows is not None and rows < 1):
            raise InvalidInputError(f"rows must be a positive number of rows or a list of positions; got {rows!r}.")
        wanted = n_total if rows is None else int(rows)
        if limit is not None:
            wanted = min(wanted, int(limit))
        if wanted >= n_total:
            return np.arange(n_total), False
        rng = np.random.default_rng(random_state)
        return np.sort(rng.choice(n_total, size=wanted, replace=False)), True
    positions = np.asarray(list(rows))
    if positions.ndim != 1 or positions.size == 0 or not np.issubdtype(positions.dtype, np.integer):
        raise InvalidInputError(f"rows must be a positive number of rows or a non-empty list of integer positions; got {rows!r}.")
    bad = positions[(positions < 0) | (positions >= n_total)]
    if bad.size:
        raise InvalidInputError(f"rows {bad[:10].tolist()} are outside the data's {n_total} rows (positions 0 to {n_total - 1}).")
    return positions.astype(int), positions.size < n_total


def output_space(adapter) -> str:
    """``"probability"`` for classifiers, ``"value"`` for regression: what ``adapter.output`` holds."""
    return "value" if adapter.task == "regression" else "probability"


def output_matrix(adapter, X) -> np.ndarray:
    """The model's outputs as an (n_rows, K) matrix: the positive-class probability (K=1) for binary
    models, the value (K=1) for regression, every class probability (K=n_classes) for multiclass."""
    if adapter.task == "regression":
        return adapter.predict(X).astype(float)[:, None]
    proba = adapter.predict_proba(X)
    if adapter.task == "binary":
        return proba[:, [adapter.positive_index]]
    return proba


def explained_class(adapter, X) -> np.ndarray:
    """The output column each row's explanation is about: 0 where K=1, else the predicted class."""
    if adapter.task != "multiclass":
        return np.zeros(len(X), dtype=int)
    return adapter.predict_proba(X).argmax(axis=1)


def pick(matrix: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``matrix[i, columns[i]]`` for every row i of an (n, K) matrix."""
    return matrix[np.arange(len(matrix)), columns]


def explainable_table_model(adapter) -> bool:
    """Whether a model-agnostic tabular explainer applies: a tabular model (not a predictions column)
    with an output to explain (a regression value or class probabilities)."""
    return (adapter.input_kind == "tabular" and adapter.framework != "predictions"
            and (adapter.task == "regression" or adapter.has_proba))


def require_table_model(adapter, method: str) -> None:
    """Raise, naming the problem, unless :func:`explainable_table_model` holds for ``adapter``."""
    require_outputs(adapter, method)
    if adapter.input_kind != "tabular":
        raise UnsupportedModelError(
            f"The explainer '{method}' explains tabular models; '{adapter.name}' takes {adapter.input_kind} input.")


def require_outputs(adapter, method: str) -> None:
    """Raise if the adapter has nothing an explainer can explain (labels only, or no model)."""
    if adapter.framework == "predictions":
        raise UnsupportedModelError(
            f"The explainer '{method}' needs a model to query; a predictions column cannot be explained. "
            "Pass the model itself to explain its decisions."
        )
    if adapter.task != "regression" and not adapter.has_proba:
        raise UnsupportedModelError(
            f"The explainer '{method}' explains class probabilities, and the model '{adapter.name}' gives "
            "none (no predict_proba). Use a classifier with probabilities, or calibrate it "
            "(sklearn.calibration.CalibratedClassifierCV)."
        )


class CategoryCodec:
    """Original features as a float matrix, categorical features as integer codes, and back.

    Parameters
    ----------
    frame : DataFrame
        Rows whose values define the categories (all of them should appear here).
    features : sequence of str
    kinds : dict
        ``"numeric"`` or ``"categorical"`` per feature (``AuditDataset.feature_kinds``).

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [1.5, 2.0], "colour": ["red", "blue"]})
    >>> codec = CategoryCodec(frame, ["x", "colour"], {"x": "numeric", "colour": "categorical"})
    >>> codec.encode(frame)
    array([[1.5, 1. ],
           [2. , 0. ]])
    >>> codec.decode(codec.encode(frame))["colour"].tolist()
    ['red', 'blue']
    """

    def __init__(self, frame: pd.DataFrame, features, kinds: dict):
        self.features = list(features)
        self.categorical = [f for f in self.features
                            if kinds.get(f) == "categorical" or not _is_numeric(frame[f])]
        self.categories = {}
        self.dtypes = {f: frame[f].dtype for f in self.features}
        for name in self.categorical:
            column = frame[name]
            if isinstance(column.dtype, pd.CategoricalDtype):
                self.categories[name] = column.cat.categories
            else:
                self.categories[name] = pd.Index(pd.unique(column.dropna())).sort_values()

    def is_categorical(self, name) -> bool:
        return name in self.categories

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Floats: numeric values as they are, categories as codes (NaN where missing or unseen)."""
        out = np.empty((len(frame), len(self.features)), dtype=float)
        for j, name in enumerate(self.features):
            column = frame[name]
            if name in self.categories:
                codes = self.categories[name].get_indexer(column.astype(object))
                out[:, j] = np.where(codes < 0, np.nan, codes)
            else:
                out[:, j] = column.to_numpy(dtype=float, na_value=np.nan)
        return out

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        """A DataFrame the model takes: categories restored, numeric columns back to their dtype
        where the values allow (integers stay integers unless a sample made them fractional)."""
        columns = {}
        for j, name in enumerate(self.features):
            values = matrix[:, j]
            if name in self.categories:
                categories = self.categories[name]
                missing = np.isnan(values)
                codes = np.where(missing, 0, values).astype(int)
                if isinstance(self.dtypes[name], pd.CategoricalDtype):
                    columns[name] = pd.Categorical.from_codes(np.where(missing, -1, codes), dtype=self.dtypes[name])
                else:
                    decoded = categories.take(codes).to_numpy(dtype=object)
                    decoded[missing] = None
                    columns[name] = _restore(decoded, self.dtypes[name])
            else:
                columns[name] = _restore_numeric(values, self.dtypes[name])
        return pd.DataFrame(columns)


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _restore(values: np.ndarray, dtype):
    try:
        return pd.array(values, dtype=dtype) if not pd.api.types.is_object_dtype(dtype) else values
    except (TypeError, ValueError):
        return values


def _restore_numeric(values: np.ndarray, dtype):
    if pd.api.types.is_integer_dtype(dtype) and np.all(np.isfinite(values)) and np.all(values == np.round(values)):
        return values.astype(dtype)
    return values


def group_matrix(adapter, features, n_encoded: int) -> np.ndarray | None:
    """An (n_encoded, n_features) 0/1 matrix mapping model-input columns to original features.

    None when the adapter has no preprocessor (the identity is implied) or its encoded columns
    cannot be traced back to the features (then additive attributions cannot be summed safely).
    """
    if adapter.preprocessor is None:
        return None
    groups = adapter.column_groups()
    if groups is None:
        return None
    index = {name: j for j, name in enumerate(features)}
    matrix = np.zeros((n_encoded, len(features)))
    for group in groups:
        if group.feature not in index:
            return None
        for column in group.columns:
            if column >= n_encoded:
                return None
            matrix[column, index[group.feature]] = 1.0
    if not np.all(matrix.sum(axis=1) == 1):
        return None
    return matrix


def distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)``: where the first of each distinct row of ``matrix`` is, and which distinct
    row each row is, so that ``matrix[first][inverse]`` equals ``matrix``.

    Rows are the same when their bytes are (``0.0`` and ``-0.0`` differ, a NaN equals itself), so a
    model scores ``matrix[first]`` and gives every row exactly the output it would have had.

    Examples
    --------
    >>> first, inverse = distinct_rows(np.array([[1.0, np.nan], [2.0, 0.0], [1.0, np.nan], [2.0, -0.0]]))
    >>> len(first), inverse.tolist() == [inverse[0], inverse[1], inverse[0], inverse[3]], len(set(inverse.tolist()))
    (3, True, 3)
    """
    matrix = np.ascontiguousarray(matrix)
    if matrix.ndim != 2 or len(matrix) == 0:
        return np.arange(len(matrix)), np.arange(len(matrix))
    keys = matrix.view(f"V{matrix.dtype.itemsize * matrix.shape[1]}").reshape(-1)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def dense(matrix) -> np.ndarray:
    """A dense float64 array from a sparse matrix, a DataFrame or an array."""
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    return np.asarray(matrix, dtype=float)


def background_positions(n_total: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """A seeded sample of ``size`` row positions (all rows when there are fewer)."""
    if size >= n_total:
        return np.arange(n_total)
    return np.sort(rng.choice(n_total, size=int(size), replace=False))
