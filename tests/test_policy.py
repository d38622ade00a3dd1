"""Policies: bundled and user files, overrides, verdicts on the line and with intervals."""

import pytest

from xai_audit import InvalidInputError, Rule, load_policy


def rule(**kw):
    return Rule(**{"id": "r", "check": "performance", "metric": "m", "direction": "above", "threshold": 0.8, **kw})


def test_exactly_on_the_line_passes_and_just_below_fails():
    assert rule().verdict(0.8) == "pass"
    assert rule().verdict(0.48 / 0.60) == "pass"  # 0.7999999999999999 in floating point
    assert rule().verdict(0.75) == "fail"
    assert rule(direction="below", threshold=0.1).verdict(0.1) == "pass"
    assert rule(direction="below", threshold=0.1).verdict(0.11) == "fail"


def test_warn_line_and_intervals():
    assert rule(warn=0.9).verdict(0.85) == "warn"
    assert rule().verdict(0.85, (0.82, 0.88)) == "pass"
    assert rule().verdict(0.85, (0.7, 0.9)) == "warn"   # the interval straddles the line
    assert rule().verdict(0.75, (0.7, 0.79)) == "fail"  # the whole interval is beyond it


def test_user_policy_extends_and_overrides(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('extends = "default"\nname = "bank"\ndisable = ["data.unknown_group"]\n'
                    '[fairness]\nn_resamples = 10\n[[rules]]\nid = "performance.roc_auc"\nthreshold = 0.8\n')
    policy = load_policy(path)
    default = load_policy("default")
    roc = next(r for r in policy.rules if r.id == "performance.roc_auc")
    assert roc.threshold == 0.8 and roc.warn == 0.75 and roc.references
    assert "data.unknown_group" not in {r.id for r in policy.rules}
    assert policy.setting("fairness", "n_resamples") == 10
    assert policy.setting("fairness", "min_group_size") == default.setting("fairness", "min_group_size")


@pytest.mark.parametrize("text, message", [
    ('[[rules]]\nid = "x"\ncheck = "performance"\nmetric = "m"\ndirection = "up"\nthreshold = 1\n', "direction 'up'"),
    ('[[rules]]\nid = "x"\ncheck = "performance"\n', r"lacks \['metric', 'direction', 'threshold'\]"),
    ('[[rules]]\nid = "x"\ncheck = "performance"\nmetric = "m"\ndirection = "above"\nthreshold = "high"\n', "must be a number"),
    ('[[rules]]\nid = "x"\nlimit = 3\n', r"unknown keys \['limit'\]"),
    ("rules = [", "not valid TOML"),
])
def test_bad_policy_files(tmp_path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(InvalidInputError, match=message):
        load_policy(path)


def test_unknown_policy_name():
    with pytest.raises(InvalidInputError, match="neither a bundled policy"):
        load_policy("strictest")


def test_finding_messages_state_the_policy_confidence_level():
    from xai_audit.checks import evaluate

    policy = load_policy({"extends": "default", "audit": {"confidence": 0.9}})
    # schema 1.1: the summary has no interval; the verdict goes through the comparisons against 'm'
    judged = {"equalized_odds_difference": {"comparison": "difference", "metrics": ["tpr", "fpr"], "against": "m"}}
    fairness = {"sex": {"reference_group": "m",
                        "summary": {"groups_compared": ["f", "m"], "equalized_odds_difference": 0.15, "ci": None,
                                    "judged_by": judged},
                        "differences": {"values": {"f": {"tpr": {"value": -0.15, "ci": [-0.25, -0.05]},
                                                         "fpr": {"value": 0.02, "ci": [-0.03, 0.07]}}}}}}
    (finding,) = [f for f in evaluate(policy, {"fairness": fairness}) if f.id == "fairness.equalized_odds.sex"]
    assert "(90% interval 0.050 to 0.250)" in finding.message and finding.status == "warn"


# -- The bundled policies, pinned: a changed line, direction or status fails here on purpose ---------

# (id, check, metric, direction, line, warn line, status of a coverage gap)
DEFAULT_RULES = [
    ("performance.roc_auc", "performance", "roc_auc", "above", 0.65, 0.75, None),
    ("performance.ece", "performance", "ece", "below", 0.1, 0.05, None),
    ("performance.r2", "performance", "r2", "above", 0.2, 0.4, None),
    ("performance.accuracy_gap", "performance_gap", "accuracy", "below", 0.15, 0.05, None),
    ("fairness.four_fifths", "four_fifths", "impact_ratio", "above", 0.8, None, None),
    ("fairness.equalized_odds", "fairness_gap", "equalized_odds_difference", "below", 0.2, 0.1, None),
    ("fairness.predictive_parity", "fairness_gap", "predictive_parity_difference", "below", 0.2, 0.1, None),
    ("fairness.calibration_gap", "fairness_gap", "calibration_gap", "below", 0.1, 0.05, None),
    ("fairness.proxies", "proxy_features", "auc", "below", 0.7, None, None),
    ("data.unknown_group", "unknown_share", "share", "below", 0.2, 0.05, None),
    ("explanations.additivity", "explanation_quality", "additivity_error", "below", 1e-4, None, None),
    ("explanations.completeness", "explanation_quality", "completeness_error", "below", 0.05, 0.01, None),
    ("explanations.faithfulness", "explanation_quality", "faithfulness", "above", 0.0, 0.05, None),
    ("explanations.stability", "explanation_quality", "stability", "above", 0.5, 0.7, None),
    ("explanations.agreement", "explanation_agreement", "spearman", "above", 0.2, 0.5, None),
    ("explanations.top_features", "explanation_agreement", "top_k_overlap", "above", 0.4, 0.6, None),
    ("coverage.performance", "coverage", "performance", "above", 1, None, "warn"),
    ("coverage.fairness", "coverage", "fairness", "above", 1, None, "warn"),
    ("coverage.explainers", "coverage", "explainers", "below", 0, None, "warn"),
    ("coverage.sanity_check", "coverage", "sanity_check", "below", 0, None, "fail"),
    ("coverage.small_groups", "coverage", "small_groups", "above", 0.8, None, "warn"),
    ("reasons.prohibited_reliance", "prohibited_reliance", "share", "below", 0.01, None, None),
    ("recourse.share_within_budget", "recourse_burden", "share_ratio", "above", 0.8, 0.9, None),
    ("recourse.median_cost", "recourse_burden", "cost_ratio", "below", 1.5, 1.25, None),
    ("challenger.auc_advantage", "challenger", "auc_advantage", "above", 0.01, None, None),
    ("drift.share_drifted", "drift_share", "share_drifted", "below", 0.3, 0.1, None),
    ("drift.psi", "drift_psi", "psi", "below", 0.25, 0.1, None),
    ("drift.accuracy", "drift_performance", "accuracy", "above", -0.05, -0.02, None),
    ("drift.selection_rate", "drift_fairness", "selection_rate", "below", 0.1, 0.05, None),
    ("drift.four_fifths", "drift_four_fifths", "groups_newly_below", "below", 0, None, None),
]
LENIENT_CHANGES = {
    "performance.roc_auc": {"line": 0.55, "warn": 0.6},
    "performance.accuracy_gap": {"line": 0.25, "warn": 0.1},
    "coverage.sanity_check": {"status": "warn"},
    "coverage.small_groups": {"status": "info"},
}


def _rows(policy):
    return [(r.id, r.check, r.metric, r.direction, r.threshold, r.warn, r.options.get("status")) for r in policy.rules]


def _lenient_rules():
    rows = []
    for rule_id, check, metric, direction, line, warn, status in DEFAULT_RULES:
        change = LENIENT_CHANGES.get(rule_id, {})
        rows.append((rule_id, check, metric, direction, change.get("line", line), change.get("warn", warn),
                     change.get("status", status)))
    return rows


def test_the_default_policy_is_pinned():
    assert _rows(load_policy("default")) == DEFAULT_RULES


# (policy, section, key, value): settings that judge, pinned like the rules' lines
SETTINGS = [
    ("default", "diff", "worsening_tolerance", 0.02),
    ("lenient", "diff", "worsening_tolerance", 0.02),
    ("credit", "diff", "worsening_tolerance", 0.02),
]


@pytest.mark.parametrize("policy_name, section, key, value", SETTINGS)
def test_the_judging_settings_are_pinned(policy_name, section, key, value):
    assert load_policy(policy_name).setting(section, key) == value


def test_the_diff_worsening_tolerance_states_its_source():
    from importlib import resources

    text = resources.files("xai_audit.policies").joinpath("default.toml").read_text()
    comment = text[text.index("# `xai-audit diff`"):text.index("[diff]")]
    assert "SR 11-7" in comment and "This policy's own line" in comment


def test_the_lenient_policy_is_pinned():
    assert _rows(load_policy("lenient")) == _lenient_rules()


def _sections(check: str, metric: str, value: float) -> dict:
    """The smallest record sections in which ``check`` reads ``value`` for ``metric``."""
    if check == "performance":
        return {"performance": {"overall": {metric: value}}}
    if check == "performance_gap":
        return {"performance": {"by_group": {"sex": {"f": {"n": 100, metric: 0.95 - value}, "m": {"n": 100, metric: 0.95}}}}}
    if check == "four_fifths":
        return {"fairness": {"sex": {"summary": {"groups_compared": ["f", "m"]}, "four_fifths": {
            "highest_group": "m", "groups": {"m": {"impact_ratio": 1.0}, "f": {"impact_ratio": value}}}}}}
    if check == "fairness_gap":
        return {"fairness": {"sex": {"summary": {"groups_compared": ["f", "m"], metric: value}}}}
    if check == "proxy_features":
        return {"fairness": {"sex": {"proxies": {"features": {"x": {"auc": value, "group": "f",
                                                                    "mean_abs_attribution": None}}}}}}
    if check == "unknown_share":
        n = 10 ** 7
        return {"data": {"n_rows": n, "group_sizes": {"sex": {"unknown": round(value * n)}}}}
    if check == "explanation_quality":
        return {"explanations": {"shap": {"quality": {metric: value}}}}
    if check == "explanation_agreement":
        return {"explanations": {"agreement": {"pairs": [{"methods": ["shap", "lime"], metric: value, "k": 3}]}}}
    if check == "prohibited_reliance":
        return {"reasons_summary": {"prohibited": ["x"], "prohibited_reliance": {
            "inputs": ["x"], "impact_share": value, "by_feature": {"x": value}, "n_cases": 10}}}
    if check == "recourse_burden":
        groups = {"m": {"n_declined": 100}, "f": {"n_declined": 100, metric: value}}
        return {"recourse": {"budget": 2.0, "by_group": {"sex": {"reference_group": "m", "groups": groups}}}}
    if check == "challenger":
        return {"challenger": {"auc_advantage": value, "best_interpretable": "ebm", "training": {"source": "x"}}}
    if check == "drift_share":
        return {"drift": {"features": {"share_drifted": value, "n_drifted": 1, "n_features": 10,
                                       "correction": "Benjamini-Hochberg", "alpha": 0.05}}}
    if check == "drift_psi":
        return {"drift": {"features": {"features": {"x": {"psi": value}}}}}
    if check == "drift_performance":
        return {"drift": {"predictions": {"performance": {metric: {"change": value, "reference": 0.8,
                                                                   "current": 0.8 + value}}}}}
    if check == "drift_fairness":
        row = {"change": value, "reference": 0.5, "current": 0.5 + value, "n_reference": 100, "n_current": 100,
               "ci": [value, value]}
        return {"drift": {"fairness": {"sex": {"groups": {"f": {metric: row}}}}}}
    raise AssertionError(check)


CREDIT_RULES = [("reasons.prohibited_reliance", "prohibited_reliance", "share", "below", 0.01, None, None)]
# The verdict a value beyond the line gets, where a rule's options cap it below "fail".
BEYOND_LINE = {("default", "reasons.prohibited_reliance"): "warn", ("lenient", "reasons.prohibited_reliance"): "warn",
               # the challenger rule never fails: whether a black box's advantage is worth it is a person's call
               ("default", "challenger.auc_advantage"): "warn", ("lenient", "challenger.auc_advantage"): "warn"}


def _boundary_cases():
    cases = []
    for name, rows in (("default", DEFAULT_RULES), ("lenient", _lenient_rules()), ("credit", CREDIT_RULES)):
        for rule_id, check, metric, direction, line, warn, _ in rows:
            if check in ("coverage", "drift_four_fifths"):  # counts of findings and groups, not lines crossed
                continue
            step = max(abs(line) * 1e-3, 1e-6)
            worse = -1 if direction == "above" else 1  # the direction in which a value gets worse
            beyond_status = "warn" if check == "proxy_features" else "fail"  # a proxy never fails
            beyond_status = BEYOND_LINE.get((name, rule_id), beyond_status)
            cases.append((name, rule_id, check, metric, line + worse * step, beyond_status))
            if warn is None:
                cases.append((name, rule_id, check, metric, line - worse * step, "pass"))
            else:
                warn_step = max(abs(warn) * 1e-3, 1e-6)
                cases.append((name, rule_id, check, metric, line - worse * step, "warn"))
                cases.append((name, rule_id, check, metric, warn + worse * warn_step, "warn"))
                cases.append((name, rule_id, check, metric, warn - worse * warn_step, "pass"))
    return cases


@pytest.mark.parametrize(("policy_name", "rule_id", "check", "metric", "value", "expected"), _boundary_cases(),
                         ids=lambda v: f"{v:.6g}" if isinstance(v, float) else str(v))
def test_a_value_just_beyond_or_inside_each_line_gets_its_status(policy_name, rule_id, check, metric, value,
                                                                   expected):
    from xai_audit.checks import evaluate

    policy = load_policy(policy_name)
    only = load_policy({"name": "one", "rules": [{**_rule_dict(policy, rule_id)}]})
    findings = evaluate(only, _sections(check, metric, value))
    assert findings, f"{rule_id} produced no finding for {value}"
    assert {f.status for f in findings} == {expected}, [f.message for f in findings]


def _rule_dict(policy, rule_id):
    from dataclasses import asdict

    rule = next(r for r in policy.rules if r.id == rule_id)
    return {k: v for k, v in {**asdict(rule), "references": list(rule.references)}.items() if v is not None}


@pytest.mark.parametrize("status", ["pass", "failed", ""])
def test_a_coverage_status_outside_warn_fail_info_is_refused(status):
    with pytest.raises(InvalidInputError, match="options.status"):
        load_policy({"extends": "default", "rules": [{"id": "coverage.explainers", "options": {"status": status}}]})


def test_the_credit_policy_declares_marital_status_prohibited_and_fails_reliance_on_it():
    credit = load_policy("credit")
    assert credit.setting("reasons", "prohibited") == ["personal_status_sex", "marital_status"]
    rule = next(r for r in credit.rules if r.id == "reasons.prohibited_reliance")
    assert (rule.threshold, rule.direction, rule.options.get("max_status")) == (0.01, "below", "fail")
    default_rule = next(r for r in load_policy("default").rules if r.id == "reasons.prohibited_reliance")
    assert default_rule.options.get("max_status") == "warn"
