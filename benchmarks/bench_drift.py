"""Monitoring at scale: ``xa.drift`` on 1M reference and 1M current rows of 20 features.

16 numeric and 4 categorical features; a logistic regression on all 20; a sensitive attribute and
a target in both periods. Data drift (20 tests, effect sizes, PSI, histograms) and prediction,
performance and fairness drift use every row; explanation drift uses a seeded sample of 500 rows
of each period and 200 bootstrap resamples (stated in the table). Building the two AuditDatasets
(validation and hashing) is timed apart from the drift run. The target: drift under 30 s.

    python benchmarks/bench_drift.py [--quick] [--rows N]
    python benchmarks/bench_drift.py --evidently [--seeds N]

Writes benchmarks/out/drift.json and benchmarks/out/drift.md. With ``--evidently`` it compares
instead, on the same samples, which features ``feature_drift`` and Evidently's DataDriftPreset
(its default tests) call drifted, and writes benchmarks/out/drift_evidently.{json,md}. Evidently
0.7 does not import with the pandas 3 this project pins, so it runs from its own environment,
benchmarks/out/evidently-venv (created on first use from the package index, with pandas below 3),
through benchmarks/evidently_oracle.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import xai_audit as xa
from timing import best_of

OUT = Path(__file__).resolve().parent / "out"
N_NUMERIC, N_CATEGORICAL = 16, 4
TARGET_S = 30.0
EXPLAIN_ROWS, RESAMPLES = 500, 200


def make_period(n: int, seed: int, shift: float) -> pd.DataFrame:
    """One period: ``shift`` moves the first numeric feature's mean and the first category's shares."""
    rng = np.random.default_rng(seed)
    columns = {f"x{i}": rng.normal(shift if i == 0 else 0.0, 1.0, n) for i in range(N_NUMERIC)}
    for j in range(N_CATEGORICAL):
        p = [0.5 - (shift / 4 if j == 0 else 0.0), 0.3, 0.2 + (shift / 4 if j == 0 else 0.0)]
        columns[f"c{j}"] = rng.choice(np.array([0.0, 1.0, 2.0]), n, p=p)
    frame = pd.DataFrame(columns)
    logit = frame["x0"] + 0.5 * frame["x1"] - 0.5 * frame["c0"]
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame["group"] = rng.choice(["a", "b", "c"], n)
    return frame


EVIDENTLY_VENV = OUT / "evidently-venv"
EVIDENTLY_PINS = ("evidently==0.7.23", "pandas<3")
# (name, rows per period, planted shift); "null" samples are two random halves of one data set
SCENARIOS = (("small_shift", 800, 0.5), ("small_null", 800, 0.0), ("large_shift", 5000, 0.5),
             ("large_null", 5000, 0.0))


def evidently_python() -> Path:
    """The Python of the separate Evidently environment, created on first use."""
    python = EVIDENTLY_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(EVIDENTLY_VENV)], check=True)
        subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", *EVIDENTLY_PINS],
                       check=True)
    return python


def evidently_samples(folder: Path, seeds: int) -> dict:
    """Write every scenario's sample pairs as CSV for the oracle; return them as DataFrames too."""
    features = [f"x{i}" for i in range(N_NUMERIC)] + [f"c{j}" for j in range(N_CATEGORICAL)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "columns.json").write_text(json.dumps({"numeric": features[:N_NUMERIC],
                                                     "categorical": features[N_NUMERIC:]}))
    samples = {}
    for name, n, shift in SCENARIOS:
        for seed in range(seeds):
            if shift:
                reference, current = make_period(n, 100 + seed, 0.0), make_period(n, 200 + seed, shift)
            else:
                both = make_period(2 * n, 300 + seed, 0.0).sample(frac=1.0, random_state=seed)
                reference, current = both.iloc[:n], both.iloc[n:]
            pair = []
            for period, frame in (("reference", reference), ("current", current)):
                frame = frame[features].astype({c: int for c in features[N_NUMERIC:]}).reset_index(drop=True)
                frame.to_csv(folder / f"{name}.{seed}.{period}.csv", index=False)
                pair.append(frame.astype({c: str for c in features[N_NUMERIC:]}))
            samples[f"{name}.{seed}"] = pair
    return samples


