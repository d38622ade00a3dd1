"""Tree SHAP: xai-audit against the plain libraries on the same rows, in one process.

    .venv/bin/python benchmarks/bench_shap.py [--quick]

For each model the plain call and xai-audit's run alternately (median of a few runs, after one
warm-up each, so compilation, imports and worker start-up are not timed); the values are compared.

- scikit-learn HistGradientBoosting and RandomForest: ``shap.TreeExplainer(model).shap_values(X)``
  against ``xai_audit.explainers._tree.tree_attributions`` (the compiled subset-table kernel on every
  core) and the public ``explain(model, X, method="shap")`` end to end (with its additivity check
  against the model's own output). Target: at least 1.8x.
- XGBoost and LightGBM: their native ``pred_contribs`` / ``pred_contrib=True`` against
  ``tree_attributions`` (which calls them, and the model's margin for the additivity check).
  Target: at least 0.95x, identical values.

Writes benchmarks/out/shap.md and shap.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from xai_audit.explainers import explain  # noqa: E402
from xai_audit.explainers._tree import tree_attributions  # noqa: E402


def timed(function, repeats):
    """Median and all wall-clock seconds of ``repeats`` calls (after the caller's warm-up)."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), seconds


def alternate(functions, repeats):
    """Time functions in turn, round after round, so a slow spell on a shared machine hits all alike.

    Returns the median seconds of each and all runs."""
    runs = [[] for _ in functions]
    for _ in range(repeats):
        for function, seconds in zip(functions, runs):
            seconds.append(timed(function, 1)[0])
    return [statistics.median(seconds) for seconds in runs], runs


def data(n_rows, n_features=20, seed=0):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n_rows, n_features=n_features, n_informative=10, random_state=seed)
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(n_features)]), y


def sklearn_case(name, model, X_train, y_train, X, repeats):
    import shap

    model.fit(X_train, y_train)
    positive = np.ones(len(X), dtype=int)
    plain = lambda: shap.TreeExplainer(model).shap_values(X)  # noqa: E731
    ours = lambda: tree_attributions(model, X, positive)  # noqa: E731
    end_to_end = lambda: explain(model, X, method="shap")  # noqa: E731
    plain(), ours(), end_to_end()  # warm-up: imports, numba cache, thread pool
    (t_plain, t_ours, t_end), (runs_plain, runs_ours, runs_end) = alternate([plain, ours, end_to_end], repeats)
    reference = np.asarray(shap.TreeExplainer(model).shap_values(X))
    reference = reference[:, :, 1] if reference.ndim == 3 else reference
    result = tree_attributions(model, X, positive)
    explanation = explain(model, X, method="shap")
    return {
        "case": name, "rows": len(X), "baseline": "shap.TreeExplainer(model).shap_values(X)",
        "baseline_s": t_plain, "ours_s": t_ours, "explain_s": t_end,
        "speedup": t_plain / t_ours, "speedup_explain": t_plain / t_end, "target": 1.8,
        "max_abs_difference": float(np.abs(result.values - reference).max()),
        "additivity_error": float(explanation.additivity_error()),
        "algorithm": result.algorithm, "runs": {"baseline": runs_plain, "ours": runs_ours, "explain": runs_end},
    }


def native_case(name, model, X_train, y_train, X, repeats):
    model.fit(X_train, y_train)
    positive = np.ones(len(X), dtype=int)
    if name.startswith("XGBoost"):
        import xgboost

        booster = model.get_booster()
        plain = lambda: booster.predict(xgboost.DMatrix(X), pred_contribs=True)  # noqa: E731
        label = "Booster.predict(DMatrix(X), pred_contribs=True)"
    else:
        plain = lambda: model.predict(X, pred_contrib=True)  # noqa: E731
        label = "model.predict(X, pred_contrib=True)"
    ours = lambda: tree_attributions(model, X, positive)  # noqa: E731
    end_to_end = lambda: explain(model, X, method="shap")  # noqa: E731
    plain(), ours(), end_to_end()
    (t_plain, t_ours, t_end), (runs_plain, runs_ours, runs_end) = alternate([plain, ours, end_to_end], repeats)
    native = np.asarray(plain())
    result = tree_attributions(model, X, positive)
    identical = bool(np.array_equal(result.values, native[:, :-1].astype(float))
                     and np.array_equal(result.base, native[:, -1].astype(float)))
    explanation = explain(model, X, method="shap")
    return {
        "case": name, "rows": len(X), "baseline": label, "baseline_s": t_plain, "ours_s": t_ours, "explain_s": t_end,
        "speedup": t_plain / t_ours, "speedup_explain": t_plain / t_end, "target": 0.95,
        "max_abs_difference": 0.0 if identical else float(np.abs(result.values - native[:, :-1]).max()),
        "identical": identical, "additivity_error": float(explanation.additivity_error()),
        "algorithm": result.algorithm, "runs": {"baseline": runs_plain, "ours": runs_ours, "explain": runs_end},
    }


