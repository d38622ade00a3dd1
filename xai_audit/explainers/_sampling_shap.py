"""Model-agnostic SHAP by antithetic permutation sampling, with the model called in large batches.

The estimator is shap's ``PermutationExplainer``'s: for each sampled order of the features and its
reverse, features are switched one by one from background values to the row's values, and each
switch's change in the (background-averaged) output is credited to that feature. The sum of a
row's values is exactly ``f(x) - mean f(background)``, so the values are additive whatever the
number of permutations. shap evaluates one row at a time; here the coalitions of many rows go to the
model in one call, which is what makes it usable on pipelines whose every call has a fixed cost.
"""

from __future__ import annotations

import numpy as np

MAX_BATCH_ROWS = 400_000  # model rows per call: bounds memory (the rows are built as a DataFrame)


def permutation_shap(model_output, X: np.ndarray, background: np.ndarray, columns: np.ndarray, *,
                     n_permutations: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values of ``model_output`` for the rows ``X`` against ``background``.

    Parameters
    ----------
    model_output : callable
        ``model_output(matrix) -> (m, K)``: the model's outputs for rows given as a float matrix.
    X : ndarray (n, F)
        The rows to explain (encoded as floats, see :class:`~xai_audit.explainers._tabular.CategoryCodec`).
    background : ndarray (B, F)
        Rows standing for "feature unknown".
    columns : ndarray (n,)
        The output column explained for each row.
    n_permutations : int
        Orders sampled per row; each is also used reversed (antithetic), so 2 * n_permutations walks.
    rng : numpy Generator

    Returns
    -------
    values : ndarray (n, F)
    base : ndarray (n,)
        ``mean f(background)`` in each row's column; ``values.sum(1) + base == f(x)``.

    Examples
    --------
    >>> f = lambda M: (2 * M[:, [0]] + M[:, [1]])
    >>> values, base = permutation_shap(f, np.array([[1.0, 1.0]]), np.zeros((1, 2)), np.array([0]),
    ...                                 n_permutations=1, rng=np.random.default_rng(0))
    >>> values.tolist(), base.tolist()
    ([[2.0, 1.0]], [0.0])
    """
    n, n_features = X.shape
    n_background = len(background)
    background_out = model_output(background).mean(axis=0)
    base = background_out[columns]
    values = np.zeros((n, n_features))
    if n_features == 0 or n == 0:
        return values, base
    if n_features == 1:  # one feature takes the whole difference: exact, no coalitions to sample
        values[:, 0] = model_output(X)[np.arange(n), columns] - base
        return values, base
    # every row: 2P walks of F-1 inner coalitions (the empty and the full one are shared)
    per_row = 2 * n_permutations * max(n_features - 1, 0) * n_background + 1
    rows_per_batch = max(1, MAX_BATCH_ROWS // per_row)
    for start in range(0, n, rows_per_batch):
        stop = min(n, start + rows_per_batch)
        values[start:stop] = _explain_batch(model_output, X[start:stop], background, columns[start:stop], base[start:stop],
                                            n_permutations=n_permutations, rng=rng)
    return values, base


def _explain_batch(model_output, X, background, columns, base, *, n_permutations, rng):
    n, n_features = X.shape
    n_background = len(background)
    orders = np.stack([rng.permutation(n_features) for _ in range(n * n_permutations)]).reshape(n, n_permutations, n_features)
    orders = np.concatenate([orders, orders[:, :, ::-1]], axis=1)  # antithetic: each order and its reverse
    n_walks = orders.shape[1]
    # masks[r, w, k, j]: feature j comes from the row after the first k+1 steps of walk w (k < F - 1)
    rank = np.empty_like(orders)
    np.put_along_axis(rank, orders, np.arange(n_features)[None, None, :], axis=2)
    steps = np.arange(n_features - 1)[None, None, :, None]
    masks = rank[:, :, None, :] <= steps  # (n, W, F-1, F)
    mixed = np.where(masks[:, :, :, None, :], X[:, None, None, None, :], background[None, None, None, :, :])
    outputs = model_output(mixed.reshape(-1, n_features))
    chosen = outputs.reshape(n, n_walks, n_features - 1, n_background, -1).mean(axis=3)
    inner = np.take_along_axis(chosen, columns[:, None, None, None], axis=3)[..., 0]  # (n, W, F-1)
    full = model_output(X)[np.arange(n), columns]
    curve = np.concatenate([np.broadcast_to(base[:, None, None], (n, n_walks, 1)), inner,
                            np.broadcast_to(full[:, None, None], (n, n_walks, 1))], axis=2)
    gains = np.diff(curve, axis=2)  # (n, W, F): the gain of the k-th step of each walk
    values = np.zeros((n, n_features))
    for walk in range(n_walks):
        np.add.at(values, (np.arange(n)[:, None], orders[:, walk, :]), gains[:, walk, :])
    return values / n_walks
