"""One battery of checks for every registered explainer on every small model it supports.

Shape, determinism under ``random_state``, additivity (exact methods within 1e-6; float32 XGBoost
at its precision; gradient methods within the policy's completeness line), JSON round trip through
``Explanation.to_dict`` / ``from_dict``, and DataFrame versus ndarray input.
"""

import json

import numpy as np
import pandas as pd
import pytest

from tests.explainers.tabular_models import MODEL_NAMES, small_model
from xai_audit.explainers import REGISTRY, explain
from xai_audit.explainers.quality import additivity_error
from tests.explainers.tabular_models import one_thread  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

FAST_OPTIONS = {"lime": {"num_samples": 400}, "permutation": {"n_repeats": 3}, "shap": {"background_rows": 30}}
ROWS = 12


def _cases():
    cases = []
    for model_name in MODEL_NAMES:
        for method in sorted(REGISTRY):
            cases.append(pytest.param(model_name, method, id=f"{method}-{model_name}"))
    return cases


def _model(model_name, method):
    if model_name == "torch_tabular":
        pytest.importorskip("torch")
    adapter, data = small_model(model_name)
    if not REGISTRY[method].supports(adapter):
        pytest.skip(f"{method} does not support {model_name}")
    return adapter, data


def _explain(adapter, data, method, **kwargs):
    return explain(adapter, data, method=method, rows=ROWS, random_state=0, **{**FAST_OPTIONS.get(method, {}), **kwargs})


@pytest.mark.parametrize("model_name, method", _cases())
def test_battery(model_name, method):
    adapter, data = _model(model_name, method)
    first = _explain(adapter, data, method)
    features = list(first.feature_names)
    # shape: one column per original feature; one row per explained row (global methods: one row)
    assert features == list(data.features)
    explainer = REGISTRY[method]
    if explainer.local:
        assert first.values.shape == (len(first.row_index), len(features))
        assert 1 <= len(first.row_index) <= ROWS
    else:
        assert first.values.shape == (1, len(features))
    assert np.isfinite(first.values).all()
    # determinism under random_state
    second = _explain(adapter, data, method)
    np.testing.assert_array_equal(first.values, second.values)
    np.testing.assert_array_equal(first.row_index, second.row_index)
    # additivity / completeness
    if explainer.additive:
        error = additivity_error(first)
        if method == "shap" and first.meta.get("precision") == "float32":
            assert error < 1e-5  # XGBoost computes in float32
        elif method == "shap" and first.meta["algorithm_key"] in ("tree", "linear", "permutation"):
            assert error < 1e-6
        elif method == "gradient_shap":  # additive only in expectation: the error it states must be the real one
            assert error == pytest.approx(first.meta["additivity_error"]["max_abs"], abs=1e-9)
        else:
            assert error < 0.05  # gradient methods: the policy's completeness line
    # JSON round trip
    record = json.loads(json.dumps(first.to_dict(), allow_nan=False))
    restored = type(first).from_dict(record)
    np.testing.assert_allclose(restored.values, first.values, rtol=0, atol=0)
    np.testing.assert_array_equal(restored.row_index, first.row_index)
    assert restored.meta == first.meta and restored.method == method
    assert restored.feature_names == first.feature_names


@pytest.mark.parametrize("model_name", ["numeric_forest", "numeric_gbr", "numeric_xgboost"])
@pytest.mark.parametrize("method", ["shap", "lime", "permutation"])
def test_dataframe_and_ndarray_inputs_agree(model_name, method):
    adapter, data = _model(model_name, method)
    frame = data.frame.loc[:, list(data.features)]
    kwargs = dict(method=method, rows=[0, 3, 5, 8], random_state=1, **FAST_OPTIONS.get(method, {}))
    from_frame = explain(adapter, frame, **kwargs)
    from_array = explain(adapter, frame.to_numpy(), **kwargs)
    from_dataset = explain(adapter, data, **kwargs)
    np.testing.assert_allclose(from_frame.values, from_array.values, rtol=0, atol=1e-12)
    if method != "permutation":  # the dataset has a target: permutation importance scores ROC AUC there
        np.testing.assert_allclose(from_frame.values, from_dataset.values, rtol=0, atol=1e-12)
    assert isinstance(from_frame.data, pd.DataFrame) and list(from_array.feature_names) == list(data.features)
