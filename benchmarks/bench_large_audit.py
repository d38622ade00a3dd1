"""One large audit: a 1M-row synthetic credit table and a small HistGradientBoosting model.

Measures, each configuration in a fresh process so that its peak memory is its own:

- ``audit``: the whole audit in one process (``Audit(...).run``; the explainers are what the benchmark
  policy lists), from the Parquet file to the result;
- ``explain``: the explanation work of the audit that splits into chunks — exact Tree SHAP of the
  explained rows — through :func:`xai_audit.parallel.map_chunks` on 1 and 2 local worker processes and
  on a 2-worker Dask LocalCluster, checking that every configuration gives the same values;
- ``read``: the Parquet file read whole (``pandas.read_parquet``) and in row-group pieces (pyarrow,
  only the audit's columns), as a worker of a batch on a cluster reads it.

Wall time and peak resident memory (Linux ``VmHWM``, else ``getrusage``) per process, written to
``benchmarks/out/large_audit.md`` and ``.json``.

    python benchmarks/bench_large_audit.py [--quick] [--rows N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
FEATURES = ["duration_months", "credit_amount", "income", "installment_rate_pct_income", "existing_credits",
            "age_years", "purpose", "housing"]
CATEGORICAL = ["purpose", "housing"]
ROW_GROUP = 131_072
POLICY = """extends = "default"
disable = {disabled}
[audit]
explainers = ["shap"]
explain_rows = {explain_rows}
background_rows = 100
reason_cases = 20
"""


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MiB.

    Linux's VmHWM, the high-water mark of this process's own memory: ``ru_maxrss`` survives fork and
    exec, so a worker process started by a large parent would report the parent's peak as its own.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024


def credit_frame(n: int, seed: int = 0):
    """A synthetic credit table: numeric and categorical features, sex and age group, a good/bad outcome."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    age = rng.integers(19, 76, n)
    sex = rng.choice(["female", "male"], n, p=[0.35, 0.65])
    frame = pd.DataFrame({
        "duration_months": rng.integers(4, 72, n),
        "credit_amount": rng.lognormal(8, 0.7, n).round(0),
        "income": rng.normal(3000, 900, n).round(0),
        "installment_rate_pct_income": rng.integers(1, 5, n),
        "existing_credits": rng.integers(1, 5, n),
        "age_years": age,
        "purpose": rng.choice(["car", "furniture", "education", "business", "other"], n),
        "housing": rng.choice(["own", "rent", "free"], n, p=[0.6, 0.3, 0.1]),
        "sex": sex,
        "age_group": np.where(age < 25, "under 25", "25 and over"),
        # not used by the audit, as in a table exported whole from a warehouse
        "application_id": [f"APP-{seed:02d}-{i:09d}" for i in range(n)],
    })
    logit = (0.9 - 0.03 * (frame["duration_months"] - 20) - 0.00008 * (frame["credit_amount"] - 3000)
             + 0.0004 * (frame["income"] - 3000) + 0.01 * (age - 35) + 0.4 * (frame["housing"] == "own")
             - 0.15 * (sex == "female"))
    frame["credit_risk"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "good", "bad")
    return frame


# -- stages: each runs in its own process and prints one JSON line ------------------------------------------


def stage_prepare(work: Path, rows: int, explain_rows: int) -> dict:
    import skops.io as sio
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    started = time.perf_counter()
    frame = credit_frame(rows)
    frame.to_parquet(work / "credit.parquet", row_group_size=ROW_GROUP)
    train = credit_frame(50_000, seed=1)
    encoder = make_column_transformer((OrdinalEncoder(), CATEGORICAL), remainder="passthrough",
                                      verbose_feature_names_out=False)
    model = make_pipeline(encoder, HistGradientBoostingClassifier(max_iter=50, max_leaf_nodes=15, random_state=0))
    model.fit(train[FEATURES], train["credit_risk"])
    sio.dump(model, work / "model.skops")
    from xai_audit.checks import CHECKS
    from xai_audit.policy import load_policy

    # rules whose check this tree does not register yet would stop the audit; they are listed in the results
    disabled = [rule.id for rule in load_policy("default").rules if rule.check not in CHECKS]
    (work / "policy.toml").write_text(POLICY.format(explain_rows=explain_rows, disabled=json.dumps(disabled)))
    return {"seconds": time.perf_counter() - started, "parquet_mb": (work / "credit.parquet").stat().st_size / 2**20,
            "disabled_rules": disabled}


