"""End to end on the bundled German credit models: the audit's recourse section, its record and report."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xai_audit as xa
from xai_audit.recourse import case_sentence
from xai_audit.recourse.constraints import build_constraints
from xai_audit.recourse.cost import fit_costs
from xai_audit.recourse.linear import closed_form_recourse, linear_form
from xai_audit.result import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "sample_models" / "data" / "german_credit.csv"


@pytest.fixture(scope="module")
def german():
    frame = pd.read_csv(DATA)
    return xa.AuditDataset.from_frame(frame, target="credit_risk", positive_label="good", sensitive=["sex", "age_group"])


@pytest.fixture(scope="module", params=["credit_gbm", "credit_logreg"])
def audited(request, german):
    model = xa.load_model(ROOT / "sample_models" / f"{request.param}.skops")
    result = xa.audit(model, german, explainers=[], n_resamples=100, random_state=0)
    return request.param, model, result


def changed_rows(frame, cases):
    rows = frame.iloc[[c["position"] for c in cases]].reset_index(drop=True).copy()
    for k, case in enumerate(cases):
        for change in case["changes"]:
            rows.loc[k, change["feature"]] = change["to"]
    return rows


def test_every_shown_suggestion_is_approved_and_respects_the_policy(audited, german):
    name, model, result = audited
    recourse = result.recourse
    features = list(model.feature_names)
    assert recourse["summary"]["n_cases"] == recourse["n_declined"] > 200  # all declined cases of 1000
    assert recourse["summary"]["n_found"] >= 0.95 * recourse["summary"]["n_cases"]
    assert recourse["summary"]["rejected_on_rescore"] == 0
    assert [c["position"] for c in recourse["cases"]] == [c["position"] for c in result.reasons]
    found = [c for c in recourse["cases"] if c["found"]]
    assert found
    assert np.all(model.predict(changed_rows(german.frame[features], found)) == "good")
    assert np.all(model.predict(german.frame[features].iloc[[c["position"] for c in found]]) == "bad")
    for case in found:
        assert 1 <= case["n_changed"] == len(case["changes"]) <= 3
        for change in case["changes"]:
            assert change["feature"] not in ("personal_status_sex", "foreign_worker")
            assert change["from"] == german.frame[change["feature"]].iloc[case["position"]]
            if change["feature"] == "age_years":
                assert change["to"] > change["from"]
            if change["kind"] == "numeric":
                assert german.frame[change["feature"]].min() <= change["to"] <= german.frame[change["feature"]].max()
                assert change["to"] == int(change["to"])  # whole-numbered columns stay whole
            else:
                assert change["to"] in set(german.frame[change["feature"]])
        assert case["text"] == case_sentence(case, max_features=3)
        assert case["within_budget"] == (case["cost"] <= recourse["budget"])


def test_record_round_trips_and_the_report_shows_the_sentences(audited, tmp_path):
    name, model, result = audited
    path = result.save_json(tmp_path / "audit.json")
    loaded = xa.AuditResult.load_json(path)
    assert loaded.recourse == result.to_dict()["recourse"]
    assert loaded.schema_version == SCHEMA_VERSION
    html = loaded.save_html(tmp_path / "audit.html").read_text(encoding="utf-8")
    assert 'id="recourse"' in html and "Burden of recourse by group" in html
    first = next(c for c in result.recourse["cases"] if c["found"])
    assert first["text"].replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;") in html


def test_older_records_without_recourse_still_load(audited, tmp_path):
    import json

    _, _, result = audited
    record = result.to_dict()
    record.pop("recourse")
    record["schema_version"] = "1.0"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    assert xa.AuditResult.load_json(path).recourse == {}


def test_logistic_model_recourse_is_no_dearer_than_the_closed_form(german):
    model = xa.load_model(ROOT / "sample_models" / "credit_logreg.skops")
    policy = xa.load_policy("default")
    from xai_audit.recourse import recourse_section

    section = recourse_section(model, german, policy, random_state=0)
    assert "exact minimum" in section["method"]
    features = list(model.feature_names)
    settings = {k: v for k, v in policy.settings["recourse"].items() if k not in ("enabled", "n_resamples")}
    constraints = build_constraints(german, features, policy_settings=settings)
    costs = fit_costs(german.frame, [f for f in constraints.mutable if constraints.kinds[f] == "numeric"])
    cases = german.frame[features].iloc[[c["position"] for c in section["cases"]]]
    exact = closed_form_recourse(linear_form(model, constraints, german.frame), constraints, costs, cases)
    for case, bound in zip(section["cases"], exact):
        if bound is not None:
            assert case["found"] and case["cost"] <= bound.cost + 1e-9


def test_search_alone_finds_the_exact_minimum_of_the_logistic_model(german):
    """Only the numeric features may change, all treated as continuous: the search (no closed-form seed)
    must reach the closed form's cost on the real German credit pipeline."""
    from dataclasses import replace

    from xai_audit.recourse.scoring import make_codec
    from xai_audit.recourse.search import search_recourse

    model = xa.load_model(ROOT / "sample_models" / "credit_logreg.skops")
    features = list(model.feature_names)
    numeric = [f for f in features if german.feature_kinds[f] == "numeric"]
    constraints = replace(build_constraints(german, features, policy_settings={
        "immutable": [f for f in features if f not in numeric], "increase_only": ["age_years"]}), integer={})
    costs = fit_costs(german.frame, [f for f in constraints.mutable])
    declined = german.frame.loc[model.predict(german.frame[features]) == "bad", features].iloc[:80]
    found = search_recourse(make_codec(model, features, constraints.kinds, german.frame), constraints, costs,
                            declined, german.frame)
    exact = closed_form_recourse(linear_form(model, constraints, german.frame), constraints, costs, declined,
                                 whole_numbers=False)
    pairs = [(a, b) for a, b in zip(found, exact) if b is not None]
    assert len(pairs) >= 60
    for a, b in pairs:
        assert a is not None and a.cost == pytest.approx(b.cost, abs=1e-6)
