"""Disparity attribution adds up exactly; proxy detection finds proxies and does not leak."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from xai_audit.exceptions import InvalidInputError
from xai_audit.fairness import disparity_attribution, proxy_scan


def test_contributions_add_up_exactly_to_the_gap_in_mean_output():
    # multiples of 1/8 with small sums, averaged over groups of 16 and 32 rows, are exact in floating
    # point whatever the order of summation, so "exactly" means ==
    rng = np.random.default_rng(0)
    values = rng.integers(-40, 40, size=(48, 5)) / 8
    output = values.sum(axis=1) + 0.5
    groups = pd.DataFrame({"sex": ["female"] * 16 + ["male"] * 32})
    table = disparity_attribution(values, output, groups)["sex"]
    assert table["reference_group"] == "male"
    female = table["groups"]["female"]
    expected_gap = output[:16].mean() - output[16:].mean()
    assert female["output_difference"] == expected_gap
    assert sum(female["contributions"].values()) == expected_gap
    assert female["explained_difference"] == expected_gap and female["unexplained_difference"] == 0.0
    for j, name in enumerate(["x0", "x1", "x2", "x3", "x4"]):
        assert female["contributions"][name] == values[:16, j].mean() - values[16:, j].mean()


def test_contributions_add_up_to_rounding_on_real_valued_shap_like_values():
    rng = np.random.default_rng(1)
    values = pd.DataFrame(rng.normal(size=(5000, 8)), columns=[f"f{j}" for j in range(8)])
    output = values.sum(axis=1).to_numpy() + 1.234
    groups = pd.DataFrame({"race": rng.choice(["a", "b", "c"], 5000), "sex": rng.choice(["f", "m"], 5000)})
    section = disparity_attribution(values, output, groups, intersections=True)
    assert list(section) == ["race", "sex", "race*sex"]
    for table in section.values():
        for entry in table["groups"].values():
            assert math.fsum(entry["contributions"].values()) == pytest.approx(entry["output_difference"], abs=1e-12)
            assert abs(entry["unexplained_difference"]) < 1e-12
    json.dumps(section, allow_nan=False)


def test_a_varying_base_value_shows_as_unexplained():
    values = np.array([[1.0], [1.0], [0.0], [0.0]])
    output = values[:, 0] + np.array([1.0, 1.0, 0.0, 0.0])
    table = disparity_attribution(values, output, pd.DataFrame({"g": ["a", "a", "b", "b"]}),
                                  reference_groups={"g": "b"})["g"]
    assert table["groups"]["a"]["output_difference"] == 2.0
    assert table["groups"]["a"]["explained_difference"] == 1.0 and table["groups"]["a"]["unexplained_difference"] == 1.0


def test_attribution_input_errors_name_the_problem():
    groups = pd.DataFrame({"g": ["a", "b"]})
    with pytest.raises(InvalidInputError, match=r"output has 3 rows but values has 2"):
        disparity_attribution(np.ones((2, 2)), np.ones(3), groups)
    with pytest.raises(InvalidInputError, match=r"feature_names has 1 names but values has 2 columns"):
        disparity_attribution(np.ones((2, 2)), np.ones(2), groups, feature_names=["a"])
    with pytest.raises(InvalidInputError, match=r"values must be a 2-D"):
        disparity_attribution(np.ones(2), np.ones(2), groups)


def proxy_data(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n)
    female = sex == "female"
    features = pd.DataFrame({
        "height": rng.normal(165, 7, n) + 12 * (~female),   # a strong numeric proxy
        "income": rng.normal(50, 10, n),                     # unrelated
        "job": np.where(rng.random(n) < 0.85, np.where(female, "nurse", "mechanic"), "clerk"),  # categorical proxy
        "row_id": [f"id{i}" for i in range(n)],              # unique per row: leaks if encoded in-sample
        "city": rng.choice(["north", "south", "east"], n),   # unrelated categorical
    })
    return features, pd.DataFrame({"sex": sex})


def test_proxy_scan_flags_numeric_and_categorical_proxies_only():
    features, groups = proxy_data()
    table = proxy_scan(features, groups, random_state=0)["sex"]
    assert table["proxies"] == ["job", "height"] or table["proxies"] == ["height", "job"]
    entries = table["features"]
    assert entries["height"]["kind"] == "numeric" and entries["job"]["kind"] == "categorical"
    assert entries["income"]["auc"] < 0.6 and entries["city"]["auc"] < 0.6
    assert not entries["income"]["proxy"] and not entries["city"]["proxy"]
    json.dumps(table, allow_nan=False)


def test_numeric_auc_equals_scikit_learn_either_direction():
    features, groups = proxy_data()
    table = proxy_scan(features, groups, random_state=0)["sex"]
    female = (groups["sex"] == "female").to_numpy()
    expected = roc_auc_score(female, features["height"])
    assert expected < 0.5  # women are shorter here, so the AUC for "female" is below one half
    assert table["features"]["height"]["by_group"]["female"] == pytest.approx(1 - expected, abs=1e-12)
    assert table["features"]["height"]["auc"] == pytest.approx(max(expected, 1 - expected), abs=1e-12)


def test_cross_fitted_encoding_does_not_leak_a_row_identifier():
    features, groups = proxy_data()
    entry = proxy_scan(features, groups, random_state=0)["sex"]["features"]["row_id"]
    # encoded in-sample, each id's own membership rate would give AUC 1.0
    assert entry["auc"] == pytest.approx(0.5, abs=0.02) and not entry["proxy"]


def test_proxy_scan_is_seeded_and_reports_mean_absolute_attribution():
    features, groups = proxy_data(n=1000)
    attributions = pd.DataFrame(np.tile([1.0, -2.0, 0.5, 0.0, 0.25], (1000, 1)), columns=features.columns)
    first = proxy_scan(features, groups, attributions=attributions, random_state=3)
    assert first == proxy_scan(features, groups, attributions=attributions.to_numpy(), random_state=3)
    entries = first["sex"]["features"]
    assert entries["income"]["mean_abs_attribution"] == 2.0 and entries["row_id"]["mean_abs_attribution"] == 0.0
    assert proxy_scan(features, groups, random_state=3)["sex"]["features"]["job"]["mean_abs_attribution"] is None


def test_proxy_threshold_is_inclusive_and_missing_values_are_handled():
    features = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0], "c": ["a", None, "a", "b", "b", None]})
    groups = pd.DataFrame({"g": ["p", "p", "p", "q", "q", "q"]})
    table = proxy_scan(features, groups, random_state=0, threshold=1.0, min_group_size=1)["g"]
    assert table["features"]["x"]["auc"] == 1.0 and table["features"]["x"]["proxy"]  # NaN ranks lowest
    assert table["features"]["c"]["auc"] is not None


def test_proxy_scan_input_errors():
    features, groups = proxy_data(n=50)
    with pytest.raises(InvalidInputError, match=r"features must be a pandas DataFrame; got ndarray"):
        proxy_scan(features.to_numpy(), groups)
    with pytest.raises(InvalidInputError, match=r"attributions has shape \(50, 2\) but features has 5 columns"):
        proxy_scan(features, groups, attributions=np.ones((50, 2)))
    # attributions summarise each feature, so they may come from other rows (an explained sample)
    sample = np.arange(40.0).reshape(8, 5) - 20
    scan = proxy_scan(features, groups, attributions=sample)
    first = next(iter(scan.values()))["features"]
    assert [first[name]["mean_abs_attribution"] for name in features.columns] == list(np.abs(sample).mean(axis=0))
    with pytest.raises(InvalidInputError, match=r"threshold must be an AUC between 0.5 and 1; got 0.3"):
        proxy_scan(features, groups, threshold=0.3)


# -- On the rows it describes: every row for exact SHAP, the full data's gap beside a sample's ------

def test_a_tree_model_is_attributed_on_every_row_and_its_gap_is_the_full_data_gap(credit_frame, credit_gbm):
    import xai_audit as xa

    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"])
    result = xa.audit(credit_gbm, data, explainers=["shap"], explain_rows=40, n_resamples=20, random_state=0)
    table = result.fairness["sex"]["disparity_attribution"]
    assert table["rows_explained"] == table["rows_total"] == len(credit_frame)
    assert "every row of the data" in table["rows_selection"]
    # the model's own mean output per group, from its probabilities, in the attributions' space
    proba = credit_gbm.predict_proba(credit_frame[["income", "debt", "purpose", "age"]])
    p = proba[:, list(credit_gbm.classes_).index("repaid")]
    space = table["output_space"]
    output = np.log(p) - np.log1p(-p) if space == "log_odds" else p
    sex = credit_frame["sex"].to_numpy()
    reference = table["reference_group"]
    for group, entry in table["groups"].items():
        model_gap = output[sex == group].mean() - output[sex == reference].mean()
        assert math.isclose(entry["output_difference"], model_gap, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(entry["full_data_output_difference"], model_gap, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(sum(entry["contributions"].values()), entry["output_difference"], abs_tol=1e-9)


def test_shares_are_signed_shares_of_the_gap():
    values = np.array([[-0.10, 0.02], [-0.06, 0.02], [0.0, 0.0], [0.0, 0.0]])
    output = values.sum(axis=1)
    table = disparity_attribution(values, output, pd.DataFrame({"sex": ["f", "f", "m", "m"]}),
                                  reference_groups={"sex": "m"}, feature_names=["income", "debt"])["sex"]
    female = table["groups"]["f"]
    assert math.isclose(female["output_difference"], -0.06)
    assert math.isclose(female["shares"]["income"], -0.08 / -0.06)  # 133%: more than the whole gap
    assert math.isclose(female["shares"]["debt"], 0.02 / -0.06)  # negative: works against the gap
    assert math.isclose(sum(female["shares"].values()), 1.0)
    assert all(v is None for v in table["groups"]["m"]["shares"].values())  # no gap to share


def test_a_sample_keeps_the_full_data_gap_beside_its_own():
    rng = np.random.default_rng(3)
    n = 400
    groups = pd.DataFrame({"sex": rng.choice(["f", "m"], n)})
    values = rng.normal(size=(n, 3)) + (groups["sex"].to_numpy() == "f")[:, None] * 0.3
    output = values.sum(axis=1) + 1.0
    sample = np.arange(0, n, 7)
    table = disparity_attribution(values[sample], output[sample], groups.iloc[sample],
                                  reference_groups={"sex": "m"}, population=(output, groups))["sex"]
    f = table["groups"]["f"]
    sex = groups["sex"].to_numpy()
    assert math.isclose(f["full_data_output_difference"], output[sex == "f"].mean() - output[sex == "m"].mean())
    assert math.isclose(f["output_difference"], output[sample][sex[sample] == "f"].mean()
                        - output[sample][sex[sample] == "m"].mean())
    assert f["full_data_n"] == int((sex == "f").sum()) and f["n"] == int((sex[sample] == "f").sum())
    assert table["rows_explained"] == len(sample) and table["rows_total"] == n


def test_a_model_agnostic_explainer_attributes_a_group_stratified_sample():
    from types import SimpleNamespace

    from xai_audit.explainers.section import attribution_rows

    groups = pd.DataFrame({"sex": ["f"] * 30 + ["m"] * 970})
    data = SimpleNamespace(n_rows=1000, groups=groups)
    explanation = SimpleNamespace(meta={"algorithm_key": "permutation"})
    rows, why = attribution_rows(explanation, data, {"attribution_rows_per_group": 100}, random_state=0)
    chosen = groups["sex"].to_numpy()[rows]
    assert (chosen == "f").sum() == 30 and (chosen == "m").sum() == 100  # every row of the small group
    assert f"a seeded sample of {len(rows)} of the 1000 rows" in why
    rows, why = attribution_rows(SimpleNamespace(meta={"algorithm_key": "tree"}), data, {}, random_state=0)
    assert len(rows) == 1000 and "every row" in why
