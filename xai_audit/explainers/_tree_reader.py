"""Read a fitted tree ensemble into the arrays of path-dependent Tree SHAP, without importing shap.

:func:`read_trees` returns a :class:`TreeArrays` whose attribute names, shapes and dtypes are those of
shap's ``TreeEnsemble`` (``shap.TreeExplainer(model).model``), so the compiled kernels
(:mod:`xai_audit.explainers._fasttree`, :mod:`xai_audit.explainers._interventional`) read either.
Every tree follows one rule, the kernels' and shap's: a missing value (NaN) goes to the default
child, any other value goes left when ``x <= threshold``, after rounding the row to ``input_dtype``.
Each reader turns its library's own rule into that one, and refuses (``UnsupportedModelError`` with
the reason) any model whose predictions that rule would not reproduce exactly; the caller then
keeps shap's reading or the library's own Tree SHAP.

- scikit-learn trees, forests and GradientBoosting: ``tree_.value`` (class shares normalised per
  node for classifiers), ``missing_go_to_left``, inputs compared in float32; GradientBoosting adds
  the init estimator's constant offset (per class for multiclass, which shap does not read) and its
  learning rate.
- HistGradientBoosting: the predictors' node records (``num_threshold``, ``missing_go_to_left``),
  the baseline prediction as offset, inputs compared in float64; categorical splits are refused.
- LightGBM: ``Booster.model_to_string()`` (its numbers round-trip). LightGBM reads any
  ``|x| <= 1e-35`` as 0; missing type "NaN": NaN follows ``default_left``; "None": NaN is read as 0,
  so the default child is where 0 goes; "Zero": NaN and zeros follow ``default_left``, exact only
  where 0's side of the threshold is that child. A threshold inside the zero band moves to the
  band's edge on 0's side. Categorical splits, linear trees and random-forest mode (averaged
  trees) are refused.
- XGBoost: ``Booster.save_raw("json")``. XGBoost sends ``x < split`` left in float32, which is
  ``x <= nextafter(split, -inf)`` in float32; the intercept (``base_score``, per class when it is a
  vector) is turned into the margin by the objective's link; only the trees ``predict`` uses (early
  stopping's best iteration) are read; each tree's class is its ``tree_info`` entry. dart,
  gblinear, categorical splits, vector leaves and a ``missing`` other than NaN are refused.

Where this reading differs from shap's on purpose: XGBoost regressors compare in float32 (as
XGBoost does; shap compares their inputs in float64), a multiclass XGBoost intercept is read per
class (shap keeps the first class's), and LightGBM's thresholds are read to the last digit, its
"None" splits send NaN where 0 goes and its zero band is kept (shap follows ``default_left`` and
compares tiny values as they are).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from xai_audit.exceptions import UnsupportedModelError

LIGHTGBM_ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold: it reads |x| <= this as 0.0
LOG_LINK_OBJECTIVES = ("reg:gamma", "reg:tweedie", "count:poisson", "survival:cox", "survival:aft")
LOGISTIC_OBJECTIVES = ("binary:logistic", "reg:logistic")


@dataclass(frozen=True, eq=False)
class TreeArrays:
    """The trees of an ensemble as padded arrays, named and shaped as shap's ``TreeEnsemble``.

    children_left, children_right, children_default, features : (n_trees, max_nodes) int32
        Child indices (-1 at leaves and padding), the child a missing value goes to, the feature
        each split reads (leaves keep the library's marker; padding -1).
    thresholds : (n_trees, max_nodes) float64
        ``x <= threshold`` goes left.
    threshold_types : (n_trees, max_nodes) int32
        0 for a numeric split (the only kind read); -1 at LightGBM leaves, as shap marks them.
    values : (n_trees, max_nodes, n_outputs) float64
        Leaf values in the model's margin (or probability for forests); an internal node holds the
        cover-weighted mean of its children, as shap computes it.
    node_sample_weight : (n_trees, max_nodes) float64
        Cover: the training weight (count, or hessian sum for XGBoost) that reached each node.
    num_nodes : (n_trees,) int32
    max_depth : int
        Splits on the longest root-to-leaf path.
    base_offset : float or (n_outputs,) array
        Added to the sum of the trees (the init estimator, baseline or intercept).
    tree_output : {"log_odds", "probability", "raw_value"}
        What the summed values are.
    input_dtype : type
        The precision the model compares its inputs in.
    source : str
        What was read, in words, for the record.
    """

    children_left: np.ndarray
    children_right: np.ndarray
    children_default: np.ndarray
    features: np.ndarray
    thresholds: np.ndarray
    threshold_types: np.ndarray
    values: np.ndarray
    node_sample_weight: np.ndarray
    num_nodes: np.ndarray
    max_depth: int
    base_offset: float | np.ndarray
    tree_output: str
    input_dtype: type
    source: str


@dataclass(frozen=True, eq=False)
class _Tree:
    """One tree before padding; ``values`` is (n_nodes, n_outputs)."""

    left: np.ndarray
    right: np.ndarray
    default: np.ndarray
    features: np.ndarray
    thresholds: np.ndarray
    values: np.ndarray
    cover: np.ndarray
    threshold_types: np.ndarray | None = None


def read_trees(estimator) -> TreeArrays:
    """The trees of a fitted scikit-learn, LightGBM or XGBoost ensemble, read exactly.

    Raises
    ------
    UnsupportedModelError
        When the model is not one of these, or its predictions cannot be reproduced exactly by the
        one splitting rule (the message says why).

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> trees = read_trees(DecisionTreeRegressor(max_depth=1).fit([[0.0], [1.0]], [0.0, 2.0]))
    >>> trees.children_left.tolist(), float(trees.thresholds[0, 0]), trees.values[0, :, 0].tolist()
    ([[1, -1, -1]], 0.5, [1.0, 0.0, 2.0])
    """
    module = type(estimator).__module__.split(".")[0]
    name = type(estimator).__name__
    if module == "sklearn" and name.startswith("HistGradientBoosting"):
        return _hist_gradient_boosting(estimator)
    if module == "sklearn" and name.startswith("GradientBoosting"):
        return _gradient_boosting(estimator)
    if module == "sklearn" and name.startswith(("DecisionTree", "ExtraTree", "RandomForest", "ExtraTrees")):
        return _sklearn_trees(estimator)
    if module == "lightgbm":
        return _lightgbm(estimator)
    if module == "xgboost":
        return _xgboost(estimator)
    raise UnsupportedModelError(f"{name} is not a tree ensemble xai-audit reads")


def path_base(ensemble) -> np.ndarray:
    """The base value of path-dependent Tree SHAP per output: the base offset plus, for every tree, its
    leaf values weighted by the share of the training cover that reaches them (shap's ``expected_value``
    is not this for XGBoost without data)."""
    left = np.asarray(ensemble.children_left)
    cover = np.asarray(ensemble.node_sample_weight, dtype=float)
    values = np.asarray(ensemble.values, dtype=float)
    values = values[:, :, None] if values.ndim == 2 else values
    leaf = (left < 0) & (np.arange(left.shape[1])[None, :] < np.asarray(ensemble.num_nodes)[:, None])
    share = np.where(leaf, cover, 0.0) / cover[:, :1]
    return np.atleast_1d(np.asarray(ensemble.base_offset, dtype=float)) + np.einsum("tn,tnk->k", share, values)


# -- scikit-learn -------------------------------------------------------------------------------------


def _sklearn_tree(tree, *, normalize: bool, scaling: float) -> _Tree:
    left = tree.children_left.astype(np.int32)
    right = tree.children_right.astype(np.int32)
    go_left = getattr(tree, "missing_go_to_left", None)
    default = left if go_left is None else np.where(go_left, left, right).astype(np.int32)
    values = tree.value.reshape(tree.value.shape[0], -1)
    if normalize:
        values = (values.T / values.sum(1)).T
    return _Tree(left, right, default, tree.feature.astype(np.int32), tree.threshold.astype(np.float64),
                 values * scaling, tree.weighted_n_node_samples.astype(np.float64))


def _sklearn_trees(estimator) -> TreeArrays:
    """A decision tree or a forest: the mean of the trees' values (class shares for classifiers)."""
    if getattr(estimator, "n_outputs_", 1) != 1:
        raise UnsupportedModelError("a model with more than one target")
    members = list(getattr(estimator, "estimators_", [estimator]))
    classifier = hasattr(estimator, "classes_")
    scaling = 1.0 / len(members) if hasattr(estimator, "estimators_") else 1.0
    trees = [_sklearn_tree(member.tree_, normalize=classifier, scaling=scaling) for member in members]
    return _stack(trees, base_offset=_offset(np.zeros(trees[0].values.shape[1])),
                  tree_output="probability" if classifier else "raw_value", input_dtype=np.float32,
                  source=f"scikit-learn {type(estimator).__name__}.estimators_ tree_")


def _gradient_boosting(estimator) -> TreeArrays:
    """GradientBoosting: learning rate x each stage's tree, one tree per class and stage, plus the
    init estimator's offset (constant for the default DummyClassifier / DummyRegressor and "zero")."""
    init = estimator.init_
    if not (isinstance(init, str) or type(init).__name__ in ("DummyClassifier", "DummyRegressor")):
        raise UnsupportedModelError(f"the init estimator {type(init).__name__} gives each row its own offset")
    stages = estimator.estimators_
    n_outputs = stages.shape[1]
    row = np.zeros((1, estimator.n_features_in_), dtype=np.float32)
    offset = np.asarray(estimator._raw_predict_init(row), dtype=np.float64).reshape(-1)
    trees = []
    for stage in stages:
        for column, member in enumerate(stage):
            tree = _sklearn_tree(member.tree_, normalize=False, scaling=estimator.learning_rate)
            trees.append(_in_column(tree, column, n_outputs))
    binary = hasattr(estimator, "classes_") and n_outputs == 1
    log_odds = binary and str(getattr(estimator, "loss", "")) in ("log_loss", "deviance")
    return _stack(trees, base_offset=_offset(offset), tree_output="log_odds" if log_odds else "raw_value",
                  input_dtype=np.float32, source=f"scikit-learn {type(estimator).__name__}.estimators_ and init_")


def _hist_gradient_boosting(estimator) -> TreeArrays:
    """HistGradientBoosting: the predictors' node records (leaf values already shrunk) and the
    baseline prediction; splits compare float64 inputs to ``num_threshold``."""
    predictors = estimator._predictors
    n_outputs = len(predictors[0])
    trees = []
    for stage in predictors:
        for column, predictor in enumerate(stage):
            nodes = predictor.nodes
            if np.any(nodes["is_categorical"]):
                raise UnsupportedModelError("categorical splits")
            leaf = nodes["is_leaf"].astype(bool)
            left = np.where(leaf, -1, nodes["left"]).astype(np.int32)
            right = np.where(leaf, -1, nodes["right"]).astype(np.int32)
            default = np.where(leaf, -1, np.where(nodes["missing_go_to_left"], nodes["left"], nodes["right"]))
            features = np.where(leaf, -2, nodes["feature_idx"]).astype(np.int32)
            tree = _Tree(left, right, default.astype(np.int32), features, nodes["num_threshold"].astype(np.float64),
                         nodes["value"].astype(np.float64)[:, None], nodes["count"].astype(np.float64))
            trees.append(_in_column(tree, column, n_outputs))
    offset = np.asarray(estimator._baseline_prediction, dtype=np.float64).reshape(-1)
    classifier = hasattr(estimator, "classes_")
    return _stack(trees, base_offset=_offset(offset), tree_output="log_odds" if classifier else "raw_value",
                  input_dtype=np.float64, source=f"scikit-learn {type(estimator).__name__}._predictors")


# -- LightGBM -----------------------------------------------------------------------------------------


def _lightgbm(estimator) -> TreeArrays:
    booster = getattr(estimator, "booster_", estimator)
    header, blocks = _lightgbm_text(booster.model_to_string())
    if "average_output" in header:
        raise UnsupportedModelError("LightGBM's random-forest mode averages its trees")
    n_outputs = int(header.get("num_tree_per_iteration", 1))
    trees = [_in_column(_lightgbm_tree(block), index % n_outputs, n_outputs) for index, block in enumerate(blocks)]
    objective = header.get("objective", "").split()
    log_odds = bool(objective) and objective[0] in ("binary", "cross_entropy", "xentropy") and (
        objective[0] != "binary" or "sigmoid:1" in objective)
    return _stack(trees, base_offset=_offset(np.zeros(n_outputs)), tree_output="log_odds" if log_odds else "raw_value",
                  input_dtype=np.float64, source="LightGBM Booster.model_to_string()")


def _lightgbm_text(text: str) -> tuple[dict, list[dict]]:
    """The header and each tree's ``key=value`` lines of LightGBM's text model (its numbers round-trip;
    ``dump_model()``'s JSON rounds thresholds to 16 digits)."""
    header, blocks, block = {}, [], None
    for line in text.splitlines():
        if line == "end of trees":
            break
        if line.startswith("Tree="):
            block = {}
            blocks.append(block)
            continue
        key, _, value = line.partition("=")
        (header if block is None else block)[key] = value
    return header, blocks


def _numbers(block: dict, key: str, dtype=np.float64) -> np.ndarray:
    return np.array(block.get(key, "").split(), dtype=dtype)


def _lightgbm_tree(block: dict) -> _Tree:
    """One tree: split ``i`` at node ``i``, leaf ``j`` at ``num_leaves - 1 + j`` (shap's numbering)."""
    if int(block.get("num_cat", 0)) > 0:
        raise UnsupportedModelError("LightGBM categorical splits")
    if block.get("is_linear", "0") != "0":
        raise UnsupportedModelError("LightGBM linear trees")
    n_splits = int(block["num_leaves"]) - 1
    n_nodes = 2 * n_splits + 1
    decision = _numbers(block, "decision_type", np.int64)
    threshold = _numbers(block, "threshold")
    default_left = (decision & 2) != 0
    kind = (decision >> 2) & 3  # LightGBM's missing type: 0 None, 1 Zero, 2 NaN
    zero_left = 0.0 <= threshold
    if np.any((kind == 1) & (default_left != zero_left)):
        raise UnsupportedModelError("a LightGBM split sends zero (missing_type 'Zero') to the other side of its "
                                    "threshold")
    if np.any(kind == 3):
        raise UnsupportedModelError("a LightGBM missing type this reader does not know")
    missing_left = np.where(kind == 0, zero_left, default_left)  # None: NaN is read as 0.0
    # LightGBM reads |x| <= 1e-35 as 0.0: a threshold inside that band moves to the band's edge on the
    # side 0 is on, so that every such x goes where 0 goes
    threshold = np.where((threshold >= -LIGHTGBM_ZERO) & (threshold < LIGHTGBM_ZERO),
                         np.where(zero_left, LIGHTGBM_ZERO, np.nextafter(-LIGHTGBM_ZERO, -np.inf)), threshold)

    def node(child):
        return np.where(child >= 0, child, n_splits + ~child)

    left = np.full(n_nodes, -1, dtype=np.int32)
    right = np.full(n_nodes, -1, dtype=np.int32)
    features = np.full(n_nodes, -1, dtype=np.int32)
    thresholds = np.full(n_nodes, -1.0)
    types = np.full(n_nodes, -1, dtype=np.int32)
    left[:n_splits] = node(_numbers(block, "left_child", np.int64))
    right[:n_splits] = node(_numbers(block, "right_child", np.int64))
    features[:n_splits] = _numbers(block, "split_feature", np.int64)
    thresholds[:n_splits] = threshold
    types[:n_splits] = 0
    default = np.full(n_nodes, -1, dtype=np.int32)
    default[:n_splits] = np.where(missing_left, left[:n_splits], right[:n_splits])
    values = np.concatenate([_numbers(block, "internal_value"), _numbers(block, "leaf_value")])
    cover = np.concatenate([_numbers(block, "internal_count"), _numbers(block, "leaf_count")])
    if len(cover) != n_nodes:  # an old one-leaf tree without its count
        cover = np.ones(n_nodes)
    return _Tree(left, right, default, features, thresholds, values[:, None], cover, types)


# -- XGBoost ------------------------------------------------------------------------------------------


def _xgboost(estimator) -> TreeArrays:
    booster = estimator.get_booster() if hasattr(estimator, "get_booster") else estimator
    missing = getattr(estimator, "missing", np.nan)
    if missing is not None and not np.isnan(missing):
        raise UnsupportedModelError(f"XGBoost treats {missing!r} as missing; only NaN is read")
    learner = json.loads(booster.save_raw(raw_format="json"))["learner"]
    booster_json = learner["gradient_booster"]
    if booster_json["name"] != "gbtree":
        raise UnsupportedModelError(f"the XGBoost booster {booster_json['name']!r} (only gbtree is read)")
    model = booster_json["model"]
    parameters = learner["learner_model_param"]
    n_outputs = max(int(parameters.get("num_class", 0)), int(parameters.get("num_target", 1)), 1)
    trees_json = model["trees"][:_xgboost_tree_count(estimator, model)]
    groups = model["tree_info"]
    trees = [_in_column(_xgboost_tree(tree), int(groups[index]), n_outputs) for index, tree in enumerate(trees_json)]
    objective = learner["objective"]["name"]
    offset = _xgboost_intercept(parameters["base_score"], objective, n_outputs)
    return _stack(trees, base_offset=_offset(offset),
                  tree_output="log_odds" if objective in LOGISTIC_OBJECTIVES else "raw_value",
                  input_dtype=np.float32, source="XGBoost Booster.save_raw('json')")


def _xgboost_tree_count(estimator, model) -> int:
    """How many trees ``predict`` uses: those of the best iteration after early stopping, else all."""
    try:
        start, stop = estimator._get_iteration_range(None)
    except AttributeError:  # a Booster: predict uses every tree unless told otherwise
        start, stop = 0, 0
    pointer = model.get("iteration_indptr")
    if start != 0:
        raise UnsupportedModelError("an XGBoost iteration range that does not start at the first tree")
    if stop == 0 or pointer is None:
        return len(model["trees"])
    return int(pointer[stop])


def _xgboost_tree(tree) -> _Tree:
    left = np.asarray(tree["left_children"], dtype=np.int32)
    right = np.asarray(tree["right_children"], dtype=np.int32)
    if len(tree["base_weights"]) != len(left):
        raise UnsupportedModelError("XGBoost vector leaves (multi_strategy='multi_output_tree')")
    if np.any(np.asarray(tree["split_type"]) != 0):
        raise UnsupportedModelError("XGBoost categorical splits")
    leaf = left == -1
    default = np.where(np.asarray(tree["default_left"]) == 1, left, right).astype(np.int32)
    split = np.asarray(tree["split_conditions"], dtype=np.float32)
    values = np.where(leaf, split, np.float32(0.0)).astype(np.float64)
    thresholds = np.where(leaf, np.float32(0.0), np.nextafter(split, np.float32(-np.inf))).astype(np.float64)
    cover = np.asarray(tree["sum_hessian"], dtype=np.float32).astype(np.float64)
    return _Tree(left, right, default, np.asarray(tree["split_indices"], dtype=np.int32), thresholds,
                 values[:, None], cover)


def _xgboost_intercept(base_score, objective: str, n_outputs: int) -> np.ndarray:
    """``base_score`` (one number or a vector, as XGBoost writes it) as a margin per output."""
    text = str(base_score).strip("[]")
    scores = np.array([float(part) for part in text.split(",")], dtype=np.float64)
    scores = np.broadcast_to(scores, (n_outputs,)) if scores.size == 1 else scores
    if objective in LOGISTIC_OBJECTIVES:
        return np.log(scores / (1.0 - scores))
    if objective in LOG_LINK_OBJECTIVES:
        return np.log(scores)
    return np.array(scores, dtype=np.float64)


# -- shared -------------------------------------------------------------------------------------------


def _in_column(tree: _Tree, column: int, n_outputs: int) -> _Tree:
    """``tree`` with its one output moved to ``column`` of ``n_outputs`` (one tree per class)."""
    if n_outputs == 1:
        return tree
    values = np.zeros((len(tree.values), n_outputs))
    values[:, column] = tree.values[:, 0]
    return _Tree(tree.left, tree.right, tree.default, tree.features, tree.thresholds, values, tree.cover,
                 tree.threshold_types)


def _offset(offset: np.ndarray) -> float | np.ndarray:
    return float(offset[0]) if offset.size == 1 else np.asarray(offset, dtype=np.float64)


def _stack(trees: list[_Tree], *, base_offset, tree_output: str, input_dtype, source: str) -> TreeArrays:
    """Pad the trees to one width (-1 children and features, zeros elsewhere) and fill the internal
    nodes' values."""
    if not trees:
        raise UnsupportedModelError("the model has no trees")
    n_trees = len(trees)
    width = max(len(tree.left) for tree in trees)
    n_outputs = trees[0].values.shape[1]
    arrays = {
        "children_left": -np.ones((n_trees, width), dtype=np.int32),
        "children_right": -np.ones((n_trees, width), dtype=np.int32),
        "children_default": -np.ones((n_trees, width), dtype=np.int32),
        "features": -np.ones((n_trees, width), dtype=np.int32),
        "thresholds": np.zeros((n_trees, width)),
        "threshold_types": np.zeros((n_trees, width), dtype=np.int32),
        "values": np.zeros((n_trees, width, n_outputs)),
        "node_sample_weight": np.zeros((n_trees, width)),
    }
    for index, tree in enumerate(trees):
        n = len(tree.left)
        arrays["children_left"][index, :n] = tree.left
        arrays["children_right"][index, :n] = tree.right
        arrays["children_default"][index, :n] = tree.default
        arrays["features"][index, :n] = tree.features
        arrays["thresholds"][index, :n] = tree.thresholds
        if tree.threshold_types is not None:
            arrays["threshold_types"][index, :n] = tree.threshold_types
        arrays["values"][index, :n] = tree.values
        arrays["node_sample_weight"][index, :n] = tree.cover
    max_depth = _fill_expectations(arrays["children_left"], arrays["children_right"], arrays["node_sample_weight"],
                                   arrays["values"])
    return TreeArrays(**arrays, num_nodes=np.array([len(tree.left) for tree in trees], dtype=np.int32),
                      max_depth=max_depth, base_offset=base_offset, tree_output=tree_output,
                      input_dtype=input_dtype, source=source)


def _fill_expectations(left, right, cover, values) -> int:
    """Set each internal node's values to the cover-weighted mean of its children's (0 where both
    children have no cover), deepest level first, as shap does; return the number of split levels.

    Works level by level over every tree at once: each level's split nodes are found from the
    previous level's children, so the cost is one pass over the nodes.
    """
    trees = np.arange(left.shape[0])
    nodes = np.zeros(left.shape[0], dtype=np.int64)
    levels = []
    while True:
        split = right[trees, nodes] >= 0
        trees, nodes = trees[split], nodes[split]
        if not len(trees):
            break
        levels.append((trees, nodes))
        trees, nodes = np.concatenate([trees, trees]), np.concatenate([left[trees, nodes], right[trees, nodes]])
    for trees, nodes in reversed(levels):
        lo, hi = left[trees, nodes], right[trees, nodes]
        w_lo, w_hi = cover[trees, lo][:, None], cover[trees, hi][:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (w_lo * values[trees, lo] + w_hi * values[trees, hi]) / (w_lo + w_hi)
        values[trees, nodes] = np.where((w_lo == 0) & (w_hi == 0), 0.0, mean)
    return len(levels)
