"""``xai-audit diff`` and ``AuditResult.diff``: metric deltas, finding changes, explanation drift, exit codes."""

import copy
import json

import pytest
import scipy.stats

import xai_audit as xa
from tests.conftest import make_credit_frame
from xai_audit.cli import main
from xai_audit.diff import diff_results, explanation_drift, finding_changes, metric_changes


def finding(id_, status, observed=0.5):
    return {"id": id_, "check": id_.split(".")[0], "status": status, "observed": observed, "threshold": 0.8,
            "message": f"{id_} is {observed}", "references": []}


def record(status="pass", findings=(), overall=None, by_group=None, fairness=None, explanations=None, data_sha="d"):
    return {"status": status, "findings": list(findings), "data": {"sha256": data_sha}, "model": {"sha256": "m"},
            "performance": {"overall": overall or {}, "by_group": by_group or {},
                            "calibration": {"bins": [{"n": 3, "observed_rate": 0.5}]}},
            "fairness": fairness or {}, "explanations": explanations or {}}


def test_metric_deltas_beyond_the_tolerance_only():
    old = record(overall={"accuracy": 0.80, "roc_auc": 0.85, "n": 100, "ece": None},
                 by_group={"sex": {"female": {"n": 40, "accuracy": 0.75}, "male": {"n": 60, "accuracy": 0.83}}},
                 fairness={"sex": {"groups": {"female": {"selection_rate": 0.4, "ci": {"selection_rate": [0.3, 0.5]}}},
                                   "summary": {"demographic_parity_difference": 0.10, "min_impact_ratio": 0.80},
                                   "four_fifths": {"groups": {"female": {"impact_ratio": 0.80, "selected": 40},
                                                              "male": {"impact_ratio": 1.0, "selected": 60}}},
                                   "bootstrap": {"n_resamples": 200}}})
    new = copy.deepcopy(old)
    new["performance"]["overall"].update(accuracy=0.805, roc_auc=0.80, n=120, ece=0.04)
    new["performance"]["by_group"]["sex"]["female"]["accuracy"] = 0.70
    new["fairness"]["sex"]["summary"].update(demographic_parity_difference=0.2, min_impact_ratio=0.7)
    new["fairness"]["sex"]["four_fifths"]["groups"]["female"].update(impact_ratio=0.7, selected=30)
    new["fairness"]["sex"]["groups"]["female"].update(selection_rate=0.3, ci={"selection_rate": [0.1, 0.9]})
    new["fairness"]["sex"]["bootstrap"]["n_resamples"] = 1000
    new["performance"]["calibration"]["bins"][0]["observed_rate"] = 0.9
    changes = {c.path: c for c in metric_changes(old, new, tolerance=0.01)}
    assert set(changes) == {"performance.overall.roc_auc", "performance.overall.ece",
                            "performance.by_group.sex.female.accuracy",
                            "fairness.sex.summary.demographic_parity_difference",
                            "fairness.sex.summary.min_impact_ratio", "fairness.sex.impact_ratio.female"}
    assert changes["performance.overall.roc_auc"].delta == pytest.approx(-0.05)
    assert changes["performance.overall.ece"].old is None and changes["performance.overall.ece"].delta is None
    assert changes["fairness.sex.impact_ratio.female"].delta == pytest.approx(-0.10)
    assert set(c.path for c in metric_changes(old, new, tolerance=0.099)) == {
        "performance.overall.ece", "fairness.sex.summary.demographic_parity_difference",
        "fairness.sex.summary.min_impact_ratio", "fairness.sex.impact_ratio.female"}


def test_findings_that_appear_disappear_or_change():
    old = [finding("a", "pass"), finding("b", "warn"), finding("gone", "fail"), finding("same", "warn")]
    new = [finding("a", "fail", 0.3), finding("b", "pass"), finding("same", "warn"), finding("new", "warn")]
    changes = {c.id: c for c in finding_changes(old, new)}
    assert set(changes) == {"a", "b", "gone", "new"}
    assert (changes["a"].kind, changes["a"].worse, changes["a"].old_observed, changes["a"].new_observed) == (
        "changed", True, 0.5, 0.3)
    assert (changes["b"].kind, changes["b"].worse) == ("changed", False)
    assert (changes["gone"].kind, changes["gone"].worse) == ("disappeared", False)
    assert (changes["new"].kind, changes["new"].worse) == ("appeared", True)
    assert not finding_changes(old, old)


