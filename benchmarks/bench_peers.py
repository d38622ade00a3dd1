"""Side by side: xai-audit, shapash and explainerdashboard on the same LightGBM model and rows.

Every run is a fresh process (``/usr/bin/time -v`` reads its wall time and peak resident memory):

- ``xai-audit (equal work)``: SHAP only, every row explained, in the log-odds (what shapash and
  explainerdashboard explain), no recourse search, HTML report and JSON record written;
- ``xai-audit (default policy)``: the default audit (SHAP in probability space, LIME, permutation
  importance, 300 rows explained locally, fairness with bootstrap intervals), HTML and JSON;
- ``shapash``: ``SmartExplainer.compile`` (SHAP of every row) and ``generate_report``;
- ``explainerdashboard``: ``ClassifierExplainer`` (SHAP of every row) and ``ExplainerDashboard.save_html``;
- ``xai-audit demo``: the German-credit demo of the CLI.

The peers pin other versions than xai-audit, so they run in their own virtual environment, created
here on first use (``benchmarks/out/peers-venv``, ``pip install shapash explainerdashboard lightgbm``);
when that cannot be done the peers are skipped with the reason printed. Each child trains the same
LightGBM model (200 trees, 20 features, fixed seed, deterministic) on the same rows, which it also
explains; the training is timed apart and left out of the compared time. ``--model`` picks the model:
LightGBM (the default), XGBoost (200 trees of depth 6) or a scikit-learn random forest (100 trees of
depth 10, explained in probability, which its trees average). Results: medians over the repeats, in
``benchmarks/out/peers.md`` and ``peers.json``.

    python benchmarks/bench_peers.py [--quick] [--sizes 10000,50000] [--repeats 3] [--only shapash,...]
                                     [--model lightgbm|xgboost|random_forest]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
VENV = OUT / "peers-venv"
PEER_PACKAGES = ["shapash[report]", "explainerdashboard", "lightgbm", "xgboost"]
MODELS = ("lightgbm", "xgboost", "random_forest")
N_FEATURES = 20
N_TREES = 200
DEMO_ROWS = "300 (German credit test split)"  # what the table's rows column says for the demo
TOOLS = ("xai-audit-equal", "xai-audit-default", "shapash", "explainerdashboard")
RUN_TIMEOUT = 1800  # seconds for one run; a run past it is recorded as timed out


# -- the child: one tool, one size, in a fresh process ---------------------------------------------------


def make_rows(n: int, seed: int = 0):
    """The benchmark's rows: 20 numeric features, a binary target, a sensitive attribute."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES))
    logit = X[:, 0] + 0.8 * X[:, 1] * X[:, 2] - 0.5 * X[:, 3] ** 2 + 0.3 * X[:, 4:8].sum(axis=1)
    y = (logit + rng.logistic(size=n) > 0).astype(int)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(N_FEATURES)])
    group = np.where(rng.random(n) < 0.4, "a", "b")
    return frame, pd.Series(y, name="y"), pd.Series(group, name="group")


def train(X, y, model_name: str = "lightgbm"):
    if model_name == "xgboost":
        import xgboost

        return xgboost.XGBClassifier(n_estimators=N_TREES, max_depth=6, learning_rate=0.05, random_state=0,
                                     tree_method="hist", n_jobs=1).fit(X, y)
    if model_name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0, n_jobs=1).fit(X, y)
    import lightgbm

    model = lightgbm.LGBMClassifier(n_estimators=N_TREES, num_leaves=31, learning_rate=0.05, random_state=0,
                                    deterministic=True, force_row_wise=True, n_jobs=1, verbose=-1)
    return model.fit(X, y)


