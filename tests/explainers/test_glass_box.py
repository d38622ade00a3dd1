"""Interpretable models read as themselves: coefficients and Wald intervals against independent
computations, tree rules against the tree's own ``apply``, EBM shapes against its term scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from xai_audit import AuditDataset, load_model
from xai_audit.adapters.pairing import align_classes
from xai_audit.explainers.glass_box import glass_box_section


def _credit(n=400, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"years": rng.uniform(0, 30, n), "amount": rng.normal(5000, 2000, n),
                       "housing": rng.choice(["own", "rent", "free"], n)})
    logit = 0.08 * df["years"] - 0.0003 * df["amount"] + (df["housing"] == "own") * 0.7
    df["y"] = np.where(rng.uniform(size=n) < 1 / (1 + np.exp(-logit)), "good", "bad")
    return df


def _numeric_hessian_cov(X, y, coef, intercept, curvature):
    """Covariance from a finite-difference Hessian of the penalised negative log-likelihood's analytic
    gradient: independent of the closed form D'WD the code uses."""
    theta0 = np.concatenate([[intercept], coef])
    D = np.column_stack([np.ones(len(X)), X])

    def gradient(theta):
        p = 1 / (1 + np.exp(-(D @ theta)))
        g = -D.T @ (y - p)
        g[1:] += curvature * theta[1:]
        return g

    steps = 1e-4 / np.abs(D).mean(axis=0)  # each step moves the log-odds by about 1e-4
    H = np.column_stack([(gradient(theta0 + h * e) - gradient(theta0 - h * e)) / (2 * h)
                         for h, e in zip(steps, np.eye(len(theta0)))])
    return np.linalg.inv((H + H.T) / 2)


@pytest.mark.parametrize("C", [np.inf, 1.0, 0.05])
def test_logistic_coefficients_and_wald_intervals_match_an_independent_computation(C):
    df = _credit()
    X = df[["years", "amount"]]
    y = (df["y"] == "good").to_numpy(int)
    model = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, df["y"])
    data = AuditDataset.from_frame(df, target="y", positive_label="good", features=["years", "amount"])
    section = glass_box_section(load_model(model), data, ["years", "amount"])
    assert section["kind"] == "logistic" and section["intervals"]["available"]
    coef = [c["coefficient"] for c in section["coefficients"]]
    np.testing.assert_allclose(coef, model.coef_[0], rtol=0, atol=1e-12)
    cov = _numeric_hessian_cov(X.to_numpy(float), y, model.coef_[0], model.intercept_[0], 0.0 if np.isinf(C) else 1 / C)
    se = np.sqrt(np.diag(cov))[1:]
    z = stats.norm.ppf(0.975)
    for j, entry in enumerate(section["coefficients"]):
        np.testing.assert_allclose(entry["std_error"], se[j], rtol=1e-6)
        np.testing.assert_allclose(entry["ci"], [coef[j] - z * se[j], coef[j] + z * se[j]], rtol=1e-6)
        np.testing.assert_allclose(entry["odds_ratio"], np.exp(coef[j]), rtol=1e-12)
        np.testing.assert_allclose(entry["odds_ratio_ci"], np.exp(entry["ci"]), rtol=1e-12)
    assert section["fidelity"]["value"] == 1.0


def test_the_unfavourable_class_last_flips_every_sign():
    df = _credit()
    model = LogisticRegression().fit(df[["years"]], df["y"])  # classes_ = ['bad', 'good']
    for positive, sign in (("good", 1), ("bad", -1)):
        data = AuditDataset.from_frame(df, target="y", positive_label=positive, features=["years"])
        section = glass_box_section(align_classes(load_model(model), data), data, ["years"])
        entry = section["coefficients"][0]
        assert entry["coefficient"] == pytest.approx(sign * model.coef_[0, 0], abs=1e-12)
        assert entry["ci"][0] < entry["coefficient"] < entry["ci"][1]
        assert section["intercept"] == pytest.approx(sign * model.intercept_[0], abs=1e-12)
        assert section["fidelity"]["value"] == 1.0


