"""Interventional Tree SHAP of a boosted binary classifier's probability, compiled with numba.

The values are those of shap's ``TreeExplainer(model, data=background, model_output="probability",
feature_perturbation="interventional")``, computed the same way:

- for one explained row x and one background row r, the game is v(S) = f(x on S, r elsewhere) for
  the model's margin (log-odds) f; its Shapley values are exact and found in one walk per tree
  (Lundberg et al. 2020, "independent" Tree SHAP): where x and r take the same branch no feature is
  involved; where they part, the feature joins the set that follows x or the set that follows r;
  a leaf reached with a features following x and b following r adds its value times
  (a - 1)! b! / (a + b)! to each of the first and minus a! (b - 1)! / (a + b)! to each of the
  second;
- the margin attributions of the pair are then scaled by
  (sigma(f(x)) - sigma(f(r))) / (f(x) - f(r)) (1 when the margins are equal), so that they add up to
  the probability difference sigma(f(x)) - sigma(f(r)); sigma is the logistic function;
- the values of x are the mean over the background rows, and the base value is the mean background
  probability. They add up exactly to the predicted probability sigma(f(x)).

This is shap's method, not the Shapley value of the probability game itself (which has no fast
exact algorithm): per background row it is the margin's exact Shapley split, rescaled. The cost is
rows x background rows x trees walks, each visiting the nodes where x and r part; ``explain_rows``
spreads the rows over threads.

One difference from shap's C++ code, on purpose: shap compares the row with the thresholds rounded
to float32 while it computes the margins with the thresholds as stored; here both use the stored
thresholds (with the row rounded to the precision the model compares in, as shap does), so the
values always add up to the model's own probability. The two can differ only for a value lying
between a threshold and its float32 rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

CHUNK_ROWS = 4  # rows a thread takes at a time (each row costs background x trees walks)


@dataclass(frozen=True)
class MarginTrees:
    """A shap ``TreeEnsemble`` of one output column, flattened for the kernel."""

    children_left: np.ndarray  # (T, N) int64, -1 at leaves
    children_right: np.ndarray
    children_default: np.ndarray  # where a missing value goes
    features: np.ndarray  # (T, N) int64
    thresholds: np.ndarray  # (T, N) float64; x <= threshold goes left
    values: np.ndarray  # (T, N) float64: the leaf values of the explained column (log-odds)
    base_offset: float  # the margin every tree adds to (XGBoost's base score, GradientBoosting's prior)
    max_depth: int
    input_dtype: str


def from_shap(ensemble, column: int = 0) -> MarginTrees:
    """Flatten a shap ``TreeEnsemble`` whose trees add up to a log-odds margin."""
    values = np.asarray(ensemble.values, dtype=np.float64)
    values = values[:, :, column] if values.ndim == 3 else values
    offset = np.atleast_1d(np.asarray(ensemble.base_offset, dtype=np.float64))
    return MarginTrees(
        children_left=np.ascontiguousarray(ensemble.children_left, dtype=np.int64),
        children_right=np.ascontiguousarray(ensemble.children_right, dtype=np.int64),
        children_default=np.ascontiguousarray(ensemble.children_default, dtype=np.int64),
        features=np.ascontiguousarray(ensemble.features, dtype=np.int64),
        thresholds=np.ascontiguousarray(ensemble.thresholds, dtype=np.float64),
        values=np.ascontiguousarray(values),
        base_offset=float(offset[column] if len(offset) > column else offset[0]),
        max_depth=int(ensemble.max_depth),
        input_dtype=np.dtype(getattr(ensemble, "input_dtype", np.float64)).name,
    )


def pair_weights(size: int) -> np.ndarray:
    """``w[a, b] = (a - 1)! b! / (a + b)!`` for 1 <= a and a + b <= size (zero elsewhere).

    Examples
    --------
    >>> w = pair_weights(3)
    >>> float(w[1, 0]), float(w[2, 0]), float(w[1, 1])
    (1.0, 0.5, 0.5)
    """
    weights = np.zeros((size + 1, size + 1))
    for a in range(1, size + 1):
        for b in range(size + 1 - a):
            weights[a, b] = factorial(a - 1) * factorial(b) / factorial(a + b)
    return weights


def explain_rows(rows: np.ndarray, background: np.ndarray, trees: MarginTrees, *,
                 threads: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Probability-space interventional SHAP values of ``rows`` against ``background``.

    Returns
    -------
    values : (n_rows, n_features)
        The attributions; they add up to ``probability - base``.
    base : (n_rows,)
        The mean probability of the background rows (the same for every row).
    probability : (n_rows,)
        sigma(margin) of each row, the margin added up along the same walks.
    """
    import numba

    kernel = _compiled()
    X = np.ascontiguousarray(np.asarray(rows, dtype=trees.input_dtype), dtype=np.float64)
    R = np.ascontiguousarray(np.asarray(background, dtype=trees.input_dtype), dtype=np.float64)
    if len(R) == 0:
        raise ValueError("interventional Tree SHAP needs at least one background row")
    depth = trees.max_depth + 3
    weights = pair_weights(depth + 1)
    phi = np.zeros(X.shape)
    base = np.zeros(len(X))
    probability = np.zeros(len(X))
    previous = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        with numba.parallel_chunksize(CHUNK_ROWS):
            kernel(X, R, trees.children_left, trees.children_right, trees.children_default, trees.features,
                   trees.thresholds, trees.values, trees.base_offset, depth, weights, phi, base, probability)
    finally:
        numba.set_num_threads(previous)
    return phi, base, probability