def child(tool: str, n: int, out_dir: Path, model_name: str = "lightgbm") -> dict:
    started = time.perf_counter()
    X, y, group = make_rows(n)
    trained = time.perf_counter()
    model = train(X, y, model_name)
    train_seconds = time.perf_counter() - trained
    work_started = time.perf_counter()
    files = []
    if tool.startswith("xai-audit"):
        import xai_audit as xa

        frame = X.assign(y=y, group=group)
        data = xa.AuditDataset.from_frame(frame, target="y", sensitive=["group"], features=list(X.columns))
        if tool == "xai-audit-equal":
            policy = out_dir / "equal.toml"
            # The peers search no recourse: leave it out, or the comparison is not of equal work. They
            # explain boosters in the log-odds and a forest in probability (the average of its trees).
            space = "probability" if model_name == "random_forest" else "log_odds"
            policy.write_text('extends = "default"\n[audit]\nexplainers = ["shap"]\n'
                              f'explain_rows = {n}\nshap_output_space = "{space}"\n[recourse]\nenabled = false\n')
        else:
            policy = "default"
        result = xa.audit(model, data, policy=policy, random_state=0)
        files = [result.save_html(out_dir / "report.html"), result.save_json(out_dir / "report.json")]
    elif tool == "shapash":
        from shapash import SmartExplainer

        explainer = SmartExplainer(model=model)
        explainer.compile(x=X, y_target=y)
        explainer.generate_report(output_file=str(out_dir / "report.html"), x_train=X, y_train=y, y_test=y)
        files = [out_dir / "report.html"]
    elif tool == "explainerdashboard":
        from explainerdashboard import ClassifierExplainer, ExplainerDashboard

        explainer = ClassifierExplainer(model, X, y)
        dashboard = ExplainerDashboard(explainer)
        dashboard.save_html(str(out_dir / "report.html"))
        files = [out_dir / "report.html"]
    else:
        raise SystemExit(f"unknown tool {tool}")
    work_seconds = time.perf_counter() - work_started
    return {"tool": tool, "rows": n, "train_seconds": train_seconds, "work_seconds": work_seconds,
            "process_seconds_in_child": time.perf_counter() - started,
            "report_bytes": {Path(f).suffix.lstrip("."): Path(f).stat().st_size for f in files}}


# -- the parent -------------------------------------------------------------------------------------------


def peers_python() -> tuple[Path | None, str]:
    """The peers' interpreter, creating their virtual environment if needed; (None, why) if it cannot."""
    python = VENV / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        check = "import shapash.report.blocks, explainerdashboard, lightgbm, xgboost"
        if subprocess.run([str(python), "-c", check], capture_output=True).returncode != 0:
            subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True, timeout=1800)
        versions = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in "
             "('shapash', 'explainerdashboard', 'shap', 'lightgbm', 'xgboost', 'pandas', 'numpy')))"],
            capture_output=True, text=True, check=True).stdout.strip()
        return python, versions
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"the peers' environment could not be made ({error})"


