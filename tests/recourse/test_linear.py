"""The closed-form recourse of a logistic model is exact, and the search finds it."""

import numpy as np
import pytest
from scipy.optimize import linprog

from tests.recourse.helpers import NUMERIC, apply, codec_for, linear_problem
from xai_audit.recourse.linear import MARGIN, closed_form_recourse, linear_form
from xai_audit.recourse.search import search_recourse


def lp_minimum(form, constraints, costs, case) -> float:
    """The minimum cost over every mutable numeric feature (no limit on how many change), by linear
    programming: an oracle independent of the greedy order."""
    names = [f for f in NUMERIC if f in form.weights]
    w = np.array([form.weights[f] for f in names])
    scale = np.array([costs.scales[f] for f in names])
    needed = -form.log_odds(case.to_frame().T.astype(float))[0] + MARGIN
    # variables: up_j, down_j >= 0; change = up - down; cost = sum (up + down) / scale
    c = np.concatenate([1 / scale, 1 / scale])
    a_ub = -np.concatenate([w, -w])[None, :]
    bounds = []
    for f in names:
        x = float(case[f])
        low, high = min(constraints.low[f], x), max(constraints.high[f], x)
        way = constraints.direction.get(f)
        bounds.append((0, 0 if way == "decrease" else high - x))
    for f in names:
        x = float(case[f])
        low = min(constraints.low[f], x)
        way = constraints.direction.get(f)
        bounds.append((0, 0 if way == "increase" else x - low))
    result = linprog(c, A_ub=a_ub, b_ub=[-needed], bounds=bounds, method="highs")
    return result.fun if result.status == 0 else np.inf


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_closed_form_matches_linear_programming(seed):
    model, data, constraints, costs, declined = linear_problem(seed, policy={"max_features": 4,
                                                                            "increase_only": ["d"]})
    form = linear_form(model, constraints, data.frame)
    assert form is not None
    np.testing.assert_allclose([form.weights[f] for f in NUMERIC], model.estimator.coef_[0], rtol=1e-9)
    exact = closed_form_recourse(form, constraints, costs, declined)
    for i in range(0, len(declined), 7):
        oracle = lp_minimum(form, constraints, costs, declined.iloc[i])
        if exact[i] is None:
            assert oracle == np.inf
        else:
            assert exact[i].cost == pytest.approx(oracle, abs=1e-7, rel=1e-7)


def test_closed_form_lands_on_the_decision_boundary():
    model, data, constraints, costs, declined = linear_problem(3)
    form = linear_form(model, constraints, data.frame)
    exact = closed_form_recourse(form, constraints, costs, declined)
    changed = declined.copy()
    for i, suggestion in enumerate(exact):
        changed.iloc[i] = apply(declined.iloc[i], suggestion.changes)
    log_odds = form.log_odds(changed)
    assert np.all(log_odds > 0)
    np.testing.assert_allclose(log_odds, MARGIN, atol=1e-8)
    assert np.all(model.predict(changed) == model.positive_class)


@pytest.mark.parametrize(("seed", "max_features", "policy"), [
    (0, 1, {}), (1, 2, {"increase_only": ["a"]}), (2, 3, {"decrease_only": ["c"], "immutable": ["b"]}),
    (4, 2, {}),
])
def test_search_finds_the_closed_form_minimum(seed, max_features, policy):
    model, data, constraints, costs, declined = linear_problem(seed, policy={**policy, "max_features": max_features})
    exact = closed_form_recourse(linear_form(model, constraints, data.frame), constraints, costs, declined)
    found = search_recourse(codec_for(model, constraints, data.frame), constraints, costs, declined, data.frame)
    compared = 0
    for a, b in zip(found, exact):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.cost == pytest.approx(b.cost, abs=1e-6)
            assert len(a.changes) <= max_features
            compared += 1
    assert compared > 50


def test_no_closed_form_for_a_model_that_is_not_linear(credit_frame, credit_gbm):
    from xai_audit import AuditDataset, load_model
    from xai_audit.recourse.constraints import build_constraints

    data = AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                   features=["income", "debt", "purpose", "age"])
    constraints = build_constraints(data, ["income", "debt", "purpose", "age"])
    assert linear_form(load_model(credit_gbm), constraints, credit_frame) is None