def test_a_scaler_in_front_is_undone_per_unit_of_the_feature():
    """Unpenalised, a logistic model on standardised inputs is the raw model in other units: its
    per-unit coefficients and intervals must equal those of the same fit on the raw columns."""
    df = _credit()
    features = ["years", "amount"]
    scaled = make_pipeline(StandardScaler(), LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000)).fit(df[features], df["y"])
    raw = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(df[features], df["y"])
    data = AuditDataset.from_frame(df, target="y", positive_label="good", features=features)
    section = glass_box_section(load_model(scaled), data, features)
    assert section["terms"]["transformed"]
    plain = glass_box_section(load_model(raw), data, features)
    for entry, reference, scale in zip(section["coefficients"], plain["coefficients"], scaled[0].scale_):
        unit = entry["per_feature_unit"]
        assert unit["term_units_per_feature_unit"] == pytest.approx(1 / scale, rel=1e-9)
        assert unit["coefficient"] == pytest.approx(reference["coefficient"], rel=1e-5)
        np.testing.assert_allclose(unit["ci"], reference["ci"], rtol=1e-4)
        assert unit["odds_ratio"] == pytest.approx(reference["odds_ratio"], rel=1e-5)


def test_one_hot_terms_are_named_by_the_transformed_columns_and_traced_to_their_feature():
    df = _credit()
    features = ["years", "amount", "housing"]
    encode = ColumnTransformer([("num", StandardScaler(), ["years", "amount"]),
                                ("cat", OneHotEncoder(handle_unknown="ignore"), ["housing"])])
    model = Pipeline([("encode", encode), ("model", LogisticRegression())]).fit(df[features], df["y"])
    data = AuditDataset.from_frame(df, target="y", positive_label="good", features=features)
    section = glass_box_section(load_model(model), data, features)
    names = [c["term"] for c in section["coefficients"]]
    assert names == list(model[0].get_feature_names_out())
    owners = {c["term"]: c["feature"] for c in section["coefficients"]}
    assert owners["cat__housing_own"] == "housing" and owners["num__years"] == "years"
    assert "per_feature_unit" not in section["coefficients"][names.index("cat__housing_own")]
    np.testing.assert_allclose([c["coefficient"] for c in section["coefficients"]], model[-1].coef_[0], atol=1e-12)
    assert section["intervals"]["available"]  # the L2 penalty identifies the one-hot columns beside the intercept
    assert section["fidelity"]["value"] == 1.0


def test_an_unidentified_unpenalised_fit_claims_no_interval():
    df = _credit()
    encode = ColumnTransformer([("cat", OneHotEncoder(), ["housing"])])
    model = Pipeline([("encode", encode), ("model", LogisticRegression(C=np.inf))]).fit(df[["housing"]], df["y"])
    data = AuditDataset.from_frame(df, target="y", positive_label="good", features=["housing"])
    section = glass_box_section(load_model(model), data, ["housing"])
    assert not section["intervals"]["available"] and "singular" in section["intervals"]["why_not"]
    assert all(c["ci"] is None for c in section["coefficients"])


def test_linear_regression_intervals_are_the_textbook_ols_ones_and_ridge_adds_its_penalty():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    df["y"] = 2 * df["a"] - df["b"] + rng.normal(size=200)
    data = AuditDataset.from_frame(df, target="y", features=["a", "b"])
    D = np.column_stack([np.ones(200), df[["a", "b"]].to_numpy()])
    for model, alpha in ((LinearRegression(), 0.0), (Ridge(alpha=5.0), 5.0)):
        model.fit(df[["a", "b"]], df["y"])
        section = glass_box_section(load_model(model), data, ["a", "b"])
        residual = df["y"].to_numpy() - model.predict(df[["a", "b"]])
        sigma2 = residual @ residual / (200 - 3)
        cov = sigma2 * np.linalg.inv(D.T @ D + np.diag([0.0, alpha, alpha]))
        np.testing.assert_allclose([c["std_error"] for c in section["coefficients"]], np.sqrt(np.diag(cov))[1:], rtol=1e-6)
        np.testing.assert_allclose([c["coefficient"] for c in section["coefficients"]], model.coef_, atol=1e-12)
        assert section["kind"] == "linear" and "odds_ratio" not in section["coefficients"][0]


