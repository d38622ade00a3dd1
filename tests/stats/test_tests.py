"""Two-proportion tests and multiplicity adjustments against hand-computed values and scipy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from xai_audit.stats.tests import adjust_p_values, two_proportion_test


def test_fisher_is_chosen_at_small_expected_counts_where_uncorrected_chi_square_misleads():
    # 1 of 8 vs 7 of 12 selected: uncorrected chi-square says p = 0.040, Fisher's exact test 0.070
    table = [[1, 7], [7, 5]]
    assert stats.chi2_contingency(table, correction=False).pvalue == pytest.approx(0.0404, abs=1e-4)
    result = two_proportion_test(1, 8, 7, 12)
    assert result["test"] == "fisher_exact" and result["min_expected"] < 5
    assert result["p_value"] == pytest.approx(stats.fisher_exact(table).pvalue)
    assert result["p_value"] == pytest.approx(0.0697, abs=1e-4) and result["p_value"] > 0.05


def test_chi_square_with_yates_correction_at_large_counts():
    result = two_proportion_test(45, 100, 60, 100)
    table = [[45, 55], [60, 40]]
    assert result["test"] == "chi_square_yates"
    assert result["p_value"] == pytest.approx(stats.chi2_contingency(table, correction=True).pvalue)
    assert result["p_value"] > stats.chi2_contingency(table, correction=False).pvalue


def test_holm_and_benjamini_hochberg_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max
    assert adjust_p_values(p, "holm").tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH: sorted descending 0.04*4/4, 0.03*4/3, 0.01*4/2, 0.005*4/1 = 0.04, 0.04, 0.02, 0.02 -> running min
    assert adjust_p_values(p, "fdr_bh").tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # capped at 1, NaN left out of the family
    assert adjust_p_values([0.5, np.nan, 0.6], "holm")[[0, 2]].tolist() == pytest.approx([1.0, 1.0])
    assert np.isnan(adjust_p_values([0.5, np.nan, 0.6])[1])


def test_benjamini_hochberg_matches_scipy():
    p = np.random.default_rng(0).uniform(size=40) ** 3
    assert adjust_p_values(p, "fdr_bh") == pytest.approx(stats.false_discovery_control(p, method="bh"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_holm_properties(p):
    p = np.array(p)
    holm = adjust_p_values(p, "holm")
    bh = adjust_p_values(p, "fdr_bh")
    assert (holm >= p - 1e-15).all() and (holm <= 1).all() and (bh <= holm + 1e-12).all()
    order = np.argsort(p, kind="stable")
    assert (np.diff(holm[order]) >= -1e-15).all()  # adjusted p-values keep the order of the raw ones
    assert holm.min() == pytest.approx(min(1.0, p.min() * len(p)))
