"""Worked examples from the rules themselves: UGESP four-fifths, NYC Local Law 144, German credit."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xai_audit.fairness import fairness_report
from xai_audit.fairness.compare import is_below_four_fifths

GERMAN_CREDIT = Path("/work/shared/datasets/german_credit/german_credit.csv")


def selections(counts: dict) -> tuple[np.ndarray, pd.DataFrame]:
    """Decisions and group labels with ``counts = {group: (selected, applicants)}``."""
    labels, decisions = [], []
    for group, (selected, applicants) in counts.items():
        labels += [group] * applicants
        decisions += [1] * selected + [0] * (applicants - selected)
    return np.array(decisions), pd.DataFrame({"group": labels})


def test_ugesp_four_fifths_example_flags_only_the_ratio_below_080():
    # UGESP Q&A 12 style: selection rates 60%, 45%, 48%, 51% of 100 applicants each
    y_pred, groups = selections({"a": (60, 100), "b": (45, 100), "c": (48, 100), "d": (51, 100)})
    table = fairness_report(y_pred, y_pred, groups, n_resamples=200, random_state=0)["group"]
    rule = table["four_fifths"]
    assert rule["highest_group"] == "a"
    ratios = {g: round(entry["impact_ratio"], 2) for g, entry in rule["groups"].items()}
    assert ratios == {"a": 1.0, "b": 0.75, "c": 0.80, "d": 0.85}
    assert {g for g, entry in rule["groups"].items() if entry["flagged"]} == {"b"}
    assert table["summary"]["four_fifths_flagged_groups"] == ["b"]
    assert table["summary"]["min_impact_ratio"] == pytest.approx(0.75)
    assert "strictly below 0.8" in rule["convention"]


def test_exactly_four_fifths_is_not_flagged_despite_floating_point():
    assert 0.64 / 0.80 < 0.8  # the floating-point trap the tolerance is for
    assert not is_below_four_fifths(0.64 / 0.80) and not is_below_four_fifths(0.48 / 0.60)
    assert is_below_four_fifths(0.7999)
    y_pred, groups = selections({"a": (80, 100), "b": (64, 100)})
    rule = fairness_report(y_pred, y_pred, groups, n_resamples=0)["group"]["four_fifths"]
    assert rule["groups"]["b"]["impact_ratio"] < 0.8 and not rule["groups"]["b"]["flagged"]


LL144_SEX = {"Male": (50, 92), "Female": (34, 76)}
LL144_RACE = {"Hispanic or Latino": (18, 28), "White": (15, 40), "Black or African American": (16, 32),
              "Native Hawaiian or Pacific Islander": (5, 8), "Asian": (10, 24)}


@pytest.mark.parametrize("counts, expected", [
    (LL144_SEX, {"Male": 1.00, "Female": 0.82}),
    (LL144_RACE, {"Hispanic or Latino": 1.00, "White": 0.58, "Black or African American": 0.78,
                  "Native Hawaiian or Pacific Islander": 0.97, "Asian": 0.65}),
])
def test_nyc_local_law_144_worked_example(counts, expected):
    y_pred, groups = selections(counts)
    selection = fairness_report(y_pred, y_pred, groups, n_resamples=0)["group"]["ll144"]["selection"]
    assert {g: round(c["impact_ratio"], 2) for g, c in selection["categories"].items()} == expected
    assert {g: (c["selected"], c["n"]) for g, c in selection["categories"].items()} == counts
    assert selection["highest_category"] == max(expected, key=expected.get)


def test_ll144_small_categories_are_reported_marked_and_not_the_highest():
    # "tiny" is 1% of the data and has the highest rate; "unknown" has the second highest
    y_pred, groups = selections({"big": (300, 600), "other": (150, 340), "unknown": (40, 50), "tiny": (10, 10)})
    ll144 = fairness_report(y_pred, y_pred, groups, n_resamples=0)["group"]["ll144"]
    categories = ll144["selection"]["categories"]
    assert categories["tiny"]["small_category"] and not categories["big"]["small_category"]
    assert ll144["selection"]["highest_category"] == "big"
    assert categories["tiny"]["impact_ratio"] == pytest.approx(1.0 / 0.5)
    assert categories["unknown"]["impact_ratio"] == pytest.approx(0.8 / 0.5)


def test_ll144_scoring_rate_is_the_share_above_the_whole_sample_median():
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9, 0.5, 0.5])  # median 0.5
    groups = pd.DataFrame({"group": ["a"] * 4 + ["b"] * 4 + ["a", "b"]})
    y = (scores > 0.5).astype(int)
    scoring = fairness_report(y, y, groups, scores=scores, n_resamples=0)["group"]["ll144"]["scoring"]
    assert scoring["median_score"] == 0.5
    assert scoring["categories"]["a"]["above_median"] == 0  # 0.5 itself is not above the median
    assert scoring["categories"]["b"]["scoring_rate"] == pytest.approx(4 / 5)
    assert scoring["categories"]["a"]["impact_ratio"] == 0.0


@pytest.mark.skipif(not GERMAN_CREDIT.exists(), reason=f"{GERMAN_CREDIT} is not on this machine")
def test_german_credit_disparate_impact_and_statistical_parity_by_sex():
    frame = pd.read_csv(GERMAN_CREDIT)
    selected = (frame["credit_risk"] == "good").astype(int)
    table = fairness_report(selected, selected, frame[["sex"]], n_resamples=0)["sex"]
    assert table["reference_group"] == "male"  # the largest group
    assert round(table["ratios"]["values"]["female"]["selection_rate"]["value"], 6) == 0.896567
    assert round(table["differences"]["values"]["female"]["selection_rate"]["value"], 6) == -0.074801
    assert table["ratios"]["convention"].startswith("group divided by reference group ('male')")
    assert table["differences"]["convention"] == "group minus reference group ('male')"


def test_selection_rate_tests_use_fisher_for_small_counts_and_chi_square_otherwise():
    y_pred, groups = selections({"a": (60, 100), "b": (45, 100), "c": (2, 10)})
    tests = fairness_report(y_pred, y_pred, groups, n_resamples=0)["group"]["tests"]
    assert set(tests) == {"b", "c"}  # the reference group "a" is not tested against itself
    assert tests["b"]["test"] == "chi_square_yates" and tests["c"]["test"] == "fisher_exact"
    assert tests["b"]["p_value"] == pytest.approx(0.0474, abs=1e-4)  # Yates-corrected chi-square
    assert tests["b"]["adjustment"] == "holm" and tests["b"]["family_size"] == 2
    assert tests["c"]["table"] == [[2, 8], [60, 40]]
