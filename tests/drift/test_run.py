"""xa.drift end to end: planted shifts found, the ignored-input shift told apart, fairness and label drift."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import xai_audit as xa
from xai_audit.checks.drift import check_drift_four_fifths, check_drift_share
from xai_audit.drift.fairness import fairness_drift
from xai_audit.drift.predictions import mean_change, proportion_change
from xai_audit.policy import Rule
from xai_audit.stats.intervals import newcombe_interval

FEATURES = ["used", "other", "ignored"]


def _period(rng, n, *, used_shift=0.0, ignored_shift=0.0, label_flip=0.0):
    frame = pd.DataFrame({"used": rng.normal(used_shift, 1, n), "other": rng.normal(0, 1, n),
                          "ignored": rng.normal(ignored_shift, 1, n), "sex": rng.choice(["f", "m"], n)})
    logit = 2.0 * frame["used"] + 1.0 * frame["other"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    flip = rng.random(n) < label_flip
    frame["y"] = np.where(flip, 0, y)
    return frame


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    train = _period(rng, 2000)
    train["ignored"] = 0.0  # the model never sees it vary: its coefficient is zero
    return LogisticRegression().fit(train[FEATURES], train["y"])


def _data(frame):
    return xa.AuditDataset.from_frame(frame, target="y", positive_label=1, features=FEATURES, sensitive=["sex"])


def test_shift_in_an_ignored_input_is_told_apart_from_one_the_model_relies_on(model):
    rng = np.random.default_rng(1)
    reference = _data(_period(rng, 1500))
    current = _data(_period(rng, 1500, used_shift=0.5, ignored_shift=1.0))
    result = xa.drift(model, reference, current, random_state=0, explain_rows=200, n_resamples=200)
    verdicts = {n: r["verdict"] for n, r in result.features["features"].items()}
    assert verdicts == {"used": "drifted", "other": "stable", "ignored": "drifted"}
    explained = result.explanations
    assert explained["relied_on_and_moved"] == ["used"]
    assert explained["ignored_and_moved"] == ["ignored"]
    assert explained["features"]["ignored"]["class"] == "input moved; the model makes little use of it"
    assert explained["features"]["used"]["rank_current"] == 1
    assert result.predictions["decision_rate"]["change"] > 0  # more approvals as `used` rose
    assert result.status == "fail"


def test_nothing_moves_between_two_samples_of_one_population(model):
    rng = np.random.default_rng(2)
    frame = _period(rng, 3000)
    result = xa.drift(model, _data(frame.iloc[:1500]), _data(frame.iloc[1500:]), random_state=0, explain_rows=0)
    assert result.features["n_drifted"] == 0
    # a group rate may move by chance within its interval (a warn at most); nothing may fail
    assert result.status != "fail", [f.message for f in result.findings if f.status == "fail"]
    assert {f.id: f.status for f in result.findings}["drift.share_drifted"] == "pass"
    assert result.explanations == {}


def test_label_shift_changes_outcome_rate_and_accuracy(model):
    rng = np.random.default_rng(3)
    reference = _data(_period(rng, 2000))
    current = _data(_period(rng, 2000, label_flip=0.3))
    performance = xa.drift(model, reference, current, random_state=0, explain_rows=0).predictions["performance"]
    assert performance["outcome_rate"]["ci"][1] < 0
    assert performance["accuracy"]["ci"][1] < 0
    assert performance["brier"]["ci"][0] > 0


def test_fairness_drift_names_the_group_whose_rate_fell():
    rng = np.random.default_rng(4)
    n = 2000
    groups = pd.DataFrame({"sex": rng.choice(["f", "m"], n)})
    female = groups["sex"].to_numpy() == "f"
    before = (rng.random(n) < 0.71).astype(int)
    after = np.where(female, rng.random(n) < 0.50, rng.random(n) < 0.71).astype(int)
    table = fairness_drift({"decisions": before, "y_true": None, "groups": groups},
                           {"decisions": after, "y_true": None, "groups": groups})["sex"]
    row = table["groups"]["f"]["selection_rate"]
    k_ref, k_cur, n_f = before[female].sum(), after[female].sum(), female.sum()
    low, high = newcombe_interval(k_cur, n_f, k_ref, n_f, 0.95)
    assert row["change"] == pytest.approx((k_cur - k_ref) / n_f)
    assert row["ci"] == pytest.approx([low, high]) and row["significant"]
    assert not table["groups"]["m"]["selection_rate"]["significant"]
    assert table["four_fifths"]["changed"] == ["f"]
    rule = Rule(id="drift.four_fifths", check="drift_four_fifths", metric="n", direction="below", threshold=0)
    finding, = check_drift_four_fifths(rule, {"drift": {"fairness": {"sex": table}}}, {"confidence": 0.95})
    assert finding.status == "fail" and finding.observed == 1 and "'f'" in finding.message


def test_predictions_only_and_json_round_trip(tmp_path):
    rng = np.random.default_rng(5)

    def period(shift):
        x = rng.normal(shift, 1, 600)
        frame = pd.DataFrame({"x": x, "z": rng.normal(size=600), "score": 1 / (1 + np.exp(-x))})
        frame["pred"] = (frame["score"] > 0.5).astype(int)
        return xa.AuditDataset.from_frame(frame, predictions="pred", scores="score", features=["x", "z"])

    result = xa.drift(None, period(0.0), period(0.4), random_state=0)
    assert result.predictions["scores"]["p_value"] < 1e-6
    path = result.save_json(tmp_path / "drift.json")
    again = xa.DriftResult.load_json(path)
    assert again == result
    with pytest.raises(xa.InvalidInputError, match="not a drift record"):
        xa.DriftResult.from_dict({"kind": "audit"})


def test_missing_feature_in_current_is_named(model):
    rng = np.random.default_rng(6)
    current = _period(rng, 100).drop(columns=["ignored"])
    current_data = xa.AuditDataset.from_frame(current, target="y", positive_label=1, features=["used", "other"])
    with pytest.raises(xa.InvalidInputError, match=r"lacks the feature columns \['ignored'\]"):
        xa.drift(model, _data(_period(rng, 100)), current_data)


def test_drift_rules_give_no_finding_without_a_drift_section():
    rule = Rule(id="d", check="drift_share", metric="share_drifted", direction="below", threshold=0.3)
    assert check_drift_share(rule, {"performance": {}}, {"confidence": 0.95}) == []


def test_change_helpers_by_hand():
    row = proportion_change(71, 100, 64, 100)
    assert row["change"] == pytest.approx(-0.07)
    assert row["ci"][0] < -0.07 < row["ci"][1]
    same = mean_change([1.0, 3.0], [2.0, 4.0])
    assert same["change"] == 1.0
    assert same["ci"] == pytest.approx([1.0 - 1.959963984540054 * np.sqrt(2 / 2 + 2 / 2),
                                        1.0 + 1.959963984540054 * np.sqrt(2 / 2 + 2 / 2)])


def test_regression_model_reports_prediction_and_error_drift():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(8)

    def frame(shift, noise):
        x = rng.normal(shift, 1, 800)
        return pd.DataFrame({"x": x, "z": rng.normal(size=800), "y": 3 * x + rng.normal(0, noise, 800)})

    train = frame(0.0, 1.0)
    model = LinearRegression().fit(train[["x", "z"]], train["y"])
    data = [xa.AuditDataset.from_frame(f, target="y", features=["x", "z"]) for f in (frame(0.0, 1.0), frame(0.0, 3.0))]
    result = xa.drift(model, *data, random_state=0, explain_rows=100, n_resamples=100)
    assert result.predictions["task"] == "regression"
    assert result.predictions["predictions"]["test"] == "ks"
    assert result.predictions["performance"]["mae"]["ci"][0] > 0  # the error grew with the noise
    assert result.features["n_drifted"] == 0


def test_explanation_drift_between_random_halves_flags_about_the_nominal_share():
    """Two random halves of one population, 12 seeds x 3 inputs, a boosted model explained in probability
    space against a background sample: each input's contribution change is flagged (its 95% interval
    excludes zero) in at most the binomial 0.999 quantile of 36 cases at 5%."""
    from scipy import stats
    from sklearn.ensemble import GradientBoostingClassifier

    train = _period(np.random.default_rng(99), 1500)
    boosted = GradientBoostingClassifier(n_estimators=30, max_depth=2, random_state=0).fit(train[FEATURES], train["y"])
    flagged = 0
    for seed in range(12):
        frame = _period(np.random.default_rng(100 + seed), 800)
        result = xa.drift(boosted, _data(frame.iloc[:400]), _data(frame.iloc[400:]), random_state=seed,
                          explain_rows=150, n_resamples=200)
        flagged += len(result.explanations["use_moved"])
        assert "one background sample" in result.explanations["meta"]["background"]
    assert flagged <= stats.binom.isf(0.001, 36, 0.05)
