"""Batch audits: the batch file, broken entries, resumption, the outputs, processes and a real Dask cluster."""

import json
import os
import re
from pathlib import Path

import pytest
import skops.io as sio

from tests.conftest import make_credit_frame, make_pipeline_model
from xai_audit import InvalidInputError
from xai_audit.batch import CACHE_FILE, batch_markdown, junit_suites, load_batch, run_batch
from xai_audit.cli import main

# Stand-alone policies (no `extends`), so that the verdicts do not move as the default policy grows.
POLICY = """name = "{name}"
[audit]
explainers = []
reason_cases = 2
[fairness]
n_resamples = 20
[[rules]]
id = "performance.accuracy"
check = "performance"
metric = "accuracy"
direction = "above"
threshold = {threshold}
{warn}
"""


def write_policy(folder: Path, name: str, *, threshold: float, warn: float | None = None) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(POLICY.format(name=name, threshold=threshold, warn="" if warn is None else f"warn = {warn}"))
    return path


def write_workspace(folder: Path, n: int = 200) -> Path:
    """A skops model, its data as CSV and Parquet, and three policies (pass / warn / fail) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = make_credit_frame(n, seed=1)
    sio.dump(make_pipeline_model(frame), folder / "model.skops")
    frame.to_csv(folder / "data.csv", index=False)
    frame.to_parquet(folder / "data.parquet", row_group_size=64)
    write_policy(folder, "passing", threshold=0.5)
    write_policy(folder, "warning", threshold=0.5, warn=0.999)
    write_policy(folder, "failing", threshold=0.999)
    return folder


HEADER = """[defaults]
target = "outcome"
positive_label = "repaid"
sensitive = ["sex"]
policy = "passing.toml"
formats = ["json"]