def test_intervals_are_computed_on_the_training_data_when_given():
    df, other = _credit(seed=0), _credit(n=900, seed=1)
    model = LogisticRegression().fit(df[["years"]], df["y"])
    audit = AuditDataset.from_frame(df, target="y", positive_label="good", features=["years"])
    train = AuditDataset.from_frame(other, target="y", positive_label="good", features=["years"])
    on_audit = glass_box_section(load_model(model), audit, ["years"])
    on_train = glass_box_section(load_model(model), audit, ["years"], train=train)
    assert on_audit["intervals"]["source"] == "audit" and on_train["intervals"]["source"] == "training"
    assert "900 rows of the training data" in on_train["intervals"]["rows"]
    assert on_train["coefficients"][0]["std_error"] < on_audit["coefficients"][0]["std_error"]  # more rows


@settings(max_examples=15, deadline=None)
@given(depth=st.integers(1, 7), seed=st.integers(0, 10_000))
def test_tree_rule_counts_equal_the_trees_own_leaf_counts(depth, seed):
    df = _credit(n=300, seed=seed % 7)
    X = df[["years", "amount"]]
    model = DecisionTreeClassifier(max_depth=depth, random_state=seed).fit(X, df["y"])
    data = AuditDataset.from_frame(df, target="y", positive_label="good", features=["years", "amount"])
    section = glass_box_section(load_model(model), data, ["years", "amount"])
    leaves = np.bincount(model.apply(X), minlength=model.tree_.node_count)
    path = model.decision_path(X)
    assert sum(r["n"] for r in section["rules"]) == len(df)
    assert sum(r["share"] for r in section["rules"]) == pytest.approx(1.0)
    for rule in section["rules"]:
        assert rule["n"] == int(path[:, rule["node"]].sum())
        if not rule["subtree"]:
            assert rule["n"] == leaves[rule["node"]]
        rows = np.ones(len(df), dtype=bool)
        for condition in rule["conditions"]:  # the conditions select exactly the rule's rows
            column = X[condition["term"]].to_numpy()
            rows &= column <= condition["threshold"] if condition["op"] == "<=" else column > condition["threshold"]
        assert rows.sum() == rule["n"]
    if model.get_depth() <= section["shown_depth"]:
        assert section["fidelity"]["value"] == 1.0 and not any(r["subtree"] for r in section["rules"])
        assert {r["decision"] for r in section["rules"]} <= {"good", "bad"}


def test_tree_conditions_behind_a_pipeline_are_said_in_the_features_own_units_and_categories():
    df = _credit()
    features = ["years", "housing"]
    encode = ColumnTransformer([("num", StandardScaler(), ["years"]), ("cat", OneHotEncoder(), ["housing"])])
    model = Pipeline([("encode", encode), ("tree", DecisionTreeRegressor(max_depth=3, random_state=0))])
    model.fit(df[features], (df["y"] == "good").astype(float) * df["years"])
    data = AuditDataset.from_frame(df.assign(t=(df["y"] == "good").astype(float)), target="t", features=features)
    section = glass_box_section(load_model(model), data, features)
    scaler = model[0].named_transformers_["num"]
    seen = set()
    for rule in section["rules"]:
        for c in rule["conditions"]:
            if c["feature"] == "years":
                expected = c["threshold"] * scaler.scale_[0] + scaler.mean_[0]
                assert c["feature_threshold"]["value"] == pytest.approx(expected)
                seen.add("years")
            else:
                assert c["category"]["value"] in {"own", "rent", "free"} and c["category"]["is"] == (c["op"] == ">")
                seen.add("housing")
    assert seen == {"years", "housing"}
    assert all(isinstance(r["decision"], float) for r in section["rules"])


