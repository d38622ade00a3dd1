"""Interventional Tree SHAP of a boosted binary classifier's probability, compiled with numba.

The values are those of shap's ``TreeExplainer(model, data=background, model_output="probability",
feature_perturbation="interventional")``, whose method is:

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
exact algorithm): per background row it is the margin's exact Shapley split, rescaled.

How it is computed here, without walking the trees per pair: a hybrid row (x on S, r elsewhere)
reaches a leaf exactly when, for each distinct feature of the leaf's path, x or r satisfies every
split on it; the walk above assigns a feature to x when only x satisfies them, to r when only r
does, and to neither when both do. So with A_x the set of the leaf's features x satisfies and A_r
the set r satisfies (bit sets found for every leaf by
:func:`xai_audit.explainers._fasttree.leaf_masks`), the pair reaches the leaf when A_x | A_r holds
all of the path's features, with A_x minus A_r following x and A_r minus A_x following r. The
background rows' sets are found once and grouped per leaf (rows with the same set meet x the same
way); each explained row then tests each group once per leaf and credits the groups it reaches,
weighted by their rows' rescaling factors. Rows are independent; ``explain_rows`` spreads them over
threads.

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

from xai_audit.exceptions import UnsupportedModelError

MASK_ENTRIES = 1 << 22  # the explained rows' leaf sets are found this many (rows x leaves) at a time (32 MB)


@dataclass(frozen=True)
class MarginTrees:
    """A shap ``TreeEnsemble`` of one output column, flattened for the kernel: the node arrays of
    :class:`~xai_audit.explainers._fasttree.FastTrees` (:mod:`~xai_audit.explainers._tree_paths`)
    and each leaf's distinct path features."""

    tree_start: np.ndarray
    node_depth: np.ndarray
    node_bit: np.ndarray
    node_is_left: np.ndarray
    node_feature: np.ndarray
    node_threshold: np.ndarray  # x <= threshold goes left
    node_default_left: np.ndarray  # a missing value goes left
    node_leaf: np.ndarray
    leaf_values: np.ndarray  # (L,) float64: the leaf values of the explained column (log-odds)
    leaf_p: np.ndarray  # (L,) distinct features on the leaf's path
    slot_start: np.ndarray  # (L + 1,): the leaf's distinct features are slots slot_start[l]:...
    slot_feature: np.ndarray
    base_offset: float  # the margin every tree adds to (XGBoost's base score, GradientBoosting's prior)
    max_depth: int
    input_dtype: str


