"""One large audit: a 1M-row synthetic credit table and a small HistGradientBoosting model.

Measures, each configuration in a fresh process so that its peak memory is its own:

- ``audit``: the whole audit (``Audit(...).run``; the explainers are what the benchmark policy lists),
  from the Parquet file (only the audit's columns read) to the result, three ways: in one process;
  with ``workers=2`` (local loky processes); and on a 2-worker Dask ``LocalCluster`` passed as
  ``scheduler``. The chunked work — predictions over every row (each worker reads its own row groups
  of the file), exact Tree SHAP of the explained rows, the fairness tables' row-level bootstrap — goes
  to the workers; the records must be identical (compared as JSON without ``created_at`` and the
  SHAP ``meta.workers``);
- ``explain`` (``--explain-stages``): exact Tree SHAP of many rows through
  :func:`xai_audit.parallel.map_chunks` on 1 and 2 local processes and 2 Dask workers;
- ``read``: the Parquet file read whole (``pandas.read_parquet``) and in row-group pieces (pyarrow,
  only the audit's columns), as a worker reads it.

Wall time and peak resident memory (Linux ``VmHWM``, else ``getrusage``) per process — the client and
each worker process (every live descendant of the client, read from ``/proc`` before the workers
stop) — written to ``benchmarks/out/large_audit.md`` and ``.json``.

    python benchmarks/bench_large_audit.py [--quick] [--rows N] [--explain-stages]
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
AUDIT_COLUMNS = FEATURES + ["credit_risk", "sex", "age_group"]
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


def worker_peaks_mb() -> dict:
    """Peak resident memory (VmHWM, MiB) of every live descendant process of this one: the loky or
    Dask worker processes (the Dask scheduler and nannies of a LocalCluster run in this process).
    Resource trackers are left out. Linux only; empty elsewhere."""
    children = {}
    try:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
                    children.setdefault(int(fields["PPid"]), []).append((int(entry.name), fields))
                except (OSError, KeyError, ValueError):
                    continue
    except OSError:
        return {}
    peaks, stack = [], [os.getpid()]
    while stack:
        for pid, fields in children.get(stack.pop(), []):
            stack.append(pid)
            try:
                command = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                command = ""
            if "resource_tracker" not in command and "VmHWM" in fields:
                peaks.append(int(fields["VmHWM"].split()[0]) / 1024)
    return {f"worker {i + 1}": round(peak, 1) for i, peak in enumerate(sorted(peaks))}


def record_digest(result) -> str:
    """SHA-256 of the record as JSON, without what legitimately differs between runs: the creation time
    and where the SHAP values were computed (how many processes, which chunks)."""
    record = json.loads(json.dumps(result.to_dict(), default=str))
    record["manifest"].pop("created_at", None)
    for section in record.get("explanations", {}).values():
        if isinstance(section, dict) and isinstance(section.get("meta"), dict):
            section["meta"].pop("workers", None)
            section["meta"].pop("execution", None)
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


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


def stage_audit(work: Path, n_resamples: int, backend: str, workers: int) -> dict:
    import xai_audit as xa

    steps = []

    def progress(step, fraction):
        steps.append((step, time.perf_counter()))

    scheduler = cluster = None
    if backend == "dask":  # started before the clock: a cluster is long-lived, the audit borrows it
        import distributed

        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None)
        scheduler = distributed.Client(cluster)
    options = {} if backend == "single" else {"scheduler": scheduler} if backend == "dask" else {"workers": workers}
    try:
        started = time.perf_counter()
        data = xa.AuditDataset.from_parquet(work / "credit.parquet", target="credit_risk", positive_label="good",
                                            sensitive=["sex", "age_group"], features=FEATURES, columns=AUDIT_COLUMNS)
        loaded = time.perf_counter()
        result = xa.Audit(policy=str(work / "policy.toml"), random_state=0, n_resamples=n_resamples,
                          progress=progress, **options).run(xa.load_model(work / "model.skops"), data)
        ended = time.perf_counter()
        workers_peak = worker_peaks_mb()
    finally:
        if cluster is not None:
            scheduler.close()
            cluster.close()
    step_seconds = {step: round(end - start, 2) for (step, start), (_, end) in zip(steps, steps[1:] + [("", ended)])}
    return {"seconds": ended - started, "read_seconds": loaded - started, "rows": data.n_rows, "steps": step_seconds,
            "status": result.status, "explainers_run": sorted(name for name, entry in result.explanations.items()
                                                  if isinstance(entry, dict) and "global_importance" in entry),
            "fairness_attributes": sorted(result.fairness), "findings": len(result.findings),
            "record_sha256": record_digest(result),
            "shap_algorithm": result.explanations.get("shap", {}).get("meta", {}).get("algorithm"),
            "peak_mb": {"main": peak_mb(), **workers_peak}}


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


AUDITS = (("audit single", "one process", "1"), ("audit processes 2", "local processes (workers=2)", "2"),
          ("audit dask 2", "Dask LocalCluster (scheduler=client)", "2"))


def table(results: dict, settings: dict) -> str:
    audit = results["audit single"]
    lines = [
        "## Large audit (bench_large_audit.py)", "",
        f"{settings['rows']:,} rows of a synthetic credit table (Parquet, {settings['parquet_mb']:.1f} MiB, row groups of "
        f"{ROW_GROUP:,}; the audit reads {len(AUDIT_COLUMNS)} of its 12 columns); HistGradientBoosting, 50 iterations "
        "of at most 15 leaves. Each line ran in a fresh process; peak memory is each process's maximum resident set "
        "(VmHWM): the client ('main', which also hosts the Dask scheduler and nannies) and each worker process.", "",
        "| stage | workers | wall time | peak memory per process (MiB) |", "|---|---|---:|---|",
    ]
    for key, label, workers in AUDITS:
        if key in results:
            record = results[key]
            lines.append(f"| whole audit, {label} (bootstrap resamples {settings['n_resamples']}; explainers run: "
                         f"{', '.join(record['explainers_run']) or 'none'}) | {workers} | {record['seconds']:.1f} s "
                         f"(of which reading {record['read_seconds']:.1f} s) | {_peaks(record['peak_mb'])} |")
    for key, label in (("explain processes 1", "1 process"), ("explain processes 2", "2 processes"),
                       ("explain dask 2", "2 Dask workers")):
        if key in results:
            record = results[key]
            lines.append(f"| Tree SHAP of {record['rows']:,} explained rows, chunked with map_chunks | {label} | "
                         f"{record['seconds']:.1f} s ({record['rows_per_second']:,.0f} rows/s) | {_peaks(record['peak_mb'])} |")
    for key, label in (("read whole", "Parquet read whole, every column (AuditDataset.from_parquet without columns=)"),
                       ("read pieces", "Parquet read by row group, the audit's 11 of 12 columns (pyarrow)")):
        record = results[key]
        lines.append(f"| {label} | 1 | {record['seconds']:.1f} s | {_peaks(record['peak_mb'])} |")
    records = {results[key]["record_sha256"] for key, _, _ in AUDITS if key in results}
    lines += ["", f"- Audit records identical in every configuration (JSON without created_at and the SHAP "
                  f"meta.workers): {'yes' if len(records) == 1 else 'NO'}."]
    for key, label, _ in AUDITS:
        if key in results:
            steps = "; ".join(f"{step} {seconds:.1f} s" for step, seconds in results[key]["steps"].items()
                              if step != "Done")
            lines.append(f"- Where the audit's time went, {label} (its progress steps): {steps}.")
    hashes = {results[k]["values_sha256"] for k in results if k.startswith("explain")}
    if hashes:
        base = results.get("explain processes 1")
        speedup = (f"{base['seconds'] / results['explain processes 2']['seconds']:.2f}x"
                   if base and "explain processes 2" in results else "n/a")
        lines.append(f"- Tree SHAP values identical in every configuration: {'yes' if len(hashes) == 1 else 'NO'}; "
                     f"speed-up from 1 to 2 processes: {speedup}.")
    lines += [f"- Cores: {os.cpu_count()}, shared with whatever else the machine ran.",
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
    parser.add_argument("--explain-stages", action="store_true",
                        help="also time Tree SHAP of many rows alone on 1 and 2 processes and 2 Dask workers")
    parser.add_argument("--stage", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        name, *rest = args.stage
        work = Path(args.work)
        stages = {"prepare": lambda: stage_prepare(work, int(rest[0]), int(rest[1])),
                  "audit": lambda: stage_audit(work, int(rest[0]), rest[1], int(rest[2])),
                  "explain": lambda: stage_explain(work, int(rest[2]), rest[0], int(rest[1])),
                  "read": lambda: stage_read(work, rest[0])}
        print(json.dumps(stages[name](), default=str))
        return 0

    rows = args.rows or (100_000 if args.quick else 1_000_000)
    explain_rows = 4_000 if args.quick else 100_000
    settings = {"rows": rows, "quick": args.quick, "explain_rows": explain_rows,
                "n_resamples": 200, "audit_explain_rows": 1_000}
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
        for backend, workers in (("single", 1), ("processes", 2), ("dask", 2)):
            results[f"audit {backend}" + ("" if backend == "single" else f" {workers}")] = run_stage(
                work, "audit", str(settings["n_resamples"]), backend, str(workers))
        if args.explain_stages:
            for backend, workers in (("processes", 1), ("processes", 2), ("dask", 2)):
                results[f"explain {backend} {workers}"] = run_stage(work, "explain", backend, str(workers),
                                                                     str(explain_rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    settings["total_seconds"] = time.perf_counter() - started
    (OUT / "large_audit.json").write_text(json.dumps({"settings": settings, "results": results}, indent=2) + "\n")
    (OUT / "large_audit.md").write_text(table(results, settings))
    print(f"Wrote {OUT / 'large_audit.md'} in {settings['total_seconds']:.0f} s")
    identical = len({results[key]["record_sha256"] for key, _, _ in AUDITS if key in results}) == 1
    if not identical:
        print("The audit records differ between configurations.", file=sys.stderr)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
