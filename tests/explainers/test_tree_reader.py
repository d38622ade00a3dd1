"""The tree reader: scikit-learn, LightGBM and XGBoost trees read without shap into shap's
``TreeEnsemble`` arrays; the compiled kernel on them gives shap's values and the libraries' own
``pred_contrib(s)``, on rows with NaNs, zeros and values exactly on the split thresholds."""

import subprocess
import sys
import textwrap
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import pytest
import shap
import xgboost
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import ensemble, tree

from tests.explainers.tabular_models import one_thread  # noqa: F401  (fixture)
from xai_audit.exceptions import UnsupportedModelError
from xai_audit.explainers import _fasttree, _tree
from xai_audit.explainers._tree import path_base, tree_attributions
from xai_audit.explainers._tree_reader import read_trees

pytestmark = pytest.mark.usefixtures("one_thread")
ROOT = Path(__file__).resolve().parents[2]
ARRAYS = ("children_left", "children_right", "children_default", "features", "thresholds", "threshold_types",
          "values", "node_sample_weight", "num_nodes")
SETTINGS = dict(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _data(seed, n=300, n_features=5, missing=0.1, n_classes=2):
    """Rows with NaNs (in every feature when ``missing``), exact zeros, and a label of ``n_classes``
    unequal classes (a value when 0)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features)).round(2)
    X[rng.random((n, n_features)) < 0.05] = 0.0
    score = X[:, 0] + X[:, 1] * X[:, 2 % n_features] + rng.normal(scale=0.5, size=n)
    if missing:
        X[rng.random((n, n_features)) < missing] = np.nan
    cuts = np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1] ** 1.5)  # unequal classes: offsets not 0
    y = np.digitize(score, cuts) if n_classes else score
    return X, y


def _with_boundaries(X, trees, seed, n=60):
    """``X[:n]`` plus rows whose features sit exactly on split thresholds, one step (in the model's
    input precision) either side of them, or inside LightGBM's zero band (|x| <= 1e-35): where ``<``
    and ``<=``, or a default direction, would differ."""
    rng = np.random.default_rng(seed)
    split = np.argwhere(trees.children_left >= 0)
    picks = split[rng.integers(0, len(split), size=(n, 3))]
    rows = X[rng.integers(0, len(X), n)].copy()
    kind = trees.input_dtype
    for i in range(n):
        for t, node in picks[i]:
            value = kind(trees.thresholds[t, node])
            value = [value, np.nextafter(value, kind(np.inf)), np.nextafter(value, kind(-np.inf)), 1e-36, -1e-36,
                     -1e-35][rng.integers(0, 6)]
            rows[i, trees.features[t, node]] = float(value)
    return np.vstack([X[:n], rows])


def _kernel(model, rows):
    trees = read_trees(model)
    values = _fasttree.explain_rows(np.asarray(rows, dtype=float), _fasttree.from_shap(trees, rows.shape[1]), threads=1)
    return trees, values, path_base(trees)


def _assert_additive(values, base, margin, atol):
    """Per row and output: the values add up to the model's own margin."""
    np.testing.assert_allclose(values.sum(axis=1) + base[None, :], margin.reshape(len(values), -1), rtol=0, atol=atol)


# -- scikit-learn -------------------------------------------------------------------------------------

SKLEARN = {
    "decision_tree": lambda depth, seed: tree.DecisionTreeClassifier(max_depth=depth, random_state=seed),
    "extra_tree_regressor": lambda depth, seed: tree.ExtraTreeRegressor(max_depth=depth, random_state=seed),
    "random_forest": lambda depth, seed: ensemble.RandomForestClassifier(4, max_depth=depth, random_state=seed),
    "extra_trees_regressor": lambda depth, seed: ensemble.ExtraTreesRegressor(3, max_depth=depth, random_state=seed),
    "gradient_boosting": lambda depth, seed: ensemble.GradientBoostingClassifier(n_estimators=6, max_depth=depth,
                                                                                 random_state=seed),
    "gradient_boosting_regressor": lambda depth, seed: ensemble.GradientBoostingRegressor(
        n_estimators=6, max_depth=depth, subsample=0.8, loss="huber", random_state=seed),
    "hist_gradient_boosting": lambda depth, seed: ensemble.HistGradientBoostingClassifier(
        max_iter=6, max_depth=depth, random_state=seed),
    "hist_gradient_boosting_regressor": lambda depth, seed: ensemble.HistGradientBoostingRegressor(
        max_iter=6, max_depth=depth, random_state=seed),
}
MISSING_ALLOWED = ("decision_tree", "random_forest", "hist_gradient_boosting", "hist_gradient_boosting_regressor",
                   "extra_tree_regressor", "extra_trees_regressor")


def _sklearn_model(name, depth, seed, n_classes):
    regression = name.endswith("regressor")
    X, y = _data(seed, missing=0.1 if name in MISSING_ALLOWED else 0.0, n_classes=0 if regression else n_classes)
    return SKLEARN[name](depth, seed).fit(X, y), X


def _shap_arrays_equal(ours, theirs, *, leaves_only=False):
    for name in ARRAYS:
        a, b = np.asarray(getattr(ours, name)), np.asarray(getattr(theirs, name))
        assert a.shape == b.shape and a.dtype == b.dtype, name
        if name == "values" and leaves_only:
            a, b = a[ours.children_left < 0], b[ours.children_left < 0]
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13, err_msg=name)
    assert ours.max_depth == theirs.max_depth
    np.testing.assert_allclose(np.ravel(ours.base_offset), np.ravel(theirs.base_offset), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("name", "n_classes"), [
    (name, n) for name in sorted(SKLEARN) for n in (2, 3)
    if n == 2 or not (name.endswith("regressor") or name == "gradient_boosting")])
