"""explanations_section: shape, plain JSON, bounded sizes, fairness attributions, failures recorded."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import FEATURES
from tests.explainers.tabular_models import small_model
from xai_audit import AuditDataset
from xai_audit.adapters import PredictionsAdapter
from xai_audit.checks import evaluate
from xai_audit.explainers import explanations_section
from xai_audit.policy import load_policy
from tests.explainers.tabular_models import one_thread  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

SETTINGS = {"explainers": ["shap", "lime", "permutation"], "explain_rows": 30, "background_rows": 20,
            "lime_samples": 500, "n_repeats": 3, "permutation_rows": 200, "stability_rows": 10,
            "faithfulness_rows": 20, "bootstrap": 50}


@pytest.fixture(scope="module")
def section():
    adapter, data = small_model("credit_logreg_pipeline")
    steps = []
    result = explanations_section(adapter, data, FEATURES, settings=SETTINGS, random_state=0,
                                  progress=lambda step, fraction: steps.append((step, fraction)))
    return result, steps, data


def _walk(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
    else:
        yield value


def test_shape_and_plain_json(section):
    result, steps, data = section
    json.dumps(result, allow_nan=False)
    assert all(v is None or isinstance(v, (str, int, float, bool)) for v in _walk(result))
    assert set(result) >= {"shap", "lime", "permutation", "agreement", "coverage", "attributions_for_fairness"}
    for method in ("shap", "lime"):
        entry = result[method]
        assert list(entry["global_importance"]) == sorted(entry["global_importance"], key=lambda f: -entry["global_importance"][f])
        assert set(entry["global_importance_ci"]) == set(FEATURES)
        assert len(entry["local"]["rows"]) == 30 and len(entry["local"]["values"][0]) == 4
        assert set(entry["local"]) == {"rows", "values", "base_values", "output", "data", "examples"}
        examples = entry["local"]["examples"]
        assert examples and all(e["reason_chosen"] and entry["local"]["rows"][e["index"]] == e["row"] for e in examples)
        assert entry["dependence"] and entry["pdp"]
        assert entry["quality"]["faithfulness"] is not None
    assert result["shap"]["quality"]["additivity_error"] < 1e-9
    assert result["lime"]["quality"]["stability"] is not None
    assert "local" not in result["permutation"] and result["permutation"]["meta"]["n_repeats"] == 3
    assert result["coverage"] == {"rows_explained": 30, "rows_total": data.n_rows, "sampled": True,
                                  "explainers": ["shap", "lime", "permutation"]}
    assert steps[-1] == ("Explanations done", 1.0)


def test_local_values_are_bounded_by_explain_rows():
    adapter, data = small_model("numeric_forest")
    result = explanations_section(adapter, data, list(data.features), random_state=0,
                                  settings={**SETTINGS, "explainers": ["shap"], "explain_rows": 7})
    assert len(result["shap"]["local"]["values"]) == 7
    assert result["shap"]["quality"]["stability"] is None  # path-dependent Tree SHAP is deterministic


def test_fairness_attributions_add_up_and_point_at_rows(section):
    result, _, _ = section
    fair = result["attributions_for_fairness"]
    values = np.array(fair["values"])
    # exact Tree SHAP: the group gaps are attributed on every row, not only the 30 explained for the report
    assert fair["feature_names"] == FEATURES and values.shape == (300, 4)
    np.testing.assert_allclose(values.sum(axis=1) + np.array(fair["base_values"]), fair["output"], atol=1e-9)
    assert fair["rows"] == list(range(300)) and fair["output_space"] == "log_odds"
    assert "every row" in fair["selection"]


def test_same_seed_same_section():
    adapter, data = small_model("numeric_gbr")
    settings = {**SETTINGS, "explainers": ["shap", "lime"], "explain_rows": 10}
    first = explanations_section(adapter, data, list(data.features), settings=settings, random_state=3)
    second = explanations_section(adapter, data, list(data.features), settings=settings, random_state=3)
    assert "seconds" not in first["shap"]["meta"]
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_findings_from_a_real_section(section):
    result, _, _ = section
    findings = evaluate(load_policy("default"), {"explanations": result})
    ids = {f.id for f in findings}
    assert {"explanations.additivity.shap", "explanations.faithfulness.lime",
            "explanations.agreement.shap-lime"} <= ids


def test_failures_are_recorded_not_raised():
    adapter, data = small_model("numeric_forest")
    result = explanations_section(adapter, data, list(data.features), random_state=0,
                                  settings={**SETTINGS, "explainers": ["shap", "integrated_gradients"]})
    assert "error" in result["integrated_gradients"] and "shap" in result


def test_predictions_only_is_skipped():
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "pred": [0, 1, 0, 1], "y": [0, 1, 1, 0]})
    data = AuditDataset.from_frame(frame, target="y", predictions="pred")
    result = explanations_section(PredictionsAdapter(data), data, ["x"], settings=SETTINGS, random_state=0)
    assert "skipped" in result and result["coverage"]["rows_total"] == 4


def test_torch_models_get_gradient_methods():
    pytest.importorskip("torch")
    adapter, data = small_model("torch_tabular")
    result = explanations_section(adapter, data, list(data.features), random_state=0,
                                  settings={**SETTINGS, "explainers": ["shap"], "explain_rows": 10})
    assert {"shap", "integrated_gradients", "saliency"} <= set(result)
    assert result["shap"]["meta"]["algorithm_key"] == "deep"
    assert result["integrated_gradients"]["quality"]["completeness_error"] is not None
    json.dumps(result, allow_nan=False)


def test_methods_explaining_the_same_rows_share_the_reviewer_cases(monkeypatch):
    from xai_audit.explainers import section as section_module

    adapter, data = small_model("credit_logreg_pipeline")
    calls = []
    real = section_module.reviewer_examples
    monkeypatch.setattr(section_module, "reviewer_examples", lambda *a, **k: calls.append(1) or real(*a, **k))
    settings = {**SETTINGS, "explainers": ["shap", "lime"]}
    result = explanations_section(adapter, data, FEATURES, settings=settings, random_state=0)
    assert result["shap"]["local"]["rows"] == result["lime"]["local"]["rows"]
    assert len(calls) == 1
    assert result["shap"]["local"]["examples"] == result["lime"]["local"]["examples"] != []
    result["shap"]["local"]["examples"][0]["reason"] = "edited"  # each method holds its own copy
    assert result["lime"]["local"]["examples"][0]["reason"] != "edited"
