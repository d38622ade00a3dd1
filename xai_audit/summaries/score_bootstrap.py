"""Bootstrap of the score metrics from score histograms: each group's (outcome, bin) cells resampled
as one multinomial draw of the group's size, the same stratified resampling as the row path's,
with every score in a bin at the bin's centre.

The resampled AUC is the histogram AUC of the resampled cells; the resampled mean score and
calibration-in-the-large use bin centres and are shifted by the difference between the exact
estimate and the bin-centre one (at most half a bin, 1/8192), so the resamples are centred where the
exact estimate is.
"""

from __future__ import annotations

import numpy as np

from xai_audit.fairness.compare import Estimates
from xai_audit.summaries.scores import SCORE_BINS, score_metrics_from_summary

METRICS = ("auc", "ece", "mean_score", "calibration_in_the_large")
# Resamples drawn at once per group: (chunk, 2 * SCORE_BINS) counts.
CHUNK = 100
# A resample costs one binomial draw per nonzero cell: beyond this many cell draws per group, fewer
# resamples are taken (never under MIN_RESAMPLES, as the row path caps its row resamples).
CELL_DRAW_BUDGET = 2_000_000
MIN_RESAMPLES = 200


def affordable_resamples(scores: list[dict], n_resamples: int) -> int:
    """Resamples drawn for a table: all of them unless its busiest histogram has too many nonzero cells.

    Examples
    --------
    >>> from xai_audit.summaries.scores import score_summary
    >>> busy = score_summary(np.arange(8192) % 2, np.arange(8192) / 8192)
    >>> affordable_resamples([busy], 1000), affordable_resamples([busy], 50)
    (244, 50)
    """
    cells = max((int(np.count_nonzero(s["histogram"])) for s in scores), default=0)
    return int(min(n_resamples, max(MIN_RESAMPLES, CELL_DRAW_BUDGET // max(cells, 1))))


def score_estimates(scores: list[dict], n_resamples: int, rng: np.random.Generator) -> Estimates:
    """Point values ``{metric: (groups,)}`` and resamples ``{metric: (resamples, groups)}`` (ECE: point only),
    with as many resamples as :func:`affordable_resamples` allows.

    Examples
    --------
    >>> from xai_audit.summaries.scores import score_summary
    >>> s = score_summary(np.array([0, 0, 1, 1, 1]), np.array([0.1, 0.6, 0.4, 0.8, 0.9]))
    >>> est = score_estimates([s], 20, np.random.default_rng(0))
    >>> round(float(est.point["auc"][0]), 4), est.samples["auc"].shape
    (0.8333, (20, 1))
    """
    n_resamples = affordable_resamples(scores, n_resamples)
    values = [score_metrics_from_summary(s) for s in scores]
    point = {m: np.array([np.nan if v[m] is None else v[m] for v in values], dtype=float) for m in METRICS}
    samples = {m: np.full((n_resamples, len(scores)), np.nan) for m in ("auc", "mean_score", "calibration_in_the_large")}
    centres = (np.arange(SCORE_BINS) + 0.5) / SCORE_BINS
    for g, summary in enumerate(scores):
        cells = summary["histogram"].reshape(-1).astype(np.int64)
        n = int(cells.sum())
        if n == 0:
            continue
        approximate = _metrics(cells[None], centres)
        shift = {m: point[m][g] - approximate[m][0] for m in ("mean_score", "calibration_in_the_large")}
        used = np.flatnonzero(cells)  # empty cells stay empty: draw over the others only
        for start in range(0, n_resamples, CHUNK):
            size = min(CHUNK, n_resamples - start)
            drawn_cells = np.zeros((size, cells.size), dtype=np.int64)
            drawn_cells[:, used] = rng.multinomial(n, cells[used] / n, size=size)
            drawn = _metrics(drawn_cells, centres)
            samples["auc"][start:start + size, g] = drawn["auc"]
            for metric, offset in shift.items():
                samples[metric][start:start + size, g] = drawn[metric] + offset
    return Estimates(point=point, samples=samples)


def _metrics(cells: np.ndarray, centres: np.ndarray) -> dict:
    """AUC, mean score and calibration-in-the-large of each row of ``cells`` ``(k, 2 * SCORE_BINS)``."""
    negative = cells[:, :SCORE_BINS].astype(np.float64)
    positive = cells[:, SCORE_BINS:].astype(np.float64)
    below = np.cumsum(negative, axis=1) - negative
    pairs = negative.sum(axis=1) * positive.sum(axis=1)
    total = negative.sum(axis=1) + positive.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = np.where(pairs > 0, ((positive * below).sum(axis=1) + 0.5 * (positive * negative).sum(axis=1))
                       / np.where(pairs > 0, pairs, 1), np.nan)
        mean_score = ((negative + positive) @ centres) / total
        rate = positive.sum(axis=1) / total
    return {"auc": auc, "mean_score": mean_score, "calibration_in_the_large": mean_score - rate}