def test_sklearn_arrays_are_shaps_and_the_values_too(name, n_classes):
    """shap reads no multiclass GradientBoosting (tested below by additivity); regressors have no classes."""
    for seed, depth in [(0, 2), (1, 5), (2, None)]:
        model, X = _sklearn_model(name, depth or 12, seed, n_classes)
        explainer = shap.TreeExplainer(model)
        _shap_arrays_equal(read_trees(model), explainer.model)
        trees, values, base = _kernel(model, _with_boundaries(X, read_trees(model), seed))
        theirs = np.asarray(explainer.shap_values(_with_boundaries(X, trees, seed), check_additivity=False))
        np.testing.assert_allclose(values, theirs.reshape(values.shape), rtol=0, atol=1e-9)
        np.testing.assert_allclose(base, np.ravel(explainer.expected_value), rtol=0, atol=1e-9)


@given(seed=st.integers(0, 10_000), depth=st.integers(1, 6), n_classes=st.sampled_from([2, 3, 4]),
       init=st.sampled_from([None, "zero"]))
@settings(**SETTINGS)
def test_gradient_boosting_adds_up_to_its_decision_function_with_the_init_offset(seed, depth, n_classes, init):
    X, y = _data(seed, missing=0.0, n_classes=n_classes)
    model = ensemble.GradientBoostingClassifier(n_estimators=5, max_depth=depth, init=init, random_state=seed).fit(X, y)
    trees, values, base = _kernel(model, _with_boundaries(X, read_trees(model), seed))
    _assert_additive(values, base, model.decision_function(_with_boundaries(X, trees, seed)), atol=1e-9)


def test_hist_gradient_boosting_adds_up_on_rows_with_nans():
    X, y = _data(7, n_classes=3)
    model = ensemble.HistGradientBoostingClassifier(max_iter=8, random_state=0).fit(X, y)
    rows = _with_boundaries(X, read_trees(model), 7)
    assert np.isnan(rows).any()
    _, values, base = _kernel(model, rows)
    _assert_additive(values, base, model.decision_function(rows), atol=1e-9)


def test_a_row_dependent_init_estimator_is_refused_with_the_reason():
    X, y = _data(3, missing=0.0, n_classes=0)
    from sklearn.linear_model import LinearRegression

    model = ensemble.GradientBoostingRegressor(n_estimators=3, init=LinearRegression()).fit(X, y)
    with pytest.raises(UnsupportedModelError, match="init estimator LinearRegression"):
        read_trees(model)


# -- LightGBM -----------------------------------------------------------------------------------------


