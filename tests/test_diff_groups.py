"""``xai-audit diff`` (issue 14, item 9): each group's selection rate, TPR and FPR per attribute, and a
finding that got worse inside a status that stayed failed reported as a regression, by the policy's
``[diff] worsening_tolerance``."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xai_audit.cli import main
from xai_audit.diff import diff_results
from xai_audit.fairness import fairness_report
from xai_audit.policy import load_policy

ROOT = Path(__file__).resolve().parent
LEGACY = ROOT / "data" / "records" / "full_schema_1_0.json"
FULL = ROOT / "render" / "records" / "full.json"


def _finding(id_, status, observed, threshold):
    return {"id": id_, "check": id_.split(".")[1], "status": status, "observed": observed, "threshold": threshold,
            "message": f"{id_}: {observed}", "references": []}


def _ratio_record(value, status="fail"):
    return {"status": status, "findings": [_finding("fairness.four_fifths.sex.female", status, value, 0.8)]}


def test_a_ratio_falling_inside_a_failed_status_is_a_regression():
    change = diff_results(_ratio_record(0.36), _ratio_record(0.25), names=("a.json", "b.json"))
    assert change.findings == ()  # no status changed
    assert change.regressed
    (worse,) = change.worsenings
    assert (worse.id, worse.old, worse.new, worse.direction) == ("fairness.four_fifths.sex.female", 0.36, 0.25, "above")
    assert worse.amount == pytest.approx(0.11)
    text = change.to_text()
    assert "Status: fail -> fail (REGRESSED: 1 finding worse inside an unchanged status)" in text
    assert "fairness.four_fifths.sex.female  fail -> fail  observed 0.360 -> 0.250  -0.110 (higher is better)" in text
    assert "by more than 0.02, the policy's [diff] worsening_tolerance" in text
    markdown = change.to_markdown()
    assert "**regressed: 1 finding worse inside an unchanged status**" in markdown
    assert "| 0.360 | 0.250 | -0.110 (higher is better) |" in markdown
    assert json.loads(json.dumps(change.to_dict()))["worsenings"][0]["delta"] == pytest.approx(-0.11)


@pytest.mark.parametrize("new", [0.35, 0.345, 0.36, 0.50])
def test_moves_within_the_tolerance_or_the_right_way_are_not_flagged(new):
    change = diff_results(_ratio_record(0.36), _ratio_record(new))
    assert change.worsenings == () and not change.regressed
    assert "Status: fail -> fail (no regression)" in change.to_text()


def test_a_lower_is_better_rule_worsens_upwards_and_warn_counts_too():
    def record(value):
        return {"status": "warn", "findings": [_finding("fairness.equalized_odds.sex", "warn", value, 0.2)]}

    change = diff_results(record(0.12), record(0.18))
    assert [(w.direction, round(w.amount, 3)) for w in change.worsenings] == [("below", 0.06)]
    assert not diff_results(record(0.18), record(0.12)).regressed


def test_the_tolerance_comes_from_the_policy():
    assert load_policy("default").setting("diff", "worsening_tolerance") == 0.02
    loose = {"extends": "default", "diff": {"worsening_tolerance": 0.2}}
    assert not diff_results(_ratio_record(0.36), _ratio_record(0.25), policy=loose).regressed
    strict = {"extends": "default", "diff": {"worsening_tolerance": 0.0}}
    assert diff_results(_ratio_record(0.36), _ratio_record(0.355), policy=strict).regressed
    # the policy an audit recorded is used when none is given
    recorded = {"manifest": {"config": {"policy": {"settings": {"diff": {"worsening_tolerance": 0.2}},
                                                   "rules": []}}}}
    assert not diff_results({**_ratio_record(0.36), **recorded}, {**_ratio_record(0.25), **recorded}).regressed
    with pytest.raises(Exception, match="worsening_tolerance must be a number >= 0"):
        diff_results(_ratio_record(0.36), _ratio_record(0.25), policy={"diff": {"worsening_tolerance": -1}})


def test_the_command_line_exits_1_on_a_worsening_and_reads_a_policy(tmp_path, capsys):
    base = json.loads(FULL.read_text())
    finding_id = "fairness.four_fifths.sex.female"
    old, new = json.loads(json.dumps(base)), json.loads(json.dumps(base))
    for record, value in ((old, 0.36), (new, 0.25)):
        record["status"] = "fail"
        record["findings"] = [f for f in record["findings"] if f["id"] != finding_id] + [
            _finding(finding_id, "fail", value, 0.8)]
    paths = []
    for name, record in (("old.json", old), ("new.json", new)):
        (tmp_path / name).write_text(json.dumps(record))
        paths.append(str(tmp_path / name))
    assert main(["diff", *paths, "--markdown", str(tmp_path / "d.md")]) == 1
    out = capsys.readouterr().out
    assert "worse inside an unchanged status" in out and "Traceback" not in out
    assert "Group rates by sex (old -> new, change)" in out
    policy = tmp_path / "loose.toml"
    policy.write_text('extends = "default"\n[diff]\nworsening_tolerance = 0.5\n')
    assert main(["diff", *paths, "--policy", str(policy)]) == 0


def _records(seed, n=400, shift=0.15):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n)
    y_true = rng.integers(0, 2, n)
    records, arrays = [], []
    for period in range(2):
        p = 0.5 + (shift * period) * (sex == "female")
        y_pred = (rng.uniform(size=n) < p).astype(int)
        fairness = fairness_report(y_true, y_pred, pd.DataFrame({"sex": sex}), n_resamples=0, random_state=seed)
        records.append({"status": "pass", "findings": [], "fairness": fairness})
        arrays.append(y_pred)
    return records, sex, y_true, arrays


def _rates(y_true, y_pred, mask):
    """Selection rate, TPR and FPR of one group, counted directly."""
    t, p = y_true[mask], y_pred[mask]
    return {"selection_rate": p.mean(), "tpr": p[t == 1].mean(), "fpr": p[t == 0].mean()}


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(0.0, 0.4))
def test_group_rate_deltas_equal_a_direct_count(seed, shift):
    (old, new), sex, y_true, (before, after) = _records(seed, shift=shift)
    change = diff_results(old, new)
    got = {(c.group, c.metric): c for c in change.group_rates if c.attribute == "sex"}
    assert set(got) == {(g, m) for g in ("female", "male") for m in ("selection_rate", "tpr", "fpr")}
    for group in ("female", "male"):
        mask = sex == group
        expected_old, expected_new = _rates(y_true, before, mask), _rates(y_true, after, mask)
        for metric in ("selection_rate", "tpr", "fpr"):
            assert got[group, metric].old == pytest.approx(expected_old[metric], abs=1e-12)
            assert got[group, metric].delta == pytest.approx(expected_new[metric] - expected_old[metric], abs=1e-12)


def test_the_text_names_each_groups_rates():
    (old, new), *_ = _records(3, shift=0.3)
    change = diff_results(old, new)
    text = change.to_text()
    female = {c.metric: c for c in change.group_rates if c.group == "female"}
    row = next(line for line in text.splitlines() if line.strip().startswith("female"))
    sr = female["selection_rate"]
    assert f"{sr.old:.3f} -> {sr.new:.3f} ({sr.delta:+.3f})" in row
    assert "Group rates by sex (old -> new, change)" in text
    assert "| Group | selection rate | TPR | FPR |" in change.to_markdown()


def test_the_legacy_record_diffs_through_the_group_table():
    legacy, current = json.loads(LEGACY.read_text()), json.loads(FULL.read_text())
    change = diff_results(legacy, current)
    rates = {(c.attribute, c.group, c.metric): c for c in change.group_rates}
    female_tpr = rates["sex", "female", "tpr"]
    assert female_tpr.old == legacy["fairness"]["sex"]["groups"]["female"]["tpr"]
    assert female_tpr.new == current["fairness"]["sex"]["groups"]["female"]["tpr"]
    assert not diff_results(legacy, legacy).changed
