"""Local examples chosen for a reviewer: misclassified, declined and borderline cases, each labelled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from xai_audit import AuditDataset, load_model
from xai_audit.explainers.examples import reviewer_examples

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def credit(n=400, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df["y"] = np.where(df["a"] + 0.8 * rng.normal(size=n) > -0.3, "good", "bad")
    model = load_model(LogisticRegression().fit(df[["a", "b"]], df["y"]))
    return model, AuditDataset.from_frame(df, target="y", positive_label="good"), df


def test_binary_examples_are_the_cases_they_claim_to_be():
    model, data, df = credit()
    rows = list(range(0, 400, 2))
    chosen = reviewer_examples(model, data, ["a", "b"], rows)
    assert [c["reason"] for c in chosen] == ["misclassified", "declined", "borderline"]
    X = df[["a", "b"]].iloc[rows]
    score = model.predict_proba(X)[:, model.positive_index]
    predicted = model.predict(X)
    truth = df["y"].to_numpy()[rows]
    by = {c["reason"]: c for c in chosen}
    for c in chosen:
        assert c["row"] == rows[c["index"]] and c["reason_chosen"].startswith(c["reason"])
    k = by["misclassified"]["index"]
    assert predicted[k] != truth[k]
    wrong = np.flatnonzero(predicted != truth)
    assert abs(score[k] - 0.5) == pytest.approx(np.max(np.abs(score[wrong] - 0.5)))
    k = by["declined"]["index"]
    assert predicted[k] == "bad" and score[k] == pytest.approx(score[predicted == "bad"].min())
    k = by["borderline"]["index"]
    assert abs(score[k] - 0.5) == pytest.approx(np.min(np.abs(score - 0.5)))


def test_without_errors_or_declines_the_rest_is_filled_and_labelled():
    model, data, df = credit()
    score = model.predict_proba(df[["a", "b"]])[:, model.positive_index]
    approved_right = [i for i in range(400) if score[i] > 0.5 and df["y"][i] == "good"][:10]
    chosen = reviewer_examples(model, data, ["a", "b"], approved_right)
    assert [c["reason"] for c in chosen] == ["borderline", "first_rows", "first_rows"]


def test_regression_examples_show_the_largest_errors_of_each_sign():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": rng.normal(size=200)})
    df["y"] = 2 * df["a"] + rng.normal(size=200)
    model = load_model(LinearRegression().fit(df[["a"]], df["y"]))
    chosen = reviewer_examples(model, AuditDataset.from_frame(df, target="y"), ["a"], list(range(200)))
    residual = model.predict(df[["a"]]) - df["y"].to_numpy()
    by = {c["reason"]: c["row"] for c in chosen}
    assert by["over_predicted"] == int(np.argmax(residual)) and by["under_predicted"] == int(np.argmin(residual))


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_the_audits_predictions_choose_the_same_cases_as_asking_the_model(task):
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    if task == "regression":
        df["y"] = 2 * df["a"] + rng.normal(size=300)
        model = load_model(LinearRegression().fit(df[["a", "b"]], df["y"]))
        data = AuditDataset.from_frame(df, target="y")
    else:
        labels = ["bad", "good"] if task == "binary" else ["low", "mid", "high"]
        df["y"] = np.array(labels)[np.digitize(df["a"] + rng.normal(size=300), [-0.5, 0.5][: len(labels) - 1])]
        model = load_model(LogisticRegression().fit(df[["a", "b"]], df["y"]))
        data = AuditDataset.from_frame(df, target="y", **({"positive_label": "good"} if task == "binary" else {}))
    X = df[["a", "b"]]
    everything = (model.predict(X), None if task == "regression" else model.predict_proba(X))
    rows = list(range(1, 300, 3))
    asked = reviewer_examples(model, data, ["a", "b"], rows)
    assert reviewer_examples(model, data, ["a", "b"], rows, predictions=everything) == asked
    assert len(asked) == 3


def test_the_audit_shows_the_cases_the_model_itself_picks():
    """The audit passes its own predictions of every row; the cases must be those the model's own
    answers for the explained rows pick (a wrong column of probabilities would pick others)."""
    from xai_audit import audit

    model, data, df = credit(n=300, seed=1)
    result = audit(model, data, explainers=["shap"], explain_rows=120, n_resamples=50, random_state=0)
    local = result.explanations["shap"]["local"]
    asked = reviewer_examples(model, data, ["a", "b"], local["rows"])
    assert local["examples"] == asked
    assert [c["reason"] for c in asked] == ["misclassified", "declined", "borderline"]
