"""Batched LIME: the lime package's scheme, checked against the lime package on the same rows."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import Ridge

from xai_audit import AuditDataset, load_model
from xai_audit.explainers import explain
from xai_audit.explainers import lime as lime_module
from xai_audit.explainers.lime import (LimeSampler, default_kernel_width, lime_kernel, lime_package_weights,
                                     truncated_normal, weighted_ridge)
from tests.explainers.tabular_models import one_thread  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

ROWS = [1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 34]


def _median_rank_agreement(first, second):
    return float(np.median([spearmanr(a, b)[0] for a, b in zip(first, second)]))


@pytest.fixture(scope="module")
def mixed_model():
    """Eight features, two of them categorical, through a one-hot pipeline."""
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"n{i}" for i in range(6)])
    frame["colour"] = rng.choice(["red", "green", "blue"], n)
    frame["size"] = rng.choice(["s", "m", "l", "xl"], n)
    score = 2 * frame["n0"] - 1.5 * frame["n1"] + frame["n2"] + (frame["colour"] == "red") * 1.2 - 0.5 * frame["n3"]
    frame["y"] = (score + rng.normal(scale=0.5, size=n) > 0).astype(int)
    features = [c for c in frame.columns if c != "y"]
    encoder = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include=object)),
                                      remainder="passthrough")
    model = make_pipeline(encoder, RandomForestClassifier(n_estimators=30, max_depth=6, random_state=0))
    model.fit(frame[features], frame["y"])
    return load_model(model), AuditDataset.from_frame(frame, target="y", features=features)


def test_weights_agree_with_the_lime_package(mixed_model):
    adapter, data = mixed_model
    features = list(data.features)
    ours = explain(adapter, data, method="lime", rows=ROWS, random_state=0, num_samples=2000).values
    lime_a = lime_package_weights(adapter, data, features, ROWS, num_samples=2000, random_state=0)
    lime_b = lime_package_weights(adapter, data, features, ROWS, num_samples=2000, random_state=1)
    ours_vs_lime = _median_rank_agreement(ours, lime_a)
    lime_vs_lime = _median_rank_agreement(lime_a, lime_b)
    assert ours_vs_lime >= lime_vs_lime - 0.02, (ours_vs_lime, lime_vs_lime)
    # the same sizes too: the per-feature weights differ about as much as lime's own two seeds do
    assert np.abs(ours - lime_a).mean() <= 1.5 * np.abs(lime_b - lime_a).mean()


def test_categorical_features_are_perturbed_as_categories(mixed_model):
    _, data = mixed_model
    sampler = LimeSampler(data.frame.loc[:, list(data.features)], list(data.features), data.feature_kinds)
    draws = sampler.sample(5000, np.random.default_rng(0))
    colour = list(data.features).index("colour")
    assert set(np.unique(draws[:, colour])) == {0.0, 1.0, 2.0}
    decoded = sampler.codec.decode(sampler.undiscretize(draws, np.random.default_rng(0)))
    assert set(decoded["colour"]) == {"red", "green", "blue"}
    frequencies = decoded["colour"].value_counts(normalize=True)
    expected = data.frame["colour"].value_counts(normalize=True)
    assert np.allclose(frequencies[expected.index], expected, atol=0.03)


def test_quartile_bins_and_values_within_them():
    frame = pd.DataFrame({"a": np.arange(100.0), "y": [0, 1] * 50})
    sampler = LimeSampler(frame[["a"]], ["a"], {"a": "numeric"})
    np.testing.assert_allclose(sampler.edges[0], np.percentile(frame["a"], [25, 50, 75]))
    rng = np.random.default_rng(0)
    draws = sampler.sample(2000, rng)
    values = sampler.undiscretize(draws, rng)[:, 0]
    bins = np.searchsorted(sampler.edges[0], values)
    assert np.array_equal(bins, draws[:, 0].astype(int))


@settings(max_examples=30, deadline=None)
@given(mean=st.floats(-5, 5), std=st.floats(0.01, 3), low=st.floats(-8, 8), width=st.floats(0, 4))
def test_truncated_normal_stays_in_its_bin(mean, std, low, width):
    rng = np.random.default_rng(0)
    n = 200
    draws = truncated_normal(np.full(n, mean), np.full(n, std), np.full(n, low), np.full(n, low + width), rng)
    assert np.isfinite(draws).all()
    assert draws.min() >= low - 1e-9 and draws.max() <= low + width + 1e-9


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 1000), n_features=st.integers(1, 6), alpha=st.floats(0.01, 10))
def test_weighted_ridge_equals_sklearn(seed, n_features, alpha):
    rng = np.random.default_rng(seed)
    Z = (rng.random((3, 40, n_features)) > 0.5).astype(float)
    y, w = rng.random((3, 40)), rng.random((3, 40)) + 0.01
    coef, intercept, score = weighted_ridge(Z, y, w, alpha=alpha)
    for r in range(3):
        reference = Ridge(alpha=alpha).fit(Z[r], y[r], sample_weight=w[r])
        np.testing.assert_allclose(coef[r], reference.coef_, atol=1e-8)
        assert intercept[r] == pytest.approx(reference.intercept_, abs=1e-8)
        assert score[r] == pytest.approx(reference.score(Z[r], y[r], sample_weight=w[r]), abs=1e-8)


def test_model_is_called_once_for_all_rows(mixed_model):
    adapter, data = mixed_model
    e = explain(adapter, data, method="lime", rows=ROWS, random_state=0, num_samples=500)
    assert e.meta["model_calls"] == 1
    assert len(e.meta["local_r2"]) == len(ROWS) and e.meta["num_samples"] == 500


def test_regression_and_multiclass():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    frame["value"] = 3 * frame["a"] - frame["b"]
    frame["cls"] = np.digitize(frame["a"], [-0.5, 0.5])
    from sklearn.ensemble import RandomForestRegressor

    regressor = load_model(RandomForestRegressor(n_estimators=10, random_state=0).fit(frame[["a", "b", "c"]], frame["value"]))
    data = AuditDataset.from_frame(frame, target="value", features=["a", "b", "c"])
    ours = explain(regressor, data, method="lime", rows=[0, 1, 2, 3], random_state=0, num_samples=1000).values
    reference = lime_package_weights(regressor, data, ["a", "b", "c"], [0, 1, 2, 3], num_samples=1000, random_state=0)
    assert np.all(np.abs(ours[:, 0]) > np.abs(ours[:, 2])) and np.all(np.sign(ours[:, 0]) == np.sign(reference[:, 0]))
    classifier = load_model(RandomForestClassifier(n_estimators=10, random_state=0).fit(frame[["a", "b", "c"]], frame["cls"]))
    data = AuditDataset.from_frame(frame, target="cls", features=["a", "b", "c"])
    e = explain(classifier, data, method="lime", rows=[0, 1], random_state=0, num_samples=500)
    np.testing.assert_allclose(e.output, classifier.predict_proba(frame.loc[[0, 1], ["a", "b", "c"]]).max(axis=1))


def test_per_row_samples_as_lime_draws_them_agree_too(mixed_model):
    adapter, data = mixed_model
    features = list(data.features)
    shared = explain(adapter, data, method="lime", rows=ROWS[:6], random_state=0, num_samples=2000)
    separate = explain(adapter, data, method="lime", rows=ROWS[:6], random_state=0, num_samples=2000, share_samples=False)
    reference = lime_package_weights(adapter, data, features, ROWS[:6], num_samples=2000, random_state=0)
    assert separate.meta["perturbations"].startswith("drawn for each row")
    assert _median_rank_agreement(separate.values, reference) > 0.8
    assert _median_rank_agreement(shared.values, separate.values) > 0.8


@pytest.mark.parametrize("n_features", [1, 4, 20])
def test_the_kernel_and_its_default_width_are_limes(n_features):
    """The kernel, with the default width for n features, weighs every distance exactly as the ``lime``
    package's own explainer does (a width off by a factor flattens or sharpens the locality)."""
    from lime.lime_tabular import LimeTabularExplainer

    training = np.random.default_rng(0).normal(size=(50, n_features))
    reference = LimeTabularExplainer(training, mode="regression", discretize_continuous=False, random_state=0)
    distances = np.linspace(0.0, 3.0 * np.sqrt(n_features), 25)
    np.testing.assert_allclose(lime_kernel(distances, default_kernel_width(n_features)),
                               reference.base.kernel_fn(distances), rtol=1e-12, atol=0)