def stage_audit(work: Path, n_resamples: int) -> dict:
    import xai_audit as xa

    steps = []

    def progress(step, fraction):
        steps.append((step, time.perf_counter()))

    started = time.perf_counter()
    data = xa.AuditDataset.from_parquet(work / "credit.parquet", target="credit_risk", positive_label="good",
                                        sensitive=["sex", "age_group"], features=FEATURES)
    loaded = time.perf_counter()
    result = xa.Audit(policy=str(work / "policy.toml"), random_state=0, n_resamples=n_resamples,
                      progress=progress).run(xa.load_model(work / "model.skops"), data)
    ended = time.perf_counter()
    step_seconds = {step: round(end - start, 2) for (step, start), (_, end) in zip(steps, steps[1:] + [("", ended)])}
    return {"seconds": ended - started, "read_seconds": loaded - started, "rows": data.n_rows, "steps": step_seconds,
            "status": result.status, "explainers_run": sorted(result.explanations),
            "fairness_attributes": sorted(result.fairness), "findings": len(result.findings),
            "peak_mb": {"main": peak_mb()}}


def explain_chunk(rows, explainer):
    """Tree SHAP of some rows, with the peak memory of the process that computed them."""
    values = explainer.shap_values(rows, check_additivity=False)
    return values, os.getpid(), peak_mb()


def stage_explain(work: Path, explain_rows: int, backend: str, workers: int) -> dict:
    import numpy as np
    import pyarrow.parquet as pq
    import shap

    from xai_audit.adapters import load_model
    from xai_audit.parallel import map_chunks, split_rows

    pipeline = load_model(work / "model.skops").estimator
    table = pq.read_table(work / "credit.parquet", columns=FEATURES)
    positions = np.sort(np.random.default_rng(0).choice(table.num_rows, explain_rows, replace=False))
    rows = pipeline[:-1].transform(table.take(positions).to_pandas()).astype(float)
    explainer = shap.TreeExplainer(pipeline[-1])
    chunks = [rows[s] for s in split_rows(len(rows), n_chunks=4 * workers)]
    scheduler = cluster = None
    if backend == "dask":
        import distributed

        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None)
        scheduler = distributed.Client(cluster)
    started = time.perf_counter()
    try:
        mapped = map_chunks(explain_chunk, chunks, backend=backend, scheduler=scheduler, workers=workers,
                            args=(explainer,))
        seconds = time.perf_counter() - started
    finally:
        if cluster is not None:
            scheduler.close()
            cluster.close()
    values = np.concatenate([np.asarray(v) for v, _, _ in mapped])
    worker_peaks = {}
    for _, pid, peak in mapped:
        if pid != os.getpid():  # one worker runs the chunks here, in the main process
            worker_peaks[pid] = max(peak, worker_peaks.get(pid, 0.0))
    return {"seconds": seconds, "rows": int(len(rows)), "rows_per_second": len(rows) / seconds,
            "values_sha256": hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest(),
            "peak_mb": {"main": peak_mb(), **{f"worker {i + 1}": round(p, 1)
                                              for i, p in enumerate(sorted(worker_peaks.values()))}}}


def stage_read(work: Path, how: str) -> dict:
    import pandas as pd
    import pyarrow.parquet as pq

    columns = FEATURES + ["credit_risk", "sex", "age_group"]
    started = time.perf_counter()
    if how == "whole":
        frame = pd.read_parquet(work / "credit.parquet")
    else:
        source = pq.ParquetFile(work / "credit.parquet")
        frame = pd.concat([source.read_row_group(i, columns=columns).to_pandas()
                           for i in range(source.num_row_groups)], ignore_index=True)
    return {"seconds": time.perf_counter() - started, "rows": len(frame), "peak_mb": {"main": peak_mb()}}


# -- the driver ------------------------------------------------------------------------------------------------


def run_stage(work: Path, *args: str) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--stage", *args, "--work", str(work)]
    started = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"stage {args} failed:\n{finished.stderr[-3000:]}")
    record = json.loads(finished.stdout.strip().splitlines()[-1])
    record["process_seconds"] = time.perf_counter() - started
    print(f"  {' '.join(args):<28} {record['seconds']:8.1f} s  peak {json.dumps(record.get('peak_mb', {}))}",
          flush=True)
    return record


