"""Partial dependence and ICE curves, through the adapter on the original features (any model).

For a feature, every sampled row is copied once per grid value with that feature set to the value;
all copies go to the model in one call. ICE: each row's output along the grid; partial dependence:
their mean. Numeric grids are percentiles of the data (5th to 95th), categorical ones its most
frequent categories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xai_audit.explainers._tabular import explained_class, output_matrix, output_space, select_rows


def partial_dependence(adapter, data, features, feature: str, *, rows=500, grid_size=20, ice_rows=20,
                       random_state=None) -> dict:
    """Partial dependence and ICE of one original feature.

    Parameters
    ----------
    adapter : ModelAdapter
    data : AuditDataset
    features : list of str
        The model's input columns.
    feature : str
        The feature to vary.
    rows : int or list of int
        Rows averaged (a seeded sample of that many, or those positions).
    grid_size : int
        Grid values at most.
    ice_rows : int
        ICE curves returned (the first of the sampled rows).
    random_state : int, optional

    Returns
    -------
    dict
        ``{"kind", "grid", "average", "ice", "ice_rows", "n_rows", "output_space"}`` with plain lists.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> df = pd.DataFrame({"a": np.arange(20.0), "y": 2 * np.arange(20.0)})
    >>> model = load_model(LinearRegression().fit(df[["a"]], df["y"]))
    >>> curve = partial_dependence(model, AuditDataset.from_frame(df, target="y"), ["a"], "a", grid_size=3)
    >>> [round(v, 6) for v in curve["average"]] == [round(2 * g, 6) for g in curve["grid"]]
    True
    """
    positions, _ = select_rows(data.n_rows, rows, random_state=random_state)
    X = data.frame.iloc[positions].loc[:, list(features)].reset_index(drop=True)
    column = data.frame[feature]
    categorical = data.feature_kinds.get(feature) == "categorical" or not pd.api.types.is_numeric_dtype(column)
    grid = _categorical_grid(column, grid_size) if categorical else _numeric_grid(column, grid_size)
    if not grid:
        return {"kind": "categorical" if categorical else "numeric", "grid": [], "average": [], "ice": [],
                "ice_rows": [], "n_rows": int(len(X)), "output_space": output_space(adapter)}
    classes = explained_class(adapter, X)
    repeated = X.loc[np.repeat(np.arange(len(X)), len(grid))].reset_index(drop=True)
    repeated[feature] = pd.Series(list(grid) * len(X), dtype=column.dtype if categorical else float)
    outputs = output_matrix(adapter, repeated).reshape(len(X), len(grid), -1)
    curves = np.take_along_axis(outputs, classes[:, None, None], axis=2)[:, :, 0]
    return {
        "kind": "categorical" if categorical else "numeric",
        "grid": [_plain(v) for v in grid],
        "average": curves.mean(axis=0).tolist(),
        "ice": curves[:ice_rows].tolist(),
        "ice_rows": positions[:ice_rows].tolist(),
        "n_rows": int(len(X)),
        "output_space": output_space(adapter),
    }


def _numeric_grid(column: pd.Series, size: int) -> list:
    values = column.dropna().to_numpy(dtype=float)
    if len(values) == 0:
        return []
    grid = np.unique(np.percentile(values, np.linspace(5, 95, size)))
    distinct = np.unique(values)
    return (distinct if len(distinct) <= size else grid).tolist()


def _categorical_grid(column: pd.Series, size: int) -> list:
    return column.dropna().value_counts().index[:size].tolist()


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
