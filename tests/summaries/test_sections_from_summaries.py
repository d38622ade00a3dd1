"""The performance and fairness sections from merged summaries equal the row path's for every
count-based number, and state how they were computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xai_audit.fairness import fairness_report
from xai_audit.performance import performance_report
from xai_audit.summaries import fairness_from_summary, merge, performance_from_summary, summarize

SCORE_PARTS = {"auc", "ece", "mean_score", "calibration_in_the_large", "auc_difference", "calibration_gap",
               "auc_error_bound", "bootstrap", "interval_method", "computed_from", "suppression", "ll144",
               "proxies", "disparity_attribution"}


def count_based(value):
    """``value`` without the score metrics and the statements of how they were computed."""
    if isinstance(value, dict):
        return {k: count_based(v) for k, v in value.items() if k not in SCORE_PARTS}
    if isinstance(value, list):
        return [count_based(v) for v in value]
    return value


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(11)
    n = 6000
    groups = pd.DataFrame({"sex": rng.choice(["f", "m", None], n, p=[0.4, 0.55, 0.05]),
                           "age": rng.choice(["young", "old", "mid", "tiny"], n, p=[0.3, 0.4, 0.295, 0.005])})
    scores = rng.beta(2, 3, n)
    y_true = (rng.random(n) < scores).astype(int)
    y_pred = (scores > 0.4).astype(int)
    parts = np.array_split(rng.permutation(n), 7)
    summary = merge(*[summarize(y_true[p], y_pred[p], groups.iloc[p], scores=scores[p]) for p in parts])
    return y_true, y_pred, groups, scores, summary


def test_fairness_from_shuffled_partitions_equals_the_row_path_for_count_based_numbers(rows):
    y_true, y_pred, groups, scores, summary = rows
    from_rows = fairness_report(y_true, y_pred, groups, scores=scores, n_resamples=100, random_state=3)
    from_counts = fairness_from_summary(summary, n_resamples=100, random_state=3)
    assert list(from_counts) == list(from_rows) == ["sex", "age", "sex*age"]
    for name in from_rows:
        assert list(from_counts[name]["groups"]) == list(from_rows[name]["groups"])
        assert count_based(from_counts[name]) == count_based(from_rows[name])
        assert from_counts[name]["groups"]["f" if name == "sex" else list(from_rows[name]["groups"])[0]]["tpr"] > 0
        assert from_counts[name]["computed_from"].startswith("summaries (histogram, 4096 bins)")


def test_score_metrics_of_groups_are_within_their_bound_of_the_row_path(rows):
    y_true, y_pred, groups, scores, _ = rows
    sex = groups[["sex"]]  # one table keeps the row bootstrap cheap
    summary = merge(*[summarize(y_true[p], y_pred[p], sex.iloc[p], scores=scores[p], intersections=False)
                      for p in np.array_split(np.arange(len(sex)), 3)])
    from_rows = fairness_report(y_true, y_pred, sex, scores=scores, n_resamples=400, random_state=0)["sex"]
    from_counts = fairness_from_summary(summary, n_resamples=400, random_state=0)["sex"]
    for label, entry in from_rows["groups"].items():
        mine = from_counts["groups"][label]
        assert abs(mine["auc"] - entry["auc"]) <= mine["auc_error_bound"] + 1e-12
        for metric in ("ece", "mean_score", "calibration_in_the_large"):
            assert mine[metric] == pytest.approx(entry[metric], abs=1e-12)
    assert from_counts["summary"]["calibration_gap"] == pytest.approx(from_rows["summary"]["calibration_gap"],
                                                                      abs=1e-12)
    # the histogram bootstrap and the row bootstrap estimate the same interval (Monte Carlo apart)
    for label, entry in from_rows["differences"]["values"].items():
        for metric in ("auc", "calibration_in_the_large"):
            rows_ci, counts_ci = entry[metric]["ci"], from_counts["differences"]["values"][label][metric]["ci"]
            width = rows_ci[1] - rows_ci[0]
            assert abs(counts_ci[0] - rows_ci[0]) < 0.35 * width and abs(counts_ci[1] - rows_ci[1]) < 0.35 * width
    assert from_counts["summary"]["judged_by"]["calibration_gap"] == from_rows["summary"]["judged_by"]["calibration_gap"]


def test_performance_from_summaries_equals_the_row_path(rows):
    y_true, y_pred, groups, scores, summary = rows
    from_rows = performance_report(y_true, y_pred, proba=np.c_[1 - scores, scores], classes=[0, 1],
                                   positive_index=1, task="binary", groups=groups.fillna("unknown"),
                                   n_resamples=100, random_state=0)
    from_counts = performance_from_summary(summary, n_resamples=100, random_state=0)
    for overall, expected in [(from_counts["overall"], from_rows["overall"])] + [
            (from_counts["by_group"][a][g], from_rows["by_group"][a][g])
            for a in ("sex", "age") for g in from_rows["by_group"][a]]:
        assert overall["n"] == expected["n"]
        assert overall["accuracy"] == expected["accuracy"]
        assert overall["balanced_accuracy"] == expected["balanced_accuracy"]
        assert abs(overall["roc_auc"] - expected["roc_auc"]) <= overall["roc_auc_error_bound"] + 1e-12
        for metric in ("brier", "log_loss", "ece"):
            assert overall[metric] == pytest.approx(expected[metric], abs=1e-10)
    low, high = from_counts["overall_ci"]["accuracy"]
    assert low < from_counts["overall"]["accuracy"] < high
    assert from_counts["overall_ci"]["roc_auc"] is None


def test_regression_performance_from_moments_equals_scikit_learn():
    rng = np.random.default_rng(2)
    y_true = rng.normal(100, 10, 500)
    y_pred = y_true + rng.normal(1, 3, 500)
    groups = pd.DataFrame({"g": rng.choice(["a", "b"], 500)})
    halves = merge(summarize(y_true[:200], y_pred[:200], groups.iloc[:200], task="regression"),
                   summarize(y_true[200:], y_pred[200:], groups.iloc[200:], task="regression"))
    expected = performance_report(y_true, y_pred, task="regression", groups=groups, n_resamples=0)
    got = performance_from_summary(halves)
    for metric in ("mae", "rmse", "r2"):
        assert got["overall"][metric] == pytest.approx(expected["overall"][metric], rel=1e-9)
        assert got["by_group"]["g"]["b"][metric] == pytest.approx(expected["by_group"]["g"]["b"][metric], rel=1e-9)


def test_histogram_resamples_are_centred_on_the_exact_mean_score():
    """Scores on the lower edges of their bins sit half a bin below the bin centres the resamples use;
    the resamples must be shifted back onto the exact estimate, not away from it."""
    from xai_audit.summaries.score_bootstrap import score_estimates
    from xai_audit.summaries.scores import MOMENTS, SCORE_BINS

    rng = np.random.default_rng(0)
    histogram = rng.integers(0, 5000, size=(2, SCORE_BINS))
    edges = np.arange(SCORE_BINS) / SCORE_BINS
    moments = np.zeros((2, len(MOMENTS)))
    moments[:, 0] = histogram.sum(axis=1)
    moments[:, 1] = histogram @ edges
    summary = {"histogram": histogram, "calibration": np.zeros((3, 10)), "moments": moments}
    estimates = score_estimates([summary], 400, np.random.default_rng(1))
    exact = moments[:, 1].sum() / moments[:, 0].sum()
    assert estimates.point["mean_score"][0] == pytest.approx(exact, abs=1e-12)
    assert abs(estimates.samples["mean_score"][:, 0].mean() - exact) < 3e-5  # half a bin is 1.2e-4