def compare_with_evidently(seeds: int) -> int:
    """Which features drifted, by ``feature_drift`` (BH-adjusted) and by Evidently's defaults, on the same samples."""
    from xai_audit.drift.features import feature_drift

    folder = OUT / "evidently_samples"
    samples = evidently_samples(folder, seeds)
    answer = subprocess.run([str(evidently_python()), str(Path(__file__).with_name("evidently_oracle.py")),
                             str(folder)], check=True, capture_output=True, text=True)
    evidently = json.loads(answer.stdout.strip().splitlines()[-1])
    features = [f"x{i}" for i in range(N_NUMERIC)] + [f"c{j}" for j in range(N_CATEGORICAL)]
    kinds = {f: "numeric" if f.startswith("x") else "categorical" for f in features}
    planted = {"x0", "c0"}
    table = {}
    for name, _, shift in SCENARIOS:
        tally = {"pairs": 0, "agree": 0, "ours_only": [], "evidently_only": [], "methods": set(),
                 "max_ks_p_gap": 0.0, "max_wasserstein_gap": 0.0}
        for seed in range(seeds):
            key = f"{name}.{seed}"
            ours = feature_drift(*samples[key], features, kinds)["features"]
            theirs = evidently[key]
            for feature in features:
                mine, other = ours[feature]["verdict"] == "drifted", theirs[feature]["drifted"]
                tally["pairs"] += 1
                tally["agree"] += mine == other
                if mine != other:
                    tally["ours_only" if mine else "evidently_only"].append(
                        f"{feature}{' (planted)' if shift and feature in planted else ''}")
                method = theirs[feature]["method"]
                tally["methods"].add(method)
                if method.startswith("K-S"):
                    tally["max_ks_p_gap"] = max(tally["max_ks_p_gap"],
                                                abs(ours[feature]["p_value"] - theirs[feature]["score"]))
                if method.startswith("Wasserstein"):
                    tally["max_wasserstein_gap"] = max(tally["max_wasserstein_gap"],
                                                       abs(ours[feature]["wasserstein_std"] - theirs[feature]["score"]))
        tally["methods"] = sorted(tally["methods"])
        table[name] = tally
    record = {"seeds": seeds, "scenarios": table, "pins": list(EVIDENTLY_PINS)}
    (OUT / "drift_evidently.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = ["## Drift: agreement with Evidently (DataDriftPreset, default tests)", "",
             f"{len(features)} features ({N_NUMERIC} numeric, {N_CATEGORICAL} categorical); planted shift: x0's mean "
             f"and c0's shares; {seeds} seeds per scenario; ours: BH-adjusted p below 0.05; Evidently "
             f"({EVIDENTLY_PINS[0]}): its per-column default.", "",
             "| Scenario | Rows per period | Evidently's methods | Same verdict | Drifted by us only | "
             "Drifted by Evidently only | Largest KS p gap | Largest normed-Wasserstein gap |",
             "|---|---|---|---|---|---|---|---|"]
    for name, n, _ in SCENARIOS:
        t = table[name]
        lines.append(f"| {name} | {n} | {', '.join(t['methods'])} | {t['agree']}/{t['pairs']} | "
                     f"{', '.join(t['ours_only']) or 'none'} | {', '.join(t['evidently_only']) or 'none'} | "
                     f"{t['max_ks_p_gap']:.1e} | {t['max_wasserstein_gap']:.1e} |")
    (OUT / "drift_evidently.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 rows per period")
    parser.add_argument("--rows", type=int, help="rows per period (default 1,000,000)")
    parser.add_argument("--evidently", action="store_true", help="compare drift verdicts with Evidently's instead")
    parser.add_argument("--seeds", type=int, default=10, help="samples per scenario for --evidently")
    args = parser.parse_args()
    if args.evidently:
        return compare_with_evidently(args.seeds)
    n = args.rows or (100_000 if args.quick else 1_000_000)
    features = [f"x{i}" for i in range(N_NUMERIC)] + [f"c{j}" for j in range(N_CATEGORICAL)]
    reference_frame, current_frame = make_period(n, 0, 0.0), make_period(n, 1, 0.2)
    train = make_period(20_000, 2, 0.0)
    model = LogisticRegression(max_iter=500).fit(train[features], train["y"])
    kinds = {f"c{j}": "categorical" for j in range(N_CATEGORICAL)}

    def build():
        made = []
        for frame in (reference_frame, current_frame):
            data = xa.AuditDataset.from_frame(frame, target="y", positive_label=1, features=features,
                                              sensitive=["group"])
            made.append(data)
        return made

    (reference, current), build_wall, build_cpu = best_of(build)
    # the categorical codes are numbers in the file; the monitoring policy treats them as categories
    import dataclasses

    reference, current = (dataclasses.replace(d, feature_kinds={**d.feature_kinds, **kinds}) for d in (reference, current))
    result, wall, cpu = best_of(lambda: xa.drift(model, reference, current, random_state=0,
                                                 explain_rows=EXPLAIN_ROWS, n_resamples=RESAMPLES))
    drifted = sorted(n for n, r in result.features["features"].items() if r["verdict"] == "drifted")
    record = {"rows_per_period": n, "features": len(features), "build_wall_s": build_wall, "build_cpu_s": build_cpu,
              "drift_wall_s": wall, "drift_cpu_s": cpu, "target_s": TARGET_S, "within_target": wall < TARGET_S,
              "explain_rows": EXPLAIN_ROWS, "n_resamples": RESAMPLES, "drifted": drifted, "status": result.status}
    OUT.mkdir(exist_ok=True)
    (OUT / "drift.json").write_text(json.dumps(record, indent=2) + "\n")
    table = (f"## Drift (monitoring)\n\n{n:,} reference and {n:,} current rows, {len(features)} features "
             f"({N_NUMERIC} numeric, {N_CATEGORICAL} categorical), a logistic regression; data, prediction, "
             f"performance and fairness drift on every row, explanation drift on {EXPLAIN_ROWS} rows of each "
             f"period with {RESAMPLES} bootstrap resamples.\n\n"
             "| Step | Wall (s) | CPU (s) |\n|---|---|---|\n"
             f"| Build both AuditDatasets | {build_wall:.1f} | {build_cpu:.1f} |\n"
             f"| `xa.drift` | {wall:.1f} | {cpu:.1f} |\n\n"
             f"Target: `xa.drift` under {TARGET_S:.0f} s — {'met' if wall < TARGET_S else 'NOT met'}. "
             f"Planted shifts (x0, c0) found as drifted: {', '.join(drifted) or 'none'}.\n")
    (OUT / "drift.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