def test_regression_rules():
    assert diff_results(record("pass"), record("warn")).regressed
    assert not diff_results(record("warn"), record("pass")).regressed
    got_worse = diff_results(record("fail", [finding("a", "pass"), finding("b", "fail")]),
                             record("fail", [finding("a", "warn"), finding("b", "fail")]))
    assert got_worse.regressed and got_worse.new_status == got_worse.old_status
    new_passing = diff_results(record("pass"), record("pass", [finding("added", "pass")]))
    assert not new_passing.regressed and new_passing.changed
    # a metric that moved without changing any finding is information, not a regression
    moved = diff_results(record(overall={"accuracy": 0.9}), record(overall={"accuracy": 0.5}))
    assert moved.metrics and not moved.regressed


def test_a_better_status_with_a_worse_finding_says_which_and_a_new_policy_is_noted():
    from xai_audit.diff import format_text

    old = record("fail", [finding("a", "fail"), finding("b", "pass")])
    new = record("warn", [finding("a", "warn"), finding("b", "warn")])
    old["manifest"], new["manifest"] = {"config": {"policy": {"name": "default"}}}, {"config": {"policy": {"name": "lenient"}}}
    text = format_text(diff_results(old, new))
    assert "Status: fail -> warn (REGRESSED: 1 finding got worse)" in text
    assert "the policy differs between the audits" in text
    assert "policy differs" not in format_text(diff_results(old, old))


def test_explanation_drift_matches_scipy():
    old_importance = {"income": 0.50, "debt": 0.30, "age": 0.10, "purpose": 0.05, "sex": 0.01, "zip": 0.001}
    new_importance = {"income": 0.20, "debt": 0.40, "age": 0.12, "purpose": 0.01, "sex": 0.05, "tenure": 0.3}
    old = {"shap": {"global_importance": old_importance}, "lime": {"global_importance": old_importance},
           "only_old": {"global_importance": {"x": 1.0}}}
    new = {"shap": {"global_importance": new_importance}, "lime": {"global_importance": old_importance}}
    shap_drift, lime_drift = sorted(explanation_drift(old, new, top_k=3), key=lambda d: d.method != "shap")
    common = sorted(old_importance.keys() & new_importance.keys())
    expected = scipy.stats.spearmanr([old_importance[f] for f in common], [new_importance[f] for f in common])
    assert shap_drift.spearman == pytest.approx(expected.statistic)
    # top 3 before: income, debt, age; after: debt, tenure, income
    assert shap_drift.top_k == 3 and shap_drift.top_k_overlap == pytest.approx(2 / 3)
    ranks = {c.feature: (c.old_rank, c.new_rank) for c in shap_drift.rank_changes}
    assert ranks == {"debt": (2, 1), "tenure": (None, 2), "income": (1, 3), "age": (3, 4)}
    assert shap_drift.features_added == ("tenure",) and shap_drift.features_removed == ("zip",)
    assert lime_drift.spearman == pytest.approx(1.0) and lime_drift.rank_changes == ()
    assert [d.method for d in explanation_drift(old, new)] == ["lime", "shap"]


def test_text_and_markdown_reports():
    old = record("pass", [finding("fairness.di.sex", "pass", 0.85)], overall={"roc_auc": 0.85},
                 explanations={"shap": {"global_importance": {"income": 0.5, "debt": 0.3}}})
    new = record("fail", [finding("fairness.di.sex", "fail", 0.62)], overall={"roc_auc": 0.80},
                 explanations={"shap": {"global_importance": {"income": 0.2, "debt": 0.3}}}, data_sha="other")
    change = diff_results(old, new, names=("old.json", "new.json"))
    text = change.to_text()
    assert text.splitlines()[:3] == ["xai-audit diff: old.json -> new.json", "Status: pass -> fail (REGRESSED)",
                                     "Note: the data differ between the audits (their SHA-256 changed); metric "
                                     "changes may come from the data."]
    assert "changed (worse)  fairness.di.sex  pass -> fail  observed 0.850 -> 0.620" in text
    assert "performance.overall.roc_auc  0.850  ->  0.800  -0.050" in text
    assert "Explanation drift (shap): Spearman correlation of global importances -1.000; top-2 overlap 2/2" in text
    assert "income  rank 1 -> 2" in text
    markdown = change.to_markdown()
    assert "**Status:** pass → fail — **regressed**" in markdown
    assert "| fairness.di.sex | changed (worse) | pass → fail | 0.850 → 0.620 |" in markdown
    assert json.loads(json.dumps(change.to_dict()))["regressed"] is True


def test_bad_arguments():
    with pytest.raises(xa.InvalidInputError, match="tolerance must be a number >= 0"):
        diff_results(record(), record(), tolerance=-1)
    with pytest.raises(xa.InvalidInputError, match="top_k must be a whole number"):
        diff_results(record(), record(), top_k=0)
    with pytest.raises(xa.InvalidInputError, match="The new audit record has no valid 'status'"):
        diff_results(record(), {"findings": []})
    with pytest.raises(xa.InvalidInputError, match="got int"):
        diff_results(record(), 3)


