"""The trees of a shap ``TreeEnsemble`` in preorder, with each leaf's distinct path features.

Both compiled Tree SHAP kernels (:mod:`~xai_audit.explainers._fasttree`, path-dependent, and
:mod:`~xai_audit.explainers._interventional`) read the trees in this form: the nodes of each tree
in preorder (a node, its left subtree, then its right one), so that a kernel walking them in order
finds a node's parent as the last node it saw one level up; and each leaf's distinct path features
("slots", in order of first appearance on the path), so that a row's relation to a leaf is a bit
set over the slots.
"""

from __future__ import annotations

import numpy as np

MAX_DISTINCT = 62  # the kernels hold a path's distinct features as bits of an int64

def flatten(ensemble, cover, depth: int):
    """The trees of a shap ``TreeEnsemble`` in preorder, with each leaf's distinct path features.

    ``cover`` is the training cover of every node (only the leaves' ``slot_z`` uses it); ``depth``
    at least the deepest leaf's depth plus one. Returns the node arrays of
    :class:`~xai_audit.explainers._fasttree.FastTrees`, then ``leaf_tree``, ``leaf_node`` (where each leaf is in
    shap's arrays), ``leaf_p``, ``slot_start``, ``slot_feature`` and ``slot_z``.
    """
    children_left = np.ascontiguousarray(ensemble.children_left, dtype=np.int64)
    children_right = np.ascontiguousarray(ensemble.children_right, dtype=np.int64)
    children_default = np.ascontiguousarray(ensemble.children_default, dtype=np.int64)
    return _compiled()(children_left, children_right, children_default,
                       np.ascontiguousarray(ensemble.features, dtype=np.int64),
                       np.ascontiguousarray(ensemble.thresholds, dtype=np.float64),
                       np.ascontiguousarray(np.broadcast_to(cover, children_left.shape)), depth)


_JIT: dict = {}


def _compiled():
    """The numba kernel, compiled on first use (cached on disk by numba between runs)."""
    if not _JIT:
        import numba

        _JIT["flatten"] = numba.njit(cache=True, nogil=True, error_model="numpy")(_flatten)
    return _JIT["flatten"]


# -- kernel (plain Python, compiled by numba) -----------------------------------------------------------


def _flatten(children_left, children_right, children_default, features, thresholds, cover, depth):
    n_trees = children_left.shape[0]
    n_split = 0  # every split has two children: a tree with s splits has 2 s + 1 nodes and s + 1 leaves
    for t in range(n_trees):
        for node in range(children_left.shape[1]):
            n_split += children_left[t, node] >= 0
    n_nodes = n_trees + 2 * n_split
    n_leaves = n_trees + n_split
    stack = np.empty(depth + 2, np.int64)
    tree_start = np.zeros(n_trees + 1, np.int64)
    node_depth = np.zeros(n_nodes, np.int64)
    node_bit = np.zeros(n_nodes, np.int64)
    node_is_left = np.zeros(n_nodes, np.bool_)
    node_feature = np.full(n_nodes, -1, np.int64)
    node_threshold = np.zeros(n_nodes)
    node_default_left = np.zeros(n_nodes, np.bool_)
    node_leaf = np.full(n_nodes, -1, np.int64)
    leaf_tree = np.empty(n_leaves, np.int64)
    leaf_node = np.empty(n_leaves, np.int64)
    leaf_p = np.zeros(n_leaves, np.int64)
    slot_start = np.zeros(n_leaves + 1, np.int64)
    capacity = n_leaves * min(depth, 8) + 8
    slot_feature = np.empty(capacity, np.int64)
    slot_z = np.empty(capacity)
    stack_depth = np.empty(depth + 2, np.int64)
    path = np.empty(depth + 1, np.int64)  # path[d]: the node at depth d on the current path
    path_slot = np.empty(depth + 1, np.int64)  # path_slot[d]: the slot of that node's split feature
    path_features = np.empty(depth + 1, np.int64)  # the distinct features of the current path
    n_path_features = np.zeros(depth + 1, np.int64)  # how many of them the path to depth d has
    z = np.empty(depth + 1)
    k = 0
    leaf = 0
    used = 0
    for t in range(n_trees):
        tree_start[t] = k
        top = 0
        stack[0] = 0
        stack_depth[0] = 0
        while top >= 0:
            node = stack[top]
            d = stack_depth[top]
            top -= 1
            path[d] = node
            node_depth[k] = d
            if d > 0:
                parent = path[d - 1]
                node_bit[k] = np.int64(1) << path_slot[d - 1]
                node_is_left[k] = children_left[t, parent] == node
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
                path_slot[d] = slot
                n_path_features[d + 1] = known
                node_feature[k] = feature
                node_threshold[k] = thresholds[t, node]
                node_default_left[k] = children_default[t, node] == children_left[t, node]
                stack[top + 1] = children_right[t, node]
                stack_depth[top + 1] = d + 1
                stack[top + 2] = children_left[t, node]
                stack_depth[top + 2] = d + 1
                top += 2
                k += 1
                continue
            p = known
            if used + p > capacity:
                capacity = 2 * (used + p)
                grown_feature = np.empty(capacity, np.int64)
                grown_feature[:used] = slot_feature[:used]
                slot_feature = grown_feature
                grown_z = np.empty(capacity)
                grown_z[:used] = slot_z[:used]
                slot_z = grown_z
            for s in range(p):
                z[s] = 1.0
            for j in range(d):
                z[path_slot[j]] *= cover[t, path[j + 1]] / cover[t, path[j]]
            for s in range(p):
                slot_feature[used + s] = path_features[s]
                slot_z[used + s] = z[s]
            leaf_tree[leaf] = t
            leaf_node[leaf] = node
            leaf_p[leaf] = p
            node_leaf[k] = leaf
            used += p
            slot_start[leaf + 1] = used
            leaf += 1
            k += 1
    tree_start[n_trees] = k
    return (tree_start, node_depth[:k], node_bit[:k], node_is_left[:k], node_feature[:k], node_threshold[:k],
            node_default_left[:k], node_leaf[:k], leaf_tree[:leaf], leaf_node[:leaf], leaf_p[:leaf],
            slot_start[:leaf + 1], slot_feature[:used], slot_z[:used])
