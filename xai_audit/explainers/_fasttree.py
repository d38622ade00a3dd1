"""Path-dependent Tree SHAP with per-leaf subset tables, compiled with numba.

The values are those of shap's ``TreeExplainer`` (``feature_perturbation="tree_path_dependent"``);
the trees come from shap's own conversion (``TreeExplainer(model).model``), so the split semantics
(``x <= threshold`` goes left, a missing value follows the default child) are shap's.

Why it is faster: for one leaf with value v whose path tests the distinct features P (p of them),
the Tree SHAP game is a product, u(S) = v * prod_{j in P} (o_j if j in S else z_j), where o_j says
whether the row satisfies every split on j along the path and z_j is the product of the cover
fractions of those splits. Its Shapley values depend on the row only through the set A of satisfied
features:

    i in A:     phi_i = v (1 - z_i) M(A minus i) R(A)
    i not in A: phi_i = -v M(A) R(A)

with R(A) = prod_{j not in A} z_j and M(B) = sum_k w(k, p) e_{|B| - k}(z_B), e the elementary
symmetric polynomials and w(k, p) = k! (p - k - 1)! / p!. M is tabulated once per leaf for all 2^p
subsets (leaves with p <= TABLE_BITS), so a row costs O(p) per leaf instead of O(p^2) (the idea of
Yang's Fast TreeSHAP v2, 2021). Leaves with more distinct features, and every leaf of an ensemble
whose tables would not stay in cache (measured slower: many deep trees), compute M for the row
directly in O(p^2), from the elementary symmetric polynomials of the satisfied features' z. Either
way each tree is walked once per row (all leaves, the satisfied set updated along the way), with no
per-node path bookkeeping as in shap's recursion. Rows are independent; ``explain_rows`` spreads
them over threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

TABLE_BITS = 11  # leaves testing at most this many distinct features get a 2^p table
TABLE_BUDGET = 1 << 20  # table entries in all (8 MB); a larger ensemble computes every leaf directly
CHUNK_ROWS = 32  # rows a thread takes at a time


@dataclass(frozen=True)
class FastTrees:
    """An ensemble flattened for the kernel (plain arrays: it pickles cheaply to workers)."""

    children_left: np.ndarray  # (T, N) int32, -1 at leaves
    children_right: np.ndarray  # (T, N) int32
    features: np.ndarray  # (T, N) int32
    thresholds: np.ndarray  # (T, N) float64
    default_left: np.ndarray  # (T, N) bool: a missing value goes left
    node_slot: np.ndarray  # (T, N) int32: which distinct feature of the path from the root the split tests
    node_leaf: np.ndarray  # (T, N) int64: the leaf number of a leaf node
    leaf_values: np.ndarray  # (L, K) float64
    leaf_p: np.ndarray  # (L,) int32: distinct features on the leaf's path
    slot_start: np.ndarray  # (L + 1,) int64: the leaf's distinct features are slots slot_start[l]:...
    slot_feature: np.ndarray  # the feature of each slot, in order of first appearance on the path
    slot_z: np.ndarray  # the product of the cover fractions of the path's splits on that feature
    slot_odds: np.ndarray  # (1 - z) / z
    table_offset: np.ndarray  # (L,) int64: -1 where the leaf has no table
    tables: np.ndarray  # M(B) R(B) for every subset B of every tabulated leaf's slots
    weights: np.ndarray  # (D + 1, D + 1): w[p, k] = k! (p - k - 1)! / p!
    n_features: int
    input_dtype: str  # what the model compares in: float32 (scikit-learn trees) or float64 (HGB)


def supported(ensemble) -> str | None:
    """None if the kernel reproduces shap's values for this shap ``TreeEnsemble``, else why not."""
    if np.any(np.asarray(ensemble.threshold_types)[np.asarray(ensemble.children_left) >= 0] != 0):  # -1 marks leaves
        return "categorical splits"
    if np.any(ensemble.node_sample_weight[ensemble.children_right >= 0] <= 0):
        return "nodes without training cover"
    return None