def test_an_ebm_is_read_exactly_fidelity_one_and_shapes_equal_its_term_scores():
    glassbox = pytest.importorskip("interpret.glassbox")
    df = _credit(n=600)
    features = ["years", "amount", "housing"]
    ebm = glassbox.ExplainableBoostingClassifier(interactions=0, outer_bags=2, n_jobs=1, random_state=0)
    ebm.fit(df[features], df["y"])
    data = AuditDataset.from_frame(df, target="y", positive_label="good", features=features)
    section = glass_box_section(load_model(ebm), data, features)
    assert section["kind"] == "ebm" and section["fidelity"]["value"] == 1.0
    assert [i["term"] for i in section["importances"]] == [
        ebm.term_names_[i] for i in np.argsort(-ebm.term_importances(), kind="stable")]
    contributions = ebm.eval_terms(df[features])
    for term, shape in section["shapes"].items():
        i = ebm.term_names_.index(term)
        if shape["kind"] == "numeric":
            np.testing.assert_array_equal(shape["scores"], ebm.term_scores_[i][1:-1])
            # each row's score is its bin's, bins read as the record says: [cut k-1, cut k)
            values = df[term].to_numpy(float)
            bins = np.searchsorted(shape["cuts"], values, side="right")
            np.testing.assert_allclose(np.asarray(shape["scores"])[bins], contributions[:, i], atol=1e-12)
        else:
            np.testing.assert_allclose([shape["scores"][shape["bins"].index(v)] for v in df[term]], contributions[:, i],
                                       atol=1e-12)


def test_a_black_box_gets_no_glass_box_section():
    df = _credit()
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(df[["years"]], df["y"])
    data = AuditDataset.from_frame(df, target="y", positive_label="good", features=["years"])
    assert glass_box_section(load_model(model), data, ["years"]) == {}


@pytest.mark.parametrize("depth", [4, 6])
def test_rules_are_cut_exactly_at_the_shown_depth(depth):
    df = _credit(n=400)
    X = df[["years", "amount"]]
    model = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X, df["y"])
    assert model.get_depth() == depth
    data = AuditDataset.from_frame(df, target="y", positive_label="good", features=["years", "amount"])
    section = glass_box_section(load_model(model), data, ["years", "amount"])
    lengths = [len(r["conditions"]) for r in section["rules"]]
    assert max(lengths) == min(depth, section["shown_depth"]) == min(depth, 4)
    assert any(r["subtree"] for r in section["rules"]) == (depth > 4)
    assert all(r["subtree"] == (len(r["conditions"]) == 4 and depth > 4 and model.tree_.children_left[r["node"]] != -1)
               for r in section["rules"])


def test_a_cross_validated_logistic_model_is_read_with_the_c_it_chose():
    from sklearn.linear_model import LogisticRegressionCV

    df = _credit()
    X = df[["years", "amount"]]
    model = LogisticRegressionCV(Cs=[0.01, 1.0], l1_ratios=(0.0,), scoring="neg_log_loss", cv=3, tol=1e-10,
                                 max_iter=10_000).fit(X, df["y"])
    data = AuditDataset.from_frame(df, target="y", positive_label="good", features=["years", "amount"])
    section = glass_box_section(load_model(model), data, ["years", "amount"])
    C = float(model.C_[0])
    y = (df["y"] == "good").to_numpy(int)
    cov = _numeric_hessian_cov(X.to_numpy(float), y, model.coef_[0], model.intercept_[0], 1 / C)
    np.testing.assert_allclose([c["std_error"] for c in section["coefficients"]], np.sqrt(np.diag(cov))[1:], rtol=1e-5)
    assert section["intervals"]["penalty"] == f"L2, curvature {1 / C:g} added on every coefficient but the intercept"
