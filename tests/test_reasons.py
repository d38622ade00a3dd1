"""Adverse-action reasons: the contributions are what the model does, and the text states them."""

import numpy as np
import pytest

import xai_audit as xa
from xai_audit.reasons import MAX_REASONS, adverse_action_reasons


@pytest.fixture(scope="module")
def cases(credit_gbm, credit_frame):
    data = xa.AuditDataset.from_frame(credit_frame, target="outcome", positive_label="repaid")
    model = xa.load_model(credit_gbm)
    model.positive_class = "repaid"
    return model, data, adverse_action_reasons(model, data, ["income", "debt", "purpose", "age"], n_cases=5,
                                               baseline_rows=40, random_state=0)


def test_only_declined_cases_with_at_most_four_reasons(cases):
    model, data, found = cases
    assert len(found) == 5
    for case in found:
        row = data.frame.loc[[case["row"]], ["income", "debt", "purpose", "age"]]
        assert model.predict(row)[0] == "default"
        assert case["score"] == pytest.approx(model.output(row)[0])
        assert 1 <= len(case["reasons"]) <= MAX_REASONS
        contributions = [r["contribution"] for r in case["reasons"]]
        assert contributions == sorted(contributions, reverse=True) and min(contributions) > 0


def test_contribution_equals_direct_substitution(cases):
    model, data, found = cases
    case, reason = found[0], found[0]["reasons"][0]
    X = data.frame[["income", "debt", "purpose", "age"]]
    approved = np.flatnonzero(model.predict(X) == "repaid")
    baseline = np.sort(np.random.default_rng(0).choice(
        np.flatnonzero(model.predict(X) == "default"), size=5, replace=False))
    assert case["position"] in baseline
    rng = np.random.default_rng(0)
    rng.choice(np.flatnonzero(model.predict(X) == "default"), size=5, replace=False)
    chosen = np.sort(rng.choice(approved, size=40, replace=False))
    variants = X.iloc[[case["position"]] * 40].reset_index(drop=True)
    variants[reason["feature"]] = X.iloc[chosen][reason["feature"]].to_numpy()
    expected = model.output(variants).mean() - case["score"]
    assert reason["contribution"] == pytest.approx(expected, abs=1e-12)
    assert f"{reason['contribution']:.2f} higher" in reason["text"]
