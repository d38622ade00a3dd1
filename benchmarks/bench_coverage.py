"""Coverage of every interval the audit reports, by simulation against known true values.

    python benchmarks/bench_coverage.py [--quick] [--data-sets N] [--resamples B]

Defaults: 500 data sets per size and 400 resamples (the audit's default is 1,000; 400 keeps the run under
ten minutes on two cores, and the percentile points it needs are well estimated by 400).
ECE intervals are measured here but not reported in the audit record (their coverage misses).

Each data set has two groups of the same size n (30, 100 and 1,000 rows each): scores drawn from
Beta(2, 2), decisions "score > 0.5", outcomes drawn with probability ``score`` in the reference group
'a' (calibrated) and ``score − 0.05`` (clipped) in group 'b' (over-predicted). The true value of every
metric is computed by numerical integration over the score density, so nothing about the truth is
estimated. For every data set the intervals are made by the same functions the audit uses
(``xai_audit.stats`` through ``xai_audit.fairness`` and ``xai_audit.performance``), at 90% and 95%
from the same resamples, and the share of data sets whose interval holds the truth is reported.

An interval that is undefined (null in the record: a bias-corrected interval whose estimate lies
outside the central share of its bootstrap distribution, a rate with an empty denominator) counts as
a miss, and the share of such data sets is reported separately.

Writes benchmarks/out/coverage.md and benchmarks/out/coverage.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xai_audit.fairness.metrics import (  # noqa: E402
    SCORE_METRICS,
    confusion_counts,
    prepare_score_rows,
    proportion_parts,
    rates_from_counts,
    score_metrics,
)
from xai_audit.performance import WeightedBinaryMetrics, bootstrap_draws  # noqa: E402
from xai_audit.stats.bootstrap import bootstrap_rows, point_rows  # noqa: E402
from xai_audit.stats.intervals import (  # noqa: E402
    bias_corrected_interval,
    katz_ratio_interval,
    newcombe_interval,
    wilson_interval,
)

OUT = Path(__file__).resolve().parent / "out"
SHIFT = {"a": 0.0, "b": -0.05}  # P(y = 1 | score) = clip(score + shift)
LEVELS = (0.9, 0.95)
SIZES = (30, 100, 1000)
RATES = ("selection_rate", "tpr", "fpr", "ppv", "accuracy")
ROW = ("auc", "ece", "calibration_in_the_large")
PERFORMANCE = ("accuracy", "balanced_accuracy", "roc_auc", "log_loss", "brier", "ece")


# ---------------------------------------------------------------- true values, by integration

GRID = (np.arange(200_000) + 0.5) / 200_000
DENSITY = stats.beta.pdf(GRID, 2, 2) / 200_000  # probability mass of each grid cell


def outcome_probability(shift: float) -> np.ndarray:
    return np.clip(GRID + shift, 0, 1)


def true_metrics(masses: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    """True metrics of a population given as [(cell mass, P(y=1) per cell)] over GRID (a mixture)."""
    mass = sum(m for m, _ in masses)
    positive = sum(m * q for m, q in masses)
    negative = mass - positive
    selected = GRID > 0.5
    p_pos, p_neg = positive.sum(), negative.sum()
    truth = {
        "selection_rate": mass[selected].sum() / mass.sum(),
        "tpr": positive[selected].sum() / p_pos,
        "fpr": negative[selected].sum() / p_neg,
        "ppv": positive[selected].sum() / mass[selected].sum(),
        "accuracy": (positive[selected].sum() + negative[~selected].sum()) / mass.sum(),
    }
    truth["balanced_accuracy"] = (truth["tpr"] + 1 - truth["fpr"]) / 2
    below = np.cumsum(negative) - negative  # negatives scored strictly lower (grid cells are distinct)
    truth["auc"] = truth["roc_auc"] = float(np.sum(positive * (below + 0.5 * negative)) / (p_pos * p_neg))
    bins = np.minimum((GRID * 10).astype(int), 9)
    gap = np.bincount(bins, weights=positive - mass * GRID, minlength=10)
    truth["ece"] = float(np.abs(gap).sum() / mass.sum())
    truth["calibration_in_the_large"] = float(np.sum(mass * GRID - positive) / mass.sum())
    truth["brier"] = float(np.sum(mass * GRID**2 - 2 * GRID * positive + positive) / mass.sum())
    truth["log_loss"] = float(-np.sum(positive * np.log(GRID) + negative * np.log(1 - GRID)) / mass.sum())
    return truth


def truths() -> dict:
    groups = {g: true_metrics([(DENSITY, outcome_probability(shift))]) for g, shift in SHIFT.items()}
    pooled = true_metrics([(DENSITY / 2, outcome_probability(shift)) for shift in SHIFT.values()])
    return {"groups": groups, "pooled": pooled}


# ---------------------------------------------------------------- one simulated data set

def draw(n: int, rng: np.random.Generator):
    scores = rng.beta(2, 2, size=2 * n)
    codes = np.repeat([0, 1], n)
    shift = np.where(codes == 0, SHIFT["a"], SHIFT["b"])
    y = (rng.random(2 * n) < np.clip(scores + shift, 0, 1)).astype(np.int64)
    return codes, y, (scores > 0.5).astype(np.int64), scores


def intervals_of_one(n: int, n_resamples: int, rng: np.random.Generator) -> dict:
    """{(kind, metric): {level: (low, high)}} for one data set, made as the audit makes them."""
    codes, y, decisions, scores = draw(n, rng)
    counts = confusion_counts(codes, 2, y, decisions)
    parts = proportion_parts(counts)
    out = {}
    for level in LEVELS:
        for metric in RATES:
            k, m = parts[metric]
            low, high = wilson_interval(k, m, level)
            for g, label in enumerate("ab"):
                out.setdefault((f"group {label}", metric), {})[level] = (low[g], high[g])
            out.setdefault(("b − a", metric), {})[level] = newcombe_interval(k[1], m[1], k[0], m[0], level)
            out.setdefault(("b ÷ a", metric), {})[level] = katz_ratio_interval(k[1], m[1], k[0], m[0], level)
    prepared = [prepare_score_rows(y[codes == g], scores[codes == g]) for g in (0, 1)]
    point = point_rows(prepared, score_metrics, SCORE_METRICS)
    samples = bootstrap_rows(prepared, score_metrics, SCORE_METRICS, n_resamples, rng)
    for metric in ROW:
        for level in LEVELS:
            low, high = bias_corrected_interval(samples[metric], point[metric], level)
            for g, label in enumerate("ab"):
                out.setdefault((f"group {label}", metric), {})[level] = (low[g], high[g])
            d_low, d_high = bias_corrected_interval(samples[metric][:, 1] - samples[metric][:, 0],
                                                    point[metric][1] - point[metric][0], level)
            out.setdefault(("b − a", metric), {})[level] = (d_low, d_high)
            if metric == "auc":
                r_low, r_high = bias_corrected_interval(samples[metric][:, 1] / samples[metric][:, 0],
                                                        point[metric][1] / point[metric][0], level)
                out.setdefault(("b ÷ a", metric), {})[level] = (r_low, r_high)
    proba = np.column_stack([1 - scores, scores])
    metrics = WeightedBinaryMetrics(y, decisions, proba, [0, 1], 1)
    draws, _ = bootstrap_draws(metrics, len(y), n_resamples=n_resamples, random_state=rng)
    estimate = metrics(np.ones(len(y)))
    for metric in PERFORMANCE:
        values = np.asarray(draws[metric], dtype=float)[:, None]
        for level in LEVELS:
            low, high = bias_corrected_interval(values, np.array([estimate[metric]]), level)
            out.setdefault(("overall", metric), {})[level] = (low[0], high[0])
    return out


def truth_of(kind: str, metric: str, truth: dict) -> float:
    a, b = truth["groups"]["a"], truth["groups"]["b"]
    if kind == "overall":
        return truth["pooled"][metric]
    if kind.startswith("group"):
        return truth["groups"][kind[-1]][metric]
    return b[metric] - a[metric] if kind == "b − a" else b[metric] / a[metric]


def method_of(kind: str, metric: str) -> str:
    if metric == "ece":
        return "bias-corrected bootstrap (not in the record)"
    if kind == "overall" or metric in ROW:
        return "bias-corrected bootstrap"
    return {"b − a": "Newcombe", "b ÷ a": "Katz log"}.get(kind, "Wilson")


def run(n_data_sets: int, n_resamples: int, seed: int = 0) -> dict:
    truth = truths()
    results = {}
    for n in SIZES:
        rng = np.random.default_rng([seed, n])
        hits, undefined = {}, {}
        start = time.perf_counter()
        for _ in range(n_data_sets):
            for key, by_level in intervals_of_one(n, n_resamples, rng).items():
                value = truth_of(*key, truth)
                for level, (low, high) in by_level.items():
                    low, high = float(low), float(high)
                    defined = not (np.isnan(low) or np.isnan(high))
                    hits.setdefault((key, level), []).append(defined and low <= value <= high)
                    undefined.setdefault((key, level), []).append(not defined)
        results[n] = {"seconds": time.perf_counter() - start,
                      "coverage": {k: float(np.mean(v)) for k, v in hits.items()},
                      "undefined": {k: float(np.mean(v)) for k, v in undefined.items()}}
        print(f"n = {n} per group: {n_data_sets} data sets in {results[n]['seconds']:.0f} s", flush=True)
    return {"truth": truth, "results": results}


def table(outcome: dict, n_data_sets: int, n_resamples: int, seconds: float) -> str:
    results = outcome["results"]
    keys = sorted({key for r in results.values() for key, _ in r["coverage"]},
                  key=lambda k: (["group a", "group b", "b − a", "b ÷ a", "overall"].index(k[0]), k[1]))
    header = ("| interval | metric | method | true value | " + " | ".join(
        f"n={n}: 90% | n={n}: 95%" for n in SIZES) + " |")
    lines = [header, "|" + "---|" * (4 + 2 * len(SIZES))]
    misses = []
    for key in keys:
        cells = []
        for n in SIZES:
            for level in LEVELS:
                coverage = results[n]["coverage"][(key, level)]
                gone = results[n]["undefined"][(key, level)]
                mark = ""
                if n >= 100 and abs(coverage - level) > 0.03:
                    mark = " ✗"
                    misses.append(f"{key[0]} {key[1]} at n={n}, {level:.0%}: {coverage:.1%}")
                cells.append(f"{coverage:.1%}{mark}" + (f" ({gone:.0%} null)" if gone >= 0.005 else ""))
        value = truth_of(*key, outcome["truth"])
        lines.append(f"| {key[0]} | {key[1]} | {method_of(*key)} | {value:.4f} | " + " | ".join(cells) + " |")
    summary = ("Target: within ±3 points of nominal at n ≥ 100 per group (✗ marks a miss). "
               + (f"Misses: {'; '.join(misses)}." if misses else "No miss at n ≥ 100."))
    return ("## Interval coverage (bench_coverage.py)\n\n"
            f"{n_data_sets} simulated data sets per size, two groups of n rows each ('a' reference, calibrated; "
            f"'b' over-predicted by 0.05), {n_resamples} bootstrap resamples, true values by numerical integration. "
            "Empirical coverage at 90% and 95%; an undefined (null) interval counts as a miss and its share is in "
            f"parentheses. Total time {seconds:.0f} s.\n\n" + "\n".join(lines) + "\n\n" + summary + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 data sets and 300 resamples, for a smoke run")
    parser.add_argument("--data-sets", type=int)
    parser.add_argument("--resamples", type=int)
    args = parser.parse_args()
    n_data_sets = args.data_sets or (100 if args.quick else 500)
    n_resamples = args.resamples or (300 if args.quick else 400)
    start = time.perf_counter()
    outcome = run(n_data_sets, n_resamples)
    seconds = time.perf_counter() - start
    text = table(outcome, n_data_sets, n_resamples, seconds)
    OUT.mkdir(exist_ok=True)
    (OUT / "coverage.md").write_text(text)
    record = {str(n): {f"{k[0]}|{k[1]}|{level}": v for (k, level), v in r["coverage"].items()}
              for n, r in outcome["results"].items()}
    (OUT / "coverage.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
