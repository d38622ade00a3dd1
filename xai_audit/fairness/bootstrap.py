"""Stratified bootstrap: each group is resampled on its own, keeping its size.

Confusion metrics need only a group's four cell counts, and resampling a group's rows with
replacement gives cell counts that are exactly multinomial(n_group, observed cell shares); so those
resamples are drawn as counts, a few numbers per group whatever the number of rows. Metrics that
need rows are resampled as row weights (how often each row was drawn), a bounded number of
resamples at a time.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

# Resamples are processed in chunks of at most this many (resample, row) weights: 2 MiB of int64,
# small enough to stay in cache and be reused by the allocator from chunk to chunk.
CHUNK_ELEMENTS = 2**18


def resample_counts(counts: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap cell counts, shape ``(n_resamples, n_groups, 4)``: each group's rows resampled
    with replacement, drawn directly as multinomial counts.

    Examples
    --------
    >>> counts = np.array([[40, 10, 5, 45], [20, 5, 5, 20]])
    >>> draws = resample_counts(counts, 3, np.random.default_rng(0))
    >>> draws.shape, draws.sum(axis=2).tolist()
    ((3, 2, 4), [[100, 50], [100, 50], [100, 50]])
    """
    sizes = counts.sum(axis=1)
    shares = counts / sizes[:, None]
    return rng.multinomial(sizes, shares, size=(n_resamples, len(sizes)))


def resample_weights(n_rows: int, n_resamples: int, rng: np.random.Generator):
    """Yield row weights of shape ``(chunk, n_rows)``: how often each row is drawn in each resample.

    Examples
    --------
    >>> chunks = list(resample_weights(5, 4, np.random.default_rng(0)))
    >>> [c.shape for c in chunks], [int(s) for s in np.vstack(chunks).sum(axis=1)]
    ([(4, 5)], [5, 5, 5, 5])
    """
    per_chunk = max(1, min(n_resamples, CHUNK_ELEMENTS // max(n_rows, 1)))
    for start in range(0, n_resamples, per_chunk):
        size = min(per_chunk, n_resamples - start)
        drawn = rng.integers(0, n_rows, size=(size, n_rows))
        drawn += np.arange(size)[:, None] * n_rows
        yield np.bincount(drawn.ravel(), minlength=size * n_rows).reshape(size, n_rows)


def bootstrap_rows(prepared: list[dict], metric_function: Callable, names: tuple[str, ...],
                   n_resamples: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Resampled row metrics for every group, ``{metric: array (n_resamples, n_groups)}``.

    ``prepared`` holds one group's rows each (as :func:`metrics.prepare_score_rows` makes them);
    ``metric_function(weights, rows)`` returns ``{metric: array (chunk,)}`` for each name in ``names``.
    """
    result = {name: np.full((n_resamples, len(prepared)), np.nan) for name in names}
    for group, rows in enumerate(prepared):
        start = 0
        for weights in resample_weights(rows["n_rows"], n_resamples, rng):
            values = metric_function(weights, rows)
            for name in names:
                result[name][start:start + len(weights), group] = values[name]
            start += len(weights)
    return result


def point_rows(prepared: list[dict], metric_function: Callable, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Row metrics on the data as observed (every weight one), ``{metric: array (n_groups,)}``."""
    values = [metric_function(np.ones((1, rows["n_rows"])), rows) for rows in prepared]
    return {name: np.array([value[name][0] for value in values], dtype=np.float64) for name in names}


def percentile_interval(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval over axis 0, ignoring resamples where the value is undefined.

    Returns two arrays shaped like ``samples[0]``; NaN where no resample gave a value.

    Examples
    --------
    >>> lo, hi = percentile_interval(np.arange(101.0)[:, None], 0.5)
    >>> float(lo[0]), float(hi[0])
    (25.0, 75.0)
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.shape[0] == 0:
        empty = np.full(samples.shape[1:], np.nan)
        return empty, empty.copy()
    tail = (1 - confidence) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no resample defined the value
        low, high = np.nanquantile(samples, [tail, 1 - tail], axis=0)
    return low, high
