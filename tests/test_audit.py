"""The audit end to end: numbers equal scikit-learn's, findings, records, errors."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.tree import DecisionTreeClassifier

import xai_audit as xa
from tests.conftest import FEATURES
from xai_audit.result import load_schema, validate_record

FAST = {"explainers": [], "n_resamples": 50}


@pytest.fixture(scope="module")
def credit_result(credit_gbm, credit_frame):
    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex", "age"],
                                      bins={"age": [25]})
    return xa.audit(credit_gbm, data, random_state=0, **FAST)


def test_performance_equals_sklearn(credit_result, credit_gbm, credit_frame):
    X, y = credit_frame[FEATURES], credit_frame["outcome"]
    proba = credit_gbm.predict_proba(X)
    overall = credit_result.performance["overall"]
    assert overall["accuracy"] == skm.accuracy_score(y, credit_gbm.predict(X))
    assert overall["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, credit_gbm.predict(X)), abs=1e-15)
    assert overall["roc_auc"] == pytest.approx(skm.roc_auc_score(y == "repaid", proba[:, 1]), abs=1e-15)
    assert overall["log_loss"] == pytest.approx(skm.log_loss(y, proba), abs=1e-12)
    assert overall["brier"] == pytest.approx(skm.brier_score_loss(y == "repaid", proba[:, 1]), abs=1e-15)
    women = (credit_frame["sex"] == "female").to_numpy()
    by_sex = credit_result.performance["by_group"]["sex"]["female"]
    assert by_sex["n"] == women.sum()
    assert by_sex["roc_auc"] == pytest.approx(skm.roc_auc_score(y[women] == "repaid", proba[women, 1]), abs=1e-15)


def test_ece_by_hand():
    from scipy import integrate, stats

    from xai_audit.stats.calibration import ece

    outcome = np.array([1, 0, 1, 1])
    confidence = np.array([0.05, 0.05, 0.95, 0.85])
    # bins: [0, .1): rate .5 vs .05, gap .45, sd sqrt(.25 / 2); [.8,.9): gap .15 and [.9,1]: gap .05, sd 0.
    # Debiased: each bin's weight × (2 |gap| − E|N(gap, sd²)|); with sd 0 that is |gap|.
    sd = np.sqrt(0.25 / 2)
    folded, _ = integrate.quad(lambda x: abs(x) * stats.norm.pdf(x, 0.45, sd), -10, 10, points=[0])
    assert ece(outcome, confidence) == pytest.approx(2 / 4 * (0.9 - folded) + 0.15 / 4 + 0.05 / 4, abs=1e-9)


def test_result_shape_and_findings(credit_result):
    assert credit_result.status in ("pass", "warn", "fail")
    ids = [f.id for f in credit_result.findings]
    assert "performance.roc_auc" in ids and "performance.accuracy_gap.sex" in ids
    assert credit_result.data["group_sizes"]["age"].keys() == {"< 25", ">= 25"}
    assert credit_result.model["framework"] == "sklearn" and credit_result.model["positive_class"] == "repaid"
    manifest = credit_result.manifest
    assert manifest["random_state"] == 0 and manifest["packages"]["scikit-learn"]
    assert manifest["data_sha256"] == credit_result.data["sha256"]


def test_json_round_trip_and_schema(credit_result, tmp_path):
    path = credit_result.save_json(tmp_path / "a.json")
    loaded = xa.AuditResult.load_json(path)
    assert loaded == credit_result
    assert loaded.to_dict() == credit_result.to_dict()
    validate_record(json.loads(path.read_text()))
    assert load_schema()["title"] == "xai-audit audit record"
    broken = credit_result.to_dict()
    broken["status"] = "maybe"
    with pytest.raises(xa.InvalidInputError, match="at 'status'"):
        xa.AuditResult.from_dict(broken)


def test_same_seed_same_record(credit_gbm, credit_frame):
    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"])
    options = {"explainers": ["shap", "lime", "permutation"], "explain_rows": 30, "n_resamples": 50}
    first = xa.audit(credit_gbm, data, random_state=3, **options).to_dict()
    second = xa.audit(credit_gbm, data, random_state=3, **options).to_dict()
    assert set(first["explanations"]) >= {"shap", "lime", "permutation"}
    for record in (first, second):
        record["manifest"].pop("created_at")
    assert first == second


def test_features_missing_from_data_are_named(credit_gbm, credit_frame):
    frame = credit_frame.rename(columns={"debt": "liabilities"})
    data = xa.AuditDataset.from_frame(frame, target="outcome", positive_label="repaid")
    with pytest.raises(xa.InvalidInputError, match=r"\['debt'\] are not in the data.*\['liabilities', 'sex'\]"):
        xa.audit(credit_gbm, data, **FAST)


def test_target_labels_the_model_does_not_know(credit_gbm, credit_frame):
    frame = credit_frame.assign(outcome=credit_frame["outcome"].map({"repaid": "good", "default": "bad"}))
    data = xa.AuditDataset.from_frame(frame, target="outcome", positive_label="good")
    with pytest.raises(xa.InvalidInputError, match=r"labels \['bad', 'good'\] that the model does not predict"):
        xa.audit(credit_gbm, data, **FAST)


def test_nan_in_features_the_model_cannot_take(credit_logreg, credit_frame):
    frame = credit_frame.copy()
    frame.loc[3, "income"] = np.nan
    data = xa.AuditDataset.from_frame(frame, target="outcome", positive_label="repaid")
    with pytest.raises(xa.InvalidInputError, match=r"columns \['income'\] have missing values \(NaN\)"):
        xa.audit(credit_logreg, data, **FAST)


def test_inf_in_features(credit_gbm, credit_frame):
    data = xa.AuditDataset.from_frame(credit_frame.assign(debt=np.inf), target="outcome", positive_label="repaid")
    with pytest.raises(xa.InvalidInputError, match=r"\['debt'\] contain infinite values"):
        xa.audit(credit_gbm, data, **FAST)


def test_regression_on_unseen_data():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300), "site": rng.choice(["x", "y"], 300)})
    frame["y"] = 3 * frame["a"] - frame["b"] + rng.normal(scale=0.1, size=300)
    model = GradientBoostingRegressor(n_estimators=30, random_state=0).fit(frame[["a", "b"]], frame["y"])
    data = xa.AuditDataset.from_frame(frame, target="y", sensitive=["site"])
    result = xa.audit(model, data, **FAST)
    prediction = model.predict(frame[["a", "b"]])
    assert result.performance["overall"]["r2"] == pytest.approx(skm.r2_score(frame["y"], prediction), abs=1e-12)
    assert result.performance["overall"]["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(frame["y"], prediction)))
    assert any(f.id == "performance.r2" for f in result.findings)


def test_multiclass_model():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"a": rng.normal(size=200), "g": rng.choice(["p", "q"], 200)})
    frame["y"] = np.digitize(frame["a"], [-0.5, 0.5])
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(frame[["a"]], frame["y"])
    result = xa.audit(model, xa.AuditDataset.from_frame(frame, target="y", sensitive=["g"]), **FAST)
    proba = model.predict_proba(frame[["a"]])
    assert result.performance["overall"]["roc_auc"] == pytest.approx(skm.roc_auc_score(frame["y"], proba, multi_class="ovr"))


def test_predictions_only_audit():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"race": rng.choice(["a", "b", "c"], 500), "recid": rng.integers(0, 2, 500)})
    frame["high_risk"] = rng.integers(0, 2, 500)
    frame["decile"] = rng.integers(1, 11, 500)
    data = xa.AuditDataset.from_frame(frame, target="recid", predictions="high_risk", scores="decile", sensitive=["race"])
    result = xa.audit(None, data, **FAST)
    assert result.model["framework"] == "predictions"
    assert result.performance["overall"]["accuracy"] == skm.accuracy_score(frame["recid"], frame["high_risk"])
    assert result.performance["overall"]["roc_auc"] is None  # deciles are not probabilities


def test_predictions_only_needs_a_column(credit_frame):
    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid")
    with pytest.raises(xa.InvalidInputError, match="No model was given and the data names no predictions column"):
        xa.audit(None, data, **FAST)


def test_saving_is_atomic(credit_result, tmp_path, monkeypatch):
    import xai_audit._io

    target = tmp_path / "a.json"
    target.write_text("previous")

    def fail_on_rename(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(xai_audit._io.os, "replace", fail_on_rename)
    with pytest.raises(OSError, match="disk full"):
        credit_result.save_json(target)
    assert target.read_text() == "previous"
    assert list(tmp_path.iterdir()) == [target]


def test_torch_tabular_model_behind_a_preprocessor(credit_frame):
    torch = pytest.importorskip("torch")
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prep = make_column_transformer((OneHotEncoder(sparse_output=False), ["purpose"]),
                                   (StandardScaler(), ["income", "debt", "age"])).fit(credit_frame[FEATURES])
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(7, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    model = xa.load_model(net, task="binary", classes=["default", "repaid"], feature_names=FEATURES, preprocessor=prep)
    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"])
    result = xa.audit(model, data, **FAST)
    inputs = torch.tensor(prep.transform(credit_frame[FEATURES]), dtype=torch.float32)
    proba = torch.softmax(net(inputs), dim=1).detach().numpy()
    assert result.model["framework"] == "torch"
    assert result.performance["overall"]["roc_auc"] == pytest.approx(
        skm.roc_auc_score(credit_frame["outcome"] == "repaid", proba[:, 1]), abs=1e-6)
    assert {g.feature for g in model.column_groups()} == set(FEATURES)


def test_image_model_audit():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    images = rng.random((60, 1, 4, 4)).astype(np.float32)
    labels = (images[:, 0, :2].mean(axis=(1, 2)) > images[:, 0, 2:].mean(axis=(1, 2))).astype(int)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    model = xa.load_model(net, task="binary", classes=[0, 1], input_kind="image")
    data = xa.AuditDataset.from_arrays(images, labels, sensitive={"scanner": ["a", "b", "c"] * 20})
    result = xa.audit(model, data, **FAST)
    predicted = net(torch.from_numpy(images)).argmax(1).numpy()
    assert result.performance["overall"]["accuracy"] == pytest.approx(np.mean(predicted == labels))
    assert set(result.performance["by_group"]["scanner"]) == {"a", "b", "c"}
    with pytest.raises(xa.InvalidInputError, match="takes image input but the data is a table"):
        xa.audit(model, xa.AuditDataset.from_frame(pd.DataFrame({"x": [1, 2], "y": [0, 1]}), target="y"), **FAST)


def test_overall_intervals_contain_the_estimates(credit_result):
    performance = credit_result.performance
    assert performance["bootstrap"]["n_resamples"] == 50
    assert performance["overall_ci"]["ece"] is None and "no interval for ECE" in performance["bootstrap"]["ece"]
    for metric in ("accuracy", "roc_auc", "brier"):
        lo, hi = performance["overall_ci"][metric]
        assert lo <= performance["overall"][metric] <= hi and lo < hi


def test_weighted_bootstrap_metrics_equal_sklearn_on_the_resampled_rows(credit_gbm, credit_frame):
    from xai_audit.performance import (
        WeightedBinaryMetrics,
        WeightedRegressionMetrics,
        _classification_metrics,
        _regression_metrics,
    )

    y = credit_frame["outcome"].to_numpy()
    pred = credit_gbm.predict(credit_frame[FEATURES])
    classes = ["default", "repaid"]
    rows = np.random.default_rng(0).integers(0, len(y), len(y))
    weights = np.bincount(rows, minlength=len(y)).astype(float)
    # Rounded scores tie (runs of equal scores, summed per score); raw ones mostly do not; jittered ones never.
    raw = credit_gbm.predict_proba(credit_frame[FEATURES])
    positive = np.clip(raw[:, 1] + np.random.default_rng(1).uniform(-1e-9, 1e-9, len(raw)), 0, 1)
    jitter = np.column_stack([1 - positive, positive])
    for proba in (raw.round(2), raw, jitter):
        for w, take in ((np.ones(len(y)), np.arange(len(y))), (weights, rows)):
            fast = WeightedBinaryMetrics(y, pred, proba, classes, 1)(w)
            exact = _classification_metrics(y[take], pred[take], proba[take], classes, 1, "binary")
            assert fast.keys() == exact.keys()
            for metric in exact:
                assert fast[metric] == pytest.approx(exact[metric], abs=1e-12), metric
    values = credit_frame["income"].to_numpy() + 1e6  # a large mean must not cost precision in R²
    guess = values + np.random.default_rng(0).normal(size=len(values))
    for w, take in ((np.ones(len(y)), np.arange(len(y))), (weights, rows)):
        fast = WeightedRegressionMetrics(values, guess)(w)
        exact = _regression_metrics(values[take], guess[take], None)
        assert all(fast[m] == pytest.approx(exact[m], abs=1e-9) for m in exact)


def test_a_chunk_of_resamples_gives_what_each_resample_gives_alone(credit_gbm, credit_frame):
    from xai_audit.performance import WeightedBinaryMetrics, WeightedRegressionMetrics

    y = credit_frame["outcome"].to_numpy()
    proba = credit_gbm.predict_proba(credit_frame[FEATURES])
    pred = credit_gbm.predict(credit_frame[FEATURES])
    chunk = np.random.default_rng(2).poisson(1.0, size=(6, len(y))).astype(float)
    chunk[0, y == "repaid"] = 0.0  # one class only: ROC AUC and a recall are undefined
    for metrics in (WeightedBinaryMetrics(y, pred, proba, ["default", "repaid"], 1),
                    WeightedRegressionMetrics(credit_frame["income"].to_numpy(), credit_frame["income"].to_numpy() * 1.1)):
        together = metrics.of_chunk(chunk)
        for i, weights in enumerate(chunk):
            alone = metrics(weights)
            for metric, value in alone.items():
                assert (value is None and np.isnan(together[metric][i])) or together[metric][i] == pytest.approx(value, abs=1e-12)
    assert WeightedBinaryMetrics(y, pred, proba, ["default", "repaid"], 1)(chunk[0])["roc_auc"] is None


def test_fairness_section_matches_an_independent_count(credit_result, credit_gbm, credit_frame):
    decisions = credit_gbm.predict(credit_frame[FEATURES]) == "repaid"
    table = credit_result.fairness["sex"]
    for group in ("female", "male"):
        mask = (credit_frame["sex"] == group).to_numpy()
        assert table["groups"][group]["selection_rate"] == pytest.approx(decisions[mask].mean(), abs=1e-12)
    highest = table["four_fifths"]["highest_group"]
    for group, entry in table["four_fifths"]["groups"].items():
        if group == highest:
            continue
        finding = next(f for f in credit_result.findings if f.id == f"fairness.four_fifths.sex.{group}")
        assert finding.observed == pytest.approx(entry["impact_ratio"])
        assert (finding.status == "fail") == (entry["ci"][1] < 0.8)
    assert "sex*age" in credit_result.fairness


def test_gap_attribution_adds_up_to_the_gap_in_the_audit(credit_gbm, credit_frame):
    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"])
    result = xa.audit(credit_gbm, data, random_state=0, explainers=["shap"], explain_rows=120, n_resamples=50)
    split = result.fairness["sex"]["disparity_attribution"]
    assert split["reference_group"] == result.fairness["sex"]["reference_group"]
    other = next(g for g in split["groups"] if g != split["reference_group"])
    entry = split["groups"][other]
    assert set(entry["contributions"]) == set(FEATURES)
    assert sum(entry["contributions"].values()) == pytest.approx(entry["output_difference"], abs=1e-9)
    assert abs(entry["unexplained_difference"]) < 1e-9
    assert "attributions_for_fairness" not in result.explanations


def test_a_feature_that_encodes_a_group_is_flagged_as_a_proxy(credit_frame):
    frame = credit_frame.assign(branch=np.where(credit_frame["sex"] == "female", "north", "south"))
    columns = ["income", "debt", "branch"]
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(
        pd.get_dummies(frame[columns], dtype=float), frame["outcome"])
    data = xa.AuditDataset.from_frame(pd.get_dummies(frame[columns], dtype=float).assign(
        sex=frame["sex"], outcome=frame["outcome"]), target="outcome", positive_label="repaid", sensitive=["sex"])
    result = xa.audit(model, data, random_state=0, **FAST)
    proxies = {f.id: f for f in result.findings if f.check == "proxy_features"}
    assert proxies["fairness.proxies.sex.branch_north"].status == "warn"
    assert proxies["fairness.proxies.sex.branch_north"].observed == pytest.approx(1.0)
    assert "fairness.proxies.sex.income" not in proxies
    assert result.fairness["sex"]["proxies"]["rows_scanned"] == len(frame)


def test_accuracy_gap_is_judged_with_the_interval_of_the_comparison_against_the_reference(credit_result):
    table = credit_result.fairness["sex"]
    assert table["between_groups"]["values"]["accuracy"]["ci"] is None  # a spread has no valid interval
    (group,) = [g for g in table["differences"]["values"] if g in table["summary"]["groups_compared"]]
    comparison = table["differences"]["values"][group]["accuracy"]
    (finding,) = [f for f in credit_result.findings if f.id == "performance.accuracy_gap.sex"]
    # two groups: the spread equals the one comparison's absolute value
    assert finding.observed == pytest.approx(abs(comparison["value"]), abs=1e-12)
    assert finding.observed == pytest.approx(table["between_groups"]["values"]["accuracy"]["difference"], abs=1e-12)
    low, high = comparison["ci"]
    folded = [0.0, max(-low, high)] if low <= 0 <= high else sorted([abs(low), abs(high)])
    assert f"95% interval {folded[0]:.3f} to {folded[1]:.3f}" in finding.message
    assert f"reference group '{table['reference_group']}'" in finding.message


def test_reasons_given_by_a_proxy_are_marked_and_the_report_warns(credit_frame):
    frame = credit_frame.assign(branch=np.where(credit_frame["sex"] == "female", 0.0, 1.0))
    columns = ["income", "debt", "branch"]
    outcome = np.where(frame["branch"] + frame["income"] / 50 + np.random.default_rng(0).normal(0, 0.3, len(frame)) > 1.5,
                       "repaid", "default")
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(frame[columns], outcome)
    data = xa.AuditDataset.from_frame(frame[columns].assign(sex=frame["sex"], outcome=outcome), target="outcome",
                                      positive_label="repaid", sensitive=["sex"])
    result = xa.audit(model, data, random_state=0, **FAST)
    marked = [r for case in result.reasons for r in case["reasons"] if r["feature"] == "branch"]
    assert marked and all(r["stands_in_for"] == ["sex"] for r in marked)
    assert not any("stands_in_for" in r for case in result.reasons for r in case["reasons"] if r["feature"] != "branch")
    from xai_audit.render.html import render_html

    assert "&#39;branch&#39; stands in for &#39;sex&#39; (a flagged proxy)" in render_html(result.to_dict())


def test_a_duck_typed_one_feature_model_audits_end_to_end(credit_frame):
    class Threshold:
        """Not a scikit-learn estimator: classes_, predict and predict_proba only."""

        classes_ = np.array(["default", "repaid"])
        feature_names_in_ = np.array(["income"])

        def predict_proba(self, X):
            p = 1 / (1 + np.exp(-(np.asarray(X["income"], dtype=float) - 50) / 10))
            return np.column_stack([1 - p, p])

        def predict(self, X):
            return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]

    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"])
    result = xa.audit(Threshold(), data, random_state=0, explainers=["shap", "lime"], explain_rows=20, n_resamples=20)
    shap = result.explanations["shap"]
    assert "error" not in shap and list(shap["global_importance"]) == ["income"]
    (additivity,) = [f for f in result.findings if f.id == "explanations.additivity.shap"]
    assert additivity.status == "pass" and additivity.observed < 1e-12


def test_saved_files_get_the_usual_permissions(credit_result, tmp_path):
    import os
    import stat

    mask = os.umask(0o022)
    os.umask(mask)
    path = credit_result.save_json(tmp_path / "record.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_a_proxy_the_model_does_not_use_is_info_and_one_it_uses_warns(credit_frame):
    frame = credit_frame.assign(branch=np.where(credit_frame["sex"] == "female", 0.0, 1.0))
    columns = ["income", "debt", "branch"]
    data_frame = frame[columns].assign(sex=frame["sex"], outcome=frame["outcome"])
    unused = DecisionTreeClassifier(max_depth=3, random_state=0).fit(frame[["income", "debt"]].assign(branch=0.0),
                                                                    frame["outcome"])
    used = DecisionTreeClassifier(max_depth=3, random_state=0).fit(
        frame[columns], np.where(frame["branch"] + (frame["income"] > 50) > 1, "repaid", "default"))
    statuses = {}
    for label, model in (("unused", unused), ("used", used)):
        data = xa.AuditDataset.from_frame(data_frame, target="outcome", positive_label="repaid", sensitive=["sex"])
        result = xa.audit(model, data, random_state=0, explainers=["shap"], explain_rows=100, n_resamples=20)
        (finding,) = [f for f in result.findings if f.id == "fairness.proxies.sex.branch"]
        statuses[label] = finding.status
    assert statuses == {"unused": "info", "used": "warn"}
