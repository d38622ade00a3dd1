"""The shape of the fairness section, its edge cases, and the checks on its inputs."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from xai_audit.exceptions import InvalidInputError
from xai_audit.fairness import fairness_report

PLAIN_TYPES = (dict, list, str, int, float, bool, type(None))


def plain_leaves(value, path="section"):
    """Yield (path, leaf) for every leaf, failing on anything that is not plain Python."""
    assert type(value) in PLAIN_TYPES, f"{path} is a {type(value).__name__}"
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"{path} has the key {key!r}"
            yield from plain_leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from plain_leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def credit_data(n=600, seed=0, missing_sex=True):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n, p=[0.4, 0.6]).astype(object)
    if missing_sex:
        sex[rng.random(n) < 0.06] = None
    groups = pd.DataFrame({"sex": sex, "age_group": rng.choice(["under 25", "25 and over"], n, p=[0.3, 0.7])})
    y_true = rng.integers(0, 2, n)
    scores = np.clip(0.3 * y_true + 0.7 * rng.random(n), 0, 1)
    return y_true, (scores > 0.5).astype(int), scores, groups


@pytest.fixture(scope="module")
def section():
    y_true, y_pred, scores, groups = credit_data()
    return fairness_report(y_true, y_pred, groups, scores=scores, n_resamples=100, random_state=0)


def test_section_is_plain_json_without_nan(section):
    for path, leaf in plain_leaves(section):
        assert not (isinstance(leaf, float) and not math.isfinite(leaf)), path
    assert json.loads(json.dumps(section, allow_nan=False)) == section


def test_section_has_a_table_per_attribute_and_pair_with_the_documented_keys(section):
    assert list(section) == ["sex", "age_group", "sex*age_group"]
    table = section["sex*age_group"]
    assert table["attributes"] == ["sex", "age_group"]
    assert set(table) == {"attributes", "task", "reference_group", "groups", "differences", "ratios",
                          "between_groups", "four_fifths", "ll144", "tests", "summary", "bootstrap", "interval_method"}
    group = table["groups"]["female*under 25"]
    for key in ("n", "share", "base_rate", "selection_rate", "tpr", "fpr", "fnr", "tnr", "ppv", "npv", "fdr", "for",
                "accuracy", "auc", "ece", "mean_score", "small_group", "ci"):
        assert key in group
    assert set(group["ci"]) == set(group) - {"n", "share", "small_group", "ci"}
    for kind in ("differences", "ratios", "between_groups", "four_fifths", "ll144", "summary"):
        assert isinstance(table[kind]["convention"], str)
    for name in ("demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
                 "equal_opportunity_difference", "predictive_parity_difference", "calibration_gap"):
        assert name in table["summary"] and name in table["summary"]["judged_by"]
    assert table["summary"]["ci"] is None
    assert sum(g["share"] for g in table["groups"].values()) == pytest.approx(1.0)


def test_missing_values_form_the_unknown_group_reported_but_not_compared(section):
    sex = section["sex"]
    assert set(sex["groups"]) == {"female", "male", "unknown"}
    assert sex["groups"]["unknown"]["n"] > 0 and not sex["groups"]["unknown"]["small_group"]
    assert sex["summary"]["groups_compared"] == ["female", "male"]
    assert sex["summary"]["groups_excluded"] == {"unknown": "'unknown' group"}
    assert "unknown" in sex["differences"]["values"]
    assert any(label.startswith("unknown*") for label in section["sex*age_group"]["groups"])


def test_default_reference_is_the_largest_known_group_and_can_be_chosen(section):
    assert section["sex"]["reference_group"] == "male"
    assert section["sex*age_group"]["reference_group"] == "male*25 and over"
    y_true, y_pred, scores, groups = credit_data()
    chosen = fairness_report(y_true, y_pred, groups, n_resamples=0,
                             reference_groups={"sex": "female", "sex*age_group": "female*under 25"})
    assert chosen["sex"]["reference_group"] == "female"
    assert "male" in chosen["sex"]["differences"]["values"] and "female" not in chosen["sex"]["differences"]["values"]
    assert chosen["sex*age_group"]["differences"]["convention"] == "group minus reference group ('female*under 25')"


def test_combinations_that_never_occur_are_not_groups():
    groups = pd.DataFrame({"sex": ["female"] * 40 + ["male"] * 80,
                           "age_group": ["young"] * 40 + ["young"] * 40 + ["old"] * 40})
    y = np.tile([0, 1], 60)
    table = fairness_report(y, y, groups, n_resamples=50, random_state=0)["sex*age_group"]
    assert set(table["groups"]) == {"female*young", "male*young", "male*old"}
    for _, leaf in plain_leaves(table):
        assert not (isinstance(leaf, float) and math.isnan(leaf))


def test_small_groups_are_marked_and_left_out_of_the_summaries():
    groups = pd.DataFrame({"g": ["a"] * 100 + ["b"] * 100 + ["c"] * 10})
    y_true = np.tile([0, 1], 105)
    y_pred = np.r_[np.tile([1, 0], 50), np.tile([1, 1, 0, 0], 25), np.zeros(10, int)]
    table = fairness_report(y_true, y_pred, groups, n_resamples=50, random_state=0)["g"]
    assert table["groups"]["c"]["small_group"] and not table["groups"]["a"]["small_group"]
    assert table["summary"]["groups_excluded"] == {"c": "fewer than 30 rows"}
    # c selects nobody, but the demographic parity spread covers a and b only
    assert table["summary"]["demographic_parity_difference"] == 0.0
    assert table["four_fifths"]["groups"]["c"]["flagged"] and table["four_fifths"]["groups"]["c"]["small_group"]
    assert table["summary"]["four_fifths_flagged_groups"] == []
    assert table["differences"]["values"]["c"]["selection_rate"]["value"] == pytest.approx(-0.5)


def test_a_single_group_attribute_gives_a_defined_table_with_nothing_to_compare():
    groups = pd.DataFrame({"country": ["DE"] * 50})
    y = np.tile([0, 1], 25)
    table = fairness_report(y, y, groups, n_resamples=20, random_state=0)["country"]
    assert table["reference_group"] == "DE" and table["groups"]["DE"]["n"] == 50
    assert table["differences"]["values"] == {} and table["ratios"]["values"] == {} and table["tests"] == {}
    assert table["summary"]["demographic_parity_difference"] is None
    assert table["summary"]["note"].startswith("Only one group ('DE')")
    assert table["four_fifths"]["groups"]["DE"]["impact_ratio"] == 1.0


def test_regression_task_reports_regression_metrics_and_no_selection_rules():
    rng = np.random.default_rng(3)
    groups = pd.DataFrame({"sex": rng.choice(["female", "male"], 300)})
    y_true = rng.normal(50, 10, 300)
    y_pred = y_true + rng.normal(0, 5, 300) + 3 * (groups["sex"] == "female")
    table = fairness_report(y_true, y_pred, groups, task="regression", reference_groups={"sex": "male"},
                            n_resamples=100, random_state=0)["sex"]
    assert set(table["groups"]["female"]) == {"n", "share", "mean_prediction", "mae", "rmse", "r2", "mean_residual",
                                             "small_group", "ci"}
    assert table["four_fifths"] is None and table["ll144"] is None and table["tests"] is None
    assert "r2" not in table["ratios"]["values"]["female"] and "r2" in table["differences"]["values"]["female"]
    assert table["differences"]["values"]["female"]["mean_residual"]["value"] == pytest.approx(3, abs=1.5)  # ŷ − y: over-predicted
    assert table["summary"]["mean_residual_difference"] is not None
    json.dumps(table, allow_nan=False)


def test_inputs_as_lists_series_and_booleans_give_the_same_report():
    y_true, y_pred, _, groups = credit_data(n=200, missing_sex=False)
    expected = fairness_report(y_true, y_pred, groups, n_resamples=20, random_state=1)
    as_series = fairness_report(pd.Series(y_true, index=range(100, 300)), list(y_pred.astype(bool)),
                                groups.set_axis(range(500, 700)), n_resamples=20, random_state=1)
    assert as_series == expected


@pytest.mark.parametrize("kwargs, message", [
    ({"y_true": [0, 2, 1, 0]}, r"y_true must hold only 0 and 1 \(1 = favourable\); it also holds \[2\]"),
    ({"y_pred": ["yes", "no", "no", "yes"]}, r"y_pred must hold 0/1 labels"),
    ({"y_pred": [0, 1, 1]}, r"one entry per row; got lengths \{'y_true': 4, 'y_pred': 3"),
    ({"groups": pd.DataFrame({"sex": ["a", "b"]})}, r"groups has 2 rows but y_true has 4"),
    ({"groups": ["a", "b", "a", "b"]}, r"groups must be a pandas DataFrame .*; got list"),
    ({"scores": [0.1, 0.5, 1.2, 0.3]}, r"scores must be probabilities .* got values from 0.1 to 1.2"),
    ({"task": "multiclass"}, r"task must be one of \['binary', 'regression'\]; got 'multiclass'"),
    ({"reference_groups": {"sex": "other"}}, r"reference group 'other' for 'sex' is not in the data; "
                                              r"its groups are \['f', 'm'\]"),
    ({"reference_groups": {"race": "x"}}, r"reference_groups names \['race'\], which are not"),
    ({"confidence": 95}, r"confidence must be a number between 0 and 1"),
    ({"n_resamples": -1}, r"n_resamples must be a whole number"),
    ({"random_state": "seed"}, r"random_state must be None, an int or a numpy Generator; got str"),
])
def test_bad_inputs_raise_invalid_input_error_naming_what_was_given(kwargs, message):
    arguments = {"y_true": [0, 1, 1, 0], "y_pred": [0, 1, 0, 0], "groups": pd.DataFrame({"sex": list("fmfm")})}
    arguments.update(kwargs)
    y_true, y_pred, groups = arguments.pop("y_true"), arguments.pop("y_pred"), arguments.pop("groups")
    with pytest.raises(InvalidInputError, match=message):
        fairness_report(y_true, y_pred, groups, **arguments)


def test_regression_with_scores_is_refused():
    with pytest.raises(InvalidInputError, match="scores apply to task='binary'"):
        fairness_report([1.0, 2.0], [1.5, 2.5], pd.DataFrame({"g": ["a", "b"]}), scores=[0.1, 0.2],
                        task="regression")