_JIT: dict = {}


def _compiled():
    if not _JIT:
        import numba

        globals()["numba_prange"] = numba.prange
        _JIT["kernel"] = numba.njit(parallel=True, cache=True, nogil=True, error_model="numpy")(_kernel)
    return _JIT["kernel"]


def _kernel(X, R, children_left, children_right, children_default, features, thresholds, values, base_offset,
            depth, weights, phi, base, probability):
    n_rows, n_features = X.shape
    n_background = R.shape[0]
    n_trees = children_left.shape[0]
    size = 2 * depth + 2
    for i in numba_prange(n_rows):
        state = np.zeros(n_features, np.int8)  # 0: the feature has not parted x and r; 1: follows x; 2: follows r
        set_at = np.full(depth + 1, -1, np.int64)  # the feature assigned when the node at this depth was entered
        stack_node = np.empty(size, np.int64)
        stack_depth = np.empty(size, np.int64)
        stack_feature = np.empty(size, np.int64)
        stack_mode = np.empty(size, np.int8)
        pair = np.zeros(n_features)
        total_base = 0.0
        margin_x = base_offset
        for j in range(n_background):
            pair[:] = 0.0
            margin_x = base_offset
            margin_r = base_offset
            for t in range(n_trees):
                for d in range(depth + 1):
                    set_at[d] = -1
                state[:] = 0
                n_x = 0
                n_r = 0
                top = 1
                stack_node[0] = 0
                stack_depth[0] = 0
                stack_feature[0] = -1
                stack_mode[0] = 0
                while top > 0:
                    top -= 1
                    node = stack_node[top]
                    d = stack_depth[top]
                    for dd in range(d, depth + 1):  # leave the branches walked before this one
                        g = set_at[dd]
                        if g >= 0:
                            if state[g] == 1:
                                n_x -= 1
                            else:
                                n_r -= 1
                            state[g] = 0
                            set_at[dd] = -1
                    g = stack_feature[top]
                    if g >= 0:
                        state[g] = stack_mode[top]
                        set_at[d] = g
                        if stack_mode[top] == 1:
                            n_x += 1
                        else:
                            n_r += 1
                    left = children_left[t, node]
                    if left < 0:
                        v = values[t, node]
                        if n_r == 0:
                            margin_x += v
                        if n_x == 0:
                            margin_r += v
                        if n_x + n_r > 0:
                            credit_x = v * weights[n_x, n_r] if n_x > 0 else 0.0
                            credit_r = -v * weights[n_r, n_x] if n_r > 0 else 0.0
                            for dd in range(d + 1):
                                g = set_at[dd]
                                if g >= 0:
                                    pair[g] += credit_x if state[g] == 1 else credit_r
                        continue
                    f = features[t, node]
                    threshold = thresholds[t, node]
                    value = X[i, f]
                    if np.isnan(value):
                        x_child = children_default[t, node]
                    else:
                        x_child = left if value <= threshold else children_right[t, node]
                    value = R[j, f]
                    if np.isnan(value):
                        r_child = children_default[t, node]
                    else:
                        r_child = left if value <= threshold else children_right[t, node]
                    if x_child == r_child or state[f] != 0:
                        follow = x_child if x_child == r_child or state[f] == 1 else r_child
                        stack_node[top] = follow
                        stack_depth[top] = d + 1
                        stack_feature[top] = -1
                        top += 1
                        continue
                    stack_node[top] = r_child
                    stack_depth[top] = d + 1
                    stack_feature[top] = f
                    stack_mode[top] = 2
                    top += 1
                    stack_node[top] = x_child
                    stack_depth[top] = d + 1
                    stack_feature[top] = f
                    stack_mode[top] = 1
                    top += 1
            p_x = 1.0 / (1.0 + np.exp(-margin_x))
            p_r = 1.0 / (1.0 + np.exp(-margin_r))
            scale = 1.0 if margin_x == margin_r else (p_x - p_r) / (margin_x - margin_r)
            for k in range(n_features):
                phi[i, k] += pair[k] * scale
            total_base += p_r
        for k in range(n_features):
            phi[i, k] /= n_background
        base[i] = total_base / n_background
        probability[i] = 1.0 / (1.0 + np.exp(-margin_x))


def numba_prange(n):  # the kernel's loop over rows: numba.prange once compiled (see _compiled)
    return range(n)
