"""One audit split over worker processes and a real Dask cluster gives the single-process record.

A 2-worker ``LocalCluster`` (processes, 127.0.0.1) runs the audit's chunked work: the model's
predictions (each worker reads its own row groups of the Parquet file), exact Tree SHAP of the
explained rows and the fairness tables' row-level bootstrap. The records must be equal, field for
field, apart from ``manifest.created_at`` and the SHAP ``meta.workers`` (which records how many
processes computed the values).
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed", reason="the 'dist' extra (dask.distributed) is not installed")

import xai_audit as xa  # noqa: E402
from xai_audit import parallel  # noqa: E402
from xai_audit.cli import main  # noqa: E402
from xai_audit.exceptions import InvalidInputError  # noqa: E402
from xai_audit.parallel import Chunking, predict_chunked  # noqa: E402

FEATURES = ["income", "debt", "years", "purpose"]
AUDIT_COLUMNS = FEATURES + ["approved", "sex", "age_group"]
SETTINGS = dict(random_state=3, explainers=["shap"], explain_rows=150, n_resamples=40)


@pytest.fixture(scope="module")
def credit(tmp_path_factory):
    """A 3,000-row Parquet file in 6 row groups (with a column the audit does not use) and a forest."""
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame({
        "income": rng.normal(3000, 800, n).round(0),
        "debt": rng.normal(1000, 400, n).round(0),
        "years": rng.integers(0, 30, n),
        "purpose": rng.choice(["car", "home", "study"], n),
        "sex": rng.choice(["female", "male"], n, p=[0.4, 0.6]),
        "age_group": rng.choice(["under 25", "25 and over"], n, p=[0.2, 0.8]),
        "application_id": [f"APP-{i:06d}" for i in range(n)],
    })
    score = 0.002 * (frame["income"] - frame["debt"] - 2000) + 0.05 * frame["years"] + rng.normal(0, 1, n)
    frame["approved"] = np.where(score > 0, "yes", "no")
    path = tmp_path_factory.mktemp("distributed") / "credit.parquet"
    frame.to_parquet(path, row_group_size=500)
    encoder = make_column_transformer((OrdinalEncoder(), ["purpose"]), remainder="passthrough",
                                      verbose_feature_names_out=False)
    model = make_pipeline(encoder, RandomForestClassifier(n_estimators=15, max_depth=6, random_state=0))
    model.fit(frame[FEATURES], frame["approved"])
    data = xa.AuditDataset.from_parquet(path, target="approved", positive_label="yes", sensitive=["sex", "age_group"],
                                        features=FEATURES, columns=AUDIT_COLUMNS)
    return {"path": path, "model": model, "data": data}


@pytest.fixture(scope="module")
def cluster():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield cluster, client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def single(credit):
    # Tree SHAP takes shap's own code for little work; with the threshold at zero this small audit takes
    # the compiled kernel, whose row chunks go to the workers.
    pytest.importorskip("numba", reason="the compiled Tree SHAP kernel needs numba")
    from xai_audit.explainers import _tree

    patch = pytest.MonkeyPatch()
    patch.setattr(_tree, "SMALL_WORK", 0)
    yield xa.Audit(**SETTINGS).run(credit["model"], credit["data"])
    patch.undo()


def comparable(record) -> dict:
    """The record (a result or its JSON) without what legitimately differs between runs: the creation
    time and, in the SHAP ``meta``, where the values were computed (``workers`` and ``execution``: "2
    thread(s)" or "12 chunks over dask")."""
    record = json.loads(json.dumps(record if isinstance(record, dict) else record.to_dict()))
    record["manifest"].pop("created_at")
    meta = record["explanations"]["shap"]["meta"]
    meta.pop("workers")
    meta.pop("execution")
    return record


def differences(one, other, path="") -> list[str]:
    """Where two JSON values differ, as paths (for a readable failure)."""
    if isinstance(one, dict) and isinstance(other, dict):
        return [d for key in sorted(set(one) | set(other), key=str)
                for d in differences(one.get(key), other.get(key), f"{path}.{key}")]
    if isinstance(one, list) and isinstance(other, list) and len(one) == len(other):
        return [d for i, (a, b) in enumerate(zip(one, other)) for d in differences(a, b, f"{path}[{i}]")]
    return [] if one == other else [f"{path}: {str(one)[:80]} != {str(other)[:80]}"]


def assert_same_record(result, single):
    assert differences(comparable(result), comparable(single)) == []


def test_parquet_read_prunes_columns_and_keeps_its_row_groups(credit):
    data = credit["data"]
    assert list(data.frame.columns) == AUDIT_COLUMNS  # in the order asked for; application_id not read
    assert data.parquet.row_group_rows == (500,) * 6
    assert data.parquet.chunks(4) == [(0, 1), (2,), (3, 4), (5,)]


def test_a_dask_client_gives_the_single_process_record(credit, cluster, single):
    _, client = cluster
    result = xa.Audit(**SETTINGS, scheduler=client).run(credit["model"], credit["data"])
    assert result.explanations["shap"]["meta"]["workers"] == 2
    assert "chunks over dask" in result.explanations["shap"]["meta"]["execution"]
    assert_same_record(result, single)
    assert result.fairness and "sex*age_group" in result.fairness  # the bootstrap ran per table on the workers
    assert client.status == "running"  # a client passed in is left open for its owner


def test_an_address_string_connects_and_gives_the_same_record(credit, cluster, single):
    local, _ = cluster
    result = xa.Audit(**SETTINGS, scheduler=local.scheduler_address).run(credit["model"], credit["data"])
    assert_same_record(result, single)


def test_local_worker_processes_give_the_same_record(credit, single):
    result = xa.Audit(**SETTINGS, workers=2).run(credit["model"], credit["data"])
    assert_same_record(result, single)


def test_workers_read_their_own_row_groups(credit, cluster):
    """Given the file, the chunks carry row-group numbers, not rows: X is not even passed."""
    _, client = cluster
    data = credit["data"]
    adapter = xa.load_model(credit["model"])
    X = data.model_input(FEATURES)
    y_pred, proba = predict_chunked(adapter, None, Chunking("dask", None, client), source=data.parquet,
                                    columns=FEATURES, dtypes=X.dtypes.to_dict())
    assert np.array_equal(y_pred, adapter.predict(X))
    assert np.array_equal(proba, adapter.predict_proba(X))


def test_a_bad_scheduler_address_fails_fast_with_a_clear_message(credit, monkeypatch):
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT_S", 2)
    started = time.perf_counter()
    with pytest.raises(InvalidInputError, match=r"Could not connect to the Dask scheduler at 'tcp://127\.0\.0\.1:9'"):
        xa.Audit(**SETTINGS, scheduler="tcp://127.0.0.1:9").run(credit["model"], credit["data"])
    assert time.perf_counter() - started < 20
    with pytest.raises(InvalidInputError, match="tcp://HOST:PORT"):
        xa.Audit(**SETTINGS, scheduler="127.0.0.1:9").run(credit["model"], credit["data"])
    with pytest.raises(InvalidInputError, match="workers must be a positive"):
        xa.Audit(**SETTINGS, workers=0).run(credit["model"], credit["data"])


def test_cli_run_with_a_scheduler_writes_the_single_process_record(credit, cluster, single, tmp_path):
    import skops.io as sio

    local, _ = cluster
    model_path = tmp_path / "model.skops"
    sio.dump(credit["model"], model_path)
    common = ["run", "--model", str(model_path), "--data", str(credit["path"]), "--target", "approved",
              "--positive-label", "yes", "--sensitive", "sex,age_group", "--format", "json", "--seed", "3",
              "--trust-type", "sklearn.compose._column_transformer._RemainderColsList"]
    codes = [main(common + ["--out", str(tmp_path / "one")]),
             main(common + ["--out", str(tmp_path / "dask"), "--scheduler", local.scheduler_address])]
    assert codes[0] == codes[1] and codes[0] in (0, 1)
    one, dask = (comparable(json.loads((tmp_path / where / "model.json").read_text())) for where in ("one", "dask"))
    assert differences(one, dask) == []
    assert one["data"]["features"] == FEATURES
    assert "application_id" not in one["data"].get("missing_values", {})


def _die_on_negative(value):
    import os

    if value < 0:
        os._exit(3)  # the worker process vanishes, as when it is killed or runs out of memory
    return value * 2


@pytest.mark.slow
def test_a_process_pool_reports_a_dead_worker_and_keeps_going():
    pool = parallel.open_pool(_die_on_negative, workers=2)
    try:
        dead = pool.submit(-1)
        pool.wait_any([dead])
        with pytest.raises(parallel.WorkerLost, match="stopped abruptly"):
            pool.result(dead)
        alive = pool.submit(21)  # the broken pool was replaced
        assert pool.result(pool.wait_any([alive])[0]) == 42
        assert pool.describe_dict() == {"kind": "processes", "workers": 2}
    finally:
        pool.close()


def test_open_pool_inline_and_bad_worker_counts():
    pool = parallel.open_pool(_die_on_negative, workers=1)
    futures = [pool.submit(value) for value in (1, 2, 3)]
    assert [pool.result(f) for f in pool.wait_any(futures)] == [2, 4, 6]
    assert pool.describe() == "this process" and pool.capacity == 1
    with pytest.raises(InvalidInputError, match="workers must be at least 1; got 0"):
        parallel.open_pool(_die_on_negative, workers=0)
