"""Fairness section: xai-audit's fairness_report against fairlearn's MetricFrame on the same rows.

1M rows, two sensitive attributes and their intersection, every confusion metric (11 of them),
1000 bootstrap resamples. fairlearn computes the same point estimates with MetricFrame on the same
rows. Its bootstrap (``MetricFrame(..., n_boot=..., ci_quantiles=...)``) takes minutes per resample
at 1M rows, so it is timed over 2 resamples on the first 50,000 rows, scaled to all rows by the
measured ratio of fairlearn's point-estimate times, and extrapolated per resample to 1000 — the
table says so. fairlearn's bootstrap resamples all rows together; ours resamples each group on its
own (stratified), as counts.

    python benchmarks/bench_fairness.py [--quick] [--rows N] [--resamples B]

Writes benchmarks/out/fairness.json and benchmarks/out/fairness.md.
"""

from __future__ import annotations

import argparse
import json
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from fairlearn import __version__ as fairlearn_version
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn import metrics as skm

from xai_audit.fairness import fairness_report
from timing import best_of

OUT = Path(__file__).resolve().parent / "out"
# fairlearn's bootstrap gets about this long; one of its resamples costs about 1.5 point-estimate runs.
FAIRLEARN_BOOTSTRAP_BUDGET_S = 60.0

FAIRLEARN_METRICS = {
    "base_rate": lambda y_true, y_pred: selection_rate(y_pred, y_true),
    "selection_rate": selection_rate,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "fnr": false_negative_rate,
    "tnr": true_negative_rate,
    "ppv": partial(skm.precision_score, zero_division=np.nan),
    "npv": partial(skm.precision_score, pos_label=0, zero_division=np.nan),
    "fdr": lambda t, p: 1 - skm.precision_score(t, p, zero_division=np.nan),
    "for": lambda t, p: 1 - skm.precision_score(t, p, pos_label=0, zero_division=np.nan),
    "accuracy": skm.accuracy_score,
}


def make_data(n_rows: int, seed: int = 0):
    """Decisions with a built-in gap by sex and age, and 5% of rows with no recorded sex."""
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({
        "sex": rng.choice(["female", "male", "unknown"], n_rows, p=[0.47, 0.48, 0.05]),
        "age_group": rng.choice(["under 25", "25 to 44", "45 to 64", "65 and over"], n_rows, p=[0.15, 0.4, 0.3, 0.15]),
    })
    y_true = rng.integers(0, 2, n_rows)
    lift = 0.25 * y_true - 0.05 * (groups["sex"] == "female").to_numpy() - 0.05 * (groups["age_group"] == "under 25")
    y_pred = (rng.random(n_rows) < 0.4 + lift).astype(int)
    return y_true, y_pred, groups


def sensitive_sets(groups: pd.DataFrame) -> dict:
    return {"sex": groups["sex"], "age_group": groups["age_group"], "sex*age_group": groups[["sex", "age_group"]]}


def fairlearn_frames(y_true, y_pred, groups, **bootstrap) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: MetricFrame(metrics=FAIRLEARN_METRICS, y_true=y_true, y_pred=y_pred,
                                  sensitive_features=sensitive, **bootstrap)
                for name, sensitive in sensitive_sets(groups).items()}


