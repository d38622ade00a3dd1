"""Explanation quality: additivity, completeness, agreement, faithfulness, stability — and the findings."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression

from xai_audit import AuditDataset, load_model
from xai_audit.checks import evaluate
from xai_audit.explainers import explain, quality
from xai_audit.explainers.base import Explanation
from xai_audit.policy import load_policy
from tests.explainers.tabular_models import one_thread  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def one_feature_matters():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 4)), columns=["a", "b", "c", "d"])
    frame["y"] = 5 * frame["a"] + 0.01 * frame["b"]
    model = load_model(LinearRegression().fit(frame[["a", "b", "c", "d"]], frame["y"]))
    return model, AuditDataset.from_frame(frame, target="y", features=["a", "b", "c", "d"])


def _explanation(values, rows, method="shap", **meta):
    values = np.asarray(values, dtype=float)
    return Explanation(values, np.zeros(len(values)), values.sum(axis=1), None, tuple("abcd"[: values.shape[1]]),
                       np.asarray(rows), method, meta=meta)


def test_faithful_attributions_beat_random_and_reversed_ones_lose(one_feature_matters):
    model, data = one_feature_matters
    good = explain(model, data, method="shap", rows=40, random_state=0)
    result = quality.deletion_faithfulness(model, data, ["a", "b", "c", "d"], good, rng=np.random.default_rng(0))
    assert result["faithfulness"] > 0.3 and result["deletion_area"] > result["random_deletion_area"]
    reversed_ = _explanation(-np.abs(good.values) + np.abs(good.values).max() + 1, good.row_index)
    worse = quality.deletion_faithfulness(model, data, ["a", "b", "c", "d"], reversed_, rng=np.random.default_rng(0))
    assert worse["faithfulness"] < 0


def test_additivity_error_is_relative_above_one():
    e = Explanation(np.array([[100.0, 0.0]]), np.array([0.0]), np.array([100.001]), None, ("a", "b"), np.array([0]), "shap")
    assert quality.additivity_error(e) == pytest.approx(0.001 / 100.001, rel=1e-9)


def test_rank_agreement_and_pairs():
    same = quality.rank_agreement({"a": 3, "b": 2, "c": 1, "d": 0}, {"a": 30, "b": 20, "c": 10, "d": 0})
    assert same == {"spearman": 1.0, "top_k_overlap": 1.0, "k": 2}
    opposite = quality.rank_agreement({"a": 3, "b": 2, "c": 1, "d": 0}, {"a": 0, "b": 1, "c": 2, "d": 3})
    assert opposite["spearman"] == -1.0 and opposite["top_k_overlap"] == 0.0
    result = quality.agreement({"shap": {"a": 1, "b": 2, "c": 3}, "lime": {"a": 1, "b": 2, "c": 3},
                                "permutation": {"a": 3, "b": 2, "c": 1}})
    assert len(result["pairs"]) == 3 and result["min_spearman"] == -1.0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-10, 10, allow_nan=False), min_size=2, max_size=8))
def test_spearman_is_bounded_or_none(values):
    result = quality.rank_agreement({str(i): v for i, v in enumerate(values)},
                                    {str(i): -v * 2 for i, v in enumerate(values)})
    assert result["spearman"] is None or -1.0 - 1e-12 <= result["spearman"] <= 1.0 + 1e-12


def test_stability_of_identical_and_shuffled_explanations():
    values = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]])
    first = _explanation(values, [4, 7])
    assert quality.stability(first, _explanation(values[::-1], [7, 4])) == 1.0
    assert quality.stability(first, _explanation(-values, [4, 7])) == -1.0
    assert quality.stability(first, _explanation(values, [1, 2])) is None  # no rows in common


def test_lime_stability_across_seeds_is_high_on_a_clear_model(one_feature_matters):
    model, data = one_feature_matters
    first = explain(model, data, method="lime", rows=15, random_state=0, num_samples=1000)
    second = explain(model, data, method="lime", rows=list(first.row_index), random_state=1, num_samples=1000)
    assert quality.stability(first, second) > 0.3


def test_bootstrap_interval_contains_the_estimate():
    values = np.random.default_rng(0).normal(size=(300, 3))
    interval = quality.bootstrap_interval(values, rng=np.random.default_rng(1))
    mean = np.abs(values).mean(axis=0)
    assert np.all(interval[:, 0] <= mean) and np.all(mean <= interval[:, 1])


def test_findings_from_the_policy():
    section = {"explanations": {
        "shap": {"quality": {"additivity_error": 1e-15, "faithfulness": 0.3, "stability": None}},
        "lime": {"quality": {"faithfulness": -0.1, "stability": 0.6}},
        "integrated_gradients": {"quality": {"completeness_error": 0.2}},
        "agreement": {"pairs": [{"methods": ["shap", "lime"], "spearman": 0.1, "top_k_overlap": 1.0, "k": 2}]},
    }}
    findings = {f.id: f for f in evaluate(load_policy("default"), section)}
    assert findings["explanations.additivity.shap"].status == "pass"
    assert "explanations.additivity.lime" not in findings
    assert findings["explanations.faithfulness.lime"].status == "fail"
    assert findings["explanations.stability.lime"].status == "warn"
    assert findings["explanations.completeness.integrated_gradients"].status == "fail"
    assert findings["explanations.agreement.shap-lime"].status == "fail"
    assert findings["explanations.top_features.shap-lime"].status == "pass"
    assert all(f.references for f in findings.values() if f.id.startswith("explanations."))
    assert "Spearman" in findings["explanations.agreement.shap-lime"].message


def test_deletion_curves_score_each_distinct_row_once_and_match_scoring_every_row(monkeypatch):
    """Curves through a categorical model share rows (all end at the reference row); scoring each
    distinct row once must give every curve exactly the outputs of scoring all of them."""
    from tests.explainers.tabular_models import small_model
    from xai_audit.explainers import _tabular

    adapter, data = small_model("credit_gbm_pipeline")
    features = list(data.features)
    e = explain(adapter, data, method="shap", rows=30, random_state=0)
    scored = []
    original = adapter.predict_proba

    def counting(X):
        scored.append(len(X))
        return original(X)

    monkeypatch.setattr(adapter, "predict_proba", counting)
    once = quality.deletion_faithfulness(adapter, data, features, e, rng=np.random.default_rng(1))
    rows_once = sum(scored)
    monkeypatch.setattr(quality, "distinct_rows", lambda m: (np.arange(len(m)), np.arange(len(m))))
    scored.clear()
    every = quality.deletion_faithfulness(adapter, data, features, e, rng=np.random.default_rng(1))
    assert once == every
    assert rows_once < sum(scored) == 30 + 4 * 30 * len(features)
    first, inverse = _tabular.distinct_rows(np.array([[0.0, 1.0], [-0.0, 1.0], [0.0, 1.0], [np.nan, 2.0], [np.nan, 2.0]]))
    assert len(first) == 3 and inverse[0] == inverse[2] != inverse[1] and inverse[3] == inverse[4]
