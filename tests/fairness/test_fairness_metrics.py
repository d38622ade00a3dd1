"""Group metrics and their summaries agree with fairlearn and scikit-learn, the references."""

import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from xai_audit.fairness import fairness_report
from xai_audit.stats.bootstrap import resample_weights
from xai_audit.fairness.metrics import prepare_score_rows, score_metrics
from xai_audit.stats.calibration import ece

# Our name -> (fairlearn / scikit-learn function, the denominator that makes ours undefined when 0).
REFERENCE_METRICS = {
    "selection_rate": selection_rate,
    "base_rate": lambda y_true, y_pred: selection_rate(y_pred, y_true),
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "fnr": false_negative_rate,
    "tnr": true_negative_rate,
    "accuracy": skm.accuracy_score,
    "ppv": partial(skm.precision_score, zero_division=np.nan),
    "npv": partial(skm.precision_score, pos_label=0, zero_division=np.nan),
    "fdr": lambda t, p: 1 - skm.precision_score(t, p, zero_division=np.nan),
    "for": lambda t, p: 1 - skm.precision_score(t, p, pos_label=0, zero_division=np.nan),
}


def metric_frame(y_true, y_pred, sensitive):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetricFrame(metrics=REFERENCE_METRICS, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive)


@st.composite
def labelled_rows(draw, max_rows=80):
    n = draw(st.integers(2, max_rows))
    rows = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    y_true, y_pred = np.array(draw(rows)), np.array(draw(rows))
    sex = draw(st.lists(st.sampled_from(["female", "male", "nonbinary"]), min_size=n, max_size=n))
    age = draw(st.lists(st.sampled_from(["under 25", "25 to 60", "over 60"]), min_size=n, max_size=n))
    return y_true, y_pred, pd.DataFrame({"sex": sex, "age_group": age})


def undefined_denominator(y_true, y_pred, metric):
    positives, selected = y_true == 1, y_pred == 1
    return {"tpr": positives, "fnr": positives, "fpr": ~positives, "tnr": ~positives,
            "ppv": selected, "fdr": selected, "npv": ~selected, "for": ~selected}[metric].sum() == 0


@settings(max_examples=25, deadline=None)
@given(labelled_rows())
def test_every_group_metric_equals_fairlearn_metricframe(rows):
    y_true, y_pred, groups = rows
    section = fairness_report(y_true, y_pred, groups, n_resamples=0, min_group_size=0)
    for name, sensitive in [("sex", groups["sex"]), ("age_group", groups["age_group"]),
                            ("sex*age_group", groups[["sex", "age_group"]])]:
        expected = metric_frame(y_true, y_pred, sensitive).by_group
        # fairlearn lists combinations that never occur, with NaN everywhere; we do not list them
        expected = expected[expected["selection_rate"].notna()]
        ours = section[name]["groups"]
        assert len(ours) == len(expected)
        labels = sensitive.to_numpy().reshape(len(sensitive), -1)
        for key, row in expected.iterrows():
            key = key if isinstance(key, tuple) else (key,)
            label = "*".join(key)
            mask = (labels == np.array(key, dtype=object)).all(axis=1)
            assert ours[label]["n"] == mask.sum()
            for metric, reference in row.items():
                value = ours[label][metric]
                if value is None:
                    # fairlearn (scikit-learn's confusion_matrix) reports 0 where the rate is undefined
                    assert undefined_denominator(y_true[mask], y_pred[mask], metric)
                    assert np.isnan(reference) or reference == 0
                else:
                    assert value == pytest.approx(reference, abs=1e-12), (label, metric)


@settings(max_examples=40, deadline=None)
@given(labelled_rows())
def test_summary_equals_fairlearn_disparity_metrics(rows):
    y_true, y_pred, groups = rows
    section = fairness_report(y_true, y_pred, groups, n_resamples=0, min_group_size=0, intersections=False)
    for attribute in groups:
        summary, sensitive = section[attribute]["summary"], groups[attribute]
        if sensitive.nunique() < 2:
            assert summary["demographic_parity_difference"] is None
            continue
        kwargs = {"sensitive_features": sensitive}
        assert summary["demographic_parity_difference"] == pytest.approx(
            demographic_parity_difference(y_true, y_pred, **kwargs), abs=1e-12)
        expected_ratio = demographic_parity_ratio(y_true, y_pred, **kwargs)
        if np.isnan(expected_ratio):
            assert summary["demographic_parity_ratio"] is None
        else:
            assert summary["demographic_parity_ratio"] == pytest.approx(expected_ratio, abs=1e-12)
        both_classes = pd.Series(y_true).groupby(sensitive.to_numpy()).nunique().eq(2).all()
        if both_classes:  # otherwise fairlearn counts an undefined rate as 0 and we leave it out
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert summary["equalized_odds_difference"] == pytest.approx(
                    equalized_odds_difference(y_true, y_pred, **kwargs), abs=1e-12)
                assert summary["equal_opportunity_difference"] == pytest.approx(
                    equal_opportunity_difference(y_true, y_pred, **kwargs), abs=1e-12)


