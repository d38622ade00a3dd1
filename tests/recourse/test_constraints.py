"""Constraints from the data, the policy and recourse.toml; the cost model."""

import numpy as np
import pandas as pd
import pytest

from xai_audit import AuditDataset
from xai_audit.exceptions import InvalidInputError
from xai_audit.recourse.constraints import allowed_interval, build_constraints, read_recourse_toml
from xai_audit.recourse.cost import fit_costs


@pytest.fixture()
def data():
    frame = pd.DataFrame({"age": [20, 30, 40, 50], "income": [1.5, 2.5, 3.5, 10.0], "sex": ["f", "m", "f", "m"],
                          "job": ["a", "b", "a", "a"], "const": [1, 1, 1, 1], "y": [0, 1, 0, 1]})
    return AuditDataset.from_frame(frame, target="y", sensitive=["sex"])


FEATURES = ["age", "income", "sex", "job", "const"]


def test_sensitive_single_valued_and_declared_features_are_immutable(data):
    c = build_constraints(data, FEATURES, policy_settings={"immutable": ["job"], "increase_only": ["age"],
                                                           "decrease_only": ["not_a_column"]})
    assert c.immutable == {"sex": "a sensitive attribute", "job": "declared immutable", "const": "a single observed value"}
    assert c.mutable == ("age", "income")
    assert c.direction == {"age": "increase"}
    assert c.skipped == ("not_a_column",)
    assert (c.low["income"], c.high["income"], c.integer["age"], c.integer["income"]) == (1.5, 10.0, True, False)
    assert c.to_dict()["declared_but_not_features"] == ["not_a_column"]


def test_allowed_interval_respects_one_way_constraints(data):
    c = build_constraints(data, FEATURES, policy_settings={"increase_only": ["age"], "decrease_only": ["income"]})
    assert allowed_interval(c, "age", 30.0) == (30.0, 50.0)
    assert allowed_interval(c, "income", 3.5) == (1.5, 3.5)


def write(tmp_path, text):
    path = tmp_path / "recourse.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_recourse_file_is_read_at_top_level_or_under_a_table(tmp_path):
    assert read_recourse_toml(write(tmp_path, 'immutable = ["job"]\nbudget = 1.5\n')) == {"immutable": ["job"], "budget": 1.5}
    assert read_recourse_toml(write(tmp_path, '[recourse]\nmax_features = 2\n')) == {"max_features": 2}


@pytest.mark.parametrize(("text", "match"), [
    ('immutables = ["job"]\n', r"unknown keys \['immutables'\]; allowed: .*'immutable'"),
    ('immutable = "job"\n', r"'immutable' must be a list of column names"),
    ("max_features = 0\n", r"'max_features' must be a positive number"),
    ("max_features = 1.5\n", r"'max_features' must be a whole number"),
    ('increase_only = ["age"]\ndecrease_only = ["age"]\n', r"\['age'\] are both increase_only and decrease_only.*'immutable'"),
    ("enabled = false\n", r"unknown keys \['enabled'\]"),
])
def test_recourse_file_errors_name_the_key_and_the_fix(tmp_path, text, match):
    with pytest.raises(InvalidInputError, match=match):
        read_recourse_toml(write(tmp_path, text))


def test_recourse_file_names_must_be_model_inputs(data, tmp_path):
    settings = read_recourse_toml(write(tmp_path, 'immutable = ["jobb"]\n'))
    with pytest.raises(InvalidInputError, match=r"names \['jobb'\] under 'immutable', which are not inputs of the model"):
        build_constraints(data, FEATURES, file_settings=settings)


def test_one_way_categorical_is_refused(data):
    with pytest.raises(InvalidInputError, match="'job' is declared increase_only but is categorical"):
        build_constraints(data, FEATURES, policy_settings={"increase_only": ["job"]})


def test_file_overrides_policy_numbers(data):
    c = build_constraints(data, FEATURES, policy_settings={"max_features": 3, "budget": 2.0},
                          file_settings={"max_features": 1})
    assert (c.max_features, c.budget) == (1, 2.0)


def test_costs_are_scaled_by_the_median_absolute_deviation():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0], "b": [5.0] * 4 + [7.0], "c": [3.0] * 5})
    costs = fit_costs(frame, ["a", "b", "c"], category_cost=0.5)
    assert costs.scales == {"a": 1.0, "b": pytest.approx(0.4), "c": 1.0}
    assert costs.bases == {"a": "median absolute deviation", "b": "mean absolute deviation", "c": "unit"}
    assert costs.change_cost("a", 3.0, 1.0) == 2.0
    assert costs.change_cost("b", 5.0, 6.0) == pytest.approx(2.5)
    assert costs.change_cost("job", "x", "y") == 0.5
    assert costs.change_cost("job", "x", "x") == 0.0
    assert np.isclose(fit_costs(frame * 1000, ["a"]).change_cost("a", 3000.0, 1000.0), 2.0)  # scale-free
