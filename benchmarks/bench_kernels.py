"""The compiled Tree SHAP kernels alone: preparation (``from_shap``) and explanation, on 1 and 2 threads.

Cases (medians of ``--repeats`` calls, after one warm-up call that also compiles):

- path-dependent Tree SHAP (``_fasttree``) of the peers benchmark's LightGBM model (200 trees, 31
  leaves, 20 features; ``bench_peers.make_rows`` / ``train``) at 10,000 and 50,000 rows;
- the same kernel on a scikit-learn RandomForest (100 trees, depth 10) at 10,000 rows;
- probability-space interventional Tree SHAP (``_interventional``) of the demo's German-credit
  HistGradientBoosting model: 300 rows against 100 background rows.

The first call of each kernel in a fresh checkout compiles it; ``--compile`` times that separately
by clearing numba's cache for the two modules in a child process.

    python benchmarks/bench_kernels.py [--repeats 3] [--sizes 10000,50000] [--compile]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

OUT = HERE / "out"


def median_time(function, repeats):
    """(median wall seconds, median CPU seconds of this process) over ``repeats`` calls."""
    walls, cpus = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - started_cpu)
    return statistics.median(walls), statistics.median(cpus)


def path_case(name, model, rows, repeats):
    """``_fasttree``: from_shap and explain_rows (explained column 0) on 1 and 2 threads."""
    import shap

    from xai_audit.explainers import _fasttree

    ensemble = shap.TreeExplainer(model).model
    trees = _fasttree.from_shap(ensemble, rows.shape[1])  # compiles on a first run
    prepare, _ = median_time(lambda: _fasttree.from_shap(ensemble, rows.shape[1]), repeats)
    column = np.zeros(len(rows), dtype=int)
    _fasttree.explain_rows(rows[:100], trees, column=column[:100], threads=1)
    result = {"case": name, "rows": len(rows), "from_shap_s": prepare, "leaves": int(len(trees.leaf_p)),
              "mean_distinct_features": float(trees.leaf_p.mean()), "max_distinct_features": int(trees.leaf_p.max())}
    for threads in (1, 2):
        wall, cpu = median_time(lambda: _fasttree.explain_rows(rows, trees, column=column, threads=threads), repeats)
        result[f"explain_{threads}_thread_s"] = wall
        result[f"explain_{threads}_thread_cpu_s"] = cpu
    return result


def interventional_case(repeats):
    """``_interventional`` on the demo's HistGradientBoosting: 300 rows against 100 background rows."""
    import pandas as pd
    import shap

    from xai_audit.adapters.loading import load_model
    from xai_audit.explainers import _interventional

    samples = ROOT / "sample_models"
    adapter = load_model(samples / "credit_gbm.skops")
    pipeline = adapter.estimator
    frame = pd.read_csv(samples / "data" / "german_credit_test.csv")
    encoded = np.asarray(pipeline[:-1].transform(frame[list(pipeline.feature_names_in_)]), dtype=float)
    rng = np.random.default_rng(0)
    rows = encoded[rng.choice(len(encoded), 300, replace=len(encoded) < 300)]
    background = encoded[rng.choice(len(encoded), 100, replace=False)]
    ensemble = shap.TreeExplainer(pipeline[-1]).model
    trees = _interventional.from_shap(ensemble)
    prepare, _ = median_time(lambda: _interventional.from_shap(ensemble), repeats)
    _interventional.explain_rows(rows[:4], background, trees, threads=1)
    result = {"case": "HGB German credit, probability space, 300 x 100 background", "rows": len(rows),
              "features": int(rows.shape[1]), "trees": int(len(ensemble.num_nodes)), "from_shap_s": prepare}
    for threads in (1, 2):
        wall, cpu = median_time(lambda: _interventional.explain_rows(rows, background, trees, threads=threads), repeats)
        result[f"explain_{threads}_thread_s"] = wall
        result[f"explain_{threads}_thread_cpu_s"] = cpu
    return result


def compile_cost():
    """Seconds to import and compile both kernels in a fresh process with numba's cache cleared."""
    for pattern in ("_fasttree*.nbi", "_fasttree*.nbc", "_interventional*.nbi", "_interventional*.nbc"):
        for path in (ROOT / "xai_audit" / "explainers" / "__pycache__").glob(pattern):
            path.unlink()
    code = ("import time, numpy as np, shap\n"
            "from sklearn.ensemble import GradientBoostingClassifier\n"
            "from xai_audit.explainers import _fasttree, _interventional\n"
            "X = np.random.default_rng(0).normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)\n"
            "e = shap.TreeExplainer(GradientBoostingClassifier(n_estimators=3).fit(X, y)).model\n"
            "t = time.perf_counter(); _fasttree.explain_rows(X, _fasttree.from_shap(e, 4), threads=1)\n"
            "a = time.perf_counter() - t; t = time.perf_counter()\n"
            "_interventional.explain_rows(X, X[:10], _interventional.from_shap(e), threads=1)\n"
            "print(a, time.perf_counter() - t)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    times = []
    for _ in range(2):  # the first compiles and writes the cache; the second loads it
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        times.append([float(v) for v in out.stdout.split()])
    return {"compile_fasttree_s": times[0][0], "compile_interventional_s": times[0][1],
            "cached_fasttree_s": times[1][0], "cached_interventional_s": times[1][1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--only", default="lightgbm,forest,interventional")
    parser.add_argument("--compile", action="store_true", help="also time compiling in a fresh process")
    parser.add_argument("--quick", action="store_true", help="2,000 rows, one repeat")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.sizes = 1, "2000"
    only = args.only.split(",")
    lines = []

    def report(record: dict) -> None:
        print(json.dumps(record), flush=True)
        lines.append("- " + "; ".join(f"{key}: {value:.3g}" if isinstance(value, float) else f"{key}: {value}"
                                      for key, value in record.items()))

    report({"load_average": os.getloadavg()})
    if "lightgbm" in only:
        from bench_peers import make_rows, train

        X, y, _ = make_rows(10_000)
        model = train(X, y)
        for n in [int(v) for v in args.sizes.split(",")]:
            rows = np.asarray(make_rows(n)[0], dtype=float)
            report(path_case("LightGBM 200 trees, 31 leaves", model, rows, args.repeats))
    if "forest" in only:
        from sklearn.ensemble import RandomForestClassifier

        from bench_peers import make_rows

        X, y, _ = make_rows(10_000)
        forest = RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0, n_jobs=2).fit(X, y)
        rows = np.asarray(X, dtype=float)
        report(path_case("RandomForest 100 trees, depth 10", forest, rows, args.repeats))
    if "interventional" in only:
        report(interventional_case(args.repeats))
    if args.compile:
        report(compile_cost())
    report({"load_average": os.getloadavg()})
    OUT.mkdir(exist_ok=True)
    (OUT / "kernels.md").write_text("## Tree SHAP kernels (bench_kernels.py)\n\nSeconds, medians of "
                                    f"{args.repeats}.\n\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