[defaults.model_card]
owner = "Credit risk team"
intended_use = "Screening applications"
"""


def toml_value(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + " }"
    return json.dumps(value)


def entry(name, **fields) -> str:
    lines = ["", "[[audit]]", f'name = "{name}"']
    lines += [f"{key} = {toml_value(value)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return write_workspace(tmp_path_factory.mktemp("batch"))


def quiet(line):
    pass


def test_load_batch_applies_defaults_and_resolves_paths(tmp_path):
    path = tmp_path / "sub" / "audits.toml"
    path.parent.mkdir()
    path.write_text(HEADER + entry("a", model="../m.skops", data="d.parquet", seed=4, bins={"age": [25, 60]},
                                   sensitive="sex,age")
                    + entry("b", predictions="decision", data="d.csv", policy="default", formats=["html"])
                    + '[audit.model_card]\nowner = "Vendor"\nversion = "2.1"\n')
    plan = load_batch(path)
    a, b = plan.entries
    assert plan.out == path.parent / "reports"
    assert a.model == tmp_path / "m.skops" and a.data == path.parent / "d.parquet"
    assert a.sensitive == ("sex", "age") and a.bins == {"age": [25.0, 60.0]} and a.random_state == 4
    assert a.policy == str(path.parent / "passing.toml") and a.target == "outcome"
    assert a.model_card == {"owner": "Credit risk team", "intended_use": "Screening applications"}
    assert b.model is None and b.predictions == "decision" and b.policy == "default"
    assert b.formats == ("html", "json")  # the JSON record is always written: the summary reads it
    assert b.model_card == {"owner": "Vendor", "version": "2.1", "intended_use": "Screening applications"}
    assert load_batch(path, out=tmp_path / "elsewhere").out == tmp_path / "elsewhere"


def test_load_batch_lists_every_problem_at_once(tmp_path):
    path = tmp_path / "audits.toml"
    path.write_text("color = 1\n" + entry("x y", data="d.csv", model="m.skops", seed="1", colour="red")
                    + entry("dup", model="m.skops") + entry("dup", data="d.csv", model="m.skops", bins={"age": "25"})
                    + entry("z", data="d.csv") + '[audit.model_card]\nsponsor = "me"\n')
    with pytest.raises(InvalidInputError) as caught:
        load_batch(path)
    message = str(caught.value)
    for expected in ("unknown top-level key 'color'", "#1 has unknown key 'colour'", "#1: seed must be a whole number",
                     "the name 'x y' must be letters", "#2 needs data", "#3: bins.age must be a list of numbers",
                     "#4 needs model", "unknown model_card key 'sponsor'"):
        assert expected in message
    path.write_text("[defaults]\n")
    with pytest.raises(InvalidInputError, match="there is no \\[\\[audit\\]\\] entry"):
        load_batch(path)
    path.write_text("[[audit]\n")
    with pytest.raises(InvalidInputError, match="is not valid TOML"):
        load_batch(path)


def test_broken_entries_are_recorded_and_the_others_finish(workspace, tmp_path):
    (workspace / "pickled.pkl").write_bytes(b"not even a pickle")
    (workspace / "corrupt.skops").write_bytes(b"PK\x03\x04 this is not a skops archive")
    (workspace / "bad.csv").write_text("income,sex\n1,female\n")
    batch = workspace / "broken.toml"
    batch.write_text(HEADER
                     + entry("good_csv", model="model.skops", data="data.csv")
                     + entry("missing_data", model="model.skops", data="nowhere.csv")
                     + entry("pickle_model", model="pickled.pkl", data="data.csv")
                     + entry("corrupt_model", model="corrupt.skops", data="data.csv")
                     + entry("no_target_column", model="model.skops", data="bad.csv")
                     + entry("good_parquet", model="model.skops", data="data.parquet", policy="failing.toml"))
    lines = []
    report = run_batch(load_batch(batch, out=tmp_path / "out"), workers=1, echo=lines.append)
    records = {r["name"]: r for r in report.records}
    assert [r["name"] for r in report.records] == ["good_csv", "missing_data", "pickle_model", "corrupt_model",
                                                  "no_target_column", "good_parquet"]
    assert records["good_csv"]["status"] == "pass" and records["good_parquet"]["status"] == "fail"
    assert "nowhere.csv' does not exist" in records["missing_data"]["error"]
    assert records["pickle_model"]["error_type"] == "UntrustedModelError"
    assert "refuses it by default" in records["pickle_model"]["error"]
    assert "not a readable skops file" in records["corrupt_model"]["error"]
    assert "The target column 'outcome' is not in the data" in records["no_target_column"]["error"]
    assert report.exit_code == 2 and report.status == "error"
    assert report.counts() == {"pass": 1, "warn": 0, "fail": 1, "error": 4, "skipped": 0}
    # one line as each entry starts and one as it finishes, with its verdict and time
    assert any(re.fullmatch(r"\[1/6\] start  good_csv", line) for line in lines)
    assert any(re.fullmatch(r"\[1/6\] done   good_csv  pass  \d+\.\d s", line) for line in lines)
    assert any(line.startswith("[2/6] error  missing_data  0.") and "does not exist" in line for line in lines)

    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["exit_code"] == 2 and summary["counts"]["error"] == 4
    good = summary["entries"][0]
    assert good["paths"] == {"json": "good_csv.json"} and (tmp_path / "out" / "good_csv.json").is_file()
    assert set(good["inputs"]) == {"model", "data", "policy"} and len(good["inputs"]["data"]["sha256"]) == 64
    assert good["duration_s"] > 0 and good["findings"]["pass"] == 1 and len(good["cache_key"]) == 64
    assert summary["entries"][1]["inputs"]["data"]["sha256"] is None

    index = (tmp_path / "out" / "index.html").read_text()
    assert '<a href="good_csv.json">JSON</a>' in index and 'class="verdict error"' in index
    assert "nowhere.csv&#39; does not exist" in index  # autoescaped, not raw
    cached = json.loads((tmp_path / "out" / CACHE_FILE).read_text())["entries"]
    assert set(cached) == {"good_csv", "good_parquet", "missing_data", "pickle_model", "corrupt_model",
                           "no_target_column"}


def test_rerun_skips_unchanged_entries_and_reruns_what_changed(workspace, tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    for name in ("model.skops", "data.csv", "data.parquet", "passing.toml"):
        (folder / name).write_bytes((workspace / name).read_bytes())
    batch = folder / "audits.toml"
    batch.write_text(HEADER + entry("csv", model="model.skops", data="data.csv")
                     + entry("parquet", model="model.skops", data="data.parquet")
                     + entry("missing", model="model.skops", data="later.csv"))
    first = run_batch(load_batch(batch), workers=1, echo=quiet)
    assert [r["skipped"] for r in first.records] == [False, False, False]
    record_file = folder / "reports" / "csv.json"
    written = record_file.stat().st_mtime_ns

    lines = []
    second = run_batch(load_batch(batch), workers=1, echo=lines.append)
    assert [r["skipped"] for r in second.records] == [True, True, False]  # errors are always retried
    assert [r["status"] for r in second.records] == ["pass", "pass", "error"] and second.exit_code == 2
    assert second.records[0]["cache_key"] == first.records[0]["cache_key"]
    assert record_file.stat().st_mtime_ns == written
    assert any(line.startswith("[1/3] skip   csv  pass  (unchanged since") for line in lines)

    # new bytes in one data file re-run that entry only (and the missing file, now there, runs)
    with open(folder / "data.csv", "a") as handle:
        handle.write("50.0,10.0,car,40,female,repaid\n")
    (folder / "later.csv").write_bytes((folder / "data.csv").read_bytes())
    third = run_batch(load_batch(batch), workers=1, echo=quiet)
    assert [r["skipped"] for r in third.records] == [False, True, False]
    assert [r["status"] for r in third.records] == ["pass", "pass", "pass"] and third.exit_code == 0
    assert third.records[0]["inputs"]["data"]["sha256"] != first.records[0]["inputs"]["data"]["sha256"]

    # a changed setting re-runs its entry; so does a deleted report
    batch.write_text(batch.read_text().replace('data = "data.parquet"', 'data = "data.parquet"\nseed = 7'))
    (folder / "reports" / "csv.json").unlink()
    fourth = run_batch(load_batch(batch), workers=1, echo=quiet)
    assert [r["skipped"] for r in fourth.records] == [False, False, True]


def test_exit_code_is_the_worst_entry(workspace, tmp_path):
    batch = workspace / "verdicts.toml"
    batch.write_text(HEADER + entry("passes", model="model.skops", data="data.csv")
                     + entry("warns", model="model.skops", data="data.csv", policy="warning.toml"))
    report = run_batch(load_batch(batch, out=tmp_path / "a"), workers=1, echo=quiet)
    assert [r["status"] for r in report.records] == ["pass", "warn"] and report.exit_code == 0
    batch.write_text(batch.read_text() + entry("fails", model="model.skops", data="data.csv", policy="failing.toml"))
    report = run_batch(load_batch(batch, out=tmp_path / "a"), workers=1, echo=quiet)
    assert [r["skipped"] for r in report.records] == [True, True, False]
    assert report.status == "fail" and report.exit_code == 1

    markdown = batch_markdown(report)
    assert "**fail** (exit code 1)" in markdown
    assert "| fails | ✗ fail | 1 | 0 |" in markdown and "| passes | ✓ pass (unchanged) |" in markdown
    suites = junit_suites(report)
    assert [s.name for s in suites] == ["passes", "warns", "fails"]
    assert [f.status for f in suites[2].findings] == ["fail"]


def test_cli_batch_writes_gate_outputs(workspace, tmp_path, capsys):
    batch = workspace / "cli.toml"
    batch.write_text(HEADER + entry("ok", model="model.skops", data="data.csv")
                     + entry("gone", model="model.skops", data="gone.csv"))
    code = main(["batch", str(batch), "--workers", "1", "--out", str(tmp_path / "o"),
                 "--junit", str(tmp_path / "junit.xml"), "--markdown", str(tmp_path / "batch.md")])
    out, err = capsys.readouterr()
    assert code == 2
    assert "[1/2] done   ok  pass" in out and "[2/2] error  gone" in out
    assert "1 entry could not be audited: gone" in err and "Traceback" not in out + err
    assert "<error" in (tmp_path / "junit.xml").read_text()
    assert "| gone | ⚠ error |" in (tmp_path / "batch.md").read_text()
    batch.write_text(HEADER + entry("ok", model="model.skops", data="data.csv"))
    assert main(["batch", str(batch), "--workers", "1", "--out", str(tmp_path / "o")]) == 0
    assert "[1/1] skip   ok  pass" in capsys.readouterr().out
    assert main(["batch", str(batch), "--workers", "1", "--out", str(tmp_path / "o"), "--force"]) == 0
    assert "[1/1] done   ok  pass" in capsys.readouterr().out
    assert main(["batch", str(workspace / "absent.toml")]) == 2
    assert "absent.toml' does not exist" in capsys.readouterr().err


def test_full_report_formats(workspace, tmp_path):
    pytest.importorskip("xai_audit.render.html", reason="the HTML report renderer is not in this tree yet")
    pytest.importorskip("xai_audit.render.markdown", reason="the Markdown renderer is not in this tree yet")
    batch = workspace / "formats.toml"
    batch.write_text(HEADER.replace('formats = ["json"]\n', "") + entry("all", model="model.skops", data="data.csv"))
    report = run_batch(load_batch(batch, out=tmp_path), workers=1, echo=quiet)
    assert report.records[0]["status"] == "pass", report.records[0]["error"]
    assert set(report.records[0]["paths"]) == {"html", "json", "md"}
    for path in report.records[0]["paths"].values():
        assert (tmp_path / path).stat().st_size > 0
    assert '<a href="all.html">HTML</a>' in (tmp_path / "index.html").read_text()


def comparable(path: Path) -> dict:
    record = json.loads(path.read_text())
    record["manifest"].pop("created_at")
    return record


@pytest.fixture(scope="module")
def parallel_batch(workspace, tmp_path_factory):
    """A batch of two audits and two broken entries, and its records from one process (the reference)."""
    batch = workspace / "parallel.toml"
    batch.write_text(HEADER + entry("csv", model="model.skops", data="data.csv")
                     + entry("parquet", model="model.skops", data="data.parquet", seed=3)
                     + entry("broken", model="model.skops", data="missing.parquet"))
    out = tmp_path_factory.mktemp("inline")
    report = run_batch(load_batch(batch, out=out), workers=1, echo=quiet)
    assert [r["status"] for r in report.records] == ["pass", "pass", "error"]
    return batch, {name: comparable(out / f"{name}.json") for name in ("csv", "parquet")}


@pytest.mark.slow
def test_worker_processes_give_the_same_records(parallel_batch, tmp_path):
    batch, reference = parallel_batch
    report = run_batch(load_batch(batch, out=tmp_path), workers=2, echo=quiet)
    assert report.backend == {"kind": "processes", "workers": 2}
    assert [r["status"] for r in report.records] == ["pass", "pass", "error"] and report.exit_code == 2
    this_process = f"{os.uname().nodename}:{os.getpid()}"
    assert all(r["worker"] != this_process for r in report.records)
    for name, record in reference.items():
        assert comparable(tmp_path / f"{name}.json") == record


# -- a real Dask cluster: two worker processes on the loopback interface ----------------------------------


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local:
        yield local


@pytest.mark.slow
def test_batch_on_a_dask_cluster_equals_one_process(parallel_batch, tmp_path, cluster):
    batch, reference = parallel_batch
    lines = []
    report = run_batch(load_batch(batch, out=tmp_path), scheduler=cluster.scheduler_address, echo=lines.append)
    assert report.backend == {"kind": "dask", "scheduler": cluster.scheduler_address, "local_cluster": False,
                              "worker_threads": 2}
    assert lines[0] == f"batch: 3 entries, 0 unchanged; running 3 on {cluster.scheduler_address} (2 worker threads)"
    assert [r["status"] for r in report.records] == ["pass", "pass", "error"] and report.exit_code == 2
    assert "missing.parquet' does not exist" in report.records[2]["error"]
    workers = {r["worker"] for r in report.records[:2]}
    assert f"{os.uname().nodename}:{os.getpid()}" not in workers
    for name, record in reference.items():
        assert comparable(tmp_path / f"{name}.json") == record


def test_unreachable_scheduler_is_an_input_error(workspace, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("xai_audit.parallel.CONNECT_TIMEOUT_S", 1)
    batch = workspace / "unreachable.toml"
    batch.write_text(HEADER + entry("csv", model="model.skops", data="data.csv"))
    with pytest.raises(InvalidInputError, match="Could not connect to the Dask scheduler at 'tcp://127.0.0.1:9'"):
        run_batch(load_batch(batch, out=tmp_path), scheduler="tcp://127.0.0.1:9", echo=quiet)


@pytest.mark.slow
def test_explanation_chunks_on_the_cluster_equal_one_process(cluster, credit_gbm, credit_frame):
    """The chunked path an audit's Tree SHAP takes (parallel.map_chunks) gives, on real Dask workers,
    the values of one process, bit for bit."""
    distributed = pytest.importorskip("distributed")
    import numpy as np
    import shap

    from tests.conftest import FEATURES
    from xai_audit.parallel import map_chunks, split_rows

    rows = credit_gbm[:-1].transform(credit_frame[FEATURES].iloc[:200])
    explainer = shap.TreeExplainer(credit_gbm[-1])
    chunks = [rows[s] for s in split_rows(len(rows), n_chunks=4)]
    with distributed.Client(cluster) as client:
        on_cluster = map_chunks(tree_shap_chunk, chunks, backend="dask", scheduler=client, args=(explainer,))
        workers = set(client.gather([client.submit(os.getpid, pure=False, workers=[w]) for w in client.nthreads()]))
    here = map_chunks(tree_shap_chunk, chunks, backend="serial", args=(explainer,))
    assert np.array_equal(np.concatenate([v for v, _ in on_cluster]), np.concatenate([v for v, _ in here]))
    assert {pid for _, pid in on_cluster} <= workers and os.getpid() not in workers


def tree_shap_chunk(rows, explainer):
    return explainer.shap_values(rows, check_additivity=False), os.getpid()


@pytest.mark.slow
def test_dask_without_an_address_starts_and_stops_a_local_cluster(workspace, tmp_path):
    pytest.importorskip("distributed")
    batch = workspace / "local_dask.toml"
    batch.write_text(HEADER + entry("broken", model="model.skops", data="missing.csv"))
    report = run_batch(load_batch(batch, out=tmp_path), dask=True, workers=1, echo=quiet)
    assert report.backend["kind"] == "dask" and report.backend["local_cluster"] is True
    assert report.backend["worker_threads"] == 1 and report.backend["scheduler"].startswith("tcp://")
    assert report.records[0]["status"] == "error" and report.exit_code == 2
