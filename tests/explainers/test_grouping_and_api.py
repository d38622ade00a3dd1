"""explain(): one column per original feature of a one-hot Pipeline; rows; inputs; errors."""

import numpy as np
import pandas as pd
import pytest
import shap

from tests.conftest import FEATURES
from tests.explainers.tabular_models import credit_data, credit_frame, small_model
from xai_audit import AuditDataset, load_model
from xai_audit.exceptions import InvalidInputError, UnsupportedModelError
from xai_audit.explainers import explain
from tests.explainers.tabular_models import one_thread  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("model_name, algorithm", [("credit_gbm_pipeline", "tree"), ("credit_logreg_pipeline", "linear")])
def test_one_column_per_original_feature_of_a_one_hot_pipeline(model_name, algorithm):
    adapter, data = small_model(model_name)
    space = {"output_space": "log_odds"} if algorithm == "tree" else {}  # compared with shap's log-odds below
    e = explain(adapter, data, method="shap", rows=20, random_state=0, **space)
    assert e.values.shape == (20, len(FEATURES)) and e.feature_names == tuple(FEATURES)
    assert e.meta["algorithm_key"] == algorithm and e.meta["grouped_encoded_columns"] is True
    assert e.meta["encoded_columns"] == 7  # purpose one-hot (4) + three scaled numeric columns
    assert e.additivity_error() < 1e-6
    # the purpose column equals the sum of shap's values of its four encoded columns
    pipeline = adapter.estimator
    Z = pipeline[:-1].transform(data.frame.iloc[e.row_index][FEATURES])
    names = list(pipeline[:-1].get_feature_names_out())
    if algorithm == "tree":
        encoded = shap.TreeExplainer(pipeline[-1]).shap_values(Z)
        encoded = encoded if encoded.ndim == 2 else encoded[:, :, 1]
        purpose = [i for i, n in enumerate(names) if "purpose_" in n]
        np.testing.assert_allclose(e.values[:, FEATURES.index("purpose")], encoded[:, purpose].sum(axis=1), atol=1e-10)


def test_permutation_shap_for_models_without_a_specific_algorithm():
    from sklearn.neighbors import KNeighborsClassifier

    from tests.conftest import make_pipeline_model

    adapter = load_model(make_pipeline_model(credit_frame(), KNeighborsClassifier(n_neighbors=15)))
    e = explain(adapter, credit_data(), method="shap", rows=8, random_state=0, background_rows=20, max_evals=40)
    assert e.meta["algorithm_key"] == "permutation" and e.meta["background"] == {"kind": "sampled rows", "size": 20}
    assert e.values.shape == (8, 4) and e.additivity_error() < 1e-12
    np.testing.assert_allclose(e.output, adapter.predict_proba(credit_frame().iloc[e.row_index][FEATURES])[:, 1])


def _exact_shapley(f, x, background):
    """Interventional Shapley values by enumerating every coalition (the definition shap estimates)."""
    from itertools import combinations
    from math import factorial

    n = len(x)

    def value(coalition):
        mixed = background.copy()
        mixed[:, list(coalition)] = x[list(coalition)]
        return f(mixed).mean()

    phi = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            for coalition in combinations(others, size):
                weight = factorial(size) * factorial(n - size - 1) / factorial(n)
                phi[i] += weight * (value(coalition + (i,)) - value(coalition))
    return phi


def test_permutation_shap_agrees_with_exact_shapley_values():
    from sklearn.neural_network import MLPRegressor

    from xai_audit.explainers._sampling_shap import permutation_shap

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    model = MLPRegressor(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(X, X[:, 0] * X[:, 1] + X[:, 2])
    background = X[:25]
    ours, base = permutation_shap(lambda M: model.predict(M)[:, None], X[:10], background, np.zeros(10, dtype=int),
                                  n_permutations=60, rng=np.random.default_rng(0))
    exact = np.array([_exact_shapley(model.predict, x, background) for x in X[:10]])
    np.testing.assert_allclose(base, model.predict(background).mean(), atol=1e-12)
    assert np.abs(ours - exact).max() < 0.05 * np.abs(exact).max()


def test_rows_int_list_and_none():
    adapter, data = small_model("numeric_forest")
    assert explain(adapter, data, rows=None).meta["rows_explained"] == data.n_rows
    sample = explain(adapter, data, rows=25, random_state=3)
    assert sample.meta["sampled"] and len(np.unique(sample.row_index)) == 25
    chosen = explain(adapter, data, rows=[5, 2, 9])
    assert chosen.row_index.tolist() == [5, 2, 9]
    np.testing.assert_allclose(chosen.output, adapter.predict_proba(data.frame.iloc[[5, 2, 9]][list(data.features)])[:, 1])
    assert explain(adapter, data, method="lime", random_state=0, num_samples=200).meta["rows_explained"] == data.n_rows


def test_auto_picks_shap_for_tabular_models():
    adapter, data = small_model("numeric_gbr")
    e = explain(adapter, data, rows=5, random_state=0)
    assert e.method == "shap" and e.meta["output_space"] == "value"


def test_positive_label_of_the_data_is_explained():
    adapter, _ = small_model("numeric_forest")
    frame = small_model("numeric_forest")[1].frame
    data = AuditDataset.from_frame(frame, target="label", positive_label="no", features=list(adapter.feature_names))
    e = explain(adapter, data, rows=[0, 1], method="shap")
    np.testing.assert_allclose(e.output, adapter.predict_proba(frame.loc[[0, 1], list(adapter.feature_names)])[:, 0])
    assert e.meta["explained_class"] == "no"


@pytest.mark.parametrize("kwargs, error, match", [
    ({"method": "magic"}, InvalidInputError, "method must be one of"),
    ({"rows": 0}, InvalidInputError, "rows must be a positive number"),
    ({"rows": [1, 10_000]}, InvalidInputError, r"rows \[10000\] are outside"),
    ({"method": "lime", "n_samples": 5}, InvalidInputError, "takes the options"),
    ({"method": "integrated_gradients"}, UnsupportedModelError, "cannot explain the model"),
])
def test_errors_name_what_was_given(kwargs, error, match):
    adapter, data = small_model("numeric_forest")
    with pytest.raises(error, match=match):
        explain(adapter, data, **kwargs)


def test_predictions_only_data_cannot_be_explained():
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "pred": [0, 1, 0, 1], "y": [0, 1, 1, 0]})
    data = AuditDataset.from_frame(frame, target="y", predictions="pred")
    from xai_audit.adapters import PredictionsAdapter

    with pytest.raises(UnsupportedModelError):
        explain(PredictionsAdapter(data), data)


def test_a_list_of_lists_is_rows():
    adapter, data = small_model("numeric_gbr")
    rows = data.frame[list(data.features)].iloc[:3].to_numpy().tolist()
    e = explain(adapter, rows, method="shap")
    np.testing.assert_allclose(e.output, adapter.predict(data.frame[list(data.features)].iloc[:3]))
