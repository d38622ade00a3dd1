"""Tree SHAP: the compiled kernel equals shap's values; native XGBoost / LightGBM values are theirs."""

import numpy as np
import pytest
import shap
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import ensemble, tree

from xai_audit.explainers import _fasttree
from xai_audit.explainers._tree import tree_attributions, tree_family
from tests.explainers.tabular_models import one_thread  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

MODELS = {
    "random_forest": lambda: ensemble.RandomForestClassifier(n_estimators=8, max_depth=6, random_state=0),
    "deep_forest": lambda: ensemble.RandomForestClassifier(n_estimators=3, random_state=0),
    "extra_trees": lambda: ensemble.ExtraTreesRegressor(n_estimators=5, max_depth=7, random_state=0),
    "hist_gradient_boosting": lambda: ensemble.HistGradientBoostingClassifier(max_iter=10, random_state=0),
    "gradient_boosting": lambda: ensemble.GradientBoostingRegressor(n_estimators=10, max_depth=3, random_state=0),
    "decision_tree": lambda: tree.DecisionTreeClassifier(max_depth=5, random_state=0),
}


def _data(seed=0, n=300, n_features=6, missing=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    interaction = X[:, 1] * X[:, 2] if n_features >= 3 else 0.0
    y = (X[:, 0] + interaction + rng.normal(scale=0.3, size=n) > 0).astype(int)
    if missing:
        X[rng.random(n) < 0.1, 3] = np.nan
    return X, y


def _shap_values(model, X):
    values = np.asarray(shap.TreeExplainer(model).shap_values(X, check_additivity=False))
    return values[:, :, None] if values.ndim == 2 else values


@pytest.mark.parametrize("name", sorted(MODELS))
def test_kernel_equals_shap(name):
    X, y = _data(missing=name == "hist_gradient_boosting")
    model = MODELS[name]()
    target = X[:, 0] * 2 + X[:, 1] if name in ("extra_trees", "gradient_boosting") else y
    model.fit(X, target)
    ensemble_ = shap.TreeExplainer(model).model
    trees = _fasttree.from_shap(ensemble_, X.shape[1])
    ours = _fasttree.explain_rows(X[:80], trees, threads=1)
    np.testing.assert_allclose(ours, _shap_values(model, X[:80]), rtol=0, atol=1e-10)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), depth=st.integers(1, 14), n_features=st.integers(1, 8),
       n_trees=st.integers(1, 4), bootstrap=st.booleans())
def test_kernel_equals_shap_on_random_forests(seed, depth, n_features, n_trees, bootstrap):
    X, _ = _data(seed, n=120, n_features=n_features)
    y = np.random.default_rng(seed).normal(size=len(X)) + X[:, 0]
    model = ensemble.RandomForestRegressor(n_estimators=n_trees, max_depth=depth, bootstrap=bootstrap,
                                           random_state=seed).fit(X, y)
    trees = _fasttree.from_shap(shap.TreeExplainer(model).model, n_features)
    np.testing.assert_allclose(_fasttree.explain_rows(X[:30], trees, threads=1), _shap_values(model, X[:30]),
                               rtol=0, atol=1e-9)


def test_large_leaves_use_the_direct_formula_and_agree(monkeypatch):
    monkeypatch.setattr(_fasttree, "TABLE_BITS", 2)  # force most leaves past the table size
    X, y = _data(3, n_features=8)
    model = ensemble.RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    trees = _fasttree.from_shap(shap.TreeExplainer(model).model, 8)
    assert (trees.table_offset < 0).any()
    np.testing.assert_allclose(_fasttree.explain_rows(X[:40], trees), _shap_values(model, X[:40]), rtol=0, atol=1e-10)


