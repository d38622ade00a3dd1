"""Integrated Gradients in xai-audit (Captum's ``IntegratedGradients``, batched): rows per second and
the completeness reached for each step count and integration rule, and what the default
step-raising schedule (50 → 100 → 200 → 400 Gauss-Legendre steps until every row is within 1%)
costs and reaches.

Completeness of a row: |sum of attributions − (output − base output)| relative to
|output − base output| (floored at 0.1 × its mean over the rows); "within 1%" counts the rows at or
under 0.01.

    python benchmarks/bench_captum.py [--quick] [--threads N]

Writes ``benchmarks/out/captum.md`` and ``benchmarks/out/captum.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from timing import best_of

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
STEPS = (25, 50, 100, 200, 400)
RULES = ("gausslegendre", "riemann_trapezoid")


def tabular_case(n_rows):
    """A ReLU MLP (20 → 64 → 64 → 2 logits) trained briefly on a synthetic binary task."""
    import torch
    from xai_audit.adapters.torch import TorchAdapter
    from xai_audit.data import AuditDataset

    rng = np.random.default_rng(0)
    X = rng.normal(size=(max(n_rows, 500), 20)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] + 0.5 * X[:, 2] * X[:, 3] > 0).astype(np.int64)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                              torch.nn.Linear(64, 2))
    train(net, X, y)
    names = [f"x{i}" for i in range(20)]
    frame = pd.DataFrame(X, columns=names).assign(y=y)
    adapter = TorchAdapter(net, task="binary", classes=[0, 1], feature_names=names, device="cpu")
    return "MLP 20→64→64→2, binary", adapter, AuditDataset.from_frame(frame, target="y"), names, n_rows


def image_case(n_rows):
    """A small CNN (conv, ReLU, max-pool, linear) trained briefly on the 8×8 digits, 10 classes."""
    import torch
    from sklearn.datasets import load_digits
    from xai_audit.adapters.torch import TorchAdapter
    from xai_audit.data import AuditDataset

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(8 * 4 * 4, 10))
    train(net, images[:800], digits.target[:800])
    adapter = TorchAdapter(net, task="multiclass", classes=list(range(10)), input_kind="image", device="cpu")
    data = AuditDataset.from_arrays(images[800:], digits.target[800:])
    return "CNN conv-ReLU-maxpool-linear, 8×8 digits, 10 classes", adapter, data, [], n_rows


def train(net, X, y, steps=60):
    import torch

    optimiser = torch.optim.Adam(net.parameters(), lr=0.02)
    inputs, labels = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(steps):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(net(inputs), labels).backward()
        optimiser.step()
    net.eval()


def measure_case(name, adapter, data, features, n_rows):
    from xai_audit.explainers.captum import IntegratedGradientsExplainer

    preparer = IntegratedGradientsExplainer()
    task, _, _ = preparer.task(adapter, data, features, n_rows, random_state=0)
    rows = []
    for rule in RULES:
        for steps in STEPS:
            explainer = IntegratedGradientsExplainer(n_steps=steps, max_steps=steps, method=rule)
            explainer.attribute(adapter, task_subset(task, 4))  # warm-up
            meta, seconds, cpu = best_of(lambda: explainer.attribute(adapter, task)[2], 2)
            within = len(task.inputs) - meta["rows_not_converged"]
            rows.append({
                "case": name, "rule": rule, "steps": steps, "rows": len(task.inputs),
                "rows_per_second": round(len(task.inputs) / seconds, 1),
                "rows_per_cpu_second": round(len(task.inputs) / cpu, 1),
                "rows_within_1pct": round(within / len(task.inputs), 4),
                "max_relative_delta": meta["convergence_delta"]["max_relative"],
                "mean_relative_delta": meta["convergence_delta"]["mean_relative"],
            })
    explainer = IntegratedGradientsExplainer()
    meta, seconds, cpu = best_of(lambda: explainer.attribute(adapter, task)[2], 2)
    adaptive = {
        "case": name, "rule": "gausslegendre", "steps": f"{explainer.n_steps}→{explainer.max_steps} (adaptive)", "rows": len(task.inputs),
        "rows_per_second": round(len(task.inputs) / seconds, 1),
        "rows_per_cpu_second": round(len(task.inputs) / cpu, 1),
        "rows_within_1pct": round((len(task.inputs) - meta["rows_not_converged"]) / len(task.inputs), 4),
        "max_relative_delta": meta["convergence_delta"]["max_relative"],
        "mean_relative_delta": meta["convergence_delta"]["mean_relative"],
        "rows_per_step_count": meta["rows_per_step_count"],
        "completeness_reached": meta["completeness_reached"],
    }
    return rows, adaptive


def task_subset(task, n):
    from xai_audit.explainers.captum._common import AttributionTask as _Task

    return _Task(task.inputs[:n], None if task.targets is None else task.targets[:n], task.baseline,
                 task.background, task.baseline_kind, task.baseline_note)


def markdown(results, adaptive, settings):
    lines = [
        "## Integrated Gradients: rows per second and completeness per step count",
        "",
        f"Completeness: share of rows whose |convergence delta| is within 1% of |output − base output|. {settings}",
        "",
        "| case | rule | steps | rows | rows/s (wall) | rows/s (CPU) | rows within 1% | max relative delta "
        "| mean relative delta |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results + adaptive:
        lines.append(
            f"| {r['case']} | {r['rule']} | {r['steps']} | {r['rows']} | {r['rows_per_second']:,.0f} | "
            f"{r['rows_per_cpu_second']:,.0f} | "
            f"{r['rows_within_1pct']:.1%} | {r['max_relative_delta']:.2e} | {r['mean_relative_delta']:.2e} |")
    lines.append("")
    for r in adaptive:
        lines.append(f"- {r['case']}, default schedule: rows finished per step count "
                     f"{r['rows_per_step_count']}; completeness reached for every row: {r['completeness_reached']}.")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (default 1)")
    args = parser.parse_args()
    import captum
    import torch

    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)  # numpy's BLAS too (Captum computes Gauss-Legendre nodes with it)
    tabular_rows, image_rows = (200, 50) if args.quick else (1000, 200)
    results, adaptive = [], []
    for case in (tabular_case(tabular_rows), image_case(image_rows)):
        rows, summary = measure_case(*case)
        results += rows
        adaptive.append(summary)
    settings = f"CPU, {args.threads} torch/BLAS thread(s); torch {torch.__version__}, captum {captum.__version__}."
    text = markdown(results, adaptive, settings)
    print(text)
    OUT.mkdir(exist_ok=True)
    (OUT / "captum.md").write_text(text)
    (OUT / "captum.json").write_text(json.dumps({"settings": settings, "fixed_steps": results,
                                                 "adaptive": adaptive}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
