"""Audits of any size: Parquet data audited out of core, in one process and on a 2-worker Dask cluster.

The benchmark writes N synthetic credit rows itself as many Parquet files (500,000 rows each, row groups
of 250,000), fits a small model, and measures, each configuration in a fresh process so that its peak
memory is its own:

- ``local``: :func:`xai_audit.scale.audit_parquet` in one process, partition after partition;
- ``summaries``: the summarising path alone in one process (partitions read, scored and summarised;
  performance and fairness from the merged summaries), without the audit of the sample: the part of
  the out-of-core audit that the all-rows reference also does;
- ``dask 2``: the same on a 2-worker Dask ``LocalCluster`` (processes, one thread each): the workers
  read, score and summarise their own partitions and return summaries and their share of the sample;
- ``rows``: the independent computation on all rows: every row read and scored, the fairness tables of
  :func:`xai_audit.fairness.fairness_report` from the rows; its count-based numbers are compared with
  both audits' (equal: yes/no).

Wall time and peak resident memory (VmHWM) per process — the client (which also hosts the Dask
scheduler and nannies) and each worker — go to ``benchmarks/out/scale.md`` and ``.json``.

    python benchmarks/bench_scale.py [--quick] [--rows N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_large_audit import credit_frame, peak_mb, worker_peaks_mb

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
FILE_ROWS = 500_000
FEATURES = ["duration_months", "credit_amount", "income", "installment_rate_pct_income", "existing_credits",
            "purpose", "housing"]
OPTIONS = {"target": "credit_risk", "positive_label": "good", "sensitive": ["sex", "age_group"], "features": FEATURES}
COLUMNS = FEATURES + ["credit_risk", "sex", "age_group"]
SETTINGS = {"n_resamples": 200, "random_state": 0, "explainers": [], "sample_rows": 20_000}


def stage_prepare(work: Path, rows: int) -> dict:
    import skops.io as sio
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    started = time.perf_counter()
    (work / "parts").mkdir()
    for index, start in enumerate(range(0, rows, FILE_ROWS)):
        frame = credit_frame(min(FILE_ROWS, rows - start), seed=index)
        frame.to_parquet(work / "parts" / f"part-{index:05d}.parquet", row_group_size=250_000)
        if index == 0:
            encode = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["purpose", "housing"]),
                                             (StandardScaler(), FEATURES[:5]))
            model = make_pipeline(encode, LogisticRegression(max_iter=500)).fit(frame[FEATURES], frame["credit_risk"])
            sio.dump(model, work / "model.skops")
    return {"seconds": time.perf_counter() - started, "files": len(list((work / "parts").iterdir()))}


def stage_audit(work: Path, backend: str) -> dict:
    from xai_audit.scale import audit_parquet

    started, cpu_started = time.perf_counter(), time.process_time()
    workers = {}
    if backend == "dask":
        import distributed

        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            result = audit_parquet(work / "model.skops", work / "parts", OPTIONS, columns=COLUMNS, backend="dask",
                                   scheduler=client, **SETTINGS)
            workers = worker_peaks_mb()
    elif backend == "summaries":
        result = summaries_only(work)
    else:
        result = audit_parquet(work / "model.skops", work / "parts", OPTIONS, columns=COLUMNS, **SETTINGS)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    result.save_json(work / f"audit-{backend}.json")
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": {"client": round(peak_mb(), 1), **workers},
            "rows": result.data["n_rows"], "sample_rows": result.data["sample"]["n_rows"],
            "partitions": result.data["partitions"]["partitions"]}


def summaries_only(work: Path):
    """The summarising path alone: partitions read, scored and summarised, performance and fairness from
    the merged summaries; no audit of the sample (whose explanations, reasons, recourse and challenger the
    all-rows reference does not compute either)."""
    from xai_audit.scale import audit_from_summary, summarize_parquet

    summary, sample, how = summarize_parquet(work / "model.skops", work / "parts", OPTIONS, columns=COLUMNS,
                                             sample_rows=SETTINGS["sample_rows"], random_state=SETTINGS["random_state"])
    result = audit_from_summary(summary, n_resamples=SETTINGS["n_resamples"], random_state=SETTINGS["random_state"])
    result.data["sample"], result.data["partitions"] = {"n_rows": len(sample)}, how
    return result


def stage_rows(work: Path) -> dict:
    """Every row read and scored; the fairness tables from rows, compared with the audits' count-based numbers."""
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq

    from xai_audit.adapters import load_model
    from xai_audit.fairness import fairness_report

    started, cpu_started = time.perf_counter(), time.process_time()
    model = load_model(work / "model.skops")
    y_true, decisions, groups = [], [], []
    for file in sorted((work / "parts").iterdir()):
        frame = pq.read_table(file, columns=COLUMNS).to_pandas()
        y_true.append((frame["credit_risk"] == "good").to_numpy(np.int8))
        decisions.append((model.predict(frame[FEATURES]) == "good").astype(np.int8))
        groups.append(frame[["sex", "age_group"]])
    tables = fairness_report(np.concatenate(y_true), np.concatenate(decisions), pd.concat(groups, ignore_index=True),
                             n_resamples=SETTINGS["n_resamples"], random_state=SETTINGS["random_state"])
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    equal = {}
    for backend in ("local", "summaries", "dask"):
        path = work / f"audit-{backend}.json"
        if path.exists():
            fairness = json.loads(path.read_text())["fairness"]
            equal[backend] = all(count_based(fairness[name]) == count_based(json.loads(json.dumps(table)))
                                 for name, table in tables.items())
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": {"client": round(peak_mb(), 1)}, "equal": equal}