def from_shap(ensemble, n_features: int) -> FastTrees:
    """Flatten a shap ``TreeEnsemble`` (``shap.TreeExplainer(model).model``) for the kernel."""
    jit = _compiled()
    children_left = np.ascontiguousarray(ensemble.children_left, dtype=np.int32)
    children_right = np.ascontiguousarray(ensemble.children_right, dtype=np.int32)
    children_default = np.ascontiguousarray(ensemble.children_default, dtype=np.int32)
    features = np.ascontiguousarray(ensemble.features, dtype=np.int32)
    cover = np.ascontiguousarray(ensemble.node_sample_weight, dtype=np.float64)
    values = np.ascontiguousarray(ensemble.values, dtype=np.float64)
    num_nodes = np.ascontiguousarray(ensemble.num_nodes, dtype=np.int32)
    depth = int(ensemble.max_depth) + 1
    leaf_tree, leaf_node, leaf_p, slot_start, slot_feature, slot_z, node_slot, node_leaf = jit["leaf_paths"](
        children_left, children_right, features, cover, num_nodes, depth)
    sizes = np.where(leaf_p <= TABLE_BITS, np.left_shift(1, np.minimum(leaf_p, TABLE_BITS)), 0).astype(np.int64)
    if sizes.sum() > TABLE_BUDGET:  # measured: tables that leave the cache cost more than they save
        sizes[:] = 0
    table_offset = np.where(sizes > 0, np.concatenate([[0], np.cumsum(sizes)[:-1]]), -1).astype(np.int64)
    weights = shapley_weights(depth)
    tables = np.zeros(int(sizes.sum()))
    jit["build_tables"](leaf_p, slot_start, slot_z, table_offset, weights, tables)
    return FastTrees(children_left=children_left, children_right=children_right, features=features,
                     thresholds=np.ascontiguousarray(ensemble.thresholds, dtype=np.float64),
                     default_left=np.ascontiguousarray(children_default == children_left),
                     node_slot=node_slot, node_leaf=node_leaf,
                     leaf_values=np.ascontiguousarray(values[leaf_tree, leaf_node]), leaf_p=leaf_p,
                     slot_start=slot_start, slot_feature=slot_feature, slot_z=slot_z,
                     slot_odds=(1.0 - slot_z) / slot_z, table_offset=table_offset, tables=tables,
                     weights=weights, n_features=int(n_features),
                     input_dtype=np.dtype(getattr(ensemble, "input_dtype", np.float64)).name)


def shapley_weights(size: int) -> np.ndarray:
    """``w[p, k] = k! (p - k - 1)! / p!`` for 0 <= k < p <= size (zero elsewhere)."""
    weights = np.zeros((size + 1, size + 1))
    for p in range(1, size + 1):
        for k in range(p):
            weights[p, k] = factorial(k) * factorial(p - k - 1) / factorial(p)
    return weights


