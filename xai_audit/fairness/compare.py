"""Comparisons between groups: differences and ratios against a reference group, between-group
spreads, the UGESP four-fifths rule and NYC Local Law 144 impact ratios.

Every function takes point estimates of shape ``(n_groups,)``; bootstrap samples of shape
``(n_resamples, n_groups)`` go through the same functions, so a bootstrapped value's interval comes
from the same computation as the value itself. Between-group spreads (largest minus smallest,
smallest over largest) are non-smooth: no bootstrap interval of them holds its coverage (the
percentile interval of a spread cannot contain 0), so they are reported without one, and verdicts
are reached through each group's signed comparison against the reference group instead
(``SUMMARY_COMPONENTS`` names the comparisons behind each summary).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from xai_audit.fairness.jsonable import as_interval, as_number

FOUR_FIFTHS = 0.8
# 0.48 / 0.60 is 0.7999999999999999 in floating point; UGESP does not flag exactly four fifths.
FOUR_FIFTHS_TOLERANCE = 1e-9
LL144_SMALL_SHARE = 0.02
# A ratio of two metrics that can be negative says nothing; these get differences only.
SIGNED_METRICS = frozenset({"r2", "mean_residual", "ece", "calibration_in_the_large"})
SPREAD_NOTE = ("no interval: a spread over groups (largest minus smallest, smallest over largest) is not a "
               "smooth statistic and no bootstrap interval of it holds its coverage; verdicts use each group's "
               "comparison against the reference group, which carries an interval")
# summary measure -> (kind of comparison against the reference group, group metrics compared)
SUMMARY_COMPONENTS = {
    "demographic_parity_difference": ("difference", ("selection_rate",)),
    "demographic_parity_ratio": ("ratio", ("selection_rate",)),
    "equalized_odds_difference": ("difference", ("tpr", "fpr")),
    "equalized_odds_ratio": ("ratio", ("tpr", "fpr")),
    "equal_opportunity_difference": ("difference", ("tpr",)),
    "predictive_parity_difference": ("difference", ("ppv",)),
    "accuracy_difference": ("difference", ("accuracy",)),
    "calibration_gap": ("difference", ("calibration_in_the_large",)),
    "auc_difference": ("difference", ("auc",)),
    "mean_prediction_ratio": ("ratio", ("mean_prediction",)),
    **{f"{metric}_difference": ("difference", (metric,))
       for metric in ("mean_prediction", "mae", "rmse", "r2", "mean_residual")},
}


@dataclass(frozen=True)
class Estimates:
    """Point estimates ``{metric: (n_groups,)}`` and bootstrap samples ``{metric: (n_resamples, n_groups)}``."""

    point: dict
    samples: dict


def safe_ratio(numerator, denominator):
    """``numerator / denominator``, NaN where the denominator is zero or either side undefined.

    Examples
    --------
    >>> safe_ratio(np.array([1.0, 1.0, 0.0]), np.array([2.0, 0.0, 0.0])).tolist()
    [0.5, nan, nan]
    """
    numerator, denominator = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator != 0, numerator / denominator, np.nan)


def against_reference(estimates: Estimates, reference: int, *, kind: str) -> Estimates:
    """Each group's metric minus (``kind="difference"``) or over (``kind="ratio"``) the reference group's.

    Examples
    --------
    >>> est = Estimates({"tpr": np.array([0.5, 0.8])}, {"tpr": np.array([[0.4, 0.8]])})
    >>> against_reference(est, 1, kind="difference").point["tpr"].round(3).tolist()
    [-0.3, 0.0]
    """
    combine = np.subtract if kind == "difference" else safe_ratio
    metrics = [m for m in estimates.point if kind == "difference" or m not in SIGNED_METRICS]
    return Estimates(
        point={m: combine(estimates.point[m], estimates.point[m][reference]) for m in metrics},
        samples={m: combine(estimates.samples[m], estimates.samples[m][:, [reference]])
                 for m in metrics if m in estimates.samples},
    )


def spread(values: np.ndarray, include: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest minus smallest, and smallest over largest, of ``values[..., include]`` along the last
    axis, ignoring undefined values; NaN where fewer than two groups have a value.

    Examples
    --------
    >>> difference, ratio = spread(np.array([0.2, 0.5, np.nan, 0.4]), np.array([True, True, True, False]))
    >>> float(difference), float(ratio)
    (0.3, 0.4)
    """
    chosen = np.asarray(values, dtype=float)[..., include]
    enough = np.sum(~np.isnan(chosen), axis=-1) >= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows are masked just below
        largest = np.nanmax(chosen, axis=-1) if chosen.shape[-1] else np.full(chosen.shape[:-1], np.nan)
        smallest = np.nanmin(chosen, axis=-1) if chosen.shape[-1] else np.full(chosen.shape[:-1], np.nan)
    difference = np.where(enough, largest - smallest, np.nan)
    ratio = np.where(enough, safe_ratio(smallest, largest), np.nan)
    return difference, ratio


def relative_table(point: dict, intervals: dict, labels, reference: int, convention: str) -> dict:
    """The JSON table of differences or ratios: every group but the reference, every metric.

    ``point`` is ``{metric: (n_groups,)}``, ``intervals`` ``{metric: (low, high)}`` of the same shape
    (absent or NaN: no interval).
    """
    values = {}
    for metric, estimate in point.items():
        low, high = intervals.get(metric, (np.full(estimate.shape, np.nan),) * 2)
        for index, label in enumerate(labels):
            if index != reference:
                values.setdefault(label, {})[metric] = {"value": as_number(estimate[index]),
                                                        "ci": as_interval(low[index], high[index])}
    return {"convention": convention, "values": values}


