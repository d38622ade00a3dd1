"""Every suggestion of the search is approved when the model is asked again, and never breaks a constraint."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.recourse.helpers import apply, codec_for
from xai_audit import AuditDataset, load_model
from xai_audit.recourse.constraints import build_constraints
from xai_audit.recourse.cost import fit_costs
from xai_audit.recourse.scoring import EncodedCodec, FrameCodec, make_codec
from xai_audit.recourse.search import search_recourse

FEATURES = ["income", "debt", "purpose", "age"]


def declined_cases(model, frame, n=25):
    declined = frame.loc[model.predict(frame[FEATURES]) != model.positive_class, FEATURES]
    return declined.iloc[:n].reset_index(drop=True)


def check_suggestions(model, constraints, costs, cases, found, frame):
    """Assert every property a suggestion must have; return how many there were."""
    count = 0
    for i, suggestion in enumerate(found):
        if suggestion is None:
            continue
        count += 1
        case = cases.iloc[i]
        changed_features = [f for f, _, _ in suggestion.changes]
        assert len(set(changed_features)) == len(changed_features) <= constraints.max_features
        for feature, old, new in suggestion.changes:
            assert feature in constraints.mutable and feature not in constraints.immutable
            assert old == case[feature]
            if constraints.kinds[feature] == "numeric":
                assert frame[feature].min() - 1e-9 <= new <= frame[feature].max() + 1e-9
                if constraints.integer[feature]:
                    assert float(new) == round(float(new))
                way = constraints.direction.get(feature)
                assert way != "increase" or new >= old
                assert way != "decrease" or new <= old
            else:
                assert new in set(frame[feature])
        assert suggestion.cost == pytest.approx(
            sum(costs.change_cost(f, old, new) for f, old, new in suggestion.changes))
        approved = model.predict(apply(case, suggestion.changes).to_frame().T.astype(cases.dtypes.to_dict()))
        assert approved[0] == model.positive_class
    return count


def test_every_suggestion_flips_the_gbm(credit_frame, credit_gbm):
    model = load_model(credit_gbm)
    model.positive_class = "repaid"
    data = AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                   features=FEATURES)
    constraints = build_constraints(data, FEATURES)
    costs = fit_costs(credit_frame, ["income", "debt", "age"])
    cases = declined_cases(model, credit_frame, n=60)
    codec = codec_for(model, constraints, credit_frame)
    assert isinstance(codec, EncodedCodec)
    found = search_recourse(codec, constraints, costs, cases, credit_frame)
    assert check_suggestions(model, constraints, costs, cases, found, credit_frame) >= 50


def test_encoded_and_frame_codecs_agree(credit_frame, credit_gbm):
    model = load_model(credit_gbm)
    model.positive_class = "repaid"
    data = AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", features=FEATURES)
    constraints = build_constraints(data, FEATURES)
    costs = fit_costs(credit_frame, ["income", "debt", "age"])
    cases = declined_cases(model, credit_frame, n=15)
    fast = search_recourse(make_codec(model, FEATURES, constraints.kinds, credit_frame), constraints, costs, cases, credit_frame)
    slow = search_recourse(FrameCodec(model, FEATURES, constraints.kinds), constraints, costs, cases, credit_frame)
    assert [None if s is None else round(s.cost, 9) for s in fast] == [None if s is None else round(s.cost, 9) for s in slow]


def test_a_model_scored_only_through_its_frame_codec(credit_frame):
    """A bare estimator on numeric columns (no preprocessor) goes through the adapter."""
    from sklearn.ensemble import RandomForestClassifier

    numeric = ["income", "debt", "age"]
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(credit_frame[numeric], credit_frame["outcome"])
    model = load_model(forest)
    model.positive_class = "repaid"
    data = AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", features=numeric)
    constraints = build_constraints(data, numeric, policy_settings={"increase_only": ["age"]})
    costs = fit_costs(credit_frame, numeric)
    cases = credit_frame.loc[model.predict(credit_frame[numeric]) != "repaid", numeric].iloc[:30].reset_index(drop=True)
    codec = codec_for(model, constraints, credit_frame)
    assert isinstance(codec, FrameCodec)
    found = search_recourse(codec, constraints, costs, cases, credit_frame)
    assert check_suggestions(model, constraints, costs, cases, found, credit_frame) >= 20


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(immutable=st.sets(st.sampled_from(FEATURES)), ways=st.lists(st.sampled_from(["increase", "decrease", None]),
                                                                   min_size=3, max_size=3),
       sensitive_purpose=st.booleans(), max_features=st.integers(1, 3), start=st.integers(0, 100))
def test_constraints_are_never_broken(credit_frame, credit_gbm, immutable, ways, sensitive_purpose, max_features, start):
    model = load_model(credit_gbm)
    model.positive_class = "repaid"
    numeric = ["income", "debt", "age"]
    one_way = {f: w for f, w in zip(numeric, ways) if w is not None and f not in immutable}
    settings_ = {"immutable": sorted(immutable), "max_features": max_features,
                 "increase_only": [f for f, w in one_way.items() if w == "increase"],
                 "decrease_only": [f for f, w in one_way.items() if w == "decrease"]}
    data = AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", features=FEATURES,
                                   sensitive=["sex", "purpose"] if sensitive_purpose else ["sex"])
    constraints = build_constraints(data, FEATURES, policy_settings=settings_)
    assert set(immutable) <= set(constraints.immutable)
    assert (not sensitive_purpose) or constraints.immutable.get("purpose") in ("a sensitive attribute", "declared immutable")
    costs = fit_costs(credit_frame, [f for f in numeric if f in constraints.mutable])
    declined = credit_frame.loc[model.predict(credit_frame[FEATURES]) != "repaid", FEATURES]
    cases = declined.iloc[start % len(declined):][:12].reset_index(drop=True)
    found = search_recourse(codec_for(model, constraints, credit_frame), constraints, costs, cases, credit_frame)
    check_suggestions(model, constraints, costs, cases, found, credit_frame)


def test_nothing_to_change_finds_nothing(credit_frame, credit_gbm):
    model = load_model(credit_gbm)
    model.positive_class = "repaid"
    data = AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid", features=FEATURES)
    constraints = build_constraints(data, FEATURES, policy_settings={"immutable": FEATURES})
    costs = fit_costs(credit_frame, [])
    cases = declined_cases(model, credit_frame, n=5)
    assert search_recourse(codec_for(model, constraints, credit_frame), constraints, costs, cases, credit_frame) == [None] * 5
    assert search_recourse(codec_for(model, constraints, credit_frame), constraints, costs, cases.iloc[:0], credit_frame) == []


def test_pandas_categoricals_keep_their_type_for_the_model():
    """LightGBM refuses a categorical column that comes back as plain objects: the frame codec restores it."""
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({"a": rng.normal(size=n), "c": pd.Categorical(rng.choice(["x", "y", "z"], n))})
    frame.loc[rng.random(n) < 0.1, "a"] = np.nan
    frame["y"] = (frame["a"].fillna(0) + (frame["c"] == "x") + rng.normal(0, 0.5, n) > 0.5).astype(int)
    model = load_model(lightgbm.LGBMClassifier(n_estimators=20, verbose=-1).fit(frame[["a", "c"]], frame["y"]))
    data = AuditDataset.from_frame(frame, target="y", features=["a", "c"])
    constraints = build_constraints(data, ["a", "c"])
    costs = fit_costs(frame, ["a"])
    cases = frame.loc[model.predict(frame[["a", "c"]]) == 0, ["a", "c"]].iloc[:30].reset_index(drop=True)
    found = search_recourse(codec_for(model, constraints, frame), constraints, costs, cases, frame)
    assert check_suggestions(model, constraints, costs, cases, found, frame) >= 20
    assert all(f != "a" for s, (_, case) in zip(found, cases.iterrows()) if s is not None and pd.isna(case["a"])
               for f, _, _ in s.changes)  # a missing value is never "changed from"


def test_encoded_blocks_of_many_features_equal_each_feature_encoded_alone():
    """One preprocessor call for every feature's values gives each feature the columns a frame of
    that feature alone gives (the shortcut the grids and the agreement check rely on)."""
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"income": rng.gamma(2, 900, 300), "debt": rng.normal(500, 90, 300),
                          "purpose": rng.choice(["car", "house", "other"], 300),
                          "housing": rng.choice(["own", "rent", "free"], 300)})
    frame["y"] = (frame["income"] / 1000 + (frame["housing"] == "own") + rng.normal(size=300) > 1.5).astype(int)
    features = ["income", "debt", "purpose", "housing"]
    encode = make_column_transformer((StandardScaler(), ["income", "debt"]),
                                     (OneHotEncoder(sparse_output=False), ["purpose", "housing"]))
    model = load_model(make_pipeline(encode, LogisticRegression()).fit(frame[features], frame["y"]))
    data = AuditDataset.from_frame(frame, target="y", features=features)
    constraints = build_constraints(data, features)
    codec = codec_for(model, constraints, frame)
    assert isinstance(codec, EncodedCodec)
    values = {"debt": [400.0, 610.5], "purpose": ["house", "car", "car", "other"], "income": [100.0, 2500.5, 9000.0],
              "housing": ["rent", "free"]}
    together = codec.blocks(values)
    assert set(together) == set(values)
    for feature, chosen in values.items():
        np.testing.assert_array_equal(codec.block(feature, chosen), together[feature])
        if feature in ("income", "debt"):
            continue  # a scaler: the affine shortcut, checked against the model by make_codec
        alone = codec.template.iloc[np.zeros(len(chosen), dtype=int)].reset_index(drop=True)
        alone[feature] = chosen
        expected = np.asarray(codec.preprocessor.transform(alone), dtype=float)[:, codec.columns[feature]]
        np.testing.assert_array_equal(together[feature], expected)
    assert codec.blocks({}) == {}