COUNT_KEYS = ("n", "share", "selection_rate", "tpr", "fpr", "fnr", "ppv", "npv", "accuracy", "base_rate")


def count_based(table: dict) -> dict:
    """The count-based numbers of a fairness table: group rates and their intervals, differences and ratios
    of the confusion metrics, tests, four-fifths."""
    groups = {g: {k: e[k] for k in COUNT_KEYS} | {"ci": {k: e["ci"].get(k) for k in COUNT_KEYS if k in e["ci"]}}
              for g, e in table["groups"].items()}
    relative = {kind: {g: {k: v for k, v in values.items() if k in COUNT_KEYS}
                       for g, values in table[kind]["values"].items()} for kind in ("differences", "ratios")}
    return {"groups": groups, **relative, "tests": table["tests"], "four_fifths": table["four_fifths"],
            "reference_group": table["reference_group"]}


def run_stage(work: Path, *args: str) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--stage", *args, "--work", str(work)]
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"stage {args} failed:\n{finished.stderr[-3000:]}")
    record = json.loads(finished.stdout.strip().splitlines()[-1])
    print(f"  {' '.join(args):<12} {record['seconds']:8.1f} s  peak {json.dumps(record.get('peak_mb', {}))}", flush=True)
    return record


def table(rows: int, results: dict) -> str:
    lines = [f"## Scale: {rows:,} rows out of core (`bench_scale.py`)", "",
             f"{results['prepare']['files']} Parquet files of up to {FILE_ROWS:,} rows (row groups of 250,000); a "
             "scikit-learn logistic regression; `audit_parquet` with explainers off, 200 resamples, a stratified "
             f"sample of {SETTINGS['sample_rows']:,} rows for the row-based sections. Peak resident memory (VmHWM) "
             "per process. 'rows' reads and scores every row in one process and builds the fairness tables from "
             "them: the independent computation the audits' count-based numbers are compared with.", "",
             "| configuration | wall time (s) | client peak (MiB) | worker peaks (MiB) | sample rows "
             "| count-based numbers equal to rows |",
             "|---|---:|---:|---|---:|---|"]
    equal = results["rows"]["equal"]
    for name, key in (("one process, partition by partition", "local"),
                      ("one process, summaries only (no sample audit)", "summaries"),
                      ("Dask LocalCluster, 2 workers", "dask")):
        entry = results[key]
        workers = ", ".join(f"{v:,.0f}" for k, v in entry["peak_mb"].items() if k != "client") or "-"
        lines.append(f"| {name} | {entry['seconds']:.1f} | {entry['peak_mb']['client']:,.0f} | {workers} | "
                     f"{entry['sample_rows']:,} | {'yes' if equal.get(key) else 'NO'} |")
    entry = results["rows"]
    lines.append(f"| all rows in one process (reference) | {entry['seconds']:.1f} | "
                 f"{entry['peak_mb']['client']:,.0f} | - | - | - |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 rows")
    parser.add_argument("--rows", type=int, help="rows to write and audit (default 1,000,000)")
    parser.add_argument("--stage", nargs="+")
    parser.add_argument("--work")
    args = parser.parse_args()
    if args.stage:
        work = Path(args.work)
        name, *rest = args.stage
        record = {"prepare": lambda: stage_prepare(work, int(rest[0])), "audit": lambda: stage_audit(work, rest[0]),
                  "rows": lambda: stage_rows(work)}[name]()
        print(json.dumps(record))
        return 0
    rows = args.rows or (200_000 if args.quick else 1_000_000)
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xai-audit-scale-") as folder:
        work = Path(folder)
        print(f"bench_scale: {rows:,} rows in {work}", flush=True)
        results = {"prepare": run_stage(work, "prepare", str(rows)), "local": run_stage(work, "audit", "local"),
                   "summaries": run_stage(work, "audit", "summaries"), "dask": run_stage(work, "audit", "dask"), "rows": run_stage(work, "rows")}
    suffix = "" if rows == 1_000_000 else f"_{rows}"
    (OUT / f"scale{suffix}.json").write_text(json.dumps({"rows": rows, **results}, indent=1))
    (OUT / f"scale{suffix}.md").write_text(table(rows, results) + "\n")
    print(table(rows, results))
    return 0 if all(results["rows"]["equal"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
