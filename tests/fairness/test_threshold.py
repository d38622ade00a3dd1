"""fairness_at_threshold: the fairness report of the decisions ``score >= threshold``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xai_audit import InvalidInputError
from xai_audit.fairness import decisions_at, fairness_at_threshold, fairness_report


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=8, max_value=60), st.floats(min_value=0.0, max_value=1.0), st.integers(0, 10_000))
def test_group_rates_are_the_shares_at_or_above_the_cut_off(n, threshold, seed):
    rng = np.random.default_rng(seed)
    scores = rng.random(n)
    y_true = rng.integers(0, 2, n)
    groups = pd.DataFrame({"g": rng.choice(["a", "b"], n)})
    report = fairness_at_threshold(y_true, scores, groups, threshold, n_resamples=0, min_group_size=1)
    for label, table in report["g"]["groups"].items():
        mask = (groups["g"] == label).to_numpy()
        assert table["n"] == mask.sum()
        assert table["selection_rate"] == pytest.approx(np.mean(scores[mask] >= threshold))


def test_same_as_the_report_of_the_thresholded_decisions_with_intervals():
    rng = np.random.default_rng(3)
    scores, y_true = rng.random(200), rng.integers(0, 2, 200)
    groups = pd.DataFrame({"sex": rng.choice(["f", "m"], 200)})
    ours = fairness_at_threshold(y_true, scores, groups, 0.4, n_resamples=50, random_state=1)
    direct = fairness_report(y_true, (scores >= 0.4).astype(int), groups, scores=scores, n_resamples=50,
                             random_state=1)
    assert ours == direct
    assert ours["sex"]["groups"]["f"]["ci"]["selection_rate"][0] is not None


def test_a_higher_cut_off_never_selects_more():
    rng = np.random.default_rng(5)
    scores = rng.random(100)
    assert (decisions_at(scores, 0.7) <= decisions_at(scores, 0.3)).all()
    assert decisions_at([0.5], 0.5).tolist() == [1]


@pytest.mark.parametrize("scores, threshold", [([0.1, np.nan], 0.5), ([0.1, 0.2], 1.5)])
def test_bad_inputs_are_input_errors(scores, threshold):
    with pytest.raises(InvalidInputError):
        decisions_at(scores, threshold)


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=10, max_value=80), st.floats(min_value=0.05, max_value=0.95), st.integers(0, 10_000))
def test_performance_at_a_cut_off_is_the_confusion_of_its_decisions(n, threshold, seed):
    from xai_audit.fairness import performance_at_threshold

    rng = np.random.default_rng(seed)
    scores, y_true = rng.random(n), rng.integers(0, 2, n)
    decided = scores >= threshold
    out = performance_at_threshold(y_true, scores, threshold, n_resamples=0)
    c = out["confusion"]
    assert c == {"tn": int((~decided & (y_true == 0)).sum()), "fp": int((decided & (y_true == 0)).sum()),
                 "fn": int((~decided & (y_true == 1)).sum()), "tp": int((decided & (y_true == 1)).sum())}
    assert out["metrics"]["selection_rate"] == pytest.approx(decided.mean())
    assert out["metrics"]["accuracy"] == pytest.approx((c["tp"] + c["tn"]) / n)


def test_performance_at_a_cut_off_has_intervals_around_its_values():
    from xai_audit.fairness import performance_at_threshold

    rng = np.random.default_rng(2)
    scores, y_true = rng.random(300), rng.integers(0, 2, 300)
    out = performance_at_threshold(y_true, scores, 0.5, n_resamples=200, random_state=0)
    for name in ("selection_rate", "accuracy", "tpr"):
        low, high = out["ci"][name]
        assert low <= out["metrics"][name] <= high


def test_curves_end_at_the_corners_and_their_thresholds_fall():
    from xai_audit.fairness import threshold_curves

    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 2, 200)
    scores = np.clip(0.3 * y_true + rng.random(200) * 0.7, 0, 1)
    curves = threshold_curves(y_true, scores)
    roc = curves["roc"]
    assert (roc["fpr"][0], roc["tpr"][0], roc["fpr"][-1], roc["tpr"][-1]) == (0.0, 0.0, 1.0, 1.0)
    assert all(a >= b for a, b in zip(roc["threshold"], roc["threshold"][1:]))
    assert curves["pr"]["recall"][0] == 1.0
    with pytest.raises(InvalidInputError):
        threshold_curves([1, 1], [0.2, 0.4])
