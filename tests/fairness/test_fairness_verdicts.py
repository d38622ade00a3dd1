"""Fairness verdicts go through each group's comparison against the reference group (with its interval),
never through an interval of a between-group spread; calibration is signed per group."""

import numpy as np
import pandas as pd
import pytest

from xai_audit.checks import check_fairness_gap
from xai_audit.fairness import fairness_report
from xai_audit.policy import Rule


def calibration_data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.choice(["over", "under", "ref"], n)
    scores = rng.uniform(0.05, 0.95, n)
    shift = np.select([group == "over", group == "under"], [-0.15, 0.15], 0.0)  # truth = score + shift
    y = (rng.random(n) < np.clip(scores + shift, 0, 1)).astype(int)
    return y, (scores > 0.5).astype(int), scores, pd.DataFrame({"g": group})


@pytest.fixture(scope="module")
def table():
    y, decisions, scores, groups = calibration_data()
    return fairness_report(y, decisions, groups, scores=scores, reference_groups={"g": "ref"}, n_resamples=300,
                           random_state=0)["g"]


def test_calibration_in_the_large_shows_over_and_under_prediction(table):
    groups = table["groups"]
    assert groups["over"]["calibration_in_the_large"] == pytest.approx(0.15, abs=0.04)
    assert groups["under"]["calibration_in_the_large"] == pytest.approx(-0.15, abs=0.04)
    assert abs(groups["ref"]["calibration_in_the_large"]) < 0.04
    over = table["differences"]["values"]["over"]["calibration_in_the_large"]
    under = table["differences"]["values"]["under"]["calibration_in_the_large"]
    assert over["value"] > 0 and over["ci"][0] > 0  # interval excludes 0 on the right side
    assert under["value"] < 0 and under["ci"][1] < 0
    # the gap is the spread of the signed values, not of an unsigned error
    assert table["summary"]["calibration_gap"] == pytest.approx(
        groups["over"]["calibration_in_the_large"] - groups["under"]["calibration_in_the_large"], abs=1e-12)


def rule(metric, threshold, direction="below", warn=None):
    return Rule(id=f"fairness.{metric}", check="fairness_gap", metric=metric, direction=direction,
                threshold=threshold, warn=warn, title="", rationale="", options={}, references=())


def test_fairness_gap_is_judged_by_the_worst_comparison_against_the_reference(table):
    sections = {"fairness": {"g": table}}
    settings = {"min_group_size": 30, "confidence": 0.95}
    (finding,) = check_fairness_gap(rule("calibration_gap", 0.05), sections, settings)
    values = table["differences"]["values"]
    worst = max(("over", "under"), key=lambda g: abs(values[g]["calibration_in_the_large"]["value"]))
    entry = values[worst]["calibration_in_the_large"]
    assert finding.observed == pytest.approx(abs(entry["value"]))
    low, high = sorted(abs(v) for v in entry["ci"])
    assert f"95% interval {low:.3f} to {high:.3f}" in finding.message
    assert finding.status == "fail"  # the whole interval of |difference| is above 0.05
    assert f"'{worst}' minus the reference" in finding.message


def test_a_ratio_summary_is_judged_on_the_ratio_against_the_reference():
    y = np.r_[np.ones(200), np.ones(200)].astype(int)
    decisions = np.r_[np.ones(120), np.zeros(80), np.ones(60), np.zeros(140)].astype(int)
    groups = pd.DataFrame({"g": ["a"] * 200 + ["b"] * 200})
    table = fairness_report(y, decisions, groups, reference_groups={"g": "a"}, n_resamples=100,
                            random_state=0)["g"]
    (finding,) = check_fairness_gap(rule("demographic_parity_ratio", 0.8, direction="above"),
                                    {"fairness": {"g": table}}, {"min_group_size": 30, "confidence": 0.95})
    ratio = table["ratios"]["values"]["b"]["selection_rate"]
    assert ratio["value"] == pytest.approx(0.5) and finding.observed == pytest.approx(0.5)
    assert finding.status == "fail" and ratio["ci"][1] < 0.8