def largest_point_difference(section: dict, frames: dict) -> float:
    """The largest |ours − fairlearn| over every group and metric both define."""
    worst = 0.0
    for name, frame in frames.items():
        by_group = frame.by_group
        by_group = by_group[by_group["selection_rate"].notna()]
        assert len(by_group) == len(section[name]["groups"]), name
        for key, row in by_group.iterrows():
            label = "*".join(key) if isinstance(key, tuple) else key
            for metric, expected in row.items():
                ours = section[name]["groups"][label][metric]
                if ours is not None and not np.isnan(expected):
                    worst = max(worst, abs(ours - expected))
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k rows and 200 resamples, for a smoke run")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--resamples", type=int, default=None)
    parser.add_argument("--fairlearn-boot-rows", type=int, default=50_000,
                        help="rows fairlearn's (slow) bootstrap is timed on before scaling to all rows")
    args = parser.parse_args()
    n_rows = args.rows or (100_000 if args.quick else 1_000_000)
    n_resamples = args.resamples or (200 if args.quick else 1000)

    y_true, y_pred, groups = make_data(n_rows)
    section, ours_s, _ = best_of(lambda: fairness_report(y_true, y_pred, groups, n_resamples=n_resamples,
                                                         random_state=0), 3)
    _, ours_point_s, _ = best_of(lambda: fairness_report(y_true, y_pred, groups, n_resamples=0), 3)
    n_groups = {name: len(table["groups"]) for name, table in section.items()}
    print(f"xai-audit: {ours_s:.2f} s with {n_resamples} resamples ({ours_point_s:.2f} s point estimates only)")
    # With scores, ROC AUC, calibration error and mean score join the tables; they need rows, not counts.
    scores = np.clip(0.35 * y_true + 0.65 * np.random.default_rng(1).random(n_rows), 0, 1)
    scored, scored_s, _ = best_of(lambda: fairness_report(y_true, y_pred, groups, scores=scores, n_resamples=n_resamples,
                                                     random_state=0))
    row_resamples = next(iter(scored.values()))["bootstrap"]["n_resamples_row_metrics"]
    print(f"xai-audit with scores: {scored_s:.2f} s ({row_resamples} resamples for the row metrics)")

    frames, fairlearn_point_s, _ = best_of(lambda: fairlearn_frames(y_true, y_pred, groups))
    difference = largest_point_difference(section, frames)
    print(f"fairlearn MetricFrame point estimates: {fairlearn_point_s:.2f} s; largest difference {difference:.1e}")

    # fairlearn's bootstrap is timed on the first rows only and scaled to all rows by the measured ratio
    # of its point-estimate times (one bootstrap resample is one MetricFrame evaluation on resampled rows).
    boot_rows = min(n_rows, args.fairlearn_boot_rows)
    head = slice(0, boot_rows)
    if boot_rows == n_rows:
        head_point_s = fairlearn_point_s
    else:
        _, head_point_s, _ = best_of(lambda: fairlearn_frames(y_true[head], y_pred[head], groups.iloc[head]))
    fairlearn_boot = max(2, min(20, int(FAIRLEARN_BOOTSTRAP_BUDGET_S / (1.5 * max(head_point_s, 1e-3)))))
    _, fairlearn_boot_s, _ = best_of(lambda: fairlearn_frames(y_true[head], y_pred[head], groups.iloc[head],
                                                         n_boot=fairlearn_boot, ci_quantiles=[0.025, 0.975],
                                                         random_state=0))
    row_scale = fairlearn_point_s / head_point_s
    per_resample_s = max(fairlearn_boot_s - head_point_s, 0.0) / fairlearn_boot * row_scale
    fairlearn_full_s = fairlearn_point_s + per_resample_s * n_resamples
    print(f"fairlearn MetricFrame n_boot={fairlearn_boot} on {boot_rows:,} rows: {fairlearn_boot_s:.1f} s; "
          f"{per_resample_s:.2f} s per resample at {n_rows:,} rows (x{row_scale:.1f}); "
          f"{fairlearn_full_s:.0f} s extrapolated to {n_resamples}")
    how = (f"fairlearn's bootstrap ran {fairlearn_boot} resamples"
           + (f" on the first {boot_rows:,} rows, scaled to {n_rows:,} rows by the ratio of fairlearn's measured "
              f"point-estimate times ({row_scale:.1f}x)," if boot_rows < n_rows else "")
           + f" and is extrapolated per resample to {n_resamples}")

    record = {
        "benchmark": "fairness_report vs fairlearn MetricFrame",
        "rows": n_rows,
        "tables": n_groups,
        "metrics": list(FAIRLEARN_METRICS),
        "resamples": n_resamples,
        "xai_audit_s": round(ours_s, 3),
        "xai_audit_point_only_s": round(ours_point_s, 3),
        "xai_audit_with_scores_s": round(scored_s, 3),
        "xai_audit_with_scores_row_resamples": row_resamples,
        "fairlearn_version": fairlearn_version,
        "fairlearn_point_s": round(fairlearn_point_s, 3),
        "fairlearn_bootstrap_resamples_run": fairlearn_boot,
        "fairlearn_bootstrap_rows": boot_rows,
        "fairlearn_bootstrap_row_scale": round(row_scale, 2),
        "fairlearn_bootstrap_run_s": round(fairlearn_boot_s, 3),
        "fairlearn_per_resample_s": round(per_resample_s, 3),
        "fairlearn_extrapolated_s": round(fairlearn_full_s, 1),
        "speedup_with_bootstrap": round(fairlearn_full_s / ours_s, 1),
        "speedup_point_estimates": round(fairlearn_point_s / ours_point_s, 1),
        "largest_point_difference": difference,
        "point_estimates_equal": difference <= 1e-12,
        "notes": (f"{how}; it resamples all rows together, xai-audit each group on its own (stratified) as "
                  "multinomial cell counts. Times are the best of 3 runs for xai-audit, one run for fairlearn."),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "fairness.json").write_text(json.dumps(record, indent=2) + "\n")
    groups_text = ", ".join(f"{name} ({count})" for name, count in n_groups.items())
    table = (
        "## Fairness: group metrics with bootstrap intervals\n\n"
        "| Rows | Tables (groups) | Metrics | Resamples | xai-audit | fairlearn MetricFrame, point estimates | "
        "fairlearn MetricFrame bootstrap | Speed-up | Point estimates equal |\n"
        "|---:|---|---:|---:|---:|---:|---:|---:|---|\n"
        f"| {n_rows:,} | {groups_text} | {len(FAIRLEARN_METRICS)} | {n_resamples} | {ours_s:.2f} s "
        f"({ours_point_s:.2f} s without resamples) | {fairlearn_point_s:.1f} s | "
        f"{fairlearn_full_s:,.0f} s (extrapolated from {fairlearn_boot} resamples) | "
        f"{fairlearn_full_s / ours_s:,.0f}× | {'yes' if difference <= 1e-12 else 'NO'} "
        f"(max difference {difference:.0e}) |\n\n"
        f"{record['notes']}\n\n"
        f"With scores as well (ROC AUC, calibration error and mean score per group, which need the rows): "
        f"{scored_s:.2f} s for all metrics, the confusion metrics with {n_resamples} resamples and the row "
        f"metrics with {row_resamples} (at most 200 million rows drawn per table; stated in each table).\n"
    )
    (OUT / "fairness.md").write_text(table)
    print(table)
    return 0 if record["point_estimates_equal"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