def booster_kernel_case(name, model, X, repeats):
    """A booster's own Tree SHAP against xai-audit's compiled kernel on 1 and 2 threads, same rows.

    Values: the kernel against the library (LightGBM: float64, must agree to 1e-6; XGBoost computes
    in float32) and the kernel's additivity to the trees' margin summed in float64 (exactness).
    """
    import shap

    from xai_audit.explainers import _fasttree
    from xai_audit.explainers._tree import path_base

    rows = np.asarray(X, dtype=float)
    if name.startswith("XGBoost"):
        import xgboost

        booster = model.get_booster()
        plain = lambda: booster.predict(xgboost.DMatrix(X), pred_contribs=True)  # noqa: E731
        label = "pred_contribs=True (float32)"
    else:
        plain = lambda: model.predict(X, pred_contrib=True)  # noqa: E731
        label = "pred_contrib=True (float64)"
    started = time.perf_counter()
    ensemble = shap.TreeExplainer(model).model
    trees = _fasttree.from_shap(ensemble, rows.shape[1])
    convert = time.perf_counter() - started
    column = np.zeros(len(rows), dtype=int)
    one = lambda: _fasttree.explain_rows(rows, trees, column=column, threads=1)  # noqa: E731
    two = lambda: _fasttree.explain_rows(rows, trees, column=column, threads=2)  # noqa: E731
    one()
    (t_plain, t_one, t_two), _ = alternate([plain, one, two], repeats)
    native = np.asarray(plain(), dtype=float)
    ours = two()[:, :, 0]
    margin = ensemble.predict(rows.astype(ensemble.input_dtype))
    return {"case": name, "rows": len(rows), "baseline": label, "baseline_s": t_plain, "kernel_1_thread_s": t_one,
            "kernel_2_threads_s": t_two, "convert_s": convert, "speedup": t_plain / (t_two + convert),
            "max_abs_difference": float(np.abs(ours - native[:, :-1]).max()),
            "kernel_additivity": float(np.abs(ours.sum(axis=1) + path_base(ensemble)[0] - margin).max())}


