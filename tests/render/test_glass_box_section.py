""""The model itself" section: its sentences say what the record's numbers say, its tables hold them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

import xai_audit as xa
from xai_audit.adapters.pairing import align_classes
from xai_audit.explainers.glass_box import glass_box_section
from xai_audit.render.html import render_section
from xai_audit.render.sections.glass_box import ratio_digits


def _frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"years": rng.uniform(0, 30, n), "amount": rng.normal(5000, 2000, n),
                       "housing": rng.choice(["own", "rent"], n)})
    logit = 0.1 * df["years"] - 0.0004 * df["amount"] + 0.8 * (df["housing"] == "own")
    df["y"] = np.where(rng.uniform(size=n) < 1 / (1 + np.exp(-logit)), "approved", "declined")
    return df


def _record(model, df, features, positive="approved", labels=None):
    data = xa.AuditDataset.from_frame(df, target="y", positive_label=positive, features=features)
    section = glass_box_section(align_classes(xa.load_model(model), data), data, features)
    return {"status": "pass", "findings": [], "model": {"name": "m", "task": "binary"}, "performance": {},
            "manifest": {}, "data": {"n_rows": len(df), "features": features, "target": "y",
                                     "labels": labels or {}}, "glass_box": section}


def _text(html):
    return re.sub(r"<[^>]+>", "", html).replace("&#39;", "'")


@pytest.mark.parametrize("positive", ["approved", "declined"])
def test_the_odds_sentence_states_the_records_odds_ratio_per_feature_unit_and_its_direction(positive):
    df = _frame()
    features = ["years", "amount"]
    model = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(df[features], df["y"])
    record = _record(model, df, features, positive)
    text = _text(render_section(record, "glass-box"))
    top = max(record["glass_box"]["coefficients"], key=lambda e: abs(e["coefficient"] * e["spread"]))
    unit = top["per_feature_unit"]
    shown = f"{unit['odds_ratio']:.{ratio_digits(unit['odds_ratio'])}f}"
    assert f"Odds ratio {shown} per one unit more of {top['feature']}" in text
    assert f"the odds of '{positive}' multiply by {shown}" in text
    assert ("a rise of" if unit["odds_ratio"] > 1 else "a fall of") in text
    assert "100.0% of the audit rows" in text and "stand in" in text
    # every term's coefficient is in the table, with its interval
    for entry in record["glass_box"]["coefficients"]:
        assert f"{entry['coefficient']:.3f}" in text


def test_tree_rules_are_listed_with_their_counts_and_plain_names():
    df = _frame()
    features = ["years", "housing"]
    encode = ColumnTransformer([("num", "passthrough", ["years"]), ("cat", OneHotEncoder(), ["housing"])])
    model = Pipeline([("encode", encode), ("tree", DecisionTreeClassifier(max_depth=2, random_state=0))])
    model.fit(df[features], df["y"])
    labels = {"housing": {"name": "Housing", "values": {"own": "owns a home"}}, "years": {"name": "Years employed", "values": {}}}
    record = _record(model, df, features, labels=labels)
    text = _text(render_section(record, "glass-box"))
    rules = record["glass_box"]["rules"]
    assert len(re.findall(r"Rule \d+", text)) == len(rules)
    for rule in rules:
        assert f"{rule['share'] * 100:.1f}%" in text
    assert "Years employed ≤" in text and "num__years" not in text.split("Conditions")[-1]  # the feature, not the column


def test_hostile_term_names_are_escaped():
    df = _frame().rename(columns={"years": "<script>alert(1)</script>"})
    model = LogisticRegression().fit(df[["<script>alert(1)</script>"]], df["y"])
    html = render_section(_record(model, df, ["<script>alert(1)</script>"]), "glass-box")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_black_box_record_says_why_there_is_no_reading():
    record = {"status": "pass", "findings": [], "model": {"name": "m"}, "data": {}, "performance": {}, "manifest": {},
              "glass_box": {}}
    assert "post-hoc" in _text(render_section(record, "glass-box"))


def test_an_audit_records_the_reading_and_the_record_round_trips(tmp_path):
    df = _frame(n=200)
    model = LogisticRegression().fit(df[["years", "amount"]], df["y"])
    data = xa.AuditDataset.from_frame(df, target="y", positive_label="approved", features=["years", "amount"])
    result = xa.audit(model, data, explainers=[], n_resamples=20, random_state=0)
    assert list(model.classes_) == ["approved", "declined"]  # coef_ speaks for 'declined': the record flips it
    np.testing.assert_allclose([c["coefficient"] for c in result.glass_box["coefficients"]], -model.coef_[0], atol=1e-12)
    again = xa.AuditResult.load_json(result.save_json(tmp_path / "a.json"))
    assert again.glass_box == result.to_dict()["glass_box"]


def test_the_effects_chart_shows_coefficient_times_spread_with_a_legend_and_no_script():
    from xai_audit.render.html import build_context, render_html

    df = _frame()
    features = ["years", "amount", "housing"]
    encode = ColumnTransformer([("num", StandardScaler(), ["years", "amount"]), ("cat", OneHotEncoder(), ["housing"])])
    model = Pipeline([("encode", encode), ("model", LogisticRegression())]).fit(df[features], df["y"])
    record = _record(model, df, features)
    view = next(s for s in build_context(record)["sections"] if s["id"] == "glass-box")
    chart = view["chart"]
    expected = sorted((c["coefficient"] * c["spread"] for c in record["glass_box"]["coefficients"]), key=lambda v: -abs(v))
    np.testing.assert_allclose(chart.values, expected, atol=1e-12)
    assert min(expected) < 0 < max(expected) and 'id="fig' in str(chart.svg) and "-legend" in str(chart.svg)
    html = render_html(record)
    assert "<script" not in html and "Effect of one standard deviation of each term" in html


def test_a_model_that_cannot_be_read_leaves_the_audit_whole_and_the_report_says_why(monkeypatch, tmp_path):
    import xai_audit.explainers.glass_box as glass_box

    def broken(*args, **kwargs):
        raise ValueError("a transformer without a fixed output")

    monkeypatch.setattr(glass_box, "model_terms", broken)
    df = _frame(n=120)
    model = LogisticRegression().fit(df[["years"]], df["y"])
    data = xa.AuditDataset.from_frame(df, target="y", positive_label="approved", features=["years"])
    result = xa.audit(model, data, explainers=[], n_resamples=10, random_state=0)
    assert "a transformer without a fixed output" in result.glass_box["error"]
    xa.AuditResult.load_json(result.save_json(tmp_path / "a.json"))  # the schema takes it
    assert "could not be read as itself" in _text(render_section(result, "glass-box"))


def test_ebm_shapes_are_shown_in_importance_order_with_the_records_extremes():
    glassbox = pytest.importorskip("interpret.glassbox")
    df = _frame(n=300)
    features = ["years", "amount", "housing"]
    ebm = glassbox.ExplainableBoostingClassifier(interactions=0, outer_bags=2, n_jobs=1, random_state=0)
    record = _record(ebm.fit(df[features], df["y"]), df, features)
    text = _text(render_section(record, "glass-box"))
    order = [i["term"] for i in record["glass_box"]["importances"]]
    positions = [text.index(f"{term}: the EBM's shape function") for term in order]
    assert positions == sorted(positions)
    for term, shape in record["glass_box"]["shapes"].items():
        assert f"ranges from {min(shape['scores']):.3f}" in text and f"to {max(shape['scores']):.3f}" in text
