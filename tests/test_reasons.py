"""Adverse-action reasons: every reason is a factor that lowered the score against the stated
comparison, re-checked on the model; prohibited bases are never reasons; the section's facts are
the model's own."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import xai_audit as xa
from xai_audit.adapters.pairing import align_classes, resolve_features
from xai_audit.checks.reasons import check_prohibited_reliance
from xai_audit.result import SCHEMA_VERSION
from xai_audit.reasons import (MAX_REASONS, MIN_IMPACT, adverse_action_reasons, normalize_labels, reason_text,
                               select_reasons, typical_value)

ROOT = Path(__file__).resolve().parents[1]
SENSITIVE = ["sex", "age_group"]
PROHIBITED = {"sex", "age_group", "personal_status_sex"}


@pytest.fixture(scope="module")
def german():
    frame = pd.read_csv(ROOT / "sample_models" / "data" / "german_credit_test.csv")
    return xa.AuditDataset.from_frame(frame, target="credit_risk", positive_label="good", sensitive=SENSITIVE)


def _model(name, data):
    adapter = xa.load_model(ROOT / "sample_models" / f"{name}.skops")
    features = resolve_features(adapter, data)
    return align_classes(adapter, data), features


@pytest.fixture(scope="module", params=["credit_gbm", "credit_logreg"])
def found(request, german):
    adapter, features = _model(request.param, german)
    result = adverse_action_reasons(adapter, german, features, prohibited=["personal_status_sex"], random_state=0)
    return adapter, features, result


def _approved(adapter, data, features):
    return np.asarray(adapter.predict(data.frame[features]) == adapter.positive_class)


def test_no_reason_equals_its_comparison_and_the_comparison_is_approved_applicants_typical_value(found, german):
    adapter, features, result = found
    approved = german.frame[features][_approved(adapter, german, features)]
    reasons = [r for case in result["cases"] for r in case["reasons"]]
    assert reasons
    for reason in reasons:
        column = approved[reason["feature"]]
        if pd.api.types.is_numeric_dtype(column):
            expected = np.sort(column.to_numpy())[(len(column) - 1) // 2]   # the lower median
            assert reason["comparison"] == expected
            assert reason["direction"] == ("above" if reason["value"] > expected else "below")
            assert ("higher than" in reason["text"]) == (reason["value"] > expected)
        else:
            assert reason["comparison"] == column.value_counts().sort_index().idxmax()
            assert reason["direction"] == "differs"
        assert reason["value"] != reason["comparison"]
        assert result["summary"]["comparison_values"][reason["feature"]]["value"] == reason["comparison"]


def test_no_sensitive_or_prohibited_factor_is_a_reason(found, german):
    adapter, features, result = found
    named = {r["feature"] for case in result["cases"] for r in case["reasons"]}
    assert not named & PROHIBITED
    assert set(result["summary"]["prohibited"]) == PROHIBITED


def test_without_the_declaration_marital_status_would_be_a_reason_for_the_logistic_model(german):
    """The exclusion above is not vacuous: the logistic model does lean on personal_status_sex."""
    adapter, features = _model("credit_logreg", german)
    plain = adverse_action_reasons(adapter, german, features, random_state=0)
    blocked = adverse_action_reasons(adapter, german, features, prohibited=["personal_status_sex"], random_state=0)
    cases_with = sum(any(r["feature"] == "personal_status_sex" for r in c["reasons"]) for c in plain["cases"])
    assert cases_with > 0
    assert blocked["summary"]["prohibited_reliance"]["cases_with_prohibited_reason"] == cases_with


def test_the_prohibited_share_is_the_share_of_lost_score_recomputed_case_by_case(german):
    adapter, features = _model("credit_logreg", german)
    result = adverse_action_reasons(adapter, german, features, prohibited=["personal_status_sex"], n_cases=8,
                                    random_state=1)
    comparison = {f: v["value"] for f, v in result["summary"]["comparison_values"].items()}
    X = german.frame[features]
    lost = {f: 0.0 for f in features}
    for case in result["cases"]:
        row = X.loc[[case["row"]]]
        own = adapter.predict_proba(row)[0, adapter.positive_index]
        for feature in features:
            if row.iloc[0][feature] == comparison[feature]:
                continue
            changed = row.copy()
            changed[feature] = comparison[feature]
            lost[feature] += max(adapter.predict_proba(changed)[0, adapter.positive_index] - own, 0.0)
    expected = lost["personal_status_sex"] / sum(lost.values())
    reliance = result["summary"]["prohibited_reliance"]
    assert reliance["inputs"] == ["personal_status_sex"] and reliance["n_cases"] == 8
    assert reliance["impact_share"] == pytest.approx(expected, abs=1e-9) and 0 < expected < 1


def test_at_most_four_reasons_sorted_by_impact(found):
    _, _, result = found
    for case in result["cases"]:
        impacts = [r["score_impact"] for r in case["reasons"]]
        assert len(impacts) <= MAX_REASONS
        assert impacts == sorted(impacts, reverse=True)
        assert all(i >= MIN_IMPACT for i in impacts)


def test_each_impact_is_the_rise_when_the_model_rescores_the_case_with_the_comparison_value(found, german):
    adapter, features, result = found
    X = german.frame[features]
    checked = 0
    for case in result["cases"]:
        row = X.loc[[case["row"]]]
        own = adapter.predict_proba(row)[0, adapter.positive_index]
        assert case["score"] == pytest.approx(own, abs=1e-12)
        assert own <= 0.5
        for reason in case["reasons"]:
            changed = row.copy()
            changed[reason["feature"]] = reason["comparison"]
            rescored = adapter.predict_proba(changed)[0, adapter.positive_index]
            assert rescored - own == pytest.approx(reason["score_impact"], abs=1e-9)
            assert rescored > own
            checked += 1
    assert checked >= 20


def test_declined_count_and_cutoff_are_the_models_own(found, german):
    adapter, features, result = found
    summary = result["summary"]
    X = german.frame[features]
    score = adapter.predict_proba(X)[:, adapter.positive_index]
    declined = int((~_approved(adapter, german, features)).sum())
    assert summary["n_declined"] == declined == int((score <= summary["cutoff"]["value"]).sum())
    assert summary["n_declined"] + summary["n_approved"] == len(X)
    assert summary["cutoff"]["rule"] == "approved when the approval score is above 0.5"
    assert summary["selection"]["n_cases"] == len(result["cases"]) == 20
    assert f"20 of the {declined} declined cases" in summary["selection"]["how"]
    assert "seed 0" in summary["selection"]["how"]


def test_labels_give_the_plain_names_and_values_in_the_text_and_record(german):
    adapter, features = _model("credit_logreg", german)
    labels = {"checking_status": {"name": "Checking account",
                                  "values": {"... < 0 DM": "balance below 0 DM",
                                             "no checking account": "no checking account"}},
              "duration_months": {"name": "Loan duration (months)", "values": {}}}
    result = adverse_action_reasons(adapter, german, features, labels=labels, prohibited=["personal_status_sex"],
                                    random_state=0)
    reasons = [r for c in result["cases"] for r in c["reasons"]]
    checking = [r for r in reasons if r["feature"] == "checking_status" and r["value"] == "... < 0 DM"]
    assert checking and all(r["text"] == "Checking account: balance below 0 DM; approved applicants most often "
                                         "have no checking account." for r in checking)
    assert all(r["name"] == "Checking account" and r["value_label"] == "balance below 0 DM" for r in checking)
    assert all(r["name"] == r["feature"] for r in reasons if r["feature"] not in labels)
    assert result["summary"]["names"]["duration_months"] == "Loan duration (months)"


def test_labels_are_normalised_from_names_and_from_an_object_with_to_dict():
    class Labels:
        def to_dict(self):
            return {"savings": {"name": "Savings", "values": {"A61": "under 100 DM"}}}

    assert normalize_labels(Labels()) == {"savings": {"name": "Savings", "values": {"A61": "under 100 DM"}}}
    assert normalize_labels({"age": "Age (years)"}) == {"age": {"name": "Age (years)", "values": {}}}
    assert normalize_labels(None) == {}


def test_reason_text_states_factor_value_direction_and_comparison():
    assert reason_text("Loan duration (months)", "42", "16", "above") == (
        "Loan duration (months): 42, higher than the 16 typical of approved applicants (their median).")
    assert reason_text("Age", "23", "35", "below").startswith("Age: 23, lower than the 35")


def test_typical_value_is_a_value_approved_applicants_have():
    assert typical_value(pd.Series([1, 2, 3, 4]), "numeric") == 2
    assert typical_value(pd.Series(["b", "a", "b", "a", "c"]), "categorical") == "a"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-1, 1), st.booleans(), st.booleans()), min_size=1, max_size=12))
def test_selection_never_takes_an_equal_or_prohibited_factor(rows):
    impacts, same, blocked = (list(column) for column in zip(*rows))
    chosen = select_reasons(impacts, same, blocked)
    assert len(chosen) <= MAX_REASONS
    assert not any(same[j] or blocked[j] for j in chosen)
    assert all(impacts[j] >= MIN_IMPACT for j in chosen)
    assert [impacts[j] for j in chosen] == sorted((impacts[j] for j in chosen), reverse=True)
    eligible = sorted((impacts[j] for j in range(len(rows)) if not same[j] and not blocked[j]
                       and impacts[j] >= MIN_IMPACT), reverse=True)
    assert [impacts[j] for j in chosen] == eligible[:MAX_REASONS]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(60, 140), weight=st.floats(0.5, 3.0))
def test_random_models_never_give_an_equal_or_prohibited_reason(seed, n, weight):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "income": rng.integers(1, 6, n).astype(float),          # few values: many ties with the median
        "debt": rng.normal(0, 1, n).round(1),
        "purpose": rng.choice(["car", "house", "other"], n),
        "marital": rng.choice(["single", "married"], n),        # declared prohibited
        "sex": rng.choice(["f", "m"], n),                       # sensitive, and a model input
    })
    logit = (weight * (frame["income"] - 3) - frame["debt"] + weight * (frame["marital"] == "married")
             + weight * (frame["sex"] == "m") + (frame["purpose"] == "house") + rng.normal(0, 0.5, n))
    frame["y"] = np.where(logit > 0, "yes", "no")
    features = ["income", "debt", "purpose", "marital", "sex"]
    if frame["y"].nunique() < 2:
        return
    encoder = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["purpose", "marital", "sex"]),
                                      (StandardScaler(), ["income", "debt"]))
    estimator = make_pipeline(encoder, LogisticRegression(max_iter=500)).fit(frame[features], frame["y"])
    data = xa.AuditDataset.from_frame(frame, target="y", positive_label="yes", sensitive=["sex"], features=features)
    adapter = align_classes(xa.load_model(estimator), data)
    result = adverse_action_reasons(adapter, data, features, prohibited=["marital"], n_cases=10, random_state=seed)
    comparison = result["summary"].get("comparison_values", {})
    for case in result["cases"]:
        for reason in case["reasons"]:
            assert reason["feature"] not in {"marital", "sex"}
            assert reason["value"] != reason["comparison"] == comparison[reason["feature"]]["value"]
            assert reason["score_impact"] >= MIN_IMPACT


def _rule(policy):
    return next(r for r in xa.load_policy(policy).rules if r.check == "prohibited_reliance")


@pytest.mark.parametrize("policy, expected", [("default", "warn"), ("credit", "fail")])
def test_reliance_on_a_prohibited_basis_warns_by_default_and_fails_under_the_credit_policy(policy, expected):
    sections = {"reasons_summary": {
        "prohibited": ["personal_status_sex", "sex"],
        "prohibited_reliance": {"inputs": ["personal_status_sex"], "impact_share": 0.12,
                                "by_feature": {"personal_status_sex": 0.12}, "cases_with_prohibited_reason": 9,
                                "n_cases": 20}},
        "explanations": {"shap": {"global_importance": {"personal_status_sex": 1.0, "duration": 3.0}}}}
    finding, = check_prohibited_reliance(_rule(policy), sections, {})
    assert finding.status == expected
    assert finding.observed == pytest.approx(0.25)          # the attribution share (1 of 4) exceeds 12%
    assert "carry 12.0%" in finding.message and "25.0% of the mean |attribution| (shap)" in finding.message
    assert "in 9 of 20 cases" in finding.message
    sections["reasons_summary"]["prohibited_reliance"].update(impact_share=0.0, by_feature={"personal_status_sex": 0.0})
    sections["explanations"]["shap"]["global_importance"]["personal_status_sex"] = 0.0
    assert check_prohibited_reliance(_rule(policy), sections, {})[0].status == "pass"


def test_credit_policy_audit_never_names_marital_status_and_states_the_share(german, tmp_path):
    result = xa.audit(ROOT / "sample_models" / "credit_logreg.skops", german, policy="credit", random_state=0,
                      explainers=[], n_resamples=50)
    assert result.reasons
    assert not any(r["feature"] in PROHIBITED for case in result.reasons for r in case["reasons"])
    finding, = [f for f in result.findings if f.check == "prohibited_reliance"]
    share = result.reasons_summary["prohibited_reliance"]["impact_share"]
    assert finding.status == "fail" and finding.observed == pytest.approx(share) and share > 0.01
    assert f"{share:.1%}" in finding.message and "'personal_status_sex'" in finding.message
    path = result.save_json(tmp_path / "credit.json")
    again = xa.AuditResult.load_json(path)
    assert again.reasons_summary == result.to_dict()["reasons_summary"] and again.schema_version == SCHEMA_VERSION
    from xai_audit.render.html import render_html

    html = render_html(result.to_dict())
    assert f"{result.reasons_summary['n_declined']} of 300" in html
    assert "approved when the approval score is above 0.5" in html
    assert "a simple random sample of 20 of the" in html


def test_older_records_without_a_reasons_summary_still_load_and_render():
    old = ROOT / "tests" / "data" / "records" / "full_schema_1_0.json"
    result = xa.AuditResult.load_json(old)
    assert result.schema_version == "1.0" and result.reasons_summary == {} and result.reasons
    from xai_audit.render.html import render_html

    assert "Adverse-action reasons" in render_html(result.to_dict())
