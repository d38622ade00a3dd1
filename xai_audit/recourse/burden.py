"""The burden of recourse per group: how many declined cases could be approved within a budget, and
at what cost, with bootstrap intervals and ratios against a reference group.

For each group of each sensitive attribute, over the sampled declined cases of that group:

* ``share_within_budget``: the share whose cheapest recourse found costs at most the budget (a case
  for which none was found counts as not within budget);
* ``median_cost``: the median cost among the cases for which a recourse was found;
* ``share_ratio`` and ``cost_ratio``: each group's value over the reference group's.

Intervals are percentile intervals of a stratified bootstrap: each group's cases are resampled with
replacement on their own, keeping the group's size, so a ratio's interval reflects the uncertainty of
both groups. The search itself is deterministic and is not repeated in a resample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# A ratio or median whose resamples are undefined (no case found, a zero share) this often gets no interval.
MAX_UNDEFINED_SHARE = 0.05


def burden_by_group(costs, groups: pd.DataFrame, *, budget: float, reference_groups=None,
                    n_resamples: int = 1000, confidence: float = 0.95, random_state=None) -> dict:
    """Per attribute, per group: share within budget, median cost, and ratios to the reference group.

    Parameters
    ----------
    costs : array-like
        The cost of each sampled declined case's recourse; ``inf`` where none was found.
    groups : pandas.DataFrame
        One column per sensitive attribute, one row per case (the same order as ``costs``).
    budget : float
        A recourse costing at most this counts as within budget.
    reference_groups : dict, optional
        ``attribute -> group``; default the attribute's largest group among ``groups``.
    n_resamples : int
    confidence : float
    random_state : int, optional

    Returns
    -------
    dict
        ``attribute -> {"reference_group", "groups": {group: {"n_declined", "n_found", "share_within_budget",
        "median_cost", "share_ratio", "cost_ratio", "ci": {name: [lo, hi]}}}}``.

    Examples
    --------
    >>> costs = np.array([0.5, 1.0, 3.0, np.inf, 0.2, 0.4])
    >>> groups = pd.DataFrame({"sex": ["f", "f", "f", "f", "m", "m"]})
    >>> table = burden_by_group(costs, groups, budget=2.0, reference_groups={"sex": "m"}, n_resamples=50, random_state=0)
    >>> g = table["sex"]["groups"]["f"]
    >>> g["share_within_budget"], g["median_cost"], g["share_ratio"], round(g["cost_ratio"], 6)
    (0.5, 1.0, 0.5, 3.333333)
    """
    costs = np.asarray(costs, dtype=float)
    reference_groups = dict(reference_groups or {})
    alpha = 1.0 - confidence
    result = {}
    for attribute in groups.columns:
        labels = groups[attribute].astype(str).to_numpy()
        names = sorted(set(labels))
        if not names:
            continue
        reference = reference_groups.get(attribute)
        if reference is None or str(reference) not in names:
            sizes = {g: int((labels == g).sum()) for g in names}
            reference = sorted(names, key=lambda g: (-sizes[g], g))[0]
        rng = np.random.default_rng(_seed(random_state, attribute))
        draws = {g: _resample(costs[labels == g], n_resamples, rng) for g in names}
        stats = {g: _statistics(costs[labels == g][None, :], budget) for g in names}
        boot = {g: _statistics(draws[g], budget) for g in names}
        table = {}
        for g in names:
            share, median = stats[g][0][0], stats[g][1][0]
            entry = {
                "n_declined": int((labels == g).sum()),
                "n_found": int(np.isfinite(costs[labels == g]).sum()),
                "share_within_budget": _plain(share),
                "median_cost": _plain(median),
                "ci": {"share_within_budget": _interval(boot[g][0], alpha),
                       "median_cost": _interval(boot[g][1], alpha)},
            }
            for name, index in (("share_ratio", 0), ("cost_ratio", 1)):
                entry[name] = _plain(_ratio(stats[g][index], stats[reference][index])[0])
                entry["ci"][name] = None if g == reference else _interval(
                    _ratio(boot[g][index], boot[reference][index]), alpha)
            table[g] = entry
        result[attribute] = {"reference_group": reference, "groups": table}
    return result


def _resample(values: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    if len(values) == 0:
        return np.empty((n_resamples, 0))
    return values[rng.integers(0, len(values), size=(n_resamples, len(values)))]


def _statistics(samples: np.ndarray, budget: float) -> tuple[np.ndarray, np.ndarray]:
    """(share within budget, median cost among found) for each row of ``samples``; NaN where undefined."""
    if samples.shape[1] == 0:
        nan = np.full(samples.shape[0], np.nan)
        return nan, nan
    share = (samples <= budget).mean(axis=1)
    finite = np.where(np.isfinite(samples), samples, np.nan)
    has_any = np.isfinite(finite).any(axis=1)
    median = np.full(samples.shape[0], np.nan)
    if has_any.any():
        median[has_any] = np.nanmedian(finite[has_any], axis=1)
    return share, median


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    return np.where(np.isfinite(ratio), ratio, np.nan)


def _interval(values: np.ndarray, alpha: float):
    """Percentile interval, or None when the statistic is undefined in too many resamples."""
    values = np.asarray(values, dtype=float)
    defined = values[np.isfinite(values)]
    if len(values) == 0 or len(defined) < (1 - MAX_UNDEFINED_SHARE) * len(values):
        return None
    low, high = np.quantile(defined, [alpha / 2, 1 - alpha / 2])
    return [float(low), float(high)]


def _plain(value):
    value = float(value)
    return value if np.isfinite(value) else None


def _seed(random_state, attribute: str):
    """A seed per attribute, so adding an attribute does not change another's intervals (None: unseeded)."""
    return None if random_state is None else [int(random_state), *attribute.encode("utf-8")]
