"""A three-site federated audit equals the audit of the pooled rows for every count-based number;
Parquet data audited out of core, in this process and on a real Dask cluster, gives the row path's
count-based numbers; the commands write and read summary files and refuse bad input with exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import xai_audit as xa
from xai_audit.cli import main
from xai_audit.fairness import fairness_report
from xai_audit.scale import audit_parquet, audit_summaries, summarize_data
from xai_audit.summaries import save_summary

from tests.summaries.test_sections_from_summaries import count_based

COUNT_CHECKS = ("fairness.four_fifths", "fairness.equalized_odds", "fairness.predictive_parity",
                "performance.accuracy_gap", "data.unknown_group", "coverage")


def _frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"income": rng.normal(size=n), "debt": rng.normal(size=n),
                          "sex": rng.choice(["f", "m", None], n, p=[0.45, 0.5, 0.05]),
                          "age": rng.choice(["young", "old"], n, p=[0.3, 0.7])})
    logit = frame["income"] - 0.5 * frame["debt"] + 0.4 * (frame["sex"] == "m")
    frame["approved"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return frame


@pytest.fixture(scope="module")
def sites():
    frames = [_frame(seed, n) for seed, n in ((1, 700), (2, 1200), (3, 500))]
    model = LogisticRegression().fit(pd.concat(frames)[["income", "debt"]], pd.concat(frames)["approved"])
    for frame in frames:  # a vendor's decisions and scores: the federated audit needs no model
        frame["score"] = model.predict_proba(frame[["income", "debt"]])[:, 1]
        frame["decision"] = np.where(frame["score"] > 0.5, "yes", "no")
    options = dict(target="approved", positive_label="yes", sensitive=["sex", "age"], features=["income", "debt"])
    return frames, model, options


def _count_findings(result) -> dict:
    return {f.id: (f.status, f.observed) for f in result.findings if f.id.startswith(COUNT_CHECKS)}


def test_a_three_site_federated_audit_equals_the_pooled_audit(sites, tmp_path):
    frames, _, _ = sites
    options = dict(target="approved", positive_label="yes", sensitive=["sex", "age"], predictions="decision",
                   scores="score")
    paths = [save_summary(summarize_data(None, xa.AuditDataset.from_frame(frame, **options), site={"name": f"s{i}"}),
                          tmp_path / f"site{i}.json") for i, frame in enumerate(frames)]
    pooled = xa.audit(None, xa.AuditDataset.from_frame(pd.concat(frames, ignore_index=True), **options),
                      n_resamples=60, random_state=4)
    federated = audit_summaries(paths, n_resamples=60, random_state=4)
    assert federated.data["n_rows"] == pooled.data["n_rows"] == 2400
    assert federated.data["group_sizes"] == pooled.data["group_sizes"]
    assert list(federated.fairness) == list(pooled.fairness)
    for name in pooled.fairness:
        assert count_based(federated.fairness[name]) == count_based(
            {k: v for k, v in pooled.fairness[name].items() if k in federated.fairness[name]})
    for metric in ("accuracy", "balanced_accuracy"):
        assert federated.performance["overall"][metric] == pooled.performance["overall"][metric]
    assert _count_findings(federated) == _count_findings(pooled) != {}
    assert "explanations" in federated.data["not_available_from_summaries"]
    assert "proxies" not in federated.fairness["sex"]


def test_parquet_out_of_core_in_process_and_on_a_dask_cluster_gives_the_row_path(sites, tmp_path):
    distributed = pytest.importorskip("distributed", reason="the 'dist' extra is not installed")
    frames, model, options = sites
    whole = pd.concat(frames, ignore_index=True)
    for i, part in enumerate(np.array_split(np.arange(len(whole)), 4)):
        whole.iloc[part].to_parquet(tmp_path / f"part{i}.parquet", row_group_size=250)
    positive = (whole["approved"] == "yes").to_numpy().astype(int)
    rows = SimpleNamespace(fairness=fairness_report(
        positive, (whole["decision"] == "yes").to_numpy().astype(int), whole[["sex", "age"]], n_resamples=40,
        scores=whole["score"].to_numpy(), random_state=0))
    accuracy = float(((whole["decision"] == "yes") == (positive == 1)).mean())
    settings = dict(n_resamples=40, random_state=0, explainers=[], sample_rows=300, partition_rows=500)
    local = audit_parquet(model, tmp_path, options, **settings)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_cluster = audit_parquet(model, str(tmp_path / "*.parquet"), options, backend="dask", scheduler=client,
                                   **settings)
    for result in (local, on_cluster):
        assert result.data["n_rows"] == 2400 and result.data["partitions"]["partitions"] == 8
        assert 300 <= result.data["sample"]["n_rows"] < 340
        for name in rows.fairness:
            assert count_based(result.fairness[name]) == count_based(
                {k: v for k, v in rows.fairness[name].items() if k in result.fairness[name]})
        assert result.performance["overall"]["accuracy"] == accuracy
        assert "proxies" in result.fairness["sex"] and result.reasons
    assert on_cluster.data["partitions"]["backend"] == "dask"
    assert on_cluster.data["sample"] == local.data["sample"]


def test_the_commands_summarize_and_pool(sites, tmp_path, capsys):
    frames, _, _ = sites
    paths = []
    for i, frame in enumerate(frames[:2]):
        frame.to_csv(tmp_path / f"site{i}.csv", index=False)
        paths.append(tmp_path / f"site{i}.json")
        code = main(["summarize", "--data", str(tmp_path / f"site{i}.csv"), "--target", "approved",
                     "--positive-label", "yes", "--predictions", "decision", "--sensitive", "sex,age",
                     "--out", str(paths[-1]), "--min-cell", "5", "--site", f"bank {i}"])
        assert code == 0
    document = json.loads(paths[0].read_text())
    assert document["sites"][0]["name"] == "bank 0" and document["suppression"]["min_cell"] == 5
    assert "small cells: groups with a nonzero cell below 5 withheld" in capsys.readouterr().out
    code = main(["run", "--summaries", *map(str, paths), "--out", str(tmp_path / "out"), "--format", "json,html"])
    assert code in (0, 1)
    record = json.loads((tmp_path / "out" / "pooled.json").read_text())
    assert record["data"]["n_rows"] == 1900 and record["fairness"]["sex"]["computed_from"].startswith("summaries")
    assert main(["run", "--summaries", str(tmp_path / "missing.json")]) == 2
    assert "do not exist" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{}")
    assert main(["run", "--summaries", str(tmp_path / "bad.json"), "--out", str(tmp_path / "o2")]) == 2
    assert "not an xai-audit summary file" in capsys.readouterr().err


def test_run_audits_a_parquet_glob_out_of_core(sites, tmp_path):
    frames, _, _ = sites
    (tmp_path / "parts").mkdir()
    for i, frame in enumerate(frames[:2]):
        frame.to_parquet(tmp_path / "parts" / f"p{i}.parquet")
    code = main(["run", "--data", str(tmp_path / "parts" / "*.parquet"), "--target", "approved", "--positive-label",
                 "yes", "--predictions", "decision", "--sensitive", "sex,age", "--out-of-core",
                 "--sample-rows", "400", "--out", str(tmp_path / "out"), "--format", "json"])
    assert code in (0, 1)
    record = json.loads((tmp_path / "out" / "parts.json").read_text())
    assert record["data"]["n_rows"] == 1900 and 400 <= record["data"]["sample"]["n_rows"] < 420
    assert record["performance"]["computed_from"].startswith("summaries (histogram, 4096 bins)")


def test_a_record_from_bare_summaries_follows_the_record_schema_and_renders(tmp_path):
    import importlib.resources

    import jsonschema

    from xai_audit.scale import audit_from_summary
    from xai_audit.summaries import summarize

    schema = json.loads(importlib.resources.files("xai_audit.schemas").joinpath("audit_result.schema.json").read_text())
    groups = pd.DataFrame({"g": ["a", "b"] * 50})
    result = audit_from_summary(summarize([1, 0, 0, 1] * 25, [1, 0, 1, 1] * 25, groups), n_resamples=50)
    jsonschema.validate(json.loads(json.dumps(result.to_dict())), schema)
    assert "decisions from summaries" in Path(result.save_html(tmp_path / "r.html")).read_text()
    assert xa.AuditResult.load_json(result.save_json(tmp_path / "r.json")).fairness == result.fairness
