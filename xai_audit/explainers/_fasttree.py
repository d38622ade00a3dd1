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
symmetric polynomials and w(k, p) = k! (p - k - 1)! / p!. M(B) R(B) is tabulated once per leaf for
all 2^p subsets (leaves with p <= TABLE_BITS, within a per-tree and a total budget), so a row costs
O(p) per leaf instead of O(p^2) (the idea of Yang's Fast TreeSHAP v2, 2021); both cases read one
entry, at A without i. Other leaves compute M for the row directly in O(p^2), from the elementary
symmetric polynomials of the satisfied features' z.

How the rows are walked (trees laid out by :mod:`~xai_audit.explainers._tree_paths`): a block of
BLOCK_ROWS rows goes through one tree at a time, its nodes in preorder (a node's left subtree, then
its right one). At each split the block's rows are compared with the threshold once (a mask per
row: all ones where the row goes left); each child derives its rows' "unsatisfied" bit sets (the
path's distinct features a row fails, bit s for slot s) from its parent's, so a leaf finds every
row's A with one operation per row. The inner loops run over the rows of the block on contiguous
arrays (the block's values are transposed to one line per feature), and the tree's tables stay in
cache while the whole block uses them. Blocks are independent; ``explain_rows`` spreads them over
threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

from xai_audit.explainers import _tree_paths

TABLE_BITS = 11  # leaves testing at most this many distinct features may get a 2^p table
TREE_TABLE_BUDGET = 1 << 17  # entries per tree (1 MB, a core's L2 cache): a block reads one tree's tables at a time
TABLE_BUDGET = 1 << 23  # entries in all (64 MB); trees past it compute their leaves directly
BLOCK_ROWS = 256  # rows that go through a tree together (measured: 64 takes 1.5x the time, 1024 the same)
BLOCK_ENTRIES = 1 << 14  # at most this many accumulated values per block (outputs x features x rows; 128 KB)


@dataclass(frozen=True)
class FastTrees:
    """An ensemble flattened for the kernel (plain arrays: it pickles cheaply to workers).

    Nodes are in preorder, tree after tree; leaves are numbered in the same order, so one tree's
    leaves, slots and tables are contiguous.
    """

    tree_start: np.ndarray  # (T + 1,) int64: the nodes of tree t are tree_start[t]:tree_start[t + 1]
    node_depth: np.ndarray  # (n,) int64: 0 at the root
    node_bit: np.ndarray  # (n,) int64: 1 << the slot of the parent's split feature (0 at the root)
    node_is_left: np.ndarray  # (n,) bool: the node is its parent's left child
    node_feature: np.ndarray  # (n,) int64: the split feature, -1 at leaves
    node_threshold: np.ndarray  # (n,) float64: x <= threshold goes left
    node_default_left: np.ndarray  # (n,) bool: a missing value goes left
    node_leaf: np.ndarray  # (n,) int64: the leaf number of a leaf node, -1 elsewhere
    leaf_values: np.ndarray  # (L, K) float64
    leaf_p: np.ndarray  # (L,) int64: distinct features on the leaf's path
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
    if int(ensemble.max_depth) > _tree_paths.MAX_DISTINCT:
        return f"trees deeper than {_tree_paths.MAX_DISTINCT} splits"
    return None


def from_shap(ensemble, n_features: int) -> FastTrees:
    """Flatten a shap ``TreeEnsemble`` (``shap.TreeExplainer(model).model``) for the kernel."""
    jit = _compiled()
    children_left = np.ascontiguousarray(ensemble.children_left, dtype=np.int64)
    values = np.asarray(ensemble.values, dtype=np.float64)
    values = values.reshape(values.shape[0], values.shape[1], -1)
    depth = int(ensemble.max_depth) + 1
    flat = _tree_paths.flatten(ensemble, np.asarray(ensemble.node_sample_weight, dtype=np.float64), depth)
    (tree_start, node_depth, node_bit, node_is_left, node_feature, node_threshold, node_default_left, node_leaf,
     leaf_tree, leaf_node, leaf_p, slot_start, slot_feature, slot_z) = flat
    table_offset = table_offsets(leaf_tree, leaf_p, len(children_left))
    weights = shapley_weights(depth)
    tables = np.zeros(int(np.sum(np.where(table_offset >= 0, np.left_shift(1, np.minimum(leaf_p, TABLE_BITS)), 0))))
    jit["build_tables"](leaf_p, slot_start, slot_z, table_offset, weights, tables)
    return FastTrees(tree_start=tree_start, node_depth=node_depth, node_bit=node_bit, node_is_left=node_is_left,
                     node_feature=node_feature, node_threshold=node_threshold, node_default_left=node_default_left,
                     node_leaf=node_leaf, leaf_values=np.ascontiguousarray(values[leaf_tree, leaf_node]),
                     leaf_p=leaf_p, slot_start=slot_start, slot_feature=slot_feature, slot_z=slot_z,
                     slot_odds=(1.0 - slot_z) / slot_z, table_offset=table_offset, tables=tables,
                     weights=weights, n_features=int(n_features),
                     input_dtype=np.dtype(getattr(ensemble, "input_dtype", np.float64)).name)


def table_offsets(leaf_tree, leaf_p, n_trees) -> np.ndarray:
    """Where each leaf's 2^p table starts in ``tables`` (-1: the leaf is computed directly).

    Within a tree the leaves with the fewest distinct features get tables first, up to
    TREE_TABLE_BUDGET entries: a block of rows reads one tree's tables at a time, and tables that
    leave the cache cost more than they save (measured). Trees past TABLE_BUDGET get none.
    """
    sizes = np.where(leaf_p <= TABLE_BITS, np.left_shift(1, np.minimum(leaf_p, TABLE_BITS)), 0).astype(np.int64)
    order = np.lexsort((sizes, leaf_tree))  # by tree, then the smallest tables first
    running = np.cumsum(sizes[order])
    tree_first = np.searchsorted(leaf_tree[order], np.arange(n_trees))  # leaves are in tree order
    before_tree = np.concatenate([[0], running])[tree_first][leaf_tree[order]]
    kept = np.zeros(len(sizes), dtype=bool)
    kept[order] = (sizes[order] > 0) & (running - before_tree <= TREE_TABLE_BUDGET)
    sizes = np.where(kept, sizes, 0)
    sizes[np.cumsum(sizes) > TABLE_BUDGET] = 0
    return np.where(sizes > 0, np.cumsum(sizes) - sizes, -1).astype(np.int64)


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
        columns = np.zeros(len(X), dtype=np.int64)
    else:
        columns = np.broadcast_to(np.asarray(column, dtype=np.int64), (len(X),)).copy()
    phi = np.zeros((len(X), trees.n_features, n_outputs if column is None else 1))
    previous = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        # One block at a time, handed out as threads free up: a core taken by another process then
        # costs only its share, instead of holding up an even split.
        with numba.parallel_chunksize(1):
            jit["tree_shap"](X, columns, column is not None, trees.tree_start, trees.node_depth, trees.node_bit,
                             trees.node_is_left, trees.node_feature, trees.node_threshold, trees.node_default_left,
                             trees.node_leaf, trees.leaf_values, trees.leaf_p, trees.slot_start, trees.slot_feature,
                             trees.slot_z, trees.slot_odds, trees.table_offset, trees.tables, trees.weights,
                             max_leaves(trees), block_rows(len(X), phi.shape[1] * phi.shape[2], numba.get_num_threads()),
                             phi)
    finally:
        numba.set_num_threads(previous)
    return phi


def leaf_masks(rows: np.ndarray, trees) -> np.ndarray:
    """Each row's satisfied set A at every leaf: (n_rows, n_leaves) int64, bit s set where the row
    satisfies every split on the leaf's s-th distinct feature (``slot_feature``).

    ``trees``: a :class:`FastTrees` or any object with its node arrays and ``leaf_p``; ``rows``
    already in float64, rounded to what the model compares in.
    """
    X = np.ascontiguousarray(rows, dtype=np.float64)
    masks = np.zeros((len(X), len(trees.leaf_p)), np.int64)
    _compiled()["leaf_masks"](X, trees.tree_start, trees.node_depth, trees.node_bit, trees.node_is_left,
                              trees.node_feature, trees.node_threshold, trees.node_default_left, trees.node_leaf,
                              trees.leaf_p, max_leaves(trees), int(trees.node_depth.max()) + 1, BLOCK_ROWS, masks)
    return masks


def max_leaves(trees) -> int:
    """The most leaves of one tree."""
    return int(np.max(np.add.reduceat((trees.node_leaf >= 0).astype(np.int64), trees.tree_start[:-1])))


def block_rows(n_rows: int, width: int, threads: int) -> int:
    """Rows per block: BLOCK_ROWS, fewer when a block's accumulated values (``width`` per row)
    would leave the cache, or when there are too few rows to give every thread several blocks."""
    return max(8, min(BLOCK_ROWS, BLOCK_ENTRIES // max(1, width), -(-n_rows // (4 * threads))))


def explain_chunk(rows: np.ndarray, trees: FastTrees, column=None) -> np.ndarray:
    """One chunk in a worker process: single-threaded, the processes are the parallelism."""
    return explain_rows(rows, trees, column=column, threads=1)


_JIT: dict = {}


def _compiled() -> dict:
    """The numba kernels, compiled on first use (cached on disk by numba between runs)."""
    if not _JIT:
        import numba

        options = dict(cache=True, nogil=True, error_model="numpy")
        # Names that _tree_shap calls, resolved by numba when it compiles it: compiled versions.
        globals()["numba_prange"] = numba.prange
        globals()["_direct"] = numba.njit(**options)(_direct)
        globals()["_tree_masks"] = numba.njit(**options)(_tree_masks)
        _JIT["build_tables"] = numba.njit(**options)(_build_tables)
        _JIT["tree_shap"] = numba.njit(parallel=True, **options)(_tree_shap)
        # Serial: small next to the work of its callers, and a serial function compiles much faster.
        _JIT["leaf_masks"] = numba.njit(**options)(_leaf_masks)
    return _JIT


# -- kernels (plain Python, compiled by numba) ----------------------------------------------------------


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


def _tree_shap(X, columns, by_column, tree_start, node_depth, node_bit, node_is_left, node_feature, node_threshold,
               node_default_left, node_leaf, leaf_values, leaf_p, slot_start, slot_feature, slot_z, slot_odds,
               table_offset, tables, weights, max_leaves, block_rows, phi):
    n_rows, n_features = X.shape
    n_out = phi.shape[2]
    depth = weights.shape[0]
    for block in numba_prange((n_rows + block_rows - 1) // block_rows):
        start = block * block_rows
        n = min(block_rows, n_rows - start)
        xb = np.ascontiguousarray(X[start:start + n].T)  # the block's rows, one line per feature
        off = np.zeros((depth + 1, n), np.int64)
        goes_left = np.zeros((depth + 1, n), np.int64)
        masks = np.empty((max_leaves, n), np.int64)
        value = np.empty(n)
        acc = np.zeros((n_out, n_features, n))
        poly = np.empty(depth + 2)
        reduced = np.empty(depth + 2)
        credit = np.empty(depth + 2)
        first_leaf = 0
        for t in range(tree_start.shape[0] - 1):
            n_leaves = _tree_masks(xb, tree_start[t], tree_start[t + 1], node_depth, node_bit, node_is_left,
                                   node_feature, node_threshold, node_default_left, node_leaf, leaf_p, off,
                                   goes_left, masks)
            for leaf in range(first_leaf, first_leaf + n_leaves):
                p = leaf_p[leaf]
                if p == 0:
                    continue
                mask = masks[leaf - first_leaf]
                first = slot_start[leaf]
                offset = table_offset[leaf]
                for k in range(n_out):
                    for r in range(n):
                        value[r] = leaf_values[leaf, columns[start + r] if by_column else k]
                    if offset >= 0:
                        # one table entry per slot, M(A minus s) R(A minus s) or M(A) R(A): A without s
                        for s in range(p):
                            bit = np.int64(1) << s
                            odds = slot_odds[first + s]
                            feature = slot_feature[first + s]
                            for r in range(n):
                                factor = odds if mask[r] & bit else -1.0
                                acc[k, feature, r] += value[r] * factor * tables[offset + (mask[r] & ~bit)]
                        continue
                    for r in range(n):
                        _direct(mask[r], p, slot_z, first, weights, poly, reduced, credit)
                        for s in range(p):
                            acc[k, slot_feature[first + s], r] += value[r] * credit[s]
            first_leaf += n_leaves
        for r in range(n):
            for f in range(n_features):
                for k in range(n_out):
                    phi[start + r, f, k] = acc[k, f, r]


def _leaf_masks(X, tree_start, node_depth, node_bit, node_is_left, node_feature, node_threshold, node_default_left,
                node_leaf, leaf_p, max_leaves, depth, block_rows, masks):
    n_rows = X.shape[0]
    for block in range((n_rows + block_rows - 1) // block_rows):
        start = block * block_rows
        n = min(block_rows, n_rows - start)
        xb = np.ascontiguousarray(X[start:start + n].T)
        off = np.zeros((depth + 1, n), np.int64)
        goes_left = np.zeros((depth + 1, n), np.int64)
        tree_masks = np.empty((max_leaves, n), np.int64)
        first_leaf = 0
        for t in range(tree_start.shape[0] - 1):
            n_leaves = _tree_masks(xb, tree_start[t], tree_start[t + 1], node_depth, node_bit, node_is_left,
                                   node_feature, node_threshold, node_default_left, node_leaf, leaf_p, off,
                                   goes_left, tree_masks)
            for j in range(n_leaves):
                for r in range(n):
                    masks[start + r, first_leaf + j] = tree_masks[j, r]
            first_leaf += n_leaves


def _tree_masks(xb, begin, end, node_depth, node_bit, node_is_left, node_feature, node_threshold, node_default_left,
                node_leaf, leaf_p, off, goes_left, masks):
    """The satisfied set A of each row of a block (``xb``: one line per feature) at each leaf of one
    tree (nodes ``begin:end``), in ``masks[j]`` for the tree's j-th leaf; returns how many leaves.

    ``off[d]`` holds, for the node at depth d on the current path, the slots each row fails;
    ``goes_left[d]`` is all ones where the row goes left at that node's split. In preorder a
    node's parent is the last node seen one level up, so both are still in place for it."""
    n = xb.shape[1]
    j = 0
    for node in range(begin, end):
        d = node_depth[node]
        if d > 0:
            bit = node_bit[node]
            if node_is_left[node]:  # the rows that go right fail the parent's feature
                for r in range(n):
                    off[d, r] = off[d - 1, r] | (~goes_left[d - 1, r] & bit)
            else:
                for r in range(n):
                    off[d, r] = off[d - 1, r] | (goes_left[d - 1, r] & bit)
        leaf = node_leaf[node]
        if leaf < 0:
            f = node_feature[node]
            threshold = node_threshold[node]
            missing_left = node_default_left[node]
            for r in range(n):
                x = xb[f, r]
                goes_left[d, r] = -np.int64((x <= threshold) or (missing_left and np.isnan(x)))
            continue
        full = (np.int64(1) << leaf_p[leaf]) - 1
        for r in range(n):
            masks[j, r] = full & ~off[d, r]
        j += 1
    return j


def _direct(mask, p, slot_z, first, weights, poly, reduced, credit):
    """One row's credit per slot at a leaf without a table: M from the elementary symmetric
    polynomials of the satisfied z, then each satisfied feature removed from them in turn."""
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
            credit[s] = (1.0 - z) * m_without * unsatisfied
        else:
            credit[s] = -m_all * unsatisfied


def numba_prange(n):  # the kernel's loop over rows: numba.prange once compiled (see _compiled)
    return range(n)
