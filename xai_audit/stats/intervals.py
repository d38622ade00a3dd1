"""Confidence intervals: bootstrap (percentile, bias-corrected percentile) and closed-form ones for
proportions (Wilson score), differences of proportions (Newcombe's hybrid score) and ratios of
proportions (Katz log).

Every function is vectorised over the last axes (one value per group) and returns ``(low, high)``
arrays, NaN where no interval is defined. :class:`Interval` is the small frozen record of one interval
with its ``method``, ``level`` and ``n_resamples``.

The closed-form intervals contain their point estimate by construction. The bias-corrected
percentile interval contains it whenever it is defined; it is left undefined (NaN) where the point
estimate lies outside the central ``level`` share of its own bootstrap distribution, since the
bootstrap then says nothing trustworthy about it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

PERCENTILE = "percentile bootstrap"
BIAS_CORRECTED = "bias-corrected percentile bootstrap"
WILSON = "Wilson score"
NEWCOMBE = "Newcombe hybrid score (method 10)"
KATZ = "Katz log"


@dataclass(frozen=True)
class Interval:
    """One interval and how it was made.

    Examples
    --------
    >>> Interval(0.1, 0.3, method=WILSON, level=0.95).to_dict()
    {'low': 0.1, 'high': 0.3, 'method': 'Wilson score', 'level': 0.95, 'n_resamples': None}
    """

    low: float
    high: float
    method: str
    level: float
    n_resamples: int | None = None

    def to_dict(self) -> dict:
        return {"low": self.low, "high": self.high, "method": self.method, "level": self.level,
                "n_resamples": self.n_resamples}


def z_value(level: float) -> float:
    """The two-sided normal quantile for ``level`` (1.96 for 0.95).

    Examples
    --------
    >>> round(z_value(0.95), 3), round(z_value(0.9), 3)
    (1.96, 1.645)
    """
    return float(stats.norm.ppf(0.5 + level / 2))


def percentile_interval(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval over axis 0, ignoring resamples where the value is undefined.

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
    tail = (1 - level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no resample defined the value
        low, high = np.nanquantile(samples, [tail, 1 - tail], axis=0)
    return low, high


def bias_corrected_interval(samples: np.ndarray, point: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected (BC) percentile bootstrap interval over axis 0 (Efron 1987, BCa without acceleration).

    With ``z0`` the normal quantile of the share of resamples below the estimate (ties counting half),
    the interval runs between the ``Φ(2·z0 ∓ z)`` quantiles of the resamples. It corrects a median bias
    of the resampled statistic (an ECE whose resamples mostly exceed it). NaN where ``|z0| > z``: then
    the estimate lies outside the central ``level`` of its bootstrap distribution and no bootstrap
    interval is trustworthy; also NaN where fewer than half of the resamples define the value.

    Examples
    --------
    >>> samples = np.random.default_rng(0).normal(size=(2000, 1))
    >>> lo, hi = bias_corrected_interval(samples, np.array([0.0]), 0.95)
    >>> round(float(lo[0]), 1), round(float(hi[0]), 1)
    (-1.9, 2.0)
    """
    samples = np.asarray(samples, dtype=np.float64)
    point = np.broadcast_to(np.asarray(point, dtype=np.float64), samples.shape[1:])
    shape = samples.shape[1:]
    low, high = np.full(shape, np.nan), np.full(shape, np.nan)
    if samples.shape[0] == 0:
        return low, high
    defined = ~np.isnan(samples)
    n_defined = defined.sum(axis=0)
    below = np.sum(np.where(defined, samples < point, False), axis=0)
    ties = np.sum(np.where(defined, samples == point, False), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (below + 0.5 * ties) / n_defined
    z = z_value(level)
    z0 = stats.norm.ppf(share)
    usable = (n_defined >= samples.shape[0] / 2) & ~np.isnan(point) & (np.abs(z0) <= z)
    flat_samples = samples.reshape(samples.shape[0], -1)
    flat_z0 = z0.reshape(-1)
    flat_low, flat_high = low.reshape(-1), high.reshape(-1)
    for j in np.flatnonzero(usable.reshape(-1)):
        column = flat_samples[:, j]
        column = column[~np.isnan(column)]
        q_low, q_high = stats.norm.cdf([2 * flat_z0[j] - z, 2 * flat_z0[j] + z])
        flat_low[j], flat_high[j] = np.quantile(column, [q_low, q_high])
    low, high = flat_low.reshape(shape), flat_high.reshape(shape)
    # Quantile interpolation can land a hair beyond the estimate when z0 = ±z; it is inside in exact terms.
    low = np.where(usable, np.minimum(low, point), np.nan)
    high = np.where(usable, np.maximum(high, point), np.nan)
    return low, high


def wilson_interval(successes, trials, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion ``successes / trials``; NaN where ``trials`` is 0.

    Examples
    --------
    >>> lo, hi = wilson_interval(np.array([8]), np.array([10]), 0.95)
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.4902, 0.9433)
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = z_value(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    # exact at the bounds: k = 0 gives low 0, k = n gives high 1 (rounding can leave 1e-17)
    low = np.where(k == 0, 0.0, np.minimum(low, p))
    high = np.where(k == n, 1.0, np.maximum(high, p))
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def newcombe_interval(successes_1, trials_1, successes_2, trials_2, level: float):
    """Newcombe's hybrid score interval for ``p1 − p2`` (Newcombe 1998, method 10), from the two
    Wilson intervals; NaN where either proportion is undefined. It contains ``p1 − p2``.

    Examples
    --------
    >>> lo, hi = newcombe_interval(56, 70, 48, 80, 0.95)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0524, 0.3339)
    """
    k1, n1, k2, n2 = (np.asarray(a, dtype=np.float64) for a in (successes_1, trials_1, successes_2, trials_2))
    l1, u1 = wilson_interval(k1, n1, level)
    l2, u2 = wilson_interval(k2, n2, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def katz_ratio_interval(successes_1, trials_1, successes_2, trials_2, level: float):
    """Katz log interval for the ratio of proportions ``p1 / p2``.

    ``exp(log r ± z·sqrt(1/k1 − 1/n1 + 1/k2 − 1/n2))``, which contains ``r``. Where ``k1`` is 0 the
    ratio is 0 and its interval is ``[0, upper]`` with the upper end computed with 0.5 added to ``k1``;
    NaN where ``k2`` or a trial count is 0 (the ratio is undefined).

    Examples
    --------
    >>> lo, hi = katz_ratio_interval(30, 100, 50, 100, 0.95)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.42, 0.858)
    """
    k1, n1, k2, n2 = (np.asarray(a, dtype=np.float64) for a in (successes_1, trials_1, successes_2, trials_2))
    z = z_value(level)
    k1_used = np.where(k1 > 0, k1, 0.5)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (k1_used / n1) / (k2 / n2)
        se = np.sqrt(1 / k1_used - 1 / n1 + 1 / k2 - 1 / n2)
        low = np.where(k1 > 0, ratio * np.exp(-z * se), 0.0)
        high = ratio * np.exp(z * se)
    undefined = (k2 <= 0) | (n1 <= 0) | (n2 <= 0)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)