def between_groups_table(estimates: Estimates, include: np.ndarray, convention: str) -> dict:
    """Per metric: largest minus smallest and smallest over largest among the ``include``d groups.

    No interval (``"ci": null``): see ``interval_note``.
    """
    values = {}
    for metric, point in estimates.point.items():
        difference, ratio = spread(point, include)
        signed = metric in SIGNED_METRICS
        values[metric] = {"difference": as_number(difference), "ratio": None if signed else as_number(ratio),
                          "ci": None}
    return {"convention": convention, "values": values, "interval_note": SPREAD_NOTE}


def impact_ratios(rates: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, int | None]:
    """Each group's rate over the highest rate among ``eligible`` groups, and that group's index.

    Examples
    --------
    >>> ratios, highest = impact_ratios(np.array([0.60, 0.45, 0.48, 0.51]), np.ones(4, bool))
    >>> ratios.round(2).tolist(), highest
    ([1.0, 0.75, 0.8, 0.85], 0)
    """
    candidates = np.where(eligible & ~np.isnan(rates), rates, -np.inf)
    if not np.isfinite(candidates).any():
        return np.full(rates.shape, np.nan), None
    highest = int(np.argmax(candidates))
    return safe_ratio(rates, rates[highest]), highest


def is_below_four_fifths(ratio) -> bool:
    """True when an impact ratio is strictly below 0.8, allowing for floating-point error.

    Examples
    --------
    >>> is_below_four_fifths(0.48 / 0.60), is_below_four_fifths(0.75)
    (False, True)
    """
    return ratio is not None and ratio < FOUR_FIFTHS - FOUR_FIFTHS_TOLERANCE


def four_fifths_table(selection: np.ndarray, intervals, labels, eligible: np.ndarray,
                      small: np.ndarray, min_group_size: int) -> dict:
    """The UGESP four-fifths rule (29 CFR 1607.4(D)) for every group.

    ``intervals(highest)`` returns ``(low, high)`` of every group's impact ratio against the group
    ``highest`` (Katz log intervals of a ratio of proportions), or None for no intervals. The highest
    group's own ratio is 1 by construction and has no interval.
    """
    ratios, highest = impact_ratios(selection, eligible)
    if highest is None or intervals is None:
        low = high = np.full(selection.shape, np.nan)
    else:
        low, high = intervals(highest)
    highest_label = None if highest is None else labels[highest]
    groups = {}
    for index, label in enumerate(labels):
        ratio = as_number(ratios[index])
        own = index == highest
        groups[label] = {"selection_rate": as_number(selection[index]), "impact_ratio": ratio,
                         "flagged": is_below_four_fifths(ratio), "small_group": bool(small[index]),
                         "ci": None if own else as_interval(low[index], high[index])}
    return {
        "convention": (f"impact ratio = group selection rate / selection rate of the highest group "
                       f"({highest_label!r}) among groups of at least {min_group_size} rows other than "
                       f"'unknown' (UGESP, 29 CFR 1607.4(D)); flagged when strictly below {FOUR_FIFTHS}; "
                       "interval: Katz log interval of the ratio against that group"),
        "highest_group": highest_label,
        "groups": groups,
    }


def ll144_rates(counts: np.ndarray, sizes: np.ndarray, labels, unknown: np.ndarray, n_rows: int,
                *, counted: str, rate: str) -> dict:
    """NYC Local Law 144 impact ratios: each category's rate over the highest category's.

    Categories under 2% of the data are reported, marked ``small_category`` and left out of the
    highest rate (6 RCNY § 5-301(d) lets an auditor exclude them); 'unknown' is reported and never
    the highest.

    Examples
    --------
    >>> table = ll144_rates(np.array([50, 34]), np.array([92, 76]), ["Male", "Female"],
    ...                     np.zeros(2, bool), 168, counted="selected", rate="selection_rate")
    >>> round(table["categories"]["Female"]["impact_ratio"], 2)
    0.82
    """
    rates = safe_ratio(counts, sizes)
    small = sizes / n_rows < LL144_SMALL_SHARE
    ratios, highest = impact_ratios(rates, ~small & ~unknown)
    categories = {
        label: {"n": int(sizes[i]), counted: int(counts[i]), rate: as_number(rates[i]),
                "impact_ratio": as_number(ratios[i]), "small_category": bool(small[i])}
        for i, label in enumerate(labels)
    }
    return {"highest_category": None if highest is None else labels[highest], "categories": categories}


def ll144_table(selected: np.ndarray, sizes: np.ndarray, labels, unknown: np.ndarray,
                scores_above_median: np.ndarray | None, median: float | None) -> dict:
    """The Local Law 144 section: selection rates, and scoring rates where there are scores."""
    n_rows = int(sizes.sum())
    table = {
        "convention": ("impact ratio = category rate / highest category rate (NYC Local Law 144 of 2021, "
                       "6 RCNY § 5-301); scoring rate = share of the category scoring above the median score "
                       "of the whole sample; categories under 2% of the data are marked small_category and "
                       "left out of the highest rate; 'unknown' is reported but never the highest"),
        "selection": ll144_rates(selected, sizes, labels, unknown, n_rows, counted="selected",
                                 rate="selection_rate"),
        "scoring": None,
    }
    if scores_above_median is not None:
        table["scoring"] = {"median_score": as_number(median),
                            **ll144_rates(scores_above_median, sizes, labels, unknown, n_rows,
                                          counted="above_median", rate="scoring_rate")}
    return table
