"""SHAP in the space a non-expert reads: probability-space Tree SHAP of boosted classifiers equals
shap's interventional ``model_output="probability"`` and adds up to the predicted probability; the
log-odds stays available; every explanation states its output space."""

import lightgbm
import numpy as np
import pandas as pd
import pytest
import shap
import xgboost
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import ensemble

import xai_audit as xa
from xai_audit.exceptions import InvalidInputError, UnsupportedModelError
from xai_audit.explainers import _interventional
from xai_audit.explainers._tree import path_base, probability_attributions, tree_attributions

BOOSTED = {
    "lightgbm": lambda seed, n_trees, depth: lightgbm.LGBMClassifier(
        n_estimators=n_trees, num_leaves=2 ** depth, min_child_samples=5, random_state=seed, verbose=-1),
    "xgboost": lambda seed, n_trees, depth: xgboost.XGBClassifier(
        n_estimators=n_trees, max_depth=depth, random_state=seed, n_jobs=1),
    "gradient_boosting": lambda seed, n_trees, depth: ensemble.GradientBoostingClassifier(
        n_estimators=n_trees, max_depth=depth, random_state=seed),
}


def _data(seed, n=240, n_features=5, missing=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    if missing:
        X[rng.random(n) < 0.1, 1] = np.nan
    return X, y


def _shap_probability(model, rows, background):
    explainer = shap.TreeExplainer(model, data=background, model_output="probability",
                                   feature_perturbation="interventional")
    values = np.asarray(explainer.shap_values(rows))
    values = values[..., 1] if values.ndim == 3 else values
    return values, float(np.atleast_1d(explainer.expected_value)[-1])


@settings(max_examples=9, deadline=None)
@given(kind=st.sampled_from(sorted(BOOSTED)), seed=st.integers(0, 1000), n_trees=st.integers(1, 25),
       depth=st.integers(1, 5), missing=st.booleans())
def test_probability_values_equal_shaps_interventional_probability(kind, seed, n_trees, depth, missing):
    if missing and kind == "gradient_boosting":
        missing = False  # scikit-learn's GradientBoosting takes no missing values
    X, y = _data(seed, missing=missing)
    model = BOOSTED[kind](seed, n_trees, depth).fit(X, y)
    rows, background = X[:60], X[100:140]
    result = probability_attributions(model, rows, background, np.ones(len(rows), dtype=int), workers=1)
    expected, base = _shap_probability(model, rows, background)
    np.testing.assert_allclose(result.values, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(result.base, base, rtol=0, atol=1e-9)
    probability = model.predict_proba(rows)[:, 1]
    np.testing.assert_allclose(result.values.sum(axis=1) + result.base, probability, rtol=0,
                               atol=1e-6 if kind == "xgboost" else 1e-12)  # XGBoost's own proba is float32


def test_hist_gradient_boosting_adds_up_to_its_probability():
    # shap's own interventional probability for HistGradientBoosting does not add up (0.3 off here); ours must
    X, y = _data(4, missing=True)
    model = ensemble.HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(X, y)
    result = probability_attributions(model, X[:50], X[100:130], np.ones(50, dtype=int), workers=1)
    np.testing.assert_allclose(result.values.sum(axis=1) + result.base, model.predict_proba(X[:50])[:, 1], atol=1e-12)


def test_the_other_class_is_one_minus_the_probability():
    X, y = _data(1)
    model = BOOSTED["lightgbm"](1, 10, 3).fit(X, y)
    one = probability_attributions(model, X[:20], X[50:80], np.ones(20, dtype=int), workers=1)
    zero = probability_attributions(model, X[:20], X[50:80], np.zeros(20, dtype=int), workers=1)
    np.testing.assert_allclose(zero.values, -one.values, atol=1e-15)
    np.testing.assert_allclose(zero.base, 1.0 - one.base, atol=1e-15)
    np.testing.assert_allclose(zero.values.sum(axis=1) + zero.base, model.predict_proba(X[:20])[:, 0], atol=1e-12)


def test_single_feature_pair_game_by_hand():
    # one stump on x0 (threshold 0): leaves -1 (left) and +2 (right); x = 1 goes right, r = -1 goes left
    class Stump:
        children_left = np.array([[1, -1, -1]])
        children_right = np.array([[2, -1, -1]])
        children_default = np.array([[1, -1, -1]])
        features = np.array([[0, -1, -1]])
        thresholds = np.array([[0.0, 0, 0]])
        values = np.array([[[0.0], [-1.0], [2.0]]])
        base_offset = np.array([0.5])
        max_depth = 1

    values, base, probability = _interventional.explain_rows(np.array([[1.0, 7.0]]), np.array([[-1.0, 3.0]]),
                                                             _interventional.from_shap(Stump()), threads=1)
    sigma = lambda m: 1 / (1 + np.exp(-m))  # noqa: E731
    assert values[0, 0] == pytest.approx(sigma(2.5) - sigma(-0.5), abs=1e-15)
    assert values[0, 1] == 0.0  # x1 is never tested
    assert base[0] == pytest.approx(sigma(-0.5), abs=1e-15) and probability[0] == pytest.approx(sigma(2.5), abs=1e-15)


def _frame(seed=0, n=300):
    X, y = _data(seed, n=n)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame["y"] = y
    return frame


def test_explain_defaults_to_probability_for_boosted_classifiers_and_keeps_log_odds():
    frame = _frame()
    features = [c for c in frame if c != "y"]
    model = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1).fit(frame[features], frame["y"])
    data = xa.AuditDataset.from_frame(frame, target="y")
    auto = xa.explain(model, data, method="shap", rows=40, random_state=0, background_rows=50)
    assert auto.meta["output_space"] == "probability" and auto.meta["feature_perturbation"] == "interventional"
    assert auto.meta["output_description"] == "the probability of the explained class"
    assert auto.meta["background"]["size"] == 50 and auto.meta["output_space_requested"] == "auto"
    np.testing.assert_allclose(auto.output, model.predict_proba(frame[features].iloc[auto.row_index])[:, 1])
    assert auto.additivity_error() < 1e-12
    logodds = xa.explain(model, data, method="shap", rows=40, random_state=0, output_space="log_odds")
    assert logodds.meta["output_space"] == "log_odds" and logodds.meta["uses_background"] is False
    native = model.predict(frame[features].iloc[logodds.row_index], pred_contrib=True)
    np.testing.assert_allclose(logodds.values, native[:, :-1], atol=1e-9)


def test_unavailable_output_spaces_are_refused_with_the_reason():
    frame = _frame()
    features = [c for c in frame if c != "y"]
    data = xa.AuditDataset.from_frame(frame, target="y")
    regressor = lightgbm.LGBMRegressor(n_estimators=5, verbose=-1).fit(frame[features], frame["f0"] * 2)
    with pytest.raises(InvalidInputError, match="regression model has no probability"):
        xa.explain(regressor, frame[features], method="shap", rows=5, output_space="probability")
    forest = ensemble.RandomForestClassifier(n_estimators=3, random_state=0).fit(frame[features], frame["y"])
    with pytest.raises(InvalidInputError, match="log_odds"):
        xa.explain(forest, data, method="shap", rows=5, output_space="log_odds")
    assert xa.explain(forest, data, method="shap", rows=5).meta["output_space"] == "probability"
    with pytest.raises(InvalidInputError, match="output_space must be one of"):
        xa.explain(forest, data, method="shap", rows=5, output_space="odds")


def test_multiclass_boosting_stays_in_margin_and_says_why():
    frame = _frame()
    features = [c for c in frame if c != "y"]
    frame["y"] = np.digitize(frame["f0"], [-0.5, 0.5])
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(frame[features], frame["y"])
    e = xa.explain(model, xa.AuditDataset.from_frame(frame, target="y"), method="shap", rows=10, random_state=0)
    assert e.meta["output_space"] == "margin" and "softmax" in e.meta["output_space_reason"]


@pytest.mark.parametrize("kind", ["lightgbm", "xgboost_regressor"])
def test_boosters_use_the_compiled_kernel_at_equal_values(kind):
    X, y = _data(2, n=3000, n_features=8, missing=True)
    if kind == "lightgbm":
        model = lightgbm.LGBMClassifier(n_estimators=40, verbose=-1).fit(X, y)
        classes = np.random.default_rng(0).integers(0, 2, len(X))
        native = model.predict(X, pred_contrib=True)
        sign = np.where(classes == 0, -1.0, 1.0)
        expected_values, expected_base = native[:, :-1] * sign[:, None], native[:, -1] * sign
    else:
        model = xgboost.XGBRegressor(n_estimators=40, max_depth=6, n_jobs=1).fit(X, X[:, 0] + y)
        classes = None
        explainer = shap.TreeExplainer(model)
        expected_values = explainer.shap_values(X, check_additivity=False)  # XGBoost's own, float32
        expected_base = path_base(explainer.model)[0]
    result = tree_attributions(model, X, classes, workers=1)
    assert "compiled" in result.algorithm
    tolerance = 1e-6 if kind == "lightgbm" else 2e-5  # XGBoost computes its values in float32
    np.testing.assert_allclose(result.values, expected_values, rtol=0, atol=tolerance)
    np.testing.assert_allclose(result.base, np.broadcast_to(expected_base, (len(X),)), rtol=0, atol=tolerance)
    if kind != "lightgbm":  # ours are exact: they add up to the trees' margin summed in float64
        margin = shap.TreeExplainer(model).model.predict(X.astype(np.float32))
        np.testing.assert_allclose(result.values.sum(axis=1) + result.base, margin, rtol=0, atol=1e-9)


def _margin(ens, x):
    """The trees' log-odds for one row, walked node by node (a missing value takes the default child)."""
    total = float(np.atleast_1d(ens.base_offset)[0])
    for t in range(len(ens.children_left)):
        node = 0
        while ens.children_left[t, node] >= 0:
            value = x[ens.features[t, node]]
            if np.isnan(value):
                node = ens.children_default[t, node]
            else:
                node = ens.children_left[t, node] if value <= ens.thresholds[t, node] else ens.children_right[t, node]
        total += float(np.asarray(ens.values)[t, node].ravel()[0])
    return total


def _brute_force(ens, rows, background):
    """shap's probability-space values by definition: for every pair, the exact Shapley values of the
    margin game v(S) = f(x on S, r elsewhere) over all subsets, rescaled to the probability gap."""
    from itertools import combinations
    from math import factorial

    sigma = lambda m: 1 / (1 + np.exp(-m))  # noqa: E731
    n = rows.shape[1]
    values = np.zeros(rows.shape)
    for i, x in enumerate(rows):
        for r in background:
            game = {S: _margin(ens, np.where(np.isin(np.arange(n), S), x, r))
                    for k in range(n + 1) for S in combinations(range(n), k)}
            phi = np.zeros(n)
            for S, v in game.items():
                for j in set(range(n)) - set(S):
                    with_j = tuple(sorted(S + (j,)))
                    phi[j] += factorial(len(S)) * factorial(n - len(S) - 1) / factorial(n) * (game[with_j] - v)
            gap = game[tuple(range(n))] - game[()]
            values[i] += phi * (1.0 if gap == 0 else (sigma(game[tuple(range(n))]) - sigma(game[()])) / gap)
    return values / len(background)


@settings(max_examples=6, deadline=None)
@given(kind=st.sampled_from(["lightgbm", "xgboost"]), seed=st.integers(0, 1000), n_trees=st.integers(1, 6),
       depth=st.integers(1, 4), missing=st.booleans())
def test_kernel_equals_the_pair_games_by_definition(kind, seed, n_trees, depth, missing):
    X, y = _data(seed, n=200, n_features=4, missing=missing)
    X[:, 3] = np.round(X[:, 3])  # ties with the background: pairs that agree on a feature
    model = BOOSTED[kind](seed, n_trees, depth).fit(X, y)
    ens = shap.TreeExplainer(model).model
    rows, background = X[:4], X[100:106]
    values, base, probability = _interventional.explain_rows(rows, background, _interventional.from_shap(ens),
                                                             threads=2)
    rounded = lambda Z: np.asarray(Z, dtype=ens.input_dtype).astype(float)  # noqa: E731  (what the trees compare)
    np.testing.assert_allclose(values, _brute_force(ens, rounded(rows), rounded(background)), rtol=0, atol=1e-12)
    sigma = lambda m: 1 / (1 + np.exp(-m))  # noqa: E731
    np.testing.assert_allclose(base, np.mean([sigma(_margin(ens, r)) for r in rounded(background)]), atol=1e-15)
    np.testing.assert_allclose(probability, [sigma(_margin(ens, x)) for x in rounded(rows)], atol=1e-15)


def test_rows_in_chunks_and_threads_give_the_same_digits(monkeypatch):
    X, y = _data(3, missing=True)
    model = BOOSTED["lightgbm"](3, 15, 4).fit(X, y)
    trees = _interventional.from_shap(shap.TreeExplainer(model).model)
    whole = _interventional.explain_rows(X[:70], X[100:150], trees, threads=1)
    monkeypatch.setattr(_interventional, "MASK_ENTRIES", 10 * len(trees.leaf_p))  # 7 chunks of 10 rows
    for threads in (1, 2):
        for ours, expected in zip(_interventional.explain_rows(X[:70], X[100:150], trees, threads=threads), whole):
            np.testing.assert_array_equal(ours, expected)


def test_paths_too_long_for_the_bit_sets_are_refused():
    depth = 64  # a chain of splits on distinct features

    split = np.arange(2 * depth + 1) % 2 == 0
    split[-1] = False  # node 2k splits on feature k; 2k + 1 and the last node are leaves

    class Chain:
        children_left = np.where(split, np.arange(2 * depth + 1) + 1, -1)[None]
        children_right = np.where(split, np.arange(2 * depth + 1) + 2, -1)[None]
        children_default = children_left
        features = np.where(split, np.arange(2 * depth + 1) // 2, -1)[None]
        thresholds = np.zeros((1, 2 * depth + 1))
        values = np.zeros((1, 2 * depth + 1, 1))
        base_offset = 0.0
        max_depth = depth

    with pytest.raises(UnsupportedModelError, match="64 distinct features"):
        _interventional.from_shap(Chain())