def measure(command: list[str], cwd: Path, env: dict) -> dict:
    """Run ``command`` under ``/usr/bin/time -v``: wall seconds, peak RSS (MiB), the child's JSON line."""
    timed = ["/usr/bin/time", "-v", *command] if Path("/usr/bin/time").exists() else command
    started = time.perf_counter()
    try:
        done = subprocess.run(timed, cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {RUN_TIMEOUT} s"}
    wall = time.perf_counter() - started
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    user = re.search(r"User time \(seconds\): ([\d.]+)", done.stderr)
    system = re.search(r"System time \(seconds\): ([\d.]+)", done.stderr)
    record = {"wall_seconds": wall, "peak_mib": int(peak.group(1)) / 1024 if peak else None,
              "cpu_seconds": float(user.group(1)) + float(system.group(1)) if user and system else None}
    if done.returncode != 0:
        record["error"] = (done.stderr.strip().splitlines() or ["failed"])[-1][:300]
        tail = [line for line in done.stderr.splitlines() if "Error" in line or "error" in line]
        record["error"] = (tail[-1] if tail else record["error"])[:300]
        return record
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if lines:
        record.update(json.loads(lines[-1]))
    return record


def runs_for(tools, sizes, repeats, peers):
    plan = [("demo", 0)]
    for n in sizes:
        plan += [(tool, n) for tool in tools if tool.startswith("xai-audit") or peers]
    return [(tool, n, r) for tool, n in plan for r in range(repeats)]


def summarize(records: list[dict]) -> dict:
    ok = [r for r in records if "error" not in r]
    if not ok:
        return {"runs": len(records), "error": records[-1].get("error") if records else "not run"}
    median = lambda key: statistics.median(r[key] for r in ok) if all(r.get(key) is not None for r in ok) else None  # noqa: E731
    summary = {"runs": len(ok), "wall_seconds": median("wall_seconds"), "peak_mib": median("peak_mib"),
               "cpu_seconds": median("cpu_seconds")}
    if "train_seconds" in ok[0]:
        summary.update({"train_seconds": median("train_seconds"), "work_seconds": median("work_seconds"),
                        "wall_minus_train": statistics.median(r["wall_seconds"] - r["train_seconds"] for r in ok),
                        "report_bytes": ok[-1]["report_bytes"]})
    elif "report_bytes" in ok[-1]:
        summary["report_bytes"] = ok[-1]["report_bytes"]
    return summary


def table(summaries: dict, sizes) -> str:
    lines = ["| tool | rows | runs | wall s (median) | CPU s (user + system) | wall - training s | tool's own work s "
             "| peak MiB | report |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for (tool, n), s in summaries.items():
        if "error" in s:
            lines.append(f"| {tool} | {n or DEMO_ROWS} | {s['runs']} | — | — | — | — | — | {s['error']} |")
            continue
        size = ", ".join(f"{kind} {b / 2**20:.1f} MB" for kind, b in s.get("report_bytes", {}).items())
        fmt = lambda v: "—" if v is None else f"{v:.1f}"  # noqa: E731
        lines.append(f"| {tool} | {n or DEMO_ROWS} | {s['runs']} | {fmt(s['wall_seconds'])} | {fmt(s.get('cpu_seconds'))} | "
                     f"{fmt(s.get('wall_minus_train'))} | {fmt(s.get('work_seconds'))} | {fmt(s['peak_mib'])} | {size} |")
    ratios = []
    for n in sizes:
        ours, theirs = summaries.get(("xai-audit-equal", n), {}), summaries.get(("shapash", n), {})
        if ours.get("wall_minus_train") and theirs.get("wall_minus_train"):
            ratios.append(f"- {n} rows: shapash / xai-audit (equal work), wall minus training: "
                          f"{theirs['wall_minus_train'] / ours['wall_minus_train']:.2f}x; tool's own work: "
                          f"{theirs['work_seconds'] / ours['work_seconds']:.2f}x"
                          + (f"; CPU time: {theirs['cpu_seconds'] / ours['cpu_seconds']:.2f}x"
                             if ours.get("cpu_seconds") and theirs.get("cpu_seconds") else ""))
    return "\n".join(lines + [""] + ratios)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 rows, one repeat")
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", help="comma-separated tools (" + ", ".join(TOOLS) + ", demo)")
    parser.add_argument("--skip", default="", help="comma-separated tool@rows runs to leave out, e.g. explainerdashboard@50000")
    parser.add_argument("--tag", default="", help="suffix of the output files (peers<TAG>.md / .json)")
    parser.add_argument("--model", choices=MODELS, default="lightgbm", help="the model every tool explains")
    parser.add_argument("--child", nargs=3, metavar=("TOOL", "ROWS", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        tool, n, directory = args.child
        print(json.dumps(child(tool, int(n), Path(directory), args.model)))
        return 0
    sizes = [2000] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeats = 1 if args.quick else args.repeats
    tools = [t for t in TOOLS if not args.only or t in args.only.split(",")]
    skip = {tuple(item.split("@")) for item in args.skip.split(",") if "@" in item}
    OUT.mkdir(exist_ok=True)
    python, versions = peers_python() if any(t in tools for t in ("shapash", "explainerdashboard")) else (None, "")
    if python is None and versions:
        print(f"Skipping shapash and explainerdashboard: {versions}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    results: dict = {}
    plan = runs_for(tools, sizes, repeats, python is not None)
    if args.only and "demo" not in args.only.split(","):
        plan = [p for p in plan if p[0] != "demo"]
    for tool, n, repeat in plan:
        if (tool, str(n)) in skip:
            continue
        with tempfile.TemporaryDirectory() as scratch:
            if tool == "demo":
                command = [sys.executable, "-m", "xai_audit.cli", "demo"]
            else:
                interpreter = sys.executable if tool.startswith("xai-audit") else str(python)
                command = [interpreter, str(Path(__file__).resolve()), "--model", args.model, "--child", tool, str(n), scratch]
            record = measure(command, Path(scratch), env)
            if tool == "demo" and "error" not in record:
                html = Path(scratch) / "reports" / "demo.html"
                record["report_bytes"] = {"html": html.stat().st_size} if html.exists() else {}
        results.setdefault((tool, n), []).append(record)
        print(f"{tool:20s} {n:>6} run {repeat + 1}: " + (record.get("error") or
              f"{record['wall_seconds']:.1f} s wall, {record.get('peak_mib') or 0:.0f} MiB"), flush=True)
        summaries = {key: summarize(value) for key, value in results.items()}
        (OUT / f"peers{args.tag}.json").write_text(json.dumps({f"{t}@{k}": v for (t, k), v in results.items()}, indent=1))
        text = table(summaries, sizes)
        (OUT / f"peers{args.tag}.md").write_text(f"Model: {args.model}. Peers: {versions or 'not run'}\n\n{text}\n")
    print((OUT / f"peers{args.tag}.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