def test_the_explainer_weighs_its_samples_with_the_recorded_width(mixed_model, monkeypatch):
    model, data = mixed_model
    widths = []

    def spy(distances, kernel_width):
        widths.append(kernel_width)
        return lime_kernel(distances, kernel_width)

    monkeypatch.setattr(lime_module, "lime_kernel", spy)
    explanation = explain(model, data, method="lime", rows=3, random_state=0)
    assert widths and set(widths) == {explanation.meta["kernel_width"]}
    assert explanation.meta["kernel_width"] == default_kernel_width(len(explanation.feature_names))


def test_weighted_ridge_is_the_same_on_any_number_of_blas_threads():
    """The Gram products of a demo-sized block (20 rows x 5000 samples x 20 features) run on one BLAS
    thread whatever the pool allows: a team splits the sums by its size, which changed the weights in
    their last bits from one machine to another."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(5)
    Z = (rng.random((20, 5000, 20)) < 0.6).astype(float)
    y, w = rng.random((20, 5000)), rng.random((20, 5000))
    with threadpool_limits(limits=1, user_api="blas"):
        one = lime_module.weighted_ridge(Z, y, w, alpha=1.0)
    with threadpool_limits(limits=2, user_api="blas"):
        two = lime_module.weighted_ridge(Z, y, w, alpha=1.0)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
