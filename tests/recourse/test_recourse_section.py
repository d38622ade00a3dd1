"""The recourse section on small models: sentences from the record, options, and the report's golden file."""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xai_audit as xa
from xai_audit.recourse import case_sentence, recourse_section
from xai_audit.render.html import render_section

HERE = Path(__file__).parent
FEATURES = ["income", "debt", "purpose", "age"]


def test_sentence_uses_labels_for_names_and_category_values():
    case = {"found": True, "changes": [
        {"feature": "purpose", "from": "A40", "to": "A41", "kind": "categorical"},
        {"feature": "duration", "from": 42, "to": 24.5, "kind": "numeric"},
        {"feature": "amount", "from": 7174, "to": 4500, "kind": "numeric"}]}
    labels = {"purpose": {"name": "the purpose", "values": {"A40": "a new car", "A41": "a used car"}},
              "duration": "the loan duration (months)"}
    assert case_sentence(case, labels=labels) == (
        "Approval would follow if the purpose were a used car instead of a new car, the loan duration (months) were "
        "24.5 instead of 42 and amount were 4,500 instead of 7,174.")


def test_section_options_and_models_it_skips(credit_frame, credit_gbm):
    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                      features=FEATURES)
    model = xa.load_model(credit_gbm)
    model.positive_class = "repaid"
    policy = xa.load_policy({"extends": "default", "recourse": {"sample": 40, "max_features": 2}})
    section = recourse_section(model, data, policy, random_state=1, shown=[])
    assert section["sample"]["n"] == 40 and section["sample"]["of"] == section["n_declined"] > 40
    assert section["sample"]["basis"] == "a seeded sample of the declined cases"
    assert section["constraints"]["max_features"] == 2
    assert section["summary"]["n_cases"] == 40 and section["cases"] == []
    assert sum(g["n_declined"] for g in section["by_group"]["sex"]["groups"].values()) == 40
    assert section == recourse_section(model, data, policy, random_state=1, shown=[])  # seeded
    off = xa.load_policy({"extends": "default", "recourse": {"enabled": False}})
    assert recourse_section(model, data, off, random_state=1) == {}
    regression = xa.load_model(_ridge(credit_frame))
    numeric = xa.AuditDataset.from_frame(credit_frame.assign(y=credit_frame["income"] * 2.0), target="y",
                                         features=["income", "debt"])
    assert recourse_section(regression, numeric, policy) == {}


def _ridge(frame):
    from sklearn.linear_model import Ridge

    return Ridge().fit(frame[["income", "debt"]], frame["income"] * 2.0)


def build_record(credit_frame, credit_logreg) -> dict:
    """A small real audit's record (the recourse part is what the golden file shows)."""
    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                      features=FEATURES)
    policy = xa.load_policy({"extends": "default", "audit": {"reason_cases": 4}})
    return xa.audit(credit_logreg, data, policy=policy, explainers=[], n_resamples=50, random_state=0).to_dict()


def test_rendered_section_matches_golden(credit_frame, credit_logreg):
    """The record is frozen in records/recourse.json (rebuilt with XAI_AUDIT_UPDATE_GOLDEN=1), so the
    golden changes only when the renderer does."""
    record_path, golden_path = HERE / "records" / "recourse.json", HERE / "golden" / "recourse.html"
    if os.environ.get("XAI_AUDIT_UPDATE_GOLDEN"):
        record_path.write_text(json.dumps(build_record(credit_frame, credit_logreg), indent=1, sort_keys=True) + "\n",
                               encoding="utf-8")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    html = render_section(record, "recourse", charts=False)
    if os.environ.get("XAI_AUDIT_UPDATE_GOLDEN"):
        golden_path.write_text(html, encoding="utf-8")
    assert html == golden_path.read_text(encoding="utf-8")
    for case in record["recourse"]["cases"]:
        assert case["text"] in html.replace("&#39;", "'")
    assert "Burden of recourse by group" in html and "never changes (a sensitive attribute)" not in html