@pytest.mark.parametrize("backend", ["serial", "threads", "processes"])
def test_backends_give_shaps_values(backend):
    X, y = _data(5, n=400)
    model = ensemble.RandomForestClassifier(n_estimators=6, max_depth=6, random_state=0).fit(X, y)
    result = tree_attributions(model, X, np.ones(len(X), dtype=int), backend=backend, workers=2)
    np.testing.assert_allclose(result.values, _shap_values(model, X)[:, :, 1], rtol=0, atol=1e-10)
    assert np.abs(result.values.sum(axis=1) + result.base - result.output).max() < 1e-12
    assert result.space == "probability"


def test_progress_is_reported():
    X, y = _data(6, n=200)
    model = ensemble.RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0).fit(X, y)
    calls = []
    tree_attributions(model, X, np.ones(len(X), dtype=int), progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (200, 200)


def test_binary_boosting_explains_the_log_odds_of_either_class():
    X, y = _data(7)
    model = ensemble.HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    positive = tree_attributions(model, X[:50], np.ones(50, dtype=int))
    negative = tree_attributions(model, X[:50], np.zeros(50, dtype=int))
    np.testing.assert_allclose(positive.values, -negative.values)
    np.testing.assert_allclose(positive.output, model.decision_function(X[:50]))
    assert positive.space == "log_odds"


def test_xgboost_values_are_its_own():
    xgboost = pytest.importorskip("xgboost")
    X, y = _data(8)
    model = xgboost.XGBClassifier(n_estimators=20, max_depth=4, random_state=0).fit(X, y)
    native = model.get_booster().predict(xgboost.DMatrix(X), pred_contribs=True)
    result = tree_attributions(model, X, np.ones(len(X), dtype=int))
    np.testing.assert_array_equal(result.values, native[:, :-1].astype(float))
    np.testing.assert_array_equal(result.base, native[:, -1].astype(float))
    assert result.precision == "float32"
    assert np.max(np.abs(result.values.sum(1) + result.base - result.output) / np.maximum(1, np.abs(result.output))) < 1e-5


def test_lightgbm_values_are_its_own_multiclass():
    lightgbm = pytest.importorskip("lightgbm")
    X, _ = _data(9)
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    model = lightgbm.LGBMClassifier(n_estimators=10, num_leaves=7, verbose=-1, random_state=0).fit(X, y)
    native = model.predict(X, pred_contrib=True).reshape(len(X), 3, -1)
    chosen = model.predict_proba(X).argmax(axis=1)
    result = tree_attributions(model, X, chosen)
    np.testing.assert_array_equal(result.values, native[np.arange(len(X)), chosen, :-1])
    assert np.abs(result.values.sum(1) + result.base - result.output).max() < 1e-9
    assert result.space == "margin"


def test_categorical_hist_gradient_boosting_is_not_treated_as_a_tree_model():
    X, y = _data(10)
    X[:, 0] = np.floor(np.abs(X[:, 0]) * 3)
    model = ensemble.HistGradientBoostingClassifier(max_iter=5, categorical_features=[0]).fit(X, y)
    assert tree_family(model) is None


def test_the_same_chunks_run_on_a_dask_client():
    distributed = pytest.importorskip("dask.distributed")
    X, y = _data(11, n=300)
    model = ensemble.RandomForestClassifier(n_estimators=4, max_depth=5, random_state=0).fit(X, y)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            result = tree_attributions(model, X, np.ones(len(X), dtype=int), backend="dask", scheduler=client)
    np.testing.assert_allclose(result.values, _shap_values(model, X)[:, :, 1], rtol=0, atol=1e-10)
    assert "chunks over dask" in result.execution


def _multiclass_forest(seed=12, n=300):
    X, _ = _data(seed, n=n, missing=False)
    y = np.digitize(X[:, 0] + X[:, 1] * X[:, 2], [-0.5, 0.5])
    return X, ensemble.RandomForestClassifier(n_estimators=5, max_depth=9, random_state=seed).fit(X, y)


def test_blocks_and_threads_do_not_change_the_digits(monkeypatch):
    X, model = _multiclass_forest()
    trees = _fasttree.from_shap(shap.TreeExplainer(model).model, X.shape[1])
    classes = np.arange(len(X)) % 3  # a different explained class per row
    whole = _fasttree.explain_rows(X, trees, column=classes, threads=1)
    monkeypatch.setattr(_fasttree, "BLOCK_ROWS", 8)  # 38 blocks, the last one short
    for threads in (1, 2):
        np.testing.assert_array_equal(_fasttree.explain_rows(X, trees, column=classes, threads=threads), whole)
    expected = _shap_values(model, X)[np.arange(len(X)), :, classes]
    np.testing.assert_allclose(whole[:, :, 0], expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(_fasttree.explain_rows(X, trees, threads=2), _shap_values(model, X), rtol=0, atol=1e-10)


def test_a_tree_partly_tabulated_agrees(monkeypatch):
    monkeypatch.setattr(_fasttree, "TREE_TABLE_BUDGET", 200)  # the smallest tables of each tree only
    X, model = _multiclass_forest(13)
    trees = _fasttree.from_shap(shap.TreeExplainer(model).model, X.shape[1])
    leaves_per_tree = np.add.reduceat(trees.node_leaf >= 0, trees.tree_start[:-1])
    leaf_tree = np.repeat(np.arange(len(trees.tree_start) - 1), leaves_per_tree)
    tabulated = trees.table_offset >= 0
    assert any(tabulated[leaf_tree == t].any() and not tabulated[leaf_tree == t].all() for t in range(5))
    np.testing.assert_allclose(_fasttree.explain_rows(X[:60], trees, threads=1), _shap_values(model, X[:60]),
                               rtol=0, atol=1e-10)


def _paths(ens, t, node=0, path=()):
    """Every leaf of tree t in preorder: its path as (feature, threshold, goes_left, default_left) tuples."""
    left, right = ens.children_left[t, node], ens.children_right[t, node]
    if left < 0:
        return [path]
    split = (ens.features[t, node], ens.thresholds[t, node], ens.children_default[t, node] == left)
    return (_paths(ens, t, left, path + ((*split[:2], True, split[2]),))
            + _paths(ens, t, right, path + ((*split[:2], False, split[2]),)))


def test_leaf_masks_are_the_features_each_row_satisfies():
    X, y = _data(14, n=60, missing=True)
    model = ensemble.HistGradientBoostingClassifier(max_iter=4, max_leaf_nodes=12, random_state=0).fit(X, y)
    ens = shap.TreeExplainer(model).model
    trees = _fasttree.from_shap(ens, X.shape[1])
    rows = X.astype(np.float64)
    expected = np.zeros((len(rows), len(trees.leaf_p)), dtype=np.int64)
    leaf = 0
    for t in range(len(ens.children_left)):
        for path in _paths(ens, t):
            features = list(dict.fromkeys(int(f) for f, *_ in path))  # slots: order of first appearance
            assert trees.leaf_p[leaf] == len(features)
            for i, x in enumerate(rows):
                for s, feature in enumerate(features):
                    splits = [(thr, left, default) for f, thr, left, default in path if f == feature]
                    goes = [default if np.isnan(x[feature]) else x[feature] <= thr for thr, _, default in splits]
                    if all(g == left for g, (_, left, _) in zip(goes, splits)):
                        expected[i, leaf] |= 1 << s
            leaf += 1
    assert leaf == len(trees.leaf_p)
    np.testing.assert_array_equal(_fasttree.leaf_masks(rows, trees), expected)
    assert ((expected == (1 << trees.leaf_p) - 1).sum(axis=1) == len(ens.children_left)).all()  # one leaf per tree


def test_trees_too_deep_for_the_bit_sets_go_to_shap():
    class Chain:  # one split at the root; shap reports the trees 70 deep
        children_left = np.array([[1, -1, -1]])
        children_right = np.array([[2, -1, -1]])
        threshold_types = np.zeros((1, 3))
        node_sample_weight = np.ones((1, 3))
        max_depth = 70

    assert "deeper than 62" in _fasttree.supported(Chain())
    Chain.max_depth = 62
    assert _fasttree.supported(Chain()) is None
