"""Fairness drift: intersections, both impact-ratio conventions, the changed verdicts and the intervals of the changes."""

import numpy as np
import pandas as pd
import pytest

from xai_audit.drift.fairness import fairness_drift
from xai_audit.stats.intervals import newcombe_interval


def _period(rng, n, rates):
    """Decisions drawn with a selection rate per (sex, age) cell."""
    groups = pd.DataFrame({"sex": rng.choice(["f", "m"], n), "age": rng.choice(["old", "young"], n)})
    p = np.array([rates[(s, a)] for s, a in zip(groups["sex"], groups["age"])])
    return {"decisions": (rng.random(n) < p).astype(int), "y_true": None, "groups": groups}


FLAT = {("f", "old"): 0.6, ("f", "young"): 0.6, ("m", "old"): 0.6, ("m", "young"): 0.6}


def test_a_fall_in_one_intersection_is_found_there_under_both_conventions():
    rng = np.random.default_rng(0)
    reference = _period(rng, 8000, FLAT)
    current = _period(rng, 8000, {**FLAT, ("f", "old"): 0.35})
    section = fairness_drift(reference, current, random_state=0)
    assert set(section) == {"sex", "age", "sex*age"}
    table = section["sex*age"]
    assert table["attributes"] == ["sex", "age"]
    assert table["groups"]["f*old"]["selection_rate"]["significant"]
    assert not any(table["groups"][g]["selection_rate"]["significant"] for g in ("f*young", "m*old", "m*young"))
    for key in ("four_fifths", "ll144"):
        assert table[key]["changed"] == ["f*old"]
        assert table[key]["reference"]["groups"]["f*old"]["verdict"] == "pass"
        assert table[key]["current"]["groups"]["f*old"]["verdict"] == "fail"
        row = table[key]["ratio_change"]["f*old"]
        assert row["change"] == pytest.approx(row["current"] - row["reference"])
        assert row["ci"][1] < 0 and row["ci"][0] < row["change"] < row["ci"][1]
    # diluted over all women, the fall is still seen on the attribute alone
    sex = section["sex"]
    assert sex["groups"]["f"]["selection_rate"]["ci"][1] < 0


def test_change_rows_equal_newcombe_on_the_group_counts():
    rng = np.random.default_rng(1)
    reference, current = _period(rng, 3000, FLAT), _period(rng, 3000, {**FLAT, ("m", "young"): 0.4})
    row = fairness_drift(reference, current, n_resamples=0)["sex*age"]["groups"]["m*young"]["selection_rate"]
    in_ref = ((reference["groups"]["sex"] == "m") & (reference["groups"]["age"] == "young")).to_numpy()
    in_cur = ((current["groups"]["sex"] == "m") & (current["groups"]["age"] == "young")).to_numpy()
    k_ref, n_ref = reference["decisions"][in_ref].sum(), in_ref.sum()
    k_cur, n_cur = current["decisions"][in_cur].sum(), in_cur.sum()
    assert (row["n_reference"], row["n_current"]) == (n_ref, n_cur)
    assert row["change"] == pytest.approx(k_cur / n_cur - k_ref / n_ref)
    assert row["ci"] == pytest.approx(list(newcombe_interval(k_cur, n_cur, k_ref, n_ref, 0.95)))


def test_a_category_under_two_percent_gets_no_ll144_verdict_but_a_four_fifths_one():
    n = 5000
    labels = np.array(["a"] * 2470 + ["b"] * 2470 + ["c"] * 60)  # c: 1.2% of rows, above min_group_size
    groups = pd.DataFrame({"g": labels})
    before = np.r_[np.ones(1500), np.zeros(970), np.ones(1500), np.zeros(970), np.ones(36), np.zeros(24)]
    after = np.r_[np.ones(1500), np.zeros(970), np.ones(1500), np.zeros(970), np.ones(10), np.zeros(50)]
    table = fairness_drift({"decisions": before, "y_true": None, "groups": groups},
                           {"decisions": after, "y_true": None, "groups": groups}, random_state=0)["g"]
    assert table["four_fifths"]["changed"] == ["c"]
    assert table["ll144"]["current"]["groups"]["c"]["verdict"] == "not assessed"
    assert table["ll144"]["current"]["groups"]["c"]["impact_ratio"] == pytest.approx((10 / 60) / (1500 / 2470))
    assert table["ll144"]["changed"] == []


def test_a_group_present_in_one_period_only_is_reported_without_a_change():
    rng = np.random.default_rng(2)
    reference = _period(rng, 1000, FLAT)
    current = _period(rng, 1000, FLAT)
    current["groups"].loc[:99, "sex"] = "x"
    table = fairness_drift(reference, current, random_state=0)["sex"]
    row = table["groups"]["x"]["selection_rate"]
    assert row["n_reference"] == 0 and row["change"] is None
    assert table["four_fifths"]["ratio_change"]["x"]["change"] is None
    assert table["four_fifths"]["reference"]["groups"]["x"]["verdict"] == "not assessed"


def test_the_interval_of_an_impact_ratio_change_covers_the_truth():
    """Women's true ratio falls from 0.6/0.6 to 0.45/0.6; the 95% interval covers -0.25 in most samples."""
    truth = 0.45 / 0.6 - 1.0
    covered = 0
    for seed in range(150):
        rng = np.random.default_rng(seed)
        groups = pd.DataFrame({"sex": np.repeat(["f", "m"], 400)})
        before = (rng.random(800) < 0.6).astype(int)
        after = (rng.random(800) < np.repeat([0.45, 0.6], 400)).astype(int)
        row = fairness_drift({"decisions": before, "y_true": None, "groups": groups},
                             {"decisions": after, "y_true": None, "groups": groups}, intersections=False,
                             n_resamples=400, random_state=seed)["sex"]["four_fifths"]["ratio_change"]["f"]
        covered += row["ci"][0] <= truth <= row["ci"][1]
    # nominal 0.95; the percentile interval of a ratio whose denominator is a maximum runs a little short
    assert covered >= 0.88 * 150


def _crossing(ci):
    groups = {"a": {"impact_ratio": 1.0, "verdict": "pass"}, "b": {"impact_ratio": 0.82, "verdict": "pass"}}
    after = {"a": {"impact_ratio": 1.0, "verdict": "pass"}, "b": {"impact_ratio": 0.78, "verdict": "fail"}}
    four_fifths = {"reference": {"groups": groups}, "current": {"groups": after}, "changed": ["b"],
                   "ratio_change": {"a": {"ci": None}, "b": {"change": -0.04, "ci": ci}}}
    return {"drift": {"fairness": {"g": {"groups": {}, "four_fifths": four_fifths}}}}


@pytest.mark.parametrize("ci, status, observed", [([-0.2, 0.1], "warn", 0), ([-0.2, -0.01], "fail", 1)])
def test_a_crossing_within_chance_warns_and_one_beyond_chance_fails(ci, status, observed):
    from xai_audit.checks.drift import check_drift_four_fifths
    from xai_audit.policy import Rule

    rule = Rule(id="drift.four_fifths", check="drift_four_fifths", metric="n", direction="below", threshold=0)
    finding, = check_drift_four_fifths(rule, _crossing(ci), {"confidence": 0.95})
    assert (finding.status, finding.observed) == (status, observed)
    assert "'b' 0.820 to 0.780" in finding.message
    assert ("within the range expected by chance" in finding.message) == (status == "warn")