def test_undefined_rates_are_none_and_left_out_of_the_spread():
    # group "b" has no positives: its tpr is undefined, so the tpr spread covers "a" and "c" only
    y_true = np.array([1, 1, 0, 0] + [0] * 4 + [1, 0, 1, 0])
    y_pred = np.array([1, 0, 1, 0] + [1, 0, 0, 0] + [1, 1, 1, 0])
    groups = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4 + ["c"] * 4})
    table = fairness_report(y_true, y_pred, groups, n_resamples=50, min_group_size=0, random_state=0)["g"]
    assert table["groups"]["b"]["tpr"] is None and table["groups"]["b"]["ci"]["tpr"] is None
    assert table["between_groups"]["values"]["tpr"]["difference"] == pytest.approx(1.0 - 0.5)
    assert table["summary"]["equal_opportunity_difference"] == pytest.approx(0.5)


def test_score_metrics_equal_scikit_learn_and_the_stats_layer():
    rng = np.random.default_rng(1)
    n = 3000
    y_true = rng.integers(0, 2, n)
    scores = np.round(np.clip(0.35 * y_true + 0.65 * rng.random(n), 0, 1), 2)  # rounded: many ties
    groups = pd.DataFrame({"g": rng.choice(["a", "b"], n)})
    table = fairness_report(y_true, (scores > 0.5).astype(int), groups, scores=scores, n_resamples=0)["g"]
    for label in ("a", "b"):
        mask = groups["g"].to_numpy() == label
        entry = table["groups"][label]
        assert entry["auc"] == pytest.approx(skm.roc_auc_score(y_true[mask], scores[mask]), abs=1e-12)
        assert entry["ece"] == pytest.approx(ece(y_true[mask], scores[mask]), abs=1e-12)
        assert entry["mean_score"] == pytest.approx(scores[mask].mean(), abs=1e-12)


def test_resampled_score_metrics_equal_scikit_learn_on_the_same_resampled_rows():
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 2, 200)
    scores = np.round(rng.random(200), 1)
    rows = prepare_score_rows(y_true, scores)
    # the weights refer to rows laid out as prepare_score_rows does: negatives, then positives, sorted
    laid_out_y = np.r_[np.zeros(rows["n_negative"]), np.ones(len(y_true) - rows["n_negative"])]
    laid_out_scores = np.r_[rows["negative"]["score"], rows["positive"]["score"]]
    weights = np.vstack(list(resample_weights(200, 20, np.random.default_rng(3))))
    drawn = np.random.default_rng(3).integers(0, 200, size=(20, 200))
    values = score_metrics(weights, rows)
    for b in range(20):
        picked_y, picked_scores = laid_out_y[drawn[b]], laid_out_scores[drawn[b]]
        assert values["auc"][b] == pytest.approx(skm.roc_auc_score(picked_y, picked_scores), abs=1e-12)
        assert values["ece"][b] == pytest.approx(ece(picked_y, picked_scores), abs=1e-12)


def test_regression_metrics_equal_scikit_learn():
    rng = np.random.default_rng(4)
    n = 500
    y_true = 1000 + rng.normal(size=n)  # far from zero: the R² denominator must not lose precision
    y_pred = y_true + rng.normal(scale=0.5, size=n)
    groups = pd.DataFrame({"g": rng.choice(["a", "b"], n)})
    table = fairness_report(y_true, y_pred, groups, task="regression", n_resamples=0)["g"]
    for label in ("a", "b"):
        mask = groups["g"].to_numpy() == label
        entry = table["groups"][label]
        assert entry["mae"] == pytest.approx(skm.mean_absolute_error(y_true[mask], y_pred[mask]), abs=1e-9)
        assert entry["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y_true[mask], y_pred[mask])), abs=1e-9)
        assert entry["r2"] == pytest.approx(skm.r2_score(y_true[mask], y_pred[mask]), abs=1e-9)
        assert entry["mean_prediction"] == pytest.approx(y_pred[mask].mean(), abs=1e-9)
        assert entry["mean_residual"] == pytest.approx((y_pred[mask] - y_true[mask]).mean(), abs=1e-9)


def test_constant_target_has_no_r2():
    groups = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 5})
    y_true = np.r_[np.full(5, 3.0), np.arange(5.0)]
    table = fairness_report(y_true, y_true + 0.1, groups, task="regression", n_resamples=20, random_state=0)["g"]
    assert table["groups"]["a"]["r2"] is None
    assert table["groups"]["b"]["r2"] == pytest.approx(skm.r2_score(np.arange(5.0), np.arange(5.0) + 0.1))