def backends_case(model, X, repeats):
    """The same RandomForest rows on each backend (threads in-process vs loky worker processes)."""
    positive = np.ones(len(X), dtype=int)
    backends = ("serial", "threads", "processes")
    calls = [lambda b=backend: tree_attributions(model, X, positive, backend=b) for backend in backends]
    for call in calls:
        call()
    medians, _ = alternate(calls, repeats)
    return dict(zip(backends, medians))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows and runs (a smoke run)")
    parser.add_argument("--boosters", default="", help="only the booster kernel comparison at these row counts, "
                        "e.g. 10000,50000 (200 trees, 20 features)")
    args = parser.parse_args()
    from lightgbm import LGBMClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from xgboost import XGBClassifier

    if args.boosters:
        X_train, y_train = data(10_000)
        cases = []
        for n in [int(v) for v in args.boosters.split(",")]:
            X, _ = data(n, seed=1)
            for name, model in (("LightGBM (200 trees, 31 leaves)", LGBMClassifier(n_estimators=200, verbose=-1, random_state=0)),
                                ("XGBoost (200 trees, depth 6)", XGBClassifier(n_estimators=200, max_depth=6, random_state=0))):
                cases.append(booster_kernel_case(name, model.fit(X_train, y_train), X, 3 if n <= 10_000 else 1))
                print(cases[-1], flush=True)
        write_boosters(cases)
        return 0
    n_explain = 600 if args.quick else 2000
    repeats = 1 if args.quick else 3
    native_repeats = 1 if args.quick else 5  # near-1 ratios: more runs against the noise
    X_train, y_train = data(10_000)
    X, _ = data(n_explain, seed=1)
    started = time.perf_counter()
    results = [
        sklearn_case("HistGradientBoosting (200 iterations)", HistGradientBoostingClassifier(max_iter=200, random_state=0),
                     X_train, y_train, X, repeats),
        sklearn_case("RandomForest (100 trees, depth 10)",
                     RandomForestClassifier(n_estimators=100, max_depth=10, n_jobs=2, random_state=0),
                     X_train, y_train, X.iloc[: n_explain // 2], repeats),
        native_case("XGBoost (300 trees, depth 6)", XGBClassifier(n_estimators=300, max_depth=6, random_state=0),
                    X_train, y_train, X, native_repeats),
        native_case("LightGBM (300 trees, 31 leaves)", LGBMClassifier(n_estimators=300, verbose=-1, random_state=0),
                    X_train, y_train, X, native_repeats),
    ]
    forest = RandomForestClassifier(n_estimators=100, max_depth=10, n_jobs=2, random_state=0).fit(X_train, y_train)
    backends = backends_case(forest, X.iloc[: n_explain // 2], repeats)
    elapsed = time.perf_counter() - started
    write(results, backends, elapsed, quick=args.quick)
    return 0


def write(results, backends, elapsed, *, quick):
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    lines = ["## Tree SHAP (bench_shap.py" + (" --quick" if quick else "") + ")", "",
             f"{os.cpu_count()} cores (shared with other work while measured; times are medians of alternating runs). "
             "Speed-up = baseline seconds / xai-audit seconds on the same rows.", "",
             "| model | rows | baseline | baseline s | xai-audit s | speed-up | `explain()` s | speed-up end to end | target | values |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        values = ("identical" if r.get("identical") else f"max diff {r['max_abs_difference']:.1e}") + \
                 f"; additivity {r['additivity_error']:.1e}"
        verdict = "met" if r["speedup"] >= r["target"] else "NOT met"
        lines.append(f"| {r['case']} | {r['rows']} | `{r['baseline']}` | {r['baseline_s']:.3f} | {r['ours_s']:.3f} | "
                     f"**{r['speedup']:.2f}x** | {r['explain_s']:.3f} | {r['speedup_explain']:.2f}x | "
                     f"≥ {r['target']}x ({verdict}) | {values} |")
    lines += ["", "Tree SHAP backends for scikit-learn models (the RandomForest rows): "
              + ", ".join(f"{k} {v:.3f} s" for k, v in backends.items())
              + ". `auto` uses threads in this process; processes pay for starting workers and shipping the trees.",
              "", f"Total benchmark time {elapsed:.0f} s."]
    text = "\n".join(lines) + "\n"
    (out / "shap.md").write_text(text)
    (out / "shap.json").write_text(json.dumps({"results": results, "backends": backends, "seconds": elapsed,
                                               "quick": quick}, indent=2))
    print(text)


def write_boosters(cases):
    lines = ["## Boosters: the library's own Tree SHAP against xai-audit's compiled kernel (bench_shap.py --boosters)", "",
             f"{os.cpu_count()} cores, shared with other work while measured (medians of 3 alternating runs at "
             "10,000 rows, one run at 50,000). Speed-up = library seconds / (kernel on 2 threads + reading the trees).", "",
             "| model | rows | library call | library s | kernel 1 thread s | kernel 2 threads s | reading the trees s "
             "| speed-up | max diff to the library | kernel additivity (float64 margin) |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in cases:
        lines.append(f"| {r['case']} | {r['rows']} | `{r['baseline']}` | {r['baseline_s']:.2f} | {r['kernel_1_thread_s']:.2f} | "
                     f"{r['kernel_2_threads_s']:.2f} | {r['convert_s']:.2f} | **{r['speedup']:.2f}x** | "
                     f"{r['max_abs_difference']:.1e} | {r['kernel_additivity']:.1e} |")
    text = "\n".join(lines) + "\n"
    (HERE / "out" / "shap_boosters.md").write_text(text)
    (HERE / "out" / "shap_boosters.json").write_text(json.dumps(cases, indent=2))
    print(text)


if __name__ == "__main__":
    sys.exit(main())