def table(results: dict, settings: dict) -> str:
    audit = results["audit"]
    lines = [
        "## Large audit (bench_large_audit.py)", "",
        f"{settings['rows']:,} rows of a synthetic credit table (Parquet, {settings['parquet_mb']:.1f} MiB, row groups of "
        f"{ROW_GROUP:,}); HistGradientBoosting, 50 iterations of at most 15 leaves. Each line ran in a fresh process; "
        "peak memory is each process's maximum resident set (VmHWM).", "",
        "| stage | workers | wall time | peak memory per process (MiB) |", "|---|---|---:|---|",
        f"| whole audit, one process (bootstrap resamples {settings['n_resamples']}; explainers run: "
        f"{', '.join(audit['explainers_run']) or 'none'}) | 1 | {audit['seconds']:.1f} s "
        f"(of which reading {audit['read_seconds']:.1f} s) | {_peaks(audit['peak_mb'])} |",
    ]
    for key, label in (("explain processes 1", "1 process"), ("explain processes 2", "2 processes"),
                       ("explain dask 2", "2 Dask workers")):
        if key in results:
            record = results[key]
            lines.append(f"| Tree SHAP of {record['rows']:,} explained rows, chunked with map_chunks | {label} | "
                         f"{record['seconds']:.1f} s ({record['rows_per_second']:,.0f} rows/s) | {_peaks(record['peak_mb'])} |")
    for key, label in (("read whole", "Parquet read whole, every column (as AuditDataset.from_parquet does)"),
                       ("read pieces", "Parquet read by row group, the audit's 11 of 12 columns (pyarrow)")):
        record = results[key]
        lines.append(f"| {label} | 1 | {record['seconds']:.1f} s | {_peaks(record['peak_mb'])} |")
    steps = "; ".join(f"{step} {seconds:.1f} s" for step, seconds in audit["steps"].items() if step != "Done")
    hashes = {results[k]["values_sha256"] for k in results if k.startswith("explain")}
    base = results.get("explain processes 1")
    speedup = (f"{base['seconds'] / results['explain processes 2']['seconds']:.2f}x"
               if base and "explain processes 2" in results else "n/a")
    lines += ["", f"- Tree SHAP values identical in every configuration: {'yes' if len(hashes) == 1 else 'NO'}; "
                  f"speed-up from 1 to 2 processes: {speedup} (on {os.cpu_count()} cores, shared with other work).",
              f"- Where the audit's time went (its progress steps): {steps}.",
              f"- Policy: the default, with explainers limited to shap on {settings['audit_explain_rows']:,} rows; "
              f"rules left out because this tree does not register their check yet: "
              f"{', '.join(settings['disabled_rules']) or 'none'}.",
              f"- Audit status {audit['status']}, {audit['findings']} findings; fairness attributes: "
              f"{', '.join(audit['fairness_attributes']) or 'none'}.",
              f"- Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}; {'quick run' if settings['quick'] else 'full run'}."]
    return "\n".join(lines) + "\n"


def _peaks(peaks: dict) -> str:
    return ", ".join(f"{name} {value:,.0f}" for name, value in peaks.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k rows instead of 1M, fewer explained rows")
    parser.add_argument("--rows", type=int, help="rows in the table (default 1,000,000; 100,000 with --quick)")
    parser.add_argument("--stage", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        name, *rest = args.stage
        work = Path(args.work)
        stages = {"prepare": lambda: stage_prepare(work, int(rest[0]), int(rest[1])),
                  "audit": lambda: stage_audit(work, int(rest[0])),
                  "explain": lambda: stage_explain(work, int(rest[2]), rest[0], int(rest[1])),
                  "read": lambda: stage_read(work, rest[0])}
        print(json.dumps(stages[name](), default=str))
        return 0

    rows = args.rows or (100_000 if args.quick else 1_000_000)
    explain_rows = 4_000 if args.quick else 100_000
    settings = {"rows": rows, "quick": args.quick, "explain_rows": explain_rows,
                "n_resamples": 20, "audit_explain_rows": 1_000}
    OUT.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="xai-audit-bench-"))
    results = {}
    started = time.perf_counter()
    try:
        print(f"bench_large_audit: {rows:,} rows in {work}", flush=True)
        prepared = run_stage(work, "prepare", str(rows), str(settings["audit_explain_rows"]))
        settings["parquet_mb"], settings["disabled_rules"] = prepared["parquet_mb"], prepared["disabled_rules"]
        results["read whole"] = run_stage(work, "read", "whole")
        results["read pieces"] = run_stage(work, "read", "pieces")
        results["audit"] = run_stage(work, "audit", str(settings["n_resamples"]))
        for backend, workers in (("processes", 1), ("processes", 2), ("dask", 2)):
            results[f"explain {backend} {workers}"] = run_stage(work, "explain", backend, str(workers), str(explain_rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    settings["total_seconds"] = time.perf_counter() - started
    (OUT / "large_audit.json").write_text(json.dumps({"settings": settings, "results": results}, indent=2) + "\n")
    (OUT / "large_audit.md").write_text(table(results, settings))
    print(f"Wrote {OUT / 'large_audit.md'} in {settings['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
