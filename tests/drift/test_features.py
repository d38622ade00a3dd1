"""Per-feature drift tests: values equal scipy's, planted shifts are found, random halves are not."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from xai_audit.drift.features import categorical_drift, feature_drift, numeric_drift, psi_from_counts
from xai_audit.stats.tests import adjust_p_values

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=1, max_size=60), st.lists(finite, min_size=1, max_size=60))
def test_numeric_values_equal_scipy(reference, current):
    row = numeric_drift(reference, current)
    expected = stats.ks_2samp(reference, current)
    assert row["statistic"] == expected.statistic
    assert row["p_value"] == expected.pvalue
    assert row["wasserstein"] == pytest.approx(stats.wasserstein_distance(reference, current), rel=1e-12, abs=1e-9)
    low, high = row["effect_ci"]
    assert 0.0 <= low <= row["effect"] <= high <= 1.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=80), st.lists(st.sampled_from("abcde"), min_size=1, max_size=80))
def test_categorical_values_equal_scipy(reference, current):
    row = categorical_drift(reference, current)
    categories = sorted(set(reference) | set(current))
    table = np.array([[reference.count(c) for c in categories], [current.count(c) for c in categories]])
    if len(categories) > 1:
        expected = stats.chi2_contingency(table)
        assert row["p_value"] == expected.pvalue
        assert row["statistic"] == expected.statistic
    else:
        assert row["p_value"] == 1.0
    shares = table / table.sum(axis=1, keepdims=True)
    assert row["effect"] == pytest.approx(0.5 * np.abs(shares[0] - shares[1]).sum())
    assert row["jensen_shannon"] == pytest.approx(jensenshannon(shares[0], shares[1], base=2), abs=1e-12)


def test_missing_values_are_a_category_and_counted():
    row = categorical_drift(["a", None, "a"], ["a", "a", "a"])
    assert row["categories"] == ["a", "missing"]
    assert row["counts_reference"] == [2, 1]
    numeric = numeric_drift([1.0, np.nan, 2.0], [1.0, 2.0, 3.0])
    assert numeric["missing_reference"] == 1 and numeric["n_reference"] == 2


def test_psi_by_hand():
    # shares 0.5/0.5 -> 0.6/0.4: 0.1*ln(1.2) + (-0.1)*ln(0.8)
    assert psi_from_counts([50, 50], [60, 40]) == pytest.approx(0.1 * math.log(1.2) - 0.1 * math.log(0.8))
    assert psi_from_counts([10, 0], [5, 5]) > 0  # an empty bin is floored, not infinite


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.floats(0.01, 0.2))
def test_bh_rejections_follow_the_step_up_definition(p_values, alpha):
    adjusted = adjust_p_values(p_values, "fdr_bh")
    m = len(p_values)
    order = np.sort(p_values)
    # A p-value exactly on a step's line (p = k alpha / m) is decided by rounding, not by the definition.
    assume(all(abs(order[k - 1] - k * alpha / m) > 1e-12 for k in range(1, m + 1)))
    passing = [k for k in range(1, m + 1) if order[k - 1] <= k * alpha / m]
    cutoff = order[max(passing) - 1] if passing else -1.0
    expected = {i for i, p in enumerate(p_values) if p <= cutoff}
    got = {i for i, p in enumerate(adjusted) if p <= alpha}
    assert got == expected


def _frame(rng, n, mean_shift=0.0, share_b=0.3):
    return pd.DataFrame({
        "a": rng.normal(mean_shift, 1, n), "b": rng.normal(0, 1, n), "c": rng.exponential(1, n),
        "cat": rng.choice(["x", "y", "z"], n, p=[0.9 - share_b, share_b, 0.1]),
    })


KINDS = {"a": "numeric", "b": "numeric", "c": "numeric", "cat": "categorical"}


def test_planted_mean_shift_and_category_share_change_are_found_and_nothing_else():
    rng = np.random.default_rng(7)
    reference = _frame(rng, 3000)
    current = _frame(rng, 3000, mean_shift=0.3, share_b=0.4)
    table = feature_drift(reference, current, list(KINDS), KINDS)
    verdicts = {name: row["verdict"] for name, row in table["features"].items()}
    assert verdicts == {"a": "drifted", "b": "stable", "c": "stable", "cat": "drifted"}
    assert table["n_drifted"] == 2 and table["share_drifted"] == 0.5


def _one_population(rng, n):
    """12 independent features of one population: 6 normal, 3 exponential, 3 categorical."""
    columns = {f"n{i}": rng.normal(size=n) for i in range(6)}
    columns.update({f"e{i}": rng.exponential(size=n) for i in range(3)})
    columns.update({f"c{i}": rng.choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2]) for i in range(3)})
    return pd.DataFrame(columns)


def test_random_halves_drift_no_more_often_than_the_corrected_rate():
    """Two random halves of one data set, over 200 seeds: under no drift BH at 0.05 keeps P(any of the 12
    features flagged) at or below 0.05, and each raw p-value below 0.05 at most 5% of the time. Each count
    may exceed its expectation only up to its binomial 0.999 quantile."""
    n_seeds, n_rows = 200, 200
    runs_with_any = raw_below = 0
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        frame = _one_population(rng, n_rows)
        kinds = {name: "categorical" if name.startswith("c") else "numeric" for name in frame.columns}
        halves = rng.permutation(n_rows)
        table = feature_drift(frame.iloc[halves[: n_rows // 2]], frame.iloc[halves[n_rows // 2:]], list(kinds), kinds)
        runs_with_any += table["n_drifted"] > 0
        raw_below += sum(row["p_value"] < 0.05 for row in table["features"].values())
    assert runs_with_any <= stats.binom.isf(0.001, n_seeds, 0.05)
    assert raw_below <= stats.binom.isf(0.001, n_seeds * 12, 0.05)


def test_ks_interval_covers_the_true_statistic():
    """D between N(0,1) and N(0.5,1) is 2*Phi(0.25) - 1; the DKW interval covers it in >= 95% of samples."""
    truth = 2 * stats.norm.cdf(0.25) - 1
    covered = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        low, high = numeric_drift(rng.normal(0, 1, 300), rng.normal(0.5, 1, 300))["effect_ci"]
        covered += low <= truth <= high
    assert covered >= 190


def test_tvd_interval_covers_the_true_distance():
    p, q = np.array([0.5, 0.3, 0.2]), np.array([0.4, 0.3, 0.3])
    truth = 0.5 * np.abs(p - q).sum()
    covered = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        low, high = categorical_drift(rng.choice(list("abc"), 300, p=p), rng.choice(list("abc"), 300, p=q))["effect_ci"]
        covered += low <= truth <= high
    assert covered >= 190


def test_unknown_correction_is_refused():
    with pytest.raises(ValueError, match="correction must be one of"):
        feature_drift(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"a": [1.0]}), ["a"], {}, correction="bonf")


@pytest.mark.parametrize("decimals", [None, 1])
def test_large_samples_equal_scipy_and_numpy_with_and_without_ties(decimals):
    """Above scipy's exact-KS size the asymptotic branch is computed from the shared distribution
    functions; it, the Wasserstein distance, the histogram and PSI equal the plain library calls."""
    rng = np.random.default_rng(3)
    reference, current = rng.normal(size=12_000), rng.normal(0.05, 1.1, size=15_000)
    if decimals is not None:
        reference, current = reference.round(decimals), current.round(decimals)
    row = numeric_drift(reference, current)
    expected = stats.ks_2samp(reference, current)
    assert row["statistic"] == expected.statistic
    assert row["p_value"] == expected.pvalue
    assert row["wasserstein"] == pytest.approx(stats.wasserstein_distance(reference, current), rel=1e-9)
    edges = np.array(row["histogram"]["edges"])
    assert row["histogram"]["reference"] == pytest.approx(np.histogram(reference, bins=edges)[0] / reference.size)
    assert row["histogram"]["current"] == pytest.approx(np.histogram(current, bins=edges)[0] / current.size)
    cuts = np.unique(np.quantile(reference, np.linspace(0, 1, 11)[1:-1]))
    by_bin = [np.bincount(np.searchsorted(cuts, x, side="right"), minlength=cuts.size + 1) for x in (reference, current)]
    assert row["psi"] == pytest.approx(psi_from_counts(*by_bin), rel=1e-12)
