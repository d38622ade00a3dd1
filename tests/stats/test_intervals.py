"""Intervals of the stats layer: coverage by simulation, level honoured, point inside, closed forms by hand."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xai_audit.performance import performance_report
from xai_audit.stats.bootstrap import resample_counts, stratified_weights
from xai_audit.stats.intervals import (
    bias_corrected_interval,
    katz_ratio_interval,
    newcombe_interval,
    percentile_interval,
    wilson_interval,
    z_value,
)


def bootstrap_proportions(successes, n, n_resamples, rng):
    """Resampled proportions, shape (n_resamples, n_data_sets), through the one bootstrap."""
    counts = np.column_stack([successes, n - successes])
    return resample_counts(counts, n_resamples, rng)[:, :, 0] / n


def test_wilson_covers_a_proportion_at_its_level_in_simulation():
    rng = np.random.default_rng(0)
    for level in (0.9, 0.95):
        successes = rng.binomial(200, 0.3, size=2000)
        low, high = wilson_interval(successes, np.full(2000, 200), level)
        coverage = np.mean((low <= 0.3) & (0.3 <= high))
        assert abs(coverage - level) < 0.025, (level, coverage)


def test_bias_corrected_bootstrap_covers_a_proportion_in_simulation():
    # 200 data sets of n = 200, p = 0.3: the bootstrap of a proportion covers at about its level
    rng = np.random.default_rng(1)
    successes = rng.binomial(200, 0.3, size=200)
    samples = bootstrap_proportions(successes, 200, 1000, rng)
    for level in (0.9, 0.95):
        low, high = bias_corrected_interval(samples, successes / 200, level)
        coverage = np.mean((low <= 0.3) & (0.3 <= high))
        assert abs(coverage - level) < 0.05, (level, coverage)


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_width_at_large_n_is_the_normal_approximation(level):
    n, k = 100_000, 30_000
    normal = 2 * z_value(level) * np.sqrt(0.3 * 0.7 / n)
    low, high = wilson_interval(np.array([k]), np.array([n]), level)
    assert high[0] - low[0] == pytest.approx(normal, rel=1e-3)
    samples = bootstrap_proportions(np.array([k]), n, 4000, np.random.default_rng(2))
    low, high = bias_corrected_interval(samples, np.array([k / n]), level)
    assert high[0] - low[0] == pytest.approx(normal, rel=0.06)
    low, high = percentile_interval(samples, level)
    assert high[0] - low[0] == pytest.approx(normal, rel=0.06)


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_performance_intervals_have_the_requested_level(level):
    # accuracy of 20,000 rows is a proportion: its interval is the normal one at *this* level, not another
    rng = np.random.default_rng(3)
    n = 20_000
    y_true = rng.integers(0, 2, n)
    y_pred = np.where(rng.random(n) < 0.8, y_true, 1 - y_true)
    report = performance_report(y_true, y_pred, task="binary", classes=[0, 1], positive_index=1,
                                n_resamples=1000, confidence=level, random_state=0)
    accuracy = report["overall"]["accuracy"]
    low, high = report["overall_ci"]["accuracy"]
    normal = 2 * z_value(level) * np.sqrt(accuracy * (1 - accuracy) / n)
    assert high - low == pytest.approx(normal, rel=0.1)
    assert report["bootstrap"]["level"] == level and report["bootstrap"]["n_resamples"] == 1000
    assert report["bootstrap"]["resample_cap"] is None


def test_performance_states_a_resample_cap(monkeypatch):
    from xai_audit.stats import bootstrap

    monkeypatch.setattr(bootstrap, "ROW_DRAW_BUDGET", 500 * 30)
    monkeypatch.setattr(bootstrap, "MIN_ROW_RESAMPLES", 30)
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 500)
    report = performance_report(y, y, task="binary", classes=[0, 1], positive_index=1, n_resamples=1000,
                                random_state=0)
    assert report["bootstrap"]["n_resamples"] == 30 and report["bootstrap"]["n_resamples_requested"] == 1000
    assert report["bootstrap"]["resample_cap"].startswith("30 of 1,000 resamples because the 500 rows")


def test_newcombe_matches_newcombes_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, Table II example (56/70 vs 48/80): 0.0524 to 0.3339
    low, high = newcombe_interval(56, 70, 48, 80, 0.95)
    assert (round(float(low), 4), round(float(high), 4)) == (0.0524, 0.3339)


def test_katz_ratio_by_hand():
    se = np.sqrt(1 / 30 - 1 / 100 + 1 / 50 - 1 / 100)
    low, high = katz_ratio_interval(30, 100, 50, 100, 0.9)
    assert float(low) == pytest.approx(0.6 * np.exp(-z_value(0.9) * se))
    assert float(high) == pytest.approx(0.6 * np.exp(z_value(0.9) * se))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 400), st.integers(1, 400), st.data(), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_closed_form_intervals_contain_their_estimate(n1, n2, data, level):
    k1 = data.draw(st.integers(0, n1))
    k2 = data.draw(st.integers(0, n2))
    p1, p2 = k1 / n1, k2 / n2
    for low, high, value in [(*wilson_interval(k1, n1, level), p1),
                             (*newcombe_interval(k1, n1, k2, n2, level), p1 - p2)]:
        assert low - 1e-12 <= value <= high + 1e-12
    if k2 > 0:
        low, high = katz_ratio_interval(k1, n1, k2, n2, level)
        assert low - 1e-12 <= p1 / p2 <= high + 1e-12


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=3, max_size=60), st.sampled_from([0.9, 0.95]))
def test_bias_corrected_interval_contains_its_estimate_or_is_undefined(values, level):
    values = np.array(values)
    rng = np.random.default_rng(0)
    weights = np.vstack(list(stratified_weights(np.zeros(len(values), int), 300, rng)))
    samples = (weights @ values / len(values))[:, None]
    low, high = bias_corrected_interval(samples, np.array([values.mean()]), level)
    assert np.isnan(low[0]) or low[0] <= values.mean() <= high[0]


def test_stratified_weights_keep_each_stratum_size():
    strata = np.array([0] * 7 + [1] * 3 + [2] * 20)
    weights = np.vstack(list(stratified_weights(strata, 50, np.random.default_rng(0))))
    for s, size in ((0, 7), (1, 3), (2, 20)):
        assert (weights[:, strata == s].sum(axis=1) == size).all()