def _lightgbm_model(seed, objective, leaves, missing_rule, n=400):
    n_classes = {"binary": 2, "multiclass": 3, "regression": 0}[objective]
    X, y = _data(seed, n=n, n_classes=n_classes)
    options = {"zero_as_missing": {"zero_as_missing": True}, "no_missing": {"use_missing": False},
               "nan": {}}[missing_rule]
    kind = lightgbm.LGBMRegressor if objective == "regression" else lightgbm.LGBMClassifier
    model = kind(n_estimators=8, num_leaves=leaves, min_child_samples=5, random_state=seed, verbose=-1, n_jobs=1,
                 **options)
    return model.fit(X, y), X


def test_lightgbm_arrays_are_shaps_where_splits_know_missing_values():
    model, X = _lightgbm_model(0, "multiclass", 8, "nan")
    ours, theirs = read_trees(model), shap.TreeExplainer(model).model
    _shap_arrays_equal(ours, theirs)


@given(seed=st.integers(0, 10_000), objective=st.sampled_from(["binary", "multiclass", "regression"]),
       leaves=st.integers(2, 31), missing_rule=st.sampled_from(["nan", "zero_as_missing", "no_missing"]))
@settings(**SETTINGS)
def test_lightgbm_values_are_its_own_pred_contrib(seed, objective, leaves, missing_rule):
    model, X = _lightgbm_model(seed, objective, leaves, missing_rule)
    try:
        trees = read_trees(model)
    except UnsupportedModelError as error:  # only a zero the rule cannot place
        assert missing_rule == "zero_as_missing" and "zero" in str(error)
        return
    rows = _with_boundaries(X, trees, seed)
    assert np.isnan(rows).any() and (rows == 0).any()
    _, values, base = _kernel(model, rows)
    theirs = np.asarray(model.predict(rows, pred_contrib=True)).reshape(len(rows), values.shape[2], -1)
    np.testing.assert_allclose(values, theirs[:, :, :-1].transpose(0, 2, 1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.broadcast_to(base, theirs[:, :, -1].shape), theirs[:, :, -1], rtol=0, atol=1e-9)
    _assert_additive(values, base, model.predict(rows, raw_score=True), atol=1e-9)


@given(seed=st.integers(0, 10_000))
@settings(**SETTINGS)
def test_lightgbm_missing_types_and_thresholds_at_zero_are_read_as_lightgbm_predicts(seed):
    """Splits edited to sit at 0 and at LightGBM's zero band (|x| <= 1e-35, read as 0), with each
    missing type ("None": NaN is 0; "NaN": default_left; "Zero": NaN and 0 go default_left)."""
    model, X = _lightgbm_model(seed, "binary", 8, "nan")
    rng = np.random.default_rng(seed)
    zero = float(np.float32(1e-35))
    edges = [0.0, zero, -zero, np.nextafter(zero, 1.0), np.nextafter(-zero, -1.0), 1e-36, -1e-36]
    lines = []
    for line in model.booster_.model_to_string().splitlines():
        key, _, text = line.partition("=")
        if key == "tree_sizes":  # byte sizes of the trees, which the edits change
            continue
        if key == "threshold" and text:
            thresholds = [float(edges[rng.integers(len(edges))]) if rng.random() < 0.7 else float(v)
                          for v in text.split()]
        if key == "decision_type" and text:
            kinds = rng.integers(0, 3, len(thresholds))  # 0 None, 1 Zero, 2 NaN
            left = np.where(kinds == 1, np.array(thresholds) >= 0.0, rng.random(len(thresholds)) < 0.5)
            text = " ".join(str((k << 2) | (int(g) << 1)) for k, g in zip(kinds, left))
            line = f"decision_type={text}"
            lines[-1] = "threshold=" + " ".join(repr(t) for t in thresholds)
        lines.append(line)
    booster = lightgbm.Booster(model_str="\n".join(lines) + "\n")
    rows = X[:80].copy()
    picks = rng.random(rows.shape)
    rows[picks < 0.5] = rng.choice(edges + [np.nan], size=int((picks < 0.5).sum()))
    trees = read_trees(booster)
    values = _fasttree.explain_rows(rows, _fasttree.from_shap(trees, rows.shape[1]), threads=1)[:, :, 0]
    theirs = booster.predict(rows, pred_contrib=True)
    np.testing.assert_allclose(values, theirs[:, :-1], rtol=0, atol=1e-9)
    np.testing.assert_allclose(values.sum(axis=1) + path_base(trees)[0], booster.predict(rows, raw_score=True),
                               rtol=0, atol=1e-9)


def test_lightgbm_categorical_splits_are_refused_and_its_own_values_kept():
    X, y = _data(5, missing=0.0)
    frame = pd.DataFrame(X, columns=list("abcde")).assign(kind=pd.Categorical(np.arange(len(X)) % 4))
    model = lightgbm.LGBMClassifier(n_estimators=5, min_child_samples=5, min_data_per_group=5, cat_smooth=1,
                                    verbose=-1, n_jobs=1).fit(frame, (frame["kind"].cat.codes % 2) ^ y)
    with pytest.raises(UnsupportedModelError, match="categorical"):
        read_trees(model)
    result = tree_attributions(model, frame, np.ones(len(frame), dtype=int))
    np.testing.assert_allclose(result.values, model.predict(frame, pred_contrib=True)[:, :-1], rtol=0, atol=1e-12)


# -- XGBoost ------------------------------------------------------------------------------------------


def _xgboost_model(seed, objective, depth, early_stopping=False):
    n_classes = {"binary:logistic": 2, "multi:softprob": 3, "reg:squarederror": 0}[objective]
    X, y = _data(seed, n=400, n_classes=n_classes)
    kind = xgboost.XGBRegressor if n_classes == 0 else xgboost.XGBClassifier
    options = {"early_stopping_rounds": 2} if early_stopping else {}
    model = kind(n_estimators=12, max_depth=depth, learning_rate=0.5, random_state=seed, n_jobs=1, **options)
    fit = {"eval_set": [(X[:100], y[:100])], "verbose": False} if early_stopping else {}
    return model.fit(X[100:] if early_stopping else X, y[100:] if early_stopping else y, **fit), X


def _xgboost_own(model, rows):
    matrix = xgboost.DMatrix(rows)
    iterations = model._get_iteration_range(None)
    booster = model.get_booster()
    contributions = booster.predict(matrix, pred_contribs=True, iteration_range=iterations)
    return contributions, booster.predict(matrix, output_margin=True, iteration_range=iterations)


@given(seed=st.integers(0, 10_000),
       objective=st.sampled_from(["binary:logistic", "multi:softprob", "reg:squarederror"]),
       depth=st.integers(1, 6), early_stopping=st.booleans())
@settings(**SETTINGS)
def test_xgboost_values_are_its_own_pred_contribs_to_float32(seed, objective, depth, early_stopping):
    model, X = _xgboost_model(seed, objective, depth, early_stopping)
    trees = read_trees(model)
    rows = _with_boundaries(X, trees, seed)
    _, values, base = _kernel(model, rows)
    contributions, margin = _xgboost_own(model, rows)
    contributions = contributions.reshape(len(rows), values.shape[2], -1)
    np.testing.assert_allclose(values, contributions[:, :, :-1].transpose(0, 2, 1), rtol=0, atol=2e-5)
    np.testing.assert_allclose(np.broadcast_to(base, contributions[:, :, -1].shape), contributions[:, :, -1],
                               rtol=0, atol=2e-5)
    _assert_additive(values, base, margin, atol=2e-5)


def test_xgboost_arrays_are_shaps_where_shap_reads_them_exactly():
    model, _ = _xgboost_model(1, "binary:logistic", 4)
    _shap_arrays_equal(read_trees(model), shap.TreeExplainer(model).model, leaves_only=True)


def test_xgboost_missing_other_than_nan_is_refused():
    X, y = _data(2, missing=0.0)
    model = xgboost.XGBClassifier(n_estimators=2, missing=0.0, n_jobs=1).fit(X, y)
    with pytest.raises(UnsupportedModelError, match="missing"):
        read_trees(model)


def test_xgboost_random_forests_are_read_and_dart_is_refused():
    X, y = _data(8, n_classes=3)
    forest = xgboost.XGBRFClassifier(n_estimators=4, max_depth=3, n_jobs=1, random_state=0).fit(X, y)
    _, values, base = _kernel(forest, X[:50])
    contributions, margin = _xgboost_own(forest, X[:50])
    np.testing.assert_allclose(values, contributions[:, :, :-1].transpose(0, 2, 1), rtol=0, atol=2e-5)
    _assert_additive(values, base, margin, atol=2e-5)
    dart = xgboost.XGBClassifier(n_estimators=3, booster="dart", n_jobs=1).fit(X, y)
    with pytest.raises(UnsupportedModelError, match="dart"):
        read_trees(dart)


def test_lightgbm_random_forest_mode_and_linear_trees_are_refused():
    X, y = _data(9, missing=0.0)
    forest = lightgbm.LGBMClassifier(boosting_type="rf", n_estimators=3, bagging_freq=1, bagging_fraction=0.7,
                                     verbose=-1, n_jobs=1).fit(X, y)
    with pytest.raises(UnsupportedModelError, match="random-forest"):
        read_trees(forest)
    linear = lightgbm.LGBMRegressor(n_estimators=3, linear_tree=True, verbose=-1, n_jobs=1).fit(X, X[:, 0])
    with pytest.raises(UnsupportedModelError, match="linear trees"):
        read_trees(linear)


# -- the whole path -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["lightgbm", "xgboost", "hist_gradient_boosting"])
def test_tree_attributions_add_up_on_rows_with_nans_from_the_read_trees(kind, monkeypatch):
    monkeypatch.setattr(_tree, "SMALL_WORK", 0)  # the compiled kernel at any size
    X, y = _data(11)
    model = {"lightgbm": lambda: lightgbm.LGBMClassifier(n_estimators=10, verbose=-1, n_jobs=1),
             "xgboost": lambda: xgboost.XGBClassifier(n_estimators=10, max_depth=4, n_jobs=1),
             "hist_gradient_boosting": lambda: ensemble.HistGradientBoostingClassifier(max_iter=10)}[kind]().fit(X, y)
    classes = np.arange(len(X)) % 2
    result = tree_attributions(model, X, classes)
    assert np.isnan(X).any() and "the trees read from the model" in result.algorithm
    np.testing.assert_allclose(result.values.sum(axis=1) + result.base, result.output, rtol=0,
                               atol=1e-9 if kind != "xgboost" else 2e-5)


@pytest.mark.parametrize("kind", ["random_forest", "xgboost"])
def test_a_model_the_reader_refuses_is_read_by_shap_and_the_record_says_why(kind, monkeypatch):
    def refuse(estimator):
        raise UnsupportedModelError("a layout this reader refuses")

    monkeypatch.setattr(_tree, "read_trees", refuse)
    monkeypatch.setattr(_tree, "SMALL_WORK", 0)
    X, y = _data(12)
    model = (ensemble.RandomForestClassifier(4, max_depth=5, random_state=0) if kind == "random_forest"
             else xgboost.XGBClassifier(n_estimators=5, max_depth=3, n_jobs=1)).fit(X, y)
    result = tree_attributions(model, X, np.ones(len(X), dtype=int))
    assert "shap's reading of the trees (a layout this reader refuses)" in result.algorithm
    np.testing.assert_allclose(result.values.sum(axis=1) + result.base, result.output, rtol=0, atol=2e-5)


def test_a_tree_audit_never_imports_shap():
    script = textwrap.dedent("""
        import sys
        import lightgbm
        import xai_audit as xa
        from tests.conftest import FEATURES, make_credit_frame, make_pipeline_model
        frame = make_credit_frame(n=200)
        data = xa.AuditDataset.from_frame(frame, target="outcome", positive_label="repaid", features=FEATURES,
                                          sensitive=["sex"])
        for estimator in (None, lightgbm.LGBMClassifier(n_estimators=10, verbose=-1, n_jobs=1)):
            model = make_pipeline_model(frame, estimator)
            result = xa.audit(model, data, explainers=["shap"], n_resamples=20, random_state=0)
            assert "Tree SHAP" in result.to_dict()["explanations"]["shap"]["meta"]["algorithm"]
            log_odds = xa.explain(model, data, method="shap", output_space="log_odds", random_state=0)
            assert "Tree SHAP" in log_odds.meta["algorithm"], log_odds.meta["algorithm"]
        print(sorted(name for name in sys.modules if name.split(".")[0] == "shap"))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