# -- real audits ------------------------------------------------------------------------------------------


# A stand-alone policy, so that these records do not change as the default policy grows.
POLICY = {"name": "diff-test", "audit": {"explainers": [], "reason_cases": 2}, "fairness": {"n_resamples": 20},
          "rules": [{"id": "performance.roc_auc", "check": "performance", "metric": "roc_auc", "direction": "above",
                     "threshold": 0.6, "warn": 0.8},
                    {"id": "performance.accuracy_gap", "check": "performance_gap", "metric": "accuracy",
                     "direction": "below", "threshold": 0.15, "warn": 0.05}]}


@pytest.fixture(scope="module")
def two_audits(credit_gbm):
    def run(frame):
        data = xa.AuditDataset.from_frame(frame, target="outcome", positive_label="repaid", sensitive=["sex"])
        return xa.audit(credit_gbm, data, policy=POLICY, random_state=0, explainers=[], n_resamples=20)

    return run(make_credit_frame(300, seed=0)), run(make_credit_frame(300, seed=5))


def test_auditresult_diff_on_real_audits(two_audits, tmp_path):
    old, new = two_audits
    same = old.diff(old)
    assert not same.changed and not same.regressed and same.same_data
    change = old.diff(new, tolerance=0.0)
    assert not change.same_data and change.same_model
    overall_old, overall_new = old.performance["overall"], new.performance["overall"]
    deltas = {m.path: m.delta for m in change.metrics}
    assert deltas["performance.overall.accuracy"] == pytest.approx(overall_new["accuracy"] - overall_old["accuracy"])
    fairness_old, fairness_new = old.fairness["sex"]["summary"], new.fairness["sex"]["summary"]
    assert deltas["fairness.sex.summary.demographic_parity_difference"] == pytest.approx(
        fairness_new["demographic_parity_difference"] - fairness_old["demographic_parity_difference"])
    assert {"fairness.sex.impact_ratio.female", "fairness.sex.impact_ratio.male"} & set(deltas)
    assert old.diff(new, tolerance=1.0).metrics == ()
    # the method, the function on records and the records read back from files agree
    old_path, new_path = old.save_json(tmp_path / "old.json"), new.save_json(tmp_path / "new.json")
    from_files = [xa.AuditResult.load_json(path).to_dict() for path in (old_path, new_path)]
    assert diff_results(*from_files, tolerance=0.0) == change
    assert diff_results(old.to_dict(), new.to_dict(), tolerance=0.0) == change
    # diff works on records only: results and paths are turned into records by the caller
    for not_a_record in (new, str(new_path)):
        with pytest.raises(xa.InvalidInputError, match="must be a record dict"):
            diff_results(old.to_dict(), not_a_record)
    assert old.diff(new.to_dict(), tolerance=0.0) == old.diff(new_path, tolerance=0.0) == change
    with pytest.raises(xa.InvalidInputError, match="compares with an AuditResult, its record .* got int"):
        old.diff(3)


def test_cli_diff_exit_codes(two_audits, tmp_path, capsys):
    old, new = two_audits
    old_path = old.save_json(tmp_path / "old.json")
    assert main(["diff", str(old_path), str(old_path)]) == 0
    assert "Status: " in capsys.readouterr().out

    worse = new.to_dict()
    worse["status"] = "fail"
    worse["findings"][0]["status"] = "fail"
    worse_path = tmp_path / "worse.json"
    worse_path.write_text(json.dumps(worse))
    code = main(["diff", str(old_path), str(worse_path), "--tolerance", "0.05", "--markdown", str(tmp_path / "d.md"),
                 "--json", str(tmp_path / "d.json")])
    out = capsys.readouterr().out
    assert code == 1 and "(REGRESSED)" in out and "Traceback" not in out
    assert "**regressed**" in (tmp_path / "d.md").read_text()
    assert json.loads((tmp_path / "d.json").read_text())["regressed"] is True
    new_path = new.save_json(tmp_path / "new.json")
    assert main(["diff", str(worse_path), str(new_path)]) == 0  # better is not a regression

    (tmp_path / "broken.json").write_text("{not json")
    for unreadable, message in ((tmp_path / "absent.json", "does not exist"),
                                (tmp_path / "broken.json", "is not a JSON audit record"),
                                (tmp_path / "d.json", "does not follow schema")):
        assert main(["diff", str(old_path), str(unreadable)]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert main(["diff", str(old_path), str(old_path), "--tolerance", "-1"]) == 2
