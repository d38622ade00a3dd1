"""``xa.recourse_for``: recourse for any given cases (edited what-if rows included), under the policy's
constraints, every suggestion re-scored on the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

import xai_audit as xa
from tests.conftest import FEATURES, make_credit_frame, make_pipeline_model

POLICY = {"extends": "default", "recourse": {"immutable": ["purpose"], "increase_only": ["age"], "max_features": 2}}


@pytest.fixture(scope="module")
def credit():
    frame = make_credit_frame(300, seed=3)
    frame["sex"] = frame["sex"].astype(str)
    model = xa.load_model(make_pipeline_model(frame))
    data = xa.AuditDataset.from_frame(frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                      features=FEATURES)
    return model, data


def test_every_suggestion_flips_the_decision_and_keeps_the_constraints(credit):
    model, data = credit
    model = xa.spec.model_for_data(model, data)
    cases = data.frame.loc[:, FEATURES].iloc[:24]
    # an edited case, not a row of the data, is answered too
    edited = cases.iloc[[0]].assign(debt=float(data.frame["debt"].max()))
    cases = pd.concat([cases, edited], ignore_index=True)
    answers = xa.recourse_for(model, data, cases, policy=POLICY, random_state=0)
    assert len(answers) == len(cases)
    decisions = model.predict(cases)
    assert [a["declined"] for a in answers] == list(decisions != model.positive_class)
    found = [(k, a) for k, a in enumerate(answers) if a["found"]]
    assert len(found) >= 3
    for k, answer in found:
        changed = cases.iloc[[k]].copy()
        for change in answer["changes"]:
            assert change["from"] == pytest.approx(cases.iloc[k][change["feature"]]) \
                if change["kind"] == "numeric" else change["from"] == cases.iloc[k][change["feature"]]
            changed[change["feature"]] = change["to"]
        assert model.predict(changed)[0] == model.positive_class
        assert model.output(changed)[0] == pytest.approx(answer["new_score"])
        names = {c["feature"] for c in answer["changes"]}
        assert not names & {"purpose", "sex"}
        assert 1 <= answer["n_changed"] == len(names) <= 2
        for change in answer["changes"]:
            if change["feature"] == "age":
                assert change["to"] >= change["from"]
        assert answer["text"].startswith("Approval would follow if")


def test_an_approved_case_needs_no_change(credit):
    model, data = credit
    model = xa.spec.model_for_data(model, data)
    approved = np.flatnonzero(model.predict(data.frame[FEATURES]) == model.positive_class)[:2]
    answers = xa.recourse_for(model, data, data.frame.iloc[approved], random_state=0)
    assert [a["declined"] for a in answers] == [False, False]
    assert all(a["changes"] == [] and "already approves" in a["text"] for a in answers)


def test_cases_without_the_model_inputs_are_refused(credit):
    model, data = credit
    with pytest.raises(xa.InvalidInputError, match=r"lack the model's input columns \['debt'\]"):
        xa.recourse_for(model, data, data.frame.drop(columns="debt").iloc[:2])


NUMERIC = ["income", "debt", "age"]


@st.composite
def recourse_policies(draw):
    """A policy's [recourse] table: some features immutable, some one-way, a budget of 1 to 3 changes."""
    immutable = draw(st.lists(st.sampled_from(FEATURES), unique=True, max_size=2))
    free = [f for f in NUMERIC if f not in immutable]
    rising = draw(st.lists(st.sampled_from(free), unique=True, max_size=2)) if free else []
    falling = [f for f in free if f not in rising and draw(st.booleans())]
    k = draw(st.integers(1, 3))
    return {"extends": "default", "recourse": {"immutable": immutable, "increase_only": rising,
                                               "decrease_only": falling, "max_features": k}}


@pytest.fixture(scope="module")
def logistic():
    frame = make_credit_frame(300, seed=5)
    model = xa.load_model(make_pipeline_model(frame, LogisticRegression(max_iter=500)))
    data = xa.AuditDataset.from_frame(frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                      features=FEATURES)
    model = xa.spec.model_for_data(model, data)
    declined = np.flatnonzero(model.predict(frame[FEATURES]) != model.positive_class)[:8]
    return model, data, frame.iloc[declined].loc[:, FEATURES]


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policy=recourse_policies())
def test_no_suggestion_breaks_a_constraint_and_each_is_approved(logistic, policy):
    model, data, cases = logistic
    table = policy["recourse"]
    answers = xa.recourse_for(model, data, cases, policy=policy, random_state=0)
    assert all(a["declined"] for a in answers)
    for k, answer in enumerate(answers):
        if not answer["found"]:
            assert answer["changes"] == [] and answer["text"].startswith("No change of at most")
            continue
        changed = cases.iloc[[k]].copy()
        for change in answer["changes"]:
            feature, old, new = change["feature"], change["from"], change["to"]
            assert feature not in table["immutable"]
            if feature in table["increase_only"]:
                assert new >= old
            if feature in table["decrease_only"]:
                assert new <= old
            changed[feature] = new
        assert 1 <= len(answer["changes"]) <= table["max_features"]
        assert model.predict(changed)[0] == model.positive_class
