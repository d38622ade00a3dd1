"""``AuditResult.predictions()``: the audited rows' decisions and scores, kept beside the record and
never written into it."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

import xai_audit as xa
from tests.conftest import make_credit_frame

FAST = {"explainers": [], "n_resamples": 20}


@pytest.fixture(scope="module")
def binary():
    frame = make_credit_frame(n=200, seed=4)
    frame.index = pd.RangeIndex(1000, 1200, name="application_id")
    model = LogisticRegression(max_iter=200).fit(frame[["income", "debt"]], frame["outcome"])
    data = xa.AuditDataset.from_frame(frame, target="outcome", positive_label="repaid", sensitive=["sex"],
                                      features=["income", "debt"])
    return frame, model, xa.audit(model, data, random_state=0, **FAST)


def test_binary_rows_are_the_models_own_decisions_and_scores(binary):
    frame, model, result = binary
    rows = result.predictions()
    assert list(rows.columns) == ["decision", "score", "target"]
    assert rows.index.tolist() == frame.index.tolist()
    np.testing.assert_array_equal(rows["decision"], model.predict(frame[["income", "debt"]]))
    positive = list(model.classes_).index("repaid")
    np.testing.assert_allclose(rows["score"], model.predict_proba(frame[["income", "debt"]])[:, positive])
    np.testing.assert_array_equal(rows["target"], frame["outcome"])
    # the fairness table was computed from the same decisions: the selection rate of each group agrees
    for group, entry in result.fairness["sex"]["groups"].items():
        chosen = rows["decision"][frame["sex"] == group]
        assert entry["selection_rate"] == pytest.approx((chosen == "repaid").mean())


def test_the_rows_stay_out_of_the_record(binary, tmp_path):
    _, _, result = binary
    assert set(result.to_dict()) == {"schema_version", "status", "findings", "model", "data", "performance",
                                     "explanations", "fairness", "reasons", "reasons_summary", "recourse",
                                     "challenger", "glass_box", "model_card", "manifest"}
    assert "application_id" not in result.to_json()
    again = xa.AuditResult.load_json(result.save_json(tmp_path / "audit.json"))
    assert again == result and again.rows is None
    with pytest.raises(xa.InvalidInputError, match="read from a JSON record"):
        again.predictions()


def test_regression_rows_hold_the_predicted_values_and_no_score():
    frame = make_credit_frame(n=150, seed=1)
    frame["amount"] = frame["income"] * 2 + frame["debt"]
    model = LinearRegression().fit(frame[["income", "debt"]], frame["amount"])
    data = xa.AuditDataset.from_frame(frame, target="amount", sensitive=["sex"], features=["income", "debt"])
    rows = xa.audit(model, data, random_state=0, **FAST).predictions()
    assert list(rows.columns) == ["decision", "target"]
    np.testing.assert_allclose(rows["decision"], model.predict(frame[["income", "debt"]]))


def test_predictions_only_rows_are_the_given_column():
    frame = make_credit_frame(n=150, seed=2)
    frame["decision"] = np.where(frame["income"] > 50, "repaid", "default")
    data = xa.AuditDataset.from_frame(frame, target="outcome", positive_label="repaid", predictions="decision",
                                      sensitive=["sex"])
    rows = xa.audit(None, data, random_state=0, **FAST).predictions()
    np.testing.assert_array_equal(rows["decision"], frame["decision"])
    assert "score" not in rows