def from_shap(ensemble, column: int = 0) -> MarginTrees:
    """Flatten a shap ``TreeEnsemble`` whose trees add up to a log-odds margin."""
    from xai_audit.explainers import _tree_paths

    values = np.asarray(ensemble.values, dtype=np.float64)
    values = values[:, :, column] if values.ndim == 3 else values
    offset = np.atleast_1d(np.asarray(ensemble.base_offset, dtype=np.float64))
    depth = int(ensemble.max_depth) + 1
    (tree_start, node_depth, node_bit, node_is_left, node_feature, node_threshold, node_default_left, node_leaf,
     leaf_tree, leaf_node, leaf_p, slot_start, slot_feature, _) = _tree_paths.flatten(
        ensemble, np.ones(1), depth)  # no cover: the interventional game needs none
    if len(leaf_p) and int(leaf_p.max()) > _tree_paths.MAX_DISTINCT:
        raise UnsupportedModelError(f"a leaf's path tests {int(leaf_p.max())} distinct features; the compiled "
                                    f"kernel takes at most {_tree_paths.MAX_DISTINCT}")
    return MarginTrees(
        tree_start=tree_start, node_depth=node_depth, node_bit=node_bit, node_is_left=node_is_left,
        node_feature=node_feature, node_threshold=node_threshold, node_default_left=node_default_left,
        node_leaf=node_leaf, leaf_values=np.ascontiguousarray(values[leaf_tree, leaf_node]), leaf_p=leaf_p,
        slot_start=slot_start, slot_feature=slot_feature,
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
        sigma(margin) of each row, the margin added up over the leaves each row reaches.
    """
    import numba

    from xai_audit.explainers import _fasttree

    jit = _compiled()
    X = np.ascontiguousarray(np.asarray(rows, dtype=trees.input_dtype), dtype=np.float64)
    R = np.ascontiguousarray(np.asarray(background, dtype=trees.input_dtype), dtype=np.float64)
    if len(R) == 0:
        raise ValueError("interventional Tree SHAP needs at least one background row")
    weights = pair_weights(trees.max_depth + 1)
    full = (np.int64(1) << trees.leaf_p) - 1
    phi = np.zeros(X.shape)
    previous = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        masks_r = _fasttree.leaf_masks(R, trees)
        margin_r = jit["margins"](masks_r, full, trees.leaf_values, trees.base_offset)
        groups = background_groups(masks_r)
        margin_x = np.zeros(len(X))
        step = max(1, MASK_ENTRIES // max(1, len(full)))
        for start in range(0, len(X), step):
            masks_x = _fasttree.leaf_masks(X[start:start + step], trees)
            margin_x[start:start + step] = jit["margins"](masks_x, full, trees.leaf_values, trees.base_offset)
            with numba.parallel_chunksize(1):
                jit["kernel"](masks_x, margin_x[start:start + step], margin_r, *groups, trees.leaf_values,
                              trees.leaf_p, trees.slot_start, trees.slot_feature, weights, phi[start:start + step])
    finally:
        numba.set_num_threads(previous)
    base = np.full(len(X), float(np.mean(1.0 / (1.0 + np.exp(-margin_r)))))
    return phi, base, 1.0 / (1.0 + np.exp(-margin_x))


def background_groups(masks: np.ndarray):
    """The background rows grouped, per leaf, by the set of the leaf's features they satisfy.

    Every row of a group meets an explained row the same way at that leaf, so the kernel tests
    and splits each group once. Returns ``leaf_group_start`` (the groups of leaf l are
    ``leaf_group_start[l]:leaf_group_start[l + 1]``), ``group_mask`` (the set), ``group_row_start``
    (the rows of group g are ``group_rows[group_row_start[g]:group_row_start[g + 1]]``) and
    ``group_rows``.
    """
    n_background, n_leaves = masks.shape
    order = np.argsort(masks.T, axis=1, kind="stable")  # (leaves, rows): each leaf's rows by their set
    ordered = np.take_along_axis(masks.T, order, axis=1)
    new = np.ones(ordered.shape, dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    starts = np.flatnonzero(new.ravel())
    leaf_group_start = np.searchsorted(starts // n_background, np.arange(n_leaves + 1))
    group_row_start = np.append(starts, ordered.size)
    return (leaf_group_start.astype(np.int64), ordered.ravel()[starts].copy(), group_row_start.astype(np.int64),
            order.ravel().astype(np.int64))


_JIT: dict = {}


def _compiled() -> dict:
    if not _JIT:
        import numba

        globals()["numba_prange"] = numba.prange
        options = dict(cache=True, nogil=True, error_model="numpy")
        _JIT["margins"] = numba.njit(**options)(_margins)
        _JIT["kernel"] = numba.njit(parallel=True, **options)(_kernel)
    return _JIT


# -- kernels (plain Python, compiled by numba) ----------------------------------------------------------


def _margins(masks, full, leaf_values, base_offset):
    """Each row's margin: the base plus the value of the one leaf per tree whose whole path it satisfies."""
    margin = np.full(masks.shape[0], base_offset)
    for i in range(masks.shape[0]):
        for leaf in range(masks.shape[1]):
            if masks[i, leaf] == full[leaf]:
                margin[i] += leaf_values[leaf]
    return margin


def _kernel(masks_x, margin_x, margin_r, leaf_group_start, group_mask, group_row_start, group_rows, leaf_values,
            leaf_p, slot_start, slot_feature, weights, phi):
    n_rows, n_leaves = masks_x.shape
    n_background = margin_r.shape[0]
    for i in numba_prange(n_rows):
        p_x = 1.0 / (1.0 + np.exp(-margin_x[i]))
        scale = np.empty(n_background)  # rescales the pair's log-odds credits to its probability difference
        for j in range(n_background):
            gap = margin_x[i] - margin_r[j]
            scale[j] = 1.0 if gap == 0.0 else (p_x - 1.0 / (1.0 + np.exp(-margin_r[j]))) / gap
        credit = np.zeros(weights.shape[0])
        for leaf in range(n_leaves):
            p = leaf_p[leaf]
            a = masks_x[i, leaf]
            need = ((np.int64(1) << p) - 1) & ~a  # the features r must satisfy for the pair to reach the leaf
            reached = False
            for g in range(leaf_group_start[leaf], leaf_group_start[leaf + 1]):
                b = group_mask[g]
                only_x = a & ~b
                only_r = b & ~a
                if b & need != need or (only_x == 0 and only_r == 0):
                    continue  # the pair misses the leaf, or reaches it with no feature parting x and r
                n_x = 0
                n_r = 0
                for s in range(p):
                    n_x += (only_x >> s) & 1
                    n_r += (only_r >> s) & 1
                total = 0.0
                for k in range(group_row_start[g], group_row_start[g + 1]):
                    total += scale[group_rows[k]]
                to_x = weights[n_x, n_r] * total
                to_r = -weights[n_r, n_x] * total
                for s in range(p):
                    if (only_x >> s) & 1:
                        credit[s] += to_x
                    elif (only_r >> s) & 1:
                        credit[s] += to_r
                reached = True
            if reached:
                first = slot_start[leaf]
                for s in range(p):
                    phi[i, slot_feature[first + s]] += leaf_values[leaf] * credit[s]
                    credit[s] = 0.0
        for k in range(phi.shape[1]):
            phi[i, k] /= n_background


def numba_prange(n):  # the kernel's loop over rows: numba.prange once compiled (see _compiled)
    return range(n)
