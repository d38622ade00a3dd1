"""parallel.map_chunks backends; partial dependence / ICE; permutation importance through the model."""

import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

from tests.conftest import FEATURES
from tests.explainers.tabular_models import small_model
from xai_audit import AuditDataset, load_model
from xai_audit.exceptions import InvalidInputError
from xai_audit.explainers import explain, partial_dependence
from xai_audit.parallel import map_chunks, split_rows
from tests.explainers.tabular_models import one_thread  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")


def _square_sum(chunk, offset):
    return float(np.sum(np.asarray(chunk) ** 2) + offset)


def test_split_rows_covers_every_row_once():
    for n, k in [(10, 3), (7, 7), (5, 10), (1000, 8)]:
        slices = split_rows(n, n_chunks=k)
        assert sum(s.stop - s.start for s in slices) == n and slices[0].start == 0 and slices[-1].stop == n


def test_map_chunks_serial_and_processes_agree():
    chunks = [np.arange(i, i + 5) for i in range(0, 30, 5)]
    expected = [_square_sum(c, 1.0) for c in chunks]
    ticks = []
    assert map_chunks(_square_sum, chunks, backend="serial", args=(1.0,), progress=lambda d, t: ticks.append(d)) == expected
    assert ticks == [1, 2, 3, 4, 5, 6]
    assert map_chunks(_square_sum, chunks, backend="processes", workers=2, args=(1.0,)) == expected


def test_map_chunks_on_a_dask_client():
    distributed = pytest.importorskip("dask.distributed")
    chunks = [np.arange(i, i + 4) for i in range(0, 16, 4)]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            result = map_chunks(_square_sum, chunks, backend="dask", scheduler=client, args=(2.0,))
    assert result == [_square_sum(c, 2.0) for c in chunks]


def test_map_chunks_rejects_unknown_backends():
    with pytest.raises(InvalidInputError, match="backend must be one of"):
        map_chunks(_square_sum, [[1]], backend="threads")


def test_partial_dependence_of_a_linear_model_is_its_slope():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=100), "b": rng.normal(size=100)})
    frame["y"] = 3 * frame["a"] - frame["b"]
    model = load_model(LinearRegression().fit(frame[["a", "b"]], frame["y"]))
    data = AuditDataset.from_frame(frame, target="y", features=["a", "b"])
    curve = partial_dependence(model, data, ["a", "b"], "a", rows=50, ice_rows=5, random_state=0)
    assert curve["kind"] == "numeric" and len(curve["grid"]) == 20 and len(curve["ice"]) == 5
    np.testing.assert_allclose(np.diff(curve["average"]) / np.diff(curve["grid"]), 3.0)
    for line in curve["ice"]:  # ICE lines of a linear model are parallel
        np.testing.assert_allclose(np.diff(line), np.diff(curve["average"]), atol=1e-9)


def test_partial_dependence_of_a_categorical_feature():
    adapter, data = small_model("credit_gbm_pipeline")
    curve = partial_dependence(adapter, data, FEATURES, "purpose", rows=40, random_state=0)
    assert curve["kind"] == "categorical" and set(curve["grid"]) == {"car", "house", "education", "other"}
    assert all(0 <= v <= 1 for v in curve["average"]) and curve["output_space"] == "probability"


def test_permutation_importance_equals_sklearns_on_the_pipeline():
    adapter, data = small_model("credit_gbm_pipeline")
    e = explain(adapter, data, method="permutation", rows=None, random_state=0, n_repeats=4)
    pipeline = adapter.estimator
    X = data.frame[FEATURES]
    positive = (data.frame["outcome"] == "repaid").to_numpy()

    def auc(estimator, X_, y_):
        return roc_auc_score(positive, estimator.predict_proba(X_)[:, 1])

    reference = permutation_importance(pipeline, X, data.frame["outcome"], scoring=auc, n_repeats=4, random_state=0)
    np.testing.assert_allclose(e.values[0], reference.importances_mean, atol=1e-12)
    assert e.meta["scoring"] == "roc_auc" and set(e.meta["ci"]) == set(FEATURES)
    lo, hi = e.meta["ci"]["income"]
    assert lo <= e.values[0, FEATURES.index("income")] <= hi


def test_permutation_importance_without_target_uses_output_change():
    adapter, data = small_model("numeric_gbr")
    frame = data.frame[list(data.features)]
    e = explain(adapter, frame, method="permutation", random_state=0, n_repeats=3)
    assert e.meta["scoring"] == "output_change" and e.values[0, 0] > e.values[0, 4]


@pytest.mark.parametrize(("name", "scoring"), [("numeric_gbr", "r2"), ("numeric_forest_multiclass", "accuracy")])
def test_batched_permutation_scores_equal_sklearns_one_copy_at_a_time(name, scoring):
    """Every shuffled copy is scored in one stacked call, yet the importances are scikit-learn's own
    (same shuffles, same scores) for the predict-based scorings too."""
    adapter, data = small_model(name)
    e = explain(adapter, data, method="permutation", rows=None, random_state=3, n_repeats=3)
    X = data.frame[list(e.feature_names)]
    truth = data.frame[data.target].to_numpy()
    if scoring == "r2":
        def score(estimator, X_, y_):
            return r2_score(truth.astype(float), estimator.predict(X_).astype(float))
    else:
        def score(estimator, X_, y_):
            return accuracy_score([str(v) for v in truth], [str(v) for v in estimator.predict(X_)])

    reference = permutation_importance(adapter.estimator, X, truth, scoring=score, n_repeats=3, random_state=3)
    assert e.meta["scoring"] == scoring
    np.testing.assert_allclose(np.asarray(e.meta["importances"]).T, reference.importances, atol=1e-12)
