"""The one stratified bootstrap.

A resample draws, within each stratum (a group), as many rows as the stratum has, with replacement.
It is returned as *counts*: how often each row was drawn (row weights), or, for statistics that need
only a stratum's cell counts (a confusion matrix), the resampled cell counts themselves, which are
exactly multinomial(stratum size, observed cell shares). Every metric is then a weighted sum over the
original rows, so no row is ever copied. All draws come from one seeded ``numpy`` Generator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from xai_audit.parallel import map_in_threads

# Resamples are processed in chunks of at most this many (resample, row) weights.
CHUNK_ELEMENTS = 2**18
# Metrics that need rows cost one pass over the rows per resample: beyond this many rows drawn in all,
# fewer resamples are taken, never fewer than MIN_ROW_RESAMPLES, and the record says so.
ROW_DRAW_BUDGET = 200_000_000
MIN_ROW_RESAMPLES = 200


def resample_counts(counts: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap cell counts, shape ``(n_resamples, n_strata, n_cells)``: each stratum's rows resampled
    with replacement, drawn directly as multinomial counts.

    Parameters
    ----------
    counts : ndarray of shape (n_strata, n_cells)
        Observed cell counts per stratum.
    n_resamples : int
    rng : numpy.random.Generator

    Examples
    --------
    >>> counts = np.array([[40, 10, 5, 45], [20, 5, 5, 20]])
    >>> draws = resample_counts(counts, 3, np.random.default_rng(0))
    >>> draws.shape, draws.sum(axis=2).tolist()
    ((3, 2, 4), [[100, 50], [100, 50], [100, 50]])
    """
    counts = np.asarray(counts, dtype=np.int64)
    sizes = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(sizes[:, None] > 0, counts / np.maximum(sizes, 1)[:, None], 0.0)
    shares[sizes == 0, 0] = 1.0  # an empty stratum stays empty (multinomial of 0 draws)
    return rng.multinomial(sizes, shares, size=(n_resamples, len(sizes)))


def resample_weights(n_rows: int, n_resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Yield row weights of shape ``(chunk, n_rows)`` for one stratum: how often each row is drawn.

    Examples
    --------
    >>> chunks = list(resample_weights(5, 4, np.random.default_rng(0)))
    >>> [c.shape for c in chunks], [int(s) for s in np.vstack(chunks).sum(axis=1)]
    ([(4, 5)], [5, 5, 5, 5])
    """
    per_chunk = max(1, min(n_resamples, CHUNK_ELEMENTS // max(n_rows, 1)))
    for start in range(0, n_resamples, per_chunk):
        size = min(per_chunk, n_resamples - start)
        if n_rows == 0:
            yield np.zeros((size, 0), dtype=np.int64)
            continue
        drawn = rng.integers(0, n_rows, size=(size, n_rows))
        weights = np.empty((size, n_rows), dtype=np.int64)
        for i in range(size):  # one resample's counts at a time: a table that stays in the cache
            weights[i] = np.bincount(drawn[i], minlength=n_rows)
        yield weights


def stratified_weights(strata: np.ndarray, n_resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Yield row weights ``(chunk, n_rows)`` over all rows, each stratum resampled on its own (its size kept).

    Examples
    --------
    >>> strata = np.array([0, 0, 0, 1, 1])
    >>> w = np.vstack(list(stratified_weights(strata, 3, np.random.default_rng(0))))
    >>> w[:, :3].sum(axis=1).tolist(), w[:, 3:].sum(axis=1).tolist()
    ([3, 3, 3], [2, 2, 2])
    """
    strata = np.asarray(strata)
    n_rows = len(strata)
    per_chunk = max(1, min(n_resamples, CHUNK_ELEMENTS // max(n_rows, 1)))
    members = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    for start in range(0, n_resamples, per_chunk):
        size = min(per_chunk, n_resamples - start)
        weights = np.zeros((size, n_rows), dtype=np.int64)
        for rows in members:
            drawn = rows[rng.integers(0, len(rows), size=(size, len(rows)))]
            drawn += np.arange(size)[:, None] * n_rows
            weights += np.bincount(drawn.ravel(), minlength=size * n_rows).reshape(size, n_rows)
        yield weights


def weighted_sums(weights: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``weights @ columns`` for resample weights ``(resamples, rows)`` and ``columns`` ``(rows, k)``,
    summed by numpy's own pairwise reduction rather than BLAS, so that the result does not depend on
    how many threads a process runs (a worker limited to one thread and the main process give the same
    bits, which keeps distributed records identical to single-process ones).

    Examples
    --------
    >>> weighted_sums(np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 3.0]])).tolist()
    [[3.0, 6.0], [1.0, 3.0]]
    """
    weights = np.atleast_2d(weights)
    columns = np.asarray(columns, dtype=np.float64)
    if columns.ndim == 1:
        return (weights * columns).sum(axis=1)
    return np.stack([(weights * columns[:, j]).sum(axis=1) for j in range(columns.shape[1])], axis=1)


def row_resamples(n_resamples: int, n_rows: int) -> int:
    """Resamples affordable for metrics that need rows: all of them up to ``ROW_DRAW_BUDGET`` rows drawn
    in all, fewer on large data but never under ``MIN_ROW_RESAMPLES`` (nor over ``n_resamples``).

    Examples
    --------
    >>> row_resamples(1000, 10_000), row_resamples(1000, 1_000_000), row_resamples(50, 1_000_000)
    (1000, 200, 50)
    """
    affordable = max(MIN_ROW_RESAMPLES, ROW_DRAW_BUDGET // max(n_rows, 1))
    return int(min(n_resamples, affordable))


def cap_note(requested: int, used: int, n_rows: int) -> str | None:
    """The sentence stating a resample cap, or None when every requested resample was drawn.

    Examples
    --------
    >>> cap_note(1000, 200, 1_000_000)
    '200 of 1,000 resamples because the 1,000,000 rows make each resample of the row-based metrics costly (budget 200,000,000 rows drawn)'
    >>> cap_note(1000, 1000, 10) is None
    True
    """
    if used >= requested:
        return None
    return (f"{used:,} of {requested:,} resamples because the {n_rows:,} rows make each resample of the "
            f"row-based metrics costly (budget {ROW_DRAW_BUDGET:,} rows drawn)")


def bootstrap_rows(prepared: list[dict], metric_function: Callable, names: tuple[str, ...],
                   n_resamples: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Resampled row metrics for every stratum, ``{metric: array (n_resamples, n_strata)}``.

    ``prepared`` holds one stratum's rows each (a dict with ``n_rows``);
    ``metric_function(weights, rows)`` returns ``{metric: array (chunk,)}`` for each name in ``names``.
    """
    result = {name: np.full((n_resamples, len(prepared)), np.nan) for name in names}

    def chunks():  # drawn in order from the one stream, so the draws do not depend on the threads
        for group, rows in enumerate(prepared):
            start = 0
            for weights in resample_weights(rows["n_rows"], n_resamples, rng):
                yield group, start, weights
                start += len(weights)

    def measure(chunk):
        group, start, weights = chunk
        return group, start, len(weights), metric_function(weights, prepared[group])

    for group, start, size, values in map_in_threads(measure, chunks()):
        for name in names:
            result[name][start:start + size, group] = values[name]
    return result


def point_rows(prepared: list[dict], metric_function: Callable, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Row metrics on the data as observed (every weight one), ``{metric: array (n_strata,)}``."""
    values = [metric_function(np.ones((1, rows["n_rows"])), rows) for rows in prepared]
    return {name: np.array([value[name][0] for value in values], dtype=np.float64) for name in names}
