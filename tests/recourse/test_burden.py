"""The burden of recourse per group: values, intervals, ratios and the policy finding."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xai_audit.checks import evaluate
from xai_audit.policy import load_policy
from xai_audit.recourse.burden import burden_by_group


def test_values_and_ratios_against_the_reference():
    costs = np.array([0.5, 1.0, 3.0, np.inf, 0.2, 0.4, 0.6, 5.0])
    groups = pd.DataFrame({"sex": ["f", "f", "f", "f", "m", "m", "m", "m"]})
    table = burden_by_group(costs, groups, budget=2.0, n_resamples=200, random_state=0)["sex"]
    assert table["reference_group"] == "f"  # a tie in size goes to the first label
    f, m = table["groups"]["f"], table["groups"]["m"]
    assert (f["n_declined"], f["n_found"], m["n_found"]) == (4, 3, 4)
    assert f["share_within_budget"] == 0.5 and m["share_within_budget"] == 0.75
    assert f["median_cost"] == 1.0 and m["median_cost"] == 0.5
    assert m["share_ratio"] == 1.5 and m["cost_ratio"] == 0.5
    assert f["share_ratio"] == 1.0 and f["ci"]["share_ratio"] is None


@settings(max_examples=25, deadline=None)
@given(n_a=st.integers(20, 80), n_b=st.integers(20, 80), seed=st.integers(0, 10_000))
def test_intervals_contain_the_estimate(n_a, n_b, seed):
    rng = np.random.default_rng(seed)
    costs = np.concatenate([rng.exponential(1.0, n_a), rng.exponential(2.0, n_b)])
    costs[rng.random(len(costs)) < 0.1] = np.inf
    groups = pd.DataFrame({"g": ["a"] * n_a + ["b"] * n_b})
    table = burden_by_group(costs, groups, budget=1.5, reference_groups={"g": "a"}, n_resamples=300, random_state=seed)
    b = table["g"]["groups"]["b"]
    assert b["n_declined"] == n_b
    for name in ("share_within_budget", "median_cost", "share_ratio", "cost_ratio"):
        low, high = b["ci"][name]
        assert low - 1e-12 <= b[name] <= high + 1e-12
    expected = np.mean(costs[n_a:] <= 1.5) / np.mean(costs[:n_a] <= 1.5)
    assert b["share_ratio"] == pytest.approx(expected)


def test_every_group_is_reported_including_unknown():
    costs = np.ones(9)
    groups = pd.DataFrame({"race": ["x", "y", "unknown"] * 3})
    assert sorted(burden_by_group(costs, groups, budget=2.0, n_resamples=20, random_state=0)["race"]["groups"]) == \
        ["unknown", "x", "y"]


def test_policy_rules_judge_the_ratios():
    rng = np.random.default_rng(0)
    costs = np.concatenate([rng.uniform(0, 1, 200), rng.uniform(1.5, 4, 200)])
    groups = pd.DataFrame({"sex": ["m"] * 200 + ["f"] * 200})
    by_group = burden_by_group(costs, groups, budget=2.0, reference_groups={"sex": "m"}, n_resamples=200, random_state=0)
    findings = evaluate(load_policy("default"), {"recourse": {"budget": 2.0, "by_group": by_group}})
    burden = {f.id: f for f in findings if f.check == "recourse_burden"}
    assert set(burden) == {"recourse.share_within_budget.sex.f", "recourse.median_cost.sex.f"}
    share = burden["recourse.share_within_budget.sex.f"]
    assert share.status == "fail" and share.observed == pytest.approx(np.mean(costs[200:] <= 2.0))
    assert "share of declined cases with a recourse within the budget of 2.000, " in share.message
    assert burden["recourse.median_cost.sex.f"].status == "fail"


def test_small_groups_are_not_judged():
    costs = np.concatenate([np.full(100, 0.5), np.full(10, 3.0)])
    groups = pd.DataFrame({"sex": ["m"] * 100 + ["f"] * 10})
    by_group = burden_by_group(costs, groups, budget=2.0, n_resamples=50, random_state=0)
    findings = evaluate(load_policy("default"), {"recourse": {"budget": 2.0, "by_group": by_group}})
    assert [f for f in findings if f.check == "recourse_burden"] == []
