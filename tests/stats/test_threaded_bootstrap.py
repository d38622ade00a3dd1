"""Bootstrap chunks are measured on several threads; the draws must not depend on how many."""

import numpy as np
import pytest

import xai_audit.parallel as parallel
from xai_audit.performance import WeightedBinaryMetrics, bootstrap_draws
from xai_audit.stats.bootstrap import bootstrap_rows


@pytest.fixture
def binary_rows():
    rng = np.random.default_rng(3)
    n = 3000
    y = rng.integers(0, 2, n)
    score = rng.random(n).round(3)
    return y, (score > 0.5).astype(int), np.column_stack([1 - score, score])


def _draws_on(threads, monkeypatch, function):
    monkeypatch.setattr(parallel, "available_workers", lambda: threads)
    return function()


def test_performance_draws_are_the_same_on_one_thread_and_on_four(binary_rows, monkeypatch):
    y, decided, proba = binary_rows
    metrics = WeightedBinaryMetrics(y, decided, proba, [0, 1], 1)
    draw = lambda: bootstrap_draws(metrics, len(y), n_resamples=400, random_state=7)[0]  # noqa: E731
    one, four = _draws_on(1, monkeypatch, draw), _draws_on(4, monkeypatch, draw)
    assert one.keys() == four.keys()
    for metric in one:
        assert np.array_equal(np.asarray(one[metric]), np.asarray(four[metric]), equal_nan=True), metric
        assert len(one[metric]) == 400


def test_row_bootstrap_of_strata_is_the_same_on_one_thread_and_on_four(monkeypatch):
    rng_values = np.random.default_rng(4)
    prepared = [{"n_rows": n, "x": rng_values.random(n)} for n in (50, 7000, 300)]

    def metric_function(weights, rows):
        return {"mean": (weights * rows["x"]).sum(axis=1) / weights.sum(axis=1)}

    draw = lambda: bootstrap_rows(prepared, metric_function, ("mean",), 120, np.random.default_rng(9))  # noqa: E731
    one, four = _draws_on(1, monkeypatch, draw), _draws_on(4, monkeypatch, draw)
    assert np.array_equal(one["mean"], four["mean"])
    assert not np.isnan(one["mean"]).any()  # every resample of every stratum was filled in
    assert abs(one["mean"][:, 1].mean() - prepared[1]["x"].mean()) < 0.01


def test_map_in_threads_keeps_the_order_and_takes_items_lazily():
    taken = []

    def items():
        for i in range(100):
            taken.append(i)
            yield i

    results = parallel.map_in_threads(lambda i: -i, items(), threads=2, ahead=2)
    assert next(results) == 0 and len(taken) <= 5
    assert list(results) == [-i for i in range(1, 100)]
