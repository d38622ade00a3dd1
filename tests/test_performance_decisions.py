"""ROC points and confusion counts in the performance record, against scikit-learn, and their figures."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm

from xai_audit.performance import ROC_POINTS, decision_curves, performance_report

sys.path.insert(0, str(Path(__file__).parent / "render"))
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def binary_case(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.choice(np.array(["bad", "good"], dtype=object), n, p=[0.3, 0.7])
    p_good = np.clip(0.5 + 0.3 * (y == "good") + rng.normal(0, 0.2, n), 0, 1)
    proba = np.column_stack([1 - p_good, p_good])
    pred = np.where(p_good >= 0.5, "good", "bad").astype(object)
    return y, pred, proba


def test_binary_confusion_roc_and_operating_point_match_sklearn():
    y, pred, proba = binary_case()
    out = performance_report(y, pred, proba=proba, classes=["bad", "good"], positive_index=1, task="binary",
                             n_resamples=0)["decisions"]
    assert out["labels"] == ["bad", "good"] and out["positive_label"] == "good" and out["cut_off"] == 0.5
    assert out["confusion"] == skm.confusion_matrix(y, pred, labels=["bad", "good"]).tolist()
    (tn, fp), (fn, tp) = out["confusion"]
    assert out["operating_point"] == {"fpr": fp / (fp + tn), "tpr": tp / (tp + fn)}
    (curve,) = out["roc"]
    assert curve["auc"] == pytest.approx(skm.roc_auc_score(y == "good", proba[:, 1]), abs=1e-12)
    assert curve["n_points"] <= ROC_POINTS < curve["n_points_full"]
    assert (curve["fpr"][0], curve["tpr"][0], curve["fpr"][-1], curve["tpr"][-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(curve["fpr"]) >= 0) and np.all(np.diff(curve["tpr"]) >= 0)


def test_cut_off_is_not_claimed_when_the_decisions_do_not_follow_one_half():
    y, pred, proba = binary_case()
    pred = np.where(proba[:, 1] >= 0.7, "good", "bad").astype(object)
    assert decision_curves(y, pred, proba, ["bad", "good"], 1, "binary")["cut_off"] is None


def test_multiclass_gives_a_per_class_matrix_and_one_vs_rest_curves():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 900)
    logits = rng.normal(size=(900, 3)) + 2.0 * np.eye(3)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    out = performance_report(y, pred, proba=proba, classes=[0, 1, 2], task="multiclass", n_resamples=0)["decisions"]
    assert out["confusion"] == skm.confusion_matrix(y, pred, labels=[0, 1, 2]).tolist()
    assert [c["class"] for c in out["roc"]] == [0, 1, 2] and "operating_point" not in out
    for j, curve in enumerate(out["roc"]):
        assert curve["auc"] == pytest.approx(skm.roc_auc_score(y == j, proba[:, j]), abs=1e-12)


def test_regression_has_no_decisions():
    assert "decisions" not in performance_report([1.0, 2.0, 3.0], [1.5, 2.0, 2.5], task="regression", n_resamples=0)


def _performance_titles(record):
    from xai_audit.render.html import build_context

    section = next(s for s in build_context(record, charts=False)["sections"] if s["id"] == "performance")
    charts = section.get("decision_charts") or []
    return [c.title for c in charts], section.get("decision_note", "")


def test_report_draws_roc_and_confusion_for_binary_and_states_multiclass():
    from render_helpers import load_record

    record = copy.deepcopy(load_record("full"))
    y, pred, proba = binary_case(400)
    record["performance"]["decisions"] = decision_curves(y, pred, proba, ["bad", "good"], 1, "binary")
    titles, _ = _performance_titles(record)
    assert titles == ["ROC curve of the probability of 'good'", "Confusion matrix at the decision cut-off"]
    rng = np.random.default_rng(3)
    y3 = rng.integers(0, 3, 300)
    proba3 = rng.dirichlet(np.ones(3), 300)
    record["performance"]["decisions"] = decision_curves(y3, proba3.argmax(axis=1), proba3, [0, 1, 2], None,
                                                         "multiclass")
    titles, _ = _performance_titles(record)
    assert titles == ["One-vs-rest ROC curves, one per class", "Confusion matrix per class"]
    del record["performance"]["decisions"]
    titles, note = _performance_titles(record)
    assert titles == [] and "predates" in note


def test_too_many_classes_are_stated_not_drawn():
    from render_helpers import load_record

    record = copy.deepcopy(load_record("full"))
    rng = np.random.default_rng(4)
    y = rng.integers(0, 25, 500)
    proba = rng.dirichlet(np.ones(25), 500)
    record["performance"]["decisions"] = decision_curves(y, proba.argmax(axis=1), proba, list(range(25)), None,
                                                         "multiclass")
    titles, note = _performance_titles(record)
    assert titles == ["One-vs-rest ROC curves, one per class"] and "25 classes are too many" in note