def explain_rows(rows: np.ndarray, trees: FastTrees, *, column=None, threads: int | None = None) -> np.ndarray:
    """SHAP values of ``rows``: (n_rows, n_features, K), or (n_rows, n_features, 1) for ``column``.

    Parameters
    ----------
    rows : array (n_rows, n_features)
        Rounded to the precision the model compares in (as shap does) before splits are evaluated.
    trees : FastTrees
    column : int or array of int, optional
        Only this output column (per row, if an array): the class being explained.
    threads : int, optional
        numba threads for this call (None: numba's default, every core).
    """
    import numba

    jit = _compiled()
    X = np.ascontiguousarray(np.asarray(rows, dtype=trees.input_dtype), dtype=np.float64)
    n_outputs = trees.leaf_values.shape[1]
    if column is None:
        columns = np.full(len(X), -1, dtype=np.int64)
    else:
        columns = np.broadcast_to(np.asarray(column, dtype=np.int64), (len(X),)).copy()
    phi = np.zeros((len(X), trees.n_features, n_outputs if column is None else 1))
    previous = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        # Small chunks handed out as threads free up: a core taken by another process then costs
        # only its share, instead of holding up an even split.
        with numba.parallel_chunksize(max(1, min(CHUNK_ROWS, len(X) // (4 * numba.get_num_threads()) or 1))):
            jit["tree_shap"](X, columns, trees.children_left, trees.children_right, trees.features, trees.thresholds,
                             trees.default_left, trees.node_slot, trees.node_leaf, trees.leaf_values, trees.leaf_p,
                             trees.slot_start, trees.slot_feature, trees.slot_z, trees.slot_odds, trees.table_offset,
                             trees.tables, trees.weights, phi)
    finally:
        numba.set_num_threads(previous)
    return phi


def explain_chunk(rows: np.ndarray, trees: FastTrees, column=None) -> np.ndarray:
    """One chunk in a worker process: single-threaded, the processes are the parallelism."""
    return explain_rows(rows, trees, column=column, threads=1)


_JIT: dict = {}


def _compiled() -> dict:
    """The numba kernels, compiled on first use (cached on disk by numba between runs)."""
    if not _JIT:
        import numba

        globals()["numba_prange"] = numba.prange  # resolved by numba when it compiles _tree_shap
        options = dict(cache=True, nogil=True, error_model="numpy")
        _JIT["leaf_paths"] = numba.njit(**options)(_leaf_paths)
        _JIT["build_tables"] = numba.njit(**options)(_build_tables)
        _JIT["tree_shap"] = numba.njit(parallel=True, **options)(_tree_shap)
    return _JIT


# -- kernels (plain Python, compiled by numba) ----------------------------------------------------------


def _leaf_paths(children_left, children_right, features, cover, num_nodes, depth):
    n_trees, max_nodes = children_left.shape
    n_leaves = 0
    for t in range(n_trees):
        for node in range(num_nodes[t]):
            if children_left[t, node] < 0:
                n_leaves += 1
    leaf_tree = np.empty(n_leaves, np.int64)
    leaf_node = np.empty(n_leaves, np.int64)
    leaf_p = np.zeros(n_leaves, np.int32)
    slot_start = np.zeros(n_leaves + 1, np.int64)
    capacity = n_leaves * min(depth, 8) + 8
    slot_feature = np.empty(capacity, np.int32)
    slot_z = np.empty(capacity)
    node_slot = np.full((n_trees, max_nodes), -1, np.int32)
    node_leaf = np.full((n_trees, max_nodes), -1, np.int64)
    stack_node = np.empty(depth + 2, np.int32)
    stack_depth = np.empty(depth + 2, np.int32)
    path = np.empty(depth + 1, np.int32)  # path[d]: the node at depth d on the current path
    path_features = np.empty(depth + 1, np.int32)  # the distinct features of the current path
    n_path_features = np.zeros(depth + 1, np.int32)  # how many of them the path to depth d has
    z = np.empty(depth + 1)
    leaf = 0
    used = 0
    for t in range(n_trees):
        top = 0
        stack_node[0] = 0
        stack_depth[0] = 0
        while top >= 0:
            node = stack_node[top]
            d = stack_depth[top]
            top -= 1
            path[d] = node
            known = n_path_features[d]  # distinct features on the path above this node
            if children_left[t, node] >= 0:
                feature = features[t, node]
                slot = -1
                for s in range(known):
                    if path_features[s] == feature:
                        slot = s
                if slot < 0:
                    slot = known
                    path_features[known] = feature
                    known += 1
                node_slot[t, node] = slot
                n_path_features[d + 1] = known
                top += 1
                stack_node[top] = children_right[t, node]
                stack_depth[top] = d + 1
                top += 1
                stack_node[top] = children_left[t, node]
                stack_depth[top] = d + 1
                continue
            p = known
            if used + p > capacity:
                capacity = 2 * (used + p)
                grown_feature = np.empty(capacity, np.int32)
                grown_feature[:used] = slot_feature[:used]
                slot_feature = grown_feature
                grown_z = np.empty(capacity)
                grown_z[:used] = slot_z[:used]
                slot_z = grown_z
            for s in range(p):
                z[s] = 1.0
            for j in range(d):
                parent = path[j]
                z[node_slot[t, parent]] *= cover[t, path[j + 1]] / cover[t, parent]
            for s in range(p):
                slot_feature[used + s] = path_features[s]
                slot_z[used + s] = z[s]
            leaf_tree[leaf] = t
            leaf_node[leaf] = node
            leaf_p[leaf] = p
            node_leaf[t, node] = leaf
            used += p
            slot_start[leaf + 1] = used
            leaf += 1
    return leaf_tree, leaf_node, leaf_p, slot_start, slot_feature[:used], slot_z[:used], node_slot, node_leaf


def _build_tables(leaf_p, slot_start, slot_z, table_offset, weights, tables):
    max_p = 0
    for leaf in range(leaf_p.shape[0]):
        if table_offset[leaf] >= 0 and leaf_p[leaf] > max_p:
            max_p = leaf_p[leaf]
    poly = np.zeros(((1 << max_p), max_p + 1))  # e_m(z_B) for every subset B
    size = np.zeros(1 << max_p, np.int64)
    product = np.ones(1 << max_p)  # prod_{j in B} z_j
    for leaf in range(leaf_p.shape[0]):
        offset = table_offset[leaf]
        if offset < 0:
            continue
        p = leaf_p[leaf]
        first = slot_start[leaf]
        full = (1 << p) - 1
        poly[0, 0] = 1.0
        size[0] = 0
        product[0] = 1.0
        for subset in range(1, 1 << p):
            high = 0
            while (subset >> (high + 1)) > 0:
                high += 1
            rest = subset ^ (1 << high)
            z = slot_z[first + high]
            m_rest = size[rest]
            poly[subset, 0] = 1.0
            for m in range(1, m_rest + 1):
                poly[subset, m] = poly[rest, m] + z * poly[rest, m - 1]
            poly[subset, m_rest + 1] = z * poly[rest, m_rest]
            size[subset] = m_rest + 1
            product[subset] = product[rest] * z
        for subset in range(1 << p):
            count = size[subset]
            total = 0.0
            for k in range(count + 1):
                total += weights[p, k] * poly[subset, count - k]
            tables[offset + subset] = total * product[full ^ subset]


def _tree_shap(X, columns, children_left, children_right, features, thresholds, default_left, node_slot,
               node_leaf, leaf_values, leaf_p, slot_start, slot_feature, slot_z, slot_odds, table_offset,
               tables, weights, phi):
    n_rows = X.shape[0]
    n_trees = children_left.shape[0]
    n_out = leaf_values.shape[1]
    depth = weights.shape[0]
    for i in numba_prange(n_rows):
        stack_node = np.empty(depth + 2, np.int64)
        stack_off = np.empty(depth + 2, np.int64)  # bits of the path's features the row does not satisfy
        poly = np.empty(depth + 2)
        reduced = np.empty(depth + 2)
        column = columns[i]
        for t in range(n_trees):
            top = 0
            stack_node[0] = 0
            stack_off[0] = 0
            while top >= 0:
                node = stack_node[top]
                off = stack_off[top]
                top -= 1
                left = children_left[t, node]
                if left >= 0:
                    bit = np.int64(1) << node_slot[t, node]
                    value = X[i, features[t, node]]
                    if np.isnan(value):
                        goes_left = default_left[t, node]
                    else:
                        goes_left = value <= thresholds[t, node]
                    top += 1
                    stack_node[top] = children_right[t, node]
                    stack_off[top] = off | bit if goes_left else off
                    top += 1
                    stack_node[top] = left
                    stack_off[top] = off if goes_left else off | bit
                    continue
                leaf = node_leaf[t, node]
                p = leaf_p[leaf]
                if p == 0:
                    continue
                first = slot_start[leaf]
                mask = ((np.int64(1) << p) - 1) & ~off
                offset = table_offset[leaf]
                if offset >= 0:
                    m_all = tables[offset + mask]
                    for s in range(p):
                        if (mask >> s) & 1:
                            c = slot_odds[first + s] * tables[offset + (mask ^ (np.int64(1) << s))]
                        else:
                            c = -m_all
                        feature = slot_feature[first + s]
                        if column >= 0:
                            phi[i, feature, 0] += leaf_values[leaf, column] * c
                        else:
                            for k in range(n_out):
                                phi[i, feature, k] += leaf_values[leaf, k] * c
                    continue
                # no table: elementary symmetric polynomials of the satisfied z, then each one removed
                unsatisfied = 1.0
                count = 0
                poly[0] = 1.0
                for s in range(p):
                    z = slot_z[first + s]
                    if (mask >> s) & 1:
                        poly[count + 1] = z * poly[count]
                        for m in range(count, 0, -1):
                            poly[m] += z * poly[m - 1]
                        count += 1
                    else:
                        unsatisfied *= z
                m_all = 0.0
                if count < p:
                    for k in range(count + 1):
                        m_all += weights[p, k] * poly[count - k]
                for s in range(p):
                    if (mask >> s) & 1:
                        z = slot_z[first + s]
                        reduced[0] = 1.0
                        for m in range(1, count):
                            reduced[m] = poly[m] - z * reduced[m - 1]
                        m_without = 0.0
                        for k in range(count):
                            m_without += weights[p, k] * reduced[count - 1 - k]
                        c = (1.0 - z) * m_without * unsatisfied
                    else:
                        c = -m_all * unsatisfied
                    feature = slot_feature[first + s]
                    if column >= 0:
                        phi[i, feature, 0] += leaf_values[leaf, column] * c
                    else:
                        for k in range(n_out):
                            phi[i, feature, k] += leaf_values[leaf, k] * c


def numba_prange(n):  # the kernel's loop over rows: numba.prange once compiled (see _compiled)
    return range(n)
