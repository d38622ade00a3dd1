"""Permutation importance scores each distinct shuffled row once, and still equals scikit-learn's to the bit."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from xai_audit import AuditDataset, load_model
from xai_audit.explainers import explain
from xai_audit.explainers.permutation import exact_codes, permuted_scores, roc_auc, shuffled_positions
from tests.explainers.tabular_models import one_thread  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")


def _mixed_frame(n=160, seed=0) -> pd.DataFrame:
    """Few-valued and many-valued columns, missing values, a pandas Categorical and an object column."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "amount": np.round(rng.gamma(2.0, 500.0, n), 1),
        "rate": rng.choice([1.0, 2.0, 3.0, 4.0], n),
        "score": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
        "purpose": pd.Categorical(rng.choice(["car", "house", "other"], n)),
        "housing": rng.choice(["own", "rent", "free"], n).astype(object),
    })
    signal = (frame["amount"] / 1000 - frame["rate"] + (frame["purpose"] == "car") * 1.5
              + (frame["housing"] == "own") + np.nan_to_num(frame["score"].to_numpy()))
    frame["outcome"] = np.where(signal + rng.normal(scale=0.7, size=n) > -1, "good", "bad")
    return frame


def _pipeline(frame):
    encode = make_column_transformer((OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["purpose", "housing"]),
                                     remainder="passthrough")
    model = make_pipeline(encode, HistGradientBoostingClassifier(max_iter=30, random_state=0))
    return model.fit(frame.drop(columns="outcome"), frame["outcome"])


class _Counting:
    """A model whose predict_proba records how many rows each call scored."""

    def __init__(self, model):
        self.model, self.calls = model, []

    def __call__(self, table):
        self.calls.append(len(table))
        return self.model.predict_proba(table)[:, 1]


def test_importances_equal_sklearns_to_the_bit_on_mixed_columns():
    frame = _mixed_frame()
    pipeline = _pipeline(frame)
    features = ["amount", "rate", "score", "purpose", "housing"]
    data = AuditDataset.from_frame(frame, target="outcome", positive_label="good", features=features)
    e = explain(load_model(pipeline), data, method="permutation", rows=None, random_state=4, n_repeats=5)
    positive = (frame["outcome"] == "good").to_numpy()

    def auc(estimator, X_, y_):
        return roc_auc_score(positive, estimator.predict_proba(X_)[:, 1])

    reference = permutation_importance(pipeline, frame[features], frame["outcome"], scoring=auc, n_repeats=5,
                                       random_state=4)
    np.testing.assert_array_equal(np.asarray(e.meta["importances"]).T, reference.importances)
    assert e.meta["baseline_score"] == auc(pipeline, frame[features], None)


def test_each_distinct_row_is_scored_once_in_one_call():
    frame = _mixed_frame(n=120)
    X = frame.drop(columns="outcome")
    model = _Counting(_pipeline(frame))
    positive = (frame["outcome"] == "good").to_numpy()
    baseline, scores = permuted_scores(X, model, lambda out: roc_auc(positive, out), n_repeats=4, random_state=1)
    # the rows a shuffled copy really changes, counted here without the explainer's bookkeeping
    seed = np.random.RandomState(1).randint(np.iinfo(np.int32).max + 1)
    shuffles = shuffled_positions(len(X), 4, seed)
    changed = 0
    for name in X.columns:
        values = X[name].astype(object).to_numpy()
        pairs = {(i, repr(values[s])) for shuffle in shuffles for i, s in enumerate(shuffle)
                 if repr(values[s]) != repr(values[i])}
        changed += len(pairs)
    assert model.calls == [len(X) + changed]
    assert changed < 0.7 * X.shape[1] * 4 * len(X)  # few-valued columns share most of their rows
    assert baseline == roc_auc(positive, model.model.predict_proba(X)[:, 1])
    one_by_one = []
    for j in range(X.shape[1]):
        column = X.iloc[:, j].to_numpy()
        for shuffle in shuffles:
            copy = X.copy()
            copy.iloc[:, j] = column[shuffle]
            one_by_one.append(roc_auc(positive, model.model.predict_proba(copy)[:, 1]))
    np.testing.assert_array_equal(scores.ravel(), one_by_one)


def test_blocks_of_rows_give_the_same_scores(monkeypatch):
    from xai_audit.explainers import permutation

    frame = _mixed_frame(n=80)
    X = frame.drop(columns="outcome")
    model = _Counting(_pipeline(frame))
    positive = (frame["outcome"] == "good").to_numpy()
    whole = permuted_scores(X, model, lambda out: roc_auc(positive, out), n_repeats=3, random_state=0)
    monkeypatch.setattr(permutation, "MAX_STACKED_ROWS", 100)
    model.calls.clear()
    blocked = permuted_scores(X, model, lambda out: roc_auc(positive, out), n_repeats=3, random_state=0)
    assert len(model.calls) > 2 and max(model.calls) <= 100 + 3 * len(X)  # a column's rows stay in one block
    assert whole[0] == blocked[0]
    np.testing.assert_array_equal(whole[1], blocked[1])


def test_exact_codes_are_equal_only_for_identical_values():
    codes = exact_codes(pd.Series([0.0, -0.0, np.nan, np.nan, 2.5, 2.5]))
    assert codes[0] != codes[1] and codes[2] == codes[3] and codes[4] == codes[5] and codes[0] != codes[4]
    mixed = exact_codes(pd.Series([1, True, 1.0, "1", 1], dtype=object))
    assert len(set(mixed[:4].tolist())) == 4 and mixed[0] == mixed[4]
    categorical = exact_codes(pd.Series(pd.Categorical(["a", None, "b", "a"])))
    assert categorical[0] == categorical[3] and len(set(categorical.tolist())) == 3
    assert exact_codes(pd.Series([[1], [1]], dtype=object)).tolist() == [0, 1]  # unhashable: nothing shared


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 1.0]) | st.floats(0, 1)),
                min_size=2, max_size=60))
def test_roc_auc_is_sklearns_to_the_bit(rows):
    positive = np.array([r[0] for r in rows])
    scores = np.array([r[1] for r in rows], dtype=float)
    if positive.all() or not positive.any():
        return
    assert roc_auc(positive, scores) == float(roc_auc_score(positive, scores))
