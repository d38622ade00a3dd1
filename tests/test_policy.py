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
