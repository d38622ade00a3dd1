"""A verdict is no better than what was checked: what the audit could not check is a finding."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import xai_audit as xa
from xai_audit.checks import evaluate, overall_status
from xai_audit.policy import load_policy

NO_TARGET = {"data": {"n_rows": 50, "target": None, "sensitive": [], "task": "binary"}, "performance": {}}


def _statuses(sections, policy="default"):
    return {f.id: f.status for f in evaluate(load_policy(policy), sections)}


def test_an_audit_record_without_a_target_does_not_pass():
    statuses = _statuses(NO_TARGET)
    assert statuses["coverage.performance"] == "warn" and statuses["coverage.fairness"] == "warn"
    assert overall_status(evaluate(load_policy("default"), NO_TARGET)) == "warn"


def test_a_real_audit_of_data_without_a_target_does_not_pass():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=80), "y": [0, 1] * 40})
    model = LogisticRegression().fit(frame[["x"]], frame["y"])
    data = xa.AuditDataset.from_frame(frame[["x"]], features=["x"])
    result = xa.audit(model, data, explainers=[], n_resamples=20, random_state=0)
    assert result.status != "pass"
    by_id = {f.id: f for f in result.findings}
    assert by_id["coverage.performance"].status == "warn"
    assert "no target" in by_id["coverage.performance"].message


def test_fairness_not_checked_names_why():
    sections = {"data": {"target": "y", "sensitive": [], "task": "binary"}, "performance": {"overall": {"accuracy": 0.9}}}
    (finding,) = [f for f in evaluate(load_policy("default"), sections) if f.id == "coverage.fairness"]
    assert finding.status == "warn" and "no sensitive attribute" in finding.message
    assert _statuses({**sections, "fairness": {"sex": {"groups": {}}}})["coverage.fairness"] == "pass"


def test_a_failed_explainer_is_not_a_pass():
    sections = {"explanations": {"shap": {"quality": {"additivity_error": 0.0}}, "lime": {"error": "LIME broke"}}}
    findings = {f.id: f for f in evaluate(load_policy("default"), sections)}
    assert findings["coverage.explainers"].status == "warn"
    assert "'lime': LIME broke" in findings["coverage.explainers"].message
    assert findings["coverage.explainers"].observed == 1
    assert _statuses({"explanations": {"shap": {"quality": {}}}})["coverage.explainers"] == "pass"


def test_an_image_section_that_failed_is_a_failed_explainer():
    assert _statuses({"explanations": {"images": {"error": "no gradients"}}})["coverage.explainers"] == "warn"


SANITY = {"explanations": {"images": {
    "methods": {"saliency": {"maps": []}, "integrated_gradients": {"maps": []}},
    "sanity_check": {"saliency": {"passed": False, "mean_rank_correlation": 0.82, "threshold": 0.5},
                     "integrated_gradients": {"passed": True, "mean_rank_correlation": 0.1, "threshold": 0.5},
                     "occlusion": {"passed": False, "mean_rank_correlation": 0.9, "threshold": 0.5}}}}}


def test_a_failed_sanity_check_of_a_shown_method_fails_the_audit():
    statuses = _statuses(SANITY)
    assert statuses["coverage.sanity_check.saliency"] == "fail"
    assert statuses["coverage.sanity_check.integrated_gradients"] == "pass"
    assert "coverage.sanity_check.occlusion" not in statuses  # not shown in the report: not judged here
    assert overall_status(evaluate(load_policy("default"), SANITY)) == "fail"


def test_the_policy_sets_the_status_of_a_coverage_gap():
    assert _statuses(SANITY, "lenient")["coverage.sanity_check.saliency"] == "warn"
    relaxed = load_policy({"extends": "default", "rules": [{"id": "coverage.performance", "options": {"status": "info"}}]})
    assert {f.id: f.status for f in evaluate(relaxed, NO_TARGET)}["coverage.performance"] == "info"


def small_group_fairness(ratio=0.5, n=12, small=True):
    return {"sex": {
        "groups": {"f": {"n": n}, "m": {"n": 300}},
        "summary": {"groups_compared": ["m"] if small else ["f", "m"]},
        "four_fifths": {"highest_group": "m", "groups": {
            "m": {"impact_ratio": 1.0, "small_group": False},
            "f": {"impact_ratio": ratio, "small_group": small, "ci": [0.2, 0.9]}}},
        "tests": {"f": {"test": "fisher_exact", "p_value": 0.011}}}}


def test_a_small_group_below_four_fifths_is_a_finding_not_dropped():
    findings = {f.id: f for f in evaluate(load_policy("default"), {"fairness": small_group_fairness()})}
    finding = findings["coverage.small_groups.sex.f"]
    assert finding.status == "warn"
    assert "not judged: too small (n = 12" in finding.message and "p = 0.011" in finding.message
    assert "fairness.four_fifths.sex.f" not in findings  # the four-fifths check itself leaves it out


@pytest.mark.parametrize(("ratio", "small"), [(0.85, True), (0.5, False)])
def test_no_small_group_finding_above_the_line_or_for_a_judged_group(ratio, small):
    ids = {f.id for f in evaluate(load_policy("default"), {"fairness": small_group_fairness(ratio, small=small)})}
    assert "coverage.small_groups.sex.f" not in ids
